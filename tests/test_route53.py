"""Route 53 hosted zones: collected once per account against moto (server mode), then the checks.

The emulator serves hosted zones, query logging configurations and GetDNSSEC (always NOT_SIGNING);
a signed zone can only be hand-built evidence.
"""

from __future__ import annotations

import uuid

from conftest import ACCOUNT, make_bundle, run_one, verdicts

from assess_lib.demo.seed_dns import seed_hosted_zones
from assess_lib.evidence import GLOBAL, CollectionError
from assess_lib.params import parse_params
from assess_lib.pipeline import collect

REGIONS = ["ap-northeast-1", "us-east-1"]
ZONES = "route53.hosted_zones"


def _collect(aws, tmp_path):
    params = parse_params({"customer": "テスト銀行", "aws": {"regions": REGIONS}, "dns": {"domains": []}})
    return collect(params, tmp_path / "run", endpoint_url=aws.url, max_attempts=2)


def _private_zone(aws, name: str) -> None:
    vpc = aws.client("ec2", "ap-northeast-1").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    aws.client("route53", "us-east-1").create_hosted_zone(
        Name=name,
        CallerReference=uuid.uuid4().hex,
        HostedZoneConfig={"PrivateZone": True, "Comment": "internal"},
        VPC={"VPCRegion": "ap-northeast-1", "VPCId": vpc},
    )


def test_hosted_zones_are_collected_once_per_account_with_logging_and_dnssec(aws, tmp_path):
    seed_hosted_zones(aws.client, ACCOUNT, {"bank.example.jp": True, "card.example.jp": False})
    _private_zone(aws, "corp.internal")
    bundle = _collect(aws, tmp_path)

    entries = [e for e in bundle.manifest["datasets"] if e["dataset"] == ZONES]
    assert [(e["region"], e["status"]) for e in entries] == [(GLOBAL, "ok")], "a global service: once per account"
    rows = {r["name"]: r for r in bundle.rows(ZONES, ACCOUNT)}
    assert set(rows) == {"bank.example.jp", "card.example.jp", "corp.internal"}
    assert rows["bank.example.jp"]["query_log_groups"] == [
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/route53/bank.example.jp:*"
    ]
    assert rows["card.example.jp"]["query_log_groups"] == []
    assert rows["bank.example.jp"]["dnssec_status"] == "NOT_SIGNING"
    assert rows["corp.internal"]["private"] is True and rows["corp.internal"]["dnssec_status"] is None
    assert not rows["bank.example.jp"]["zone_id"].startswith("/hostedzone/")
    # Calls: two listings plus one GetDNSSEC per public zone, none per record or per private zone.
    assert bundle.manifest["api_calls"][ACCOUNT]["route53"]["calls"] == 4

    logging = verdicts(run_one("route53_query_logging", bundle))
    assert logging == {
        f"bank.example.jp ({rows['bank.example.jp']['zone_id']})": "pass",
        f"card.example.jp ({rows['card.example.jp']['zone_id']})": "fail",
    }, "the private zone is not judged"
    dnssec = verdicts(run_one("route53_dnssec", bundle))
    assert set(dnssec.values()) == {"fail"} and len(dnssec) == 2


def test_dnssec_passes_only_for_a_signing_zone(tmp_path):
    rows = [
        {"zone_id": "Z1", "name": "bank.example.jp", "private": False, "query_log_groups": ["arn:x"], "dnssec_status": "SIGNING"},
        {"zone_id": "Z2", "name": "card.example.jp", "private": False, "query_log_groups": [], "dnssec_status": "ACTION_NEEDED"},
        {"zone_id": "Z3", "name": "corp.internal", "private": True, "query_log_groups": [], "dnssec_status": None},
    ]
    findings = run_one("route53_dnssec", make_bundle(tmp_path, {(ZONES, GLOBAL): rows}))
    assert verdicts(findings) == {"bank.example.jp (Z1)": "pass", "card.example.jp (Z2)": "fail"}
    failed = next(f for f in findings if f.verdict.value == "fail")
    assert "ACTION_NEEDED" in failed.message_en and "ACTION_NEEDED" in failed.message_ja


def test_no_public_zone_is_not_applicable(tmp_path):
    private = [{"zone_id": "Z3", "name": "corp.internal", "private": True, "query_log_groups": [], "dnssec_status": None}]
    for check_id in ("route53_query_logging", "route53_dnssec"):
        assert verdicts(run_one(check_id, make_bundle(tmp_path / check_id, {(ZONES, GLOBAL): private}))) == {
            "Route 53": "not_applicable"
        }


def test_unreadable_zones_are_an_error_naming_the_cause(tmp_path):
    denied = CollectionError("access_denied", "AccessDenied", "not authorized to perform route53:ListHostedZones")
    findings = run_one("route53_query_logging", make_bundle(tmp_path, {(ZONES, GLOBAL): denied}))
    assert [f.verdict.value for f in findings] == ["error"]
    assert "AccessDenied" in findings[0].message_en
