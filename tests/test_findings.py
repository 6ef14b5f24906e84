"""Roll-up of finding verdicts to a control verdict: severity, the rules in words, the basis of a verdict."""

from __future__ import annotations

import dataclasses

import pytest

from assess_lib.core import BLOCKING_SEVERITIES, SEVERITY_ORDER, Finding, Severity, Verdict, severity_label
from assess_lib.core.rollup import answer_only, basis_label, explain_rollup, finding_basis, item_basis, rollup, rollup_rules

P, F, E, M, N = Verdict.PASS, Verdict.FAIL, Verdict.ERROR, Verdict.MANUAL, Verdict.NOT_APPLICABLE


@pytest.mark.parametrize(
    "verdicts, expected",
    [
        ([], M),
        ([P, P], P),
        ([F], F),
        ([F, F, N], F),
        ([P, F], Verdict.PARTIAL),
        ([P, E], E),  # a pass cannot rest on missing evidence
        ([F, E], F),
        ([P, M], M),
        ([N, N], N),
        ([P, N], P),
        ([E, M], E),
    ],
)
def test_rollup(verdicts, expected):
    assert rollup(verdicts) == expected


def test_labels_in_both_languages():
    assert Verdict.MANUAL.label("ja") == "要確認" and Verdict.ERROR.label("ja") == "取得不可"
    assert Verdict.PARTIAL.label("en") == "Partially compliant"


# --- severity in the roll-up (issue 10, point 6) --------------------------------------------------


def finding(verdict: Verdict, severity: str = "medium", account: str = "123456789012") -> Finding:
    return Finding("c", "2.3.1-5", verdict, account, "global", "r", "ja", "en", severity=severity)


@pytest.mark.parametrize(
    "items, expected, rule",
    [
        ([finding(F, "critical"), finding(P)], F, "blocking_fail"),
        ([finding(F, "high"), finding(P), finding(P)], F, "blocking_fail"),
        ([finding(F, "medium"), finding(P)], Verdict.PARTIAL, "fail_and_pass"),
        ([finding(F, "low"), finding(P)], Verdict.PARTIAL, "fail_and_pass"),
        ([finding(F, "medium")], F, "fail_only"),
        ([finding(F, "medium"), finding(P), finding(E, "info")], F, "fail_with_error"),  # a fail is never hidden
        ([finding(F, "low"), finding(E, "info")], F, "fail_with_error"),
        ([finding(F, "critical"), finding(P), M], F, "blocking_fail"),  # hybrid item: still fail
        ([finding(F, "medium"), finding(P), M], Verdict.PARTIAL, "fail_and_pass"),
        ([finding(P), finding(E, "info")], E, "error"),
        ([finding(P), M], M, "manual"),
        ([finding(N), finding(N)], N, "all_not_applicable"),
        ([finding(P), finding(N)], P, "pass"),
        ([], M, "no_findings"),
    ],
)
def test_rollup_honours_severity(items, expected, rule):
    assert explain_rollup(items) == (expected, rule)
    assert rollup(items) == expected


def test_rollup_rules_in_words_are_the_rules_in_code():
    """The catalogue (text/core.yaml) names exactly the rules explain_rollup applies, in both languages."""
    ids = [r["id"] for r in rollup_rules("ja")["rules"]]
    assert ids == [r["id"] for r in rollup_rules("en")["rules"]]
    accepted = dataclasses.replace(finding(F), accepted_risk={"status": "active"})
    combos = [[], [N], [finding(F, "high")], [finding(F), E], [finding(F), P], [finding(F)], [P, E], [P, M], [accepted, P], [P]]
    applied = {explain_rollup(c)[1] for c in combos}
    # The last two rules are a consultant's decision, applied by item_results (tests/test_judgment.py).
    assert applied | {"judgment", "override"} == set(ids)
    assert all(r["text"] for lang in ("ja", "en") for r in rollup_rules(lang)["rules"])


def test_severity_levels_defined_once():
    assert [level.value for level in Severity] == SEVERITY_ORDER
    assert {"critical", "high"} == BLOCKING_SEVERITIES
    assert all(level.label(lang) and level.definition(lang) for level in Severity for lang in ("ja", "en"))
    assert severity_label("critical", "ja") == "緊急" and severity_label("high", "en") == "High"


def test_basis_of_findings_and_items():
    assert finding_basis(finding(P, account="org"), ["attestation.answers"]) == ["answer"]
    assert finding_basis(finding(P), ["iam.credential_report"]) == ["evidence"]
    assert finding_basis(finding(P), ["guardduty.detectors", "attestation.answers"]) == ["evidence", "answer"]
    assert item_basis("pass", [["answer"]]) == "answer"
    assert item_basis("fail", [["evidence"], ["answer"]]) == ["evidence", "answer"]
    assert item_basis("manual", [["evidence"]]) is None and item_basis("error", [["evidence"]]) is None
    assert answer_only("answer") and not answer_only(["evidence", "answer"]) and not answer_only(None)
    assert basis_label("answer", "en") == "Customer's answer (self-declared)"
    assert basis_label(["evidence", "answer"], "ja") == "自動評価（収集した証跡）・お客様の回答（自己申告）"
