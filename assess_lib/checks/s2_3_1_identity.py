"""More checks for 2.3.1: contractor trust, account lifecycle, central identity, secrets, tamper-resistant
logs, federation. Their words, severities and parameters are in ``s2_3_1_identity.yaml``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from . import check, failed, manual, passed
from .context import CheckContext, parse_time
from .result import Result, shown_list
from .s2_3_1_access import per_log_bucket, per_trail

SERVICE_ROLE_PATH = "/aws-service-role/"
ROOT = "<root_account>"  # the credential report's row for the root user


# --- evidence helpers (the CloudTrail ones are shared with s2_3_1_access.py, which holds them) ------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def _console_users(ctx: CheckContext) -> list[str]:
    """IAM users (not root) who can sign in to the console, in credential-report order."""
    return [
        str(row["user"])
        for row in ctx.rows("iam.credential_report")
        if row.get("user") != ROOT and _truthy(row.get("password_enabled"))
    ]


def _roles(ctx: CheckContext) -> list[dict[str, Any]]:
    """The account's IAM roles, without AWS's service-linked roles (the customer cannot change those)."""
    return [
        r
        for r in ctx.rows("iam.authorization_details")
        if r["entity_type"] == "role" and not str(r.get("path", "")).startswith(SERVICE_ROLE_PATH)
    ]


def _statements(policy: Any) -> list[dict[str, Any]]:
    return [s for s in _as_list((policy or {}).get("Statement")) if isinstance(s, dict) and s.get("Effect") == "Allow"]


def _condition_keys(statement: dict[str, Any]) -> dict[str, Any]:
    """Condition keys (lower-cased) to values, whatever the operator."""
    conditions = statement.get("Condition") or {}
    return {k.lower(): v for op in conditions.values() if isinstance(op, dict) for k, v in op.items()}


_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):")  # role, user, root or assumed-role session


def _principal_accounts(principal: Any) -> list[str]:
    """Account IDs (or "*") named by the AWS principals of a trust statement."""
    if principal == "*":
        return ["*"]
    aws = principal.get("AWS") if isinstance(principal, dict) else None
    accounts = []
    for value in _as_list(aws):
        value = str(value)
        match = _ACCOUNT_IN_ARN.match(value)
        accounts.append(match.group(1) if match else value)
    return accounts


# --- (1) contractor access and account lifecycle --------------------------------------------------


def own_accounts(ctx: CheckContext) -> set[str]:
    """Accounts that are the institution's own, not third parties: every account in the assessment's scope
    and, when the bundle lists them, the accounts of its AWS Organization."""
    manifest = ctx.bundle.manifest
    return {ctx.account_id, *ctx.bundle.accounts, *(manifest.get("organization_accounts") or [])}


def _org_restricted(conditions: dict[str, Any]) -> bool:
    """True when a trust statement admits only principals of the institution's AWS Organization."""
    return any(key in conditions for key in ("aws:principalorgid", "aws:principalorgpaths"))


@check("iam_external_trust_without_external_id")
def external_trust(ctx: CheckContext) -> Iterator[Result]:
    """Roles a third party's account (a contractor, a vendor) can assume must require sts:ExternalId.

    The institution's own accounts (those assessed, and its Organization's when known) are not third
    parties: a role they alone can assume, such as the kit's own read-only role, passes.
    """
    own = own_accounts(ctx)
    assessed = sorted(own)
    for role in _roles(ctx):
        name = role["name"]
        internal: list[str] = []
        external = False
        for statement in _statements(role.get("trust_policy")):
            accounts = [a for a in _principal_accounts(statement.get("Principal")) if a != ctx.account_id]
            conditions = _condition_keys(statement)
            if "*" in accounts and _org_restricted(conditions):
                internal.append("aws:PrincipalOrgID")
                continue
            internal += [a for a in accounts if a in own]
            outsiders = [a for a in accounts if a not in own]
            if not outsiders:
                continue
            external = True
            facts = {
                "role": name,
                "external_accounts": outsiders,
                "assessed_accounts": assessed,
                "external_list": ", ".join(outsiders),
                "own_list": shown_list(assessed),
            }
            if "*" in outsiders and "sts:externalid" not in conditions:
                yield failed(f"role/{name}", "any_account", severity="critical", **facts)
            elif "sts:externalid" in conditions:
                yield passed(f"role/{name}", "external_with_id", **facts)
            else:
                yield failed(f"role/{name}", "external_without_id", **facts)
        if internal and not external:
            trusted = list(dict.fromkeys(internal))
            yield passed(
                f"role/{name}", "own_accounts_only", role=name, trusted_own_accounts=trusted, own_list=", ".join(trusted)
            )


