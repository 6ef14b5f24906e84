"""2.3 ① defense in depth: network collectors on moto (server mode) and every check on hand-built evidence.

The emulator tests seed resources through boto3 and run the real collection; the hand-built
bundles cover what is easier to state exactly (rule ordering, IPv6, attestations, missing evidence).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from conftest import ACCOUNT, answer_unserved_as_empty, make_bundle, verdicts
from conftest import run_one as run_single

from assess_lib import evidence as ev
from assess_lib.attestations.model import ANSWERS_DATASET, DOCUMENTS_DATASET, FILE_DATASET
from assess_lib.checks import registry, runner
from assess_lib.checks._exposure import Exposure, internet_ingress, nacl_decisions
from assess_lib.core.model import Finding, Verdict
from assess_lib.core.text import t
from assess_lib.demo.seed import DemoClients
from assess_lib.demo.seed_network import seed_network
from assess_lib.evidence import GLOBAL, Bundle, CollectionError
from assess_lib.params import parse_params
from assess_lib.pipeline import collect, evaluate

TOKYO, VIRGINIA = "ap-northeast-1", "us-east-1"
ANY4, ANY6 = "0.0.0.0/0", "::/0"
CHECKS = (
    "waf_internet_endpoints",
    "sg_ingress_internet",
    "nacl_admin_ports",
    "internal_threat_detection",
    "vpc_flow_logs",
    "egress_filtering",
    "sg_egress_unrestricted",
    "defense_in_depth_layers",
)


def run_one(check_id: str, bundle: Bundle):
    """Findings of one check; a composite check first gets the results of the checks it reads, for the same
    account, as the runner gives them (pipeline.evaluate runs them in that order)."""
    spec = registry()[check_id]
    if not spec.record.reads:
        return run_single(check_id, bundle)
    prior = {c: [f for f in run_one(c, bundle) if f.control_id == registry()[c].controls[0]] for c in spec.record.reads}
    return runner.run_check(spec, bundle, bundle.accounts[0], {}, prior=prior)


# --- collectors on the emulator -------------------------------------------------------------------


def _params(regions: list[str]):
    return parse_params({"customer": "テスト銀行", "aws": {"regions": regions}, "dns": {"domains": []}})


def _vpc(ec2, cidr: str) -> tuple[str, list[str]]:
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    prefix = ".".join(cidr.split(".")[:2])
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{prefix}.{i}.0/24", AvailabilityZone=f"{TOKYO}{az}")["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "c"))
    ]
    return vpc, subnets


def _acl(waf, name: str, scope: str = "REGIONAL") -> str:
    visibility = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": name}
    return waf.create_web_acl(Name=name, Scope=scope, DefaultAction={"Allow": {}}, VisibilityConfig=visibility)["Summary"]["ARN"]


def _distribution(cloudfront, reference: str, web_acl: str) -> str:
    origin = {
        "Id": "o",
        "DomainName": "origin.example.jp",
        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
    }
    behaviour = {
        "TargetOriginId": "o",
        "ViewerProtocolPolicy": "redirect-to-https",
        "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        "MinTTL": 0,
    }
    config = {
        "CallerReference": reference,
        "Comment": reference,
        "Enabled": True,
        "WebACLId": web_acl,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": behaviour,
    }
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def test_network_collectors_and_checks_on_emulator(aws, tmp_path):
    ec2 = aws.client("ec2", TOKYO)
    logged, logged_subnets = _vpc(ec2, "10.1.0.0/16")
    bare, bare_subnets = _vpc(ec2, "10.2.0.0/16")
    aws.client("logs", TOKYO).create_log_group(logGroupName="flow")
    ec2.create_flow_logs(
        ResourceIds=[logged],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="flow",
        DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/fl",
    )
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=bare)
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [bare]}])["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock=ANY4, GatewayId=igw)
    # Security groups: SSH open and attached, HTTPS only, all traffic but unattached.
    ssh = ec2.create_security_group(GroupName="ssh-open", Description="bastion", VpcId=logged)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=ssh,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": ANY4}],
                "Ipv6Ranges": [{"CidrIpv6": ANY6}],
            }
        ],
    )
    ec2.create_network_interface(SubnetId=logged_subnets[0], Groups=[ssh], Description="bastion")
    web = ec2.create_security_group(GroupName="https-only", Description="web", VpcId=logged)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=web, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": ANY4}]}]
    )
    ec2.revoke_security_group_egress(GroupId=web, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": ANY4}]}])
    ec2.authorize_security_group_egress(
        GroupId=web,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": ssh}]}],
    )
    ec2.create_network_interface(SubnetId=logged_subnets[1], Groups=[web], Description="web")
    wide = ec2.create_security_group(GroupName="all-open", Description="legacy", VpcId=bare)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=wide, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": ANY4}]}])
    # A network ACL allowing RDP from anywhere on the bare VPC's subnets.
    nacl = ec2.create_network_acl(VpcId=bare)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=nacl,
        RuleNumber=100,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock=ANY4,
        PortRange={"From": 3389, "To": 3389},
    )
    associations = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": bare_subnets}])["NetworkAcls"]
    for association in [a for acl in associations for a in acl["Associations"] if a["SubnetId"] in bare_subnets]:
        ec2.replace_network_acl_association(AssociationId=association["NetworkAclAssociationId"], NetworkAclId=nacl)
    # Load balancers and WAF.
    elb, waf = aws.client("elbv2", TOKYO), aws.client("wafv2", TOKYO)
    acl = _acl(waf, "web-acl")
    guarded = elb.create_load_balancer(Name="guarded", Subnets=logged_subnets, Scheme="internet-facing")["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    waf.associate_web_acl(WebACLArn=acl, ResourceArn=guarded)
    elb.create_load_balancer(Name="naked", Subnets=bare_subnets, Scheme="internet-facing")
    elb.create_load_balancer(Name="inside", Subnets=logged_subnets, Scheme="internal")
    # REST API: prod behind WAF, dev without.
    apigw = aws.client("apigateway", TOKYO)
    api = apigw.create_rest_api(name="open-api", endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = apigw.create_deployment(restApiId=api)["id"]
    for stage in ("prod", "dev"):
        apigw.create_stage(restApiId=api, stageName=stage, deploymentId=deployment)
    waf.associate_web_acl(WebACLArn=acl, ResourceArn=f"arn:aws:apigateway:{TOKYO}::/restapis/{api}/stages/prod")
    # CloudFront (web ACLs of CLOUDFRONT scope live in us-east-1).
    cloudfront = aws.client("cloudfront", VIRGINIA)
    front_acl = _acl(aws.client("wafv2", VIRGINIA), "front-acl", scope="CLOUDFRONT")
    guarded_dist = _distribution(cloudfront, "guarded", front_acl)
    naked_dist = _distribution(cloudfront, "naked", "")
    # GuardDuty in Tokyo only; a Network Firewall in the logged VPC.
    aws.client("guardduty", TOKYO).create_detector(Enable=True)
    aws.client("network-firewall", TOKYO).create_firewall(
        FirewallName="egress-fw",
        FirewallPolicyArn=f"arn:aws:network-firewall:{TOKYO}:{ACCOUNT}:firewall-policy/p",
        VpcId=logged,
        SubnetMappings=[{"SubnetId": logged_subnets[0]}],
    )

    bundle = collect(_params([TOKYO, VIRGINIA]), tmp_path / "run", endpoint_url=aws.url, max_attempts=2)
    for name in (
        "ec2.security_groups",
        "ec2.network_acls",
        "ec2.flow_logs",
        "ec2.route_tables",
        "apigateway.stages",
        "guardduty.detectors",
    ):
        assert bundle.entry(name, ACCOUNT, TOKYO)["status"] == "ok", name
    assert bundle.entry("cloudfront.distributions", ACCOUNT)["status"] == "ok"

    # The shared security group rows (2.3.1 ⑤ reads them too).
    groups = {g["group_id"]: g for g in bundle.rows("ec2.security_groups", ACCOUNT, TOKYO)}
    row = groups[ssh]
    assert {"group_id", "group_name", "vpc_id", "description", "ingress", "egress", "attached"} <= set(row)
    assert row["attached"] is True and groups[wide]["attached"] is False
    assert row["ingress"] == [
        {
            "protocol": "tcp",
            "from_port": 22,
            "to_port": 22,
            "cidrs": [ANY4],
            "ipv6_cidrs": [ANY6],
            "groups": [],
            "prefix_lists": [],
        }
    ]
    assert groups[web]["egress"][0]["groups"] == [ssh]
    assert groups[wide]["ingress"][0]["protocol"] == "-1" and groups[wide]["ingress"][0]["from_port"] is None
    associations = {r["resource_name"]: r["web_acl_name"] for r in bundle.rows("wafv2.web_acl_associations", ACCOUNT, TOKYO)}
    assert associations == {"guarded": "web-acl", "naked": None}, "internal ALBs are not asked"

    found = {(f.check_id, f.resource): f for f in evaluate(bundle).findings if f.control_id == "2.3-1"}
    verdict = {key: f.verdict.value for key, f in found.items()}
    assert verdict[("waf_internet_endpoints", "guarded")] == "pass"
    assert verdict[("waf_internet_endpoints", "naked")] == "fail"
    assert ("waf_internet_endpoints", "inside") not in verdict
    assert verdict[("waf_internet_endpoints", "open-api/prod")] == "pass"
    assert verdict[("waf_internet_endpoints", "open-api/dev")] == "fail"
    assert verdict[("waf_internet_endpoints", guarded_dist)] == "pass"
    assert verdict[("waf_internet_endpoints", naked_dist)] == "fail"
    assert verdict[("sg_ingress_internet", ssh)] == "fail" and found[("sg_ingress_internet", ssh)].severity == "critical"
    assert "TCP 22 (SSH) from ::/0" in found[("sg_ingress_internet", ssh)].message_en
    assert verdict[("sg_ingress_internet", web)] == "pass"
    assert verdict[("sg_ingress_internet", wide)] == "fail"
    assert "not attached" in found[("sg_ingress_internet", wide)].message_en
    assert "関連付けられていません" in found[("sg_ingress_internet", wide)].message_ja
    assert (
        verdict[("nacl_admin_ports", nacl)] == "fail"
        and "TCP 3389 (RDP) from 0.0.0.0/0 by rule 100" in found[("nacl_admin_ports", nacl)].message_en
    )
    assert verdict[("internal_threat_detection", f"GuardDuty {TOKYO}")] == "pass"
    assert verdict[("internal_threat_detection", f"GuardDuty {VIRGINIA}")] == "fail"
    assert verdict[("internal_threat_detection", "host IPS/EDR")] == "manual"
    assert verdict[("vpc_flow_logs", logged)] == "pass" and verdict[("vpc_flow_logs", bare)] == "fail"
    default_vpcs = [r["vpc_id"] for r in bundle.rows("ec2.vpcs", ACCOUNT, TOKYO) if r["is_default"]]
    assert default_vpcs and verdict[("vpc_flow_logs", default_vpcs[0])] == "fail"
    assert "Default VPCs are assessed too" in found[("vpc_flow_logs", default_vpcs[0])].message_en
    assert verdict[("egress_filtering", logged)] == "pass" and "egress-fw" in found[("egress_filtering", logged)].message_en
    assert verdict[("egress_filtering", bare)] == "fail" and igw in found[("egress_filtering", bare)].message_en
    assert verdict[("sg_egress_unrestricted", ssh)] == "fail" and verdict[("sg_egress_unrestricted", web)] == "pass"
    assert verdict[("sg_egress_unrestricted", wide)] == "not_applicable"
    summary = found[("defense_in_depth_layers", ACCOUNT)]
    assert summary.verdict.value == "fail"
    assert summary.details["entrance"] == "partial" and summary.details["internal"] == "partial"


def test_demo_network_seed_shows_every_check_passing_and_failing(aws, tmp_path):
    seed_network(DemoClients(aws.url))
    answer_unserved_as_empty(aws.url)  # detection and restore listings moto does not serve (hand-built, empty)
    bundle = collect(
        _params(["ap-northeast-1", "ap-northeast-3", "us-east-1"]), tmp_path / "run", endpoint_url=aws.url, max_attempts=2
    )
    assert not [e for e in bundle.entries() if e["status"] != "ok"]
    seen: dict[str, set[str]] = {}
    for finding in evaluate(bundle).findings:
        if finding.control_id == "2.3-1":
            seen.setdefault(finding.check_id, set()).add(finding.verdict.value)
    for check_id in CHECKS[:-1]:
        assert {"pass", "fail"} <= seen[check_id], (check_id, seen[check_id])
    assert seen["defense_in_depth_layers"] == {"fail"}
    assert "manual" in seen["egress_filtering"], "the DR VPC leaves through a transit gateway"


# --- hand-built evidence ------------------------------------------------------------------------


def rule(protocol: str = "tcp", lo: int | None = None, hi: int | None = None, v4=(), v6=(), groups=()) -> dict[str, Any]:
    return {
        "protocol": protocol,
        "from_port": lo,
        "to_port": hi if hi is not None else lo,
        "cidrs": list(v4),
        "ipv6_cidrs": list(v6),
        "groups": list(groups),
        "prefix_lists": [],
    }


ALL_OUT = rule("-1", v4=[ANY4])
HTTPS_OUT = rule("tcp", 443, v4=["10.0.0.0/8"])


def sg(
    group_id: str, ingress=(), egress=(HTTPS_OUT,), attached: bool = True, vpc: str = "vpc-1", name: str | None = None
) -> dict[str, Any]:
    return {
        "group_id": group_id,
        "group_name": name or group_id,
        "vpc_id": vpc,
        "description": "",
        "is_default": name == "default",
        "ingress": list(ingress),
        "egress": list(egress),
        "attached": attached,
        "network_interface_count": 1 if attached else 0,
        "network_interfaces": [{"id": f"eni-{group_id}", "type": "interface", "instance_id": None, "description": None}]
        if attached
        else [],
    }


def entry(
    number: int, action: str, protocol: str = "tcp", lo: int | None = None, hi: int | None = None, cidr=ANY4, ipv6=None
) -> dict:
    return {
        "rule_number": number,
        "egress": False,
        "protocol": protocol,
        "action": action,
        "cidr": None if ipv6 else cidr,
        "ipv6_cidr": ipv6,
        "from_port": lo,
        "to_port": hi if hi is not None else lo,
    }


def nacl(acl_id: str, entries: list[dict], subnets=("subnet-1",), vpc: str = "vpc-1") -> dict[str, Any]:
    return {
        "network_acl_id": acl_id,
        "vpc_id": vpc,
        "is_default": False,
        "name": None,
        "subnet_ids": list(subnets),
        "entries": entries,
    }


CLOSED_NACL = nacl("acl-good", [entry(100, "allow", "tcp", 443), entry(32767, "deny", "-1")])


def estate(**overrides: Any) -> dict[str, Any]:
    """One region of a well-defended account (every layer present); override any dataset's rows."""
    data: dict[str, Any] = {
        "ec2.vpcs": [
            {
                "vpc_id": "vpc-1",
                "name": "prod",
                "is_default": False,
                "cidr_blocks": ["10.0.0.0/16"],
                "ipv6_cidr_blocks": [],
                "state": "available",
            }
        ],
        "ec2.flow_logs": [
            {
                "flow_log_id": "fl-1",
                "resource_id": "vpc-1",
                "status": "ACTIVE",
                "deliver_status": "SUCCESS",
                "traffic_type": "ALL",
                "destination_type": "s3",
                "destination": "arn:aws:s3:::logs",
            }
        ],
        "ec2.route_tables": [
            {
                "route_table_id": "rtb-1",
                "vpc_id": "vpc-1",
                "is_main": True,
                "subnet_ids": [],
                "routes": [
                    {"destination": ANY4, "ipv6_destination": None, "prefix_list": None, "target": "igw-1", "state": "active"}
                ],
            }
        ],
        "ec2.security_groups": [sg("sg-web", [rule("tcp", 443, v4=[ANY4])])],
        "ec2.network_acls": [CLOSED_NACL],
        "elbv2.load_balancers": [
            {
                "arn": "arn:alb/web",
                "name": "web",
                "type": "application",
                "scheme": "internet-facing",
                "vpc_id": "vpc-1",
                "dns_name": "x",
                "security_groups": ["sg-web"],
                "state": "active",
            }
        ],
        "wafv2.web_acl_associations": [
            {
                "resource_arn": "arn:alb/web",
                "resource_type": "alb",
                "resource_name": "web",
                "web_acl_arn": "arn:aws:wafv2:ap-northeast-1:1:regional/webacl/core/abc",
                "web_acl_name": "core",
            }
        ],
        "apigateway.stages": [],
        "guardduty.detectors": [
            {"detector_id": "d-1", "status": "ENABLED", "finding_publishing_frequency": "SIX_HOURS", "features": {}}
        ],
        "network_firewall.firewalls": [
            {
                "name": "fw",
                "arn": "arn:fw",
                "vpc_id": "vpc-1",
                "subnet_ids": ["subnet-fw"],
                "policy_arn": "arn:p",
                "status": "READY",
            }
        ],
    }
    data.update(overrides)
    return data


