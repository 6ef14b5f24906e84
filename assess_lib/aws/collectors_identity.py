"""Collectors for identity and logging evidence beyond the basics (2.3.1-1, -2, -3, -4 and -7).

Federation providers, IAM Identity Center, Secrets Manager, and the tamper
resistance of the CloudTrail log buckets; declared in ``collectors_identity.datasets.yaml``.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from botocore.exceptions import ClientError

from .collectors import AccountContext, Calls, collector

_CERT_RE = re.compile(r"<(?:\w+:)?X509Certificate>\s*([A-Za-z0-9+/=\s]+?)\s*</(?:\w+:)?X509Certificate>")


def certificate_expiries(metadata: str | None) -> list[str]:
    """ISO expiry dates of the X.509 signing certificates in a SAML metadata document."""
    if not metadata:
        return []
    from cryptography import x509

    expiries = []
    for block in _CERT_RE.findall(metadata):
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode("".join(block.split())))
        except ValueError:
            continue  # not a certificate we can read: reported as no readable certificate
        expiries.append(cert.not_valid_after_utc.isoformat())
    return sorted(set(expiries))


@collector("iam.saml_providers")
def collect_saml_providers(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    rows = []
    for provider in calls.call("iam", "list_saml_providers").get("SAMLProviderList", []):
        detail = calls.call("iam", "get_saml_provider", SAMLProviderArn=provider["Arn"])
        rows.append(
            {
                "arn": provider["Arn"],
                "name": provider["Arn"].rsplit("/", 1)[-1],
                "valid_until": detail.get("ValidUntil") or provider.get("ValidUntil"),
                "certificate_expiries": certificate_expiries(detail.get("SAMLMetadataDocument")),
            }
        )
    return rows


@collector("iam.oidc_providers")
def collect_oidc_providers(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    rows = []
    for provider in calls.call("iam", "list_open_id_connect_providers").get("OpenIDConnectProviderList", []):
        detail = calls.call("iam", "get_open_id_connect_provider", OpenIDConnectProviderArn=provider["Arn"])
        rows.append(
            {
                "arn": provider["Arn"],
                "url": detail.get("Url"),
                "client_ids": detail.get("ClientIDList", []),
                "thumbprints": detail.get("ThumbprintList", []),
            }
        )
    return rows


@collector("sso.instances")
def collect_sso_instances(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    pages = calls.paginate("sso-admin", "list_instances")
    return [
        {"instance_arn": i.get("InstanceArn"), "identity_store_id": i.get("IdentityStoreId"), "status": i.get("Status", "ACTIVE")}
        for page in pages
        for i in page.get("Instances", [])
    ]


@collector("secretsmanager.secrets")
def collect_secrets(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    return [
        {
            "name": s.get("Name"),
            "arn": s.get("ARN"),
            "rotation_enabled": bool(s.get("RotationEnabled")),
            "rotation_days": (s.get("RotationRules") or {}).get("AutomaticallyAfterDays"),
            "last_rotated": s.get("LastRotatedDate"),
            "last_accessed": s.get("LastAccessedDate"),
            "created": s.get("CreatedDate"),
        }
        for page in calls.paginate("secretsmanager", "list_secrets")
        for s in page.get("SecretList", [])
    ]


@collector("s3.trail_bucket_protection")
def collect_trail_bucket_protection(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    buckets = sorted(
        {t["s3_bucket"] for reg in ctx.regions for t in ctx.rows_or_raise("cloudtrail.trails", reg) if t.get("s3_bucket")}
    )
    from .collectors_logging import lifecycle_expiration
    from .errors import classify

    rows = []
    for bucket in buckets:
        row: dict[str, Any] = {"bucket": bucket, "error_kind": None}
        try:
            versioning = calls.call("s3", "get_bucket_versioning", Bucket=bucket)
            row["versioning"] = versioning.get("Status") or "Disabled"
            row["mfa_delete"] = versioning.get("MFADelete") == "Enabled"
            row.update(_object_lock(calls, bucket))
        except Exception as err:  # noqa: BLE001 - a central log bucket in another account: say so per bucket
            failure = classify(err)
            row.update(error_kind=failure.kind, error_code=failure.code, error_message=failure.message)
        else:
            row.update(lifecycle_expiration(calls, bucket))  # retention (2.3.4.2): its failure hides nothing else
        rows.append(row)
    return rows


def _object_lock(calls: Calls, bucket: str) -> dict[str, Any]:
    try:
        conf = calls.call("s3", "get_object_lock_configuration", Bucket=bucket).get("ObjectLockConfiguration", {})
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("ObjectLockConfigurationNotFoundError", "InvalidRequest"):
            return {"object_lock": False, "retention_mode": None, "retention_days": None}
        raise
    retention = (conf.get("Rule") or {}).get("DefaultRetention") or {}
    return {
        "object_lock": conf.get("ObjectLockEnabled") == "Enabled",
        "retention_mode": retention.get("Mode"),
        "retention_days": retention.get("Days") or (retention.get("Years") or 0) * 365 or None,
    }
