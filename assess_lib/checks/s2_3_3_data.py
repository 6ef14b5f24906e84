"""Checks for guideline section 2.3.3 ② (data classified and protected) and ⓐ (leakage of confidential data
watched): encryption at rest of S3, DynamoDB and EFS as the data's classification asks, S3 buckets open to the
public, access logging of the buckets the internet reaches, and CloudTrail data events on the critical buckets.

The classification is read from a tag whose key and values are parameters (``classification_tag_key``,
``kms_required_classifications``); the CloudTrail log buckets' exposure is judged by ``cloudtrail_bucket_not_public``
(2.3.1) and is not repeated here. Every sentence is a template in ``s2_3_3_data.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..core.text import Phrase
from ..evidence import GLOBAL
from . import check, failed, passed
from .context import CheckContext
from .result import Result
from .s2_3_1_access import _unreadable

BUCKETS = "s3.buckets"
ACCOUNT_BLOCK = "s3.account_public_access_block"
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


def values_of(parameter: Any) -> set[str]:
    """A parameter listing values separated by commas, as a set of lower-case values."""
    return {v.strip().lower() for v in str(parameter or "").split(",") if v.strip()}


def tag_value(tags: Mapping[str, Any] | None, key: str) -> str | None:
    """The value of tag ``key`` (the key compared without case, as customers spell it either way)."""
    wanted = key.strip().lower()
    return next((str(v) for k, v in (tags or {}).items() if str(k).strip().lower() == wanted), None)


def requires_kms(ctx: CheckContext, tags: Mapping[str, Any] | None) -> str | None:
    """The resource's classification when it asks for a KMS key, else None."""
    value = tag_value(tags, ctx.params["classification_tag_key"])
    return value if value is not None and value.strip().lower() in values_of(ctx.params["kms_required_classifications"]) else None


def readable_buckets(ctx: CheckContext) -> Iterator[dict[str, Any] | Result]:
    """Every bucket row, or an ``error`` result for a bucket whose settings could not be read."""
    for row in ctx.rows(BUCKETS):
        yield _unreadable(row, BUCKETS, {}) if row.get("error_kind") else row


def _blocks(block: Mapping[str, Any] | None, key: str) -> bool:
    return bool(block and block.get(key))