def bundle(
    tmp_path: Path,
    regions: dict[str, dict[str, Any]] | None = None,
    cloudfront: list | Exception | None = None,
    answers: dict[str, Any] | None = None,
) -> Bundle:
    """A bundle: {region: {dataset: rows or CollectionError}}, CloudFront rows, and attested answers for 2.3-1."""
    regions = regions if regions is not None else {TOKYO: estate()}
    data: dict[tuple[str, str], Any] = {("cloudfront.distributions", GLOBAL): cloudfront if cloudfront is not None else []}
    for region, datasets in regions.items():
        for name, rows in datasets.items():
            data[(name, region)] = rows
    if answers is not None:  # attested answers for 2.3-1, as the attestation collector stores them
        data[(FILE_DATASET, GLOBAL)] = [{"file": "a.yaml"}]
        data[(DOCUMENTS_DATASET, GLOBAL)] = []
        data[(ANSWERS_DATASET, GLOBAL)] = [
            {"control_id": "2.3-1", "question_id": k, "answer": v, "question_ja": None, "question_en": None}
            for k, v in answers.items()
        ]
    return make_bundle(tmp_path, data, regions=list(regions))


def test_fully_layered_account_passes_with_layer_table(tmp_path):
    findings = run_one(
        "defense_in_depth_layers",
        bundle(tmp_path, answers={"host_ips_edr_product": "Trend Micro Cloud One", "host_ips_edr_coverage": "all"}),
    )
    assert [f.verdict.value for f in findings] == ["pass"]
    details = findings[0].details
    assert (details["entrance"], details["internal"], details["exit"]) == ("present", "present", "present")
    assert details["host_ips_edr"] == "present"
    assert "入口対策: 対策あり" in findings[0].message_ja and "Exit: present" in findings[0].message_en
    for check_id in CHECKS[:-1]:
        assert "fail" not in {f.verdict.value for f in run_one(check_id, bundle(tmp_path / check_id))}, check_id


