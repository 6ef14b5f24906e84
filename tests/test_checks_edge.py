"""2.3.4.4 ① and a.: intrusion prevention (WAF managed rules, Network Firewall) and DDoS resilience (WAF rate limits,
Shield Advanced) at internet entrances.

One small estate in the emulator for the module, collected through the real collectors (moto serves WAFv2, Network
Firewall and Shield); hand-built evidence only for nothing to assess, missing evidence and a web ACL the account does
not hold (WAF Classic).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from conftest import ACCOUNT, make_bundle, run_one, verdicts

from assess_lib.aws.collectors import AccountContext
from assess_lib.aws.session import ClientFactory
from assess_lib.demo.server import demo_credentials
from assess_lib.evidence import Bundle, CollectionError, EvidenceStore

TOKYO, VIRGINIA = "ap-northeast-1", "us-east-1"
REGIONAL = [
    "elbv2.load_balancers",
    "wafv2.web_acl_associations",
    "apigateway.stages",
    "wafv2.web_acls",
    "network_firewall.firewalls",
]
GLOBAL_SETS = ["cloudfront.distributions", "wafv2.cloudfront_web_acls", "shield.subscription"]
VISIBILITY = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}


def _client(url: str, service: str, region: str = TOKYO):
    return boto3.client(service, region_name=region, endpoint_url=url, config=Config(retries={"max_attempts": 1}))


def _rule(name: str, priority: int, statement: dict, action: str | None = None, override: str | None = None) -> dict:
    rule = {"Name": name, "Priority": priority, "Statement": statement, "VisibilityConfig": {**VISIBILITY, "MetricName": name}}
    if action:
        rule["Action"] = {action: {}}
    if override:
        rule["OverrideAction"] = {override: {}}
    return rule


def _managed(name: str, priority: int, override: str = "None") -> dict:
    return _rule(name, priority, {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name}}, override=override)


RATE = _rule("rate", 0, {"RateBasedStatement": {"Limit": 1000, "AggregateKeyType": "IP"}}, action="Block")


def _acl(waf, name: str, rules: list[dict], scope: str = "REGIONAL") -> str:
    return waf.create_web_acl(Name=name, Scope=scope, DefaultAction={"Allow": {}}, VisibilityConfig=VISIBILITY, Rules=rules)[
        "Summary"
    ]["ARN"]


def _seed(url: str) -> None:
    ec2 = _client(url, "ec2")
    subnets = {}
    for name, cidr in (("guarded", "10.1"), ("open", "10.2")):
        vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16")["Vpc"]["VpcId"]
        subnets[name] = (
            vpc,
            [
                ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.{i}.0/24", AvailabilityZone=f"{TOKYO}{az}")["Subnet"]["SubnetId"]
                for i, az in ((1, "a"), (2, "c"))
            ],
        )
    _client(url, "network-firewall").create_firewall(
        FirewallName="inspection",
        FirewallPolicyArn=f"arn:aws:network-firewall:{TOKYO}:{ACCOUNT}:firewall-policy/ips",
        VpcId=subnets["guarded"][0],
        SubnetMappings=[{"SubnetId": subnets["guarded"][1][0]}],
    )
    waf = _client(url, "wafv2")
    full = _acl(waf, "full", [RATE, _managed("AWSManagedRulesCommonRuleSet", 1)])
    counting = _acl(waf, "counting", [_managed("AWSManagedRulesKnownBadInputsRuleSet", 1, override="Count")])
    own_group = waf.create_rule_group(Name="own-rules", Scope="REGIONAL", Capacity=10, VisibilityConfig=VISIBILITY)["Summary"][
        "ARN"
    ]
    referencing = _acl(
        waf, "referencing", [_rule("own", 0, {"RuleGroupReferenceStatement": {"ARN": own_group}}, override="None")]
    )
    elb = _client(url, "elbv2")

    def balancer(name: str, vpc: str, kind: str = "application") -> str:
        return elb.create_load_balancer(Name=name, Subnets=subnets[vpc][1], Scheme="internet-facing", Type=kind)["LoadBalancers"][
            0
        ]["LoadBalancerArn"]

    waf.associate_web_acl(WebACLArn=full, ResourceArn=balancer("full-alb", "open"))
    waf.associate_web_acl(WebACLArn=counting, ResourceArn=balancer("counting-alb", "open"))
    waf.associate_web_acl(WebACLArn=counting, ResourceArn=balancer("inspected-alb", "guarded"))  # the firewall makes up for it
    balancer("bare-alb", "open")  # no web ACL: waf_internet_endpoints' finding, not these checks'
    balancer("open-nlb", "open", "network")
    balancer("guarded-nlb", "guarded", "network")
    elb.create_load_balancer(Name="inner", Subnets=subnets["open"][1], Scheme="internal")  # not an entrance

    apigw = _client(url, "apigateway")
    api = apigw.create_rest_api(name="api", endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = apigw.create_deployment(restApiId=api)["id"]
    apigw.create_stage(restApiId=api, stageName="prod", deploymentId=deployment)
    waf.associate_web_acl(WebACLArn=referencing, ResourceArn=f"arn:aws:apigateway:{TOKYO}::/restapis/{api}/stages/prod")

    front = _acl(_client(url, "wafv2", VIRGINIA), "front", [_managed("AWSManagedRulesAntiDDoSRuleSet", 0)], scope="CLOUDFRONT")
    origin = {
        "Id": "o",
        "DomainName": "origin.example.jp",
        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
    }
    _client(url, "cloudfront", VIRGINIA).create_distribution(
        DistributionConfig={
            "CallerReference": "front",
            "Comment": "front",
            "Enabled": True,
            "WebACLId": front,
            "Origins": {"Quantity": 1, "Items": [origin]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "o",
                "ViewerProtocolPolicy": "https-only",
                "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                "MinTTL": 0,
            },
        }
    )


def _collect(url: str, folder: Path, names: list[tuple[str, str]]) -> Bundle:
    store = EvidenceStore(run_id="edge", started_at=dt.datetime.now(dt.UTC).isoformat())
    ctx = AccountContext(ACCOUNT, ClientFactory(boto3.Session(), url, 2), store, [TOKYO])
    for name, region in names:
        record = ctx.dataset(name, region)
        assert record.ok, record
    store.meta = {"accounts": [ACCOUNT], "regions": {ACCOUNT: [TOKYO]}, "domains": []}
    store.save(folder, dt.datetime.now(dt.UTC).isoformat())
    return Bundle.load(folder)


@pytest.fixture(scope="module")
def estate(moto_server, tmp_path_factory) -> tuple[Bundle, Bundle]:
    """The estate collected before and after subscribing to Shield Advanced (collected once for the module)."""
    moto_server.reset()
    root = tmp_path_factory.mktemp("edge")
    everything = [(n, TOKYO) for n in REGIONAL] + [(n, "global") for n in GLOBAL_SETS]
    with demo_credentials():
        _seed(moto_server.url)
        before = _collect(moto_server.url, root / "before", everything)
        shield = _client(moto_server.url, "shield", VIRGINIA)
        shield.create_subscription()
        full = next(
            lb
            for lb in _client(moto_server.url, "elbv2").describe_load_balancers()["LoadBalancers"]
            if lb["LoadBalancerName"] == "full-alb"
        )
        shield.create_protection(Name="full", ResourceArn=full["LoadBalancerArn"])
        after = _collect(moto_server.url, root / "after", everything)
    return before, after


def test_collected_web_acls_summarise_their_rules(estate):
    bundle, _ = estate
    acls = {a["name"]: a for a in bundle.rows("wafv2.web_acls", ACCOUNT, TOKYO)}
    assert acls["full"]["scope"] == "REGIONAL" and acls["full"]["rules"][0]["rate_based"] is True
    assert acls["full"]["rules"][1]["managed_rule_groups"] == [{"vendor": "AWS", "name": "AWSManagedRulesCommonRuleSet"}]
    assert acls["counting"]["rules"][0]["action"] == "count"
    assert "/own-rules/" in acls["referencing"]["rules"][0]["rule_group_arns"][0]
    front = bundle.rows("wafv2.cloudfront_web_acls", ACCOUNT)
    assert [a["scope"] for a in front] == ["CLOUDFRONT"]
    assert bundle.rows("shield.subscription", ACCOUNT)[0]["subscribed"] is False


def test_intrusion_prevention_from_the_emulator(estate):
    bundle, _ = estate
    found = {f.resource: f for f in run_one("waf_managed_rules", bundle)}
    got = {k.split(" ")[0]: f.verdict.value for k, f in found.items()}
    regional = {"full-alb": "pass", "counting-alb": "fail", "inspected-alb": "pass", "open-nlb": "fail", "guarded-nlb": "pass"}
    cloudfront = [k for k in got if k not in regional and k != "api/prod"]
    assert len(cloudfront) == 1, got
    assert got == {**regional, "api/prod": "fail", cloudfront[0]: "fail"}, "the anti-DDoS group alone is no intrusion prevention"
    assert "bare-alb" not in got and "inner" not in got, "no web ACL is waf_internet_endpoints' finding; internal is no entrance"
    assert "count mode" in found["counting-alb"].message_en and "inspection" in found["inspected-alb"].message_en
    assert "Network Firewall" in found["open-nlb"].message_ja and found["full-alb"].region == TOKYO


def test_rate_limits_from_the_emulator(estate):
    bundle, _ = estate
    got = {k.split(" ")[0]: v for k, v in verdicts(run_one("waf_rate_based_rules", bundle)).items()}
    cloudfront = next(k for k in got if k not in ("full-alb", "counting-alb", "inspected-alb", "api/prod"))
    assert got == {"full-alb": "pass", "counting-alb": "fail", "inspected-alb": "fail", "api/prod": "manual", cloudfront: "pass"}


def test_shield_advanced_from_the_emulator(estate):
    before, after = estate
    unsubscribed = run_one("shield_advanced", before)
    assert verdicts(unsubscribed) == {"Shield Advanced": "fail"} and "8 internet-facing" in unsubscribed[0].message_en
    assert after.rows("shield.subscription", ACCOUNT)[0]["protection_count"] == 1
    got = {k.split(" ")[0]: v for k, v in verdicts(run_one("shield_advanced", after)).items()}
    cloudfront = [k for k in got if not k.endswith("-alb")]
    assert got == {
        "full-alb": "pass",
        "counting-alb": "fail",
        "inspected-alb": "fail",
        "bare-alb": "fail",
        cloudfront[0]: "fail",
    }, "registered resources pass; NLBs and stages are not registered directly"


def _acl_row(name: str, rules: list[dict]) -> dict:
    return {"arn": f"arn:{name}", "name": name, "id": name, "scope": "REGIONAL", "default_action": "allow", "rules": rules}


def _edge(tmp_path: Path, **overrides) -> Bundle:
    lb = {
        "arn": "arn:lb",
        "name": "alb",
        "type": "application",
        "scheme": "internet-facing",
        "vpc_id": "vpc-1",
        "dns_name": None,
        "security_groups": [],
        "state": "active",
    }
    datasets = {
        ("elbv2.load_balancers", TOKYO): [lb],
        ("wafv2.web_acl_associations", TOKYO): [
            {
                "resource_arn": "arn:lb",
                "resource_type": "alb",
                "resource_name": "alb",
                "web_acl_arn": "classic-1",
                "web_acl_name": None,
            }
        ],
        ("apigateway.stages", TOKYO): [],
        ("wafv2.web_acls", TOKYO): [],
        ("network_firewall.firewalls", TOKYO): [],
        ("cloudfront.distributions", "global"): [],
        ("wafv2.cloudfront_web_acls", "global"): [],
        ("shield.subscription", "global"): [
            {"subscribed": False, "end_time": None, "auto_renew": None, "protection_count": 0, "protected": []}
        ],
    }
    datasets.update({(k, "global" if k in GLOBAL_SETS else TOKYO): v for k, v in overrides.items()})
    return make_bundle(tmp_path, datasets)


def test_a_web_acl_the_account_does_not_hold_is_judged_separately(tmp_path):
    """A WAF Classic ID (moto serves no WAF Classic association): hand-built."""
    bundle = _edge(tmp_path)
    assert verdicts(run_one("waf_managed_rules", bundle)) == {"alb": "manual"}
    assert verdicts(run_one("waf_rate_based_rules", bundle)) == {"alb": "manual"}


def test_edge_nothing_to_assess(tmp_path):
    internal = {"elbv2.load_balancers": [], "wafv2.web_acl_associations": []}
    bundle = _edge(tmp_path, **internal)
    for check_id in ("waf_managed_rules", "waf_rate_based_rules", "shield_advanced"):
        assert [f.verdict.value for f in run_one(check_id, bundle)] == ["not_applicable"], check_id


def test_a_subscription_without_registrable_endpoints_passes(tmp_path):
    nlb = {
        "arn": "arn:nlb",
        "name": "nlb",
        "type": "network",
        "scheme": "internet-facing",
        "vpc_id": "v",
        "dns_name": None,
        "security_groups": [],
        "state": "active",
    }
    subscribed = {"subscribed": True, "end_time": None, "auto_renew": "ENABLED", "protection_count": 0, "protected": []}
    bundle = _edge(
        tmp_path, **{"elbv2.load_balancers": [nlb], "wafv2.web_acl_associations": [], "shield.subscription": [subscribed]}
    )
    assert verdicts(run_one("shield_advanced", bundle)) == {"Shield Advanced": "pass"}


def test_edge_missing_evidence_never_hides_a_failure(tmp_path):
    denied = CollectionError("access_denied", "AccessDeniedException", "no")
    nlb = {
        "arn": "arn:nlb",
        "name": "nlb",
        "type": "network",
        "scheme": "internet-facing",
        "vpc_id": "vpc-9",
        "dns_name": None,
        "security_groups": [],
        "state": "active",
    }
    bundle = _edge(
        tmp_path, **{"elbv2.load_balancers": [nlb], "wafv2.web_acl_associations": [], "cloudfront.distributions": denied}
    )
    found = run_one("waf_managed_rules", bundle)
    assert sorted(f.verdict.value for f in found) == ["error", "fail"]
    assert sorted(f.verdict.value for f in run_one("shield_advanced", bundle)) == ["error", "fail"]
    missing = _edge(tmp_path / "m", **{"shield.subscription": denied})
    assert [f.verdict.value for f in run_one("shield_advanced", missing)] == ["error"]
    acls = _edge(tmp_path / "a", **{"wafv2.web_acls": denied})
    assert [f.verdict.value for f in run_one("waf_rate_based_rules", acls)] == ["error"]


def test_the_demo_shows_every_edge_check_both_ways(demo_cli_run):
    import json

    findings = json.loads((demo_cli_run / "findings.json").read_text(encoding="utf-8"))
    for check_id in ("waf_managed_rules", "waf_rate_based_rules", "shield_advanced"):
        seen = {f["verdict"] for f in findings if f["check_id"] == check_id and f["account_id"] == ACCOUNT}
        assert {"pass", "fail"} <= seen, (check_id, seen)
