"""What a check sees: one account's evidence, the thresholds and the assessment time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..evidence import GLOBAL, Bundle
from ..findings import Finding, Verdict


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

    @property
    def regions(self) -> list[str]:
        return self.bundle.regions(self.account_id)

    def rows(self, dataset: str, region: str = GLOBAL) -> list[dict[str, Any]]:
        """Rows of a dataset for this account; raises EvidenceUnavailable when missing."""
        return self.bundle.rows(dataset, self.account_id, region)

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
