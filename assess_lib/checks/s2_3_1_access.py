"""Checks for guideline section 2.3.1 認証・アクセス管理 (Authentication and Access Management)."""

from __future__ import annotations

from typing import Any, Callable

from ..datasets import DATASETS
from ..evidence import GLOBAL
from ..findings import Verdict
from . import check
from .context import CheckContext

ROOT = "<root_account>"
ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def _users(ctx: CheckContext) -> list[dict[str, Any]]:
    return [row for row in ctx.rows("iam.credential_report") if row.get("user") != ROOT]


def _root_row(ctx: CheckContext) -> dict[str, Any] | None:
    return next((row for row in ctx.rows("iam.credential_report") if row.get("user") == ROOT), None)


# --- root account -----------------------------------------------------------------------------


@check("iam_root_mfa", controls=["2.3.1-5"], datasets=["iam.account_summary", "iam.credential_report"])
def root_mfa(ctx: CheckContext) -> None:
    summary = ctx.rows("iam.account_summary")[0]
    root = _root_row(ctx)
    enabled = int(summary.get("AccountMFAEnabled", 0)) == 1 or (root is not None and _truthy(root.get("mfa_active")))
    if enabled:
        ctx.passed(
            "root",
            "ルートユーザーに多要素認証（MFA）が設定されています。",
            "The root user has multi-factor authentication (MFA).",
        )
    else:
        ctx.failed(
            "root",
            "ルートユーザーに多要素認証（MFA）が設定されていません。最上位の特権アカウントがパスワードのみで保護されています。",
            "The root user has no multi-factor authentication (MFA): the most privileged account is protected by a password alone.",
            severity="critical",
        )


@check(
    "iam_root_access_keys",
    controls=["2.3.1-1", "2.3.1-3"],
    datasets=["iam.account_summary", "iam.credential_report"],
)
def root_access_keys(ctx: CheckContext) -> None:
    summary = ctx.rows("iam.account_summary")[0]
    root = _root_row(ctx)
    active = int(summary.get("AccountAccessKeysPresent", 0)) > 0 or (
        root is not None and (_truthy(root.get("access_key_1_active")) or _truthy(root.get("access_key_2_active")))
    )
    if active:
        ctx.failed(
            "root",
            "ルートユーザーにアクセスキーが存在します。ルートのアクセスキーは権限を制限できないため削除してください。",
            "The root user has an access key. Root keys cannot be restricted by any policy and must be deleted.",
            severity="critical",
        )
    else:
        ctx.passed("root", "ルートユーザーにアクセスキーはありません。", "The root user has no access keys.")


# --- users ------------------------------------------------------------------------------------


@check("iam_user_console_mfa", controls=["2.3.1-5"], datasets=["iam.credential_report"])
def user_console_mfa(ctx: CheckContext) -> None:
    console_users = [u for u in _users(ctx) if _truthy(u.get("password_enabled"))]
    if not console_users:
        ctx.not_applicable(
            "IAM users", "コンソールパスワードを持つIAMユーザーはいません。", "No IAM user has a console password."
        )
    for user in console_users:
        name = user["user"]
        if _truthy(user.get("mfa_active")):
            ctx.passed(
                name,
                f"IAMユーザー {name} はコンソールログインにMFAを使用しています。",
                f"IAM user {name} signs in to the console with MFA.",
            )
        else:
            ctx.failed(
                name,
                f"IAMユーザー {name} はコンソールパスワードを持ちますが、MFAが設定されていません。",
                f"IAM user {name} has a console password but no MFA device.",
                severity="high",
                arn=user.get("arn"),
            )


