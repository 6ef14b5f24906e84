"""The roll-up of findings to an item's verdict, and the basis a decided verdict rests on.

The rules are code here; their words are the catalogue's ``rollup.rule.<id>`` (the report's method
appendix), and a test keeps the two one set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .model import (
    BLOCKING_SEVERITIES,
    STATUS_VERDICTS,
    VERDICT_ORDER,
    Finding,
    ItemJudgment,
    ItemResult,
    Verdict,
)
from .text import keys, t

RollupInput = Finding | Verdict | str

# In the order explain_rollup applies them, then the two of a consultant's decision (item_results).
ROLLUP_RULES: tuple[str, ...] = (
    "no_findings",
    "all_not_applicable",
    "blocking_fail",
    "fail_with_error",
    "fail_and_pass",
    "fail_only",
    "error",
    "manual",
    "accepted_risk",
    "pass",
    "judgment",
    "override",
)


def explain_rollup(items: Iterable[RollupInput]) -> tuple[Verdict, str]:
    """Roll findings (or bare verdicts, which carry no severity) up to one item verdict.

    Returns the verdict and the id of the rule that decided it, first match wins:

    - ``no_findings``: nothing to roll up gives ``manual``;
    - ``all_not_applicable``: only ``not_applicable`` gives ``not_applicable``;
    - ``blocking_fail``: a failing critical or high finding gives ``fail``;
    - ``fail_with_error``: a failure beside missing evidence gives ``fail`` (the errors are listed, never hide it);
    - ``fail_and_pass``: medium/low failures beside passes give ``partial``;
    - ``fail_only``: failures with no pass give ``fail``;
    - ``error``: missing evidence gives ``error`` (a pass cannot rest on it);
    - ``manual``: anything left for a human gives ``manual``;
    - ``accepted_risk``: failures all covered by approved exceptions in force give ``partial``, not ``pass``
      (they are set aside above, so they never fail an item alone, and never hide another failure or an error);
    - ``pass``: otherwise.
    """
    seen: set[Verdict] = set()
    blocking = False
    accepted = False
    for item in items:
        if isinstance(item, Finding):
            if item.accepted:
                accepted = True
                continue
            verdict = item.verdict
            if verdict in (Verdict.FAIL, Verdict.PARTIAL) and item.severity in BLOCKING_SEVERITIES:
                blocking = True
        else:
            verdict = Verdict(item)
        seen.add(verdict)
    if accepted and not seen & {Verdict.FAIL, Verdict.PARTIAL, Verdict.ERROR, Verdict.MANUAL}:
        return Verdict.PARTIAL, "accepted_risk"
    if not seen:
        return Verdict.MANUAL, "no_findings"
    if not seen - {Verdict.NOT_APPLICABLE}:
        return Verdict.NOT_APPLICABLE, "all_not_applicable"
    if Verdict.FAIL in seen or Verdict.PARTIAL in seen:
        if blocking:
            return Verdict.FAIL, "blocking_fail"
        if Verdict.ERROR in seen:
            return Verdict.FAIL, "fail_with_error"
        if Verdict.PASS in seen or Verdict.PARTIAL in seen:
            return Verdict.PARTIAL, "fail_and_pass"
        return Verdict.FAIL, "fail_only"
    if Verdict.ERROR in seen:
        return Verdict.ERROR, "error"
    if Verdict.MANUAL in seen:
        return Verdict.MANUAL, "manual"
    return Verdict.PASS, "pass"


def rollup(items: Iterable[RollupInput]) -> Verdict:
    """The item verdict of :func:`explain_rollup`."""
    return explain_rollup(items)[0]


def rollup_rules(lang: str = "ja") -> dict[str, Any]:
    """The roll-up rules in words: ``{"intro": str, "rules": [{"id", "text"}]}`` in the order applied."""
    return {"intro": t("rollup.intro", lang), "rules": [{"id": r, "text": t(f"rollup.rule.{r}", lang)} for r in ROLLUP_RULES]}


def rule_texts_complete() -> bool:
    """True when the catalogue words every rule and nothing else."""
    return {k.rsplit(".", 1)[1] for k in keys("rollup.rule")} == set(ROLLUP_RULES)


# The basis of a decided verdict (controls.json ``basis``, DESIGN.md section 4).
BASIS_EVIDENCE = "evidence"  # automated checks on collected AWS / DNS evidence
BASIS_ANSWER = "answer"  # the customer's answers (attestation file)
BASIS_JUDGMENT = "judgment"  # the consultant's judgment
BASIS_ORDER: list[str] = [BASIS_EVIDENCE, BASIS_ANSWER, BASIS_JUDGMENT]
ATTESTATION_PREFIX = "attestation."  # datasets of attested evidence
ORG_ACCOUNT = "org"  # account_id of findings on attested evidence
DNS_ACCOUNT = "dns"  # account_id of e-mail domain evidence and findings
# Verdicts that decide an item; manual and error leave it undecided (no basis).
DECIDED: frozenset[str] = frozenset({"pass", "partial", "fail", "not_applicable"})


def finding_basis(finding: Finding, datasets: Iterable[str] = ()) -> list[str]:
    """What a finding rests on: ``answer`` for attested evidence, ``evidence`` for AWS / DNS evidence.

    ``datasets`` are the datasets of the finding's check: a check reading both (e.g. GuardDuty and the
    attested host IPS) rests on both, unless the finding is about the organisation (account ``org``).
    """
    if finding.account_id == ORG_ACCOUNT:
        return [BASIS_ANSWER]
    kinds = {BASIS_ANSWER if d.startswith(ATTESTATION_PREFIX) else BASIS_EVIDENCE for d in datasets}
    return [b for b in BASIS_ORDER if b in kinds] or [BASIS_EVIDENCE]


def item_basis(verdict: str, bases: Iterable[Iterable[str]]) -> str | list[str] | None:
    """An item's ``basis``: None when undecided, one value, or a list when several combine."""
    if verdict not in DECIDED:
        return None
    found = {b for basis in bases for b in basis}
    ordered = [b for b in BASIS_ORDER if b in found]
    if not ordered:
        return None
    return ordered[0] if len(ordered) == 1 else ordered