def test_missing_exit_layer_fails_naming_it(tmp_path):
    region = estate(
        **{
            "network_firewall.firewalls": [],
            "ec2.security_groups": [sg("sg-web", [rule("tcp", 443, v4=[ANY4])], egress=[ALL_OUT])],
        }
    )
    findings = run_one("defense_in_depth_layers", bundle(tmp_path, {TOKYO: region}))
    assert [f.verdict.value for f in findings] == ["fail"]
    details = findings[0].details
    assert (details["entrance"], details["internal"], details["exit"]) == ("present", "present", "missing")
    assert "対策のない層: 出口対策" in findings[0].message_ja
    assert "Missing layer(s): Exit" in findings[0].message_en
    assert details["layers"]["exit"]["gaps"] == {"egress": ["vpc-1 (ap-northeast-1)"]}
    assert findings[0].severity == "high"


def test_partial_layer_fails_naming_what_is_partial(tmp_path):
    second = estate()["ec2.vpcs"][0] | {"vpc_id": "vpc-2", "name": "dev", "is_default": True}
    region = estate(**{"ec2.vpcs": estate()["ec2.vpcs"] + [second]})
    findings = run_one("defense_in_depth_layers", bundle(tmp_path, {TOKYO: region}))
    assert findings[0].details["internal"] == "partial"
    assert "VPC(s) without flow logs: vpc-2 (ap-northeast-1)" in findings[0].message_en
    assert "The host-based IPS/EDR still needs to be confirmed" in findings[0].message_en