@check("iam_password_policy", controls=["2.3.1-3"], datasets=["iam.password_policy"])
def password_policy(ctx: CheckContext) -> None:
    th = ctx.thresholds
    rows = ctx.rows("iam.password_policy")
    if not rows:
        ctx.failed(
            "password policy",
            "アカウントにパスワードポリシーが設定されていません（AWS既定の弱い要件が適用されます）。",
            "The account has no password policy (AWS's weak defaults apply).",
            severity="high",
        )
        return
    policy = rows[0]
    gaps_ja: list[str] = []
    gaps_en: list[str] = []
    length = int(policy.get("MinimumPasswordLength", 0))
    if length < th["password_min_length"]:
        gaps_ja.append(f"最小文字数 {length}（{th['password_min_length']}以上が必要）")
        gaps_en.append(f"minimum length {length} (needs {th['password_min_length']} or more)")
    for key, ja, en in (
        ("RequireUppercaseCharacters", "大文字", "upper-case letters"),
        ("RequireLowercaseCharacters", "小文字", "lower-case letters"),
        ("RequireNumbers", "数字", "numbers"),
        ("RequireSymbols", "記号", "symbols"),
    ):
        if not policy.get(key):
            gaps_ja.append(f"{ja}を必須としていない")
            gaps_en.append(f"{en} not required")
    reuse = int(policy.get("PasswordReusePrevention", 0) or 0)
    if reuse < th["password_reuse_prevention"]:
        gaps_ja.append(f"再利用禁止 {reuse}世代（{th['password_reuse_prevention']}世代以上が必要）")
        gaps_en.append(f"reuse prevention {reuse} (needs {th['password_reuse_prevention']} or more)")
    max_age = policy.get("MaxPasswordAge")
    if th["require_password_max_age"] and (not max_age or int(max_age) > th["password_max_age_days"]):
        shown = max_age or "なし"
        gaps_ja.append(f"有効期限 {shown}（{th['password_max_age_days']}日以内が必要）")
        gaps_en.append(f"maximum age {max_age or 'none'} (needs {th['password_max_age_days']} days or less)")
    if gaps_en:
        ctx.failed(
            "password policy",
            "パスワードポリシーが要件を満たしていません: " + "、".join(gaps_ja) + "。",
            "The password policy falls short: " + "; ".join(gaps_en) + ".",
            severity="medium",
            **{k: policy.get(k) for k in sorted(policy)},
        )
    else:
        ctx.passed(
            "password policy",
            "パスワードポリシーは長さ・文字種・再利用禁止・有効期限の要件を満たしています。",
            "The password policy meets the length, character, reuse and expiry requirements.",
        )


def _active_keys(user: dict[str, Any]) -> list[int]:
    return [slot for slot in (1, 2) if _truthy(user.get(f"access_key_{slot}_active"))]


@check("iam_access_key_age", controls=["2.3.1-3"], datasets=["iam.credential_report"])
def access_key_age(ctx: CheckContext) -> None:
    limit = ctx.thresholds["access_key_max_age_days"]
    found = False
    for user in _users(ctx):
        for slot in _active_keys(user):
            found = True
            name = f"{user['user']} (key {slot})"
            age = ctx.days_since(user.get(f"access_key_{slot}_last_rotated"))
            if age is None:
                ctx.failed(name, f"{name} の作成日が不明です。", f"The creation date of {name} is unknown.", age_days=None)
            elif age > limit:
                ctx.failed(
                    name,
                    f"IAMユーザー {user['user']} のアクセスキー{slot}は {age}日間ローテーションされていません（上限 {limit}日）。",
                    f"Access key {slot} of IAM user {user['user']} has not been rotated for {age} days (limit {limit}).",
                    severity="medium",
                    age_days=age,
                )
            else:
                ctx.passed(
                    name,
                    f"IAMユーザー {user['user']} のアクセスキー{slot}は作成後 {age}日です（上限 {limit}日）。",
                    f"Access key {slot} of IAM user {user['user']} is {age} days old (limit {limit}).",
                    age_days=age,
                )
    if not found:
        ctx.not_applicable(
            "access keys", "有効なIAMユーザーのアクセスキーはありません。", "No IAM user has an active access key."
        )


