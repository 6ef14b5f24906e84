"""デモ銀行's inventory: AWS Config, tagged resources and its AWS Organizations organisation (2.2.1, 2.3.4.4 (b)).

What each resource shows:
- AWS Config in 勘定系 (123456789012): ap-northeast-1 records every type and IAM, delivers (passes);
  ap-northeast-3 has a recorder that was stopped (fails); us-east-1 has none (fails). 情報系 (345678901234)
  records in every region, IAM once in us-east-1 (passes).
- Tags (Owner, DataClassification, Environment): 勘定系's production queue and topic carry them all; a
  development queue in the same account carries only Environment (fails the required tags in ap-northeast-1,
  and mixes production and development in one account); the DR queue in ap-northeast-3 passes. 情報系's queue is
  tagged in full, production only (passes both).
- Organizations, managed from 勘定系: 情報系 in the Production OU, two development accounts in the Development OU
  (production and development are separate accounts); the sandbox account names no owner (fails).

Run in the emulator's own process (like the IAM ageing): moto makes member accounts with random IDs, which are
set here to fixed ones so that the demo stays the same run after run. This seed runs last, so that the random
numbers it draws change no other resource's ID.
"""

from __future__ import annotations

from typing import Any

from . import unserved
from .seed_second import INFO_ACCOUNT, AccountClients
from .server import DEMO_ACCOUNT, Emulator

DEV_ACCOUNT = "567890123456"  # 勘定系開発 (not the vendor's account, seed_identity.CONTRACTOR_ACCOUNT: that one is outside the organisation)
SANDBOX_ACCOUNT = "456789012345"  # 検証サンドボックス
CONFIG_ROLE = "arn:aws:iam::{account}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
_DELIVERED = {"lastStatus": "SUCCESS", "lastAttemptTime": "2026-01-05T00:00:00Z", "lastSuccessfulTime": "2026-01-05T00:00:00Z"}


def _tags(**tags: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _recorder(config: Any, account: str, bucket: str, include_global: bool, start: bool = True) -> None:
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": CONFIG_ROLE.format(account=account),
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": include_global},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    if not start:
        config.stop_configuration_recorder(ConfigurationRecorderName="default")


def _delivered(endpoint_url: str, account: str, region: str) -> None:
    """moto does not serve DescribeDeliveryChannelStatus: a hand-written answer, the last deliveries succeeded."""
    status = {
        "name": "default",
        "configSnapshotDeliveryInfo": _DELIVERED,
        "configHistoryDeliveryInfo": _DELIVERED,
        "configStreamDeliveryInfo": {"lastStatus": "NOT_APPLICABLE"},
    }
    unserved.register(
        endpoint_url,
        "config",
        "DescribeDeliveryChannelStatus",
        {"DeliveryChannelsStatus": [status]},
        account=account,
        region=region,
    )


def _organization(clients: Any) -> None:
    """The organisation, managed from 勘定系, with member accounts at fixed IDs."""
    org = clients("organizations", "us-east-1")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    units = {
        name: org.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
        for name in ("Production", "Development")
    }
    org.tag_resource(ResourceId=DEMO_ACCOUNT, Tags=_tags(Owner="システム統括部", Environment="production"))
    members = [
        (INFO_ACCOUNT, "情報系", "Production", _tags(Owner="情報システム部", Environment="production")),
        (DEV_ACCOUNT, "勘定系開発", "Development", _tags(Owner="勘定系システム部", Environment="development")),
        (SANDBOX_ACCOUNT, "検証サンドボックス", "Development", _tags(Environment="development")),  # no owner
    ]
    for account_id, name, unit, tags in members:
        org.create_account(AccountName=name, Email=f"aws-{account_id}@demo-bank.example.jp", Tags=tags)
        Emulator(clients.endpoint_url).set_member_account_id(DEMO_ACCOUNT, name, account_id)
        org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=units[unit])


def seed_inventory(clients: Any) -> None:
    """Config, tags and the organisation for both demo accounts (after seed_information_account)."""
    endpoint_url = clients.endpoint_url
    # 勘定系: Config complete in ap-northeast-1 (with IAM), stopped in ap-northeast-3, absent in us-east-1.
    s3 = clients("s3", "ap-northeast-1")
    bucket = "demo-bank-config-123456789012"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    _recorder(clients("config", "ap-northeast-1"), DEMO_ACCOUNT, bucket, include_global=True)
    _recorder(clients("config", "ap-northeast-3"), DEMO_ACCOUNT, bucket, include_global=False, start=False)
    for region in ("ap-northeast-1", "ap-northeast-3"):
        _delivered(endpoint_url, DEMO_ACCOUNT, region)

    production = {"Owner": "勘定系システム部", "Environment": "production"}
    sqs = clients("sqs", "ap-northeast-1")
    sqs.create_queue(QueueName="core-banking-batch", tags={**production, "DataClassification": "confidential"})
    sqs.create_queue(QueueName="core-banking-dev-test", tags={"Environment": "development"})  # no owner, no class
    clients("sns", "ap-northeast-1").create_topic(
        Name="core-banking-alerts", Tags=_tags(**production, DataClassification="internal")
    )
    clients("sqs", "ap-northeast-3").create_queue(
        QueueName="core-banking-dr-replica", tags={**production, "DataClassification": "confidential"}
    )

    # 情報系: Config in every region, IAM recorded once (us-east-1); a production queue tagged in full.
    info = AccountClients(endpoint_url, INFO_ACCOUNT)
    info_bucket = "info-sys-config-345678901234"
    info("s3", "ap-northeast-1").create_bucket(
        Bucket=info_bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    for region in ("ap-northeast-1", "ap-northeast-3", "us-east-1"):
        _recorder(info("config", region), INFO_ACCOUNT, info_bucket, include_global=region == "us-east-1")
        _delivered(endpoint_url, INFO_ACCOUNT, region)
    info("sqs", "ap-northeast-1").create_queue(
        QueueName="info-analytics-ingest",
        tags={"Owner": "情報システム部", "DataClassification": "internal", "Environment": "production"},
    )

    _organization(clients)