def test_security_group_ingress_rules(tmp_path):
    groups = [
        sg("sg-v6-rdp", [rule("tcp", 3389, v6=[ANY6])]),
        sg("sg-web6", [rule("tcp", 443, v6=[ANY6]), rule("tcp", 80, v4=[ANY4]), rule("udp", 443, v4=[ANY4])]),
        sg("sg-range", [rule("tcp", 20, 3389, v4=[ANY4])], attached=False),
        sg("sg-all-tcp", [rule("tcp", 0, 65535, v4=[ANY4])]),
        sg("sg-icmp", [rule("icmp", -1, -1, v4=[ANY4])]),
        sg("sg-internal", [rule("tcp", 22, v4=["10.0.0.0/8"]), rule("tcp", 5432, groups=["sg-app"])]),
        sg("sg-8443", [rule("tcp", 8443, v4=[ANY4])]),
    ]
    findings = {
        f.resource: f
        for f in run_one("sg_ingress_internet", bundle(tmp_path, {TOKYO: estate(**{"ec2.security_groups": groups})}))
    }
    assert {r: f.verdict.value for r, f in findings.items()} == {
        "sg-v6-rdp": "fail",
        "sg-web6": "pass",
        "sg-range": "fail",
        "sg-all-tcp": "fail",
        "sg-icmp": "fail",
        "sg-internal": "pass",
        "sg-8443": "fail",
    }
    assert "TCP 3389 (RDP) from ::/0" in findings["sg-v6-rdp"].message_en and findings["sg-v6-rdp"].severity == "critical"
    assert "::/0 から TCP 3389（RDP）" in findings["sg-v6-rdp"].message_ja
    assert "SSH 22" in findings["sg-range"].message_en and "RDP 3389" in findings["sg-range"].message_en
    assert findings["sg-range"].severity == "high" and "not attached" in findings["sg-range"].message_en
    assert "Every port" in findings["sg-all-tcp"].message_en and findings["sg-all-tcp"].details["all_traffic"]
    assert findings["sg-icmp"].severity == "low"
    assert findings["sg-8443"].severity == "high" and findings["sg-8443"].details["admin_ports"] == []
    assert "Web通信" in findings["sg-web6"].message_ja


def test_exposure_helpers_for_reuse():
    group = sg("sg-x", [rule("-1", v4=[ANY4]), rule("tcp", 22, v6=[ANY6]), rule("tcp", 22, v4=["192.0.2.0/24"])])
    exposures = internet_ingress(group)
    assert [(e.protocol, e.cidr) for e in exposures] == [("-1", ANY4), ("tcp", ANY6)]
    assert all(e.includes_port(22) for e in exposures) and exposures[0].includes_port(3389)
    assert not Exposure("tcp", 443, 443, ANY4).beyond_web and Exposure("tcp", 80, 443, ANY4).beyond_web


