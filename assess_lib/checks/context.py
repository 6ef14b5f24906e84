"""What a check sees: one account's evidence, the thresholds and the assessment time."""

from __future__ import annotations

import datetime as dt
import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..core.model import ErrorKind, Finding, Verdict, error_kind_label
from ..core.text import t
from ..datasets import DATASETS, REGIONAL_SCOPE
from ..evidence import (
    ACCESS_DENIED,
    ASSUME_ROLE_ACTION,
    EMPTY_REGION_LIST,
    GLOBAL,
    OTHER,
    REGIONS_ACTION,
    Bundle,
    EvidenceUnavailable,
)

T = TypeVar("T")

REGIONS_DATASET = "ec2.regions"


class RegionScopeUnknown(EvidenceUnavailable):
    """An account's regions in scope are unknown (``regions: all`` and the region list could not be had):
    every regional check of the account is an ``error`` naming this cause and the permission behind it."""

    def __init__(self, account_id: str, kind: str, code: str = "", message: str = "", action: str = REGIONS_ACTION) -> None:
        self.empty = code == EMPTY_REGION_LIST
        super().__init__(REGIONS_DATASET, account_id, GLOBAL, kind, code, message, action)

    def describe(self, lang: str = "en") -> str:
        detail = f" ({self.code}: {self.message})" if self.code and self.message else f" ({self.code})" if self.code else ""
        variant = "empty" if self.empty else "role" if self.action == ASSUME_ROLE_ACTION else "unreadable"
        sentence = t(
            f"runner.scope_unknown.{variant}",
            lang,
            account=self.account_id,
            kind=error_kind_label(self.kind, lang),
            code=f" [{self.code}]" if self.code else "",
            detail=detail,
        )
        # A refusal names the permission to grant; any other failure (throttled, server error) the call made.
        suffix = "permission" if self.kind == ACCESS_DENIED else "call"
        return sentence + t(f"runner.scope_unknown.{suffix}", lang, action=self.action or REGIONS_ACTION)


def region_scope_error(bundle: Bundle, account_id: str) -> RegionScopeUnknown | None:
    """Why ``account_id``'s regions in scope are unknown, or None when they are known.

    Read from the manifest's ``region_scope_errors``; bundles made before it was recorded are read the same
    way from what they do hold: an assessed account without any region, or (``regions: all``) an account
    error beside a region list, which then held only the session's region in place of the unreadable list.
    """
    manifest = bundle.manifest
    if account_id not in bundle.accounts:
        return None  # e-mail domains ("dns") and attested evidence ("org") have no regions
    recorded = _mapping(manifest.get("region_scope_errors")).get(account_id)
    if recorded:  # whatever its form: a recorded cause means the scope is unknown
        return _scope_unknown(account_id, _mapping(recorded), REGIONS_ACTION)
    account_error = _mapping(manifest.get("account_errors")).get(account_id)
    regions = _mapping(manifest.get("regions")).get(account_id)
    if not isinstance(regions, list) or not regions:
        if isinstance(account_error, dict):  # older bundles: the role could not be assumed
            return _scope_unknown(account_id, account_error, ASSUME_ROLE_ACTION)
        return RegionScopeUnknown(account_id, OTHER, EMPTY_REGION_LIST, "no region in scope was recorded")
    params = _mapping(manifest.get("params"))
    if "region_scope_errors" not in manifest and _mapping(params.get("aws")).get("regions") == "all" and account_error:
        return _scope_unknown(account_id, account_error if isinstance(account_error, dict) else {}, REGIONS_ACTION)
    return None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _scope_unknown(account_id: str, error: dict[str, Any], default_action: str) -> RegionScopeUnknown:
    kind = str(error.get("kind") or error.get("error_kind") or OTHER)
    return RegionScopeUnknown(
        account_id,
        kind if kind in {k.value for k in ErrorKind} else OTHER,
        str(error.get("code") or error.get("error_code") or ""),
        str(error.get("message") or error.get("error_message") or ""),
        str(error.get("action") or default_action),
    )


def is_regional(datasets: tuple[str, ...] | list[str]) -> bool:
    """True when any of ``datasets`` is gathered per region."""
    return any(name in DATASETS and DATASETS[name].scope == REGIONAL_SCOPE for name in datasets)


