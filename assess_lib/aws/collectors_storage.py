"""Collectors for data stores and their backups (2.3.3 ② data protection, ⑤ tamper-resistant isolated backups).

S3 buckets with the settings the checks read, the account's S3 Block Public Access, CloudTrail's S3 data events,
DynamoDB tables, EFS file systems and AWS Backup (plans, selections, vaults, vault access policies); declared in
``collectors_storage.datasets.yaml``. Rows are plain facts, never verdicts.

API calls: listings are paginated and described in bulk where AWS offers it (EFS, Backup vaults and plans). S3
has no bulk call for a bucket's settings, DynamoDB none for a table's description, tags or continuous backups,
and Backup none for a plan's rules or a selection's resources: there one call per resource and setting is
unavoidable, and only the settings the checks read are asked for.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from .collectors import (
    _document,
    _PUBLIC_GRANTEES,
    AccountContext,
    Calls,
    _account_public_access_block,
    _bucket_public_access_block,
    _error_code,
    _policy_is_public,
    collector,
)
from .collectors_identity import _object_lock
from .errors import classify

# --- S3 ------------------------------------------------------------------------------------------------


@collector("s3.account_public_access_block")
def collect_account_public_access_block(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row: the account's S3 Block Public Access (``account_block`` null when none is configured)."""
    return [{"account_id": ctx.account_id, "account_block": _account_public_access_block(ctx, calls)}]


def _trail_buckets(ctx: AccountContext) -> set[str]:
    """Buckets receiving CloudTrail logs: their exposure and protection are the trail datasets' (read once,
    judged by the CloudTrail checks). A region whose trails could not be read names none."""
    found: set[str] = set()
    for reg in ctx.regions:
        record = ctx.dataset("cloudtrail.trails", reg)
        if record.ok:
            found.update(t["s3_bucket"] for t in ctx.store.rows(record) if t.get("s3_bucket"))
    return found


def _optional(calls: Calls, bucket: str, operation: str, absent: tuple[str, ...]) -> dict[str, Any] | None:
    """A bucket setting, or None when the bucket has none (S3 answers an error code for "not configured")."""
    try:
        return calls.call("s3", operation, Bucket=bucket)
    except ClientError as err:
        if _error_code(err) in absent:
            return None
        raise


