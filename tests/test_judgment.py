"""An item's verdict from evidence, the customer's answer and the consultant's judgment; risk acceptance.

Pure roll-up logic over hand-built findings (no emulator is involved: these are the rules, not collection).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace

import pytest

from assess_lib.core.acceptance import accept_risks, unused
from assess_lib.core.model import Finding, ItemJudgment, Verdict, finding_id
from assess_lib.core.rollup import item_results

P, F, E, N = Verdict.PASS, Verdict.FAIL, Verdict.ERROR, Verdict.NOT_APPLICABLE


def control(mode: str = "manual", control_id: str = "2.6-8") -> SimpleNamespace:
    return SimpleNamespace(
        control_id=control_id, mode=mode, title_ja="t", title_en="t", section="2.6", kind="fundamental", checks=["c"]
    )


def finding(verdict: Verdict, severity: str = "medium", resource: str = "acl-1", control_id: str = "2.6-8") -> Finding:
    return Finding("c", control_id, verdict, "123456789012", "ap-northeast-1", resource, "ja", "en", severity=severity)


def result(mode, findings, judgment=None):
    judgments = {"2.6-8": judgment} if judgment else {}
    return item_results([control(mode)], findings, {"c": ["ec2.network_acls"]}, judgments)[0]


def test_no_answer_and_no_check_stays_manual_without_basis():
    item = result("manual", [])
    assert (item.verdict, item.basis, item.override) == ("manual", None, None)


@pytest.mark.parametrize(
    "status, verdict",
    [("implemented", "pass"), ("partial", "partial"), ("not_implemented", "fail"), ("not_applicable", "not_applicable")],
)
def test_customer_status_decides_an_organisational_item(status, verdict):
    item = result("manual", [], ItemJudgment("2.6-8", status=status))
    assert (item.verdict, item.basis, item.answer) == (verdict, "answer", status)


def test_hybrid_item_combines_evidence_and_answer():
    item = result("hybrid", [finding(P)], ItemJudgment("2.6-8", status="implemented"))
    assert (item.verdict, item.basis) == ("pass", ["evidence", "answer"])
    # the organisational part not implemented, the checks passing: partly compliant, on both
    item = result("hybrid", [finding(P)], ItemJudgment("2.6-8", status="not_implemented"))
    assert (item.verdict, item.basis) == ("partial", ["evidence", "answer"])


def test_answer_does_not_replace_an_automated_item_or_missing_evidence():
    item = result("auto", [finding(E, "info")], ItemJudgment("2.6-8", status="implemented"))
    assert (item.verdict, item.basis, item.answer) == ("error", None, "implemented")


def test_consultant_confirming_adds_judgment_to_the_basis():
    item = result("hybrid", [finding(P)], ItemJudgment("2.6-8", status="implemented", verdict="pass", rationale="ok"))
    assert (item.verdict, item.basis, item.rollup_rule, item.override) == (
        "pass",
        ["evidence", "answer", "judgment"],
        "judgment",
        None,
    )


def test_consultant_deciding_an_open_item_is_judgment_not_override():
    item = result("manual", [], ItemJudgment("2.6-8", verdict="partial", rationale="contract lacks audit rights"))
    assert (item.verdict, item.basis, item.rollup_rule, item.override) == ("partial", "judgment", "judgment", None)
    assert item.judgment == {"verdict": "partial", "rationale": "contract lacks audit rights"}


def test_override_against_failing_evidence_is_recorded_never_silent():
    failing = [finding(F, "high"), finding(P, resource="acl-2")]
    item = result("auto", failing, ItemJudgment("2.6-8", verdict="pass", rationale="compensating control: NFW"))
    assert item.verdict == "pass" and item.basis == "judgment" and item.rollup_rule == "override"
    assert item.override == {"from": "fail", "to": "pass", "rationale": "compensating control: NFW"}
    assert item.automated_verdict == "fail" and item.finding_counts["fail"] == 1  # the evidence is kept as it is


def test_override_of_missing_evidence_is_an_override():
    item = result("auto", [finding(E, "info")], ItemJudgment("2.6-8", verdict="pass", rationale="seen in the console"))
    assert item.override == {"from": "error", "to": "pass", "rationale": "seen in the console"}


def test_owner_and_due_date_carried():
    item = result("manual", [], ItemJudgment("2.6-8", status="not_implemented", owner="IT", due_date="2026-03-31"))
    assert (item.verdict, item.owner, item.due_date) == ("fail", "IT", "2026-03-31")


# --- risk acceptance ----------------------------------------------------------------------------------------

EXCEPTION = {
    "check_id": "c",
    "resource": "acl-*",
    "account_id": "123456789012",
    "region": "*",
    "reason": "legacy link",
    "approver": "CISO",
    "approved_on": "2025-04-01",
    "expires": "2026-03-31",
    "source": "line 3",
}


def test_exception_in_force_marks_the_failure_and_makes_the_item_partial():
    findings = accept_risks([finding(F), finding(P, resource="vpc-1")], [EXCEPTION], dt.date(2026, 3, 31))
    assert findings[0].accepted and findings[0].accepted_risk["approver"] == "CISO"
    assert findings[0].verdict == F  # the verdict itself is never changed
    assert not findings[1].accepted_risk  # a pass is never marked
    item = result("auto", findings)
    assert (item.verdict, item.rollup_rule) == ("partial", "accepted_risk")
    assert item.finding_counts["accepted_risk"] == 1 and item.finding_counts["fail"] == 0


def test_expired_exception_returns_the_failure():
    findings = accept_risks([finding(F)], [EXCEPTION], dt.date(2026, 4, 1))
    assert findings[0].accepted_risk["status"] == "expired" and not findings[0].accepted
    item = result("auto", findings)
    assert item.verdict == "fail" and item.finding_counts["fail"] == 1


def test_exception_never_hides_another_failure_or_missing_evidence():
    findings = accept_risks([finding(F), finding(F, resource="sg-1")], [EXCEPTION], dt.date(2026, 1, 1))
    assert result("auto", findings).verdict == "fail"
    findings = accept_risks([finding(F), finding(E, "info", resource="x")], [EXCEPTION], dt.date(2026, 1, 1))
    assert result("auto", findings).verdict == "error"


def test_exception_matches_check_account_and_pattern_only():
    other_account = dataclasses.replace(finding(F), account_id="345678901234")
    other_check = dataclasses.replace(finding(F), check_id="d")
    out = accept_risks([other_account, other_check, finding(F, resource="sg-1")], [EXCEPTION], dt.date(2026, 1, 1))
    assert not any(f.accepted_risk for f in out)
    assert unused(out, [EXCEPTION]) == [EXCEPTION]


def test_finding_id_is_stable_and_distinct():
    a, b = finding(F), finding(P)  # the verdict is not part of the identity: a fixed finding keeps its ID
    assert a.finding_id == b.finding_id == finding_id("c", "123456789012", "ap-northeast-1", "acl-1")
    assert finding(F, resource="acl-2").finding_id != a.finding_id
    assert a.to_dict()["finding_id"] == a.finding_id and Finding.from_dict(a.to_dict()) == a
