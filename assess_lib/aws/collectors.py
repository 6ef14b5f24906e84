"""Collectors: one function per dataset, declared beside this module in ``collectors.datasets.yaml``
(scope, the IAM actions the function calls, the shape of its rows; loaded by :mod:`assess_lib.datasets`).

A collector receives a :class:`Calls` helper (which counts API calls and
classifies failures in one place) and returns plain rows. Collectors never
decide verdicts; they record what AWS says.
"""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable

from botocore.exceptions import ClientError

from .. import evidence as ev
from ..evidence import GLOBAL, CollectionError, EvidenceStore
from .errors import classify
from .session import MAX_ITEMS, MAX_PAGES, ClientFactory, api_name, bounded_pages, listing_truncated, marker_repeated

# Global services are called through this region (IAM, Organizations, S3 control...).
HOME_REGION = "us-east-1"


@dataclass
class AccountContext:
    """What collectors need for one account: clients, the store and the regions in scope."""

    account_id: str
    factory: ClientFactory
    store: EvidenceStore
    regions: list[str]

    def dataset(self, name: str, region: str = GLOBAL) -> ev.DatasetRecord:
        """Fetch (once per run) and return a dataset record for this account."""
        from ..datasets import DATASETS

        info = DATASETS[name]
        collector = COLLECTORS[name]

        def produce() -> tuple[list[dict[str, Any]], int]:
            calls = Calls(self.factory, region if region != GLOBAL else HOME_REGION)
            try:
                rows = collector(self, calls, region)
            except CollectionError as err:
                err.calls = calls.count
                raise
            except Exception as err:  # noqa: BLE001 - any botocore failure becomes a classified error
                classified = classify(err)
                classified.calls = calls.count
                raise classified from None
            return rows, calls.count

        return self.store.fetch(name, self.account_id, region, ", ".join(info.actions), produce)

    def rows_or_raise(self, name: str, region: str = GLOBAL) -> list[dict[str, Any]]:
        """Rows of a dependency; its failure propagates as this dataset's failure."""
        record = self.dataset(name, region)
        if not record.ok:
            raise CollectionError(record.error_kind or ev.OTHER, record.error_code or "", record.error_message or "", 0)
        return self.store.rows(record)


