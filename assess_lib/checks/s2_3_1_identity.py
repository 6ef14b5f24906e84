"""More checks for 2.3.1: contractor trust, account lifecycle, central identity, secrets,
tamper-resistant logs, remote administration, federation."""

from __future__ import annotations

import re
from typing import Any

from . import check
from .context import CheckContext, parse_time
from .s2_3_1_access import _as_list, _truthy, _users, each_trail, log_buckets

SERVICE_ROLE_PATH = "/aws-service-role/"


def _roles(ctx: CheckContext) -> list[dict[str, Any]]:
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
        accounts.append(match.group(1) if match else ("*" if value == "*" else value if value.isdigit() else value))
    return accounts


# --- ① contractor access and account lifecycle --------------------------------------------------


def own_accounts(ctx: CheckContext) -> set[str]:
    """Accounts that are the institution's own, not third parties: every account in the assessment's scope
    and, when the bundle lists them, the accounts of its AWS Organization."""
    manifest = ctx.bundle.manifest
    return {ctx.account_id, *ctx.bundle.accounts, *(manifest.get("organization_accounts") or [])}


def _shown(ids: list[str], limit: int = 5) -> str:
    """A list of account IDs short enough for a sentence (an organisation may have hundreds)."""
    return ", ".join(ids[:limit]) + (f" … (+{len(ids) - limit})" if len(ids) > limit else "")


def _org_restricted(conditions: dict[str, Any]) -> bool:
    """True when a trust statement admits only principals of the institution's AWS Organization."""
    return any(key in conditions for key in ("aws:principalorgid", "aws:principalorgpaths"))


@check("iam_external_trust_without_external_id", controls=["2.3.1-1"], datasets=["iam.authorization_details"])
def external_trust(ctx: CheckContext) -> None:
    """Roles a third party's account (a contractor, a vendor) can assume must require sts:ExternalId.

    The institution's own accounts (those assessed, and its Organization's when known) are not third
    parties: a role they alone can assume, such as the kit's own read-only role, passes.
    """
    own = own_accounts(ctx)
    found = False
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
            found = external = True
            facts = {"external_accounts": outsiders, "assessed_accounts": sorted(own)}
            if "*" in outsiders and "sts:externalid" not in conditions:
                ja, en = ctx.text("any_account", name=name)
                ctx.failed(f"role/{name}", ja, en, severity="critical", **facts)
            elif "sts:externalid" in conditions:
                ja, en = ctx.text("external_with_id", name=name, who=", ".join(outsiders), own=_shown(sorted(own)))
                ctx.passed(f"role/{name}", ja, en, **facts)
            else:
                ja, en = ctx.text("external_without_id", name=name, who=", ".join(outsiders), own=_shown(sorted(own)))
                ctx.failed(f"role/{name}", ja, en, severity="high", **facts)
        if internal and not external:
            found = True
            who = ", ".join(dict.fromkeys(internal))
            ja, en = ctx.text("own_accounts_only", name=name, who=who)
            ctx.passed(f"role/{name}", ja, en, trusted_own_accounts=list(dict.fromkeys(internal)))
    if not found:
        ja, en = ctx.text("none")
        ctx.not_applicable("IAM roles", ja, en)


@check("iam_unused_roles", controls=["2.3.1-1"], datasets=["iam.authorization_details"])
def unused_roles(ctx: CheckContext) -> None:
    limit = ctx.thresholds["unused_credential_days"]
    roles = _roles(ctx)
    for role in roles:
        name = role["name"]
        used = ctx.days_since(role.get("last_used"))
        age = ctx.days_since(role.get("create_date"))
        if used is not None and used <= limit:
            ctx.passed(
                f"role/{name}",
                f"IAMロール {name} は {used}日前に使用されています。",
                f"IAM role {name} was used {used} days ago.",
                last_used_days=used,
            )
        elif used is None and age is not None and age <= limit:
            ctx.passed(
                f"role/{name}",
                f"IAMロール {name} は作成後 {age}日で、未使用期間の上限（{limit}日）に達していません。",
                f"IAM role {name} was created {age} days ago, within the {limit}-day limit.",
            )
        else:
            since = f"{used}日間使用されていません" if used is not None else f"作成後{age}日間一度も使用されていません"
            since_en = f"has not been used for {used} days" if used is not None else f"has never been used in {age} days"
            ctx.failed(
                f"role/{name}",
                f"IAMロール {name} は{since}（上限 {limit}日）。不要であれば削除してください。",
                f"IAM role {name} {since_en} (limit {limit}). Delete it if it is no longer needed.",
                severity="low",
                last_used_days=used,
            )
    if not roles:
        ctx.not_applicable("IAM roles", "IAMロールはありません。", "There are no IAM roles.")


