"""The sample institution デモ銀行 (Demo Bank): seeded through boto3 like a real account.

It mixes good and bad settings so that every check shows both a pass and a
fail. What each resource is meant to show is said next to it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from botocore.config import Config

from .seed_crypto import seed_crypto
from .seed_detection import seed_detection
from .seed_dns import seed_hosted_zones
from .seed_hosts import seed_hosts
from .seed_identity import age_identity, seed_identity
from .seed_inventory import seed_inventory
from .seed_second import seed_information_account
from .seed_compute import seed_compute
from .seed_logging import seed_logging
from .seed_network import seed_network
from .seed_recovery import seed_recovery
from .seed_storage import encrypt_every_bucket, seed_information_storage, seed_storage
from .seed_thirdparty import seed_thirdparty
from .seed_topology import seed_topology
from .server import DEMO_ACCOUNT, Emulator, demo_session_credentials, seeding_session

DEMO_REGIONS = ["ap-northeast-1", "ap-northeast-3", "us-east-1"]

ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
READONLY_ARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"


@dataclass
class DemoClients:
    """boto3 clients of the demo's management account, with the emulator's fake keys given to them (never through the
    environment, and whatever profile the environment names)."""

    endpoint_url: str
    region: str = "ap-northeast-1"
    _cache: dict[tuple[str, str], Any] = field(default_factory=dict)
    session: Any = field(default_factory=lambda: seeding_session(demo_session_credentials()))

    def __call__(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        if key not in self._cache:
            self._cache[key] = self.session.client(
                service,
                region_name=key[1],
                endpoint_url=self.endpoint_url,
                config=Config(retries={"max_attempts": 2}),
            )
        return self._cache[key]


def _mfa(iam: Any, user: str) -> None:
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=f"{user}-mfa")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName=user, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321")


def _user(
    iam: Any, name: str, console: bool = False, mfa: bool = False, keys: int = 0, tags: dict[str, str] | None = None
) -> None:
    iam.create_user(UserName=name, Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])
    if console:
        iam.create_login_profile(UserName=name, Password="Demo-Passw0rd!-not-real")
    if mfa:
        _mfa(iam, name)
    for _ in range(keys):
        iam.create_access_key(UserName=name)


def seed_iam(clients: DemoClients) -> None:
    iam = clients("iam")
    # Weak password policy: 8 characters, no symbols, no reuse prevention, no expiry (fails iam_password_policy).
    iam.update_account_password_policy(
        MinimumPasswordLength=8,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        RequireNumbers=True,
        RequireSymbols=False,
        AllowUsersToChangePassword=True,
    )
    iam.create_group(GroupName="Administrators")
    iam.attach_group_policy(GroupName="Administrators", PolicyArn=ADMIN_ARN)  # fails iam_admin_privileges
    iam.create_group(GroupName="Auditors")
    iam.attach_group_policy(GroupName="Auditors", PolicyArn=READONLY_ARN)

    # Good: console user with MFA, in the read-only auditors group.
    _user(iam, "sato.hanako", console=True, mfa=True, tags={"department": "内部監査部"})
    iam.add_user_to_group(GroupName="Auditors", UserName="sato.hanako")
    # Administrator with MFA, but administrator rights on an everyday user through the group.
    _user(iam, "tanaka.taro", console=True, mfa=True, tags={"department": "システム部"})
    iam.add_user_to_group(GroupName="Administrators", UserName="tanaka.taro")
    # Console user without MFA (fails iam_user_console_mfa, 2.3.1-5).
    _user(iam, "suzuki.ichiro", console=True, mfa=False, tags={"department": "営業企画部"})
    # A leaver whose console password has not been used for months (fails iam_unused_credentials).
    _user(iam, "yamada.jiro", console=True, mfa=True, tags={"department": "退職予定"})
    # Batch user: one key 400 days old, last used 200 days ago (fails key age and unused credentials).
    _user(iam, "batch-legacy", keys=1, tags={"system": "勘定系連携バッチ"})
    # CI user: two active keys (fails iam_multiple_active_keys); recent.
    _user(iam, "ci-deploy", keys=2, tags={"system": "CI/CD"})
    # Healthy automation user: one recent, recently used key.
    _user(iam, "reporting-app", keys=1, tags={"system": "帳票システム"})
    # Operations user with an inline "*" on "*" policy (fails iam_admin_privileges).
    _user(iam, "ops-oncall", console=True, mfa=True)
    iam.put_user_policy(
        UserName="ops-oncall",
        PolicyName="EmergencyFullAccess",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )

    account_root = f"arn:aws:iam::{DEMO_ACCOUNT}:root"
    # Break-glass admin role that can only be assumed with MFA (passes iam_admin_privileges).
    iam.create_role(
        RoleName="BreakGlassAdmin",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": account_root},
                        "Action": "sts:AssumeRole",
                        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                    }
                ],
            }
        ),
    )
    iam.attach_role_policy(RoleName="BreakGlassAdmin", PolicyArn=ADMIN_ARN)
    # Read-only audit role used by this kit.
    iam.create_role(
        RoleName="FsaAssessmentReadOnly",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": account_root}, "Action": "sts:AssumeRole"}],
            }
        ),
    )
    iam.attach_role_policy(RoleName="FsaAssessmentReadOnly", PolicyArn="arn:aws:iam::aws:policy/SecurityAudit")


def age_iam(emulator: Emulator) -> None:
    """Dates the emulator cannot be told through its API (edited in its own process: :class:`.server.Emulator`)."""
    emulator.age_user(DEMO_ACCOUNT, "sato.hanako", created_days_ago=420, password_last_used_days_ago=3)
    emulator.age_user(DEMO_ACCOUNT, "tanaka.taro", created_days_ago=800, password_last_used_days_ago=1)
    emulator.age_user(DEMO_ACCOUNT, "suzuki.ichiro", created_days_ago=150, password_last_used_days_ago=10)
    emulator.age_user(DEMO_ACCOUNT, "yamada.jiro", created_days_ago=1200, password_last_used_days_ago=210)
    emulator.age_user(DEMO_ACCOUNT, "batch-legacy", created_days_ago=900, key_ages={1: 400}, key_last_used={1: 200})
    emulator.age_user(DEMO_ACCOUNT, "ci-deploy", created_days_ago=60, key_ages={1: 30, 2: 5}, key_last_used={1: 1, 2: 2})
    emulator.age_user(DEMO_ACCOUNT, "reporting-app", created_days_ago=365, key_ages={1: 45}, key_last_used={1: 0})
    emulator.age_user(DEMO_ACCOUNT, "ops-oncall", created_days_ago=500, password_last_used_days_ago=20)


def seed_cloudtrail(clients: DemoClients) -> None:
    s3 = clients("s3")
    # Main trail: single-region (fails multi-region coverage), validation off (fails log validation),
    # delivered to a bucket with a public-read ACL (fails cloudtrail_bucket_not_public).
    s3.create_bucket(Bucket="demo-bank-cloudtrail-logs", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    s3.put_bucket_acl(Bucket="demo-bank-cloudtrail-logs", ACL="public-read")
    trail = clients("cloudtrail")
    # Delivered to CloudWatch Logs (passes), not KMS-encrypted (fails), bucket without Object Lock (fails).
    logs = clients("logs")
    logs.create_log_group(logGroupName="demo-bank-cloudtrail")
    group_arn = logs.describe_log_groups(logGroupNamePrefix="demo-bank-cloudtrail")["logGroups"][0]["arn"]
    trail.create_trail(
        Name="demo-bank-trail",
        S3BucketName="demo-bank-cloudtrail-logs",
        IsMultiRegionTrail=False,
        CloudWatchLogsLogGroupArn=group_arn,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{DEMO_ACCOUNT}:role/CloudTrailToCloudWatch",
    )
    trail.start_logging(Name="demo-bank-trail")
    # Osaka DR trail: validation on, private bucket with Block Public Access (passes), but not logging.
    osaka = clients("s3", "ap-northeast-3")
    # Object Lock in compliance mode keeps the DR logs tamper-proof (passes cloudtrail_bucket_tamper_resistance).
    osaka.create_bucket(
        Bucket="demo-bank-dr-trail-logs",
        CreateBucketConfiguration={"LocationConstraint": "ap-northeast-3"},
        ObjectLockEnabledForBucket=True,
    )
    osaka.put_object_lock_configuration(
        Bucket="demo-bank-dr-trail-logs",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 2555}},
        },
    )
    osaka.put_public_access_block(
        Bucket="demo-bank-dr-trail-logs",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    # KMS-encrypted (passes), not delivered to CloudWatch Logs (fails).
    key_id = clients("kms", "ap-northeast-3").create_key(Description="demo-bank CloudTrail logs")["KeyMetadata"]["Arn"]
    clients("cloudtrail", "ap-northeast-3").create_trail(
        Name="demo-bank-dr-trail", S3BucketName="demo-bank-dr-trail-logs", EnableLogFileValidation=True, KmsKeyId=key_id
    )


def seed_ses(clients: DemoClients) -> None:
    """SES in Tokyo: the main domain with DKIM and a custom MAIL FROM (passes both SES checks), the
    newsletter domain without a custom MAIL FROM (fails ses_custom_mail_from). The emulator reports
    every identity's DKIM as verified, so a DKIM failure is shown by the tests only."""
    ses = clients("ses")
    ses.verify_domain_identity(Domain="demo-bank.example.jp")
    ses.verify_domain_dkim(Domain="demo-bank.example.jp")
    ses.set_identity_mail_from_domain(
        Identity="demo-bank.example.jp", MailFromDomain="bounce.demo-bank.example.jp", BehaviorOnMXFailure="RejectMessage"
    )
    ses.verify_domain_identity(Domain="demo-bank-news.example.jp")
    ses.verify_domain_dkim(Domain="demo-bank-news.example.jp")


