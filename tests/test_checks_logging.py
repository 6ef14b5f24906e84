"""2.3.4.2 log management: the collectors against moto (server mode, real HTTP) on one estate seeded once for the
module, every check passing and failing from that evidence, nothing to assess and missing evidence from hand-built
bundles, and the filter-pattern matching on patterns written the ways customers write them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import ACCOUNT, make_bundle, run_one, verdicts

from assess_lib import evidence as ev
from assess_lib.aws.collectors import AccountContext
from assess_lib.aws.session import ClientFactory
from assess_lib.checks.s2_3_4_logging import EVENTS, NETWORK_PARTS, conditions
from assess_lib.datasets import DATASETS, GLOBAL_SCOPE
from assess_lib.demo.server import demo_credentials
from assess_lib.evidence import GLOBAL, Bundle, CollectionError, EvidenceStore

TOKYO, VIRGINIA = "ap-northeast-1", "us-east-1"
REGIONS = [TOKYO, VIRGINIA]
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
DATASETS_READ = (
    "cloudtrail.trails",
    "logs.log_groups",
    "logs.metric_filters",
    "cloudwatch.metric_alarms",
    "elbv2.load_balancers",
    "elbv2.load_balancer_logging",
    "cloudfront.distributions",
    "logs.cloudfront_log_deliveries",
    "wafv2.web_acl_logging",
    "wafv2.cloudfront_web_acl_logging",
    "s3.trail_bucket_protection",
    "s3.access_log_buckets",
)
ROOT = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
SG_NAMES = (
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
)


def _client(url: str, service: str, region: str = TOKYO) -> Any:
    return boto3.client(service, region_name=region, endpoint_url=url)


def _distribution(cloudfront: Any, name: str, logging_bucket: str | None) -> str:
    config: dict[str, Any] = {
        "CallerReference": name,
        "Comment": f"{name}.example.jp",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "o",
                    "DomainName": f"origin.{name}.example.jp",
                    "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "o",
            "ViewerProtocolPolicy": "redirect-to-https",
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "MinTTL": 0,
        },
    }
    if logging_bucket:
        config["Logging"] = {
            "Enabled": True,
            "IncludeCookies": False,
            "Bucket": f"{logging_bucket}.s3.amazonaws.com",
            "Prefix": "",
        }
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def _seed(url: str) -> dict[str, str]:
    """A small estate with one passing and one failing resource for each check."""
    logs, s3 = _client(url, "logs"), _client(url, "s3")
    # Log groups: 30 days (fail), 400 days (pass), the trail's group never expires (pass).
    for name, days in (("short", 30), ("long", 400), ("trail", None)):
        logs.create_log_group(logGroupName=name)
        if days:
            logs.put_retention_policy(logGroupName=name, retentionInDays=days)
    trail_group = logs.describe_log_groups(logGroupNamePrefix="trail")["logGroups"][0]["arn"]
    # Trail bucket with a 400-day expiry (pass); ALB log bucket with a 90-day expiry (fail).
    for bucket, days in (("trail-logs", 400), ("alb-logs", 90), ("cdn-logs", None)):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": TOKYO})
        if days:
            rule = {"ID": "x", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": days}}
            s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    _client(url, "cloudtrail").create_trail(
        Name="main",
        S3BucketName="trail-logs",
        CloudWatchLogsLogGroupArn=trail_group,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/ct",
    )
    # Metric filters: root use with a notifying alarm (pass); sign-in failures with a silent alarm (fail);
    # security groups in two filters that together cover the six calls (pass), the other network parts missing.
    topic = _client(url, "sns").create_topic(Name="alerts")["TopicArn"]
    cloudwatch = _client(url, "cloudwatch")
    filters = (
        ("root", ROOT, [topic]),
        ("signin", '{($.eventName=ConsoleLogin)&&($.errorMessage="Failed authentication")}', []),
        ("sg-a", "{ ($.eventName = AuthorizeSecurityGroup*) || ($.eventName = RevokeSecurityGroup*) }", [topic]),
        ("sg-b", '{ ($.eventName = "CreateSecurityGroup") || ($.eventName = "DeleteSecurityGroup") }', [topic]),
    )
    for name, pattern, actions in filters:
        logs.put_metric_filter(
            logGroupName="trail",
            filterName=name,
            filterPattern=pattern,
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
            AlarmActions=actions,
        )
    # Load balancers: internet-facing with logs (pass), without (fail), internal (not assessed).
    ec2 = _client(url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{TOKYO}{az}")["Subnet"]["SubnetId"]
        for i, az in enumerate("ac")
    ]
    elb = _client(url, "elbv2")
    arns = {
        name: elb.create_load_balancer(Name=name, Subnets=subnets, Scheme=scheme)["LoadBalancers"][0]["LoadBalancerArn"]
        for name, scheme in (("logged", "internet-facing"), ("silent", "internet-facing"), ("inside", "internal"))
    }
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=arns["logged"],
        Attributes=[{"Key": "access_logs.s3.enabled", "Value": "true"}, {"Key": "access_logs.s3.bucket", "Value": "alb-logs"}],
    )
    # WAF: a regional web ACL logging to S3 (pass), a CloudFront web ACL without logging (fail).
    visibility = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
    waf = _client(url, "wafv2")
    acl = waf.create_web_acl(Name="regional", Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=visibility)
    waf.put_logging_configuration(
        LoggingConfiguration={"ResourceArn": acl["Summary"]["ARN"], "LogDestinationConfigs": ["arn:aws:s3:::aws-waf-logs-bank"]}
    )
    _client(url, "wafv2", VIRGINIA).create_web_acl(
        Name="edge", Scope="CLOUDFRONT", DefaultAction={"Allow": {}}, VisibilityConfig=visibility
    )
    # CloudFront: logging (pass), not (fail).
    cloudfront = _client(url, "cloudfront", VIRGINIA)
    ids = {
        name: _distribution(cloudfront, name, bucket) for name, bucket in (("www", "cdn-logs"), ("promo", None), ("shop", None))
    }
    # The shop logs through CloudWatch Logs delivery (CloudFront's newer logging) instead (pass).
    shop = cloudfront.get_distribution(Id=ids["shop"])["Distribution"]["ARN"]
    us_logs = _client(url, "logs", VIRGINIA)
    us_logs.put_delivery_source(name="shop", resourceArn=shop, logType="ACCESS_LOGS")
    sink = us_logs.put_delivery_destination(
        name="shop-sink", deliveryDestinationConfiguration={"destinationResourceArn": "arn:aws:s3:::shop-cdn-logs"}
    )
    us_logs.create_delivery(deliverySourceName="shop", deliveryDestinationArn=sink["deliveryDestination"]["arn"])
    return ids


def collect_datasets(url: str, run_dir: Path, names: tuple[str, ...], regions: list[str] = REGIONS) -> Bundle:
    """Only ``names`` collected through the kit's collectors (and their dependencies), for one account."""
    store = EvidenceStore(run_id="logging-test", started_at=NOW.isoformat())
    store.meta = {"accounts": [ACCOUNT], "regions": {ACCOUNT: regions}, "domains": []}
    ctx = AccountContext(ACCOUNT, ClientFactory(boto3.Session(), url, max_attempts=2), store, regions)
    for name in names:
        for region in [GLOBAL] if DATASETS[name].scope == GLOBAL_SCOPE else regions:
            ctx.dataset(name, region)
    store.save(run_dir, NOW.isoformat())
    return Bundle.load(run_dir)


