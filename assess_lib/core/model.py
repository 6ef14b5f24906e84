"""The core model: verdicts, severities, error kinds, findings, item results and the assessment.

Every output orders findings and items with :func:`most_serious_first` / :func:`finding_order`, and names
verdicts, severities and error kinds through the text catalogue (``verdict.<v>.label`` ...). Nothing here
knows about collection, checks or presentation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from .text import t


class Verdict(str, Enum):
    """Verdict of a finding or an item (contract values, DESIGN.md section 4)."""

    PASS = "pass"
    PARTIAL = "partial"  # item level only
    FAIL = "fail"
    MANUAL = "manual"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"

    def label(self, lang: str = "ja") -> str:
        return t(f"verdict.{self.value}.label", lang)

    def definition(self, lang: str = "ja") -> str:
        return t(f"verdict.{self.value}.definition", lang)

    @property
    def rank(self) -> int:
        """Position in :data:`VERDICT_ORDER` (0 = most serious)."""
        return VERDICT_ORDER.index(self.value)


# The most serious first: the order of every table, chart and sort.
VERDICT_ORDER: list[str] = ["fail", "error", "partial", "manual", "pass", "not_applicable"]

# Display colours shared by notebooks, HTML, charts and workbooks.
VERDICT_COLOURS: dict[str, str] = {
    "pass": "#2e7d32",
    "partial": "#f9a825",
    "fail": "#c62828",
    "manual": "#1565c0",
    "error": "#6a1b9a",
    "not_applicable": "#757575",
}


class Severity(str, Enum):
    """Severity of a finding, most serious first; ``info`` marks findings that are not failures."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    def label(self, lang: str = "ja") -> str:
        return t(f"severity.{self.value}.label", lang)

    def definition(self, lang: str = "ja") -> str:
        return t(f"severity.{self.value}.definition", lang)


SEVERITY_ORDER: list[str] = [s.value for s in Severity]
# A failing finding of these severities makes its item ``fail`` whatever else passed.
BLOCKING_SEVERITIES: frozenset[str] = frozenset({"critical", "high"})
FAILURE_SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low")  # what a check's record may name


def severity_rank(severity: str) -> int:
    """Position in :data:`SEVERITY_ORDER` (unknown values last)."""
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def severity_label(severity: str, lang: str = "ja") -> str:
    """The label of a severity; an unknown value is shown as it is."""
    return Severity(severity).label(lang) if severity in SEVERITY_ORDER else severity


def verdict_rank(verdict: str | Verdict) -> int:
    value = verdict.value if isinstance(verdict, Verdict) else verdict
    return VERDICT_ORDER.index(value) if value in VERDICT_ORDER else len(VERDICT_ORDER)


class ErrorKind(str, Enum):
    """Why evidence is missing (a finding's ``details.error_kind``, the manifest's error records)."""

    ACCESS_DENIED = "access_denied"
    THROTTLED = "throttled"
    NOT_IMPLEMENTED = "not_implemented"
    REGION_DISABLED = "region_disabled"
    NOT_FOUND = "not_found"
    CONNECTION = "connection"
    TIMEOUT = "timeout"
    NOT_COLLECTED = "not_collected"
    SERVER_ERROR = "server_error"  # the service failed on its side (HTTP 5xx, InternalError, ServiceUnavailable)
    OTHER = "other"

    def label(self, lang: str = "ja") -> str:
        return t(f"error_kind.{self.value}", lang)


def error_kind_label(kind: str, lang: str = "ja") -> str:
    """The label of an error kind (an unknown one is 'other error')."""
    known = {k.value for k in ErrorKind}
    return ErrorKind(kind if kind in known else ErrorKind.OTHER.value).label(lang)


def finding_id(check_id: str, account_id: str, region: str, resource: str) -> str:
    """The ID of a finding, stable across runs: the same check, account, region and resource give the same ID
    (``F-`` and 16 hex digits of a SHA-256 over the four, so that no customer string shapes the ID)."""
    key = "\x1f".join((check_id, account_id, region, resource))
    return "F-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


# A finding's ``accepted_risk.status``: an approved exception in force at collection time, or one expired by then.
ACCEPTED = "active"
EXPIRED = "expired"


