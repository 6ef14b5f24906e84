"""デモ銀行's detection (2.4): a passing and a failing case for each check, on the resources already seeded.

- GuardDuty in every region (seed_network): 勘定系 Tokyo on (pass), Osaka suspended and Virginia without a
  detector (fail); 情報系 on everywhere (pass).
- Protection plans: 勘定系's Tokyo detector has malware protection only (fail); 情報系's detectors have every plan
  (pass).
- Findings export and open high-severity findings (hand-built: the emulator serves neither ListPublishingDestinations
  nor ListFindings/GetFindings): 勘定系 exports nowhere (fail) and has a backdoor finding open for 40 days (fail);
  情報系 exports to S3 (pass) and has no open high-severity finding (pass).
- Security Hub aggregator (hand-built: ListFindingAggregators/GetFindingAggregator not served): 情報系 aggregates
  every region in Tokyo (pass); 勘定系 has none (fail).
- Routing: 勘定系's GuardDuty rule targets the topic security-alerts, which nobody subscribes to (fail); 情報系's
  Security Hub rule in the aggregation region reaches its topic with a confirmed subscription (pass, the other
  regions through the aggregator).
- Alarms on the trail's log group (seed_logging's filters): 勘定系's IAM policy change alarm does not notify (personnel
  access fails), 情報系's do (pass); 情報系 watches AssumeRole (third-party access passes), 勘定系 does not (fail).
- Central log destination: 情報系 forwards its trail's log group with a subscription filter and has a Security Lake
  data lake (hand-built: Security Lake not served) (pass); 勘定系 has nothing (fail).

Runs after seed_network, seed_hosts, seed_information_account and seed_logging (it adds to their resources).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from . import unserved
from .seed_logging import INFO_TRAIL_GROUP, metric_alarms
from .seed_second import INFO_ACCOUNT, REGIONS, AccountClients
from .server import DEMO_ACCOUNT

TOKYO = "ap-northeast-1"
_FEATURES = ("S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING")
_ASSUME_ROLE = '{ ($.eventName = "AssumeRole") && ($.userIdentity.type = "AWSAccount") }'


def _rule(clients: Any, name: str, source: str, topic: str) -> None:
    events = clients("events", TOKYO)
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [source], "detail-type": ["Finding"]}), State="ENABLED")
    events.put_targets(Rule=name, Targets=[{"Id": "notify", "Arn": topic}])


def _finding(finding_id: str, kind: str, severity: float, created: dt.datetime) -> dict[str, Any]:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "accountId": DEMO_ACCOUNT,
        "arn": f"arn:aws:guardduty:{TOKYO}:{DEMO_ACCOUNT}:detector/demo/finding/{finding_id}",
        "createdAt": stamp,
        "id": finding_id,
        "region": TOKYO,
        "resource": {"resourceType": "Instance"},
        "schemaVersion": "2.0",
        "severity": severity,
        "type": kind,
        "updatedAt": stamp,
        "title": kind,
        "service": {"archived": False, "count": 3, "serviceName": "guardduty"},
    }


def _hand_built(endpoint_url: str) -> None:
    """Answers for the APIs the emulator does not serve: 情報系's and 勘定系's own, everyone else's empty. GuardDuty
    speaks rest-json with lower-camel-case names on the wire: its answers are written in those names."""
    reg = unserved.register
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    # GuardDuty publishing destinations: 情報系 exports to S3 in every region.
    reg(endpoint_url, "guardduty", "ListPublishingDestinations", {"destinations": []})
    destination = {"destinationId": "info-sys-findings", "destinationType": "S3", "status": "PUBLISHING"}
    reg(endpoint_url, "guardduty", "ListPublishingDestinations", {"destinations": [destination]}, account=INFO_ACCOUNT)
    properties = {
        "destinationArn": "arn:aws:s3:::info-sys-guardduty-findings",
        "kmsKeyArn": f"arn:aws:kms:{TOKYO}:{INFO_ACCOUNT}:key/guardduty-findings",
    }
    detail = {**destination, "publishingFailureStartTimestamp": 0, "destinationProperties": properties}
    reg(endpoint_url, "guardduty", "DescribePublishingDestination", detail, account=INFO_ACCOUNT)
    # Open high-severity findings: 勘定系 Tokyo has one 40 days old and one 2 days old.
    reg(endpoint_url, "guardduty", "ListFindings", {"findingIds": []})
    findings = [
        _finding("demo-backdoor", "Backdoor:EC2/C&CActivity.B!DNS", 8.0, now - dt.timedelta(days=40)),
        _finding("demo-portprobe", "Recon:EC2/PortProbeUnprotectedPort", 7.2, now - dt.timedelta(days=2)),
    ]
    ids = {"findingIds": [f["id"] for f in findings]}
    reg(endpoint_url, "guardduty", "ListFindings", ids, account=DEMO_ACCOUNT, region=TOKYO)
    reg(endpoint_url, "guardduty", "GetFindings", {"findings": findings}, account=DEMO_ACCOUNT, region=TOKYO)
    # Security Hub aggregator: 情報系 gathers every region in Tokyo.
    arn = f"arn:aws:securityhub:{TOKYO}:{INFO_ACCOUNT}:finding-aggregator/info-sys"
    reg(endpoint_url, "securityhub", "ListFindingAggregators", {"FindingAggregators": []})
    listed = {"FindingAggregators": [{"FindingAggregatorArn": arn}]}
    reg(endpoint_url, "securityhub", "ListFindingAggregators", listed, account=INFO_ACCOUNT)
    aggregator = {
        "FindingAggregatorArn": arn,
        "FindingAggregationRegion": TOKYO,
        "RegionLinkingMode": "ALL_REGIONS",
        "Regions": [],
    }
    reg(endpoint_url, "securityhub", "GetFindingAggregator", aggregator, account=INFO_ACCOUNT, region=TOKYO)
    # Security Lake: 情報系 has a data lake in Tokyo.
    reg(endpoint_url, "securitylake", "ListDataLakes", {"dataLakes": []})
    lake = {
        "dataLakeArn": f"arn:aws:securitylake:{TOKYO}:{INFO_ACCOUNT}:data-lake/default",
        "region": TOKYO,
        "createStatus": "COMPLETED",
    }
    reg(endpoint_url, "securitylake", "ListDataLakes", {"dataLakes": [lake]}, account=INFO_ACCOUNT)


def seed_detection(endpoint_url: str, clients: Any) -> None:
    """Add デモ銀行's detection settings to the seeded estate (see the module's docstring)."""
    _hand_built(endpoint_url)
    # 勘定系: a GuardDuty rule to a topic nobody subscribes to.
    _rule(clients, "guardduty-findings", "aws.guardduty", f"arn:aws:sns:{TOKYO}:{DEMO_ACCOUNT}:security-alerts")
    info = AccountClients(endpoint_url, INFO_ACCOUNT)
    for region in REGIONS:
        guardduty = info("guardduty", region)
        detector = guardduty.list_detectors()["DetectorIds"][0]
        guardduty.update_detector(DetectorId=detector, Features=[{"Name": f, "Status": "ENABLED"} for f in _FEATURES])
    topic = f"arn:aws:sns:{TOKYO}:{INFO_ACCOUNT}:security-alerts"  # seed_logging's, for the metric alarms
    info("sns", TOKYO).subscribe(TopicArn=topic, Protocol="email", Endpoint="csirt@demo-bank.example.jp")
    _rule(info, "securityhub-findings", "aws.securityhub", topic)
    # 情報系 forwards its trail's log group to the SIEM's collector (a log group standing in for its ingestion).
    logs = info("logs", TOKYO)
    logs.create_log_group(logGroupName="info-sys-siem-ingest")
    sink = logs.describe_log_groups(logGroupNamePrefix="info-sys-siem-ingest")["logGroups"][0]["arn"]
    logs.put_subscription_filter(logGroupName=INFO_TRAIL_GROUP, filterName="to-siem", filterPattern="", destinationArn=sink)
    # 情報系 watches roles assumed by other accounts (third-party access).
    metric_alarms(info, INFO_TRAIL_GROUP, (("external-assume-role", _ASSUME_ROLE, True),))