@pytest.fixture(scope="module")
def estate(moto_server, tmp_path_factory) -> tuple[Bundle, dict[str, str]]:
    moto_server.reset()
    with demo_credentials():
        distributions = _seed(moto_server.url)
        bundle = collect_datasets(moto_server.url, tmp_path_factory.mktemp("logging") / "run", DATASETS_READ)
    return bundle, distributions


# --- collectors ------------------------------------------------------------------------------------


def test_collected_rows(estate):
    bundle, distributions = estate
    for name in DATASETS_READ:
        for region in [GLOBAL] if DATASETS[name].scope == GLOBAL_SCOPE else REGIONS:
            assert bundle.entry(name, ACCOUNT, region)["status"] == "ok", (name, region)
    groups = {g["log_group"]: g["retention_days"] for g in bundle.rows("logs.log_groups", ACCOUNT, TOKYO)}
    assert groups == {"short": 30, "long": 400, "trail": None}
    lbs = {lb["name"]: lb for lb in bundle.rows("elbv2.load_balancer_logging", ACCOUNT, TOKYO)}
    assert set(lbs) == {"logged", "silent"}  # the internal one costs no call
    assert lbs["logged"]["access_logs_bucket"] == "alb-logs" and not lbs["silent"]["access_logs_enabled"]
    dists = {d["id"]: d["logging_bucket"] for d in bundle.rows("cloudfront.distributions", ACCOUNT)}
    assert dists == {distributions["www"]: "cdn-logs.s3.amazonaws.com", distributions["promo"]: None, distributions["shop"]: None}
    [delivery] = bundle.rows("logs.cloudfront_log_deliveries", ACCOUNT)
    assert delivery["resource_arn"].endswith(distributions["shop"]) and delivery["log_type"] == "ACCESS_LOGS"
    assert len(delivery["destinations"]) == 1
    buckets = {b["bucket"]: (b["sources"], b.get("expiration_days")) for b in bundle.rows("s3.access_log_buckets", ACCOUNT)}
    assert buckets["alb-logs"] == (["elb"], 90) and buckets["cdn-logs"] == (["cloudfront"], None)
    assert buckets["aws-waf-logs-bank"][0] == ["waf"]
    trail_buckets = {b["bucket"]: b["expiration_days"] for b in bundle.rows("s3.trail_bucket_protection", ACCOUNT)}
    assert trail_buckets == {"trail-logs": 400}
    filters = {f["filter_name"]: f for f in bundle.rows("logs.metric_filters", ACCOUNT, TOKYO)}
    assert filters["root"]["log_group"] == "trail" and filters["root"]["metrics"] == [{"namespace": "Sec", "name": "root"}]
    alarms = {a["alarm_name"]: a for a in bundle.rows("cloudwatch.metric_alarms", ACCOUNT, TOKYO)}
    assert alarms["alarm-root"]["alarm_actions"] and not alarms["alarm-signin"]["alarm_actions"]
    assert [a["name"] for a in bundle.rows("wafv2.cloudfront_web_acl_logging", ACCOUNT)] == ["edge"]