def basis_list(basis: str | list[str] | None) -> list[str]:
    """``basis`` as a list (empty when undecided)."""
    if not basis:
        return []
    return [basis] if isinstance(basis, str) else list(basis)


def basis_label(basis: str | list[str] | None, lang: str = "ja", short: bool = False) -> str:
    """The basis in words: one label, several joined, or "not decided"."""
    values = basis_list(basis)
    if not values:
        return t("basis.none", lang)
    return t("basis.separator", lang).join(t(f"basis.{v}.{'short' if short else 'label'}", lang) for v in values)


def answer_only(basis: str | list[str] | None) -> bool:
    """True when a decided verdict rests on the customer's answers alone (self-declared, not verified)."""
    return basis_list(basis) == [BASIS_ANSWER]


def _decide(
    control: Any, own: list[Finding], datasets: Mapping[str, Sequence[str]], judgment: ItemJudgment | None
) -> tuple[Verdict, str, str | list[str] | None, dict[str, Any] | None]:
    """An item's verdict, rule, basis and override from its findings, the customer's status and the consultant."""
    inputs: list[Finding | Verdict] = list(own)
    status = STATUS_VERDICTS.get(judgment.status) if judgment and judgment.status else None
    # What the checks cannot see (a hybrid item's organisational part, an item without checks) is the customer's
    # answer when the sheet gives one, else left for a human.
    if control.mode != "auto" or not own:
        inputs.append(Verdict(status) if status else Verdict.MANUAL)
    verdict, rule = explain_rollup(inputs)
    # The findings that decided the verdict: those of its own value (a fail rests on the failures, not on
    # the passes beside it), or every decided finding for a partial or not-applicable item.
    deciding = [
        f for f in own if f.verdict.value in DECIDED and (verdict.value in ("partial", "not_applicable") or f.verdict == verdict)
    ]
    bases = [finding_basis(f, datasets.get(f.check_id, ())) for f in deciding]
    if (
        status
        and (control.mode != "auto" or not own)
        and (verdict.value in ("partial", "not_applicable") or status == verdict.value)
    ):
        bases.append([BASIS_ANSWER])
    basis = item_basis(verdict.value, bases)
    if not judgment or not judgment.verdict:
        return verdict, rule, basis, None
    decided = Verdict(judgment.verdict)
    if decided == verdict:  # the consultant confirms what evidence and answers gave
        return decided, "judgment", item_basis(decided.value, [*bases, [BASIS_JUDGMENT]]), None
    if verdict.value in DECIDED or verdict == Verdict.ERROR or any(f.verdict == Verdict.FAIL for f in own):
        # A decision against the evidence: shown as an override with its rationale; the findings stay as they are.
        override = {"from": verdict.value, "to": decided.value, "rationale": judgment.rationale}
        return decided, "override", BASIS_JUDGMENT, override
    return decided, "judgment", BASIS_JUDGMENT, None  # nothing was decided before: the consultant's judgment alone


