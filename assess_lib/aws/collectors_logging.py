"""Log management (2.3.4.2) and cloud service settings (2.3.4.5) collectors.

Rows are plain, normalised facts (no verdicts), declared with their IAM actions in
``collectors_logging.datasets.yaml``. Listings are paginated and read in bulk (log groups, metric filters, alarms,
WAF logging configurations); where AWS has no bulk call the cost per resource is said on the collector.
``logs.metric_filters`` and ``cloudwatch.metric_alarms`` are general (every filter, every alarm): they show that
logs are reviewed (2.3.4.2 ②) and serve the detection items (2.4.1) as well.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .collectors import HOME_REGION, AccountContext, Calls, collector, waf_pages
from .errors import classify

_NO_LIFECYCLE = ("NoSuchLifecycleConfiguration",)


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


# --- CloudWatch Logs: log groups, metric filters; CloudWatch alarms ---------------------------------


@collector("logs.log_groups")
def collect_log_groups(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Every log group of the region with its retention (None: kept until deleted)."""
    rows = []
    for page in calls.paginate("logs", "describe_log_groups"):
        for group in page.get("logGroups", []):
            rows.append(
                {
                    "log_group": group["logGroupName"],
                    "arn": group.get("arn"),
                    "retention_days": group.get("retentionInDays"),
                    "stored_bytes": group.get("storedBytes"),
                    "kms_key_id": group.get("kmsKeyId"),
                    "log_group_class": group.get("logGroupClass"),
                }
            )
    return rows


