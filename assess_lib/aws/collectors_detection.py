"""Detection collectors for guideline section 2.4 (monitoring, analysis and reporting of attack indicators).

Rows are plain, normalised facts (no verdicts), declared with their IAM actions in
``collectors_detection.datasets.yaml``. They build on datasets collected elsewhere (GuardDuty detectors, Security
Hub, CloudTrail trails, metric filters and alarms) and add what detection needs beyond them: where GuardDuty findings
are exported, which high-severity findings are open, the Security Hub cross-region aggregator, the EventBridge
rules that route findings and the SNS subscriptions they reach, subscription filters on the trails' log groups and
Security Lake. Calls grow with services, not resources: listings are paginated and findings read in bulk.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from .collectors import AccountContext, Calls, _error_code, collector
from .collectors_logging import _NOT_SUBSCRIBED

# GuardDuty's severity bands: 7.0-8.9 high, 9.0-10.0 critical.
HIGH_SEVERITY = 7
_GET_FINDINGS_BATCH = 50  # GetFindings accepts at most 50 finding IDs per call


def _enabled_detectors(ctx: AccountContext, region: str) -> list[str]:
    return [d["detector_id"] for d in ctx.rows_or_raise("guardduty.detectors", region) if d.get("status") == "ENABLED"]


# --- GuardDuty: findings export and open high-severity findings ------------------------------------


@collector("guardduty.publishing_destinations")
def collect_publishing_destinations(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Where each detector of the region exports its findings (S3 publishing destinations).

    One listing per detector (a region has at most one) and one DescribePublishingDestination per destination
    (the listing does not carry the destination's ARN; AWS has no bulk call).
    """
    rows = []
    for detector in ctx.rows_or_raise("guardduty.detectors", region):
        detector_id = detector["detector_id"]
        for page in calls.token_pages("guardduty", "list_publishing_destinations", "NextToken", DetectorId=detector_id):
            for dest in page.get("Destinations", []) or []:
                detail = calls.call(
                    "guardduty", "describe_publishing_destination", DetectorId=detector_id, DestinationId=dest["DestinationId"]
                )
                rows.append(
                    {
                        "detector_id": detector_id,
                        "destination_id": dest["DestinationId"],
                        "destination_type": dest.get("DestinationType"),
                        "status": dest.get("Status"),
                        "destination_arn": (detail.get("DestinationProperties") or {}).get("DestinationArn"),
                    }
                )
    return rows