def fully_blocked(block: Mapping[str, Any] | None) -> bool:
    """All four Block Public Access settings on."""
    return all(_blocks(block, k) for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"))


def public_by(bucket: Mapping[str, Any], account_block: Mapping[str, Any] | None) -> list[str]:
    """How a bucket is open to anyone, once Block Public Access (account or bucket) is applied: ``policy``, ``acl``."""
    own = bucket.get("bucket_block")
    ways = []
    if bucket.get("policy_is_public") and not (
        _blocks(account_block, "RestrictPublicBuckets") or _blocks(own, "RestrictPublicBuckets")
    ):
        ways.append("policy")
    if bucket.get("acl_public") and not (_blocks(account_block, "IgnorePublicAcls") or _blocks(own, "IgnorePublicAcls")):
        ways.append("acl")
    return ways


def _account_block(ctx: CheckContext) -> Mapping[str, Any] | None:
    rows = ctx.rows(ACCOUNT_BLOCK)
    return rows[0].get("account_block") if rows else None


# --- encryption at rest ----------------------------------------------------------------------------------


@check("s3_default_encryption")
def s3_default_encryption(ctx: CheckContext) -> Iterator[Result]:
    """Every bucket encrypts new objects by default, with a KMS key where its classification asks for one."""
    for row in readable_buckets(ctx):
        if isinstance(row, Result):
            yield row
            continue
        name, region, algorithm = row["bucket"], row.get("region") or GLOBAL, row.get("encryption")
        classification = requires_kms(ctx, row.get("tags"))
        if not algorithm:
            yield failed(name, "no_encryption", region=region)
        elif classification and algorithm not in KMS_ALGORITHMS:
            yield failed(name, "kms_required", region=region, classification=classification, encryption=algorithm)
        elif algorithm in KMS_ALGORITHMS:
            yield passed(name, "pass_kms", region=region, encryption=algorithm)
        else:
            yield passed(name, region=region, encryption=algorithm)


@check("dynamodb_encryption")
def dynamodb_encryption(ctx: CheckContext) -> Iterator[Result]:
    """DynamoDB encrypts every table at rest; a table whose classification asks for a KMS key uses one."""
    for table in ctx.rows("dynamodb.tables"):
        name, key_type = table["table_name"], table.get("sse_type") or "AWS_OWNED"
        classification = requires_kms(ctx, table.get("tags"))
        if key_type == "KMS":
            yield passed(name, "pass_kms")
        elif classification:
            yield failed(name, classification=classification)
        else:
            yield passed(name)


@check("efs_encryption")
def efs_encryption(ctx: CheckContext) -> Iterator[Result]:
    """Every EFS file system is encrypted at rest (set at creation only)."""
    for fs in ctx.rows("efs.file_systems"):
        name = fs.get("name") or fs["file_system_id"]
        yield (
            passed(name, file_system_id=fs["file_system_id"])
            if fs["encrypted"]
            else failed(name, file_system_id=fs["file_system_id"])
        )


# --- public data ----------------------------------------------------------------------------------------------


@check("s3_public_access")
def s3_public_access(ctx: CheckContext) -> Iterator[Result]:
    """With the account's Block Public Access fully on, no bucket can be public (one pass for the account).
    Otherwise every bucket open to anyone by its policy or ACL fails; a bucket with its own Block Public Access
    passes; and when nothing is public, Block Public Access being off is one lower-severity finding."""
    account_block = _account_block(ctx)
    if fully_blocked(account_block):
        yield passed("S3", "account_block")
        return
    found_public = False
    for row in readable_buckets(ctx):
        if isinstance(row, Result):
            yield row
            continue
        if row.get("trail_bucket"):
            continue  # judged by cloudtrail_bucket_not_public
        region = row.get("region") or GLOBAL
        ways = public_by(row, account_block)
        if ways:
            found_public = True
            yield failed(row["bucket"], region=region, public_by=", ".join(ways))
        elif fully_blocked(row.get("bucket_block")):
            yield passed(row["bucket"], "bucket_block", region=region)
    if not found_public:
        yield failed("S3", "account_block_off", severity="medium")


# --- watching access to data ------------------------------------------------------------------------------


@check("s3_access_logging")
def s3_access_logging(ctx: CheckContext) -> Iterator[Result]:
    """Buckets the internet reaches (public by policy or ACL, or hosting a website) record server access logs."""
    account_block = _account_block(ctx)
    for row in readable_buckets(ctx):
        if isinstance(row, Result):
            yield row
            continue
        reached = "website" if row.get("website") else "public" if public_by(row, account_block) else None
        if reached is None:
            continue
        name, region = row["bucket"], row.get("region") or GLOBAL
        if row.get("logging_target"):
            yield passed(name, f"pass_{reached}", region=region, target=row["logging_target"])
        else:
            yield failed(name, f"fail_{reached}", region=region)


def _touches(prefix: str, bucket: str) -> bool:
    """Whether an object ARN prefix reaches into ``bucket`` (the bucket itself, a prefix inside it, or all)."""
    own = f"arn:aws:s3:::{bucket}/"
    return prefix in ("arn:aws:s3", "arn:aws:s3:::") or own.startswith(prefix) or prefix.startswith(own) or prefix == own[:-1]


def recorded_events(selectors: list[dict[str, Any]], bucket: str) -> set[str]:
    """``read`` and ``write``, as far as selectors record them for every object of ``bucket`` (a prefix inside the
    bucket is not the bucket, and an exclusion that reaches into it leaves part of it unrecorded)."""
    whole = {"arn:aws:s3", "arn:aws:s3:::", f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/"}
    found: set[str] = set()
    for selector in selectors:
        if any(p in whole for p in selector.get("include") or []) and not any(
            _touches(p, bucket) for p in selector.get("exclude") or []
        ):
            found.update(kind for kind in ("read", "write") if selector.get(kind))
    return found


@check("s3_critical_data_events")
def s3_critical_data_events(ctx: CheckContext) -> Iterator[Result]:
    """Buckets tagged critical have their object-level access (data events) recorded by a logging trail that
    sees the bucket's region."""
    key, wanted = ctx.params["critical_tag_key"], values_of(ctx.params["critical_tag_values"])
    critical = [
        row
        for row in ctx.rows(BUCKETS)
        if not row.get("error_kind") and (tag_value(row.get("tags"), key) or "").strip().lower() in wanted
    ]
    if not critical:
        return
    trails: dict[str, dict[str, Any]] = {}
    for _region, rows in ctx.regional_rows("cloudtrail.trails"):
        for trail in rows:
            trails.setdefault(trail["arn"] or trail["name"], trail)
    logging: dict[str, bool] = {}
    for _region, rows in ctx.regional_rows("cloudtrail.trail_status"):
        logging.update({s["arn"] or s["name"]: bool(s["is_logging"]) for s in rows})
    selectors: list[dict[str, Any]] = [s for _region, rows in ctx.regional_rows("cloudtrail.event_selectors") for s in rows]
    for row in critical:
        name, region = row["bucket"], row.get("region") or GLOBAL
        recording: list[str] = []
        kinds: set[str] = set()
        for trail_events in selectors:
            trail_id = trail_events["arn"] or trail_events["name"]
            trail = trails.get(trail_id, {})
            if not (trail.get("is_multi_region") or trail.get("home_region") == region) or not logging.get(trail_id, True):
                continue
            found = recorded_events(trail_events.get("s3_data_events") or [], name)
            if found:
                recording.append(trail_events["name"])
                kinds |= found
        if kinds == {"read", "write"}:
            yield passed(name, region=region, trails=", ".join(sorted(recording)))
        elif kinds:
            yield failed(
                name, "partial", region=region, trails=", ".join(sorted(recording)), recorded=Phrase(f"only_{kinds.pop()}")
            )
        elif ctx.complete:
            # A region whose trails could not be read may hold the recording trail: no verdict then.
            yield failed(name, region=region)