def seed_demo_bank(endpoint_url: str) -> None:
    """Create デモ銀行's resources in the emulator at ``endpoint_url`` and age its IAM dates."""
    clients = DemoClients(endpoint_url)
    emulator = Emulator(endpoint_url)
    emulator.install_aws_managed_policies(DEMO_ACCOUNT)
    seed_iam(clients)
    seed_cloudtrail(clients)
    seed_ses(clients)
    seed_identity(clients)
    seed_network(clients)
    seed_compute(clients)
    seed_storage(clients)
    seed_topology(clients)
    seed_crypto(clients)  # keys, certificates, TLS and WAF rules on seed_network's endpoints
    seed_hosts(clients)  # after the network: its instances sit in the network's VPCs
    # 勘定系 serves the bank's main domains; the card domain's queries are not logged.
    seed_hosted_zones(clients, DEMO_ACCOUNT, {"demo-bank.example.jp": True, "demo-bank-card.example.jp": False})
    seed_information_account(endpoint_url)
    seed_information_storage(endpoint_url)
    seed_logging(endpoint_url, clients)
    age_iam(emulator)
    age_identity(emulator)
    seed_detection(endpoint_url, clients)  # after seed_logging: its topics, trail log groups and hubs
    seed_recovery(endpoint_url, clients)  # after seed_storage: its Tokyo vault
    seed_inventory(clients)  # after the others: moto draws random IDs for the organisation's accounts
    seed_thirdparty(clients)  # after the organisation: shares the bank's resources with its vendor
    encrypt_every_bucket(clients, endpoint_url)  # last: S3's default encryption on every bucket, as AWS applies it
