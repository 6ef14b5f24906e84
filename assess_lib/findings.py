"""Findings, verdicts and the roll-up of findings to a control verdict.

Verdict values are a fixed contract (DESIGN.md section 4); the labels shown to
customers live here next to them so that every output uses the same words.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Iterable


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


def rollup(verdicts: Iterable[Verdict]) -> Verdict:
    """Roll finding verdicts up to one control verdict.

    - no findings: ``manual`` (nothing machine-checked the item);
    - any ``fail``: ``fail``, or ``partial`` when something else passed;
    - otherwise any ``error``: ``error`` (a pass cannot rest on missing evidence);
    - otherwise any ``manual``: ``manual`` (a human must still confirm);
    - all ``not_applicable``: ``not_applicable``; else ``pass``.
    """
    seen = {Verdict(v) for v in verdicts}
    seen_applicable = seen - {Verdict.NOT_APPLICABLE}
    if not seen:
        return Verdict.MANUAL
    if not seen_applicable:
        return Verdict.NOT_APPLICABLE
    if Verdict.FAIL in seen or Verdict.PARTIAL in seen:
        if Verdict.PASS in seen or Verdict.PARTIAL in seen:
            return Verdict.PARTIAL
        return Verdict.FAIL
    if Verdict.ERROR in seen:
        return Verdict.ERROR
    if Verdict.MANUAL in seen:
        return Verdict.MANUAL
    return Verdict.PASS
