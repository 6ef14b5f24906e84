"""The evidence datasets: names, scope and the read-only IAM actions behind each.

This is the contract between collectors (which produce datasets) and checks
(which consume them): checks declare the datasets they read, and the kit's
least-privilege IAM policy is derived from these declarations. It imports
nothing from ``aws/`` or ``checks/`` so both can depend on it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

GLOBAL_SCOPE = "global"  # once per account
REGIONAL_SCOPE = "regional"  # once per account and enabled region
DNS_SCOPE = "dns"  # once per domain, no AWS account
ORG_SCOPE_DATA = "organisation"  # once per assessment: the attestation file (account "org"), no AWS account


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    scope: str
    actions: tuple[str, ...]
    description_en: str
    description_ja: str
    # Fields that name a row's resource (matched against a finding's ``resource``), so that the evidence
    # shown under an item is the rows its findings refer to; empty for one-row-per-scope datasets.
    key: tuple[str, ...] = ()
    # For datasets holding every item's rows (the attestation): the field that names the item.
    item_key: str | None = None


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
    DatasetInfo(
        "ses.identities",
        REGIONAL_SCOPE,
        (
            "ses:ListIdentities",
            "ses:GetIdentityDkimAttributes",
            "ses:GetIdentityMailFromDomainAttributes",
            "ses:GetIdentityVerificationAttributes",
        ),
        "Amazon SES identities with their verification, DKIM and custom MAIL FROM settings",
        "Amazon SESのID（検証状態・DKIM・カスタムMAIL FROMドメイン）",
    ),
    # DNS datasets: no AWS permission (actions without ":" never enter the IAM policy).
    DatasetInfo("dns.domain", DNS_SCOPE, ("DNS SOA query",), "The domain exists in DNS", "ドメインのDNS上の存在確認"),
    DatasetInfo(
        "dns.spf",
        DNS_SCOPE,
        ("DNS TXT query",),
        "SPF record, its evaluation (DNS look-ups) and its all mechanism",
        "SPFレコードとその評価（DNS参照回数・all機構）",
    ),
    DatasetInfo(
        "dns.dmarc",
        DNS_SCOPE,
        ("DNS TXT query",),
        "DMARC record at _dmarc.<domain>: policy, subdomain policy, pct and report destinations",
        "_dmarc.<ドメイン> のDMARCレコード（ポリシー・サブドメインポリシー・pct・レポート送付先）",
    ),
    DatasetInfo(
        "dns.dkim",
        DNS_SCOPE,
        ("DNS TXT query",),
        "DKIM public keys of the configured selectors (<selector>._domainkey.<domain>)",
        "指定セレクタのDKIM公開鍵（<セレクタ>._domainkey.<ドメイン>）",
    ),
    DatasetInfo(
        "dns.mta_sts",
        DNS_SCOPE,
        ("DNS TXT query",),
        "MTA-STS announcement at _mta-sts.<domain>",
        "_mta-sts.<ドメイン> のMTA-STSレコード",
    ),
    DatasetInfo(
        "dns.tls_rpt",
        DNS_SCOPE,
        ("DNS TXT query",),
        "SMTP TLS reporting record at _smtp._tls.<domain>",
        "_smtp._tls.<ドメイン> のTLS-RPTレコード",
    ),
    # --- identity and logging beyond the basics (2.3.1) ---
    DatasetInfo(
        "iam.saml_providers",
        GLOBAL_SCOPE,
        ("iam:ListSAMLProviders", "iam:GetSAMLProvider"),
        "SAML identity providers with their signing-certificate expiry",
        "SAML IDプロバイダーと署名証明書の有効期限",
    ),
    DatasetInfo(
        "iam.oidc_providers",
        GLOBAL_SCOPE,
        ("iam:ListOpenIDConnectProviders", "iam:GetOpenIDConnectProvider"),
        "OpenID Connect identity providers with their audiences",
        "OpenID Connect IDプロバイダーと対象者（audience）",
    ),
    DatasetInfo(
        "sso.instances",
        REGIONAL_SCOPE,
        ("sso:ListInstances",),
        "IAM Identity Center instances",
        "IAM Identity Center インスタンス",
    ),
    DatasetInfo(
        "secretsmanager.secrets",
        REGIONAL_SCOPE,
        ("secretsmanager:ListSecrets",),
        "Secrets Manager secrets with their rotation settings",
        "Secrets Managerのシークレットとローテーション設定",
    ),
    DatasetInfo(
        "s3.trail_bucket_protection",
        GLOBAL_SCOPE,
        ("s3:GetBucketVersioning", "s3:GetBucketObjectLockConfiguration"),
        "Tamper resistance of the CloudTrail log buckets (Object Lock, MFA delete)",
        "CloudTrailログ保存先バケットの改ざん防止（オブジェクトロック・MFA削除）",
    ),
    # 2.3 ① defense in depth (collectors_network.py). ec2.security_groups is shared with 2.3.1 ⑤.
    DatasetInfo(
        "ec2.security_groups",
        REGIONAL_SCOPE,
        ("ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"),
        "Security groups with their ingress and egress rules and whether a network interface uses them",
        "セキュリティグループ（インバウンド・アウトバウンドルールとネットワークインターフェースへの関連付け）",
    ),
    DatasetInfo(
        "ec2.network_acls",
        REGIONAL_SCOPE,
        ("ec2:DescribeNetworkAcls",),
        "Network ACLs with their numbered rules and subnet associations",
        "ネットワークACL（番号順のルールとサブネットの関連付け）",
    ),
    DatasetInfo("ec2.vpcs", REGIONAL_SCOPE, ("ec2:DescribeVpcs",), "VPCs (default VPC included)", "VPC（デフォルトVPCを含む）"),
    DatasetInfo(
        "ec2.flow_logs",
        REGIONAL_SCOPE,
        ("ec2:DescribeFlowLogs",),
        "VPC flow logs with their status and destination",
        "VPCフローログ（状態と出力先）",
    ),
    DatasetInfo(
        "ec2.route_tables",
        REGIONAL_SCOPE,
        ("ec2:DescribeRouteTables",),
        "Route tables: which VPCs reach the internet directly, through a transit gateway or an inspection endpoint",
        "ルートテーブル（各VPCのインターネットへの経路: 直接・Transit Gateway経由・検査エンドポイント経由）",
    ),
    DatasetInfo(
        "elbv2.load_balancers",
        REGIONAL_SCOPE,
        ("elasticloadbalancing:DescribeLoadBalancers",),
        "Application, Network and Gateway Load Balancers with their scheme (internet-facing or internal)",
        "ロードバランサー（ALB・NLB・GWLB）とスキーム（インターネット向け・内部）",
    ),
    DatasetInfo(
        "wafv2.web_acl_associations",
        REGIONAL_SCOPE,
        ("wafv2:GetWebACLForResource",),
        "The AWS WAF web ACL of each internet-facing Application Load Balancer",
        "インターネット向けALBごとのAWS WAFウェブACL",
    ),
    DatasetInfo(
        "apigateway.stages",
        REGIONAL_SCOPE,
        ("apigateway:GET",),
        "API Gateway REST API stages with their endpoint type and AWS WAF web ACL",
        "API Gateway REST APIのステージ（エンドポイントタイプとAWS WAFウェブACL）",
    ),
    DatasetInfo(
        "cloudfront.distributions",
        GLOBAL_SCOPE,
        ("cloudfront:ListDistributions",),
        "CloudFront distributions with their AWS WAF web ACL",
        "CloudFrontディストリビューションとAWS WAFウェブACL",
    ),
    DatasetInfo(
        "route53.hosted_zones",
        GLOBAL_SCOPE,
        ("route53:ListHostedZones", "route53:ListQueryLoggingConfigs", "route53:GetDNSSEC"),
        "Route 53 hosted zones with their DNS query logging and DNSSEC signing status",
        "Route 53ホストゾーン（DNSクエリログとDNSSEC署名の状態）",
    ),
    DatasetInfo(
        "guardduty.detectors",
        REGIONAL_SCOPE,
        ("guardduty:ListDetectors", "guardduty:GetDetector"),
        "GuardDuty detectors and their status",
        "GuardDuty検出器とその状態",
    ),
    DatasetInfo(
        "network_firewall.firewalls",
        REGIONAL_SCOPE,
        ("network-firewall:ListFirewalls", "network-firewall:DescribeFirewall"),
        "AWS Network Firewall firewalls and the VPC each protects",
        "AWS Network Firewallのファイアウォールと保護対象VPC",
    ),
    # Attested (organisational) evidence: the customer's attestation file, no AWS permission.
    DatasetInfo(
        "attestation.file",
        ORG_SCOPE_DATA,
        ("attestation file",),
        "The attestation file: name, format, SHA-256, who prepared it and when",
        "回答ファイル（ファイル名・形式・SHA-256・回答者・回答日）",
    ),
    DatasetInfo(
        "attestation.documents",
        ORG_SCOPE_DATA,
        ("attestation file",),
        "Attested documents per item: title, approver, approval date, last review date, location",
        "項目ごとの回答文書（文書名・承認者・承認日・最終見直し日・保管場所）",
    ),
    DatasetInfo(
        "attestation.answers",
        ORG_SCOPE_DATA,
        ("attestation file",),
        "Attested answers per item and question",
        "項目・質問ごとの回答",
    ),
]

_ROW_KEYS: dict[str, tuple[str, ...]] = {
    "ec2.regions": ("region",),
    "iam.credential_report": ("user", "arn"),
    "iam.authorization_details": ("name", "arn"),
    "cloudtrail.trails": ("name", "arn", "s3_bucket"),
    "cloudtrail.trail_status": ("name", "arn"),
    "s3.trail_bucket_exposure": ("bucket",),
    "s3.trail_bucket_protection": ("bucket",),
    "ses.identities": ("identity",),
    "dns.domain": ("domain",),
    "dns.spf": ("name",),
    "dns.dmarc": ("name",),
    "dns.dkim": ("name", "selector"),
    "dns.mta_sts": ("name",),
    "dns.tls_rpt": ("name",),
    "iam.saml_providers": ("name", "arn"),
    "iam.oidc_providers": ("url", "arn"),
    "sso.instances": ("instance_arn",),
    "secretsmanager.secrets": ("name", "arn"),
    "ec2.security_groups": ("group_id",),
    "ec2.network_acls": ("network_acl_id",),
    "ec2.vpcs": ("vpc_id",),
    "ec2.flow_logs": ("resource_id", "flow_log_id"),
    "ec2.route_tables": ("vpc_id", "route_table_id"),
    "elbv2.load_balancers": ("name", "arn"),
    "wafv2.web_acl_associations": ("resource_name", "resource_arn"),
    "apigateway.stages": ("stage_name", "arn"),
    "cloudfront.distributions": ("id", "arn"),
    "route53.hosted_zones": ("name", "zone_id"),
    "guardduty.detectors": ("detector_id",),
    "network_firewall.firewalls": ("vpc_id", "name"),
}
_ITEM_KEYS: dict[str, str] = {"attestation.documents": "control_id", "attestation.answers": "control_id"}

DATASETS: dict[str, DatasetInfo] = {
    d.name: replace(d, key=_ROW_KEYS.get(d.name, ()), item_key=_ITEM_KEYS.get(d.name)) for d in _DATASETS
}

# Actions the collection itself needs, whatever the checks: identify the caller, list enabled regions.
BASE_ACTIONS = ("sts:GetCallerIdentity", "ec2:DescribeRegions")
# Only for multi-account runs, on the caller's side: list the organisation, assume the audit role.
MULTI_ACCOUNT_ACTIONS = ("organizations:ListAccounts", "sts:AssumeRole")


def actions_for(datasets: tuple[str, ...] | list[str]) -> list[str]:
    """Sorted IAM actions needed to gather ``datasets``."""
    return sorted({action for name in datasets for action in DATASETS[name].actions})
