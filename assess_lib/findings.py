"""Findings, verdicts and the roll-up of findings to a control verdict.

Verdict values are a fixed contract (DESIGN.md section 4); the labels shown to
customers live here next to them so that every output uses the same words.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Union


class Verdict(str, Enum):
    """Verdict of a finding or a control (contract values)."""

    PASS = "pass"
    PARTIAL = "partial"  # control level only
    FAIL = "fail"
    MANUAL = "manual"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"

    def label(self, lang: str = "ja") -> str:
        """Customer-facing label in ``lang`` (ja | en)."""
        return VERDICT_LABELS[self.value]["ja" if lang == "ja" else "en"]


VERDICT_LABELS: dict[str, dict[str, str]] = {
    "pass": {"ja": "適合", "en": "Compliant"},
    "partial": {"ja": "一部適合", "en": "Partially compliant"},
    "fail": {"ja": "不適合", "en": "Non-compliant"},
    "manual": {"ja": "要確認", "en": "Needs review"},
    "error": {"ja": "取得不可", "en": "Evidence unavailable"},
    "not_applicable": {"ja": "対象外", "en": "Not applicable"},
}

# Display colours (background, text) shared by notebooks, HTML, charts and XLSX.
VERDICT_COLOURS: dict[str, str] = {
    "pass": "#2e7d32",
    "partial": "#f9a825",
    "fail": "#c62828",
    "manual": "#1565c0",
    "error": "#6a1b9a",
    "not_applicable": "#757575",
}

# Order used for sorting and charts: the most serious first.
VERDICT_ORDER: list[str] = ["fail", "error", "partial", "manual", "pass", "not_applicable"]


@dataclass(frozen=True)
class Finding:
    """One observation of one check about one resource.

    ``message_ja``/``message_en`` are complete sentences for the customer;
    ``details`` holds the structured facts behind them (shown in tables).
    """

    check_id: str
    control_id: str
    verdict: Verdict
    account_id: str
    region: str
    resource: str
    message_ja: str
    message_en: str
    details: dict[str, Any] = field(default_factory=dict)
    severity: str = "medium"  # low | medium | high | critical

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        data = dict(data)
        data["verdict"] = Verdict(data["verdict"])
        return cls(**data)

    def message(self, lang: str = "ja") -> str:
        return self.message_ja if lang == "ja" else self.message_en


# --- severity, roll-up and basis: defined once here, their words in findings.yaml ------------------


@lru_cache(maxsize=1)
def _text() -> dict[str, Any]:
    from ._yaml import load_packaged_yaml

    with open(Path(__file__).with_name("findings.yaml"), encoding="utf-8") as handle:
        return load_packaged_yaml(handle)


# Severity levels, most serious first (a finding's ``severity``; ``info`` marks error findings).
SEVERITY_ORDER: list[str] = ["critical", "high", "medium", "low", "info"]
# A failing finding of these severities makes its item ``fail`` whatever else passed.
BLOCKING_SEVERITIES: frozenset[str] = frozenset({"critical", "high"})


def severity_levels() -> list[dict[str, Any]]:
    """The severity levels with their labels and definitions (ja, en), most serious first."""
    return list(_text()["severities"])


def severity_label(severity: str, lang: str = "ja") -> str:
    """The label of a severity in ``lang``; an unknown value is shown as it is."""
    for level in _text()["severities"]:
        if level["id"] == severity:
            return level["ja" if lang == "ja" else "en"]
    return severity


def severity_rank(severity: str) -> int:
    """Position in :data:`SEVERITY_ORDER` (unknown values last)."""
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def rollup_rules(lang: str = "ja") -> dict[str, Any]:
    """The roll-up rules in words: ``{"intro": str, "rules": [{"id", "text"}]}`` in the order applied."""
    data = _text()["rollup"]
    key = "ja" if lang == "ja" else "en"
    return {"intro": data[f"intro_{key}"], "rules": [{"id": r["id"], "text": r[key]} for r in data["rules"]]}


RollupInput = Union[Finding, Verdict, str]


def explain_rollup(items: Iterable[RollupInput]) -> tuple[Verdict, str]:
    """Roll findings (or bare verdicts, which carry no severity) up to one item verdict.

    Returns the verdict and the id of the rule that decided it (findings.yaml ``rollup.rules``,
    printed in the report's method appendix). The rules, first match wins:

    - ``no_findings``: nothing to roll up gives ``manual``;
    - ``all_not_applicable``: only ``not_applicable`` gives ``not_applicable``;
    - ``blocking_fail``: a failing critical or high finding gives ``fail``;
    - ``fail_with_error``: a failure beside missing evidence gives ``fail`` (the errors are listed, never hide it);
    - ``fail_and_pass``: medium/low failures beside passes give ``partial``;
    - ``fail_only``: failures with no pass give ``fail``;
    - ``error``: missing evidence gives ``error`` (a pass cannot rest on it);
    - ``manual``: anything left for a human gives ``manual``;
    - ``pass``: otherwise.
    """
    seen: set[Verdict] = set()
    blocking = False
    for item in items:
        if isinstance(item, Finding):
            verdict = item.verdict
            if verdict in (Verdict.FAIL, Verdict.PARTIAL) and item.severity in BLOCKING_SEVERITIES:
                blocking = True
        else:
            verdict = Verdict(item)
        seen.add(verdict)
    if not seen:
        return Verdict.MANUAL, "no_findings"
    if not seen - {Verdict.NOT_APPLICABLE}:
        return Verdict.NOT_APPLICABLE, "all_not_applicable"
    failing = Verdict.FAIL in seen or Verdict.PARTIAL in seen
    if failing:
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


# The basis of a decided verdict (controls.json ``basis``, DESIGN.md section 4).
BASIS_EVIDENCE = "evidence"  # automated checks on collected AWS / DNS evidence
BASIS_ANSWER = "answer"  # the customer's answers (attestation file)
BASIS_JUDGMENT = "judgment"  # the consultant's judgment
BASIS_ORDER: list[str] = [BASIS_EVIDENCE, BASIS_ANSWER, BASIS_JUDGMENT]
ATTESTATION_PREFIX = "attestation."  # datasets of attested evidence
ORG_ACCOUNT = "org"  # account_id of findings on attested evidence (checks.runner.ORG_ACCOUNT)
# Verdicts that decide an item; manual and error leave it undecided (no basis).
DECIDED: frozenset[str] = frozenset({"pass", "partial", "fail", "not_applicable"})


def finding_basis(finding: Finding, datasets: Iterable[str] = ()) -> list[str]:
    """What a finding rests on: ``answer`` for attested evidence, ``evidence`` for AWS / DNS evidence.

    ``datasets`` are the datasets of the finding's check: a check reading both (e.g. GuardDuty and the
    attested host IPS) rests on both, unless the finding is about the organisation (account ``org``).
    """
    if finding.account_id == ORG_ACCOUNT:
        return [BASIS_ANSWER]
    names = list(datasets)
    kinds = {BASIS_ANSWER if d.startswith(ATTESTATION_PREFIX) else BASIS_EVIDENCE for d in names}
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
    data = _text()["basis"]
    key = "ja" if lang == "ja" else "en"
    values = basis_list(basis)
    if not values:
        return data["none"][key]
    field_ = f"short_{key}" if short else key
    return data[f"separator_{key}"].join(data[v][field_] for v in values)


def answer_only(basis: str | list[str] | None) -> bool:
    """True when a decided verdict rests on the customer's answers alone (self-declared, not verified)."""
    return basis_list(basis) == [BASIS_ANSWER]


def answer_only_note(lang: str = "ja") -> str:
    return _text()["basis"]["answer_only_note"]["ja" if lang == "ja" else "en"]
