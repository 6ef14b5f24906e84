"""デモ銀行's data stores and backups (2.3.3 ② ⑤ ⓐ): S3, DynamoDB, EFS and AWS Backup, good and bad side by side.

Tokyo (ap-northeast-1) holds the main data and the daily backup plan, Osaka (ap-northeast-3) the DR file share
and a weekly plan. Each resource says which check it is meant to pass or fail.

Emulator notes: moto serves neither backup selections nor vault access policies; their answers are registered
with the unserved-API layer (:mod:`.unserved`), hand-written as AWS would return them. The registered answer is
the same for every selection of a region, so each region has at most one selection.
"""

from __future__ import annotations

import json
from typing import Any

from ..aws.session import _strip_account_host_prefix as strip_account_host_prefix
from . import unserved
from .seed_second import INFO_ACCOUNT, AccountClients
from .server import DEMO_ACCOUNT

TOKYO, OSAKA = "ap-northeast-1", "ap-northeast-3"
CLASSIFICATION, CRITICALITY, PURPOSE = "DataClassification", "Criticality", "Purpose"


def _bucket(s3: Any, name: str, tags: dict[str, str], **create: Any) -> None:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": TOKYO}, **create)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]})


def _block_all(s3: Any, name: str) -> None:
    keys = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=dict.fromkeys(keys, True))


def _encrypt(s3: Any, name: str, algorithm: str, key_id: str | None = None) -> None:
    default: dict[str, Any] = {"SSEAlgorithm": algorithm}
    if key_id:
        default["KMSMasterKeyID"] = key_id
    s3.put_bucket_encryption(
        Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": default}]}
    )


def s3_default_encryption(s3: Any) -> None:
    """What AWS does for every bucket since January 2023 and the emulator does not: SSE-S3 unless set otherwise."""
    for bucket in s3.list_buckets().get("Buckets", []):
        try:
            s3.get_bucket_encryption(Bucket=bucket["Name"])
        except s3.exceptions.ClientError:
            _encrypt(s3, bucket["Name"], "AES256")


def _website(s3: Any, name: str) -> None:
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})


