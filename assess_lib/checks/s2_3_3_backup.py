"""Checks for guideline section 2.3.3 ⑤ (backups: tamper-resistant and kept apart from the network they protect):
which data stores AWS Backup covers, vault lock, copies to another account or region, vault access policies that
deny deletion, DynamoDB point-in-time recovery, and versioning with Object Lock on the S3 buckets that hold
backups and logs. Every sentence is a template in ``s2_3_3_backup.yaml``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from ..evidence import GLOBAL
from . import check, failed, passed
from .context import CheckContext, parse_time
from .result import Result
from .s2_3_3_data import readable_buckets, tag_value, values_of

AIR_GAPPED = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"


def _arn_parts(arn: str) -> tuple[str, str, str]:
    """(region, account, resource) of an ARN; empty strings for what it lacks."""
    parts = str(arn or "").split(":", 5)
    return (parts[3], parts[4], parts[5]) if len(parts) == 6 else ("", "", "")


# --- S3 buckets holding backups and logs -------------------------------------------------------------------


@check("s3_backup_bucket_protection")
def s3_backup_bucket_protection(ctx: CheckContext) -> Iterator[Result]:
    """Buckets that hold backups or logs (tagged so, or the target of another bucket's access logs) keep
    versions and lock them (S3 Object Lock). CloudTrail log buckets are judged by
    ``cloudtrail_bucket_tamper_resistance``."""
    key, wanted = ctx.params["backup_bucket_tag_key"], values_of(ctx.params["backup_bucket_tag_values"])
    rows = list(readable_buckets(ctx))
    log_targets = {r.get("logging_target") for r in rows if isinstance(r, dict)}
    for row in rows:
        if isinstance(row, Result):
            yield row
            continue
        tagged = (tag_value(row.get("tags"), key) or "").strip().lower() in wanted
        if row.get("trail_bucket") or not (tagged or row["bucket"] in log_targets):
            continue
        name, region = row["bucket"], row.get("region") or GLOBAL
        holds = "tagged" if tagged else "log_target"
        if row.get("object_lock") and row.get("retention_mode") and row.get("retention_days"):
            yield passed(name, region=region, retention_mode=row["retention_mode"], retention_days=row["retention_days"])
        elif row.get("object_lock"):
            yield passed(name, "pass_no_default", region=region)
        else:
            yield failed(name, f"fail_{holds}", region=region, versioning=row.get("versioning") or "Disabled")


# --- DynamoDB point-in-time recovery ------------------------------------------------------------------------


@check("dynamodb_pitr")
def dynamodb_pitr(ctx: CheckContext) -> Iterator[Result]:
    """Point-in-time recovery is on for every DynamoDB table."""
    for table in ctx.rows("dynamodb.tables"):
        yield passed(table["table_name"]) if table["pitr_enabled"] else failed(table["table_name"])


# --- what AWS Backup covers -------------------------------------------------------------------------------------


def _condition_holds(test: str, actual: str | None, value: str) -> bool:
    if test in ("StringEquals", "StringLike"):
        return actual is not None and (actual == value if test == "StringEquals" else fnmatch.fnmatchcase(actual, value))
    if test in ("StringNotEquals", "StringNotLike"):
        return actual is None or (actual != value if test == "StringNotEquals" else not fnmatch.fnmatchcase(actual, value))
    return False  # a test this kit does not know selects nothing it can vouch for


def _resource_tag(tags: Mapping[str, Any], condition_key: str | None) -> str | None:
    key = str(condition_key or "").removeprefix("aws:ResourceTag/")
    value = tags.get(key)
    return None if value is None else str(value)


def selects(selection: Mapping[str, Any], arn: str, tags: Mapping[str, Any]) -> bool:
    """Whether a backup selection assigns the resource: it matches the ARNs named or any of the tags listed
    (either, when both are given; neither given: every resource), every condition, and none of the exclusions."""
    if any(fnmatch.fnmatchcase(arn, pattern) for pattern in selection.get("not_resources") or []):
        return False
    named = any(fnmatch.fnmatchcase(arn, pattern) for pattern in selection.get("resources") or [])
    tagged = any(_resource_tag(tags, c.get("key")) == str(c.get("value")) for c in selection.get("any_tags") or [])
    if (selection.get("resources") or selection.get("any_tags")) and not (named or tagged):
        return False
    return all(
        _condition_holds(c.get("test", ""), _resource_tag(tags, c.get("key")), str(c.get("value")))
        for c in selection.get("conditions") or []
    )


@check("backup_plan_coverage")
def backup_plan_coverage(ctx: CheckContext) -> Iterator[Result]:
    """Every DynamoDB table and EFS file system is assigned to an AWS Backup plan."""
    resources = [("DynamoDB", t["table_name"], t.get("arn"), t.get("tags") or {}) for t in ctx.rows("dynamodb.tables")]
    resources += [
        ("EFS", f.get("name") or f["file_system_id"], f.get("arn"), f.get("tags") or {}) for f in ctx.rows("efs.file_systems")
    ]
    if not resources:
        return
    selections = ctx.rows("backup.selections")
    for service, name, arn, tags in resources:
        plans = sorted({s.get("plan_name") or s["plan_id"] for s in selections if arn and selects(s, arn, tags)})
        if plans:
            yield passed(name, service=service, plans=", ".join(plans))
        else:
            yield failed(name, service=service)


# --- vaults: lock, deletion, copies elsewhere ----------------------------------------------------------------------


def used_vaults(ctx: CheckContext) -> list[str]:
    """Names of the vaults of this account and region that the plans back up to or copy to."""
    region = ctx.region or GLOBAL
    names: set[str] = set()
    for plan in ctx.rows("backup.plans"):
        for rule in plan.get("rules") or []:
            if rule.get("target_vault"):
                names.add(rule["target_vault"])
    for _region, plans in ctx.regional_rows("backup.plans"):
        for plan in plans:
            for rule in plan.get("rules") or []:
                for arn in rule.get("copy_destinations") or []:
                    dest_region, account, resource = _arn_parts(arn)
                    if dest_region == region and account == ctx.account_id:
                        names.add(resource.removeprefix("backup-vault:"))
    return sorted(names)


@check("backup_vault_lock")
def backup_vault_lock(ctx: CheckContext) -> Iterator[Result]:
    """The vaults the plans use are locked (compliance mode when ``backup_vault_lock_mode`` asks for it) with a
    minimum retention of at least ``backup_vault_min_retention_days``."""
    used = used_vaults(ctx)
    vaults = {v["name"]: v for v in ctx.rows("backup.vaults")}
    for name in used:
        vault = vaults.get(name)
        if vault is None:
            continue  # a copy destination named by a plan but absent: nothing to judge here
        minimum = vault.get("min_retention_days")
        lock_date = parse_time(vault.get("lock_date"))
        if vault.get("vault_type") == AIR_GAPPED:
            yield passed(name, "air_gapped")
        elif not vault.get("locked"):
            yield failed(name, "not_locked", severity="high")
        elif lock_date is None and ctx.params["backup_vault_lock_mode"].strip().lower() == "compliance":
            yield failed(name, "governance", min_retention_days=minimum if minimum is not None else "-")
        elif minimum is not None and int(minimum) < int(ctx.params["backup_vault_min_retention_days"]):
            yield failed(name, "short_retention", min_retention_days=minimum)
        elif lock_date is None:
            yield passed(name, "pass_governance", min_retention_days=minimum if minimum is not None else "-")
        elif lock_date > ctx.now:
            yield passed(name, "pass_pending", lock_date=lock_date.date().isoformat(), min_retention_days=minimum or "-")
        else:
            yield passed(name, lock_date=lock_date.date().isoformat(), min_retention_days=minimum or "-")


@check("backup_copy_isolation")
def backup_copy_isolation(ctx: CheckContext) -> Iterator[Result]:
    """Every backup plan keeps a copy of its recovery points apart: in a vault of another account or region, or in a
    logically air-gapped vault (isolated by AWS from the account, whatever its region)."""
    region = ctx.region or GLOBAL
    air_gapped = {v["name"] for v in ctx.rows("backup.vaults") if v.get("vault_type") == AIR_GAPPED}
    for plan in ctx.rows("backup.plans"):
        name = plan.get("name") or plan["plan_id"]
        elsewhere, isolated = [], []
        for rule in plan.get("rules") or []:
            if rule.get("target_vault") in air_gapped:
                isolated.append(rule["target_vault"])
            for arn in rule.get("copy_destinations") or []:
                dest_region, account, resource = _arn_parts(arn)
                if dest_region != region or account != ctx.account_id:
                    elsewhere.append(arn)
                elif resource.removeprefix("backup-vault:") in air_gapped:
                    isolated.append(resource.removeprefix("backup-vault:"))
        if elsewhere:
            yield passed(name, destinations=", ".join(sorted(set(elsewhere))))
        elif isolated:
            yield passed(name, "air_gapped", vaults=", ".join(sorted(set(isolated))))
        else:
            yield failed(name)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def denies_deletion(policy: Any) -> bool:
    """Whether a vault access policy has a Deny statement whose actions take in ``backup:DeleteRecoveryPoint``."""
    if not isinstance(policy, Mapping):
        return False
    for statement in _as_list(policy.get("Statement")):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Deny":
            continue
        if any(fnmatch.fnmatch("backup:deleterecoverypoint", str(a).lower()) for a in _as_list(statement.get("Action"))):
            return True
    return False


@check("backup_vault_deletion_policy")
def backup_vault_deletion_policy(ctx: CheckContext) -> Iterator[Result]:
    """The vaults the plans use have an access policy that denies deleting recovery points."""
    used = used_vaults(ctx)
    if not used:
        return
    policies = {p["name"]: p.get("policy") for p in ctx.rows("backup.vault_access_policies")}
    for name in used:
        if name not in policies:
            continue  # a copy destination named by a plan but absent
        policy = policies[name]
        if denies_deletion(policy):
            yield passed(name)
        else:
            yield failed(name, "no_policy" if policy is None else "fail")