@check("iam_unused_roles")
def unused_roles(ctx: CheckContext) -> Iterator[Result]:
    """Roles unused for longer than ``unused_credential_days`` (or never used since then) are stale access."""
    limit = ctx.params["unused_credential_days"]
    for role in _roles(ctx):
        name = role["name"]
        used = ctx.days_since(role.get("last_used"))
        age = ctx.days_since(role.get("create_date"))
        if used is not None and used <= 0:
            # Used on the day of the collection (the kit's own role is used while it collects: after the start).
            yield passed(f"role/{name}", "used_today", role=name, last_used_days=0)
        elif used is not None and used <= limit:
            yield passed(f"role/{name}", "used", role=name, last_used_days=used)
        elif used is None and age is not None and age <= limit:
            yield passed(f"role/{name}", "new", role=name, age_days=age)
        elif used is not None:
            yield failed(f"role/{name}", "unused", role=name, last_used_days=used)
        elif age is not None:
            yield failed(f"role/{name}", "never_used", role=name, last_used_days=None, age_days=age)
        else:
            yield failed(f"role/{name}", "no_dates", role=name, last_used_days=None)


# --- (2) individual accounts -------------------------------------------------------------------

_SHARED_NAME = re.compile(
    r"(^|[-_.])(admin(istrator)?|root|shared|common|generic|team|group|guest|test|tmp|temp|ope(rator)?|ops|support|"
    r"user\d*|staff|system|infra|dev|vendor|partner|kyotsu|kyoutsu)(\d*)($|[-_.])",
    re.IGNORECASE,
)


@check("iam_shared_accounts")
def shared_accounts(ctx: CheckContext) -> Iterator[Result]:
    """Console users whose names suggest a shared account (admin, ops, vendor...): access must be personal."""
    users = {r["name"]: r for r in ctx.rows("iam.authorization_details") if r["entity_type"] == "user"}
    for name in _console_users(ctx):
        if _SHARED_NAME.search(name):
            yield failed(name, groups=users.get(name, {}).get("groups", []))
        else:
            yield passed(name)


@check("iam_identity_center_usage")
def identity_center_usage(ctx: CheckContext) -> Iterator[Result]:
    """Central identity (IAM Identity Center) versus long-lived IAM users for people. An account without
    either has no human access to assess (the runner says so)."""
    instances = [i for _region, rows in ctx.regional_rows("sso.instances") for i in rows]
    console = _console_users(ctx)
    if not instances and not ctx.complete:
        return  # Identity Center may be enabled in the region that could not be read: the error says which
    count = len(console)
    if instances:
        message = "pass" if not console else "pass_one_console_user" if count == 1 else "pass_console_users"
        yield passed("IAM Identity Center", message, console_users=console, console_user_count=count)
    elif console:
        message = "fail_one_console_user" if count == 1 else "fail"
        yield failed("IAM Identity Center", message, console_users=console, console_user_count=count)


# --- (3) secrets ---------------------------------------------------------------------------------


@check("secrets_rotation")
def secrets_rotation(ctx: CheckContext) -> Iterator[Result]:
    """Secrets rotate automatically, and did rotate within twice their interval (region by region)."""
    for secret in ctx.rows("secretsmanager.secrets"):
        name = secret["name"]
        if not secret["rotation_enabled"]:
            yield failed(name, "no_rotation")
            continue
        days = secret.get("rotation_days")
        since = ctx.days_since(secret.get("last_rotated"))
        if days and since is not None and since > 2 * int(days):
            # Twice the interval: one missed rotation may be a retry in progress, two are a broken rotation.
            yield failed(name, "overdue", rotation_days=days, days_since_rotation=since)
        elif days:
            yield passed(name, rotation_days=days)
        else:
            yield passed(name, "pass_schedule")


# --- (4) CloudTrail completeness -------------------------------------------------------------------