def seed_s3(clients: Any) -> None:
    s3 = clients("s3", TOKYO)
    key = clients("kms", TOKYO).create_key(Description="demo-bank customer data")["KeyMetadata"]["Arn"]
    # Access-log bucket without Object Lock (fails s3_backup_bucket_protection: it receives the web site's logs).
    _bucket(s3, "demo-bank-access-logs", {PURPOSE: "logs"}, ACL="log-delivery-write")
    # Customer data: confidential and critical, SSE-KMS, private, data events recorded (passes s3_default_encryption,
    # s3_critical_data_events; its own Block Public Access passes s3_public_access).
    _bucket(s3, "demo-bank-customer-data", {CLASSIFICATION: "confidential", CRITICALITY: "critical"})
    _encrypt(s3, "demo-bank-customer-data", "aws:kms", key)
    _block_all(s3, "demo-bank-customer-data")
    # Loan archive: confidential and critical, but S3 managed keys and no data events (fails both).
    _bucket(s3, "demo-bank-loan-archive", {CLASSIFICATION: "confidential", CRITICALITY: "critical"})
    _encrypt(s3, "demo-bank-loan-archive", "AES256")
    _block_all(s3, "demo-bank-loan-archive")
    # Public web site: readable by anyone through its policy with the account's Block Public Access off (fails
    # s3_public_access); its access logs are recorded (passes s3_access_logging).
    _bucket(s3, "demo-bank-public-site", {CLASSIFICATION: "public"})
    _website(s3, "demo-bank-public-site")
    s3.put_bucket_policy(
        Bucket="demo-bank-public-site",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::demo-bank-public-site/*",
                    }
                ],
            }
        ),
    )
    s3.put_bucket_logging(
        Bucket="demo-bank-public-site",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "demo-bank-access-logs", "TargetPrefix": "public-site/"}},
    )
    # Campaign site: website hosting without access logs (fails s3_access_logging).
    _bucket(s3, "demo-bank-campaign-site", {CLASSIFICATION: "public"})
    _website(s3, "demo-bank-campaign-site")
    _block_all(s3, "demo-bank-campaign-site")
    # Database exports kept as backups, under Object Lock in compliance mode (passes s3_backup_bucket_protection).
    _bucket(s3, "demo-bank-backup-exports", {PURPOSE: "backup", CLASSIFICATION: "confidential"}, ObjectLockEnabledForBucket=True)
    _encrypt(s3, "demo-bank-backup-exports", "aws:kms", key)
    _block_all(s3, "demo-bank-backup-exports")
    s3.put_object_lock_configuration(
        Bucket="demo-bank-backup-exports",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 35}},
        },
    )
    s3_default_encryption(s3)
    # The main trail records object-level access to the customer data bucket only.
    clients("cloudtrail", TOKYO).put_event_selectors(
        TrailName="demo-bank-trail",
        EventSelectors=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::demo-bank-customer-data/"]}],
            }
        ],
    )


def seed_tables_and_files(clients: Any) -> None:
    ddb = clients("dynamodb", TOKYO)
    key = clients("kms", TOKYO).create_key(Description="demo-bank accounts table")["KeyMetadata"]["Arn"]
    common: dict[str, Any] = {
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    # Accounts: confidential, customer managed key, point-in-time recovery, in the daily plan (passes all).
    ddb.create_table(
        TableName="demo-bank-accounts",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
        Tags=[{"Key": CLASSIFICATION, "Value": "confidential"}],
        **common,
    )
    ddb.update_continuous_backups(
        TableName="demo-bank-accounts", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    # Online banking sessions: confidential on an AWS owned key, no point-in-time recovery, in no plan (fails
    # dynamodb_encryption, dynamodb_pitr and backup_plan_coverage).
    ddb.create_table(TableName="demo-bank-sessions", Tags=[{"Key": CLASSIFICATION, "Value": "confidential"}], **common)
    # Shared file system in Tokyo: encrypted, selected by the daily plan's tag (passes efs_encryption, coverage).
    clients("efs", TOKYO).create_file_system(
        CreationToken="demo-bank-shared",
        Encrypted=True,
        Tags=[{"Key": "Name", "Value": "demo-bank-shared"}, {"Key": "backup", "Value": "daily"}],
    )
    # DR file share in Osaka: not encrypted, in no plan (fails efs_encryption and backup_plan_coverage).
    clients("efs", OSAKA).create_file_system(
        CreationToken="demo-bank-dr-share", Tags=[{"Key": "Name", "Value": "demo-bank-dr-share"}]
    )


def seed_backup(clients: Any) -> None:
    endpoint = clients.endpoint_url
    tokyo, osaka = clients("backup", TOKYO), clients("backup", OSAKA)
    # Tokyo vault: compliance-mode lock, 35 days minimum (passes backup_vault_lock; the lock becomes immutable after
    # its three-day grace period), access policy denying deletion (passes backup_vault_deletion_policy).
    tokyo.create_backup_vault(BackupVaultName="demo-bank-vault")
    tokyo.put_backup_vault_lock_configuration(BackupVaultName="demo-bank-vault", MinRetentionDays=35, ChangeableForDays=3)
    # Osaka vault: no lock, no access policy (fails backup_vault_lock and backup_vault_deletion_policy).
    osaka.create_backup_vault(BackupVaultName="demo-bank-dr-vault")
    dr_vault = f"arn:aws:backup:{OSAKA}:{DEMO_ACCOUNT}:backup-vault:demo-bank-dr-vault"
    # Daily plan copying to Osaka (passes backup_copy_isolation).
    daily = tokyo.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "demo-bank-daily",
            "Rules": [
                {
                    "RuleName": "daily-35d",
                    "TargetBackupVaultName": "demo-bank-vault",
                    "ScheduleExpression": "cron(0 18 * * ? *)",
                    "Lifecycle": {"DeleteAfterDays": 35},
                    "CopyActions": [{"DestinationBackupVaultArn": dr_vault, "Lifecycle": {"DeleteAfterDays": 35}}],
                }
            ],
        }
    )["BackupPlanId"]
    # Weekly plan in Osaka keeping its copies in the same region and account (fails backup_copy_isolation).
    osaka.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "demo-bank-dr-weekly",
            "Rules": [
                {
                    "RuleName": "weekly",
                    "TargetBackupVaultName": "demo-bank-dr-vault",
                    "ScheduleExpression": "cron(0 18 ? * SUN *)",
                }
            ],
        }
    )
    # Hand-written answers for what moto does not serve: the daily plan selects the accounts table by ARN and the
    # file systems tagged backup=daily; the weekly plan has no resource assigned yet.
    selection = {"SelectionId": "demo-daily-selection", "SelectionName": "core-data", "BackupPlanId": daily}
    unserved.register(
        endpoint, "backup", "ListBackupSelections", {"BackupSelectionsList": [selection]}, account=DEMO_ACCOUNT, region=TOKYO
    )
    unserved.register(
        endpoint,
        "backup",
        "GetBackupSelection",
        {
            "BackupPlanId": daily,
            "SelectionId": "demo-daily-selection",
            "BackupSelection": {
                "SelectionName": "core-data",
                "IamRoleArn": f"arn:aws:iam::{DEMO_ACCOUNT}:role/service-role/AWSBackupDefaultServiceRole",
                "Resources": [f"arn:aws:dynamodb:{TOKYO}:{DEMO_ACCOUNT}:table/demo-bank-accounts"],
                "ListOfTags": [{"ConditionType": "STRINGEQUALS", "ConditionKey": "backup", "ConditionValue": "daily"}],
            },
        },
        account=DEMO_ACCOUNT,
        region=TOKYO,
    )
    unserved.register(
        endpoint, "backup", "ListBackupSelections", {"BackupSelectionsList": []}, account=DEMO_ACCOUNT, region=OSAKA
    )
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": [
                    "backup:DeleteRecoveryPoint",
                    "backup:UpdateRecoveryPointLifecycle",
                    "backup:PutBackupVaultAccessPolicy",
                ],
                "Resource": "*",
            }
        ],
    }
    unserved.register(
        endpoint,
        "backup",
        "GetBackupVaultAccessPolicy",
        {"BackupVaultName": "demo-bank-vault", "Policy": json.dumps(deny)},
        account=DEMO_ACCOUNT,
        region=TOKYO,
    )
    unserved.register(
        endpoint,
        "backup",
        "GetBackupVaultAccessPolicy",
        error={
            "status": 404,
            "code": "ResourceNotFoundException",
            "message": "Backup vault demo-bank-dr-vault has no access policy",
        },
        account=DEMO_ACCOUNT,
        region=OSAKA,
    )


def seed_storage(clients: Any) -> None:
    """S3, DynamoDB, EFS and AWS Backup of デモ銀行 (after the trails: the main trail records data events)."""
    seed_s3(clients)
    seed_tables_and_files(clients)
    seed_backup(clients)


def encrypt_every_bucket(clients: Any, endpoint_url: str) -> None:
    """S3's default encryption on every bucket of both accounts that has none, as AWS applies it: run last, after
    every seed that creates buckets (log buckets, the Config bucket...)."""
    s3_default_encryption(clients("s3", TOKYO))
    s3_default_encryption(AccountClients(endpoint_url, INFO_ACCOUNT)("s3", TOKYO))


def seed_information_storage(endpoint_url: str) -> None:
    """情報系 (the second account) blocks public access to S3 account-wide (passes s3_public_access); its buckets
    get S3's default encryption as in AWS. Run after :func:`.seed_second.seed_information_account`."""
    clients = AccountClients(endpoint_url, INFO_ACCOUNT)
    s3 = clients("s3", TOKYO)
    s3_default_encryption(s3)
    keys = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    # s3control puts the account ID in the host name, which the emulator on 127.0.0.1 cannot serve.
    s3control = clients("s3control", "us-east-1")
    s3control.meta.events.register("before-sign.s3-control", strip_account_host_prefix)
    s3control.put_public_access_block(AccountId=INFO_ACCOUNT, PublicAccessBlockConfiguration=dict.fromkeys(keys, True))