@check("iam_unused_credentials", controls=["2.3.1-3"], datasets=["iam.credential_report"])
def unused_credentials(ctx: CheckContext) -> None:
    limit = ctx.thresholds["unused_credential_days"]
    found = False
    for user in _users(ctx):
        name = user["user"]
        stale_ja: list[str] = []
        stale_en: list[str] = []
        has_credential = False
        if _truthy(user.get("password_enabled")):
            has_credential = True
            used = ctx.days_since(user.get("password_last_used"))
            since = (
                used if used is not None else ctx.days_since(user.get("password_last_changed") or user.get("user_creation_time"))
            )
            if since is not None and since > limit:
                how = f"{since}日間未使用" if used is not None else f"発行後{since}日間一度も未使用"
                stale_ja.append(f"パスワード（{how}）")
                stale_en.append(f"password ({'unused for' if used is not None else 'never used in'} {since} days)")
        for slot in _active_keys(user):
            has_credential = True
            used = ctx.days_since(user.get(f"access_key_{slot}_last_used_date"))
            since = used if used is not None else ctx.days_since(user.get(f"access_key_{slot}_last_rotated"))
            if since is not None and since > limit:
                how = f"{since}日間未使用" if used is not None else f"発行後{since}日間一度も未使用"
                stale_ja.append(f"アクセスキー{slot}（{how}）")
                stale_en.append(f"access key {slot} ({'unused for' if used is not None else 'never used in'} {since} days)")
        if not has_credential:
            continue
        found = True
        if stale_en:
            ctx.failed(
                name,
                f"IAMユーザー {name} に {limit}日以上使われていない有効な認証情報があります: "
                + "、".join(stale_ja)
                + "。無効化してください。",
                f"IAM user {name} has credentials unused for more than {limit} days: " + "; ".join(stale_en) + ". Disable them.",
                severity="medium",
            )
        else:
            ctx.passed(
                name,
                f"IAMユーザー {name} の有効な認証情報は {limit}日以内に使用されています。",
                f"IAM user {name}'s active credentials were used within {limit} days.",
            )
    if not found:
        ctx.not_applicable("IAM users", "有効な認証情報を持つIAMユーザーはいません。", "No IAM user has an active credential.")


@check("iam_multiple_active_keys", controls=["2.3.1-3"], datasets=["iam.credential_report"])
def multiple_active_keys(ctx: CheckContext) -> None:
    found = False
    for user in _users(ctx):
        keys = _active_keys(user)
        if not keys:
            continue
        found = True
        name = user["user"]
        if len(keys) > 1:
            ctx.failed(
                name,
                f"IAMユーザー {name} に有効なアクセスキーが {len(keys)}個あります（1個まで）。",
                f"IAM user {name} has {len(keys)} active access keys (at most one).",
                severity="low",
            )
        else:
            ctx.passed(name, f"IAMユーザー {name} の有効なアクセスキーは1個です。", f"IAM user {name} has one active access key.")
    if not found:
        ctx.not_applicable(
            "access keys", "有効なIAMユーザーのアクセスキーはありません。", "No IAM user has an active access key."
        )


# --- privileges ----------------------------------------------------------------------------


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


@check("iam_admin_privileges", controls=["2.3.1-1"], datasets=["iam.authorization_details"])
def admin_privileges(ctx: CheckContext) -> None:
    rows = ctx.rows("iam.authorization_details")
    admin_policies = {ADMIN_POLICY_ARN} | {
        r["arn"] for r in rows if r["entity_type"] == "policy" and grants_full_admin(r.get("document"))
    }
    kinds = {"user": ("IAMユーザー", "IAM user"), "group": ("IAMグループ", "IAM group"), "role": ("IAMロール", "IAM role")}
    checked = 0
    for row in rows:
        kind = row["entity_type"]
        if kind not in kinds or (kind == "role" and str(row.get("path", "")).startswith("/aws-service-role/")):
            continue
        checked += 1
        via = [arn.rsplit("/", 1)[-1] for arn in row.get("attached_policies", []) if arn in admin_policies]
        via += [f"inline:{p['name']}" for p in row.get("inline_policies", []) if grants_full_admin(p.get("document"))]
        ja_kind, en_kind = kinds[kind]
        name = row["name"]
        if not via:
            continue
        joined = ", ".join(via)
        if kind == "role" and _requires_mfa(row.get("trust_policy")):
            ctx.passed(
                f"{kind}/{name}",
                f"{ja_kind} {name} は管理者権限（{joined}）を持ちますが、引受けにMFAが必須です。",
                f"{en_kind} {name} has full administrator rights ({joined}) but can only be assumed with MFA.",
                policies=via,
            )
            continue
        ctx.failed(
            f"{kind}/{name}",
            f"{ja_kind} {name} に全リソースへの全操作を許可する管理者権限（{joined}）が付与されています。"
            "特権は必要最小限とし、MFA必須・時間制限付きの引受けロールで管理してください。",
            f"{en_kind} {name} has full administrator rights ({joined}): every action on every resource. "
            "Keep privileges to the minimum and manage them through MFA-protected, time-limited roles.",
            severity="high" if kind != "role" else "medium",
            policies=via,
        )
    if not any(f.verdict == Verdict.FAIL for f in ctx.findings) and checked:
        ctx.passed(
            "IAM principals",
            f"{checked}件のユーザー・グループ・ロールのうち、制限のない管理者権限を持つものはありません。",
            f"None of {checked} users, groups and roles has unrestricted administrator rights.",
            principals_checked=checked,
        )
    elif not checked:
        ctx.not_applicable(
            "IAM principals", "IAMユーザー・グループ・ロールはありません。", "There are no IAM users, groups or roles."
        )