def test_nacl_rule_order(tmp_path):
    acls = [
        # A lower-numbered deny for 22 wins over the allow-all; 3389 stays open.
        nacl("acl-deny-ssh-only", [entry(50, "deny", "tcp", 22), entry(100, "allow", "-1"), entry(32767, "deny", "-1")]),
        # Both admin ports denied before the allow-all (IPv4 and IPv6).
        nacl(
            "acl-ordered",
            [
                entry(10, "deny", "tcp", 22),
                entry(20, "deny", "tcp", 3389),
                entry(30, "deny", "-1", ipv6=ANY6),
                entry(100, "allow", "-1"),
                entry(32767, "deny", "-1"),
            ],
        ),
        # The allow comes first: the later deny never applies.
        nacl(
            "acl-allow-first",
            [entry(90, "allow", "tcp", 0, 65535), entry(100, "deny", "tcp", 22), entry(110, "deny", "tcp", 3389)],
        ),
        # Narrow allows are not "from anywhere".
        nacl("acl-narrow", [entry(100, "allow", "tcp", 22, cidr="203.0.113.0/24"), entry(32767, "deny", "-1")]),
        # IPv6 only.
        nacl("acl-v6", [entry(100, "allow", "tcp", 3389, ipv6=ANY6)]),
        # Unassociated: still reported, lower severity.
        nacl("acl-spare", [entry(100, "allow", "-1")], subnets=()),
    ]
    findings = {
        f.resource: f for f in run_one("nacl_admin_ports", bundle(tmp_path, {TOKYO: estate(**{"ec2.network_acls": acls})}))
    }
    assert {r: f.verdict.value for r, f in findings.items()} == {
        "acl-deny-ssh-only": "fail",
        "acl-ordered": "pass",
        "acl-allow-first": "fail",
        "acl-narrow": "pass",
        "acl-v6": "fail",
        "acl-spare": "fail",
    }
    only_rdp = findings["acl-deny-ssh-only"]
    assert "TCP 3389 (RDP) from 0.0.0.0/0 by rule 100" in only_rdp.message_en and "TCP 22" not in only_rdp.message_en
    assert "10, 20" in findings["acl-ordered"].message_en
    assert "TCP 22 (SSH) from 0.0.0.0/0 by rule 90" in findings["acl-allow-first"].message_en
    assert "from ::/0" in findings["acl-v6"].message_en and "TCP 22" not in findings["acl-v6"].message_en
    assert findings["acl-spare"].severity == "low" and "not associated" in findings["acl-spare"].message_en
    decisions = nacl_decisions(acls[0])
    assert {(d["port"], d["cidr"]): d["action"] for d in decisions}[(22, ANY6)] == "deny", "no IPv6 rule: implicit deny"


def test_waf_endpoints_and_not_applicable(tmp_path):
    stages = [
        {
            "api_id": "a1",
            "api_name": "open",
            "endpoint_types": ["REGIONAL"],
            "stage_name": "prod",
            "arn": "arn:s1",
            "web_acl_arn": "arn:aws:wafv2:x:1:regional/webacl/api-acl/1",
        },
        {
            "api_id": "a1",
            "api_name": "open",
            "endpoint_types": ["REGIONAL"],
            "stage_name": "dev",
            "arn": "arn:s2",
            "web_acl_arn": None,
        },
        {
            "api_id": "a2",
            "api_name": "core",
            "endpoint_types": ["PRIVATE"],
            "stage_name": "v1",
            "arn": "arn:s3",
            "web_acl_arn": None,
        },
    ]
    dists = [
        {
            "id": "E1",
            "arn": "arn:d1",
            "domain_name": "d1.cloudfront.net",
            "aliases": ["www.example.jp"],
            "enabled": True,
            "comment": None,
            "web_acl_id": "arn:aws:wafv2:us-east-1:1:global/webacl/cf/1",
        },
        {
            "id": "E2",
            "arn": "arn:d2",
            "domain_name": "d2.cloudfront.net",
            "aliases": [],
            "enabled": True,
            "comment": None,
            "web_acl_id": None,
        },
        {
            "id": "E3",
            "arn": "arn:d3",
            "domain_name": "d3.cloudfront.net",
            "aliases": [],
            "enabled": False,
            "comment": None,
            "web_acl_id": None,
        },
    ]
    found = verdicts(
        run_one(
            "waf_internet_endpoints", bundle(tmp_path / "a", {TOKYO: estate(**{"apigateway.stages": stages})}, cloudfront=dists)
        )
    )
    assert found == {"web": "pass", "open/prod": "pass", "open/dev": "fail", "E1": "pass", "E2": "fail"}
    empty = estate(**{"wafv2.web_acl_associations": [], "elbv2.load_balancers": []})
    assert [f.verdict.value for f in run_one("waf_internet_endpoints", bundle(tmp_path / "b", {TOKYO: empty}))] == [
        "not_applicable"
    ]


def test_guardduty_per_region_and_host_ips_attestation(tmp_path):
    regions = {
        TOKYO: estate(),
        "ap-northeast-3": estate(**{"guardduty.detectors": [{"detector_id": "d-2", "status": "DISABLED", "features": {}}]}),
        VIRGINIA: estate(**{"guardduty.detectors": []}),
    }
    found = {f.resource: f for f in run_one("internal_threat_detection", bundle(tmp_path / "a", regions))}
    assert {r: f.verdict.value for r, f in found.items()} == {
        "GuardDuty ap-northeast-1": "pass",
        "GuardDuty ap-northeast-3": "fail",
        "GuardDuty us-east-1": "fail",
        "host IPS/EDR": "manual",
    }
    assert "d-2: DISABLED" in found["GuardDuty ap-northeast-3"].message_en
    assert "ホスト型IPS/EDR（例: Trend Micro Cloud One）の導入状況" in found["host IPS/EDR"].message_ja
    attested_none = run_one(
        "internal_threat_detection",
        bundle(tmp_path / "b", answers={"host_ips_edr_product": "なし", "host_ips_edr_coverage": "none"}),
    )
    assert verdicts(attested_none)["host IPS/EDR"] == "fail"
    attested_some = run_one(
        "internal_threat_detection",
        bundle(tmp_path / "c", answers={"host_ips_edr_product": "Trend Micro Cloud One", "host_ips_edr_coverage": "critical"}),
    )
    host = next(f for f in attested_some if f.resource == "host IPS/EDR")
    assert host.verdict.value == "pass" and "critical servers only" in host.message_en


