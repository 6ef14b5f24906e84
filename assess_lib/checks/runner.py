"""Runs the checks over a bundle. What is generic to every check happens here, once: iterating its scope,
turning missing evidence into ``error`` findings per account and region, "nothing to assess", rendering the
record's messages, and containing a crash (an ``error`` finding naming the check, never a dead run)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from ..core.model import Finding, Verdict
from ..core.rollup import DNS_ACCOUNT, ORG_ACCOUNT
from ..evidence import GLOBAL, Bundle, EvidenceUnavailable
from . import AWS_SCOPES, DOMAIN_SCOPE, ORG_SCOPE, REGION_SCOPE, CheckSpec, registry
from .context import CheckContext, is_regional, parse_time
from .records import NOTHING_TO_ASSESS
from .result import Result, details_of

log = logging.getLogger(__name__)


def assessment_time(bundle: Bundle):
    """The reference time of the assessment: when collection started."""
    return parse_time(bundle.manifest["started_at"])


def parameters_in_force(spec: CheckSpec, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """The check's parameters: its record's defaults, overridden by name by the params file's values."""
    return {name: parameters.get(name, default) for name, default in spec.parameters.items()}


def _finding(spec: CheckSpec, ctx: CheckContext, result: Result, region: str | None) -> Finding:
    """A result rendered into a finding (messages in both languages from the record's templates)."""
    where = result.region if result.region != GLOBAL or region is None else region
    values = {
        **ctx.params,
        "account": ctx.account_id,
        "domain": ctx.domain or "",
        "region": where,
        "resource": result.resource,
        **result.facts,
    }
    failing = result.verdict == Verdict.FAIL
    return Finding(
        check_id=spec.check_id,
        control_id="",
        verdict=result.verdict,
        account_id=ctx.account_id,
        region=where,
        resource=result.resource,
        message_ja=spec.message(result.message, "ja", values),
        message_en=spec.message(result.message, "en", values),
        details=details_of(result.facts),
        severity=(result.severity or spec.severity) if failing else "info",
    )


def check_findings(
    spec: CheckSpec,
    bundle: Bundle,
    account_id: str,
    parameters: Mapping[str, Any],
    domain: str | None,
    prior: Mapping[str, list[Finding]],
) -> list[Finding]:
    """Findings of one check for one account (or domain), before they are expanded to guideline items."""
    ctx = CheckContext(
        spec.check_id,
        bundle,
        account_id,
        dict(parameters),
        assessment_time(bundle),
        spec.severity,
        domain,
        params=parameters_in_force(spec, parameters),
        reads=spec.record.reads,
        prior={c: prior.get(c, []) for c in spec.record.reads},
    )
    unknown_scope = ctx.region_scope_error if spec.scope in AWS_SCOPES and is_regional(spec.datasets) else None
    if unknown_scope is not None:
        # The account's regions are unknown: the check is an error naming why, whatever it reads.
        ctx.record_missing(unknown_scope)
    crashed = False
    produced = 0
    regions: list[str | None] = list(ctx.regions) if spec.scope == REGION_SCOPE else [None]
    for region in regions:
        view = ctx if region is None else ctx.in_region(region)
        try:
            for result in spec.fn(view) or ():
                ctx.findings.append(_finding(spec, view, result, region))
                produced += 1
        except EvidenceUnavailable as missing:
            # Missing evidence is never a verdict: say what is missing and which permission would fix it.
            # Findings recorded before the gap stay (a failure is never hidden by an error elsewhere), and
            # the other regions of a region-scope check go on.
            ctx.record_missing(missing)
        except Exception as crash:  # noqa: BLE001 - contained: one check that breaks is an error finding, never a dead run
            # Evidence of a shape the check does not expect (an API's change, a hand-edited bundle that still
            # verifies): the check names itself and what broke; its findings before the break stay.
            log.warning("check %s failed on account %s: %s: %s", spec.check_id, account_id, type(crash).__name__, crash)
            view.record_crash(crash)
            crashed = True
    if not produced and ctx.complete and not crashed:
        # Nothing to assess: complete evidence and no resource the check applies to. (A check whose record says
        # it always applies and yields nothing is a defect: its "none" message is missing, which is contained
        # as a crash naming the check.)
        try:
            ctx.findings.append(_finding(spec, ctx, Result(Verdict.NOT_APPLICABLE, spec.record.subject, NOTHING_TO_ASSESS), None))
        except KeyError as crash:
            ctx.record_crash(crash)
    findings = ctx.findings
    if unknown_scope is not None:
        # Failures found on the evidence there is stay; nothing regional can pass or be "not applicable"
        # while the regions it would have to cover are unknown.
        findings = [f for f in findings if f.verdict not in (Verdict.PASS, Verdict.NOT_APPLICABLE)]
    if not findings:
        raise RuntimeError(f"check {spec.check_id} produced no finding for {account_id}")
    return findings


def run_check(
    spec: CheckSpec,
    bundle: Bundle,
    account_id: str,
    parameters: Mapping[str, Any],
    domain: str | None = None,
    prior: Mapping[str, list[Finding]] | None = None,
) -> list[Finding]:
    """Findings of one check for one account (or domain), expanded to each of its guideline items. The results
    a composite check reads are those given in ``prior``, else worked out here first."""
    if prior is None:
        prior = _prior_results(spec, bundle, account_id, parameters, domain)
    findings = check_findings(spec, bundle, account_id, parameters, domain, prior)
    return [dataclasses.replace(f, control_id=control) for control in spec.controls for f in findings]


def _prior_results(
    spec: CheckSpec, bundle: Bundle, account_id: str, parameters: Mapping[str, Any], domain: str | None
) -> dict[str, list[Finding]]:
    specs = registry()
    done: dict[str, list[Finding]] = {}
    for other in spec.record.reads:
        read = specs[other]
        done[other] = check_findings(
            read, bundle, account_id, parameters, domain, _prior_results(read, bundle, account_id, parameters, domain)
        )
    return done


def evaluate(bundle: Bundle, parameters: Mapping[str, Any]) -> list[Finding]:
    """Every check over its scope: each account (and region), each e-mail domain, the organisation."""
    findings: list[Finding] = []
    specs = list(registry().values())  # each after the checks whose results it reads

    def run_all(scopes: tuple[str, ...], account_id: str, domain: str | None = None) -> None:
        done: dict[str, list[Finding]] = {}
        for spec in specs:
            if spec.scope in scopes:
                own = check_findings(spec, bundle, account_id, parameters, domain, done)
                done[spec.check_id] = own
                findings.extend(dataclasses.replace(f, control_id=c) for c in spec.controls for f in own)

    for account_id in bundle.accounts:
        run_all(AWS_SCOPES, account_id)
    for domain in bundle.manifest.get("domains", []):
        run_all((DOMAIN_SCOPE,), DNS_ACCOUNT, domain)
    run_all((ORG_SCOPE,), ORG_ACCOUNT)
    return findings


__all__ = [
    "DNS_ACCOUNT",
    "GLOBAL",
    "ORG_ACCOUNT",
    "assessment_time",
    "check_findings",
    "evaluate",
    "parameters_in_force",
    "run_check",
]
