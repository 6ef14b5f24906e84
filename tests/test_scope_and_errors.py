"""No verdict without a known region scope, and honest error classes (issue 11, points 6 and 7).

* ``regions: all`` with ec2:DescribeRegions denied, against the real moto server with IAM enforcement:
  every regional check of the account is ``error`` naming the cause and ec2:DescribeRegions; global
  checks are unaffected.
* An empty region list and older bundles (no ``region_scope_errors`` in the manifest): hand-built
  evidence, because moto always lists its regions and cannot answer an empty list.
* Server errors (HTTP 5xx, InternalError, ServiceUnavailable) from a tiny HTTP server on 127.0.0.1
  are ``server_error``; moto's answers for operations it does not implement stay "not implemented".
* SPF: an include/redirect target that does not exist or has no SPF record is a fail of the record
  naming it; a target that does not answer stays missing evidence (dnslib server on 127.0.0.1).
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import threading
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import boto3
import checkdmarc.utils
import pytest
from botocore.config import Config
from conftest import ACCOUNT, run_one

from assess_lib import evidence as ev
from assess_lib.aws.errors import classify
from assess_lib.checks import ACCOUNT_SCOPE, registry
from assess_lib.datasets import DATASETS, REGIONAL_SCOPE
from assess_lib.checks.runner import evaluate as run_checks
from assess_lib.demo.dns_zone import ZoneServer
from assess_lib.dns import collect_dns
from assess_lib.bundle_check import BundleError
from assess_lib.evidence import GLOBAL, Bundle, DatasetRecord, EvidenceStore
from assess_lib.params import parse_params
from assess_lib.pipeline import collect, evaluate
from assess_lib.report.document import scope_of
from assess_lib.thresholds import DEFAULT_THRESHOLDS

SERVER_ERROR = "server_error"  # SERVER_ERROR (spelt out: the module imports on older code too)


def is_regional(datasets) -> bool:
    return any(DATASETS[name].scope == REGIONAL_SCOPE for name in datasets)


def rests_on(check_id: str) -> list[str]:
    """The datasets a check's verdicts rest on: its own and, for a composite check, those of the checks it reads."""
    spec = registry()[check_id]
    return [*spec.datasets, *(name for other in spec.record.reads for name in rests_on(other))]


REGIONAL_CHECKS = sorted(c for c, s in registry().items() if s.scope == ACCOUNT_SCOPE and is_regional(rests_on(c)))
GLOBAL_CHECKS = sorted(c for c, s in registry().items() if s.scope == ACCOUNT_SCOPE and not is_regional(rests_on(c)))
TOKYO = "ap-northeast-1"
OPEN_SG = {
    "group_id": "sg-open",
    "group_name": "web",
    "vpc_id": "vpc-1",
    "ip_permissions": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}],
    "ip_permissions_egress": [],
}


def regional_verdicts(findings, account: str = ACCOUNT) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for f in findings:
        if f.account_id == account and f.check_id in REGIONAL_CHECKS:
            found.setdefault(f.check_id, set()).add(f.verdict.value)
    return found


def assert_every_regional_check_is_error(findings, permission: str, account: str = ACCOUNT) -> None:
    verdicts = regional_verdicts(findings, account)
    assert set(verdicts) == set(REGIONAL_CHECKS), "every regional check gives a finding"
    concluded = {c: v for c, v in verdicts.items() if v & {"pass", "not_applicable"}}
    assert not concluded, f"regional checks concluded on an unknown scope: {concluded}"
    for check_id in REGIONAL_CHECKS:
        errors = [f for f in findings if f.check_id == check_id and f.account_id == account and f.verdict.value == "error"]
        scope = [f for f in errors if f.details.get("missing_permission") == permission]
        assert scope, f"{check_id}: no error naming {permission}"
        assert permission in scope[0].message_en and permission in scope[0].message_ja
        assert "regions in scope" in scope[0].message_en and "評価対象リージョン" in scope[0].message_ja


# --- point 6: the region scope ----------------------------------------------------------------------


