"""2.4 detection: the collectors against moto (server mode, real HTTP) on two accounts seeded once for the module,
every check passing and failing from that evidence, nothing to assess and missing evidence from hand-built bundles.

The emulator serves neither GuardDuty's findings and publishing destinations, nor Security Hub's finding
aggregators and enabled standards, nor Security Lake: their answers are hand-built and served by the unserved-API
layer (``assess_lib.demo.unserved``), as AWS would send them on the wire."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import ACCOUNT, make_bundle, verdicts

from assess_lib import evidence as ev
from assess_lib.aws.collectors import AccountContext
from assess_lib.aws.session import ClientFactory
from assess_lib.checks.s2_4_detection import linked_regions, required_plans
from assess_lib.datasets import DATASETS, GLOBAL_SCOPE
from assess_lib.demo import unserved
from assess_lib.demo.server import demo_credentials
from assess_lib.evidence import GLOBAL, Bundle, CollectionError, EvidenceStore

OTHER = "210987654321"  # the second account: detection mostly missing
TOKYO, OSAKA = "ap-northeast-1", "ap-northeast-3"
REGIONS = [TOKYO, OSAKA]
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DATASETS_READ = (
    "guardduty.detectors",
    "guardduty.publishing_destinations",
    "guardduty.high_findings",
    "securityhub.hub",
    "securityhub.finding_aggregators",
    "events.finding_rules",
    "sns.subscriptions",
    "cloudtrail.trails",
    "logs.metric_filters",
    "cloudwatch.metric_alarms",
    "logs.trail_subscription_filters",
    "securitylake.data_lakes",
)
FEATURES = ("S3_DATA_EVENTS", "EKS_AUDIT_LOGS", "EBS_MALWARE_PROTECTION", "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING")
FILTERS = {
    "root": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    "signin": '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }',
    "iam": "{ ($.eventName = PutRolePolicy) || ($.eventName = AttachRolePolicy) || ($.eventName = Put*Policy) || "
    "($.eventName = Delete*Policy) || ($.eventName = Attach*Policy) || ($.eventName = Detach*Policy) || "
    "($.eventName = CreatePolicy*) || ($.eventName = DeletePolicyVersion) }",
    "assume": '{ ($.eventName = "AssumeRole") && ($.userIdentity.type = "AWSAccount") }',
}


def _session(url: str, account: str) -> boto3.Session:
    if account == ACCOUNT:
        return boto3.Session()
    sts = boto3.client("sts", endpoint_url=url, region_name=TOKYO)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/audit", RoleSessionName="test")["Credentials"]
    return boto3.Session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def _finding(finding_id: str, days: int) -> dict[str, Any]:
    """A GuardDuty finding as the service sends it (rest-json, lower camel case on the wire)."""
    stamp = (NOW - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "id": finding_id,
        "type": "Backdoor:EC2/C&CActivity.B",
        "severity": 8.0,
        "title": "C&C activity",
        "createdAt": stamp,
        "updatedAt": stamp,
        "resource": {"resourceType": "Instance"},
        "service": {"archived": False, "count": 2},
    }


def _hand_built(url: str) -> None:
    """The answers the emulator cannot give (see the module docstring)."""
    reg = unserved.register
    reg(url, "securityhub", "GetEnabledStandards", {"StandardsSubscriptions": []})
    reg(url, "guardduty", "ListPublishingDestinations", {"destinations": []})
    dest = {"destinationId": "d1", "destinationType": "S3", "status": "PUBLISHING"}
    reg(url, "guardduty", "ListPublishingDestinations", {"destinations": [dest]}, account=ACCOUNT, region=TOKYO)
    detail = {**dest, "publishingFailureStartTimestamp": 0, "destinationProperties": {"destinationArn": "arn:aws:s3:::findings"}}
    reg(url, "guardduty", "DescribePublishingDestination", detail, account=ACCOUNT, region=TOKYO)
    # Tokyo: 120 open findings listed, read 50 at a time (none older than the limit); Osaka: one 30 days old, one new.
    reg(url, "guardduty", "ListFindings", {"findingIds": [f"f{i}" for i in range(120)]}, account=ACCOUNT, region=TOKYO)
    reg(url, "guardduty", "GetFindings", {"findings": []}, account=ACCOUNT, region=TOKYO)
    reg(url, "guardduty", "ListFindings", {"findingIds": ["old", "new"]}, account=ACCOUNT, region=OSAKA)
    reg(url, "guardduty", "GetFindings", {"findings": [_finding("old", 30), _finding("new", 1)]}, account=ACCOUNT, region=OSAKA)
    arn = f"arn:aws:securityhub:{TOKYO}:{ACCOUNT}:finding-aggregator/a1"
    reg(url, "securityhub", "ListFindingAggregators", {"FindingAggregators": []})
    reg(url, "securityhub", "ListFindingAggregators", {"FindingAggregators": [{"FindingAggregatorArn": arn}]}, account=ACCOUNT)
    aggregator = {
        "FindingAggregatorArn": arn,
        "FindingAggregationRegion": TOKYO,
        "RegionLinkingMode": "ALL_REGIONS",
        "Regions": [],
    }
    reg(url, "securityhub", "GetFindingAggregator", aggregator, account=ACCOUNT, region=TOKYO)
    reg(url, "securitylake", "ListDataLakes", {"dataLakes": []})


def _trail(session: boto3.Session, url: str, account: str, filters: tuple[str, ...]) -> str:
    """A trail delivering to the log group "trail" with ``filters``, each with an alarm notifying a topic."""
    logs = session.client("logs", region_name=TOKYO, endpoint_url=url)
    logs.create_log_group(logGroupName="trail")
    group = logs.describe_log_groups(logGroupNamePrefix="trail")["logGroups"][0]["arn"]
    s3 = session.client("s3", region_name=TOKYO, endpoint_url=url)
    s3.create_bucket(Bucket=f"trail-{account}", CreateBucketConfiguration={"LocationConstraint": TOKYO})
    session.client("cloudtrail", region_name=TOKYO, endpoint_url=url).create_trail(
        Name="main",
        S3BucketName=f"trail-{account}",
        CloudWatchLogsLogGroupArn=group,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{account}:role/ct",
    )
    topic = session.client("sns", region_name=TOKYO, endpoint_url=url).create_topic(Name="alerts")["TopicArn"]
    cloudwatch = session.client("cloudwatch", region_name=TOKYO, endpoint_url=url)
    for name in filters:
        logs.put_metric_filter(
            logGroupName="trail",
            filterName=name,
            filterPattern=FILTERS[name],
            metricTransformations=[{"metricName": name, "metricNamespace": "Sec", "metricValue": "1"}],
        )
        cloudwatch.put_metric_alarm(
            AlarmName=f"alarm-{name}",
            MetricName=name,
            Namespace="Sec",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic],
        )
    return topic


def _rule(session: boto3.Session, url: str, name: str, source: str, target: str) -> None:
    events = session.client("events", region_name=TOKYO, endpoint_url=url)
    events.put_rule(Name=name, EventPattern=json.dumps({"source": [source]}), State="ENABLED")
    events.put_targets(Rule=name, Targets=[{"Id": "t", "Arn": target}])


def _seed(url: str) -> None:
    """ACCOUNT: detection in place, with gaps in Osaka; OTHER: detection mostly missing."""
    _hand_built(url)
    good, other = _session(url, ACCOUNT), _session(url, OTHER)
    for region, features in ((TOKYO, FEATURES), (OSAKA, ("EBS_MALWARE_PROTECTION",))):
        good.client("guardduty", region_name=region, endpoint_url=url).create_detector(
            Enable=True, Features=[{"Name": f, "Status": "ENABLED"} for f in features]
        )
        good.client("securityhub", region_name=region, endpoint_url=url).enable_security_hub()
    topic = _trail(good, url, ACCOUNT, ("root", "signin", "iam", "assume"))
    good.client("sns", region_name=TOKYO, endpoint_url=url).subscribe(TopicArn=topic, Protocol="email", Endpoint="soc@example.jp")
    _rule(good, url, "hub-findings", "aws.securityhub", topic)
    _rule(good, url, "unrelated", "aws.ec2", topic)  # not a finding rule: its targets are never listed
    logs = good.client("logs", region_name=TOKYO, endpoint_url=url)
    logs.create_log_group(logGroupName="siem-forwarder")
    sink = logs.describe_log_groups(logGroupNamePrefix="siem-forwarder")["logGroups"][0]["arn"]
    logs.put_subscription_filter(logGroupName="trail", filterName="to-siem", filterPattern="", destinationArn=sink)
    # OTHER: GuardDuty suspended in Tokyo, absent in Osaka; Security Hub in Tokyo only, its rule's topic unsubscribed.
    other.client("guardduty", region_name=TOKYO, endpoint_url=url).create_detector(Enable=False)
    other.client("securityhub", region_name=TOKYO, endpoint_url=url).enable_security_hub()
    other_topic = _trail(other, url, OTHER, ("root",))
    _rule(other, url, "hub-findings", "aws.securityhub", other_topic)


def _collect(url: str, run_dir: Path) -> Bundle:
    store = EvidenceStore(run_id="detection-test", started_at=NOW.isoformat())
    store.meta = {"accounts": [ACCOUNT, OTHER], "regions": {ACCOUNT: REGIONS, OTHER: REGIONS}, "domains": []}
    for account in (ACCOUNT, OTHER):
        ctx = AccountContext(account, ClientFactory(_session(url, account), url, max_attempts=2), store, REGIONS)
        for name in DATASETS_READ:
            for region in [GLOBAL] if DATASETS[name].scope == GLOBAL_SCOPE else REGIONS:
                ctx.dataset(name, region)
    store.save(run_dir, NOW.isoformat())
    return Bundle.load(run_dir)


@pytest.fixture(scope="module")
def bundle(moto_server, tmp_path_factory) -> Bundle:
    moto_server.reset()
    with demo_credentials():
        _seed(moto_server.url)
        return _collect(moto_server.url, tmp_path_factory.mktemp("detection") / "run")


def run_one(check_id: str, bundle: Bundle, thresholds: dict[str, Any] | None = None) -> list[Any]:
    """Findings of one check for every account of the bundle (the shared helper runs the first account only)."""
    from assess_lib.checks import registry
    from assess_lib.checks.runner import run_check
    from assess_lib.thresholds import DEFAULT_THRESHOLDS

    spec = registry()[check_id]
    findings = [
        f for account in bundle.accounts for f in run_check(spec, bundle, account, {**DEFAULT_THRESHOLDS, **(thresholds or {})})
    ]
    first = findings[0].control_id if findings else None
    return [f for f in findings if f.control_id == first]


def _by(findings, account: str) -> dict[tuple[str, str], Any]:
    first = findings[0].control_id
    return {(f.region, f.resource): f for f in findings if f.account_id == account and f.control_id == first}


# --- collectors ------------------------------------------------------------------------------------------


def test_collected_rows(bundle):
    for account in (ACCOUNT, OTHER):
        for name in DATASETS_READ:
            for region in [GLOBAL] if DATASETS[name].scope == GLOBAL_SCOPE else REGIONS:
                assert bundle.entry(name, account, region)["status"] == "ok", (account, name, region)
    [dest] = bundle.rows("guardduty.publishing_destinations", ACCOUNT, TOKYO)
    assert dest["destination_arn"] == "arn:aws:s3:::findings" and dest["status"] == "PUBLISHING"
    assert dest["detector_id"] == bundle.rows("guardduty.detectors", ACCOUNT, TOKYO)[0]["detector_id"]
    # 120 listed IDs are read in three GetFindings calls (50 at most each), not one call per finding.
    assert bundle.entry("guardduty.high_findings", ACCOUNT, TOKYO)["calls"] == 4
    osaka = {f["finding_id"]: f for f in bundle.rows("guardduty.high_findings", ACCOUNT, OSAKA)}
    assert set(osaka) == {"old", "new"} and osaka["old"]["severity"] == 8.0
    # A suspended detector is not asked for findings.
    assert bundle.rows("guardduty.high_findings", OTHER, TOKYO) == []
    [aggregator] = bundle.rows("securityhub.finding_aggregators", ACCOUNT, TOKYO)
    assert aggregator["region_linking_mode"] == "ALL_REGIONS"
    assert bundle.rows("securityhub.finding_aggregators", ACCOUNT, OSAKA) == []  # described once, where it lives
    [rule] = bundle.rows("events.finding_rules", ACCOUNT, TOKYO)
    assert rule["rule_name"] == "hub-findings" and rule["sources"] == ["aws.securityhub"]
    assert rule["targets"] == [{"arn": f"arn:aws:sns:{TOKYO}:{ACCOUNT}:alerts", "kind": "sns"}]
    [sub] = bundle.rows("sns.subscriptions", ACCOUNT, TOKYO)
    assert sub == {"topic_arn": f"arn:aws:sns:{TOKYO}:{ACCOUNT}:alerts", "protocol": "email", "confirmed": True}
    [forward] = bundle.rows("logs.trail_subscription_filters", ACCOUNT, TOKYO)
    assert forward["log_group"] == "trail" and "siem-forwarder" in forward["destination_arn"]
    assert bundle.rows("logs.trail_subscription_filters", ACCOUNT, OSAKA) == []  # no trail log group there: no call
    assert bundle.entry("logs.trail_subscription_filters", ACCOUNT, OSAKA)["calls"] == 0


# --- checks from the emulator's evidence ------------------------------------------------------------------


def test_guardduty_all_regions(bundle):
    findings = run_one("guardduty_all_regions", bundle)
    assert {k: f.verdict.value for k, f in _by(findings, ACCOUNT).items()} == {
        (TOKYO, "GuardDuty"): "pass",
        (OSAKA, "GuardDuty"): "pass",
    }
    other = _by(findings, OTHER)
    assert other[(TOKYO, "GuardDuty")].verdict.value == "fail" and "suspended" in other[(TOKYO, "GuardDuty")].message_en
    assert other[(OSAKA, "GuardDuty")].verdict.value == "fail" and OSAKA in other[(OSAKA, "GuardDuty")].message_en
    assert "検出器がない" in other[(OSAKA, "GuardDuty")].message_ja


def test_guardduty_plans_export_and_open_findings(bundle):
    plans = {f.region: f for f in run_one("guardduty_protection_plans", bundle) if f.account_id == ACCOUNT}
    assert plans[TOKYO].verdict.value == "pass" and plans[OSAKA].verdict.value == "fail"
    # One finding per detector listing the plans that are off (malware protection is on in Osaka).
    assert plans[OSAKA].details["plans_off"] == ["s3", "eks", "rds", "runtime"]
    assert "Malware" not in plans[OSAKA].message_en and "Runtime Monitoring" in plans[OSAKA].message_en
    # Without EKS and RDS in use, the consultant narrows the plans: still failing on the other two.
    narrowed = run_one("guardduty_protection_plans", bundle, {"guardduty_required_plans": "malware"})
    assert {f.region: f.verdict.value for f in narrowed if f.account_id == ACCOUNT} == {TOKYO: "pass", OSAKA: "pass"}
    exported = {f.region: f for f in run_one("guardduty_findings_exported", bundle) if f.account_id == ACCOUNT}
    assert exported[TOKYO].verdict.value == "pass" and "arn:aws:s3:::findings" in exported[TOKYO].message_en
    assert exported[OSAKA].verdict.value == "fail"
    aged = {f.region: f for f in run_one("guardduty_high_findings_open", bundle) if f.account_id == ACCOUNT}
    assert aged[TOKYO].verdict.value == "pass"
    assert aged[OSAKA].verdict.value == "fail" and aged[OSAKA].details["finding_ids"] == ["old"]
    assert "30" in aged[OSAKA].message_en and "7 days" in aged[OSAKA].message_en
    # The limit is a parameter: at 60 days the 30-day-old finding is within it.
    relaxed = run_one("guardduty_high_findings_open", bundle, {"guardduty_high_finding_max_open_days": 60})
    assert {f.region: f.verdict.value for f in relaxed if f.account_id == ACCOUNT} == {TOKYO: "pass", OSAKA: "pass"}
    # OTHER has no enabled detector: nothing to assess in either region.
    for check_id in ("guardduty_protection_plans", "guardduty_findings_exported", "guardduty_high_findings_open"):
        assert {f.verdict.value for f in run_one(check_id, bundle) if f.account_id == OTHER} == {"not_applicable"}


def test_securityhub_aggregator(bundle):
    found = {f.account_id: f for f in run_one("securityhub_aggregator", bundle)}
    assert found[ACCOUNT].verdict.value == "pass" and found[ACCOUNT].region == TOKYO
    assert found[OTHER].verdict.value == "fail" and "no cross-region aggregator" in found[OTHER].message_en


def test_findings_routed(bundle):
    findings = run_one("findings_routed", bundle)
    good = {f.region: f for f in findings if f.account_id == ACCOUNT}
    assert good[TOKYO].verdict.value == "pass" and "hub-findings" in good[TOKYO].message_en
    assert good[OSAKA].verdict.value == "pass" and "aggregation region ap-northeast-1" in good[OSAKA].message_en
    assert "GuardDutyとSecurity Hub" in good[TOKYO].message_ja
    # OTHER: a rule whose topic nobody subscribes to, in Tokyo; nothing produces findings in Osaka.
    [other] = [f for f in findings if f.account_id == OTHER]
    assert (other.region, other.verdict.value) == (TOKYO, "fail") and "hub-findings" in other.message_en


def test_access_alarms(bundle):
    personnel = {f.account_id: f for f in run_one("personnel_access_alarms", bundle)}
    assert personnel[ACCOUNT].verdict.value == "pass"
    assert personnel[OTHER].verdict.value == "fail"
    assert personnel[OTHER].details["events_unmonitored"] == ["signin_failures", "iam_policy_changes"]
    assert "root" not in personnel[OTHER].message_en and "サインイン失敗" in personnel[OTHER].message_ja
    third = {f.account_id: f.verdict.value for f in run_one("third_party_access_alarm", bundle)}
    assert third == {ACCOUNT: "pass", OTHER: "fail"}


def test_central_log_destination(bundle):
    found = {f.account_id: f for f in run_one("central_log_destination", bundle)}
    assert found[ACCOUNT].verdict.value == "pass" and "trail → siem-forwarder" in found[ACCOUNT].message_en
    assert found[OTHER].verdict.value == "fail"


# --- hand-built evidence: what the emulator cannot produce, nothing to assess, missing evidence ----------------


def test_routing_states_the_emulator_cannot_show(tmp_path):
    """moto confirms every subscription at once: a pending one is hand-built here, as are a disabled rule, a rule
    forwarding to another account's event bus and a region without any rule."""
    detector = [{"detector_id": "d", "status": "ENABLED", "features": {}}]
    topic = f"arn:aws:sns:{TOKYO}:{ACCOUNT}:alerts"
    rule = {
        "rule_name": "gd",
        "arn": "a",
        "state": "ENABLED",
        "sources": ["aws.guardduty"],
        "targets": [{"arn": topic, "kind": "sns"}],
    }
    bus = "arn:aws:events:ap-northeast-1:999999999999:event-bus/central"
    forward = {**rule, "rule_name": "fw", "targets": [{"arn": bus, "kind": "events"}]}
    base = {
        ("guardduty.detectors", TOKYO): detector,
        ("guardduty.detectors", OSAKA): detector,
        ("securityhub.hub", TOKYO): [{"enabled": False, "standards": []}],
        ("securityhub.hub", OSAKA): [{"enabled": False, "standards": []}],
        ("securityhub.finding_aggregators", TOKYO): [],
        ("securityhub.finding_aggregators", OSAKA): [],
        ("sns.subscriptions", TOKYO): [{"topic_arn": topic, "protocol": "email", "confirmed": False}],
        ("events.finding_rules", TOKYO): [rule, {**rule, "rule_name": "off", "state": "DISABLED"}],
        ("events.finding_rules", OSAKA): [forward],
    }
    found = {f.region: f for f in run_one("findings_routed", make_bundle(tmp_path, base, regions=REGIONS))}
    assert found[TOKYO].verdict.value == "fail" and "gd, off" in found[TOKYO].message_en
    assert found[OSAKA].verdict.value == "manual" and "999999999999" in found[OSAKA].message_en
    base[("events.finding_rules", OSAKA)] = []
    found = {f.region: f for f in run_one("findings_routed", make_bundle(tmp_path / "b", base, regions=REGIONS))}
    assert found[OSAKA].verdict.value == "fail" and "No EventBridge rule" in found[OSAKA].message_en


