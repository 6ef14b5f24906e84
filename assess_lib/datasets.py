"""The evidence datasets: names, scope and the read-only IAM actions behind each.

This is the contract between collectors (which produce datasets) and checks
(which consume them): checks declare the datasets they read, and the kit's
least-privilege IAM policy is derived from these declarations. It imports
nothing from ``aws/`` or ``checks/`` so both can depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass

GLOBAL_SCOPE = "global"  # once per account
REGIONAL_SCOPE = "regional"  # once per account and enabled region
DNS_SCOPE = "dns"  # once per domain, no AWS account


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    scope: str
    actions: tuple[str, ...]
    description_en: str
    description_ja: str


_DATASETS = [
    DatasetInfo(
        "ec2.regions",
        GLOBAL_SCOPE,
        ("ec2:DescribeRegions",),
        "Regions enabled for the account",
        "アカウントで有効なリージョン",
    ),
    DatasetInfo(
        "iam.credential_report",
        GLOBAL_SCOPE,
        ("iam:GenerateCredentialReport", "iam:GetCredentialReport"),
        "IAM credential report: every user's password, MFA and access keys",
        "IAM認証情報レポート（全ユーザーのパスワード・MFA・アクセスキー）",
    ),
    DatasetInfo(
        "iam.account_summary",
        GLOBAL_SCOPE,
        ("iam:GetAccountSummary",),
        "IAM account summary (root MFA and root access keys)",
        "IAMアカウントサマリー（ルートのMFA・アクセスキー）",
    ),
    DatasetInfo(
        "iam.password_policy",
        GLOBAL_SCOPE,
        ("iam:GetAccountPasswordPolicy",),
        "Account password policy",
        "アカウントのパスワードポリシー",
    ),
    DatasetInfo(
        "iam.authorization_details",
        GLOBAL_SCOPE,
        ("iam:GetAccountAuthorizationDetails",),
        "Users, groups, roles and policies with their attachments",
        "ユーザー・グループ・ロール・ポリシーとそのアタッチ状況",
    ),
    DatasetInfo(
        "cloudtrail.trails",
        REGIONAL_SCOPE,
        ("cloudtrail:DescribeTrails",),
        "CloudTrail trails visible in the region (including multi-region trails)",
        "リージョンから見えるCloudTrail証跡（マルチリージョン証跡を含む）",
    ),
    DatasetInfo(
        "cloudtrail.trail_status",
        REGIONAL_SCOPE,
        ("cloudtrail:GetTrailStatus",),
        "Logging status of the trails whose home region this is",
        "ホームリージョンの証跡のログ記録状態",
    ),
    DatasetInfo(
        "s3.trail_bucket_exposure",
        GLOBAL_SCOPE,
        (
            "s3:GetBucketPublicAccessBlock",
            "s3:GetBucketPolicyStatus",
            "s3:GetBucketAcl",
            "s3:GetAccountPublicAccessBlock",
        ),
        "Public exposure of the S3 buckets that receive CloudTrail logs",
        "CloudTrailログ保存先S3バケットの公開状態",
    ),
]

DATASETS: dict[str, DatasetInfo] = {d.name: d for d in _DATASETS}

# Actions the collection itself needs, whatever the checks: identify the caller, list enabled regions.
BASE_ACTIONS = ("sts:GetCallerIdentity", "ec2:DescribeRegions")
# Only for multi-account runs, on the caller's side: list the organisation, assume the audit role.
MULTI_ACCOUNT_ACTIONS = ("organizations:ListAccounts", "sts:AssumeRole")


def actions_for(datasets: tuple[str, ...] | list[str]) -> list[str]:
    """Sorted IAM actions needed to gather ``datasets``."""
    return sorted({action for name in datasets for action in DATASETS[name].actions})
