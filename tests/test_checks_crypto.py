"""2.3.3 ① and 2.3.4.4 ③: KMS keys, ACM certificates and TLS on internet endpoints judged against the CRYPTREC list.

One small estate in the emulator for the module (real collectors over HTTP); hand-built evidence only for what
moto cannot produce: an expired or stuck ACM-issued certificate (moto refuses nothing and renews nothing), a key's
rotation period (moto does not return it), nothing to assess and missing evidence.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from conftest import ACCOUNT, make_bundle, run_one, verdicts

from assess_lib.aws.collectors import AccountContext
from assess_lib.aws.session import ClientFactory
from assess_lib.checks import _cryptrec as cryptrec
from assess_lib.demo.seed_crypto import _certificate
from assess_lib.demo.server import demo_credentials
from assess_lib.evidence import Bundle, CollectionError, EvidenceStore

TOKYO, VIRGINIA = "ap-northeast-1", "us-east-1"
DATASETS = {
    TOKYO: ["kms.keys", "acm.certificates", "elbv2.load_balancers", "elbv2.listeners", "apigateway.domain_names"],
    "global": ["cloudfront.distributions"],
}
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def outcomes(findings) -> list[str]:
    """Verdicts under the first item the check serves (tls_policy_cryptrec serves two)."""
    first = findings[0].control_id if findings else None
    return sorted(f.verdict.value for f in findings if f.control_id == first)


def _client(url: str, service: str, region: str = TOKYO):
    return boto3.client(service, region_name=region, endpoint_url=url, config=Config(retries={"max_attempts": 1}))


def _distribution(cloudfront, reference: str, viewer: dict, behaviours: list[tuple[str, str]]) -> str:
    origin = {
        "Id": "o",
        "DomainName": "origin.example.jp",
        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
    }
    forwarded = {"ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}, "MinTTL": 0}
    default, *others = behaviours
    config = {
        "CallerReference": reference,
        "Comment": reference,
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "o", "ViewerProtocolPolicy": default[1], **forwarded},
        "ViewerCertificate": viewer,
    }
    if others:
        items = [{"PathPattern": p, "TargetOriginId": "o", "ViewerProtocolPolicy": v, **forwarded} for p, v in others]
        config["CacheBehaviors"] = {"Quantity": len(items), "Items": items}
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def _seed(url: str) -> dict[str, str]:
    """Keys, certificates, an ALB, an NLB, API domains and two CloudFront distributions; returns names to assert on."""
    kms = _client(url, "kms")
    rotating = kms.create_key(Description="rotating")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=rotating)
    still = kms.create_key(Description="never rotated")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/still", TargetKeyId=still)
    hmac = kms.create_key(KeyUsage="GENERATE_VERIFY_MAC", KeySpec="HMAC_224")["KeyMetadata"]["KeyId"]
    rsa = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_2048")["KeyMetadata"]["KeyId"]
    off = kms.create_key(Description="disabled, not judged")["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=off)

    acm = _client(url, "acm")
    good = acm.import_certificate(**_certificate("good.example.jp", 200))["CertificateArn"]
    soon = acm.import_certificate(**_certificate("soon.example.jp", 10))["CertificateArn"]
    weak = acm.import_certificate(**_certificate("weak.example.jp", 200, weak=True))["CertificateArn"]
    acm.import_certificate(**_certificate("unused.example.jp", 5, weak=True))  # in use nowhere: not judged

    ec2 = _client(url, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{TOKYO}{az}")["Subnet"]["SubnetId"]
        for i, az in ((1, "a"), (2, "c"))
    ]
    elb = _client(url, "elbv2")
    alb = elb.create_load_balancer(Name="web", Subnets=subnets, Scheme="internet-facing")["LoadBalancers"][0]["LoadBalancerArn"]
    nlb = elb.create_load_balancer(Name="sftp", Subnets=subnets, Scheme="internet-facing", Type="network")["LoadBalancers"][0][
        "LoadBalancerArn"
    ]
    inner = elb.create_load_balancer(Name="inner", Subnets=subnets, Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"]
    group = elb.create_target_group(Name="web-tg", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": group}]
    redirect = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]
    for port, policy, cert in (
        (443, "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", good),
        (8443, "ELBSecurityPolicy-TLS13-1-0-2021-06", soon),
        (9443, "ELBSecurityPolicy-TLS13-1-3-2021-06", weak),
    ):
        elb.create_listener(
            LoadBalancerArn=alb,
            Protocol="HTTPS",
            Port=port,
            SslPolicy=policy,
            Certificates=[{"CertificateArn": cert}],
            DefaultActions=forward,
        )
    elb.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=redirect)
    elb.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=8080, DefaultActions=forward)
    tls_group = elb.create_target_group(Name="sftp-tg", Protocol="TCP", Port=22, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(
        LoadBalancerArn=nlb,
        Protocol="TLS",
        Port=990,
        SslPolicy="ELBSecurityPolicy-TLS-1-2-2017-01",
        Certificates=[{"CertificateArn": good}],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tls_group}],
    )
    elb.create_listener(LoadBalancerArn=inner, Protocol="HTTP", Port=80, DefaultActions=forward)  # internal: not asked

    apigw = _client(url, "apigateway")
    for domain, policy in (("api.example.jp", "TLS_1_2"), ("old-api.example.jp", "TLS_1_0")):
        apigw.create_domain_name(
            domainName=domain, regionalCertificateArn=good, endpointConfiguration={"types": ["REGIONAL"]}, securityPolicy=policy
        )

    cloudfront = _client(url, "cloudfront", VIRGINIA)
    front_cert = _client(url, "acm", VIRGINIA).import_certificate(**_certificate("www.example.jp", 200))["CertificateArn"]
    custom = {"CloudFrontDefaultCertificate": False, "ACMCertificateArn": front_cert, "SSLSupportMethod": "sni-only"}
    strict = _distribution(
        cloudfront, "strict", {**custom, "MinimumProtocolVersion": "TLSv1.2_2021"}, [("*", "redirect-to-https")]
    )
    legacy = _distribution(
        cloudfront, "legacy", {**custom, "MinimumProtocolVersion": "TLSv1_2016"}, [("*", "https-only"), ("/old/*", "allow-all")]
    )
    default = _distribution(cloudfront, "default", {"CloudFrontDefaultCertificate": True}, [("*", "redirect-to-https")])
    names = {"rotating": rotating, "still": f"alias/still ({still})", "hmac": hmac, "rsa": rsa, "off": off}
    return {**names, "strict": strict, "legacy": legacy, "default": default}


@pytest.fixture(scope="module")
def estate(moto_server, tmp_path_factory) -> tuple[Bundle, dict[str, str], Path]:
    """The estate collected once for the module: the datasets these checks read, through their collectors."""
    moto_server.reset()
    folder = tmp_path_factory.mktemp("crypto") / "run"
    with demo_credentials():
        names = _seed(moto_server.url)
        store = EvidenceStore(run_id="crypto", started_at=dt.datetime.now(dt.UTC).isoformat())
        ctx = AccountContext(ACCOUNT, ClientFactory(boto3.Session(), moto_server.url, 2), store, [TOKYO])
        for region, datasets in DATASETS.items():
            for name in datasets:
                record = ctx.dataset(name, region)
                assert record.ok, record
    store.meta = {"accounts": [ACCOUNT], "regions": {ACCOUNT: [TOKYO]}, "domains": []}
    store.save(folder, dt.datetime.now(dt.UTC).isoformat())
    return Bundle.load(folder), names, folder


# --- collectors ------------------------------------------------------------------------------------------


def test_collected_rows_are_plain_facts(estate):
    bundle, names, _ = estate
    keys = {k["key_id"]: k for k in bundle.rows("kms.keys", ACCOUNT, TOKYO)}
    assert keys[names["rotating"]]["rotation_enabled"] is True and keys[names["off"]]["rotation_enabled"] is None
    assert keys[names["hmac"]]["key_spec"] == "HMAC_224" and keys[names["hmac"]]["rotation_enabled"] is None
    assert "alias/still" in next(k for k in keys.values() if k["aliases"])["aliases"]
    certs = {c["domain_name"]: c for c in bundle.rows("acm.certificates", ACCOUNT, TOKYO)}
    assert certs["weak.example.jp"]["key_algorithm"] == "RSA_1024", "every key type is listed, not only RSA_2048"
    assert certs["good.example.jp"]["in_use"] and not certs["unused.example.jp"]["in_use"]
    listeners = {(r["load_balancer_name"], r["port"]): r for r in bundle.rows("elbv2.listeners", ACCOUNT, TOKYO)}
    assert ("inner", 80) not in listeners, "internal load balancers are not asked"
    assert listeners[("web", 80)]["ssl_policy"] is None and listeners[("web", 80)]["redirect_protocol"] == "HTTPS"
    assert listeners[("web", 8443)]["ssl_protocols"] and "TLSv1" in listeners[("web", 8443)]["ssl_protocols"]
    assert listeners[("sftp", 990)]["protocol"] == "TLS" and listeners[("sftp", 990)]["ssl_ciphers"]
    dists = {d["id"]: d for d in bundle.rows("cloudfront.distributions", ACCOUNT)}
    assert dists[names["strict"]]["default_certificate"] is False and dists[names["default"]]["default_certificate"] is True
    assert dists[names["legacy"]]["viewer_protocol_policies"] == [
        {"path": "*", "policy": "https-only"},
        {"path": "/old/*", "policy": "allow-all"},
    ]


# --- KMS --------------------------------------------------------------------------------------------------


def test_kms_rotation_and_spec_from_the_emulator(estate):
    bundle, names, _ = estate
    rotation = verdicts(run_one("kms_key_rotation", bundle))
    assert rotation == {names["rotating"]: "pass", names["still"]: "fail"}, "asymmetric, HMAC and disabled keys are not asked"
    spec = verdicts(run_one("kms_key_spec", bundle))
    assert spec[names["hmac"]] == "fail" and spec[names["rsa"]] == "pass" and spec[names["rotating"]] == "pass"
    assert names["off"] not in spec
    hmac = next(f for f in run_one("kms_key_spec", bundle) if f.resource == names["hmac"])
    assert "HMAC_224" in hmac.message_en and "CRYPTREC" in hmac.message_ja


def _key(key_id, **extra):
    return {
        "key_id": key_id,
        "arn": None,
        "aliases": [],
        "manager": "CUSTOMER",
        "state": "Enabled",
        "key_spec": "SYMMETRIC_DEFAULT",
        **extra,
    }


def test_kms_rotation_period_is_a_parameter(tmp_path):
    """moto does not return RotationPeriodInDays: hand-built rows."""
    rows = [
        _key("yearly", rotation_enabled=True, rotation_period_days=365),
        _key("slow", rotation_enabled=True, rotation_period_days=730),
    ]
    bundle = make_bundle(tmp_path, {("kms.keys", TOKYO): rows})
    assert verdicts(run_one("kms_key_rotation", bundle)) == {"yearly": "pass", "slow": "fail"}
    assert verdicts(run_one("kms_key_rotation", bundle, {"kms_rotation_max_days": 1000})) == {"yearly": "pass", "slow": "pass"}
    unknown = verdicts(
        run_one("kms_key_spec", make_bundle(tmp_path / "u", {("kms.keys", TOKYO): [_key("new", key_spec="FUTURE_1")]}))
    )
    assert unknown == {"new": "manual"}, "a spec the table does not know is never guessed"


def test_kms_nothing_to_assess_and_missing_evidence(tmp_path):
    none = make_bundle(tmp_path, {("kms.keys", TOKYO): [_key("aws", manager="AWS")]})
    assert [f.verdict.value for f in run_one("kms_key_rotation", none)] == ["not_applicable"]
    assert [f.verdict.value for f in run_one("kms_key_spec", none)] == ["not_applicable"]
    missing = make_bundle(tmp_path / "m", {("kms.keys", TOKYO): CollectionError("access_denied", "AccessDeniedException", "no")})
    for check_id in ("kms_key_rotation", "kms_key_spec"):
        found = run_one(check_id, missing)
        assert [f.verdict.value for f in found] == ["error"] and found[0].details["missing_permission"]


# --- ACM --------------------------------------------------------------------------------------------------


def test_certificates_from_the_emulator(estate):
    bundle, _, _ = estate
    expiry = verdicts(run_one("acm_certificate_expiry", bundle))
    assert {k.split(" ")[0]: v for k, v in expiry.items()} == {
        "good.example.jp": "pass",
        "soon.example.jp": "fail",
        "weak.example.jp": "pass",
    }, "unused certificates are not judged"
    soon = next(f for f in run_one("acm_certificate_expiry", bundle) if f.resource.startswith("soon."))
    assert "does not renew imported certificates" in soon.message_en and "30" in soon.message_en
    strength = {k.split(" ")[0]: v for k, v in verdicts(run_one("acm_certificate_strength", bundle)).items()}
    assert strength == {"good.example.jp": "pass", "soon.example.jp": "pass", "weak.example.jp": "fail"}
    weak = next(f for f in run_one("acm_certificate_strength", bundle) if f.resource.startswith("weak."))
    assert "RSA_1024" in weak.message_en and "2048" in weak.message_ja


def _cert(name, days, **extra):
    return {
        "arn": f"arn:aws:acm:{TOKYO}:{ACCOUNT}:certificate/{name}",
        "domain_name": f"{name}.example.jp",
        "type": "AMAZON_ISSUED",
        "status": "ISSUED",
        "key_algorithm": "RSA_2048",
        "signature_algorithm": "SHA256WITHRSA",
        "not_after": (NOW + dt.timedelta(days=days)).isoformat(),
        "in_use": True,
        "in_use_by": [f"arn:aws:elasticloadbalancing:{TOKYO}:{ACCOUNT}:loadbalancer/app/{name}/1"],
        "renewal_eligibility": "ELIGIBLE",
        "renewal_status": "PENDING_VALIDATION",
        **extra,
    }


def test_expired_and_stuck_certificates(tmp_path):
    """moto cannot hold an expired certificate or a stuck ACM renewal: hand-built rows."""
    rows = [
        _cert("gone", -3, status="EXPIRED"),
        _cert("stuck", 20),
        _cert("fine", 90),
        _cert("sha1", 90, signature_algorithm="SHA1WITHRSA"),
    ]
    bundle = make_bundle(tmp_path, {("acm.certificates", TOKYO): rows}, started_at=NOW.isoformat())
    found = {f.resource.split(".")[0]: f for f in run_one("acm_certificate_expiry", bundle)}
    assert {k: f.verdict.value for k, f in found.items()} == {"gone": "fail", "stuck": "fail", "fine": "pass", "sha1": "pass"}
    assert found["gone"].severity == "high" and "expired" in found["gone"].message_en
    assert "PENDING_VALIDATION" in found["stuck"].message_en
    assert run_one("acm_certificate_expiry", bundle, {"certificate_expiry_warning_days": 10})[1].verdict.value == "pass"
    strength = {f.resource.split(".")[0]: f.verdict.value for f in run_one("acm_certificate_strength", bundle)}
    assert strength["sha1"] == "fail" and strength["fine"] == "pass", "SHA-1 signatures are on the monitored list only"


def test_certificates_nothing_to_assess_and_missing_evidence(tmp_path):
    none = make_bundle(tmp_path, {("acm.certificates", TOKYO): [_cert("idle", 400, in_use=False)]})
    missing = make_bundle(
        tmp_path / "m", {("acm.certificates", TOKYO): CollectionError("throttled", "ThrottlingException", "slow")}
    )
    for check_id in ("acm_certificate_expiry", "acm_certificate_strength"):
        assert [f.verdict.value for f in run_one(check_id, none)] == ["not_applicable"]
        assert [f.verdict.value for f in run_one(check_id, missing)] == ["error"]


# --- TLS and plain HTTP ----------------------------------------------------------------------------------


def test_tls_policies_from_the_emulator(estate):
    bundle, names, _ = estate
    found = {f.resource: f for f in run_one("tls_policy_cryptrec", bundle)}
    got = {k: f.verdict.value for k, f in found.items()}
    assert got == {
        "web:443": "pass",
        "web:8443": "fail",
        "web:9443": "pass",
        "sftp:990": "pass",
        "api.example.jp": "pass",
        "old-api.example.jp": "fail",
        names["strict"]: "pass",
        names["legacy"]: "fail",
        names["default"]: "fail",
    }
    assert found["web:8443"].severity == "high" and "TLSv1" in found["web:8443"].message_en
    assert "monitored" in found["sftp:990"].message_en, "RSA key transport suites are named, not failed, by default"
    assert "TLS 1.0" in found[names["default"]].message_en and found["web:443"].region == TOKYO
    strict = {f.resource: f.verdict.value for f in run_one("tls_policy_cryptrec", bundle, {"tls_allow_monitored_ciphers": False})}
    assert strict["sftp:990"] == "fail" and strict["api.example.jp"] == "fail" and strict["web:443"] == "pass"


def test_plain_http_from_the_emulator(estate):
    bundle, names, _ = estate
    found = {f.resource: f for f in run_one("plaintext_http_endpoints", bundle)}
    assert {k: f.verdict.value for k, f in found.items()} == {
        "web:80": "pass",
        "web:8080": "fail",
        names["strict"]: "pass",
        names["legacy"]: "fail",
        names["default"]: "pass",
    }
    assert "/old/*" in found[names["legacy"]].message_en


def test_tls_nothing_to_assess_and_missing_evidence(tmp_path):
    empty = {("elbv2.listeners", TOKYO): [], ("apigateway.domain_names", TOKYO): [], ("cloudfront.distributions", "global"): []}
    for check_id in ("tls_policy_cryptrec", "plaintext_http_endpoints"):
        assert outcomes(run_one(check_id, make_bundle(tmp_path / check_id, empty))) == ["not_applicable"]
    dist = {
        "id": "E1",
        "arn": None,
        "domain_name": "d1.cloudfront.net",
        "aliases": [],
        "enabled": True,
        "comment": None,
        "web_acl_id": None,
        "viewer_protocol_policies": [{"path": "*", "policy": "allow-all"}],
        "minimum_protocol_version": "TLSv1",
        "default_certificate": True,
        "certificate_arn": None,
    }
    denied = CollectionError("access_denied", "AccessDenied", "no")
    partial = make_bundle(
        tmp_path / "partial",
        {
            ("elbv2.listeners", TOKYO): denied,
            ("apigateway.domain_names", TOKYO): [],
            ("cloudfront.distributions", "global"): [dist],
        },
    )
    for check_id in ("tls_policy_cryptrec", "plaintext_http_endpoints"):
        outcome = outcomes(run_one(check_id, partial))
        assert outcome == ["error", "fail"], "a region's missing evidence never hides CloudFront's failure"


# --- the CRYPTREC table ----------------------------------------------------------------------------------


def test_the_table_names_its_source_and_covers_its_policies():
    data = cryptrec.table()
    assert "LS-0001-2022R2" in data["source"]["list"] and data["compiled"]
    reference = Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "cryptrec-ciphers-list-ja.txt"
    if reference.exists():  # the list's words the table relies on
        text = reference.read_text(encoding="utf-8")
        for word in (
            "ECDH",
            "ECDSA",
            "AES",
            "ChaCha20-Poly1305",
            "RSAES-PKCS1-v1_5",
            "3-key Triple DES",
            "SHA-1",
            "令和８年３月30日",
        ):
            assert word in text, word
    tls = data["tls"]
    for suite, parts in tls["suites"].items():
        assert len(parts) == 4 and all(p in tls["parts"] for p in parts), suite
    for service in ("cloudfront", "apigateway"):
        for name, policy in tls[service].items():
            assert all(c in tls["suites"] for c in policy["ciphers"]), (service, name)
            assert all(p in tls["protocol_order"] for p in policy["protocols"]), (service, name)
    assert cryptrec.suite_standing("ECDHE-RSA-AES128-GCM-SHA256") == "recommended"
    assert cryptrec.suite_standing("AES128-GCM-SHA256") == "monitored" and cryptrec.suite_standing("RC4-MD5") == "unlisted"
    assert cryptrec.standing("certificate_signatures", "ECDSA-WITH-SHA256") == "recommended"


def test_every_elb_policy_aws_publishes_is_judged(moto_server):
    """The policies DescribeSSLPolicies returns (moto ships AWS's list) use only suites the table knows."""
    with demo_credentials():
        policies = _client(moto_server.url, "elbv2").describe_ssl_policies()["SslPolicies"]
    unknown = {p["Name"]: cryptrec.judge_tls(p["SslProtocols"], [c["Name"] for c in p["Ciphers"]]).unknown for p in policies}
    assert len(policies) > 10 and not {k: v for k, v in unknown.items() if v}


def test_the_demo_shows_every_check_both_ways(demo_cli_run):
    findings = json.loads((demo_cli_run / "findings.json").read_text(encoding="utf-8"))
    findings = findings["findings"] if isinstance(findings, dict) else findings
    mine = (
        "kms_key_rotation",
        "kms_key_spec",
        "acm_certificate_expiry",
        "acm_certificate_strength",
        "tls_policy_cryptrec",
        "plaintext_http_endpoints",
    )
    for check_id in mine:
        seen = {f["verdict"] for f in findings if f["check_id"] == check_id and f["account_id"] == ACCOUNT}
        assert {"pass", "fail"} <= seen, (check_id, seen)