# --- ② individual accounts -------------------------------------------------------------------

_SHARED_NAME = re.compile(
    r"(^|[-_.])(admin(istrator)?|root|shared|common|generic|team|group|guest|test|tmp|temp|ope(rator)?|ops|support|"
    r"user\d*|staff|system|infra|dev|vendor|partner|kyotsu|kyoutsu)(\d*)($|[-_.])",
    re.IGNORECASE,
)


@check("iam_shared_accounts", controls=["2.3.1-2"], datasets=["iam.credential_report", "iam.authorization_details"])
def shared_accounts(ctx: CheckContext) -> None:
    """Console users whose names suggest a shared account (admin, ops, vendor...): access must be personal."""
    tags = {r["name"]: r for r in ctx.rows("iam.authorization_details") if r["entity_type"] == "user"}
    people = [u for u in _users(ctx) if _truthy(u.get("password_enabled"))]
    for user in people:
        name = user["user"]
        if _SHARED_NAME.search(name):
            ctx.failed(
                name,
                f"コンソールユーザー {name} は名称から共用アカウントと考えられます。利用者個人を特定できるよう個人単位のアカウントにしてください。",
                f"Console user {name} looks like a shared account by its name. Give each person an individual account.",
                severity="medium",
                groups=tags.get(name, {}).get("groups", []),
            )
        else:
            ctx.passed(
                name,
                f"コンソールユーザー {name} は個人単位のアカウントと考えられます。",
                f"Console user {name} looks like an individual account.",
            )
    if not people:
        ctx.not_applicable(
            "IAM users", "コンソールパスワードを持つIAMユーザーはいません。", "No IAM user has a console password."
        )


@check("iam_identity_center_usage", controls=["2.3.1-2"], datasets=["sso.instances", "iam.credential_report"])
def identity_center_usage(ctx: CheckContext) -> None:
    """Central identity (IAM Identity Center) versus long-lived IAM users for people."""
    instances = [i for _region, rows in ctx.regional_rows("sso.instances") for i in rows]
    console = [u["user"] for u in _users(ctx) if _truthy(u.get("password_enabled"))]
    if not instances and not ctx.complete:
        return  # Identity Center may be enabled in the region that could not be read: the error says which
    if instances:
        extra_ja = f"（ただしIAMユーザー {len(console)}名がコンソールを利用しています）" if console else ""
        extra_en = f" ({len(console)} IAM users still sign in to the console)" if console else ""
        ctx.passed(
            "IAM Identity Center",
            f"IAM Identity Centerが有効で、個人単位のアクセスと一時的な権限付与を一元管理できます{extra_ja}。",
            f"IAM Identity Center is enabled: personal access and temporary permissions are managed centrally{extra_en}.",
            console_users=console,
        )
    elif console:
        ctx.failed(
            "IAM Identity Center",
            f"IAM Identity Centerが有効ではなく、{len(console)}名のIAMユーザーが長期の認証情報でコンソールを利用しています。"
            "承認に基づく時間制限付きのアクセス付与を行うにはIAM Identity Centerの利用を推奨します。",
            f"IAM Identity Center is not enabled and {len(console)} IAM users sign in with long-lived credentials. "
            "Use IAM Identity Center to grant approved, time-limited access.",
            severity="low",
            console_users=console,
        )
    else:
        ctx.not_applicable(
            "IAM Identity Center",
            "コンソールを利用するIAMユーザーはおらず、IAM Identity Centerも有効ではありません（人による利用なし）。",
            "No IAM user signs in to the console and IAM Identity Center is not enabled (no human access).",
        )