# --- checks from the emulator's evidence -----------------------------------------------------------------


def test_log_group_retention(estate):
    found = verdicts(run_one("log_group_retention", estate[0]))
    assert found == {"short": "fail", "long": "pass", "trail": "pass"}
    # The threshold is a parameter: at 14 days the 30-day group passes.
    assert verdicts(run_one("log_group_retention", estate[0], {"log_retention_min_days": 14}))["short"] == "pass"


def test_log_bucket_retention(estate):
    findings = run_one("log_bucket_retention", estate[0])
    found = verdicts(findings)
    assert found == {"trail-logs": "pass", "alb-logs": "fail", "cdn-logs": "pass", "aws-waf-logs-bank": "error"}
    failing = next(f for f in findings if f.resource == "alb-logs")
    assert "90" in failing.message_en and "load balancer access logs" in failing.message_en
    assert "ALBアクセスログ" in failing.message_ja
    # The WAF bucket does not exist in the emulator: an error about that bucket, never a verdict.
    unreadable = next(f for f in findings if f.resource == "aws-waf-logs-bank")
    assert unreadable.details["missing_permission"] == "s3:GetLifecycleConfiguration"


def test_access_logging(estate):
    bundle, distributions = estate
    assert verdicts(run_one("elb_access_logging", bundle)) == {"logged": "pass", "silent": "fail"}
    cdn = verdicts(run_one("cloudfront_access_logging", bundle))
    assert cdn == {
        f"{distributions['www']} (www.example.jp)": "pass",
        f"{distributions['promo']} (promo.example.jp)": "fail",
        f"{distributions['shop']} (shop.example.jp)": "pass",
    }
    assert verdicts(run_one("waf_logging", bundle)) == {"regional": "pass", "edge": "fail"}


def test_metric_alarms(estate):
    findings = run_one("cloudtrail_metric_alarms", estate[0])
    found = verdicts(findings)
    assert found == {
        "root account use": "pass",
        "console sign-in failures": "fail",
        "IAM policy changes": "fail",
        "network changes": "fail",
    }
    by = {f.resource: f for f in findings}
    assert "alarm-signin" in by["console sign-in failures"].message_en
    assert "no enabled action" in by["console sign-in failures"].message_en
    assert "No metric filter" in by["IAM policy changes"].message_en
    network = by["network changes"]
    # Security groups are covered by two filters together (wildcards included): not named among the gaps.
    assert network.details["parts_unmonitored"] == ["network_acls", "gateways", "route_tables", "vpcs"]
    assert "security groups" not in network.message_en and "セキュリティグループ" not in network.message_ja