def collect_denied(aws, tmp_path: Path, denied: str, aws_params: dict[str, Any]) -> Bundle:
    """Collect as an IAM user allowed everything but ``denied``, with moto's IAM enforcement on."""
    iam = aws.client("iam", "us-east-1")
    iam.create_user(UserName="assessor")
    iam.create_login_profile(UserName="assessor", Password="x-Passw0rd!")  # a global check has something to judge
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": denied, "Resource": "*"},
        ],
    }
    iam.put_user_policy(UserName="assessor", PolicyName="kit", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="assessor")["AccessKey"]
    os.environ["AWS_ACCESS_KEY_ID"] = key["AccessKeyId"]  # restored by the aws fixture
    os.environ["AWS_SECRET_ACCESS_KEY"] = key["SecretAccessKey"]
    params = parse_params({"customer": "テスト銀行", "aws": aws_params, "dns": {"domains": []}})
    aws.server.set_auth(True)
    try:
        return collect(params, tmp_path / "run", endpoint_url=aws.url, max_attempts=1, dns_nameservers=[])
    finally:
        aws.server.set_auth(False)


def test_regions_all_with_describe_regions_denied_is_error_for_every_regional_check(aws, tmp_path: Path):
    """Real moto with IAM enforcement: a user allowed everything except ec2:DescribeRegions.

    Before the fix the scope silently shrank to the session's one region and its security groups passed."""
    bundle = collect_denied(aws, tmp_path, "ec2:DescribeRegions", {"regions": "all"})
    account = bundle.accounts[0]
    scope = bundle.manifest["region_scope_errors"][account]
    assert scope["kind"] == ev.ACCESS_DENIED and scope["action"] == "ec2:DescribeRegions" and scope["code"]
    assert bundle.manifest["regions"][account] == [], "no region is guessed"
    assert account not in bundle.manifest["account_errors"], "the account itself was accessible"

    findings = run_checks(bundle, DEFAULT_THRESHOLDS)
    assert_every_regional_check_is_error(findings, "ec2:DescribeRegions", account)
    # Global checks are unaffected: they judge on their own evidence.
    console_mfa = [f for f in findings if f.check_id == "iam_user_console_mfa" and f.resource == "assessor"]
    assert console_mfa and {f.verdict.value for f in console_mfa} == {"fail"}
    assert not [f for f in findings if f.check_id in GLOBAL_CHECKS and "ec2:DescribeRegions" in f.message_en]


def test_account_whose_role_cannot_be_assumed_under_regions_all_is_error_for_every_regional_check(aws, tmp_path: Path):
    """Real moto with IAM enforcement: sts:AssumeRole denied for another account under ``regions: all``.
    Before the fix that account had no region, so its regional checks found "nothing" and were not applicable."""
    other = "210987654321"
    bundle = collect_denied(aws, tmp_path, "sts:AssumeRole", {"regions": "all", "accounts": [other], "role_name": "Audit"})
    assert bundle.manifest["region_scope_errors"][other]["action"] == "sts:AssumeRole"
    findings = run_checks(bundle, DEFAULT_THRESHOLDS)
    assert_every_regional_check_is_error(findings, "sts:AssumeRole", other)
    assert "assessment role could not be assumed" in next(f for f in findings if f.check_id == "sg_ingress_internet").message_en


def scope_bundle(tmp_path: Path, meta: dict[str, Any], records: list[DatasetRecord]) -> Bundle:
    store = EvidenceStore(run_id="scope-test", started_at=dt.datetime.now(dt.UTC).isoformat())
    store.meta = {"accounts": [ACCOUNT], "domains": [], **meta}
    for record in records:
        store.put(record)
    store.save(tmp_path / "run", dt.datetime.now(dt.UTC).isoformat())
    return Bundle.load(tmp_path / "run")


def global_records() -> list[DatasetRecord]:
    return [DatasetRecord("cloudfront.distributions", ACCOUNT, GLOBAL, "ok", rows=[])]