# --- ③ secrets ---------------------------------------------------------------------------------


@check("secrets_rotation", controls=["2.3.1-3"], datasets=["secretsmanager.secrets"])
def secrets_rotation(ctx: CheckContext) -> None:
    found = False
    for region, rows in ctx.regional_rows("secretsmanager.secrets"):
        for secret in rows:
            found = True
            name = secret["name"]
            if not secret["rotation_enabled"]:
                ctx.failed(
                    name,
                    f"シークレット {name} の自動ローテーションが無効です。APIに組み込む認証情報は定期的に更新してください。",
                    f"Secret {name} has no automatic rotation. Rotate credentials embedded in applications and APIs.",
                    region,
                    severity="medium",
                )
                continue
            days = secret.get("rotation_days")
            since = ctx.days_since(secret.get("last_rotated"))
            if days and since is not None and since > 2 * int(days):
                ctx.failed(
                    name,
                    f"シークレット {name} はローテーション設定（{days}日）がありますが、{since}日間ローテーションされていません。",
                    f"Secret {name} should rotate every {days} days but was last rotated {since} days ago.",
                    region,
                    severity="medium",
                )
            else:
                ctx.passed(
                    name,
                    f"シークレット {name} は自動ローテーションが有効です（{days or '-'}日ごと）。",
                    f"Secret {name} rotates automatically (every {days or '-'} days).",
                    region,
                )
    if not found and ctx.complete:
        ctx.not_applicable(
            "Secrets Manager", "Secrets Managerのシークレットはありません。", "There are no Secrets Manager secrets."
        )


# --- ④ CloudTrail completeness -------------------------------------------------------------------


@check("cloudtrail_cloudwatch_logs", controls=["2.3.1-4"], datasets=["cloudtrail.trails"])
def cloudwatch_delivery(ctx: CheckContext) -> None:
    each_trail(
        ctx,
        lambda trail: trail.get("cloudwatch_logs_group"),
        (
            "証跡 {name} はCloudWatch Logsへ配信され、操作の監視・アラートに利用できます。",
            "Trail {name} delivers to CloudWatch Logs for monitoring and alerts.",
        ),
        (
            "証跡 {name} はCloudWatch Logsへ配信されていません。不正操作をリアルタイムに検知できません。",
            "Trail {name} does not deliver to CloudWatch Logs: suspicious activity cannot be alerted on in real time.",
        ),
    )


@check("cloudtrail_kms_encryption", controls=["2.3.1-4"], datasets=["cloudtrail.trails"])
def kms_encryption(ctx: CheckContext) -> None:
    each_trail(
        ctx,
        lambda trail: trail.get("kms_key_id"),
        ("証跡 {name} のログはKMSキーで暗号化されています。", "Trail {name} encrypts its logs with a KMS key."),
        (
            "証跡 {name} のログはKMSのカスタマー管理キーで暗号化されていません（S3既定の暗号化のみ）。",
            "Trail {name} does not encrypt its logs with a customer-managed KMS key (S3 default encryption only).",
        ),
    )


@check("cloudtrail_bucket_tamper_resistance", controls=["2.3.1-4"], datasets=["cloudtrail.trails", "s3.trail_bucket_protection"])
def bucket_tamper_resistance(ctx: CheckContext) -> None:
    """The seed promises logs kept 改ざん不可能な形で: Object Lock (or MFA delete) on the log bucket."""
    for row in log_buckets(ctx, "s3.trail_bucket_protection", ("改ざん防止設定", "tamper protection")):
        bucket = row["bucket"]
        if row.get("object_lock"):
            mode = row.get("retention_mode") or "-"
            days = row.get("retention_days") or "-"
            ctx.passed(
                bucket,
                f"ログ保存先バケット {bucket} はオブジェクトロックが有効です（モード {mode}、保持 {days}日）。",
                f"Log bucket {bucket} has S3 Object Lock (mode {mode}, retention {days} days).",
            )
        elif row.get("mfa_delete"):
            ctx.passed(
                bucket, f"ログ保存先バケット {bucket} はMFA削除が有効です。", f"Log bucket {bucket} has MFA delete enabled."
            )
        else:
            ctx.failed(
                bucket,
                f"ログ保存先バケット {bucket} はオブジェクトロックもMFA削除も無効で、ログを改ざん・削除できる状態です。",
                f"Log bucket {bucket} has neither Object Lock nor MFA delete: logs can be altered or deleted.",
                severity="high",
                versioning=row.get("versioning"),
            )


