"""Inventory collectors for guideline items 2.2.1 (information assets) and 2.3.4.4 (b) (production and
development kept apart): AWS Config recorders and delivery channels, the tagged resources of each region, and
the organisation's accounts with their tags and organisational units.

Rows are plain, normalised facts (no verdicts), declared with their IAM actions in
``collectors_inventory.datasets.yaml``. Calls grow with services and regions, not with resources, except where
AWS has no bulk call: one ``organizations:ListTagsForResource`` per account of the organisation and one listing
per organisational unit (Organizations offers no call that returns them all at once).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from botocore.exceptions import ClientError

from .collectors import AccountContext, Calls, _error_code, collector


# --- AWS Config ----------------------------------------------------------------------------------


def _recording_scope(group: dict[str, Any]) -> dict[str, Any]:
    """What a recorder's recording group covers: all supported types, all but some, or a list."""
    strategy = str((group.get("recordingStrategy") or {}).get("useOnly") or "")
    all_supported = bool(group.get("allSupported")) or strategy == "ALL_SUPPORTED_RESOURCE_TYPES"
    excluded = list((group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or [])
    if strategy == "EXCLUSION_BY_RESOURCE_TYPES":
        all_supported = False
    return {
        "all_supported": all_supported,
        "include_global_resource_types": bool(group.get("includeGlobalResourceTypes")),
        "recording_strategy": strategy or None,
        "excluded_resource_types": excluded if strategy == "EXCLUSION_BY_RESOURCE_TYPES" else [],
        "resource_types": list(group.get("resourceTypes") or []),
    }


@collector("config.recorders")
def collect_config_recorders(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per configuration recorder of the region, with what it records and whether it is running.

    Service-linked recorders (made by another AWS service for itself) are kept and marked, so that a check can
    leave them out: they record only what their service needs.
    """
    recorders = calls.call("config", "describe_configuration_recorders").get("ConfigurationRecorders", [])
    if not recorders:
        return []  # none in this region: a fact, and the status call would say nothing more
    statuses = {
        s.get("name"): s
        for s in calls.call("config", "describe_configuration_recorder_status").get("ConfigurationRecordersStatus", [])
    }
    rows = []
    for recorder in recorders:
        status = statuses.get(recorder.get("name"), {})
        rows.append(
            {
                "name": recorder.get("name"),
                "arn": recorder.get("arn"),
                "service_linked": bool(recorder.get("servicePrincipal")),
                **_recording_scope(recorder.get("recordingGroup") or {}),
                "recording": bool(status.get("recording")),
                "last_status": status.get("lastStatus"),
                "last_error_code": status.get("lastErrorCode"),
                "last_status_change_time": status.get("lastStatusChangeTime"),
            }
        )
    return rows


@collector("config.delivery_channels")
def collect_config_delivery_channels(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per delivery channel of the region, with the status of its last deliveries."""
    channels = calls.call("config", "describe_delivery_channels").get("DeliveryChannels", [])
    if not channels:
        return []  # none in this region: a fact, and the status call would say nothing more
    statuses = {
        s.get("name"): s for s in calls.call("config", "describe_delivery_channel_status").get("DeliveryChannelsStatus", [])
    }
    rows = []
    for channel in channels:
        status = statuses.get(channel.get("name"), {})
        history = status.get("configHistoryDeliveryInfo") or {}
        snapshot = status.get("configSnapshotDeliveryInfo") or {}
        stream = status.get("configStreamDeliveryInfo") or {}
        rows.append(
            {
                "name": channel.get("name"),
                "s3_bucket": channel.get("s3BucketName"),
                "sns_topic_arn": channel.get("snsTopicARN"),
                "history_last_status": history.get("lastStatus"),
                "history_last_error_code": history.get("lastErrorCode"),
                "snapshot_last_status": snapshot.get("lastStatus"),
                "snapshot_last_error_code": snapshot.get("lastErrorCode"),
                "stream_last_status": stream.get("lastStatus"),
            }
        )
    return rows


# --- Resource Groups Tagging API: the region's tagged resources -----------------------------------


# Services whose ARNs name the resource without its type (arn:aws:s3:::bucket, arn:aws:sns:r:a:topic).
_UNNAMED_TYPES = {"s3": "bucket", "sns": "topic", "sqs": "queue"}


def _arn_parts(arn: str) -> tuple[str, str]:
    """(service, resource type) of an ARN: ``arn:aws:ec2:r:a:vpc/vpc-1`` -> (``ec2``, ``vpc``)."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return "", ""
    service, resource = parts[2], parts[5]
    for separator in ("/", ":"):
        if separator in resource:
            return service, resource.split(separator, 1)[0]
    return service, _UNNAMED_TYPES.get(service, service)


@collector("tagging.resources")
def collect_tagged_resources(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per resource the tagging API lists in the region (100 per page), with its tags.

    The tagging API lists the resources that carry, or once carried, a tag: a resource never tagged is not
    listed (AWS Config's inventory holds those).
    """
    rows = []
    for page in calls.paginate("resourcegroupstaggingapi", "get_resources", PaginationConfig={"PageSize": 100}):
        for mapping in page.get("ResourceTagMappingList", []):
            arn = str(mapping.get("ResourceARN") or "")
            service, resource_type = _arn_parts(arn)
            rows.append(
                {
                    "arn": arn,
                    "service": service,
                    "resource_type": resource_type,
                    "tags": {t.get("Key"): t.get("Value") for t in mapping.get("Tags") or [] if t.get("Key")},
                }
            )
    return rows


# --- Organizations: accounts, their tags and organisational units -----------------------------------


def _member_row(ctx: AccountContext, org: dict[str, Any], reason: str) -> dict[str, Any]:
    """The view of an account that cannot list the organisation: only its own membership."""
    return {
        "account_id": ctx.account_id,
        "name": None,
        "status": None,
        "organization_id": org.get("Id"),
        "management_account_id": org.get("MasterAccountId"),
        "view": "member",
        "view_reason": reason,
        "tags": None,
        "parent_id": None,
        "ou_path": None,
    }


@collector("organizations.accounts")
def collect_organization_accounts(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The organisation as this account sees it.

    From the management account (or a delegated administrator, which may list accounts): one row per account
    with its status, tags and place in the tree of organisational units (``ou_path``, names from the root,
    e.g. ``Root/Workloads/Production``). From any other member: one row, its own membership (``view: member``),
    since only those two may list the organisation. No row when the account belongs to no organisation.
    """
    try:
        org = calls.call("organizations", "describe_organization").get("Organization", {})
    except ClientError as err:
        if _error_code(err) == "AWSOrganizationsNotInUseException":
            return []  # not a member of any organisation: a fact
        raise
    management = org.get("MasterAccountId") == ctx.account_id
    try:
        pages = calls.paginate("organizations", "list_accounts")
    except ClientError as err:
        if management or _error_code(err) not in ("AccessDeniedException", "AccessDenied"):
            raise
        return [_member_row(ctx, org, "access_denied")]
    accounts = [a for page in pages for a in page.get("Accounts", [])]
    if not accounts:
        # An organisation always holds its management account: an empty list is a member's view, not the tree.
        return [_member_row(ctx, org, "empty_listing")]
    parents: dict[str, tuple[str, str]] = {}  # account id -> (parent id, path of names)
    queue: deque[tuple[str, str]] = deque(
        (root["Id"], root.get("Name") or "Root")
        for page in calls.paginate("organizations", "list_roots")
        for root in page.get("Roots", [])
    )
    while queue:
        parent_id, path = queue.popleft()
        for page in calls.paginate("organizations", "list_accounts_for_parent", ParentId=parent_id):
            for account in page.get("Accounts", []):
                parents[account["Id"]] = (parent_id, path)
        for page in calls.paginate("organizations", "list_organizational_units_for_parent", ParentId=parent_id):
            for unit in page.get("OrganizationalUnits", []):
                queue.append((unit["Id"], f"{path}/{unit.get('Name') or unit['Id']}"))
    rows = []
    for account in sorted(accounts, key=lambda a: a["Id"]):
        tags = {
            t["Key"]: t.get("Value")
            for page in calls.paginate("organizations", "list_tags_for_resource", ResourceId=account["Id"])
            for t in page.get("Tags", [])
        }
        parent_id, path = parents.get(account["Id"], (None, None))
        rows.append(
            {
                "account_id": account["Id"],
                "name": account.get("Name"),
                "status": account.get("Status"),
                "organization_id": org.get("Id"),
                "management_account_id": org.get("MasterAccountId"),
                "view": "management" if management else "delegated",
                "view_reason": None,
                "tags": tags,
                "parent_id": parent_id,
                "ou_path": path,
            }
        )
    return rows
