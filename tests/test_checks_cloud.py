"""2.3.4.5 cloud services: Security Hub and the security contact collected from moto (server mode, real HTTP), the
shared responsibility split judged from hand-built attestations, nothing to assess and missing evidence hand-built.

moto serves Security Hub's DescribeHub but not GetEnabledStandards: its answers here are hand-built and registered
with the emulator's unserved-API layer (assess_lib/demo/unserved.py)."""

from __future__ import annotations

import boto3
import pytest
from conftest import make_bundle, run_one, verdicts
from test_checks_logging import collect_datasets

from assess_lib import evidence as ev
from assess_lib.attestations.model import ANSWERS_DATASET, DOCUMENTS_DATASET, FILE_DATASET
from assess_lib.demo import unserved
from assess_lib.demo.server import demo_credentials
from assess_lib.evidence import GLOBAL, CollectionError

TOKYO, OSAKA, VIRGINIA = "ap-northeast-1", "ap-northeast-3", "us-east-1"
FSBP = "arn:aws:securityhub:{}::standards/aws-foundational-security-best-practices/v/1.0.0"
CIS = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"


def _standards(*arns: str) -> dict:
    return {
        "StandardsSubscriptions": [
            {"StandardsSubscriptionArn": f"s/{i}", "StandardsArn": a, "StandardsStatus": "READY"} for i, a in enumerate(arns)
        ]
    }


@pytest.fixture(scope="module")
def bundles(moto_server, tmp_path_factory):
    """Tokyo: Security Hub with FSBP; Osaka: Security Hub with CIS only; Virginia: no Security Hub. The security
    contact is collected before (none) and after it is registered."""
    moto_server.reset()
    url, root = moto_server.url, tmp_path_factory.mktemp("cloud")
    datasets = ("securityhub.hub", "account.security_contact")
    with demo_credentials():
        # Hand-built: GetEnabledStandards is not served by moto.
        unserved.register(url, "securityhub", "GetEnabledStandards", _standards(FSBP.format(TOKYO)), region=TOKYO)
        unserved.register(url, "securityhub", "GetEnabledStandards", _standards(CIS), region=OSAKA)
        for region in (TOKYO, OSAKA):
            boto3.client("securityhub", region_name=region, endpoint_url=url).enable_security_hub()
        before = collect_datasets(url, root / "before", datasets, [TOKYO, OSAKA, VIRGINIA])
        boto3.client("account", region_name=VIRGINIA, endpoint_url=url).put_alternate_contact(
            AlternateContactType="SECURITY",
            Name="CSIRT",
            Title="CSIRT",
            EmailAddress="csirt@bank.example.jp",
            PhoneNumber="+81-3-0000-0000",
        )
        after = collect_datasets(url, root / "after", datasets, [TOKYO])
    return before, after


def test_collected_rows(bundles):
    before, after = bundles
    [tokyo] = before.rows("securityhub.hub", "123456789012", TOKYO)
    assert tokyo["enabled"] and tokyo["standards"] == [{"arn": FSBP.format(TOKYO), "status": "READY"}]
    assert before.rows("securityhub.hub", "123456789012", VIRGINIA) == [
        {"enabled": False, "hub_arn": None, "subscribed_at": None, "standards": []}
    ]
    assert before.rows("account.security_contact", "123456789012") == [
        {"registered": False, "name": None, "title": None, "email": None}
    ]
    assert after.rows("account.security_contact", "123456789012")[0]["email"] == "csirt@bank.example.jp"


def test_security_hub(bundles):
    before, after = bundles
    [failing] = run_one("securityhub_fsbp", before)
    assert failing.verdict.value == "fail"
    assert failing.details["regions_off"] == VIRGINIA and failing.details["regions_without_standard"] == OSAKA
    assert failing.details["regions_ok"] == TOKYO
    assert verdicts(run_one("securityhub_fsbp", after)) == {"Security Hub": "pass"}


def test_security_contact(bundles):
    before, after = bundles
    assert verdicts(run_one("account_security_contact", before)) == {"security contact": "fail"}
    [passing] = run_one("account_security_contact", after)
    assert passing.verdict.value == "pass" and "csirt@bank.example.jp" in passing.message_en


