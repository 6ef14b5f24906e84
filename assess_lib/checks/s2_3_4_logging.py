"""Checks for guideline section 2.3.4.2 (log management).

- 2.3.4.2 ① (procedures: scope of logging, retention): log groups and the buckets that hold trail and access logs
  keep logs at least ``log_retention_min_days`` (a log group that never expires, a bucket without an expiring
  lifecycle rule keep them); the internet-facing resources record access logs: Application Load Balancers (FSBP
  ELB.5), CloudFront distributions (CloudFront.5) and WAF web ACLs (WAF.11).
- 2.3.4.2 ② (logs reviewed): the events CIS 4.x asks to be watched are, in the trail's CloudWatch Logs group, turned
  into a metric by a metric filter and an alarm that notifies someone. One result per monitored event and account
  (network changes as one event with five parts), naming the filter and alarm or what is missing.

A bucket that could not be read is an ``error`` about that bucket (never a verdict); evidence missing for one
dataset or region is an ``error`` finding for it while the rest still give verdicts.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core.model import Verdict
from ..core.text import Phrase
from ..evidence import GLOBAL, EvidenceUnavailable
from . import check, failed, manual, passed
from .context import CheckContext
from .result import Result
from .s2_3_1_access import _unreadable, trails

TRAIL_BUCKETS = "s3.trail_bucket_protection"
ACCESS_LOG_BUCKETS = "s3.access_log_buckets"
LIFECYCLE_ACTION = "s3:GetLifecycleConfiguration"


def _rows(ctx: CheckContext, dataset: str, region: str | None = None) -> list[dict[str, Any]]:
    """Rows of ``dataset``; missing evidence is recorded as an ``error`` finding and reads as no rows, so that
    the other datasets of the check still give verdicts (the runner's "nothing to assess" waits for complete evidence)."""
    try:
        return ctx.rows(dataset, region)
    except EvidenceUnavailable as missing:
        ctx.record_missing(missing)
        return []


# --- 2.3.4.2 ①: retention ---------------------------------------------------------------------------


@check("log_group_retention")
def log_group_retention(ctx: CheckContext) -> Iterator[Result]:
    """Every CloudWatch Logs group keeps its events at least the minimum retention (or never expires them)."""
    minimum = int(ctx.params["log_retention_min_days"])
    for group in ctx.rows("logs.log_groups"):
        days = group.get("retention_days")
        if days is None:
            yield passed(group["log_group"], "pass_forever", region=ctx.region or GLOBAL)
        elif int(days) >= minimum:
            yield passed(group["log_group"], region=ctx.region or GLOBAL, retention_days=int(days))
        else:
            yield failed(group["log_group"], region=ctx.region or GLOBAL, retention_days=int(days))


@check("log_bucket_retention")
def log_bucket_retention(ctx: CheckContext) -> Iterator[Result]:
    """The buckets that receive CloudTrail logs or access logs do not expire them before the minimum retention."""
    minimum = int(ctx.params["log_retention_min_days"])
    buckets: dict[str, tuple[str, dict[str, Any], list[str]]] = {}
    for dataset, default in ((TRAIL_BUCKETS, ["cloudtrail"]), (ACCESS_LOG_BUCKETS, [])):
        for row in _rows(ctx, dataset):
            if row["bucket"] in buckets:
                buckets[row["bucket"]][2].extend(row.get("sources") or [])
            else:
                buckets[row["bucket"]] = (dataset, row, list(row.get("sources") or default))
    for name, (dataset, row, sources) in sorted(buckets.items()):
        holds = _sources(sources)
        if row.get("error_kind"):
            yield _unreadable(row, dataset, {"holds": holds})
        elif row.get("lifecycle_error_kind"):
            yield _lifecycle_unreadable(name, row, holds)
        elif "expiration_days" not in row:
            continue  # collected before retention was recorded: unknown, not a verdict
        elif row["expiration_days"] is None:
            yield passed(name, "pass_forever", holds=holds)
        elif int(row["expiration_days"]) >= minimum:
            yield passed(name, holds=holds, expiration_days=int(row["expiration_days"]))
        else:
            yield failed(name, holds=holds, expiration_days=int(row["expiration_days"]))


def _lifecycle_unreadable(bucket: str, row: dict[str, Any], holds: Phrase) -> Result:
    """The bucket's lifecycle could not be read: an error about its retention, never a verdict."""
    facts = {
        "holds": holds,
        "error_kind": row["lifecycle_error_kind"],
        "error_code": row.get("lifecycle_error_code"),
        "error_message": row.get("lifecycle_error_message"),
        "missing_permission": LIFECYCLE_ACTION,
    }
    return Result(Verdict.ERROR, bucket, "bucket_unreadable", facts=facts)


def _sources(sources: Iterable[str]) -> Phrase:
    """What a log bucket holds, in the reader's language ("CloudTrail logs and ALB access logs")."""
    parts = [Phrase(f"source_{s}") for s in sorted(set(sources), key=_SOURCE_ORDER.index)]
    joined = parts[-1]
    for part in reversed(parts[:-1]):
        joined = Phrase("and", head=part, tail=joined)
    return joined


_SOURCE_ORDER = ["cloudtrail", "elb", "cloudfront", "waf"]


# --- 2.3.4.2 ①: access logs of internet-facing resources ----------------------------------------------


@check("elb_access_logging")
def elb_access_logging(ctx: CheckContext) -> Iterator[Result]:
    """Every internet-facing Application Load Balancer records access logs."""
    for lb in ctx.rows("elbv2.load_balancer_logging"):
        name = lb.get("name") or lb["arn"]
        if lb["access_logs_enabled"]:
            yield passed(name, region=ctx.region or GLOBAL, bucket=lb.get("access_logs_bucket") or "")
        else:
            yield failed(name, region=ctx.region or GLOBAL)


@check("cloudfront_access_logging")
def cloudfront_access_logging(ctx: CheckContext) -> Iterator[Result]:
    """Every enabled CloudFront distribution records access logs: standard logging to S3, or delivery through
    CloudWatch Logs to any destination."""
    delivered: dict[str, list[str]] | None = None  # None: unknown, a distribution without standard logging gets no verdict
    try:
        rows = ctx.rows("logs.cloudfront_log_deliveries")
    except EvidenceUnavailable as missing:
        ctx.record_missing(missing)
    else:
        delivered = {}
        for row in rows:
            if row.get("destinations"):
                delivered.setdefault(row["resource_arn"], []).extend(_destination(d) for d in row["destinations"])
    for dist in ctx.rows("cloudfront.distributions"):
        if not dist.get("enabled") or "logging_bucket" not in dist:
            continue  # disabled: serves nothing; no column: collected before logging was recorded (unknown)
        label = dist.get("comment") or (dist.get("aliases") or [None])[0] or dist.get("domain_name") or dist["id"]
        resource = f"{dist['id']} ({label})" if label != dist["id"] else dist["id"]
        if dist["logging_bucket"]:
            yield passed(resource, bucket=str(dist["logging_bucket"]).split(".s3.", 1)[0])
        elif delivered is None:
            continue
        elif delivered.get(dist.get("arn") or ""):
            yield passed(resource, "pass_delivery", destinations=", ".join(delivered[dist["arn"]]))
        else:
            yield failed(resource)


@check("waf_logging")
def waf_logging(ctx: CheckContext) -> Iterator[Result]:
    """Every AWS WAF web ACL (regional and CloudFront) sends its logs somewhere."""
    acls = [(GLOBAL, acl) for acl in _rows(ctx, "wafv2.cloudfront_web_acl_logging")]
    acls += [(region, acl) for region, rows in ctx.regional_rows("wafv2.web_acl_logging") for acl in rows]
    for region, acl in acls:
        name = acl.get("name") or acl["arn"]
        destinations = acl.get("log_destinations") or []
        if destinations:
            yield passed(name, region=region, destinations=", ".join(_destination(d) for d in destinations))
        else:
            yield failed(name, region=region)


def _destination(arn: str) -> str:
    """A log destination as a reader knows it: the log group, bucket or stream name."""
    text = str(arn)
    if ":log-group:" in text:
        return text.split(":log-group:", 1)[1].removesuffix(":*")
    if ":s3:::" in text:
        return text.split(":s3:::", 1)[1]
    return text.rsplit("/", 1)[-1]


# --- 2.3.4.2 ②: metric filters and alarms on the trail's log group (CIS 4.x) ---------------------------

# One condition of a filter pattern: $.field = value, $.field != value, $.field NOT EXISTS.
_CONDITION = re.compile(
    r"\$\.(?P<field>[A-Za-z0-9_.\[\]]+)\s*(?:(?P<op>!=|=)\s*(?P<value>\"[^\"]*\"|[^\s()&|}]+)|(?P<not_exists>NOT\s+EXISTS))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Condition:
    path: str  # lower case, without "$."
    op: str  # "=", "!=", "not_exists"
    value: str


def conditions(pattern: str) -> list[Condition]:
    """The conditions of a JSON filter pattern, whatever its spacing, quoting and parentheses."""
    found = []
    for match in _CONDITION.finditer(" ".join(str(pattern).split())):
        if match["not_exists"]:
            found.append(Condition(match["field"].lower(), "not_exists", ""))
        else:
            found.append(Condition(match["field"].lower(), match["op"], match["value"].strip('"').strip()))
    return found


def _event_names(conds: list[Condition]) -> Callable[[str], bool]:
    """Whether an event name is selected by one of the pattern's ``$.eventName = ...`` (wildcards allowed)."""
    values = [c.value for c in conds if c.path == "eventname" and c.op == "="]
    return lambda name: any(fnmatch.fnmatchcase(name, value) for value in values)


@dataclass(frozen=True)
class Event:
    """A monitored event: ``covers(conditions)`` gives which of its ``required`` parts a filter pattern catches."""

    key: str
    required: frozenset[str]
    covers: Callable[[list[Condition]], set[str]]


def _names(key: str, *names: str) -> Event:
    required = frozenset(names)
    return Event(key, required, lambda conds: {n for n in required if _event_names(conds)(n)})


def _has(conds: list[Condition], path: str, value: str, op: str = "=") -> bool:
    return any(c.path == path.lower() and c.op == op and c.value.lower() == value.lower() for c in conds)


def _root(conds: list[Condition]) -> set[str]:
    # CIS narrows the filter (invokedBy NOT EXISTS, eventType != AwsServiceEvent); a broader one catches root use too.
    return {"root"} if _has(conds, "userIdentity.type", "Root") else set()


def _signin_failures(conds: list[Condition]) -> set[str]:
    failed_auth = _event_names(conds)("ConsoleLogin") and _has(conds, "errorMessage", "Failed authentication")
    return {"failures"} if failed_auth or _has(conds, "responseElements.ConsoleLogin", "Failure") else set()


# The events CIS AWS Foundations 4.x asks to watch that the guideline's log review (2.3.4.2 ②) needs.
EVENTS: tuple[Event, ...] = (
    Event("root_use", frozenset({"root"}), _root),
    Event("signin_failures", frozenset({"failures"}), _signin_failures),
    _names(
        "iam_policy_changes",
        *("DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy"),
        *("CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion"),
        *(
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        ),
    ),
)
# Network changes are one monitored event of five parts (CIS 4.10-4.14; EC2-Classic's ClassicLink calls are retired).
NETWORK_PARTS: tuple[Event, ...] = (
    _names(
        "security_groups",
        *("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress"),
        *("RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup"),
    ),
    _names(
        "network_acls",
        *("CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry"),
        *("ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"),
    ),
    _names(
        "gateways",
        *("CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway"),
        *("DeleteInternetGateway", "DetachInternetGateway"),
    ),
    _names(
        "route_tables",
        *("CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable"),
        *("DeleteRoute", "DisassociateRouteTable"),
    ),
    _names(
        "vpcs",
        *("CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection", "CreateVpcPeeringConnection"),
        *("DeleteVpcPeeringConnection", "RejectVpcPeeringConnection"),
    ),
)
# The resource named by each result (an identifier, the same in both languages).
RESOURCES = {
    "root_use": "root account use",
    "signin_failures": "console sign-in failures",
    "iam_policy_changes": "IAM policy changes",
    "network_changes": "network changes",
}


@dataclass(frozen=True)
class Filter:
    """A metric filter on a trail's log group, with the alarms on its metrics."""

    name: str
    log_group: str
    conditions: list[Condition]
    alarms: list[dict[str, Any]]

    @property
    def notifying(self) -> list[str]:
        """Its alarms that act (actions enabled, at least one alarm action)."""
        return [a["alarm_name"] for a in self.alarms if a.get("actions_enabled") and a.get("alarm_actions")]


@dataclass(frozen=True)
class Coverage:
    """How one event (or network part) is watched: monitored, or why not (``reason``, a message key of the
    record, with its ``facts``)."""

    monitored: bool
    reason: str = ""
    facts: dict[str, str] = field(default_factory=dict)
    filters: tuple[str, ...] = ()
    alarms: tuple[str, ...] = ()

    def phrase(self, prefix: str = "") -> Phrase:
        return Phrase(prefix + self.reason, **self.facts)


def coverage(event: Event, filters: list[Filter]) -> Coverage:
    """Whether filters with notifying alarms cover every part of ``event``; otherwise what is missing."""
    caught = {f.name: event.covers(f.conditions) for f in filters}
    watched = [f for f in filters if caught[f.name] and f.notifying]
    if set().union(*(caught[f.name] for f in watched)) >= event.required:
        return Coverage(True, filters=tuple(f.name for f in watched), alarms=tuple(a for f in watched for a in f.notifying))
    matching = [f for f in filters if caught[f.name]]
    covered: set[str] = set().union(*(caught[f.name] for f in matching))
    if not matching:
        return Coverage(False, "no_filter")
    if not covered >= event.required:
        names = ", ".join(f.name for f in matching)
        return Coverage(False, "partial_filter", {"filters": names, "missing": ", ".join(sorted(event.required - covered))})
    silent = [f for f in matching if not f.notifying]
    with_alarm = [f for f in silent if f.alarms]
    if with_alarm:
        return Coverage(False, "no_action", {"alarms": ", ".join(a["alarm_name"] for f in with_alarm for a in f.alarms)})
    return Coverage(False, "no_alarm", {"filters": ", ".join(f.name for f in silent)})


def _log_group(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of a CloudWatch Logs group ARN (arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*)."""
    parts = str(arn).split(":")
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    name = ":".join(parts[6:]).removesuffix(":*")
    return parts[3], parts[4], name


def trail_filters(ctx: CheckContext, groups: set[tuple[str, str]]) -> list[Filter]:
    """The metric filters on the trails' log groups (region, name), each with the alarms on its metrics."""
    found = []
    for region in sorted({r for r, _ in groups}):
        names = {n for r, n in groups if r == region}
        rows = _rows(ctx, "logs.metric_filters", region)
        alarms = _rows(ctx, "cloudwatch.metric_alarms", region)
        for row in rows:
            if row.get("log_group") not in names:
                continue
            metrics = {(m.get("namespace"), m.get("name")) for m in row.get("metrics") or []}
            watching = [a for a in alarms if any((m.get("namespace"), m.get("name")) in metrics for m in a.get("metrics") or [])]
            found.append(Filter(row.get("filter_name") or "", row["log_group"], conditions(row.get("pattern") or ""), watching))
    return found


def trail_log_groups(ctx: CheckContext) -> tuple[set[tuple[str, str]], list[str]]:
    """The CloudWatch Logs groups the trails deliver to: this account's as (region, name), and those of other
    accounts as "name (account)" (shared with the detection checks, 2.4.1)."""
    found = trails(ctx)
    arns = sorted({t["cloudwatch_logs_group"] for t in found.values() if t.get("cloudwatch_logs_group")})
    parsed = [p for arn in arns if (p := _log_group(arn))]
    own = {(region, name) for region, account, name in parsed if account == ctx.account_id}
    elsewhere = sorted({f"{name} ({account})" for _, account, name in parsed if account != ctx.account_id})
    return own, elsewhere


@check("cloudtrail_metric_alarms")
def cloudtrail_metric_alarms(ctx: CheckContext) -> Iterator[Result]:
    """Root use, console sign-in failures, IAM policy changes and network changes each raise a notifying alarm,
    through a metric filter on the CloudWatch Logs group a trail delivers to."""
    own, elsewhere = trail_log_groups(ctx)
    if not own:
        if elsewhere:
            yield manual("CloudTrail", "other_account", log_groups=", ".join(elsewhere))
        elif ctx.complete:
            yield failed("CloudTrail", "no_log_group", severity="high")
        return
    filters = trail_filters(ctx, own)
    if not ctx.complete and not filters:
        return  # the filters or alarms could not be read: the error findings say which
    log_groups = ", ".join(sorted(name for _, name in own))
    for event in EVENTS:
        seen = coverage(event, filters)
        resource = RESOURCES[event.key]
        if seen.monitored:
            yield passed(
                resource, event=Phrase(f"event_{event.key}"), filters=", ".join(seen.filters), alarms=", ".join(seen.alarms)
            )
        else:
            yield failed(resource, event=Phrase(f"event_{event.key}"), reason=seen.phrase(), log_groups=log_groups)
    parts = [(part, coverage(part, filters)) for part in NETWORK_PARTS]
    gaps = [(part, seen) for part, seen in parts if not seen.monitored]
    resource = RESOURCES["network_changes"]
    if not gaps:
        yield passed(
            resource,
            "pass_network",
            filters=", ".join(sorted({f for _, seen in parts for f in seen.filters})),
            alarms=", ".join(sorted({a for _, seen in parts for a in seen.alarms})),
        )
    else:
        unwatched = [Phrase("part_gap", part=Phrase(f"part_{part.key}"), why=seen.phrase("why_")) for part, seen in gaps]
        joined: Phrase = unwatched[-1]
        for item in reversed(unwatched[:-1]):
            joined = Phrase("semicolon", head=item, tail=joined)
        yield failed(resource, "fail_network", gaps=joined, log_groups=log_groups, parts_unmonitored=[p.key for p, _ in gaps])