def test_aggregator_linking_modes():
    aggregator = {"aggregation_region": TOKYO, "region_linking_mode": "SPECIFIED_REGIONS", "regions": [OSAKA]}
    assert linked_regions(aggregator, [TOKYO, OSAKA, "us-east-1"]) == {TOKYO, OSAKA}
    excepted = {**aggregator, "region_linking_mode": "ALL_REGIONS_EXCEPT_SPECIFIED"}
    assert linked_regions(excepted, [TOKYO, OSAKA, "us-east-1"]) == {TOKYO, "us-east-1"}
    assert linked_regions({**aggregator, "region_linking_mode": "NO_REGIONS"}, [TOKYO, OSAKA]) == {TOKYO}
    with pytest.raises(ValueError, match="unknown plan lambda"):
        required_plans("s3, lambda")


def test_aggregator_partial_and_org_trail(tmp_path):
    aggregator = {"arn": "x", "aggregation_region": TOKYO, "region_linking_mode": "SPECIFIED_REGIONS", "regions": []}
    hub = [{"enabled": True, "standards": []}]
    bundle = make_bundle(
        tmp_path,
        {
            ("securityhub.hub", TOKYO): hub,
            ("securityhub.hub", OSAKA): hub,
            ("securityhub.finding_aggregators", TOKYO): [aggregator],
            ("securityhub.finding_aggregators", OSAKA): [],
            ("securitylake.data_lakes", GLOBAL): [],
            ("logs.trail_subscription_filters", TOKYO): [],
            ("logs.trail_subscription_filters", OSAKA): [],
            ("cloudtrail.trails", TOKYO): [{"name": "org", "arn": "t", "is_organization_trail": True}],
            ("cloudtrail.trails", OSAKA): [],
        },
        regions=REGIONS,
    )
    [partial] = run_one("securityhub_aggregator", bundle)
    assert partial.verdict.value == "fail" and OSAKA in partial.message_en
    [central] = run_one("central_log_destination", bundle)
    assert central.verdict.value == "pass" and "organisation trail (org)" in central.message_en