def test_security_hub_missing(tmp_path):
    # One region unreadable: an error for it; the other region's gap still fails, and nothing passes for it.
    unserved_api = CollectionError(ev.NOT_IMPLEMENTED, "InternalFailure", "GetEnabledStandards is not served")
    data = {("securityhub.hub", TOKYO): unserved_api, ("securityhub.hub", OSAKA): [{"enabled": False, "standards": []}]}
    findings = run_one("securityhub_fsbp", make_bundle(tmp_path / "b", data, regions=[TOKYO, OSAKA]))
    assert {(f.resource, f.verdict.value) for f in findings} == {("securityhub.hub", "error"), ("Security Hub", "fail")}
    fsbp = [{"arn": FSBP.format(OSAKA), "status": "READY"}]
    data = {("securityhub.hub", TOKYO): unserved_api, ("securityhub.hub", OSAKA): [{"enabled": True, "standards": fsbp}]}
    findings = run_one("securityhub_fsbp", make_bundle(tmp_path / "c", data, regions=[TOKYO, OSAKA]))
    assert [f.verdict.value for f in findings] == ["error"]
    # A subscription that failed does not run its controls.
    failed = [{"enabled": True, "standards": [{"arn": FSBP.format(OSAKA), "status": "FAILED"}]}]
    findings = run_one("securityhub_fsbp", make_bundle(tmp_path / "d", {("securityhub.hub", OSAKA): failed}, regions=[OSAKA]))
    assert [(f.verdict.value, f.details["regions_without_standard"]) for f in findings] == [("fail", OSAKA)]


def test_security_contact_missing(tmp_path):
    denied = CollectionError(ev.ACCESS_DENIED, "AccessDeniedException", "no")
    [finding] = run_one("account_security_contact", make_bundle(tmp_path, {("account.security_contact", GLOBAL): denied}))
    assert finding.verdict.value == "error" and finding.details["missing_permission"]


# --- the shared responsibility split (attested) --------------------------------------------------------


def _attested(tmp_path, answers: dict | None, documents: list | None = None):
    data = {}
    if answers is not None:
        data[(FILE_DATASET, GLOBAL)] = [{"file": "attestations.yaml"}]
        data[(DOCUMENTS_DATASET, GLOBAL)] = documents or []
        data[(ANSWERS_DATASET, GLOBAL)] = [
            {"control_id": "2.3.4.5-2", "question_id": k, "answer": v, "question_ja": None, "question_en": None}
            for k, v in answers.items()
        ]
    return make_bundle(tmp_path, data)


def _shared(bundle):
    return [(f.verdict.value, f.message_en) for f in run_one("attest_shared_responsibility", bundle)]


def test_shared_responsibility(tmp_path):
    matrix = {"control_id": "2.3.4.5-2", "title": "クラウド責任分界表", "approver": "システム部長", "approval_date": "2026-04-01"}
    [(verdict, message)] = _shared(
        _attested(tmp_path / "a", {"responsibility_split_defined": True, "responsibility_services": "EC2, S3, RDS"}, [matrix])
    )
    assert verdict == "pass" and "EC2, S3, RDS" in message and "クラウド責任分界表" in message
    [(verdict, _)] = _shared(_attested(tmp_path / "b", {"responsibility_split_defined": False}))
    assert verdict == "fail"
    [(verdict, message)] = _shared(_attested(tmp_path / "c", {"responsibility_split_defined": True}))
    assert verdict == "manual" and "not answered" in message
    [(verdict, message)] = _shared(_attested(tmp_path / "d", None))
    assert verdict == "manual" and "2.3.4.5-2" in message


def test_shared_responsibility_missing(tmp_path):
    broken = CollectionError(ev.OTHER, "Invalid", "bad file")
    data = {(FILE_DATASET, GLOBAL): [{"file": "a.yaml"}], (DOCUMENTS_DATASET, GLOBAL): [], (ANSWERS_DATASET, GLOBAL): broken}
    findings = run_one("attest_shared_responsibility", make_bundle(tmp_path, data))
    assert [f.verdict.value for f in findings] == ["error"]
