"""Runs the registered checks over a bundle: one place turns missing evidence into ``error``."""

from __future__ import annotations

import logging

import dataclasses
from typing import Any

from ..evidence import GLOBAL, Bundle, EvidenceUnavailable
from ..findings import Finding, Verdict
from . import ACCOUNT_SCOPE, DOMAIN_SCOPE, ORG_SCOPE, CheckSpec, registry
from .context import CheckContext, is_regional, parse_time


log = logging.getLogger(__name__)


def assessment_time(bundle: Bundle):
    """The reference time of the assessment: when collection started."""
    return parse_time(bundle.manifest["started_at"])


DNS_ACCOUNT = "dns"  # account_id of e-mail domain evidence and findings
ORG_ACCOUNT = "org"  # account_id of organisational (attested) evidence and findings


def run_check(
    spec: CheckSpec, bundle: Bundle, account_id: str, thresholds: dict[str, Any], domain: str | None = None
) -> list[Finding]:
    """Findings of one check for one account (or domain), expanded to each of its controls."""
    ctx = CheckContext(
        spec.check_id,
        bundle,
        account_id,
        thresholds,
        assessment_time(bundle),
        spec.meta.get("severity", "medium"),
        domain,
    )
    unknown_scope = ctx.region_scope_error if spec.scope == ACCOUNT_SCOPE and is_regional(spec.datasets) else None
    if unknown_scope is not None:
        # The account's regions are unknown: the check is an error naming why, whatever it reads.
        ctx.record_missing(unknown_scope)
    try:
        spec.fn(ctx)
    except EvidenceUnavailable as missing:
        # Missing evidence is never a verdict: say what is missing and which permission would fix it.
        # Findings recorded before the gap stay (a failure is never hidden by an error elsewhere);
        # regional gaps are isolated by the context itself (CheckContext.per_region / regional_rows).
        ctx.record_missing(missing)
    except Exception as crash:  # noqa: BLE001 - contained: one check that breaks is an error finding, never a dead run
        # Evidence of a shape the check does not expect (an API's change, a hand-edited bundle that still
        # verifies): the check names itself and what broke; its findings before the break stay.
        log.warning("check %s failed on account %s: %s: %s", spec.check_id, account_id, type(crash).__name__, crash)
        ctx.record_crash(crash)
    findings = ctx.findings
    if unknown_scope is not None:
        # Failures found on the evidence there is stay; nothing regional can pass or be "not applicable"
        # while the regions it would have to cover are unknown.
        findings = [f for f in findings if f.verdict not in (Verdict.PASS, Verdict.NOT_APPLICABLE)]
    if not findings:
        raise RuntimeError(f"check {spec.check_id} produced no finding for {account_id}")
    return [dataclasses.replace(f, control_id=control) for control in spec.controls for f in findings]


def evaluate(bundle: Bundle, thresholds: dict[str, Any]) -> list[Finding]:
    """Every account check for every account and every domain check for every domain of the bundle."""
    findings: list[Finding] = []
    specs = list(registry().values())
    for account_id in bundle.accounts:
        for spec in specs:
            if spec.scope == ACCOUNT_SCOPE:
                findings.extend(run_check(spec, bundle, account_id, thresholds))
    for domain in bundle.manifest.get("domains", []):
        for spec in specs:
            if spec.scope == DOMAIN_SCOPE:
                findings.extend(run_check(spec, bundle, DNS_ACCOUNT, thresholds, domain))
    for spec in specs:
        if spec.scope == ORG_SCOPE:
            findings.extend(run_check(spec, bundle, ORG_ACCOUNT, thresholds))
    return findings


__all__ = ["DNS_ACCOUNT", "ORG_ACCOUNT", "GLOBAL", "assessment_time", "evaluate", "run_check"]