# --- nothing to assess and missing evidence (hand-built) --------------------------------------------


def test_nothing_to_assess(tmp_path):
    bundle = make_bundle(
        tmp_path,
        {
            ("logs.log_groups", TOKYO): [],
            ("elbv2.load_balancer_logging", TOKYO): [],
            ("cloudfront.distributions", GLOBAL): [],
            ("logs.cloudfront_log_deliveries", GLOBAL): [],
            ("wafv2.web_acl_logging", TOKYO): [],
            ("wafv2.cloudfront_web_acl_logging", GLOBAL): [],
            ("s3.trail_bucket_protection", GLOBAL): [],
            ("s3.access_log_buckets", GLOBAL): [],
            ("cloudtrail.trails", TOKYO): [],
        },
        started_at=NOW.isoformat(),
    )
    for check_id in (
        "log_group_retention",
        "log_bucket_retention",
        "elb_access_logging",
        "cloudfront_access_logging",
        "waf_logging",
    ):
        assert [f.verdict.value for f in run_one(check_id, bundle)] == ["not_applicable"], check_id
    # No trail at all: the events cannot be watched (one finding, not one per event).
    findings = run_one("cloudtrail_metric_alarms", bundle)
    assert [(f.resource, f.verdict.value) for f in findings] == [("CloudTrail", "fail")]


def test_metric_alarms_log_group_in_another_account(tmp_path):
    trail = {"name": "org", "arn": "arn:aws:cloudtrail:x", "home_region": TOKYO, "is_multi_region": True}
    central = {**trail, "cloudwatch_logs_group": f"arn:aws:logs:{TOKYO}:999999999999:log-group:org-trail:*"}
    bundle = make_bundle(tmp_path, {("cloudtrail.trails", TOKYO): [central]}, started_at=NOW.isoformat())
    [finding] = run_one("cloudtrail_metric_alarms", bundle)
    assert finding.verdict.value == "manual" and "999999999999" in finding.message_en


def test_missing_evidence(tmp_path):
    denied = CollectionError(ev.ACCESS_DENIED, "AccessDenied", "no")
    bundle = make_bundle(
        tmp_path,
        {
            ("logs.log_groups", TOKYO): denied,
            ("elbv2.load_balancer_logging", TOKYO): denied,
            ("cloudfront.distributions", GLOBAL): denied,
            ("logs.cloudfront_log_deliveries", GLOBAL): [],
            ("wafv2.web_acl_logging", TOKYO): denied,
            ("wafv2.cloudfront_web_acl_logging", GLOBAL): [
                {"name": "edge", "arn": "a", "scope": "CLOUDFRONT", "log_destinations": []}
            ],
            ("s3.trail_bucket_protection", GLOBAL): denied,
            ("s3.access_log_buckets", GLOBAL): [{"bucket": "b", "sources": ["elb"], "error_kind": None, "expiration_days": 7}],
            ("cloudtrail.trails", TOKYO): [
                {
                    "name": "t",
                    "arn": "t",
                    "home_region": TOKYO,
                    "cloudwatch_logs_group": f"arn:aws:logs:{TOKYO}:{ACCOUNT}:log-group:g:*",
                }
            ],
            ("logs.metric_filters", TOKYO): denied,
            ("cloudwatch.metric_alarms", TOKYO): [],
        },
        started_at=NOW.isoformat(),
    )
    for check_id in ("log_group_retention", "elb_access_logging", "cloudfront_access_logging", "cloudtrail_metric_alarms"):
        findings = run_one(check_id, bundle)
        assert [f.verdict.value for f in findings] == ["error"], check_id
        assert findings[0].details["missing_permission"], check_id
    # One dataset missing never hides what the other shows (and the other never passes for it).
    waf = {f.resource: f.verdict.value for f in run_one("waf_logging", bundle)}
    assert waf == {"wafv2.web_acl_logging": "error", "edge": "fail"}
    buckets = {f.resource: f.verdict.value for f in run_one("log_bucket_retention", bundle)}
    assert buckets == {"s3.trail_bucket_protection": "error", "b": "fail"}