def test_empty_region_list_is_error_for_every_regional_check(tmp_path: Path):
    """Hand-built: moto always lists its regions, so an empty DescribeRegions answer cannot be produced there.
    Before the fix every regional check said "not applicable" (e.g. "there are no security groups")."""
    bundle = scope_bundle(
        tmp_path,
        {
            "params": {"aws": {"regions": "all"}},
            "regions": {ACCOUNT: []},
            "region_scope_errors": {
                ACCOUNT: {
                    "kind": ev.OTHER,
                    "code": "EmptyRegionList",
                    "message": "ec2:DescribeRegions listed no enabled region",
                    "action": "ec2:DescribeRegions",
                }
            },
        },
        global_records(),
    )
    findings = run_checks(bundle, DEFAULT_THRESHOLDS)
    assert_every_regional_check_is_error(findings, "ec2:DescribeRegions")
    sg = [f for f in findings if f.check_id == "sg_ingress_internet"]
    assert "came back empty" in sg[0].message_en and "一覧が空" in sg[0].message_ja
    # The report's cover says so beside the account (it listed nothing there before).
    assessment = evaluate(bundle)
    assert scope_of(assessment, "ja")["accounts"][0]["regions"] == ["評価対象リージョン不明"]
    assert scope_of(assessment, "en")["accounts"][0]["regions"] == ["regions in scope unknown"]


def test_older_bundles_without_the_field_keep_working_and_unknown_scopes_are_errors(tmp_path: Path):
    """Bundles written before ``region_scope_errors`` existed: an account without regions (its role could not
    be assumed under ``regions: all``) is an error naming sts:AssumeRole; an account whose region list could
    not be read kept the session's region beside an account error: that scope is unknown too."""
    denied = {"kind": ev.ACCESS_DENIED, "code": "AccessDenied", "message": "not authorized to perform sts:AssumeRole"}
    no_role = scope_bundle(
        tmp_path / "a",
        {"params": {"aws": {"regions": "all"}}, "regions": {ACCOUNT: []}, "account_errors": {ACCOUNT: denied}},
        global_records(),
    )
    assert_every_regional_check_is_error(run_checks(no_role, DEFAULT_THRESHOLDS), "sts:AssumeRole")

    regions_denied = {"kind": ev.ACCESS_DENIED, "code": "UnauthorizedOperation", "message": "not authorized"}
    shrunk = scope_bundle(
        tmp_path / "b",
        {"params": {"aws": {"regions": "all"}}, "regions": {ACCOUNT: [TOKYO]}, "account_errors": {ACCOUNT: regions_denied}},
        [*global_records(), DatasetRecord("ec2.security_groups", ACCOUNT, TOKYO, "ok", rows=[OPEN_SG])],
    )
    assert {f.verdict.value for f in run_one("sg_ingress_internet", shrunk)} == {"error"}

    # An older bundle with a known scope is judged as before.
    known = scope_bundle(
        tmp_path / "c",
        {"params": {"aws": {"regions": [TOKYO]}}, "regions": {ACCOUNT: [TOKYO]}},
        [DatasetRecord("ec2.security_groups", ACCOUNT, TOKYO, "ok", rows=[OPEN_SG])],
    )
    assert {f.verdict.value for f in run_one("sg_ingress_internet", known)} == {"pass"}


def test_failures_stay_beside_the_unknown_scope(tmp_path: Path):
    """A regional check that also reads global evidence keeps what that evidence shows failing (a CloudFront
    distribution without WAF); conclusions that would need the regions (pass, not applicable) are withheld."""
    distributions = [
        {"id": f"E{n}", "arn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E{n}", "enabled": True, "aliases": [],
         "domain_name": f"d{n}.cloudfront.net", "web_acl_id": acl}
        for n, acl in ((1, None), (2, "arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/1"))
    ]  # fmt: skip
    bundle = scope_bundle(
        tmp_path,
        {"params": {"aws": {"regions": "all"}}, "regions": {ACCOUNT: []}},
        [DatasetRecord("cloudfront.distributions", ACCOUNT, GLOBAL, "ok", rows=distributions)],
    )
    found = {(f.resource, f.verdict.value) for f in run_one("waf_internet_endpoints", bundle)}
    assert ("E1", "fail") in found and ("ec2.regions", "error") in found
    assert not {v for _, v in found} & {"pass", "not_applicable"}, found


# --- point 7: error classes -------------------------------------------------------------------------