@collector("guardduty.high_findings")
def collect_high_findings(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The open (not archived) GuardDuty findings of severity 7 or more of every enabled detector.

    ListFindings filters on severity and archive status at the service; GetFindings reads them 50 at a time.
    """
    criteria = {"Criterion": {"severity": {"Gte": HIGH_SEVERITY}, "service.archived": {"Eq": ["false"]}}}
    rows = []
    for detector_id in _enabled_detectors(ctx, region):
        ids: list[str] = []
        for page in calls.paginate("guardduty", "list_findings", DetectorId=detector_id, FindingCriteria=criteria):
            ids.extend(page.get("FindingIds", []) or [])
        for start in range(0, len(ids), _GET_FINDINGS_BATCH):
            batch = ids[start : start + _GET_FINDINGS_BATCH]
            found = calls.call("guardduty", "get_findings", DetectorId=detector_id, FindingIds=batch).get("Findings", [])
            for finding in found or []:
                service = finding.get("Service") or {}
                if service.get("Archived") or float(finding.get("Severity") or 0) < HIGH_SEVERITY:
                    continue  # the criterion is the service's; a finding outside it is not reported as open
                resource = finding.get("Resource") or {}
                rows.append(
                    {
                        "detector_id": detector_id,
                        "finding_id": finding.get("Id"),
                        "type": finding.get("Type"),
                        "severity": float(finding.get("Severity") or 0),
                        "title": finding.get("Title"),
                        "resource_type": resource.get("ResourceType"),
                        "created_at": finding.get("CreatedAt"),
                        "updated_at": finding.get("UpdatedAt"),
                        "count": service.get("Count"),
                    }
                )
    return rows


# --- Security Hub: cross-region finding aggregator ------------------------------------------------


@collector("securityhub.finding_aggregators")
def collect_finding_aggregators(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The Security Hub finding aggregator seen from the region; its detail is read in the aggregation region only
    (one GetFindingAggregator per account). A region where Security Hub is off has none: not asked there."""
    if not any(row.get("enabled") for row in ctx.rows_or_raise("securityhub.hub", region)):
        return []
    try:
        pages = calls.paginate("securityhub", "list_finding_aggregators")
    except ClientError as err:
        if _error_code(err) in _NOT_SUBSCRIBED:
            return []
        raise
    rows = []
    for page in pages:
        for item in page.get("FindingAggregators", []) or []:
            arn = item.get("FindingAggregatorArn")
            home = arn.split(":")[3] if arn and arn.count(":") >= 5 else None
            if home != region:
                continue  # listed from every region; described once, where it lives
            detail = calls.call("securityhub", "get_finding_aggregator", FindingAggregatorArn=arn)
            rows.append(
                {
                    "arn": arn,
                    "aggregation_region": detail.get("FindingAggregationRegion") or home,
                    "region_linking_mode": detail.get("RegionLinkingMode"),
                    "regions": list(detail.get("Regions") or []),
                }
            )
    return rows


# --- Routing: EventBridge rules for findings, SNS subscriptions ------------------------------------

FINDING_SOURCES = ("aws.guardduty", "aws.securityhub")


def _pattern_sources(pattern: str | None) -> list[str]:
    """The finding sources an event pattern matches (``source`` as a list or a single value)."""
    if not pattern:
        return []
    try:
        doc = json.loads(pattern)
    except ValueError:
        return []
    source = doc.get("source") if isinstance(doc, dict) else None
    values = source if isinstance(source, list) else [source]
    return sorted({v for v in values if isinstance(v, str) and v in FINDING_SOURCES})


def _target_kind(arn: str) -> str:
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    return {"sns": "sns", "lambda": "lambda", "chatbot": "chatbot"}.get(service, service or "other")


@collector("events.finding_rules")
def collect_finding_rules(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The EventBridge rules (default bus) whose pattern matches GuardDuty or Security Hub events, with their
    targets: one listing of the rules, then ListTargetsByRule only for those rules."""
    rows = []
    for page in calls.paginate("events", "list_rules"):
        for rule in page.get("Rules", []) or []:
            sources = _pattern_sources(rule.get("EventPattern"))
            if not sources:
                continue
            targets = []
            for tpage in calls.paginate("events", "list_targets_by_rule", Rule=rule["Name"]):
                for target in tpage.get("Targets", []) or []:
                    arn = target.get("Arn") or ""
                    targets.append({"arn": arn, "kind": _target_kind(arn)})
            rows.append(
                {
                    "rule_name": rule["Name"],
                    "arn": rule.get("Arn"),
                    "state": rule.get("State"),
                    "sources": sources,
                    "targets": targets,
                }
            )
    return rows


@collector("sns.subscriptions")
def collect_subscriptions(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Every SNS subscription of the region (one listing): its topic, protocol and whether it is confirmed.
    Endpoints (e-mail addresses, phone numbers) are not kept."""
    rows = []
    for page in calls.paginate("sns", "list_subscriptions"):
        for sub in page.get("Subscriptions", []) or []:
            arn = sub.get("SubscriptionArn") or ""
            rows.append(
                {
                    "topic_arn": sub.get("TopicArn"),
                    "protocol": sub.get("Protocol"),
                    "confirmed": arn.startswith("arn:"),  # "PendingConfirmation" (or "Deleted") otherwise
                }
            )
    return rows


# --- Central log destination (SIEM): subscription filters, Security Lake -----------------------------


def _trail_log_groups(ctx: AccountContext, region: str) -> list[str]:
    """The CloudWatch Logs groups in ``region`` that trails deliver to."""
    names = set()
    for trail in ctx.rows_or_raise("cloudtrail.trails", region):
        arn = trail.get("cloudwatch_logs_group") or ""
        parts = arn.split(":")
        if len(parts) >= 7 and parts[3] == region and parts[5] == "log-group":
            names.add(parts[6])
    return sorted(names)


@collector("logs.trail_subscription_filters")
def collect_trail_subscription_filters(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Subscription filters of the trails' log groups of the region (one listing per such group, usually one)."""
    rows = []
    for group in _trail_log_groups(ctx, region):
        for page in calls.paginate("logs", "describe_subscription_filters", logGroupName=group):
            for item in page.get("subscriptionFilters", []) or []:
                rows.append(
                    {
                        "log_group": group,
                        "filter_name": item.get("filterName"),
                        "destination_arn": item.get("destinationArn"),
                        "pattern": item.get("filterPattern") or "",
                    }
                )
    return rows


@collector("securitylake.data_lakes")
def collect_data_lakes(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The account's Security Lake data lakes, every region in one call (the listing is not paginated)."""
    lakes = calls.call("securitylake", "list_data_lakes").get("dataLakes", []) or []
    return [{"arn": lake.get("dataLakeArn"), "region": lake.get("region"), "status": lake.get("createStatus")} for lake in lakes]