# --- ⑦ federation ----------------------------------------------------------------------------------


@check("iam_saml_provider_certificates", controls=["2.3.1-7"], datasets=["iam.saml_providers"])
def saml_certificates(ctx: CheckContext) -> None:
    warn = ctx.thresholds["certificate_expiry_warning_days"]
    providers = ctx.rows("iam.saml_providers")
    for provider in providers:
        name = provider["name"]
        expiries = [parse_time(e) for e in provider.get("certificate_expiries", [])]
        expiries = [e for e in expiries if e is not None]
        if not expiries:
            ctx.manual(
                name,
                f"SAMLプロバイダー {name} のメタデータから署名証明書を読み取れませんでした。IdP側で有効期限を確認してください。",
                f"No signing certificate could be read from SAML provider {name}'s metadata; check its expiry at the IdP.",
            )
            continue
        latest = max(expiries)
        days = (latest - ctx.now).days
        if days < 0:
            ctx.failed(
                name,
                f"SAMLプロバイダー {name} の署名証明書は {latest.date()} に失効しています。",
                f"SAML provider {name}'s signing certificate expired on {latest.date()}.",
                severity="high",
                expires=latest.isoformat(),
            )
        elif days <= warn:
            ctx.failed(
                name,
                f"SAMLプロバイダー {name} の署名証明書は {days}日後（{latest.date()}）に失効します。更新してください。",
                f"SAML provider {name}'s signing certificate expires in {days} days ({latest.date()}); renew it.",
                severity="medium",
                expires=latest.isoformat(),
            )
        else:
            ctx.passed(
                name,
                f"SAMLプロバイダー {name} の署名証明書は {latest.date()} まで有効です。",
                f"SAML provider {name}'s signing certificate is valid until {latest.date()}.",
                expires=latest.isoformat(),
            )
    if not providers:
        ctx.not_applicable("SAML providers", "SAML IDプロバイダーはありません。", "There are no SAML identity providers.")


@check("iam_federated_role_conditions", controls=["2.3.1-7"], datasets=["iam.authorization_details", "iam.oidc_providers"])
def federated_role_conditions(ctx: CheckContext) -> None:
    """Roles trusted by SAML or OIDC providers must restrict the audience (and the subject for OIDC)."""
    oidc_hosts = {str(p.get("url") or "").removeprefix("https://"): p for p in ctx.rows("iam.oidc_providers")}
    found = False
    for role in _roles(ctx):
        for statement in _statements(role.get("trust_policy")):
            principal = statement.get("Principal")
            federated = [str(f) for f in _as_list(principal.get("Federated") if isinstance(principal, dict) else None)]
            if not federated:
                continue
            found = True
            keys = _condition_keys(statement)
            name = role["name"]
            missing: list[str] = []
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
                        missing.append(f"(unknown provider {host})")
            if missing:
                ctx.failed(
                    f"role/{name}",
                    f"IAMロール {name} は外部IDプロバイダーからの引受けに対象者等の条件（{', '.join(missing)}）がありません。"
                    "他のアプリケーションやリポジトリのトークンで引き受けられるおそれがあります。",
                    f"IAM role {name} trusts an external identity provider without the condition(s) {', '.join(missing)}: "
                    "tokens issued to other applications or repositories could assume it.",
                    severity="high",
                    providers=federated,
                )
            else:
                ctx.passed(
                    f"role/{name}",
                    f"IAMロール {name} は外部IDプロバイダーからの引受けを対象者条件で制限しています。",
                    f"IAM role {name} restricts federated sign-in with audience conditions.",
                    providers=federated,
                )
    if not found:
        ctx.not_applicable(
            "federated roles",
            "外部IDプロバイダーを信頼するIAMロールはありません。",
            "No IAM role trusts an external identity provider.",
        )