def test_flow_logs(tmp_path):
    vpcs = [
        {"vpc_id": "vpc-1", "name": "prod", "is_default": False},
        {"vpc_id": "vpc-2", "name": None, "is_default": True},
        {"vpc_id": "vpc-3", "name": "broken", "is_default": False},
    ]
    logs = estate()["ec2.flow_logs"] + [
        {
            "flow_log_id": "fl-3",
            "resource_id": "vpc-3",
            "status": "ACTIVE",
            "deliver_status": "FAILED",
            "deliver_error": "Access error",
            "traffic_type": "ALL",
        }
    ]
    found = {
        f.resource: f
        for f in run_one("vpc_flow_logs", bundle(tmp_path, {TOKYO: estate(**{"ec2.vpcs": vpcs, "ec2.flow_logs": logs})}))
    }
    assert {r: f.verdict.value for r, f in found.items()} == {"vpc-1": "pass", "vpc-2": "fail", "vpc-3": "fail"}
    assert "デフォルトVPCも評価対象です" in found["vpc-2"].message_ja
    assert "fails to deliver (Access error)" in found["vpc-3"].message_en


def _egress_region(routes: dict[str, str], groups: list[dict], firewalls=()) -> dict[str, Any]:
    vpcs = [{"vpc_id": v, "name": None, "is_default": False} for v in ["vpc-fw", *routes]]
    tables = [
        {
            "route_table_id": f"rtb-{v}",
            "vpc_id": v,
            "is_main": True,
            "subnet_ids": [],
            "routes": [{"destination": ANY4, "target": t, "state": "active"}],
        }
        for v, t in routes.items()
    ]
    firewalls = [
        {"name": "fw", "arn": "arn:fw", "vpc_id": "vpc-fw", "subnet_ids": [], "policy_arn": "p", "status": "READY"},
        *firewalls,
    ]
    return estate(
        **{"ec2.vpcs": vpcs, "ec2.route_tables": tables, "ec2.security_groups": groups, "network_firewall.firewalls": firewalls}
    )


def test_egress_filtering_and_proxy_attestation(tmp_path):
    routes = {"vpc-igw": "igw-1", "vpc-tgw": "tgw-1", "vpc-gwlbe": "vpce-1", "vpc-closed": "", "vpc-safe": "nat-1"}
    groups = [sg("sg-open", egress=[ALL_OUT], vpc="vpc-igw"), sg("sg-tight", vpc="vpc-safe")]
    region = _egress_region({k: v for k, v in routes.items() if v}, groups)
    region["ec2.vpcs"].append({"vpc_id": "vpc-closed", "name": None, "is_default": False})
    found = {f.resource: f for f in run_one("egress_filtering", bundle(tmp_path / "a", {TOKYO: region}))}
    assert {r: f.verdict.value for r, f in found.items()} == {
        "vpc-fw": "pass",
        "vpc-igw": "fail",
        "vpc-tgw": "manual",
        "vpc-gwlbe": "pass",
        "vpc-closed": "pass",
        "vpc-safe": "fail",
    }
    assert (
        "igw-1" in found["vpc-igw"].message_en
        and "出口対策としてプロキシ経由でのみ外部と通信しているか" in found["vpc-igw"].message_ja
    )
    # An attested proxy: passes unless security groups in use let traffic bypass it.
    proxied = {
        f.resource: f
        for f in run_one(
            "egress_filtering",
            bundle(tmp_path / "b", {TOKYO: region}, answers={"egress_proxy": True, "proxy_blocks_uncategorised": False}),
        )
    }
    assert proxied["vpc-safe"].verdict.value == "pass" and "uncategorised" in proxied["vpc-safe"].message_en
    assert proxied["vpc-igw"].verdict.value == "fail" and "bypassed" in proxied["vpc-igw"].message_en
    assert proxied["vpc-tgw"].verdict.value == "pass"


def test_security_group_egress(tmp_path):
    groups = [
        sg("sg-open", egress=[ALL_OUT], vpc="vpc-1"),
        sg("sg-open6", egress=[rule("-1", v6=[ANY6])], vpc="vpc-2"),
        sg("sg-tcp-all", egress=[rule("tcp", 0, 65535, v4=[ANY4])], vpc="vpc-2"),
        sg("sg-default", egress=[ALL_OUT], attached=False, name="default"),
        sg("sg-tight"),
    ]
    found = {
        f.resource: f
        for f in run_one("sg_egress_unrestricted", bundle(tmp_path, {TOKYO: estate(**{"ec2.security_groups": groups})}))
    }
    assert {r: f.verdict.value for r, f in found.items()} == {
        "sg-open": "fail",
        "sg-open6": "fail",
        "sg-tcp-all": "fail",
        "sg-default": "not_applicable",
        "sg-tight": "pass",
    }
    assert found["sg-open"].severity == "low" and "Network Firewall fw" in found["sg-open"].message_en, "vpc-1 has a firewall"
    assert found["sg-open6"].severity == "medium" and "::/0" in found["sg-open6"].message_en
    assert "default security group" in found["sg-default"].message_en


def test_missing_evidence_is_error_per_region_and_for_the_summary(tmp_path):
    denied = CollectionError(ev.ACCESS_DENIED, "AccessDeniedException", "not authorized to perform guardduty:ListDetectors")
    disabled = CollectionError(
        ev.REGION_DISABLED, "UnrecognizedClientException", "The security token included in the request is invalid"
    )
    unimplemented = CollectionError(ev.NOT_IMPLEMENTED, "500", "")
    osaka = {name: disabled for name in estate()}
    regions = {
        TOKYO: estate(**{"guardduty.detectors": denied, "network_firewall.firewalls": unimplemented}),
        "ap-northeast-3": osaka,
    }
    b = bundle(tmp_path, regions)
    guardduty = run_one("internal_threat_detection", b)
    by_region = {(f.region, f.verdict.value) for f in guardduty}
    assert (TOKYO, "error") in by_region and ("ap-northeast-3", "error") in by_region
    assert not [f for f in guardduty if f.verdict.value in ("pass", "fail") and f.resource.startswith("GuardDuty")]
    error = next(f for f in guardduty if f.region == TOKYO)
    assert "guardduty.detectors" in error.message_en and error.details["error_kind"] == ev.ACCESS_DENIED
    egress = run_one("egress_filtering", b)
    assert {f.verdict.value for f in egress} == {"error"}
    # Regions with evidence still give verdicts; the summary never rests on missing evidence.
    flow = {(f.region, f.verdict.value) for f in run_one("vpc_flow_logs", b)}
    assert flow == {(TOKYO, "pass"), ("ap-northeast-3", "error")}
    summary = run_one("defense_in_depth_layers", b)
    # No gap in the evidence gathered, but not all was: errors only, one per missing dataset and region.
    assert {f.verdict.value for f in summary} == {"error"}
    assert (TOKYO, "guardduty.detectors") in {(f.region, f.resource) for f in summary}
    assert len({(f.region, f.resource) for f in summary}) == len(summary)
    missing_cloudfront = run_one("waf_internet_endpoints", bundle(tmp_path / "cf", cloudfront=denied))
    assert {f.verdict.value for f in missing_cloudfront} == {"pass", "error"}