def _bucket_settings(calls: Calls, bucket: str, trail_bucket: bool) -> dict[str, Any]:
    row: dict[str, Any] = {}
    tagging = _optional(calls, bucket, "get_bucket_tagging", ("NoSuchTagSet", "NoSuchTagSetError"))
    row["tags"] = {t["Key"]: t["Value"] for t in (tagging or {}).get("TagSet", [])}
    encryption = _optional(calls, bucket, "get_bucket_encryption", ("ServerSideEncryptionConfigurationNotFoundError",))
    rules = ((encryption or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules", [])
    default = (rules[0].get("ApplyServerSideEncryptionByDefault") or {}) if rules else {}
    row["encryption"] = default.get("SSEAlgorithm")  # AES256 | aws:kms | aws:kms:dsse | None
    row["kms_key_id"] = default.get("KMSMasterKeyID")
    logging = calls.call("s3", "get_bucket_logging", Bucket=bucket).get("LoggingEnabled") or {}
    row["logging_target"] = logging.get("TargetBucket")
    website = _optional(calls, bucket, "get_bucket_website", ("NoSuchWebsiteConfiguration",))
    row["website"] = website is not None
    if trail_bucket:
        return row  # exposure and tamper resistance: s3.trail_bucket_exposure / s3.trail_bucket_protection
    row["bucket_block"] = _bucket_public_access_block(calls, bucket)
    row["policy_is_public"] = _policy_is_public(calls, bucket)
    # The document itself, for the third-party register (2.6): which principals outside the organisation it lets in.
    policy = _optional(calls, bucket, "get_bucket_policy", ("NoSuchBucketPolicy",))
    row["policy"] = _document(policy["Policy"]) if policy and policy.get("Policy") else None
    grants = calls.call("s3", "get_bucket_acl", Bucket=bucket).get("Grants", [])
    row["acl_public"] = any(g.get("Grantee", {}).get("URI") in _PUBLIC_GRANTEES for g in grants)
    versioning = calls.call("s3", "get_bucket_versioning", Bucket=bucket)
    row["versioning"] = versioning.get("Status") or "Disabled"
    row["mfa_delete"] = versioning.get("MFADelete") == "Enabled"
    row.update(_object_lock(calls, bucket))
    return row


@collector("s3.buckets")
def collect_buckets(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per bucket of the account (S3 lists them globally, each with its region), with the settings the
    checks read.

    S3 has no bulk call for bucket settings: one call per bucket and setting is unavoidable (4 for a CloudTrail
    log bucket, whose exposure and protection the trail datasets hold, 10 for any other, and one more where the
    listing does not name the bucket's region). A bucket whose settings
    could not be read has the error columns instead, so that one denial never hides the other buckets.
    """
    trail_buckets = _trail_buckets(ctx)
    rows = []
    for page in calls.paginate("s3", "list_buckets"):
        for bucket in page.get("Buckets", []):
            name = bucket["Name"]
            trail_bucket = name in trail_buckets
            row: dict[str, Any] = {"bucket": name, "region": bucket.get("BucketRegion"), "trail_bucket": trail_bucket}
            row["error_kind"] = None
            in_bucket = Calls(calls.factory, calls.region)  # its calls are counted with the dataset's
            try:
                if not row["region"]:  # listings before late 2024 (and emulators) do not name the region
                    location = in_bucket.call("s3", "get_bucket_location", Bucket=name).get("LocationConstraint")
                    row["region"] = location or "us-east-1"  # S3 names us-east-1 by no constraint
                # Asked in the bucket's own region: elsewhere S3 answers with a redirect, a second request each time.
                in_bucket.region = row["region"]
                row.update(_bucket_settings(in_bucket, name, trail_bucket))
            except Exception as err:  # noqa: BLE001 - one unreadable bucket is said on its row
                failure = classify(err)
                row.update(error_kind=failure.kind, error_code=failure.code, error_message=failure.message)
            finally:
                calls.count += in_bucket.count
            rows.append(row)
    return rows


# --- CloudTrail data events ---------------------------------------------------------------------------


def s3_data_events(selectors: dict[str, Any]) -> list[dict[str, Any]]:
    """The trail's selectors of S3 data events, each as ``include`` (object ARN prefixes; ``arn:aws:s3``: every
    bucket), ``exclude`` (prefixes left out) and whether it records ``read`` and ``write`` events.

    Basic selectors name ``AWS::S3::Object`` data resources with a ReadWriteType; advanced selectors have a field
    ``resources.type`` equal to ``AWS::S3::Object``, ``resources.ARN`` conditions (none, or only exclusions: every
    bucket but those) and optionally ``readOnly``.
    """
    found: list[dict[str, Any]] = []
    for selector in selectors.get("EventSelectors") or []:
        kind = selector.get("ReadWriteType") or "All"
        for resource in selector.get("DataResources") or []:
            if resource.get("Type") == "AWS::S3::Object" and resource.get("Values"):
                include = sorted(str(v) for v in resource["Values"])
                found.append({"include": include, "exclude": [], "read": kind != "WriteOnly", "write": kind != "ReadOnly"})
    for selector in selectors.get("AdvancedEventSelectors") or []:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors") or []}
        category = fields.get("eventCategory", {}).get("Equals") or []
        types = fields.get("resources.type", {}).get("Equals") or []
        if "Data" not in category or "AWS::S3::Object" not in types:
            continue
        arn = fields.get("resources.ARN") or {}
        include = sorted(str(v) for v in (arn.get("StartsWith") or []) + (arn.get("Equals") or []))
        exclude = sorted(str(v) for v in (arn.get("NotStartsWith") or []) + (arn.get("NotEquals") or []))
        read_only = [str(v).lower() for v in fields.get("readOnly", {}).get("Equals") or []]
        found.append(
            {
                "include": include or ["arn:aws:s3"],
                "exclude": exclude,
                "read": not read_only or "true" in read_only,
                "write": not read_only or "false" in read_only,
            }
        )
    return found


@collector("cloudtrail.event_selectors")
def collect_event_selectors(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The data events of the trails whose home region this is (one call per trail: no bulk call exists)."""
    rows = []
    for trail in ctx.rows_or_raise("cloudtrail.trails", region):
        if trail["home_region"] != region:
            continue  # a multi-region trail's selectors are asked of its home region only, once
        selectors = calls.call("cloudtrail", "get_event_selectors", TrailName=trail["arn"] or trail["name"])
        s3_events = s3_data_events(selectors)
        rows.append(
            {
                "arn": trail["arn"],
                "name": trail["name"],
                "advanced": bool(selectors.get("AdvancedEventSelectors")),
                "s3_data_resources": sorted({prefix for s in s3_events for prefix in s["include"]}),
                "s3_data_events": s3_events,
            }
        )
    return rows


# --- DynamoDB, EFS ------------------------------------------------------------------------------------


@collector("dynamodb.tables")
def collect_dynamodb_tables(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per table: encryption, tags and point-in-time recovery (DynamoDB has no bulk describe: three calls
    per table)."""
    names = [n for page in calls.paginate("dynamodb", "list_tables") for n in page.get("TableNames", [])]
    rows = []
    for name in names:
        table = calls.call("dynamodb", "describe_table", TableName=name)["Table"]
        sse = table.get("SSEDescription") or {}
        arn = table.get("TableArn")
        tags = calls.call("dynamodb", "list_tags_of_resource", ResourceArn=arn).get("Tags", []) if arn else []
        backups = calls.call("dynamodb", "describe_continuous_backups", TableName=name).get("ContinuousBackupsDescription", {})
        pitr = (backups.get("PointInTimeRecoveryDescription") or {}).get("PointInTimeRecoveryStatus")
        rows.append(
            {
                "table_name": name,
                "arn": arn,
                # No SSEDescription (or not ENABLED): encrypted with a key AWS owns, DynamoDB's default.
                "sse_type": sse.get("SSEType") if sse.get("Status") in ("ENABLED", "UPDATING") else "AWS_OWNED",
                "kms_key_arn": sse.get("KMSMasterKeyArn"),
                "tags": {t["Key"]: t["Value"] for t in tags},
                "pitr_enabled": pitr == "ENABLED",
                "deletion_protection": bool(table.get("DeletionProtectionEnabled")),
            }
        )
    return rows


@collector("efs.file_systems")
def collect_efs_file_systems(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per file system (one paginated call: the listing carries encryption and tags)."""
    return [
        {
            "file_system_id": fs["FileSystemId"],
            "arn": fs.get("FileSystemArn"),
            "name": fs.get("Name"),
            "encrypted": bool(fs.get("Encrypted")),
            "kms_key_id": fs.get("KmsKeyId"),
            "tags": {t["Key"]: t["Value"] for t in fs.get("Tags") or []},
        }
        for page in calls.paginate("efs", "describe_file_systems")
        for fs in page.get("FileSystems", [])
    ]


# --- AWS Backup ---------------------------------------------------------------------------------------


@collector("backup.plans")
def collect_backup_plans(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per plan with its rules' target vaults and copy destinations (one call per plan: the listing
    has no rules)."""
    rows = []
    for page in calls.paginate("backup", "list_backup_plans"):
        for plan in page.get("BackupPlansList", []):
            detail = calls.call("backup", "get_backup_plan", BackupPlanId=plan["BackupPlanId"]).get("BackupPlan", {})
            rules = []
            for rule in detail.get("Rules", []):
                rules.append(
                    {
                        "name": rule.get("RuleName"),
                        "target_vault": rule.get("TargetBackupVaultName"),
                        "delete_after_days": (rule.get("Lifecycle") or {}).get("DeleteAfterDays"),
                        "copy_destinations": [
                            c["DestinationBackupVaultArn"]
                            for c in rule.get("CopyActions") or []
                            if c.get("DestinationBackupVaultArn")
                        ],
                    }
                )
            rows.append(
                {
                    "plan_id": plan["BackupPlanId"],
                    "arn": plan.get("BackupPlanArn"),
                    "name": plan.get("BackupPlanName"),
                    "rules": rules,
                }
            )
    return rows


@collector("backup.selections")
def collect_backup_selections(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per selection of every plan: the resources it names and the tags it selects by (no bulk call:
    one listing per plan and one call per selection)."""
    rows = []
    for plan in ctx.rows_or_raise("backup.plans", region):
        pages = calls.paginate("backup", "list_backup_selections", BackupPlanId=plan["plan_id"])
        for selection in (s for page in pages for s in page.get("BackupSelectionsList", [])):
            detail = calls.call(
                "backup", "get_backup_selection", BackupPlanId=plan["plan_id"], SelectionId=selection["SelectionId"]
            ).get("BackupSelection", {})
            conditions = detail.get("Conditions") or {}
            rows.append(
                {
                    "plan_id": plan["plan_id"],
                    "plan_name": plan["name"],
                    "selection_id": selection["SelectionId"],
                    "name": detail.get("SelectionName") or selection.get("SelectionName"),
                    "resources": list(detail.get("Resources") or []),
                    "not_resources": list(detail.get("NotResources") or []),
                    # ListOfTags are alternatives (any one selects); Conditions all apply together.
                    "any_tags": [
                        {"key": c.get("ConditionKey"), "value": c.get("ConditionValue")} for c in detail.get("ListOfTags") or []
                    ],
                    "conditions": [
                        {"test": test, "key": c.get("ConditionKey"), "value": c.get("ConditionValue")}
                        for test, items in conditions.items()
                        for c in items or []
                    ],
                }
            )
    return rows


@collector("backup.vaults")
def collect_backup_vaults(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per vault with its lock (one paginated call)."""
    return [
        {
            "name": v["BackupVaultName"],
            "arn": v.get("BackupVaultArn"),
            "vault_type": v.get("VaultType") or "BACKUP_VAULT",
            "locked": bool(v.get("Locked")),
            "lock_date": v.get("LockDate"),  # set: compliance mode (immutable from this date); none: governance
            "min_retention_days": v.get("MinRetentionDays"),
            "max_retention_days": v.get("MaxRetentionDays"),
            "recovery_points": v.get("NumberOfRecoveryPoints"),
        }
        for page in calls.paginate("backup", "list_backup_vaults")
        for v in page.get("BackupVaultList", [])
    ]


@collector("backup.vault_access_policies")
def collect_vault_access_policies(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The access policy of every vault (one call per vault: no bulk call); ``policy`` null when it has none."""
    rows = []
    for vault in ctx.rows_or_raise("backup.vaults", region):
        try:
            text = calls.call("backup", "get_backup_vault_access_policy", BackupVaultName=vault["name"]).get("Policy")
        except ClientError as err:
            if _error_code(err) != "ResourceNotFoundException":
                raise
            text = None
        rows.append({"name": vault["name"], "arn": vault["arn"], "policy": _policy_document(text)})
    return rows


def _policy_document(text: str | None) -> Any:
    """A policy as JSON; text AWS would not have accepted is kept as it came (a check reads it as no statement)."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