@collector("logs.metric_filters")
def collect_metric_filters(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Every metric filter of the region (one listing for all log groups) with the metrics it feeds."""
    rows = []
    for page in calls.paginate("logs", "describe_metric_filters"):
        for item in page.get("metricFilters", []):
            rows.append(
                {
                    "filter_name": item.get("filterName"),
                    "log_group": item.get("logGroupName"),
                    "pattern": item.get("filterPattern") or "",
                    "metrics": [
                        {"namespace": m.get("metricNamespace"), "name": m.get("metricName")}
                        for m in item.get("metricTransformations", []) or []
                    ],
                }
            )
    return rows


@collector("cloudwatch.metric_alarms")
def collect_metric_alarms(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Every metric alarm of the region with the metrics it watches (metric math included) and its actions."""
    rows = []
    for page in calls.paginate("cloudwatch", "describe_alarms", AlarmTypes=["MetricAlarm"]):
        for alarm in page.get("MetricAlarms", []):
            metrics = []
            if alarm.get("MetricName"):
                metrics.append({"namespace": alarm.get("Namespace"), "name": alarm["MetricName"]})
            for query in alarm.get("Metrics", []) or []:
                metric = (query.get("MetricStat") or {}).get("Metric") or {}
                if metric.get("MetricName"):
                    metrics.append({"namespace": metric.get("Namespace"), "name": metric["MetricName"]})
            rows.append(
                {
                    "alarm_name": alarm.get("AlarmName"),
                    "arn": alarm.get("AlarmArn"),
                    "metrics": metrics,
                    "actions_enabled": bool(alarm.get("ActionsEnabled")),
                    "alarm_actions": list(alarm.get("AlarmActions", []) or []),
                    "state": alarm.get("StateValue"),
                }
            )
    return rows


# --- Access logs of internet-facing resources ---------------------------------------------------


@collector("elbv2.load_balancer_logging")
def collect_load_balancer_logging(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Access logging of every internet-facing Application Load Balancer: one call per such load balancer
    (AWS has no bulk call for load balancer attributes); internal and other load balancers cost nothing."""
    rows = []
    for lb in ctx.rows_or_raise("elbv2.load_balancers", region):
        if lb["type"] != "application" or lb["scheme"] != "internet-facing":
            continue
        attributes = calls.call("elbv2", "describe_load_balancer_attributes", LoadBalancerArn=lb["arn"]).get("Attributes", [])
        values = {a.get("Key"): a.get("Value") for a in attributes}
        enabled = str(values.get("access_logs.s3.enabled", "false")).lower() == "true"
        rows.append(
            {
                "arn": lb["arn"],
                "name": lb["name"],
                "access_logs_enabled": enabled,
                "access_logs_bucket": (values.get("access_logs.s3.bucket") or None) if enabled else None,
                "access_logs_prefix": (values.get("access_logs.s3.prefix") or None) if enabled else None,
            }
        )
    return rows


def _web_acl_logging(calls: Calls, scope: str, region: str | None) -> list[dict[str, Any]]:
    """Web ACLs of ``scope`` with their logging destinations: two listings, none per web ACL."""
    destinations: dict[str, list[str]] = {}
    for config in waf_pages(calls, "list_logging_configurations", "LoggingConfigurations", scope, region):
        destinations[config["ResourceArn"]] = list(config.get("LogDestinationConfigs", []) or [])
    return [
        {
            "name": acl.get("Name"),
            "arn": acl["ARN"],
            "scope": scope,
            "log_destinations": destinations.get(acl["ARN"], []),
        }
        for acl in waf_pages(calls, "list_web_acls", "WebACLs", scope, region)
    ]


@collector("wafv2.web_acl_logging")
def collect_web_acl_logging(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Regional WAF web ACLs (load balancers, API Gateway...) with their logging destinations."""
    return _web_acl_logging(calls, "REGIONAL", None)


@collector("wafv2.cloudfront_web_acl_logging")
def collect_cloudfront_web_acl_logging(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """CloudFront WAF web ACLs (a global scope, read in us-east-1) with their logging destinations."""
    return _web_acl_logging(calls, "CLOUDFRONT", HOME_REGION)


@collector("logs.cloudfront_log_deliveries")
def collect_cloudfront_log_deliveries(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """CloudFront's newer access logging (CloudWatch Logs vended delivery, kept in us-east-1): one row per
    distribution delivery source with its delivery destinations. Two listings, none per distribution."""
    destinations: dict[str, list[str]] = {}
    for page in calls.paginate("logs", "describe_deliveries", region=HOME_REGION):
        for delivery in page.get("deliveries", []) or []:
            destinations.setdefault(delivery.get("deliverySourceName") or "", []).append(
                delivery.get("deliveryDestinationArn") or ""
            )
    rows = []
    for page in calls.paginate("logs", "describe_delivery_sources", region=HOME_REGION):
        for source in page.get("deliverySources", []) or []:
            if source.get("service") != "cloudfront":
                continue
            for arn in source.get("resourceArns", []) or []:
                rows.append(
                    {
                        "resource_arn": arn,
                        "delivery_source": source.get("name"),
                        "log_type": source.get("logType"),
                        "destinations": destinations.get(source.get("name") or "", []),
                    }
                )
    return rows


# --- S3: retention of the buckets that receive access logs -----------------------------------------


def expiration_days(calls: Calls, bucket: str) -> int | None:
    """The shortest expiration (days) of the bucket's enabled lifecycle rules; None when no rule expires
    current objects (logs are kept until someone deletes them)."""
    try:
        rules = calls.call("s3", "get_bucket_lifecycle_configuration", Bucket=bucket).get("Rules", [])
    except ClientError as err:
        if _code(err) in _NO_LIFECYCLE:
            return None
        raise
    days = [
        int(rule["Expiration"]["Days"])
        for rule in rules
        if rule.get("Status") == "Enabled" and (rule.get("Expiration") or {}).get("Days") is not None
    ]
    return min(days) if days else None


def _s3_bucket(destination: str | None) -> str | None:
    """The bucket of an S3 destination: ``arn:aws:s3:::name[/prefix]``, ``name.s3.amazonaws.com`` or a name."""
    if not destination:
        return None
    text = str(destination)
    if text.startswith("arn:"):
        if ":s3:::" not in text:
            return None  # CloudWatch Logs or Firehose: not a bucket
        text = text.split(":s3:::", 1)[1]
    text = text.split("/", 1)[0]
    if ".s3." in text:  # name.s3.amazonaws.com, name.s3.<region>.amazonaws.com
        text = text.split(".s3.", 1)[0]
    return text or None


def lifecycle_expiration(calls: Calls, bucket: str) -> dict[str, Any]:
    """``expiration_days``, or the ``lifecycle_error_*`` columns when the lifecycle cannot be read (the bucket's
    other facts stand: a missing permission for this call must not hide them)."""
    try:
        return {"expiration_days": expiration_days(calls, bucket)}
    except Exception as err:  # noqa: BLE001 - classified: access denied, another account's bucket...
        failure = classify(err)
        return {
            "lifecycle_error_kind": failure.kind,
            "lifecycle_error_code": failure.code,
            "lifecycle_error_message": failure.message,
        }


@collector("s3.access_log_buckets")
def collect_access_log_buckets(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The buckets that receive access logs of load balancers, CloudFront and WAF, with their lifecycle
    expiration: one call per bucket (S3 has no bulk call), whatever the number of resources logging there."""
    sources: dict[str, set[str]] = {}
    for reg in ctx.regions:
        for lb in ctx.rows_or_raise("elbv2.load_balancer_logging", reg):
            if bucket := _s3_bucket(lb.get("access_logs_bucket")):
                sources.setdefault(bucket, set()).add("elb")
        for acl in ctx.rows_or_raise("wafv2.web_acl_logging", reg):
            for destination in acl["log_destinations"]:
                if bucket := _s3_bucket(destination):
                    sources.setdefault(bucket, set()).add("waf")
    for acl in ctx.rows_or_raise("wafv2.cloudfront_web_acl_logging"):
        for destination in acl["log_destinations"]:
            if bucket := _s3_bucket(destination):
                sources.setdefault(bucket, set()).add("waf")
    for dist in ctx.rows_or_raise("cloudfront.distributions"):
        if bucket := _s3_bucket(dist.get("logging_bucket")):
            sources.setdefault(bucket, set()).add("cloudfront")
    rows = []
    for bucket in sorted(sources):
        row: dict[str, Any] = {"bucket": bucket, "sources": sorted(sources[bucket]), "error_kind": None}
        try:
            row["expiration_days"] = expiration_days(calls, bucket)
        except Exception as err:  # noqa: BLE001 - e.g. a central log bucket in another account: say so per bucket
            failure = classify(err)
            row.update(error_kind=failure.kind, error_code=failure.code, error_message=failure.message)
        rows.append(row)
    return rows


# --- 2.3.4.5: Security Hub, the account's security contact ------------------------------------------

_NOT_SUBSCRIBED = ("InvalidAccessException", "ResourceNotFoundException")


@collector("securityhub.hub")
def collect_security_hub(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Whether Security Hub is enabled in the region and which standards are enabled (one row)."""
    try:
        hub = calls.call("securityhub", "describe_hub")
    except ClientError as err:
        if _code(err) in _NOT_SUBSCRIBED:
            return [{"enabled": False, "hub_arn": None, "subscribed_at": None, "standards": []}]
        raise
    standards = []
    for page in calls.paginate("securityhub", "get_enabled_standards"):
        for item in page.get("StandardsSubscriptions", []) or []:
            standards.append({"arn": item.get("StandardsArn"), "status": item.get("StandardsStatus")})
    return [{"enabled": True, "hub_arn": hub.get("HubArn"), "subscribed_at": hub.get("SubscribedAt"), "standards": standards}]


@collector("account.security_contact")
def collect_security_contact(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The account's alternate security contact (one row; ``registered`` false when none is set)."""
    try:
        contact = calls.call("account", "get_alternate_contact", AlternateContactType="SECURITY").get("AlternateContact") or {}
    except ClientError as err:
        if _code(err) != "ResourceNotFoundException":
            raise
        contact = {}
    return [
        {
            "registered": bool(contact.get("EmailAddress")),
            "name": contact.get("Name"),
            "title": contact.get("Title"),
            "email": contact.get("EmailAddress"),
        }
    ]