# --- CloudTrail ----------------------------------------------------------------------------


def _trails(ctx: CheckContext) -> dict[str, dict[str, Any]]:
    """Every trail visible from any in-scope region, by ARN, with its logging status."""
    trails = {arn: dict(trail) for arn, trail in _trails_only(ctx).items()}
    for _region, rows in ctx.regional_rows("cloudtrail.trail_status"):
        for status in rows:
            if status["arn"] in trails:
                trails[status["arn"]]["is_logging"] = status["is_logging"]
    return trails


@check(
    "cloudtrail_multiregion_logging",
    controls=["2.3.1-4"],
    datasets=["cloudtrail.trails", "cloudtrail.trail_status"],
)
def multiregion_logging(ctx: CheckContext) -> None:
    trails = _trails(ctx)
    regions = ctx.regions
    good = [t for t in trails.values() if t["is_multi_region"] and t.get("is_logging")]
    if good:
        names = ", ".join(sorted(t["name"] for t in good))
        ctx.passed(
            names,
            f"マルチリージョン証跡（{names}）がログを記録しており、対象の全{len(regions)}リージョンを網羅しています。",
            f"Multi-region trail(s) {names} are logging and cover all {len(regions)} regions in scope.",
        )
        return
    unknown = any(t["is_multi_region"] and "is_logging" not in t for t in trails.values())
    if not ctx.complete and (unknown or not _read_any(ctx, "cloudtrail.trails")):
        return  # whether a multi-region trail logs is unknown: the error findings say which evidence is missing
    unread = {m.region for m in ctx.missing}  # a region whose trails or their status are unknown is not named
    covered = {t["home_region"] for t in trails.values() if t.get("is_logging")}
    missing = [r for r in regions if r not in covered and r not in unread]
    # A multi-region trail is listed in every region (shadow trails), so one readable region shows whether there is one.
    idle_multi = [t["name"] for t in trails.values() if t["is_multi_region"]]
    reason_ja = (
        "マルチリージョン証跡がありません"
        if not idle_multi
        else f"マルチリージョン証跡（{', '.join(idle_multi)}）がログを記録していません"
    )
    reason_en = (
        "there is no multi-region trail" if not idle_multi else f"multi-region trail(s) {', '.join(idle_multi)} are not logging"
    )
    gap_ja = f"。ログが記録されないリージョン: {', '.join(missing)}" if missing else ""
    gap_en = f". Regions without logging: {', '.join(missing)}" if missing else ""
    ctx.failed(
        "CloudTrail",
        f"全リージョンのAPI操作を記録する証跡がありません: {reason_ja}{gap_ja}。",
        f"No trail records API activity in every region: {reason_en}{gap_en}.",
        severity="high",
        regions_without_logging=missing,
    )


@check("cloudtrail_log_validation", controls=["2.3.1-4"], datasets=["cloudtrail.trails"])
def log_validation(ctx: CheckContext) -> None:
    each_trail(
        ctx,
        lambda trail: trail["log_file_validation"],
        ("証跡 {name} はログファイルの整合性検証が有効です。", "Trail {name} has log file integrity validation."),
        (
            "証跡 {name} はログファイルの整合性検証が無効です。ログの改ざんを検知できません。",
            "Trail {name} has log file integrity validation disabled: tampering with logs would go unnoticed.",
        ),
    )


