"""Checks for guideline section 2.4 (detection: monitoring, analysis and reporting of attack indicators).

- GuardDuty runs in every region in scope (2.4-1, 2.4.1 ②) with its protection plans (S3, EKS, malware, RDS,
  runtime: 2.4.1 ①); its findings are exported and its high-severity findings are not left open longer than
  ``guardduty_high_finding_max_open_days`` (2.4.1 ⑤).
- Security Hub gathers the regions' findings in one cross-region aggregator (2.4-1, 2.4.1 (c)).
- Findings are routed (2.4.1 ⑤ prompt reporting): an enabled EventBridge rule for GuardDuty or Security Hub findings
  reaches an SNS topic with a confirmed subscription, a Lambda function or an AWS Chatbot channel, in the region or,
  through the aggregator, in the aggregation region.
- Alarms on the trail's CloudWatch Logs group watch personnel access (root use, console sign-in failures, IAM policy
  changes: 2.4.1 ③) and third-party access (AssumeRole: 2.4.1 ④), with the filter matcher of 2.3.4.2.
- Logs reach a central destination for correlation (2.4.1 (c)): Security Lake, a subscription filter on a trail's log
  group, or an organisation trail.

Missing evidence is an ``error`` for the dataset and region concerned, never a verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..core.text import Phrase
from ..evidence import GLOBAL, EvidenceUnavailable
from . import check, failed, manual, passed
from .context import CheckContext
from .result import Result
from .s2_3_1_access import trails
from .s2_3_4_logging import (
    EVENTS,
    Condition,
    Event,
    Filter,
    _destination,
    _event_names,
    _has,
    coverage,
    trail_filters,
    trail_log_groups,
)

DETECTORS = "guardduty.detectors"
DESTINATIONS = "guardduty.publishing_destinations"
HIGH_FINDINGS = "guardduty.high_findings"
HUB = "securityhub.hub"
AGGREGATORS = "securityhub.finding_aggregators"
RULES = "events.finding_rules"
SUBSCRIPTIONS = "sns.subscriptions"
SUBSCRIPTION_FILTERS = "logs.trail_subscription_filters"
DATA_LAKES = "securitylake.data_lakes"
ROUTING = "finding notifications"

# GuardDuty protection plans and the detector features (GetDetector ``Features``) that provide them.
PLANS: dict[str, tuple[str, ...]] = {
    "s3": ("S3_DATA_EVENTS",),
    "eks": ("EKS_AUDIT_LOGS",),
    "malware": ("EBS_MALWARE_PROTECTION",),
    "rds": ("RDS_LOGIN_EVENTS",),
    "runtime": ("RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING"),
}
PLAN_NAMES = {
    "s3": "S3 Protection",
    "eks": "EKS Protection",
    "malware": "Malware Protection for EC2",
    "rds": "RDS Protection",
    "runtime": "Runtime Monitoring",
}


def _rows(ctx: CheckContext, dataset: str, region: str | None = None) -> list[dict[str, Any]] | None:
    """Rows of ``dataset``, or None when missing (recorded as an ``error`` finding)."""
    try:
        return ctx.rows(dataset, region)
    except EvidenceUnavailable as missing:
        ctx.record_missing(missing)
        return None


def _enabled(detectors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in detectors if str(d.get("status")).upper() == "ENABLED"]


def _joined(parts: list[Phrase]) -> Phrase:
    """Phrases joined by the record's ``semicolon`` message."""
    joined = parts[-1]
    for part in reversed(parts[:-1]):
        joined = Phrase("semicolon", head=part, tail=joined)
    return joined


# --- GuardDuty ----------------------------------------------------------------------------------------


@check("guardduty_all_regions")
def guardduty_all_regions(ctx: CheckContext) -> Iterator[Result]:
    """GuardDuty has an enabled detector in the region (none, or a suspended one, fails naming the region)."""
    region = ctx.region or GLOBAL
    detectors = ctx.rows(DETECTORS)
    enabled = _enabled(detectors)
    if enabled:
        yield passed("GuardDuty", region=region, detector=enabled[0]["detector_id"])
    elif detectors:
        states = ", ".join(f"{d['detector_id']}: {d.get('status')}" for d in detectors)
        yield failed("GuardDuty", "fail_suspended", region=region, states=states)
    else:
        yield failed("GuardDuty", region=region)


