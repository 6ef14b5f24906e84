"""What a check sees: one account's evidence, the thresholds and the assessment time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, TypeVar

from ..evidence import GLOBAL, Bundle, EvidenceUnavailable
from ..findings import Finding, Verdict

T = TypeVar("T")


def parse_time(value: Any) -> dt.datetime | None:
    """Parse AWS timestamps (ISO 8601, credential-report style); None for N/A and friends."""
    if value in (None, "", "N/A", "no_information", "not_supported"):
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


@dataclass
class CheckContext:
    """One check's view of one account. ``now`` is the collection time, so a bundle
    re-evaluated a year later gives the same verdicts."""

    check_id: str
    bundle: Bundle
    account_id: str
    thresholds: dict[str, Any]
    now: dt.datetime
    default_severity: str = "medium"
    domain: str | None = None  # set for domain-scope checks (account_id is then "dns")
    findings: list[Finding] = field(default_factory=list)
    missing: list[EvidenceUnavailable] = field(default_factory=list)  # evidence recorded as ``error`` so far

    @property
    def regions(self) -> list[str]:
        return self.bundle.regions(self.account_id)

    @property
    def complete(self) -> bool:
        """True while no evidence the check asked for was missing: only then may it conclude "none found"."""
        return not self.missing

    def rows(self, dataset: str, region: str = GLOBAL) -> list[dict[str, Any]]:
        """Rows of a dataset for this account; raises EvidenceUnavailable when missing."""
        return self.bundle.rows(dataset, self.account_id, region)

    def regional_rows(self, dataset: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """(region, rows) for every in-scope region whose evidence was gathered.

        A region whose evidence is missing gives an ``error`` finding and is skipped, so that a denial
        in one region never hides what the other regions show.
        """
        for region in self.regions:
            try:
                rows = self.rows(dataset, region)
            except EvidenceUnavailable as missing:
                self.record_missing(missing)
                continue
            yield region, rows

    def per_region(self, evaluate: Callable[[str], T]) -> list[T]:
        """``evaluate(region)`` for every in-scope region; a region whose evidence is missing gives an
        ``error`` finding and no result. ``evaluate`` should read all its evidence before recording findings."""
        results: list[T] = []
        for region in self.regions:
            try:
                results.append(evaluate(region))
            except EvidenceUnavailable as missing:
                self.record_missing(missing)
        return results

    def record_missing(self, missing: EvidenceUnavailable) -> None:
        """An ``error`` finding naming the missing evidence, its cause and the permission that would fix it
        (once per dataset and region, however often the check asked)."""
        if any(m.dataset == missing.dataset and m.region == missing.region for m in self.missing):
            return
        self.missing.append(missing)
        self.add(
            Verdict.ERROR,
            missing.dataset,
            missing.describe("ja"),
            missing.describe("en"),
            missing.region,
            "info",
            error_kind=missing.kind,
            error_code=missing.code,
            missing_permission=missing.action,
        )

    def text(self, key: str, **values: Any) -> tuple[str, str]:
        """(ja, en) of one of the check's messages in checks.yaml (``messages.<key>``), filled with ``values``."""
        from . import check_metadata  # the package imports this module

        message = check_metadata()[self.check_id]["messages"][key]
        return message["ja"].format(**values), message["en"].format(**values)

    def days_since(self, value: Any) -> int | None:
        when = parse_time(value)
        return None if when is None else (self.now - when).days

    def add(
        self,
        verdict: Verdict,
        resource: str,
        message_ja: str,
        message_en: str,
        region: str = GLOBAL,
        severity: str = "medium",
        **details: Any,
    ) -> None:
        """Record a finding (control_id is filled in by the runner for each control)."""
        self.findings.append(
            Finding(
                check_id=self.check_id,
                control_id="",
                verdict=verdict,
                account_id=self.account_id,
                region=region,
                resource=resource,
                message_ja=message_ja,
                message_en=message_en,
                details=details,
                severity=severity,
            )
        )

    def passed(self, resource: str, ja: str, en: str, region: str = GLOBAL, **details: Any) -> None:
        self.add(Verdict.PASS, resource, ja, en, region, "info", **details)

    def failed(self, resource: str, ja: str, en: str, region: str = GLOBAL, severity: str | None = None, **details: Any) -> None:
        """A failing finding; severity defaults to the check's (checks.yaml)."""
        self.add(Verdict.FAIL, resource, ja, en, region, severity or self.default_severity, **details)

    def not_applicable(self, resource: str, ja: str, en: str, region: str = GLOBAL, **details: Any) -> None:
        self.add(Verdict.NOT_APPLICABLE, resource, ja, en, region, "info", **details)

    def manual(self, resource: str, ja: str, en: str, region: str = GLOBAL, **details: Any) -> None:
        self.add(Verdict.MANUAL, resource, ja, en, region, "info", **details)