@check("cloudtrail_cloudwatch_logs")
def cloudwatch_delivery(ctx: CheckContext) -> Iterator[Result]:
    """Every trail delivers to CloudWatch Logs (real-time alerting on its events)."""
    yield from per_trail(ctx, lambda trail: trail.get("cloudwatch_logs_group"))


@check("cloudtrail_kms_encryption")
def kms_encryption(ctx: CheckContext) -> Iterator[Result]:
    """Every trail encrypts its logs with a customer-managed KMS key."""
    yield from per_trail(ctx, lambda trail: trail.get("kms_key_id"))


@check("cloudtrail_bucket_tamper_resistance")
def bucket_tamper_resistance(ctx: CheckContext) -> Iterator[Result]:
    """The seed promises logs kept tamper-proof: Object Lock (or MFA delete) on every trail's log bucket. A bucket
    whose settings could not be read is an ``error`` naming the permissions; no trail leaves nothing to assess."""

    def judge(row: dict[str, Any]) -> Result:
        bucket = row["bucket"]
        if row.get("object_lock") and (row.get("retention_mode") or row.get("retention_days")):
            mode, days = row.get("retention_mode") or "-", row.get("retention_days") or "-"
            return passed(bucket, "object_lock", retention_mode=mode, retention_days=days)
        if row.get("object_lock"):
            return passed(bucket, "object_lock_no_default")
        if row.get("mfa_delete"):
            return passed(bucket, "mfa_delete")
        return failed(bucket, versioning=row.get("versioning"))

    yield from per_log_bucket(ctx, "s3.trail_bucket_protection", judge)


# --- (7) federation ----------------------------------------------------------------------------------


@check("iam_saml_provider_certificates")
def saml_certificates(ctx: CheckContext) -> Iterator[Result]:
    """SAML providers' signing certificates are valid for more than ``certificate_expiry_warning_days``."""
    warn = ctx.params["certificate_expiry_warning_days"]
    for provider in ctx.rows("iam.saml_providers"):
        name = provider["name"]
        expiries = [e for e in (parse_time(x) for x in provider.get("certificate_expiries", [])) if e is not None]
        if not expiries:
            yield manual(name, "unreadable")
            continue
        latest = max(expiries)
        days = (latest - ctx.now).days
        expires = latest.isoformat()
        if days < 0:
            yield failed(name, "expired", severity="high", expires=expires)
        elif days <= warn:
            yield failed(name, "expiring", expires=expires, days_left=days)
        else:
            yield passed(name, expires=expires)


@check("iam_federated_role_conditions")
def federated_role_conditions(ctx: CheckContext) -> Iterator[Result]:
    """Roles trusted by SAML or OIDC providers must restrict the audience (and the subject for OIDC)."""
    oidc_hosts = {str(p.get("url") or "").removeprefix("https://"): p for p in ctx.rows("iam.oidc_providers")}
    for role in _roles(ctx):
        for statement in _statements(role.get("trust_policy")):
            principal = statement.get("Principal")
            federated = [str(f) for f in _as_list(principal.get("Federated") if isinstance(principal, dict) else None)]
            if not federated:
                continue
            keys = _condition_keys(statement)
            name = role["name"]
            missing: list[str] = []
            unknown: list[str] = []  # OIDC providers the account does not have (deleted, or a typo in the policy)
            for provider in federated:
                if ":saml-provider/" in provider:
                    if "saml:aud" not in keys:
                        missing.append("SAML:aud")
                elif ":oidc-provider/" in provider:
                    host = provider.split(":oidc-provider/", 1)[1]
                    if f"{host}:aud".lower() not in keys:
                        missing.append(f"{host}:aud")
                    if host.startswith("token.actions.githubusercontent.com") and f"{host}:sub".lower() not in keys:
                        missing.append(f"{host}:sub")
                    if host not in oidc_hosts and not any(host.startswith(h) for h in oidc_hosts if h):
                        unknown.append(host)
            facts: dict[str, Any] = {"role": name, "providers": federated}
            if unknown:
                facts["unknown_providers"] = ", ".join(unknown)
            if missing:
                facts["missing_conditions"] = ", ".join(missing)
            if missing and unknown:
                yield failed(f"role/{name}", "fail_and_unknown_provider", **facts)
            elif missing:
                yield failed(f"role/{name}", **facts)
            elif unknown:
                yield failed(f"role/{name}", "unknown_provider", **facts)
            else:
                yield passed(f"role/{name}", **facts)