class TinyAws:
    """A tiny HTTP server on 127.0.0.1 answering every request with one fixed error, as AWS words it."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TinyAws:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def failure_of(call) -> ev.CollectionError:
    with pytest.raises(Exception) as raised:
        call()
    return classify(raised.value)


def client(service: str, url: str) -> Any:
    return boto3.client(
        service,
        region_name=TOKYO,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


EC2_INTERNAL = (
    b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InternalError</Code>'
    b"<Message>An internal error has occurred</Message></Error></Errors><RequestID>tiny</RequestID></Response>"
)
STS_UNAVAILABLE = (
    b'<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code>'
    b"<Message>Service is unavailable</Message></Error><RequestId>tiny</RequestId></ErrorResponse>"
)


@pytest.mark.parametrize(
    "status, body, content_type, service, call, code",
    [
        (500, b'{"__type":"InternalFailure","message":"internal failure"}', "application/x-amz-json-1.1", "ssm",
         lambda c: c.describe_instance_information(), "InternalFailure"),
        (500, b'{"__type":"InternalServerException","message":"boom"}', "application/x-amz-json-1.1", "secretsmanager",
         lambda c: c.list_secrets(), "InternalServerException"),
        (500, EC2_INTERNAL, "text/xml", "ec2", lambda c: c.describe_security_groups(), "InternalError"),
        (503, STS_UNAVAILABLE, "text/xml", "sts", lambda c: c.get_caller_identity(), "ServiceUnavailable"),
        (500, b"", "text/plain", "ssm", lambda c: c.describe_instance_information(), "500"),
        (502, b"", "text/plain", "ssm", lambda c: c.describe_instance_information(), "502"),
    ],
)  # fmt: skip
def test_server_errors_are_server_errors_not_unimplemented_apis(status, body, content_type, service, call, code):
    with TinyAws(status, body, content_type) as tiny:
        failure = failure_of(lambda: call(client(service, tiny.url)))
    assert (failure.kind, failure.code) == (SERVER_ERROR, code)


def test_moto_unimplemented_operations_stay_not_implemented(aws):
    """What moto 5.2 answers in server mode: an emulated service's missing operation is HTTP 500 with
    Werkzeug's "Internal Server Error" page and no AWS error code (ssm DescribeInstanceInformation); a
    service moto does not route is HTTP 404 with Werkzeug's "Not Found" page (inspector2 ListCoverage)."""
    ssm = failure_of(lambda: aws.client("ssm").describe_instance_information())
    assert (ssm.kind, ssm.code) == (ev.NOT_IMPLEMENTED, "500")
    assert "<" not in ssm.message and "Internal Server Error" in ssm.message
    inspector = failure_of(lambda: aws.client("inspector2").list_coverage())
    assert (inspector.kind, inspector.code) == (ev.NOT_IMPLEMENTED, "404")
    # A real "not found" stays one (S3 answers HEAD of a missing bucket with a bare 404).
    missing = failure_of(lambda: aws.client("s3").head_bucket(Bucket="no-such-bucket"))
    assert missing.kind == ev.NOT_FOUND


def test_server_error_reads_naturally_in_both_languages():
    missing = ev.EvidenceUnavailable(
        "ec2.security_groups", ACCOUNT, TOKYO, SERVER_ERROR, "InternalError", "An internal error has occurred"
    )
    assert "service-side error (InternalError: An internal error has occurred)" in missing.describe("en")
    assert "サービス側のエラー [InternalError]" in missing.describe("ja")
    assert "not implemented" not in missing.describe("en") and "未対応" not in missing.describe("ja")


# --- point 7: SPF includes --------------------------------------------------------------------------

SPF_ZONE = [
    ("include-gone.example.jp", "SOA", None),
    ("include-gone.example.jp", "TXT", "v=spf1 include:_spf.gone.example.net -all"),
    ("include-nospf.example.jp", "SOA", None),
    ("include-nospf.example.jp", "TXT", "v=spf1 ip4:192.0.2.1 include:mail.include-nospf.example.jp -all"),
    ("mail.include-nospf.example.jp", "TXT", "google-site-verification=abc"),
    ("redirect-gone.example.jp", "SOA", None),
    ("redirect-gone.example.jp", "TXT", "v=spf1 redirect=_spf.gone.example.net"),
    ("include-slow.example.jp", "SOA", None),
    ("include-slow.example.jp", "TXT", "v=spf1 include:_spf.slow.example.jp -all"),
    ("_spf.slow.example.jp", "TXT", "v=spf1 ip4:192.0.2.0/24 -all"),
]