def required_plans(value: Any) -> list[str]:
    """The plans named by ``guardduty_required_plans`` (comma-separated); an unknown name is a mistake."""
    names = [v.strip().lower() for v in str(value or "").split(",") if v.strip()]
    unknown = [n for n in names if n not in PLANS]
    if unknown:
        raise ValueError(f"guardduty_required_plans: unknown plan {', '.join(unknown)} (known: {', '.join(PLANS)})")
    return names


@check("guardduty_protection_plans")
def guardduty_protection_plans(ctx: CheckContext) -> Iterator[Result]:
    """Every enabled detector has the required protection plans on; one result per detector, naming those off."""
    wanted = required_plans(ctx.params["guardduty_required_plans"])
    for detector in _enabled(ctx.rows(DETECTORS)):
        features = {str(k).upper(): str(v).upper() for k, v in (detector.get("features") or {}).items()}
        off = [p for p in wanted if not any(features.get(f) == "ENABLED" for f in PLANS[p])]
        names = ", ".join(PLAN_NAMES[p] for p in (off or wanted))
        if off:
            yield failed(detector["detector_id"], region=ctx.region or GLOBAL, plans=names, plans_off=off)
        else:
            yield passed(detector["detector_id"], region=ctx.region or GLOBAL, plans=names)


@check("guardduty_findings_exported")
def guardduty_findings_exported(ctx: CheckContext) -> Iterator[Result]:
    """Every enabled detector exports its findings to a publishing destination that is publishing."""
    detectors = _enabled(ctx.rows(DETECTORS))
    if not detectors:
        return
    destinations = ctx.rows(DESTINATIONS)
    for detector in detectors:
        mine = [d for d in destinations if d["detector_id"] == detector["detector_id"]]
        publishing = [d for d in mine if str(d.get("status")).upper() == "PUBLISHING"]
        if publishing:
            target = publishing[0].get("destination_arn") or publishing[0]["destination_id"]
            yield passed(detector["detector_id"], region=ctx.region or GLOBAL, destination=target)
        elif mine:
            states = ", ".join(f"{d.get('destination_arn') or d['destination_id']}: {d.get('status')}" for d in mine)
            yield failed(detector["detector_id"], "fail_not_publishing", region=ctx.region or GLOBAL, states=states)
        else:
            yield failed(detector["detector_id"], region=ctx.region or GLOBAL)


_SHOWN_TYPES = 3  # finding types named in a failure


@check("guardduty_high_findings_open")
def guardduty_high_findings_open(ctx: CheckContext) -> Iterator[Result]:
    """No high-severity GuardDuty finding of an enabled detector has been open longer than the parameter."""
    limit = int(ctx.params["guardduty_high_finding_max_open_days"])
    detectors = _enabled(ctx.rows(DETECTORS))
    if not detectors:
        return
    findings = ctx.rows(HIGH_FINDINGS)
    for detector in detectors:
        aged = []
        open_count = 0
        for finding in findings:
            if finding["detector_id"] != detector["detector_id"]:
                continue
            open_count += 1
            days = ctx.days_since(finding.get("created_at"))
            if days is not None and days > limit:
                aged.append((days, finding))
        region = ctx.region or GLOBAL
        if not aged:
            yield passed(detector["detector_id"], region=region, open_count=open_count)
            continue
        aged.sort(key=lambda item: -item[0])
        types = sorted({str(f.get("type")) for _, f in aged})
        shown = ", ".join(types[:_SHOWN_TYPES]) + (" …" if len(types) > _SHOWN_TYPES else "")
        yield failed(
            detector["detector_id"],
            region=region,
            count=len(aged),
            oldest_days=aged[0][0],
            types=shown,
            finding_ids=[f.get("finding_id") for _, f in aged[:20]],
        )


# --- Security Hub: cross-region aggregation -------------------------------------------------------------


def linked_regions(aggregator: dict[str, Any], regions: list[str]) -> set[str]:
    """The regions among ``regions`` whose findings the aggregator gathers (its own region always)."""
    mode = str(aggregator.get("region_linking_mode") or "").upper()
    listed = set(aggregator.get("regions") or [])
    if mode == "ALL_REGIONS":
        linked = set(regions)
    elif mode == "ALL_REGIONS_EXCEPT_SPECIFIED":
        linked = set(regions) - listed
    elif mode == "SPECIFIED_REGIONS":
        linked = listed & set(regions)
    else:
        linked = set()
    return linked | {aggregator.get("aggregation_region") or ""}


