"""Checks for guideline section 2.3.1 (authentication and access management): the root user, IAM users' console
MFA, password policy and access keys, administrator privileges, and the CloudTrail trails that record their use.

Every sentence these checks say is a template in ``s2_3_1_access.yaml``; the thresholds (key age, unused days,
password rules) are that record's parameters, overridable from the params file's ``thresholds:`` by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..core.model import Verdict
from ..core.text import Phrase
from ..datasets import DATASETS
from ..evidence import GLOBAL
from . import check, failed, passed
from .context import CheckContext
from .result import Result

ROOT = "<root_account>"
ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
SERVICE_ROLE_PATH = "/aws-service-role/"
CREDENTIAL_REPORT = "iam.credential_report"
TRAILS = "cloudtrail.trails"


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def _users(ctx: CheckContext) -> list[dict[str, Any]]:
    return [row for row in ctx.rows(CREDENTIAL_REPORT) if row.get("user") != ROOT]


def _root_row(ctx: CheckContext) -> dict[str, Any] | None:
    return next((row for row in ctx.rows(CREDENTIAL_REPORT) if row.get("user") == ROOT), None)


def _active_keys(user: Mapping[str, Any]) -> list[int]:
    return [slot for slot in (1, 2) if _truthy(user.get(f"access_key_{slot}_active"))]


# --- root user ----------------------------------------------------------------------------------


@check("iam_root_mfa")
def root_mfa(ctx: CheckContext) -> Iterator[Result]:
    """The root user has MFA (account summary, or the credential report's root row)."""
    summary = ctx.rows("iam.account_summary")[0]
    root = _root_row(ctx)
    if int(summary.get("AccountMFAEnabled", 0)) == 1 or (root is not None and _truthy(root.get("mfa_active"))):
        yield passed("root")
    else:
        yield failed("root")


@check("iam_root_access_keys")
def root_access_keys(ctx: CheckContext) -> Iterator[Result]:
    """The root user has no access key (account summary, or an active key on the report's root row)."""
    summary = ctx.rows("iam.account_summary")[0]
    root = _root_row(ctx)
    active = int(summary.get("AccountAccessKeysPresent", 0)) > 0 or (
        root is not None and any(_truthy(root.get(f"access_key_{slot}_active")) for slot in (1, 2))
    )
    yield failed("root") if active else passed("root")


# --- IAM users ------------------------------------------------------------------------------------


@check("iam_user_console_mfa")
def user_console_mfa(ctx: CheckContext) -> Iterator[Result]:
    """Every IAM user with a console password has MFA (no such user: nothing to assess)."""
    for user in _users(ctx):
        if not _truthy(user.get("password_enabled")):
            continue
        if _truthy(user.get("mfa_active")):
            yield passed(user["user"])
        else:
            yield failed(user["user"], arn=user.get("arn"))


# The character classes a password policy may require, in the order the gaps are named.
_CHARACTER_RULES = (
    ("RequireUppercaseCharacters", "uppercase_not_required"),
    ("RequireLowercaseCharacters", "lowercase_not_required"),
    ("RequireNumbers", "numbers_not_required"),
    ("RequireSymbols", "symbols_not_required"),
)


@check("iam_password_policy")
def password_policy(ctx: CheckContext) -> Iterator[Result]:
    """The account password policy meets the length, character, reuse and expiry parameters."""
    rows = ctx.rows("iam.password_policy")
    if not rows:
        yield failed("password policy", "no_policy", severity="high")
        return
    policy, p = rows[0], ctx.params
    gaps: list[Phrase] = []
    length = int(policy.get("MinimumPasswordLength", 0))
    if length < p["password_min_length"]:
        gaps.append(Phrase("min_length", length=length, needed=p["password_min_length"]))
    gaps += [Phrase(gap) for key, gap in _CHARACTER_RULES if not policy.get(key)]
    reuse = int(policy.get("PasswordReusePrevention", 0) or 0)
    if reuse < p["password_reuse_prevention"]:
        gaps.append(Phrase("reuse_prevention", reuse=reuse, needed=p["password_reuse_prevention"]))
    max_age = policy.get("MaxPasswordAge")
    if p["require_password_max_age"] and (not max_age or int(max_age) > p["password_max_age_days"]):
        gaps.append(Phrase("max_age", age=max_age or Phrase("no_max_age"), needed=p["password_max_age_days"]))
    if gaps:
        settings: dict[str, Any] = {key: policy[key] for key in sorted(policy)}  # the policy itself, kept in the details
        yield failed("password policy", gaps=gaps, **settings)
    else:
        yield passed("password policy", "pass" if p["require_password_max_age"] else "pass_without_expiry")


@check("iam_access_key_age")
def access_key_age(ctx: CheckContext) -> Iterator[Result]:
    """Every active access key of an IAM user was rotated within ``access_key_max_age_days``."""
    limit = ctx.params["access_key_max_age_days"]
    for user in _users(ctx):
        for slot in _active_keys(user):
            name = f"{user['user']} (key {slot})"
            age = ctx.days_since(user.get(f"access_key_{slot}_last_rotated"))
            if age is None:
                yield failed(name, "unknown_date", age_days=None)
            elif age > limit:
                yield failed(name, user=user["user"], slot=slot, age_days=age)
            else:
                yield passed(name, user=user["user"], slot=slot, age_days=age)


def _stale(ctx: CheckContext, what: str, used: Any, issued: Any, limit: int, **values: Any) -> Phrase | None:
    """A credential unused for more than ``limit`` days (never used: counted from when it was issued), or None."""
    days = ctx.days_since(used)
    never = days is None
    since = ctx.days_since(issued) if never else days
    if since is None or since <= limit:
        return None
    return Phrase(f"{what}_never_used" if never else f"{what}_unused", days=since, **values)


@check("iam_unused_credentials")
def unused_credentials(ctx: CheckContext) -> Iterator[Result]:
    """No IAM user's active password or access key has gone unused for more than ``unused_credential_days``."""
    limit = ctx.params["unused_credential_days"]
    for user in _users(ctx):
        stale: list[Phrase | None] = []
        has_credential = False
        if _truthy(user.get("password_enabled")):
            has_credential = True
            issued = user.get("password_last_changed") or user.get("user_creation_time")
            stale.append(_stale(ctx, "password", user.get("password_last_used"), issued, limit))
        for slot in _active_keys(user):
            has_credential = True
            used, issued = user.get(f"access_key_{slot}_last_used_date"), user.get(f"access_key_{slot}_last_rotated")
            stale.append(_stale(ctx, "access_key", used, issued, limit, slot=slot))
        if not has_credential:
            continue
        found = [phrase for phrase in stale if phrase is not None]
        yield failed(user["user"], stale=found) if found else passed(user["user"])


@check("iam_multiple_active_keys")
def multiple_active_keys(ctx: CheckContext) -> Iterator[Result]:
    """No IAM user has more than one active access key."""
    for user in _users(ctx):
        keys = _active_keys(user)
        if len(keys) > 1:
            yield failed(user["user"], count=len(keys))
        elif keys:
            yield passed(user["user"])


# --- privileges --------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def grants_full_admin(document: Any) -> bool:
    """True when a policy document allows Action "*" on Resource "*"."""
    if not isinstance(document, dict):
        return False
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow" or "NotAction" in statement:
            continue
        actions = {str(a) for a in _as_list(statement.get("Action"))}
        resources = {str(r) for r in _as_list(statement.get("Resource"))}
        if actions & {"*", "*:*"} and "*" in resources:
            return True
    return False


def _requires_mfa(trust_policy: Any) -> bool:
    """True when every Allow statement of a trust policy requires MFA."""
    statements = [
        s for s in _as_list((trust_policy or {}).get("Statement")) if isinstance(s, dict) and s.get("Effect") == "Allow"
    ]
    if not statements:
        return False
    for statement in statements:
        conditions = statement.get("Condition") or {}
        flat = {k.lower(): v for op in conditions.values() if isinstance(op, dict) for k, v in op.items()}
        if str(flat.get("aws:multifactorauthpresent", "")).lower() != "true":
            return False
    return True


@check("iam_admin_privileges")
def admin_privileges(ctx: CheckContext) -> Iterator[Result]:
    """No user, group or role holds unrestricted administrator rights, except roles that require MFA to assume."""
    rows = ctx.rows("iam.authorization_details")
    admin_policies = {ADMIN_POLICY_ARN} | {
        r["arn"] for r in rows if r["entity_type"] == "policy" and grants_full_admin(r.get("document"))
    }
    checked = failures = 0
    for row in rows:
        kind = row["entity_type"]
        if kind not in ("user", "group", "role") or (kind == "role" and str(row.get("path", "")).startswith(SERVICE_ROLE_PATH)):
            continue
        checked += 1
        via = [arn.rsplit("/", 1)[-1] for arn in row.get("attached_policies", []) if arn in admin_policies]
        via += [f"inline:{p['name']}" for p in row.get("inline_policies", []) if grants_full_admin(p.get("document"))]
        if not via:
            continue
        facts = {"kind": Phrase(kind), "name": row["name"], "granted_by": ", ".join(via), "policies": via}
        if kind == "role" and _requires_mfa(row.get("trust_policy")):
            yield passed(f"{kind}/{row['name']}", "pass_mfa_role", **facts)
            continue
        failures += 1
        # A role is assumed for a session; a user or group holds the rights all the time.
        yield failed(f"{kind}/{row['name']}", severity="high" if kind != "role" else "medium", **facts)
    if checked and not failures:
        yield passed("IAM principals", principals_checked=checked)


# --- CloudTrail ------------------------------------------------------------------------------------
# The helpers below are shared with the other CloudTrail checks of 2.3.1 (s2_3_1_identity.py).


def trails(ctx: CheckContext) -> dict[str, dict[str, Any]]:
    """Every trail listed in a readable in-scope region, by ARN (an unreadable region is an ``error`` finding)."""
    found: dict[str, dict[str, Any]] = {}
    for _region, rows in ctx.regional_rows(TRAILS):
        for trail in rows:
            found.setdefault(trail["arn"] or trail["name"], trail)
    return found


def per_trail(ctx: CheckContext, holds: Callable[[dict[str, Any]], Any]) -> Iterator[Result]:
    """One result per trail, in its home region: ``pass`` when ``holds(trail)``, else ``fail``; no trail at all
    (every region read) fails with ``no_trail`` (high). The check's record has those three messages."""
    found = trails(ctx)
    if not found and ctx.complete:
        # A single-region trail is listed only in its own region: "no trail" needs every region read.
        yield failed("CloudTrail", "no_trail", severity="high")
    for trail in found.values():
        region = trail.get("home_region") or GLOBAL
        yield passed(trail["name"], region=region) if holds(trail) else failed(trail["name"], region=region)


def per_log_bucket(ctx: CheckContext, dataset: str, judge: Callable[[dict[str, Any]], Result], **facts: Any) -> Iterator[Result]:
    """``judge(row)`` for every readable row of a per-log-bucket dataset. A bucket that could not be read (a central
    log bucket in another account, say) is an ``error`` with the record's ``bucket_unreadable`` message, the
    ``facts`` given, the error and the permissions the dataset declares; no trail at all leaves nothing to assess
    (the record's ``none``)."""
    if not trails(ctx):
        return  # no trail, no log bucket (or a region could not be read: its error finding says why)
    for row in ctx.rows(dataset):
        yield _unreadable(row, dataset, facts) if row.get("error_kind") else judge(row)


def _unreadable(row: Mapping[str, Any], dataset: str, facts: Mapping[str, Any]) -> Result:
    # Evidence missing for one bucket only: an error about that bucket, never a verdict on it. Its details are
    # those of any missing evidence (kind, code, the permissions behind it), so the report lists them alike.
    facts = {
        **facts,
        "error_kind": row.get("error_kind"),
        "error_code": row.get("error_code"),
        "error_message": row.get("error_message"),
        "missing_permission": ", ".join(DATASETS[dataset].actions),
    }
    return Result(Verdict.ERROR, row["bucket"], "bucket_unreadable", facts=facts)


def _trails_with_status(ctx: CheckContext) -> dict[str, dict[str, Any]]:
    """Every trail visible from any in-scope region, by ARN, with its logging status."""
    found = {arn: dict(trail) for arn, trail in trails(ctx).items()}
    for _region, rows in ctx.regional_rows("cloudtrail.trail_status"):
        for status in rows:
            if status["arn"] in found:
                found[status["arn"]]["is_logging"] = status["is_logging"]
    return found


def _read_any(ctx: CheckContext, dataset: str) -> bool:
    """True when the dataset was read in at least one in-scope region."""
    unread = {m.region for m in ctx.missing if m.dataset == dataset}
    return any(region not in unread for region in ctx.regions)


@check("cloudtrail_multiregion_logging")
def multiregion_logging(ctx: CheckContext) -> Iterator[Result]:
    """A multi-region trail is logging (it covers every region in scope)."""
    found = _trails_with_status(ctx)
    regions = ctx.regions
    good = sorted(t["name"] for t in found.values() if t["is_multi_region"] and t.get("is_logging"))
    if good:
        yield passed(", ".join(good), region_count=len(regions))
        return
    unknown = any(t["is_multi_region"] and "is_logging" not in t for t in found.values())
    if not ctx.complete and (unknown or not _read_any(ctx, TRAILS)):
        return  # whether a multi-region trail logs is unknown: the error findings say which evidence is missing
    unread = {m.region for m in ctx.missing}  # a region whose trails or their status are unknown is not named
    covered = {t["home_region"] for t in found.values() if t.get("is_logging")}
    missing = [r for r in regions if r not in covered and r not in unread]
    # A multi-region trail is listed in every region (shadow trails), so one readable region shows whether there is one.
    idle = [t["name"] for t in found.values() if t["is_multi_region"]]
    reason = Phrase("idle_multi_region", trails=", ".join(idle)) if idle else Phrase("no_multi_region")
    if missing:
        yield failed("CloudTrail", reason=reason, regions_without_logging=missing, uncovered=", ".join(missing))
    else:
        yield failed("CloudTrail", "fail_all_covered", reason=reason, regions_without_logging=missing)


@check("cloudtrail_log_validation")
def log_validation(ctx: CheckContext) -> Iterator[Result]:
    """Every trail validates its log files (digest files that reveal tampering)."""
    yield from per_trail(ctx, lambda trail: trail["log_file_validation"])


@check("cloudtrail_bucket_not_public")
def bucket_not_public(ctx: CheckContext) -> Iterator[Result]:
    """No bucket receiving CloudTrail logs is public (ACL or policy, unless Block Public Access overrides it)."""

    def judge(row: dict[str, Any]) -> Result:
        blocks = [b for b in (row.get("account_block"), row.get("bucket_block")) if b]
        fully_blocked = any(all(b.values()) for b in blocks)
        if (row.get("acl_public") or row.get("policy_is_public")) and not fully_blocked:
            via = [
                Phrase(name)
                for name, on in (("acl", row.get("acl_public")), ("bucket_policy", row.get("policy_is_public")))
                if on
            ]
            return failed(row["bucket"], via=via)
        return passed(row["bucket"], "pass_blocked" if fully_blocked else "pass")

    yield from per_log_bucket(ctx, "s3.trail_bucket_exposure", judge, what=Phrase("exposure"))