@pytest.fixture(scope="module")
def spf_bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bundle]:
    checkdmarc.utils.DNS_CACHE.clear()
    domains = sorted({name for name, rtype, _ in SPF_ZONE if rtype == "SOA"})
    params = parse_params({"customer": "テスト銀行", "dns": {"domains": domains, "dkim_selectors": []}})
    store = EvidenceStore(run_id="spf-test", started_at=dt.datetime.now(dt.UTC).isoformat())
    with ZoneServer(SPF_ZONE, drop=["_spf.slow.example.jp"]) as server:
        meta = collect_dns(params, store, nameservers=[server.nameserver], timeout=0.5)
    checkdmarc.utils.DNS_CACHE.clear()
    store.meta = {"accounts": [], "regions": {}, **meta}
    path = tmp_path_factory.mktemp("spf") / "run"
    store.save(path, dt.datetime.now(dt.UTC).isoformat())
    yield Bundle.load(path)


def spf_finding(bundle: Bundle, domain: str):
    findings = run_one("email_spf", bundle, domain=domain)
    assert len(findings) == 1
    return findings[0]


def test_include_of_a_domain_that_does_not_exist_is_a_fail_naming_it(spf_bundle):
    f = spf_finding(spf_bundle, "include-gone.example.jp")
    assert f.verdict.value == "fail"
    assert "include target _spf.gone.example.net does not exist (NXDOMAIN)" in f.message_en and "permerror" in f.message_en
    assert "include先 _spf.gone.example.net が存在しない" in f.message_ja and "The include target" not in f.message_ja
    assert f.details["broken_reference"] == {"name": "_spf.gone.example.net", "via": "include", "reason": "nxdomain"}


def test_include_without_an_spf_record_is_a_fail_naming_it(spf_bundle):
    f = spf_finding(spf_bundle, "include-nospf.example.jp")
    assert f.verdict.value == "fail"
    assert "include target mail.include-nospf.example.jp publishes no SPF record" in f.message_en
    assert "include先 mail.include-nospf.example.jp にSPFレコードがない" in f.message_ja


def test_redirect_to_a_domain_that_does_not_exist_is_a_fail_naming_it(spf_bundle):
    f = spf_finding(spf_bundle, "redirect-gone.example.jp")
    assert f.verdict.value == "fail"
    assert "redirect target _spf.gone.example.net does not exist" in f.message_en
    assert "redirect先 _spf.gone.example.net" in f.message_ja
    assert "no all mechanism" not in f.message_en, "the all was to come from the redirect target"


def test_include_that_times_out_stays_missing_evidence(spf_bundle):
    f = spf_finding(spf_bundle, "include-slow.example.jp")
    assert f.verdict.value == "error" and f.details["error_kind"] == ev.TIMEOUT
    assert "_spf.slow.example.jp" in f.message_en


def test_hand_edited_scope_entries_are_errors_not_crashes(tmp_path: Path):
    """A recorded cause of no known form: the account's regions are unknown, every regional check an error."""
    meta = {"regions": {ACCOUNT: [TOKYO]}, "region_scope_errors": {ACCOUNT: True}}
    bundle = scope_bundle(tmp_path, meta, [DatasetRecord("ec2.security_groups", ACCOUNT, TOKYO, "ok", rows=[OPEN_SG])])
    findings = run_one("sg_ingress_internet", bundle)
    assert {f.verdict.value for f in findings} == {"error"}
    assert findings[0].details["error_kind"] == ev.OTHER and "regions in scope" in findings[0].message_en


@pytest.mark.parametrize(
    "meta",
    [
        {"regions": {ACCOUNT: "ap-northeast-1"}},  # a string where a list belongs
        {"regions": ["not", "a", "mapping"]},
    ],
)
def test_hand_edited_region_lists_are_refused_when_the_bundle_is_loaded(tmp_path: Path, meta: dict[str, Any]):
    """Region lists of the wrong shape never reach a check: the manifest's validation names them (bundle_check)."""
    with pytest.raises(BundleError, match="regions"):
        scope_bundle(tmp_path, meta, [DatasetRecord("ec2.security_groups", ACCOUNT, TOKYO, "ok", rows=[OPEN_SG])])
