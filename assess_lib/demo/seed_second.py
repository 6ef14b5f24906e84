"""デモ銀行's second account, 情報系 (the information systems account), configured well.

Large banks run many accounts; the demo assesses two through the read-only role, as a real
multi-account run does. This one is meant to pass the account-level checks that the main
account fails (password policy, multi-region trail, SSH/RDP exposure, defense in depth), so that
every such check shows a passing and a failing account side by side.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.config import Config

from .seed_dns import seed_hosted_zones
from .server import DEMO_ACCOUNT, Emulator, demo_session_credentials, seeding_session

INFO_ACCOUNT = "345678901234"
ROLE_NAME = "FsaAssessmentReadOnly"
REGIONS = ["ap-northeast-1", "ap-northeast-3", "us-east-1"]


class AccountClients:
    """boto3 clients inside another emulated account, through sts:AssumeRole like the kit itself."""

    def __init__(self, endpoint_url: str, account_id: str) -> None:
        sts = seeding_session(demo_session_credentials()).client("sts", endpoint_url=endpoint_url)
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{ROLE_NAME}", RoleSessionName="demo-seed")["Credentials"]
        self.session = seeding_session(
            {
                "aws_access_key_id": creds["AccessKeyId"],
                "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"],
            }
        )
        self.endpoint_url = endpoint_url
        self._cache: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str = "ap-northeast-1") -> Any:
        key = (service, region)
        if key not in self._cache:
            self._cache[key] = self.session.client(
                service, region_name=region, endpoint_url=self.endpoint_url, config=Config(retries={"max_attempts": 2})
            )
        return self._cache[key]


def _audit_role(iam: Any) -> None:
    """The kit's read-only role, trusted by the assessing (management) account."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEMO_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}],
    }
    iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn="arn:aws:iam::aws:policy/SecurityAudit")


def seed_information_account(endpoint_url: str) -> None:
    Emulator(endpoint_url).install_aws_managed_policies(INFO_ACCOUNT)
    clients = AccountClients(endpoint_url, INFO_ACCOUNT)
    iam = clients("iam", "us-east-1")
    _audit_role(iam)
    iam.update_account_password_policy(
        MinimumPasswordLength=16,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        RequireNumbers=True,
        RequireSymbols=True,
        PasswordReusePrevention=24,
        MaxPasswordAge=90,
        AllowUsersToChangePassword=True,
    )
    # One analyst with MFA; no access keys, no administrators.
    iam.create_user(UserName="kato.misaki")
    iam.create_login_profile(UserName="kato.misaki", Password="Demo-Passw0rd!-not-real-2")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="kato.misaki-mfa")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="kato.misaki", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321")
    iam.attach_user_policy(UserName="kato.misaki", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")

    seed_hosted_zones(clients, INFO_ACCOUNT, {"demo-bank-news.example.jp": True})

    # A multi-region trail, logging, validated, KMS-encrypted, to CloudWatch Logs and an Object Lock bucket.
    s3 = clients("s3", "ap-northeast-1")
    bucket = "info-sys-org-trail-logs"
    s3.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}, ObjectLockEnabledForBucket=True
    )
    s3.put_object_lock_configuration(
        Bucket=bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 2555}},
        },
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        },
    )
    logs = clients("logs", "ap-northeast-1")
    logs.create_log_group(logGroupName="info-sys-cloudtrail")
    group_arn = logs.describe_log_groups(logGroupNamePrefix="info-sys-cloudtrail")["logGroups"][0]["arn"]
    key = clients("kms", "ap-northeast-1").create_key(Description="info-sys CloudTrail")["KeyMetadata"]["Arn"]
    trail = clients("cloudtrail", "ap-northeast-1")
    trail.create_trail(
        Name="info-sys-trail",
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=key,
        CloudWatchLogsLogGroupArn=group_arn,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{INFO_ACCOUNT}:role/CloudTrailToCloudWatch",
    )
    trail.start_logging(Name="info-sys-trail")

    # Every region: GuardDuty on, flow logs on every VPC to S3, network ACLs that deny SSH/RDP from
    # anywhere ahead of the default allow; no security group open to the internet.
    flow_bucket = "info-sys-vpc-flow-logs"
    s3.create_bucket(Bucket=flow_bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    for region in REGIONS:
        clients("guardduty", region).create_detector(Enable=True)
        ec2 = clients("ec2", region)
        vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
        ec2.create_flow_logs(
            ResourceIds=vpcs,
            ResourceType="VPC",
            TrafficType="ALL",
            LogDestinationType="s3",
            LogDestination=f"arn:aws:s3:::{flow_bucket}",
        )
        for acl in ec2.describe_network_acls()["NetworkAcls"]:
            for number, port in ((50, 22), (51, 3389)):
                for cidr in ({"CidrBlock": "0.0.0.0/0"}, {"Ipv6CidrBlock": "::/0"}):
                    ec2.create_network_acl_entry(
                        NetworkAclId=acl["NetworkAclId"],
                        RuleNumber=number + (10 if "Ipv6CidrBlock" in cidr else 0),
                        Protocol="6",
                        RuleAction="deny",
                        Egress=False,
                        PortRange={"From": port, "To": port},
                        **cidr,
                    )