def test_lifecycle_unreadable_hides_nothing(tmp_path):
    # Versioning and Object Lock read, the lifecycle refused: an error about the bucket's retention only.
    row = {"bucket": "trail", "error_kind": None, "versioning": "Enabled", "mfa_delete": False, "object_lock": True}
    row.update(lifecycle_error_kind=ev.ACCESS_DENIED, lifecycle_error_code="AccessDenied", lifecycle_error_message="no")
    data = {("s3.trail_bucket_protection", GLOBAL): [row], ("s3.access_log_buckets", GLOBAL): []}
    [finding] = run_one("log_bucket_retention", make_bundle(tmp_path, data))
    assert (finding.resource, finding.verdict.value) == ("trail", "error")
    assert finding.details["missing_permission"] == "s3:GetLifecycleConfiguration" and "AccessDenied" in finding.message_en


def test_cloudfront_delivery_evidence_missing(tmp_path):
    # Without the delivery listing, standard logging still passes; a distribution without it is unknown (no verdict).
    denied = CollectionError(ev.ACCESS_DENIED, "AccessDeniedException", "no")
    dists = [
        {"id": "A", "arn": "arn:a", "enabled": True, "comment": None, "aliases": [], "logging_bucket": "b.s3.amazonaws.com"},
        {"id": "B", "arn": "arn:b", "enabled": True, "comment": None, "aliases": [], "logging_bucket": None},
        {"id": "C", "arn": "arn:c", "enabled": False, "comment": None, "aliases": [], "logging_bucket": None},
    ]
    data = {("cloudfront.distributions", GLOBAL): dists, ("logs.cloudfront_log_deliveries", GLOBAL): denied}
    found = {f.resource: f.verdict.value for f in run_one("cloudfront_access_logging", make_bundle(tmp_path, data))}
    assert found == {"A": "pass", "logs.cloudfront_log_deliveries": "error"}


# --- filter patterns ------------------------------------------------------------------------------


def _covers(pattern: str) -> dict[str, set[str]]:
    conds = conditions(pattern)
    return {event.key: event.covers(conds) for event in (*EVENTS, *NETWORK_PARTS)}


@pytest.mark.parametrize(
    "pattern",
    [
        ROOT,
        '{$.userIdentity.type="Root"&&$.userIdentity.invokedBy NOT EXISTS&&$.eventType!="AwsServiceEvent"}',
        "{ $.userIdentity.type = Root }",
        '{\n  ($.userIdentity.type = "Root")\n  && ($.eventType != "AwsServiceEvent") }',
    ],
)
def test_root_patterns(pattern):
    assert _covers(pattern)["root_use"] == {"root"}


def test_patterns_that_do_not_count():
    # Another identity type, a negation, and the sign-in event without its failure are not the events watched.
    assert _covers('{ $.userIdentity.type = "IAMUser" }')["root_use"] == set()
    assert _covers('{ $.userIdentity.type != "Root" }')["root_use"] == set()
    assert _covers("{ $.eventName = ConsoleLogin }")["signin_failures"] == set()
    assert _covers('{ $.responseElements.ConsoleLogin = "Failure" }')["signin_failures"] == {"failures"}
    # A filter naming only some of the security group calls leaves the others out.
    partial = _covers("{ ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }")["security_groups"]
    assert partial == {"CreateSecurityGroup", "DeleteSecurityGroup"}
    assert _covers(" || ".join(f"($.eventName = {n})" for n in SG_NAMES))["security_groups"] == set(SG_NAMES)
    assert _covers("{ $.eventName = * }")["security_groups"] == set(SG_NAMES)  # everything, noisy but watched


def test_pattern_text_survives_the_bundle(estate):
    # What the collector stored is the customer's pattern as written (the consultant quotes it).
    rows = estate[0].rows("logs.metric_filters", ACCOUNT, TOKYO)
    stored = {r["filter_name"]: r["pattern"] for r in rows}
    assert stored["signin"] == '{($.eventName=ConsoleLogin)&&($.errorMessage="Failed authentication")}'
    assert json.dumps(stored)  # plain text, nothing else