def parse_time(value: Any) -> dt.datetime | None:
    """Parse AWS timestamps (ISO 8601, credential-report style); None for N/A and friends."""
    if value in (None, "", "N/A", "no_information", "not_supported"):
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    text = str(value).strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass
class CheckContext:
    """One check's view of one account (and, for a region-scope check, one region). ``now`` is the collection
    time, so a bundle re-evaluated a year later gives the same verdicts. ``params`` are the check's parameters in
    force (its record's defaults, overridden by the params file's ``thresholds:``)."""

    check_id: str
    bundle: Bundle
    account_id: str
    thresholds: dict[str, Any]
    now: dt.datetime
    default_severity: str = "medium"
    domain: str | None = None  # set for domain-scope checks (account_id is then "dns")
    params: Mapping[str, Any] = field(default_factory=dict)
    region: str | None = None  # set by the runner for region-scope checks
    reads: tuple[str, ...] = ()  # the checks whose results this one may read
    prior: Mapping[str, list[Finding]] = field(default_factory=dict)  # their findings for this account
    findings: list[Finding] = field(default_factory=list)
    missing: list[EvidenceUnavailable] = field(default_factory=list)  # evidence recorded as ``error`` so far
    _scope_checked: bool = field(default=False, repr=False)
    _scope_error: RegionScopeUnknown | None = field(default=None, repr=False)

    @property
    def region_scope_error(self) -> RegionScopeUnknown | None:
        """Why the account's regions in scope are unknown (None when known)."""
        if not self._scope_checked:
            self._scope_error = region_scope_error(self.bundle, self.account_id)
            self._scope_checked = True
        return self._scope_error

    @property
    def regions(self) -> list[str]:
        """The regions in scope. When they are unknown: none, and the cause is recorded as an ``error``
        finding, so that no check concludes anything regional (not even "there is none") without them."""
        unknown = self.region_scope_error
        if unknown is not None:
            self.record_missing(unknown)
            return []
        return self.bundle.regions(self.account_id)

    @property
    def complete(self) -> bool:
        """True while no evidence the check asked for was missing: only then may it conclude "none found"."""
        return not self.missing

    def in_region(self, region: str) -> CheckContext:
        """This context narrowed to one region (findings and missing evidence are shared)."""
        return dataclasses.replace(self, region=region)

    def results(self, check_id: str) -> list[Finding]:
        """The findings of another check (named in this check's record ``reads``) for this account."""
        if check_id not in self.reads:
            raise ValueError(f"check {self.check_id} reads the results of {check_id} without naming it in its record (reads:)")
        return list(self.prior.get(check_id, []))

    def rows(self, dataset: str, region: str | None = None) -> list[dict[str, Any]]:
        """Rows of a dataset for this account (a regional dataset: in ``region``, by default the context's);
        raises EvidenceUnavailable when missing (for a regional dataset of an account whose regions are
        unknown: that cause, whatever the region asked)."""
        if region is None:
            region = self.region if self.region is not None and is_regional([dataset]) else GLOBAL
        if region != GLOBAL and is_regional([dataset]) and self.region_scope_error is not None:
            raise self.region_scope_error
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
        self._add(
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

    def record_crash(self, crash: Exception) -> None:
        """An ``error`` finding for a check that broke on the evidence: it names the check and the fault
        (bounded, secrets masked), never a verdict on evidence the check could not read."""
        from ..redact import mask_secrets

        detail = mask_secrets(" ".join(f"{type(crash).__name__}: {crash}".split()))
        detail = detail if len(detail) <= 200 else detail[:199] + "\u2026"
        self._add(
            Verdict.ERROR,
            self.check_id,
            t("runner.crashed", "ja", check=self.check_id, detail=detail),
            t("runner.crashed", "en", check=self.check_id, detail=detail),
            self.region or GLOBAL,
            "info",
            error_kind=OTHER,
            error_code=type(crash).__name__,
        )

    def days_since(self, value: Any) -> int | None:
        """Whole days from ``value`` to the assessment's reference time (when collection started); a date after it (a
        resource made while the collection ran) is 0 days ago."""
        when = parse_time(value)
        return None if when is None else max(0, (self.now - when).days)

    def _add(
        self,
        verdict: Verdict,
        resource: str,
        message_ja: str,
        message_en: str,
        region: str = GLOBAL,
        severity: str = "medium",
        **details: Any,
    ) -> None:
        """Record a finding the runner makes itself (missing evidence, a crash); control_id is filled in later."""
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