def test_layer_summary_fails_on_a_gap_beside_another_regions_missing_evidence(tmp_path):
    """A VPC without flow logs in Tokyo is a gap even though Osaka could not be read: fail, with Osaka's errors."""
    disabled = CollectionError(ev.ACCESS_DENIED, "UnauthorizedOperation", "not authorized")
    second = estate()["ec2.vpcs"][0] | {"vpc_id": "vpc-2", "name": "dev", "is_default": True}
    regions = {
        TOKYO: estate(**{"ec2.vpcs": estate()["ec2.vpcs"] + [second]}),
        "ap-northeast-3": {name: disabled for name in estate()},
    }
    summary = run_one("defense_in_depth_layers", bundle(tmp_path, regions))
    verdicts_seen = [f.verdict.value for f in summary]
    assert verdicts_seen.count("fail") == 1 and "pass" not in verdicts_seen
    assert {f.region for f in summary if f.verdict.value == "error"} == {"ap-northeast-3"}
    failed = next(f for f in summary if f.verdict.value == "fail")
    assert "VPC(s) without flow logs: vpc-2 (ap-northeast-1)" in failed.message_en


def test_guardduty_failure_stands_beside_an_unreadable_attestation(tmp_path):
    """GuardDuty off in Tokyo is a failure even when the attested answers (host IPS/EDR) could not be read.

    Before the fix the unreadable answers turned the whole check into one ``error``."""
    region = estate(**{"guardduty.detectors": []})
    data: dict[tuple[str, str], Any] = {("cloudfront.distributions", GLOBAL): []}
    data.update({(name, TOKYO): rows for name, rows in region.items()})
    broken = CollectionError(ev.OTHER, "ParseError", "the attestation file could not be read")
    data.update({(DOCUMENTS_DATASET, GLOBAL): [], (ANSWERS_DATASET, GLOBAL): broken})
    findings = run_one("internal_threat_detection", make_bundle(tmp_path, data, regions=[TOKYO]))
    seen = {(f.verdict.value, f.resource) for f in findings}
    assert ("fail", f"GuardDuty {TOKYO}") in seen and ("error", ANSWERS_DATASET) in seen, seen


# --- nothing to assess, the composite reads results, one model of exposure (issue 12) -------------------------


def test_nothing_to_assess_per_check(tmp_path):
    """An account without the resources a check looks at: one not_applicable finding naming what is absent."""
    empty = estate(
        **{"ec2.security_groups": [], "ec2.network_acls": [], "ec2.vpcs": [], "ec2.flow_logs": [], "ec2.route_tables": []}
    )
    b = bundle(tmp_path, {TOKYO: empty})
    expected = {
        "sg_ingress_internet": ("security groups", "There are no security groups."),
        "sg_egress_unrestricted": ("security groups", "There are no security groups."),
        "nacl_admin_ports": ("network ACLs", "There are no network ACLs."),
        "vpc_flow_logs": ("VPCs", "There are no VPCs."),
        "egress_filtering": ("VPCs", "There are no VPCs."),
        "remote_admin_from_internet": ("security groups", "There are no security groups."),
    }
    for check_id, (resource, message) in expected.items():
        findings = run_one(check_id, b)
        assert [(f.verdict.value, f.resource, f.message_en) for f in findings] == [("not_applicable", resource, message)], (
            check_id
        )
        assert findings[0].message_ja.endswith("ありません。"), check_id


def test_layer_summary_with_nothing_in_any_layer_is_not_applicable(tmp_path):
    """Every layer check had nothing to assess. Hand-built results: an account without any region in scope
    cannot be collected (its regions would be unknown, an error), so the component results are made here."""
    spec = registry()["defense_in_depth_layers"]
    nothing = {
        c: [Finding(c, "2.3-1", Verdict.NOT_APPLICABLE, ACCOUNT, GLOBAL, registry()[c].record.subject, "-", "-", {}, "info")]
        for c in spec.record.reads
    }
    findings = runner.run_check(spec, bundle(tmp_path), ACCOUNT, {}, prior=nothing)
    assert [(f.verdict.value, f.resource) for f in findings] == [("not_applicable", ACCOUNT)]
    assert findings[0].details["entrance"] == "not_applicable" and findings[0].details["host_ips_edr"] == "unknown"
    assert "no VPCs, internet-facing endpoints or regions" in findings[0].message_en


def test_layer_summary_reads_results_not_evidence(tmp_path):
    """The summary follows its component checks' results: the same well-defended evidence, but a flow-log
    result that failed, gives a partial internal layer (the old summary recomputed it from the evidence)."""
    b = bundle(tmp_path, answers={"host_ips_edr_product": "EDR", "host_ips_edr_coverage": "all"})
    spec = registry()["defense_in_depth_layers"]
    prior = {c: run_one(c, b) for c in spec.record.reads}
    assert verdicts(prior["vpc_flow_logs"]) == {"vpc-1": "pass"}
    assert [f.verdict.value for f in runner.run_check(spec, b, ACCOUNT, {}, prior=prior)] == ["pass"]
    flow = prior["vpc_flow_logs"][0]
    prior["vpc_flow_logs"] = [
        dataclasses.replace(flow, verdict=Verdict.FAIL, resource="vpc-9", region=TOKYO),
        dataclasses.replace(flow, resource="vpc-1"),
    ]
    summary = runner.run_check(spec, b, ACCOUNT, {}, prior=prior)
    assert [f.verdict.value for f in summary] == ["fail"]
    assert summary[0].details["internal"] == "partial" and summary[0].details["layers"]["internal"]["gaps"] == {
        "flow_logs": ["vpc-9 (ap-northeast-1)"]
    }
    assert "Internal (partial): 1 VPC(s) without flow logs: vpc-9 (ap-northeast-1)." in summary[0].message_en
    assert "内部対策（一部）: フローログのないVPC 1件: vpc-9 (ap-northeast-1)。" in summary[0].message_ja