def log_buckets(ctx: CheckContext, dataset: str, what: tuple[str, str]) -> list[dict[str, Any]]:
    """The readable rows of a per-log-bucket dataset.

    No trail gives one ``not_applicable``; a bucket that could not be read (a central log bucket in
    another account, say) gives ``error`` naming the permissions the dataset declares.
    """
    if not _trails_only(ctx):
        if not ctx.complete:
            return []  # a region could not be read (a trail may be there): the error findings say why
        ctx.not_applicable(
            "CloudTrail", "CloudTrailの証跡がないため、ログ保存先バケットはありません。", "There is no trail, so no log bucket."
        )
        return []
    actions = ", ".join(DATASETS[dataset].actions)
    readable = []
    for row in ctx.rows(dataset):
        if not row.get("error_kind"):
            readable.append(row)
            continue
        bucket, cause = row["bucket"], f"{row.get('error_code')}: {row.get('error_message')}"
        ctx.add(
            Verdict.ERROR,
            bucket,
            f"ログ保存先バケット {bucket} の{what[0]}を取得できませんでした（{cause}）。必要な権限: {actions}",
            f"The {what[1]} of log bucket {bucket} could not be read ({cause}). Required permissions: {actions}",
            severity="info",
        )
    return readable


def each_trail(
    ctx: CheckContext, holds: Callable[[dict[str, Any]], Any], passed: tuple[str, str], failed: tuple[str, str]
) -> None:
    """One finding per trail: ``holds(trail)`` passes it, else it fails; no trail at all fails.

    ``passed``/``failed`` are (ja, en) messages with ``{name}`` for the trail's name.
    """
    trails = _trails_only(ctx)
    if not trails and ctx.complete:
        # A single-region trail is listed only in its own region: "no trail" needs every region read.
        ctx.failed("CloudTrail", "CloudTrailの証跡がありません。", "There is no CloudTrail trail.", severity="high")
    for trail in trails.values():
        name, region = trail["name"], trail.get("home_region") or GLOBAL
        if holds(trail):
            ctx.passed(name, passed[0].format(name=name), passed[1].format(name=name), region)
        else:
            ctx.failed(name, failed[0].format(name=name), failed[1].format(name=name), region)


def _trails_only(ctx: CheckContext) -> dict[str, dict[str, Any]]:
    """Every trail listed in a readable in-scope region (an unreadable region is an ``error`` finding)."""
    trails: dict[str, dict[str, Any]] = {}
    for _region, rows in ctx.regional_rows("cloudtrail.trails"):
        for trail in rows:
            trails.setdefault(trail["arn"] or trail["name"], trail)
    return trails


def _read_any(ctx: CheckContext, dataset: str) -> bool:
    """True when the dataset was read in at least one in-scope region."""
    unread = {m.region for m in ctx.missing if m.dataset == dataset}
    return any(region not in unread for region in ctx.regions)


@check(
    "cloudtrail_bucket_not_public",
    controls=["2.3.1-4"],
    datasets=["cloudtrail.trails", "s3.trail_bucket_exposure"],
)
def bucket_not_public(ctx: CheckContext) -> None:
    for row in log_buckets(ctx, "s3.trail_bucket_exposure", ("公開設定", "public exposure")):
        bucket = row["bucket"]
        blocks = [b for b in (row.get("account_block"), row.get("bucket_block")) if b]
        fully_blocked = any(all(b.values()) for b in blocks)
        public = (row.get("acl_public") or row.get("policy_is_public")) and not fully_blocked
        if public:
            via = [x for x, on in (("ACL", row.get("acl_public")), ("bucket policy", row.get("policy_is_public"))) if on]
            ctx.failed(
                bucket,
                f"CloudTrailログ保存先バケット {bucket} が公開されています（{', '.join(via)}）。",
                f"CloudTrail log bucket {bucket} is public (via {', '.join(via)}).",
                severity="critical",
            )
        elif fully_blocked:
            ctx.passed(
                bucket,
                f"ログ保存先バケット {bucket} はパブリックアクセスがブロックされています。",
                f"Log bucket {bucket} blocks all public access.",
            )
        else:
            ctx.passed(
                bucket,
                f"ログ保存先バケット {bucket} は公開されていません（ただしパブリックアクセスブロックの有効化を推奨します）。",
                f"Log bucket {bucket} is not public (enabling S3 Block Public Access is still recommended).",
            )
