"""デモ銀行's runtimes, databases and block storage: end of support (2.2.1.2 ①, 2.3.4.1 ③) and data
protection (2.3.3), a current and an outdated or exposed resource side by side. All in Tokyo; EBS encryption by
default is on in Tokyo only, so Osaka and us-east-1 show it off.

Emulator notes: moto creates these without launching anything (no instances, no containers). The AMIs are
registered, not created from an instance; moto gives each an unencrypted root snapshot, which
ebs_snapshot_encryption reports as AWS would. moto's DescribeSnapshots ignores RestorableByUserIds (AWS returns the
public snapshots only), so every snapshot is then confirmed through DescribeSnapshotAttribute. moto does not serve
block public access for EBS snapshots: its state is a hand-written answer of the unserved-API layer (AWS's default,
unblocked, everywhere; all sharing blocked in Osaka).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from . import unserved
from .server import DEMO_ACCOUNT

TOKYO, OSAKA = "ap-northeast-1", "ap-northeast-3"
_TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def seed_compute(clients: Any) -> None:
    """Lambda, RDS/Aurora, EKS, ElastiCache, OpenSearch, EBS and AMIs of デモ銀行 (each says what it shows)."""
    role = clients("iam").create_role(RoleName="demo-bank-lambda", AssumeRolePolicyDocument=_TRUST)["Role"]["Arn"]
    code = {"ZipFile": _zip()}
    aws_lambda = clients("lambda", TOKYO)
    # Runtimes: python3.8 past its deprecation (fail), python3.13 supported (pass).
    for name, runtime in (("batch-interest-calc", "python3.8"), ("api-balance-inquiry", "python3.13")):
        aws_lambda.create_function(FunctionName=name, Runtime=runtime, Role=role, Handler="index.handler", Code=code)

    rds = clients("rds", TOKYO)
    # 勘定系: Aurora PostgreSQL 16, encrypted, 14-day backups, deletion protection (every check passes).
    rds.create_db_cluster(
        DBClusterIdentifier="core-banking",
        Engine="aurora-postgresql",
        EngineVersion="16.4",
        MasterUsername="bankadmin",
        MasterUserPassword="demo-password-1",
        StorageEncrypted=True,
        BackupRetentionPeriod=14,
        DeletionProtection=True,
    )
    # 旧情報系: MySQL 5.7 past standard support (extended support), unencrypted, 1-day backups, no protection.
    rds.create_db_instance(
        DBInstanceIdentifier="legacy-info",
        Engine="mysql",
        EngineVersion="5.7.44",
        DBInstanceClass="db.t3.medium",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="demo-password-2",
        StorageEncrypted=False,
        BackupRetentionPeriod=1,
        DeletionProtection=False,
    )
    # Manual snapshots: the legacy one made public (fail), the core one private (pass).
    rds.create_db_snapshot(DBSnapshotIdentifier="legacy-info-before-migration", DBInstanceIdentifier="legacy-info")
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="legacy-info-before-migration", AttributeName="restore", ValuesToAdd=["all"]
    )
    rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="core-banking-monthly", DBClusterIdentifier="core-banking")

    # EKS: 1.29 past extended support (fail), 1.35 in standard support (pass).
    eks = clients("eks", TOKYO)
    vpc = {"subnetIds": [], "securityGroupIds": []}
    eks_role = f"arn:aws:iam::{DEMO_ACCOUNT}:role/demo-bank-eks"
    for name, version in (("channel-apps-old", "1.29"), ("channel-apps", "1.35")):
        eks.create_cluster(name=name, version=version, roleArn=eks_role, resourcesVpcConfig=vpc)

    # ElastiCache: Redis OSS 5.0 on extended support (fail), Valkey 8.0 (pass).
    cache = clients("elasticache", TOKYO)
    for ident, engine, version in (("session-old", "redis", "5.0.6"), ("session", "valkey", "8.0")):
        cache.create_cache_cluster(
            CacheClusterId=ident, Engine=engine, EngineVersion=version, CacheNodeType="cache.t3.micro", NumCacheNodes=1
        )

    # OpenSearch: Elasticsearch 6.5 past its end of support (fail), 7.10 supported (pass).
    search = clients("opensearch", TOKYO)
    for name, version in (("audit-search-old", "Elasticsearch_6.5"), ("audit-search", "Elasticsearch_7.10")):
        search.create_domain(DomainName=name, EngineVersion=version)

    ec2 = clients("ec2", TOKYO)
    ec2.enable_ebs_encryption_by_default()
    # Volumes: the file server's data volume unencrypted (fail), the batch volume encrypted (pass).
    plain = ec2.create_volume(
        Size=8,
        AvailabilityZone=f"{TOKYO}a",
        Encrypted=False,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "fileserver-data"}]}],
    )["VolumeId"]
    sealed = ec2.create_volume(
        Size=8,
        AvailabilityZone=f"{TOKYO}a",
        Encrypted=True,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "batch-work"}]}],
    )["VolumeId"]
    # Snapshots: the unencrypted volume's, public (fails encryption and exposure); the encrypted one's, private.
    exposed = ec2.create_snapshot(VolumeId=plain, Description="fileserver-data before patching")["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=exposed, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"])
    ec2.create_snapshot(VolumeId=sealed, Description="batch-work nightly")
    # Block public access for snapshots (hand-written: moto does not serve it).
    operation = "GetSnapshotBlockPublicAccessState"
    unserved.register(clients.endpoint_url, "ec2", operation, {"State": "unblocked"})
    unserved.register(clients.endpoint_url, "ec2", operation, {"State": "block-all-sharing"}, account=DEMO_ACCOUNT, region=OSAKA)
    # AMIs: a golden image shared with everyone (fail) and a private one (pass).
    for name, public in (("web-golden-2023", True), ("web-golden-2026", False)):
        image = ec2.register_image(Name=name, RootDeviceName="/dev/xvda", VirtualizationType="hvm", Architecture="x86_64")[
            "ImageId"
        ]
        if public:
            ec2.modify_image_attribute(ImageId=image, LaunchPermission={"Add": [{"Group": "all"}]})