def _aggregator(ctx: CheckContext) -> dict[str, Any] | None:
    """The account's finding aggregator, from whichever region holds it (None: none seen)."""
    for _region, rows in ctx.regional_rows(AGGREGATORS):
        if rows:
            return rows[0]
    return None


@check("securityhub_aggregator")
def securityhub_aggregator(ctx: CheckContext) -> Iterator[Result]:
    """Security Hub gathers every region's findings in one aggregation region (needs two regions or more)."""
    regions = ctx.regions
    if len(regions) < 2:
        return
    hub_on = {region for region, rows in ctx.regional_rows(HUB) if rows and rows[0].get("enabled")}
    aggregator = _aggregator(ctx)
    if not hub_on:
        if ctx.complete:
            yield failed("Security Hub", "fail_no_hub")
        return
    if aggregator is None:
        if ctx.complete:
            yield failed("Security Hub", regions=", ".join(regions))
        return
    linked = linked_regions(aggregator, regions)
    resource = aggregator.get("arn") or "Security Hub"
    home = aggregator.get("aggregation_region") or "-"
    outside = sorted(r for r in regions if r not in linked or r not in hub_on)
    if outside:
        yield failed(resource, "fail_partial", region=home, aggregation_region=home, regions_outside=", ".join(outside))
    elif ctx.complete:
        yield passed(resource, region=home, aggregation_region=home, regions=", ".join(sorted(regions)))


# --- Routing of findings (2.4.1 ⑤) -----------------------------------------------------------------------


def _route(ctx: CheckContext, rule: dict[str, Any]) -> tuple[str, str] | None:
    """How an enabled rule's targets deliver: ("routed", target) for an SNS topic with a confirmed subscription,
    a Lambda function or an AWS Chatbot channel; ("forwarded", bus) for another event bus only; None otherwise."""
    if str(rule.get("state")).upper() != "ENABLED":
        return None
    forwarded = None
    for target in rule.get("targets") or []:
        arn, kind = str(target.get("arn")), target.get("kind")
        if kind in ("lambda", "chatbot"):
            return "routed", arn.rsplit(":", 1)[-1] if kind == "lambda" else arn.rsplit("/", 1)[-1]
        if kind == "sns":
            topic_region = arn.split(":")[3] if arn.count(":") >= 5 else ctx.region
            subs = ctx.rows(SUBSCRIPTIONS, topic_region)
            if any(s.get("topic_arn") == arn and s.get("confirmed") for s in subs):
                return "routed", arn.rsplit(":", 1)[-1]
        if kind == "events":
            forwarded = arn
    return ("forwarded", forwarded) if forwarded else None