@dataclass
class Calls:
    """Counts API calls for one dataset; every call goes through here."""

    factory: ClientFactory
    region: str
    count: int = 0
    per_op: dict[str, int] = field(default_factory=dict)
    max_pages: int = MAX_PAGES  # bounds of one paginated call (see session.bounded_pages)
    max_items: int = MAX_ITEMS

    def client(self, service: str, region: str | None = None) -> Any:
        return self.factory.client(service, region or self.region)

    def call(self, service: str, operation: str, region: str | None = None, **kwargs: Any) -> dict[str, Any]:
        self.count += 1
        return getattr(self.client(service, region), operation)(**kwargs)

    def paginate(self, service: str, operation: str, region: str | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        """Every page of a listing; raises :class:`CollectionError` when it runs past the bounds or loops."""
        pages = []
        for page in bounded_pages(self.client(service, region), operation, kwargs, self.max_pages, self.max_items):
            self.count += 1
            pages.append(page)
        return pages

    def token_pages(
        self, service: str, operation: str, token_key: str, region: str | None = None, **kwargs: Any
    ) -> list[dict[str, Any]]:
        """Every page of a listing botocore has no paginator for (its next page named by ``token_key`` of each
        answer), bounded like :meth:`paginate`: a token handed back again, or a page past ``max_pages``, raises
        :class:`CollectionError`, never a partial listing."""
        pages: list[dict[str, Any]] = []
        seen: set[str] = set()
        while True:
            page = self.call(service, operation, region=region, **kwargs)
            pages.append(page)
            token = page.get(token_key)
            if not token:
                return pages
            api = api_name(self.client(service, region), operation)
            if token in seen:
                raise marker_repeated(api, len(pages))
            if len(pages) >= self.max_pages:
                raise listing_truncated(api, f"{self.max_pages} pages", len(pages))
            seen.add(token)
            kwargs[token_key] = token


Collector = Callable[[AccountContext, Calls, str], list[dict[str, Any]]]
COLLECTORS: dict[str, Collector] = {}


def collector(name: str) -> Callable[[Collector], Collector]:
    def register(fn: Collector) -> Collector:
        COLLECTORS[name] = fn
        return fn

    return register


def _error_code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


# --- EC2 ---------------------------------------------------------------------------------


@collector("ec2.regions")
def collect_regions(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    resp = calls.call("ec2", "describe_regions", AllRegions=True)
    return [
        {
            "region": r["RegionName"],
            "opt_in_status": r.get("OptInStatus", "opt-in-not-required"),
            "enabled": r.get("OptInStatus", "opt-in-not-required") != "not-opted-in",
            "in_scope": r["RegionName"] in ctx.regions,
        }
        for r in resp["Regions"]
    ]


# --- IAM ---------------------------------------------------------------------------------

_REPORT_WAIT_SECONDS = 30.0


@collector("iam.credential_report")
def collect_credential_report(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + _REPORT_WAIT_SECONDS
    while True:
        state = calls.call("iam", "generate_credential_report").get("State")
        if state == "COMPLETE":
            break
        if time.monotonic() > deadline:
            raise CollectionError(ev.TIMEOUT, "ReportInProgress", "credential report not ready after 30 s", calls.count)
        time.sleep(1.0)
    content = calls.call("iam", "get_credential_report")["Content"]
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    return [dict(row) for row in csv.DictReader(io.StringIO(text))]


@collector("iam.account_summary")
def collect_account_summary(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    return [calls.call("iam", "get_account_summary")["SummaryMap"]]


@collector("iam.password_policy")
def collect_password_policy(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    try:
        return [calls.call("iam", "get_account_password_policy")["PasswordPolicy"]]
    except ClientError as err:
        if _error_code(err) == "NoSuchEntity":
            return []  # no custom policy: a fact, not a failure
        raise


@collector("iam.authorization_details")
def collect_authorization_details(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    # AWS managed policies are left out (over a thousand); only AdministratorAccess matters and is known by ARN.
    # Pages of 1,000 (the API's maximum): one call up to 1,000 principals, not one per 100.
    pages = calls.paginate(
        "iam",
        "get_account_authorization_details",
        Filter=["User", "Role", "Group", "LocalManagedPolicy"],
        PaginationConfig={"PageSize": 1000},
    )
    for page in pages:
        for user in page.get("UserDetailList", []):
            rows.append({"entity_type": "user", "name": user["UserName"], "arn": user["Arn"], **_authz_fields(user)})
            rows[-1]["groups"] = user.get("GroupList", [])
        for group in page.get("GroupDetailList", []):
            rows.append({"entity_type": "group", "name": group["GroupName"], "arn": group["Arn"], **_authz_fields(group)})
        for role in page.get("RoleDetailList", []):
            rows.append(
                {
                    "entity_type": "role",
                    "name": role["RoleName"],
                    "arn": role["Arn"],
                    "path": role.get("Path", "/"),
                    "trust_policy": _document(role.get("AssumeRolePolicyDocument")),
                    "last_used": (role.get("RoleLastUsed") or {}).get("LastUsedDate"),
                    "create_date": role.get("CreateDate"),
                    "tags": {t["Key"]: t.get("Value") for t in role.get("Tags") or []},
                    **_authz_fields(role),
                }
            )
        for policy in page.get("Policies", []):
            default = next((v for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), None)
            rows.append(
                {
                    "entity_type": "policy",
                    "name": policy.get("PolicyName"),
                    "arn": policy.get("Arn"),
                    "attachment_count": policy.get("AttachmentCount", 0),
                    "document": _document(default.get("Document")) if default else None,
                }
            )
    return rows


def _authz_fields(entity: dict[str, Any]) -> dict[str, Any]:
    inline = entity.get("UserPolicyList") or entity.get("GroupPolicyList") or entity.get("RolePolicyList") or []
    return {
        "attached_policies": [p["PolicyArn"] for p in entity.get("AttachedManagedPolicies", [])],
        "inline_policies": [{"name": p["PolicyName"], "document": _document(p.get("PolicyDocument"))} for p in inline],
    }


def _document(value: Any) -> Any:
    """Policy documents arrive decoded from boto3, but URL-encoded JSON from some paths."""
    if isinstance(value, str):
        try:
            return json.loads(urllib.parse.unquote(value))
        except ValueError:
            return value
    return value


# --- CloudTrail ----------------------------------------------------------------------------


@collector("cloudtrail.trails")
def collect_trails(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    trails = calls.call("cloudtrail", "describe_trails", includeShadowTrails=True).get("trailList", [])
    return [
        {
            "name": t.get("Name"),
            "arn": t.get("TrailARN"),
            "home_region": t.get("HomeRegion"),
            "is_multi_region": bool(t.get("IsMultiRegionTrail")),
            "is_organization_trail": bool(t.get("IsOrganizationTrail")),
            "include_global_events": bool(t.get("IncludeGlobalServiceEvents")),
            "log_file_validation": bool(t.get("LogFileValidationEnabled")),
            "s3_bucket": t.get("S3BucketName"),
            "kms_key_id": t.get("KmsKeyId"),
            "cloudwatch_logs_group": t.get("CloudWatchLogsLogGroupArn"),
        }
        for t in trails
    ]


@collector("cloudtrail.trail_status")
def collect_trail_status(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    rows = []
    for trail in ctx.rows_or_raise("cloudtrail.trails", region):
        if trail["home_region"] != region:
            continue  # status is asked of the trail's home region only, once
        status = calls.call("cloudtrail", "get_trail_status", Name=trail["arn"] or trail["name"])
        rows.append(
            {
                "arn": trail["arn"],
                "name": trail["name"],
                "is_logging": bool(status.get("IsLogging")),
                "latest_delivery_time": status.get("LatestDeliveryTime"),
                "latest_delivery_error": status.get("LatestDeliveryError"),
            }
        )
    return rows


# --- S3 (CloudTrail log buckets) -----------------------------------------------------------

_PAB_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
_PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


@collector("s3.trail_bucket_exposure")
def collect_trail_bucket_exposure(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    buckets: set[str] = set()
    for reg in ctx.regions:
        for trail in ctx.rows_or_raise("cloudtrail.trails", reg):
            if trail.get("s3_bucket"):
                buckets.add(trail["s3_bucket"])
    account_block = _account_public_access_block(ctx, calls)
    rows = []
    for bucket in sorted(buckets):
        row: dict[str, Any] = {"bucket": bucket, "account_block": account_block, "error_kind": None}
        try:
            row["bucket_block"] = _bucket_public_access_block(calls, bucket)
            row["policy_is_public"] = _policy_is_public(calls, bucket)
            grants = calls.call("s3", "get_bucket_acl", Bucket=bucket).get("Grants", [])
            row["acl_public"] = any(g.get("Grantee", {}).get("URI") in _PUBLIC_GRANTEES for g in grants)
        except Exception as err:  # noqa: BLE001 - e.g. a central log bucket in another account
            failure = classify(err)
            row.update(error_kind=failure.kind, error_code=failure.code, error_message=failure.message)
        rows.append(row)
    return rows


def _account_public_access_block(ctx: AccountContext, calls: Calls) -> dict[str, bool] | None:
    try:
        conf = calls.call("s3control", "get_public_access_block", AccountId=ctx.account_id)
    except ClientError as err:
        if _error_code(err) in ("NoSuchPublicAccessBlockConfiguration", "NoSuchPublicAccessBlock"):
            return None
        raise
    return {k: bool(conf["PublicAccessBlockConfiguration"].get(k)) for k in _PAB_KEYS}


def _bucket_public_access_block(calls: Calls, bucket: str) -> dict[str, bool] | None:
    try:
        conf = calls.call("s3", "get_public_access_block", Bucket=bucket)
    except ClientError as err:
        if _error_code(err) == "NoSuchPublicAccessBlockConfiguration":
            return None
        raise
    return {k: bool(conf["PublicAccessBlockConfiguration"].get(k)) for k in _PAB_KEYS}


def _policy_is_public(calls: Calls, bucket: str) -> bool:
    try:
        status = calls.call("s3", "get_bucket_policy_status", Bucket=bucket)
    except ClientError as err:
        if _error_code(err) in ("NoSuchBucketPolicy", "NoSuchPolicy"):
            return False
        raise
    return bool(status.get("PolicyStatus", {}).get("IsPublic"))


# --- SES (e-mail sending identities, 2.3.1-6) ----------------------------------------------

_SES_BATCH = 100  # the Get*Attributes calls take at most 100 identities


@collector("ses.identities")
def collect_ses_identities(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    if not ctx.factory.offers("ses", region):
        return []  # no SES in this region: no identities, a fact
    identities = [i for page in calls.paginate("ses", "list_identities") for i in page.get("Identities", [])]
    rows = []
    for start in range(0, len(identities), _SES_BATCH):
        batch = identities[start : start + _SES_BATCH]
        verification = calls.call("ses", "get_identity_verification_attributes", Identities=batch).get(
            "VerificationAttributes", {}
        )
        dkim = calls.call("ses", "get_identity_dkim_attributes", Identities=batch).get("DkimAttributes", {})
        mail_from = calls.call("ses", "get_identity_mail_from_domain_attributes", Identities=batch).get(
            "MailFromDomainAttributes", {}
        )
        for identity in batch:
            v, d, m = verification.get(identity, {}), dkim.get(identity, {}), mail_from.get(identity, {})
            rows.append(
                {
                    "identity": identity,
                    "identity_type": "email_address" if "@" in identity else "domain",
                    "verification_status": v.get("VerificationStatus"),
                    "dkim_enabled": bool(d.get("DkimEnabled")),
                    "dkim_verification_status": d.get("DkimVerificationStatus"),
                    "dkim_token_count": len(d.get("DkimTokens") or []),
                    "mail_from_domain": m.get("MailFromDomain") or None,
                    "mail_from_status": m.get("MailFromDomainStatus") or None,
                    "behavior_on_mx_failure": m.get("BehaviorOnMXFailure"),
                }
            )
    return rows


def waf_pages(calls: Calls, operation: str, key: str, scope: str, region: str | None) -> list[dict[str, Any]]:
    """The items (``key`` of each page) of a WAFv2 listing, which pages with NextMarker (see :meth:`Calls.token_pages`)."""
    pages = calls.token_pages("wafv2", operation, "NextMarker", region=region, Scope=scope, Limit=100)
    return [item for page in pages for item in page.get(key) or []]


from . import collectors_identity  # noqa: F401  (registers the identity and logging collectors)
from . import collectors_network  # noqa: F401  (registers the network collectors)
from . import collectors_compute  # noqa: F401  (registers the compute, database and block storage collectors)
from . import collectors_inventory  # noqa: F401  (registers the inventory collectors)
from . import collectors_storage  # noqa: F401  (registers the data store and backup collectors)
from . import collectors_logging  # noqa: F401  (registers the log management and cloud service collectors)
from . import collectors_topology  # noqa: F401  (registers the network topology collectors)
from . import collectors_crypto  # noqa: F401  (registers the key, certificate, TLS and edge collectors)
from . import collectors_hosts  # noqa: F401  (registers the host and vulnerability collectors)
from . import collectors_detection  # noqa: F401  (registers the detection collectors)
from . import collectors_recovery  # noqa: F401  (registers the restore test collectors)
from . import collectors_thirdparty  # noqa: F401  (registers the third-party access collectors)