def item_results(
    catalog: Sequence[Any],
    findings: Iterable[Finding],
    datasets: Mapping[str, Sequence[str]],
    judgments: Mapping[str, ItemJudgment] | None = None,
) -> list[ItemResult]:
    """One result per catalogue item, in catalogue order.

    ``automated_verdict`` rolls up the machine checks alone; ``verdict`` also counts what they cannot see: a
    hybrid item whose checks all pass still needs a human for its organisational part, so it is ``manual`` unless
    the working sheet gives the customer's status for it (``judgments``), which then decides that part (basis
    ``answer``). A consultant's verdict in the sheet decides the item (basis ``judgment``); where it contradicts
    what evidence and answers gave it is recorded as ``override``. ``basis`` says what a decided verdict rests on
    (``datasets``: each check's datasets).
    """
    by_control: dict[str, list[Finding]] = {}
    for finding in findings:
        by_control.setdefault(finding.control_id, []).append(finding)
    judgments = judgments or {}
    results = []
    for control in catalog:
        own = by_control.get(control.control_id, [])
        automated = rollup(own) if own else None
        judgment = judgments.get(control.control_id)
        verdict, rule, basis, override = _decide(control, own, datasets, judgment)
        counts = {v: 0 for v in VERDICT_ORDER}
        counts["accepted_risk"] = 0
        for f in own:
            counts["accepted_risk" if f.accepted else f.verdict.value] += 1
        results.append(
            ItemResult(
                control_id=control.control_id,
                verdict=verdict.value,
                title_ja=control.title_ja,
                title_en=control.title_en,
                basis=basis,
                section=control.section,
                kind=control.kind,
                mode=control.mode,
                checks=list(control.checks),
                automated_verdict=automated.value if automated else None,
                rollup_rule=rule,
                finding_counts=counts,
                answer=judgment.status if judgment else None,
                judgment={"verdict": judgment.verdict, "rationale": judgment.rationale}
                if judgment and judgment.verdict
                else None,
                override=override,
                owner=judgment.owner if judgment else None,
                due_date=judgment.due_date if judgment else None,
            )
        )
    return results


__all__ = [
    "ATTESTATION_PREFIX",
    "BASIS_ANSWER",
    "BASIS_EVIDENCE",
    "BASIS_JUDGMENT",
    "BASIS_ORDER",
    "DECIDED",
    "DNS_ACCOUNT",
    "ORG_ACCOUNT",
    "ROLLUP_RULES",
    "answer_only",
    "basis_label",
    "basis_list",
    "explain_rollup",
    "finding_basis",
    "item_basis",
    "item_results",
    "rollup",
    "rollup_rules",
    "rule_texts_complete",
]