@dataclass(frozen=True)
class Finding:
    """One observation of one check about one resource.

    ``message_ja``/``message_en`` are complete sentences for the customer; ``details`` holds the facts
    behind them (shown in tables). ``accepted_risk`` is the approved exception (risk acceptance) a failing
    finding matches: ``{"status": "active"|"expired", "reason", "approver", "approved_on", "expires", "source"}``;
    the verdict stays ``fail`` either way (an active one is counted apart and does not fail its item alone).
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
    severity: str = "medium"  # critical | high | medium | low | info
    accepted_risk: dict[str, Any] | None = None
    first_seen: str | None = None  # ISO date an open (fail/error) finding was first seen, when compared with a previous run

    @property
    def finding_id(self) -> str:
        return finding_id(self.check_id, self.account_id, self.region, self.resource)

    @property
    def accepted(self) -> bool:
        """True for a failure covered by an approved exception in force at collection time."""
        risk = self.accepted_risk
        return self.verdict == Verdict.FAIL and risk is not None and risk.get("status") == ACCEPTED

    def to_dict(self) -> dict[str, Any]:
        data = {"finding_id": self.finding_id, **asdict(self)}
        data["verdict"] = self.verdict.value
        if data["first_seen"] is None:
            del data["first_seen"]  # only runs compared with a previous one carry it
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["verdict"] = Verdict(values["verdict"])
        return cls(**values)

    def message(self, lang: str = "ja") -> str:
        return self.message_en if lang == "en" else self.message_ja


def finding_order(finding: Finding) -> tuple[Any, ...]:
    """Sort key of the one "most serious first" ordering: verdict, then severity, then where."""
    return (
        verdict_rank(finding.verdict),
        severity_rank(finding.severity),
        finding.control_id,
        finding.check_id,
        finding.account_id,
        finding.region,
        finding.resource,
    )


def most_serious_first(findings: Iterable[Finding]) -> list[Finding]:
    """``findings`` in the order every output shows them."""
    return sorted(findings, key=finding_order)


# The customer's status of an item in the working sheet, and the verdict it stands for.
STATUS_VERDICTS: dict[str, str] = {
    "implemented": "pass",
    "partial": "partial",
    "not_implemented": "fail",
    "not_applicable": "not_applicable",
}
# What the consultant may decide for an item (an empty cell leaves the item to the evidence and the answer).
JUDGMENT_VERDICTS: tuple[str, ...] = ("pass", "partial", "fail", "not_applicable")


@dataclass(frozen=True)
class ItemJudgment:
    """What the working sheet records for one item: the customer's answer and the consultant's judgment.

    ``status`` is a key of :data:`STATUS_VERDICTS`; ``verdict`` one of :data:`JUDGMENT_VERDICTS` (with its
    ``rationale``, required); ``documents`` dicts of title, location, date, approver; ``source`` the sheet's
    cell or line the row came from.
    """

    control_id: str
    status: str | None = None
    verdict: str | None = None
    rationale: str | None = None
    notes: str | None = None
    owner: str | None = None
    due_date: str | None = None
    documents: tuple[dict[str, Any], ...] = ()
    source: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.status or self.verdict or self.notes or self.owner or self.due_date or self.documents)


@dataclass(frozen=True)
class ItemResult:
    """The verdict of one guideline item (one object of ``controls.json``, contract fields first).

    ``answer`` is the customer's status (working sheet), ``judgment`` the consultant's decision
    (``{"verdict", "rationale"}``), ``override`` set when that decision contradicts what evidence and answers
    gave (``{"from", "to", "rationale"}``: shown as an override, the findings stay as they are); ``owner`` and
    ``due_date`` the remediation's, from the sheet.
    """

    control_id: str
    verdict: str
    title_ja: str
    title_en: str
    basis: str | list[str] | None
    section: str
    kind: str
    mode: str
    checks: list[str]
    automated_verdict: str | None
    rollup_rule: str
    finding_counts: dict[str, int]
    answer: str | None = None
    judgment: dict[str, Any] | None = None
    override: dict[str, Any] | None = None
    owner: str | None = None
    due_date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemResult:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def title(self, lang: str = "ja") -> str:
        return self.title_en if lang == "en" else self.title_ja


@dataclass
class Assessment:
    """The findings and item results of one evidence bundle.

    ``bundle`` is the evidence bundle they rest on, ``catalog`` the guideline catalogue, ``parameters`` the
    check parameters in force (defaults with the params file's overrides), ``judgments`` what the working sheet
    records per item, ``exceptions`` the customer's register of approved exceptions.
    """

    bundle: Any
    findings: list[Finding]
    items: list[ItemResult]
    catalog: Any
    parameters: dict[str, Any] = field(default_factory=dict)
    judgments: dict[str, ItemJudgment] = field(default_factory=dict)  # the working sheet, per item
    exceptions: list[dict[str, Any]] = field(default_factory=list)  # the approved exceptions register
    previous: Any = None  # the comparison with the previous assessment (compare.Comparison), when there is one

    def item(self, control_id: str) -> ItemResult:
        for result in self.items:
            if result.control_id == control_id:
                return result
        raise KeyError(control_id)

    def findings_for(self, control_ids: Sequence[str] | str) -> list[Finding]:
        wanted = {control_ids} if isinstance(control_ids, str) else set(control_ids)
        return most_serious_first(f for f in self.findings if f.control_id in wanted)


__all__ = [
    "ACCEPTED",
    "BLOCKING_SEVERITIES",
    "EXPIRED",
    "FAILURE_SEVERITIES",
    "JUDGMENT_VERDICTS",
    "SEVERITY_ORDER",
    "STATUS_VERDICTS",
    "VERDICT_COLOURS",
    "VERDICT_ORDER",
    "Assessment",
    "ErrorKind",
    "Finding",
    "ItemJudgment",
    "ItemResult",
    "Severity",
    "Verdict",
    "error_kind_label",
    "finding_id",
    "finding_order",
    "most_serious_first",
    "severity_label",
    "severity_rank",
    "verdict_rank",
]