def test_nothing_to_assess(tmp_path):
    bundle = make_bundle(
        tmp_path,
        {
            ("guardduty.detectors", TOKYO): [],
            ("securityhub.hub", TOKYO): [{"enabled": False, "standards": []}],
            ("securityhub.finding_aggregators", TOKYO): [],
            ("events.finding_rules", TOKYO): [],
            ("sns.subscriptions", TOKYO): [],
        },
    )
    for check_id in (
        "guardduty_protection_plans",
        "guardduty_findings_exported",
        "guardduty_high_findings_open",
        "securityhub_aggregator",  # one region in scope: nothing to aggregate
        "findings_routed",
    ):
        assert [f.verdict.value for f in run_one(check_id, bundle)] == ["not_applicable"], check_id
    # No trail to CloudWatch Logs: the alarms cannot exist (one finding each).
    empty = make_bundle(tmp_path / "t", {("cloudtrail.trails", TOKYO): []})
    for check_id in ("personnel_access_alarms", "third_party_access_alarm"):
        assert [(f.resource, f.verdict.value) for f in run_one(check_id, empty)] == [("CloudTrail", "fail")], check_id


def test_missing_evidence(tmp_path):
    denied = CollectionError(ev.ACCESS_DENIED, "AccessDenied", "no")
    detector = [{"detector_id": "d", "status": "ENABLED", "features": {}}]
    bundle = make_bundle(
        tmp_path,
        {
            ("guardduty.detectors", TOKYO): denied,
            ("guardduty.detectors", OSAKA): detector,
            ("guardduty.publishing_destinations", OSAKA): denied,
            ("guardduty.high_findings", OSAKA): denied,
            ("securityhub.hub", TOKYO): denied,
            ("securityhub.hub", OSAKA): denied,
            ("securityhub.finding_aggregators", TOKYO): denied,
            ("securityhub.finding_aggregators", OSAKA): denied,
            ("events.finding_rules", OSAKA): denied,
            ("cloudtrail.trails", TOKYO): denied,
            ("cloudtrail.trails", OSAKA): [],
            ("securitylake.data_lakes", GLOBAL): denied,
            ("logs.trail_subscription_filters", TOKYO): denied,
            ("logs.trail_subscription_filters", OSAKA): [],
        },
        regions=REGIONS,
    )
    for check_id in (
        "guardduty_all_regions",
        "guardduty_protection_plans",
        "guardduty_findings_exported",
        "guardduty_high_findings_open",
        "securityhub_aggregator",
        "findings_routed",
        "personnel_access_alarms",
        "third_party_access_alarm",
        "central_log_destination",
    ):
        findings = run_one(check_id, bundle)
        assert "not_applicable" not in {f.verdict.value for f in findings}, (check_id, verdicts(findings))
        assert any(f.verdict.value == "error" and f.details.get("missing_permission") for f in findings), check_id
    # Osaka's detector was read: its plans still get a verdict while Tokyo's evidence is missing.
    plans = run_one("guardduty_protection_plans", bundle)
    assert {(f.region, f.verdict.value) for f in plans} == {(TOKYO, "error"), (OSAKA, "fail")}