def _routes(ctx: CheckContext, region: str, sources: set[str]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(how, rule, target) of the region's rules for ``sources``, and the names of all such rules."""
    rules = [r for r in ctx.rows(RULES, region) if set(r.get("sources") or []) & sources]
    found = []
    for rule in rules:
        route = _route(ctx, rule)
        if route is not None:
            found.append((route[0], rule["rule_name"], route[1]))
    return found, [r["rule_name"] for r in rules]


@check("findings_routed")
def findings_routed(ctx: CheckContext) -> Iterator[Result]:
    """In every region where GuardDuty or Security Hub produces findings, an enabled EventBridge rule routes them to
    someone: in the region, or through the Security Hub aggregator in the aggregation region."""
    regions = ctx.regions
    aggregator = _aggregator(ctx)
    linked = linked_regions(aggregator, regions) if aggregator else set()
    home = aggregator.get("aggregation_region") if aggregator else None

    def evaluate(region: str) -> Result | None:
        guardduty = bool(_enabled(ctx.rows(DETECTORS, region)))
        hub_rows = ctx.rows(HUB, region)
        hub = bool(hub_rows and hub_rows[0].get("enabled"))
        if not guardduty and not hub:
            return None
        sources = {"aws.guardduty"} if guardduty else set()
        sources |= {"aws.securityhub"} if hub else set()
        shown = Phrase("src_both" if guardduty and hub else "src_guardduty" if guardduty else "src_securityhub")
        found, rules = _routes(ctx, region, sources)
        if hub and home and home != region and region in linked:
            central, central_rules = _routes(ctx, home, {"aws.securityhub"})
            routed = [r for r in central if r[0] == "routed"]
            if not [r for r in found if r[0] == "routed"] and routed:
                return passed(
                    ROUTING,
                    "pass_aggregated",
                    region=region,
                    sources=shown,
                    aggregation_region=home,
                    rule=routed[0][1],
                    target=routed[0][2],
                )
            found, rules = found + central, rules + central_rules
        routed = [r for r in found if r[0] == "routed"]
        if routed:
            return passed(ROUTING, region=region, sources=shown, rule=routed[0][1], target=routed[0][2])
        if found:
            return manual(ROUTING, "manual_forwarded", region=region, sources=shown, rule=found[0][1], bus=found[0][2])
        if rules:
            return failed(ROUTING, "fail_unrouted", region=region, sources=shown, rules=", ".join(sorted(set(rules))))
        return failed(ROUTING, region=region, sources=shown)

    for result in ctx.per_region(evaluate):
        if result is not None:
            yield result


# --- Alarms on the trail's log group: personnel (2.4.1 ③) and third-party (2.4.1 ④) access ---------------


def _assume_role(conds: list[Condition]) -> set[str]:
    # A filter on AssumeRole (any principal: broader than external ones) or on calls by another account.
    caught = _event_names(conds)("AssumeRole") or _has(conds, "userIdentity.type", "AWSAccount")
    return {"assume_role"} if caught else set()


THIRD_PARTY = Event("assume_role", frozenset({"assume_role"}), _assume_role)
PERSONNEL = ("root_use", "signin_failures", "iam_policy_changes")


def _watched(ctx: CheckContext, events: list[Event]) -> Iterator[Result]:
    """One result for the account: every event in ``events`` raises a notifying alarm through a metric filter on
    the trail's log group, or the events that do not."""
    own, elsewhere = trail_log_groups(ctx)
    if not own:
        if elsewhere:
            yield manual("CloudTrail", "other_account", log_groups=", ".join(elsewhere))
        elif ctx.complete:
            yield failed("CloudTrail", "no_log_group")
        return
    filters: list[Filter] = trail_filters(ctx, own)
    if not ctx.complete and not filters:
        return  # the filters or alarms could not be read: the error findings say which
    seen = {event.key: coverage(event, filters) for event in events}
    gaps = [key for key, cov in seen.items() if not cov.monitored]
    log_groups = ", ".join(sorted(name for _, name in own))
    if gaps:
        yield failed(log_groups, events=_joined([Phrase(f"event_{k}") for k in gaps]), events_unmonitored=gaps)
    else:
        alarms = ", ".join(sorted({a for cov in seen.values() for a in cov.alarms}))
        yield passed(log_groups, events=_joined([Phrase(f"event_{e.key}") for e in events]), alarms=alarms)


@check("personnel_access_alarms")
def personnel_access_alarms(ctx: CheckContext) -> Iterator[Result]:
    """Root use, console sign-in failures and IAM policy changes each raise a notifying alarm."""
    yield from _watched(ctx, [e for e in EVENTS if e.key in PERSONNEL])


@check("third_party_access_alarm")
def third_party_access_alarm(ctx: CheckContext) -> Iterator[Result]:
    """Roles assumed (AssumeRole, by which outside parties enter) raise a notifying alarm."""
    yield from _watched(ctx, [THIRD_PARTY])


# --- Central log destination (2.4.1 (c)) -------------------------------------------------------------------


@check("central_log_destination")
def central_log_destination(ctx: CheckContext) -> Iterator[Result]:
    """The account's logs reach a central destination for correlation: a Security Lake data lake, a subscription
    filter on a trail's log group, or an organisation trail."""
    found: list[Phrase] = []
    lakes = [lake for lake in _rows(ctx, DATA_LAKES) or [] if str(lake.get("status")).upper() != "FAILED"]
    if lakes:
        found.append(Phrase("dest_lake", regions=", ".join(sorted({str(lake.get("region")) for lake in lakes}))))
    subscriptions = [row for _region, rows in ctx.regional_rows(SUBSCRIPTION_FILTERS) for row in rows]
    if subscriptions:
        shown = ", ".join(sorted({f"{s['log_group']} → {_destination(str(s.get('destination_arn')))}" for s in subscriptions}))
        found.append(Phrase("dest_subscription", filters=shown))
    organisation = sorted({t["name"] for t in trails(ctx).values() if t.get("is_organization_trail")})
    if organisation:
        found.append(Phrase("dest_org_trail", trails=", ".join(organisation)))
    if found:
        yield passed("central log destination", destinations=_joined(found))
    elif ctx.complete:
        yield failed("central log destination")