def test_layer_summary_without_its_component_results_is_an_error(tmp_path):
    """Given no results of its components, the summary names the missing results: never a verdict. (run_check
    works them out first; check_findings takes the results as given.)"""
    from assess_lib.checks import registry
    from assess_lib.checks.runner import check_findings

    evidence = bundle(tmp_path)
    findings = check_findings(registry()["defense_in_depth_layers"], evidence, ACCOUNT, {}, None, {})
    assert [f.verdict.value for f in findings] == ["error"]
    assert "waf_internet_endpoints" in findings[0].message_en and findings[0].resource == "defense_in_depth_layers"
    findings = run_single("defense_in_depth_layers", evidence)
    assert "error" not in {f.verdict.value for f in findings}, "run_check runs the components first"


def test_layer_summary_fails_on_a_gap_beside_unreadable_attested_answers(tmp_path):
    """GuardDuty off is a missing internal layer even when the attested answers (host IPS/EDR) are unreadable:
    fail, with the answers' error beside it. Before, the unreadable answers made the whole summary one error."""
    region = estate(**{"guardduty.detectors": []})
    data: dict[tuple[str, str], Any] = {("cloudfront.distributions", GLOBAL): []}
    data.update({(name, TOKYO): rows for name, rows in region.items()})
    broken = CollectionError(ev.OTHER, "ParseError", "the attestation file could not be read")
    data.update({(DOCUMENTS_DATASET, GLOBAL): [], (ANSWERS_DATASET, GLOBAL): broken})
    summary = run_one("defense_in_depth_layers", make_bundle(tmp_path, data, regions=[TOKYO]))
    seen = {(f.verdict.value, f.resource) for f in summary}
    assert ("fail", ACCOUNT) in seen and ("error", ANSWERS_DATASET) in seen, seen
    failed = next(f for f in summary if f.verdict.value == "fail")
    assert failed.details["internal"] == "partial" and failed.details["host_ips_edr"] == "unknown"
    assert len(summary) == 2, "one error per dataset, however many component checks reported it"


def test_layer_words_are_the_catalogue_words(tmp_path):
    """One wording of the layers and their states: the summary's sentences use the text catalogue's words."""
    findings = run_one("defense_in_depth_layers", bundle(tmp_path, {TOKYO: estate(**{"network_firewall.firewalls": []})}))
    details = findings[0].details
    for lang, message in (("ja", findings[0].message_ja), ("en", findings[0].message_en)):
        for layer in ("entrance", "internal", "exit"):
            shown = f"{t(f'layer.{layer}', lang)}: {t(f'layer_state.{details[layer]}', lang)}"
            assert shown in message, (lang, shown, message)


def test_remote_admin_and_security_group_ingress_share_one_model_of_exposure(tmp_path):
    """2.3.1 ⑤ flags exactly the groups whose SSH/RDP 2.3 ① finds open to the internet (one model, _exposure)."""
    groups = [
        sg("sg-v6-rdp", [rule("tcp", 3389, v6=[ANY6])]),
        sg("sg-range", [rule("tcp", 20, 3389, v4=[ANY4])], attached=False),
        sg("sg-all", [rule("-1", v4=[ANY4])]),
        sg("sg-numeric", [rule("6", 22, v4=[ANY4])]),  # protocol as a number: TCP
        sg("sg-udp", [rule("udp", 22, 3389, v4=[ANY4])]),
        sg("sg-narrow", [rule("tcp", 22, v4=["203.0.113.0/24"])]),
        sg("sg-web", [rule("tcp", 443, v4=[ANY4])]),
        sg("sg-db", [rule("tcp", 5432, v4=[ANY4])]),
    ]
    b = bundle(tmp_path, {TOKYO: estate(**{"ec2.security_groups": groups})})
    ingress = {f.resource: f for f in run_one("sg_ingress_internet", b)}
    remote = {f.resource.split()[0]: f for f in run_one("remote_admin_from_internet", b)}
    admin_open = {r for r, f in ingress.items() if {22, 3389} & set(f.details.get("admin_ports") or [])}
    assert admin_open == {"sg-v6-rdp", "sg-range", "sg-all", "sg-numeric"}
    assert {r for r, f in remote.items() if f.verdict.value == "fail"} == admin_open
    assert remote["sg-range"].details["ports"] == [22, 3389] and remote["sg-range"].severity == "medium"
    assert remote["sg-v6-rdp"].severity == "high" and "RDP(3389)" in remote["sg-v6-rdp"].message_en
    assert "（使用中）" in remote["sg-all"].message_ja and " (in use)" in remote["sg-all"].message_en
    assert ingress["sg-numeric"].severity == "critical" and "TCP 22 (SSH) from 0.0.0.0/0" in ingress["sg-numeric"].message_en
    closed = run_one("remote_admin_from_internet", bundle(tmp_path / "b", {TOKYO: estate()}))
    assert [(f.verdict.value, f.details["groups_checked"]) for f in closed] == [("pass", 1)]
    assert closed[0].message_en == "None of 1 security groups exposes SSH or RDP to the internet."


def test_outbound_to_both_address_spaces_reads_naturally(tmp_path):
    groups = [sg("sg-both", egress=[rule("-1", v4=[ANY4], v6=[ANY6])], vpc="vpc-2")]
    found = run_one("sg_egress_unrestricted", bundle(tmp_path, {TOKYO: estate(**{"ec2.security_groups": groups})}))
    assert "to 0.0.0.0/0 and ::/0 on every protocol" in found[0].message_en
    assert "0.0.0.0/0・::/0 への全プロトコル" in found[0].message_ja
