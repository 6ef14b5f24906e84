"""Collectors for cryptography and the internet edge (guideline 2.3.3 keys and certificates, 2.3.4.4 network).

KMS keys, ACM certificates, the TLS listeners of internet-facing load balancers, API Gateway custom domains,
WAF web ACLs with their rules and the Shield Advanced subscription. Rows are plain facts, declared with their IAM
actions in ``collectors_crypto.datasets.yaml``. Listings are paginated; where AWS has no bulk read (a key's
details and rotation, a certificate's details, a load balancer's listeners, a web ACL's rules) one call per
resource is unavoidable and said so on the collector.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .collectors import HOME_REGION, AccountContext, Calls, _error_code, collector, waf_pages

_SAMPLE = 20  # resources listed per certificate (in_use stays exact)


# --- KMS -------------------------------------------------------------------------------------------


@collector("kms.keys")
def collect_kms_keys(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per KMS key of the region.

    AWS managed keys are known from their ``alias/aws/...`` alias (one ListAliases for the region) and are not
    described further; every other key needs DescribeKey (no bulk call exists), and an enabled customer managed
    symmetric key also GetKeyRotationStatus.
    """
    aliases: dict[str, list[str]] = {}
    for page in calls.paginate("kms", "list_aliases"):
        for alias in page.get("Aliases", []):
            if alias.get("TargetKeyId"):
                aliases.setdefault(alias["TargetKeyId"], []).append(alias["AliasName"])
    rows = []
    for page in calls.paginate("kms", "list_keys"):
        for item in page.get("Keys", []):
            key_id = item["KeyId"]
            names = sorted(aliases.get(key_id, []))
            if any(name.startswith("alias/aws/") for name in names):
                rows.append(_key_row(key_id, item.get("KeyArn"), names, {"KeyManager": "AWS"}, None, None))
                continue
            try:
                meta = calls.call("kms", "describe_key", KeyId=key_id).get("KeyMetadata") or {}
            except ClientError as err:
                if _error_code(err) == "NotFoundException":
                    continue  # deleted between the two calls
                raise
            rotation, period = None, None
            if (
                meta.get("KeyManager") == "CUSTOMER"
                and meta.get("KeyState") == "Enabled"
                and meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
                and meta.get("Origin", "AWS_KMS") == "AWS_KMS"
            ):
                status = calls.call("kms", "get_key_rotation_status", KeyId=key_id)
                rotation = bool(status.get("KeyRotationEnabled"))
                period = status.get("RotationPeriodInDays")
            rows.append(_key_row(key_id, item.get("KeyArn"), names, meta, rotation, period))
    return rows


def _key_row(
    key_id: str, arn: str | None, aliases: list[str], meta: dict[str, Any], rotation: bool | None, period: Any
) -> dict[str, Any]:
    return {
        "key_id": key_id,
        "arn": meta.get("Arn") or arn,
        "aliases": aliases,
        "manager": meta.get("KeyManager"),  # CUSTOMER | AWS
        "state": meta.get("KeyState"),
        "key_spec": meta.get("KeySpec"),
        "key_usage": meta.get("KeyUsage"),
        "origin": meta.get("Origin"),  # AWS_KMS | EXTERNAL | AWS_CLOUDHSM | EXTERNAL_KEY_STORE
        "multi_region": meta.get("MultiRegion"),
        "description": meta.get("Description") or None,
        "rotation_enabled": rotation,  # None: not asked (not an enabled customer managed symmetric AWS_KMS key)
        "rotation_period_days": period,
    }


# --- ACM -------------------------------------------------------------------------------------------


@collector("acm.certificates")
def collect_certificates(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per ACM certificate of the region, every key type (ListCertificates alone returns RSA_2048 only).

    DescribeCertificate per certificate (no bulk call) gives the signature algorithm, the resources using it
    and the renewal state.
    """
    key_types = calls.client("acm").meta.service_model.shape_for("KeyAlgorithm").enum
    rows = []
    for page in calls.paginate("acm", "list_certificates", Includes={"keyTypes": list(key_types)}):
        for summary in page.get("CertificateSummaryList", []):
            try:
                cert = (
                    calls.call("acm", "describe_certificate", CertificateArn=summary["CertificateArn"]).get("Certificate") or {}
                )
            except ClientError as err:
                if _error_code(err) == "ResourceNotFoundException":
                    continue  # deleted between the two calls
                raise
            in_use_by = list(cert.get("InUseBy") or [])
            rows.append(
                {
                    "arn": summary["CertificateArn"],
                    "domain_name": cert.get("DomainName") or summary.get("DomainName"),
                    "type": cert.get("Type"),  # AMAZON_ISSUED | IMPORTED | PRIVATE
                    "status": cert.get("Status"),
                    "key_algorithm": cert.get("KeyAlgorithm"),
                    "signature_algorithm": cert.get("SignatureAlgorithm"),
                    "not_after": cert.get("NotAfter"),
                    "in_use": bool(in_use_by) or bool(summary.get("InUse")),
                    "in_use_by": in_use_by[:_SAMPLE],
                    "renewal_eligibility": cert.get("RenewalEligibility"),
                    "renewal_status": (cert.get("RenewalSummary") or {}).get("RenewalStatus"),
                }
            )
    return rows


# --- Elastic Load Balancing: listeners and their TLS policies --------------------------------------


_TLS_PROTOCOLS = ("HTTPS", "TLS")  # listeners that terminate TLS (others carry no policy)


@collector("elbv2.listeners")
def collect_listeners(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The listeners of every internet-facing load balancer, each with its TLS policy's protocols and ciphers.

    DescribeListeners takes one load balancer at a time (no bulk call); the policies in use are described in
    one DescribeSSLPolicies call for the region.
    """
    rows = []
    for lb in ctx.rows_or_raise("elbv2.load_balancers", region):
        if lb.get("scheme") != "internet-facing" or lb.get("type") not in ("application", "network"):
            continue
        for page in calls.paginate("elbv2", "describe_listeners", LoadBalancerArn=lb["arn"]):
            for listener in page.get("Listeners", []):
                redirect = next(
                    (a.get("RedirectConfig") or {} for a in listener.get("DefaultActions", []) if a.get("Type") == "redirect"),
                    None,
                )
                rows.append(
                    {
                        "listener_arn": listener["ListenerArn"],
                        "load_balancer_arn": lb["arn"],
                        "load_balancer_name": lb.get("name"),
                        "load_balancer_type": lb.get("type"),
                        "port": listener.get("Port"),
                        "protocol": listener.get("Protocol"),  # HTTP | HTTPS | TCP | TLS | UDP | TCP_UDP
                        "ssl_policy": listener.get("SslPolicy") if listener.get("Protocol") in _TLS_PROTOCOLS else None,
                        "certificate_arns": [
                            c["CertificateArn"] for c in listener.get("Certificates", []) if c.get("CertificateArn")
                        ],
                        "default_actions": [a.get("Type") for a in listener.get("DefaultActions", [])],
                        "redirect_protocol": (redirect or {}).get("Protocol") if redirect is not None else None,
                    }
                )
    used = sorted({row["ssl_policy"] for row in rows if row["ssl_policy"]})
    policies: dict[str, dict[str, Any]] = {}
    if used:
        for policy in calls.call("elbv2", "describe_ssl_policies", Names=used).get("SslPolicies", []):
            ciphers = sorted(policy.get("Ciphers", []), key=lambda c: c.get("Priority") or 0)
            policies[policy["Name"]] = {
                "protocols": list(policy.get("SslProtocols", [])),
                "ciphers": [c["Name"] for c in ciphers if c.get("Name")],
            }
    for row in rows:
        policy = policies.get(row["ssl_policy"] or "")
        row["ssl_protocols"] = policy["protocols"] if policy else None
        row["ssl_ciphers"] = policy["ciphers"] if policy else None
    return rows


# --- API Gateway custom domains --------------------------------------------------------------------


@collector("apigateway.domain_names")
def collect_domain_names(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """API Gateway custom domain names (REST and HTTP APIs share them) with their TLS security policy."""
    rows = []
    for page in calls.paginate("apigateway", "get_domain_names"):
        for domain in page.get("items", []):
            rows.append(
                {
                    "domain_name": domain["domainName"],
                    "endpoint_types": (domain.get("endpointConfiguration") or {}).get("types") or [],
                    "security_policy": domain.get("securityPolicy"),  # TLS_1_0 | TLS_1_2 | ...
                    "certificate_arn": domain.get("regionalCertificateArn") or domain.get("certificateArn"),
                    "status": domain.get("domainNameStatus"),
                }
            )
    return rows


# --- WAF: web ACLs and their rules -----------------------------------------------------------------


def _statement_kinds(statement: dict[str, Any]) -> tuple[list[dict[str, Any]], bool, list[str]]:
    """(managed rule groups, has a rate-based statement, rule group references) found in one rule's statement."""
    managed = statement.get("ManagedRuleGroupStatement")
    if managed:
        return [{"vendor": managed.get("VendorName"), "name": managed.get("Name")}], False, []
    if "RateBasedStatement" in statement:
        return [], True, []
    reference = statement.get("RuleGroupReferenceStatement")
    return [], False, [reference["ARN"]] if reference and reference.get("ARN") else []


def _web_acls(calls: Calls, scope: str, region: str) -> list[dict[str, Any]]:
    """Every web ACL of ``scope`` with its rules summarised; GetWebACL per ACL (ListWebACLs gives no rules)."""
    rows = []
    for item in waf_pages(calls, "list_web_acls", "WebACLs", scope, region):
        try:
            acl = calls.call("wafv2", "get_web_acl", region=region, Name=item["Name"], Scope=scope, Id=item["Id"])
        except ClientError as err:
            if _error_code(err) == "WAFNonexistentItemException":
                continue  # deleted between the two calls
            raise
        rows.append(_acl_row(acl.get("WebACL") or {}, scope))
    return rows


def _acl_row(acl: dict[str, Any], scope: str) -> dict[str, Any]:
    rules = []
    for rule in acl.get("Rules", []) or []:
        managed, rate_based, references = _statement_kinds(rule.get("Statement") or {})
        action = next(iter(rule.get("Action") or {}), None)  # Block | Allow | Count | Captcha | Challenge
        override = next(iter(rule.get("OverrideAction") or {}), None)  # rule groups: None | Count
        rules.append(
            {
                "name": rule.get("Name"),
                "action": (action or override or "").lower() or None,
                "managed_rule_groups": managed,
                "rate_based": rate_based,
                "rule_group_arns": references,
            }
        )
    return {
        "arn": acl.get("ARN"),
        "name": acl.get("Name"),
        "id": acl.get("Id"),
        "scope": scope,
        "default_action": next(iter(acl.get("DefaultAction") or {}), "").lower() or None,
        "rules": rules,
    }


@collector("wafv2.web_acls")
def collect_regional_web_acls(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The region's web ACLs (REGIONAL scope: ALB, API Gateway...) with their rules."""
    return _web_acls(calls, "REGIONAL", region)


@collector("wafv2.cloudfront_web_acls")
def collect_cloudfront_web_acls(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The account's CloudFront web ACLs (CLOUDFRONT scope, kept in us-east-1) with their rules."""
    return _web_acls(calls, "CLOUDFRONT", HOME_REGION)


# --- Shield Advanced ------------------------------------------------------------------------------


@collector("shield.subscription")
def collect_shield(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row: whether the account subscribes to Shield Advanced and which resources it protects."""
    try:
        subscription = calls.call("shield", "describe_subscription", region=HOME_REGION).get("Subscription") or {}
    except ClientError as err:
        if _error_code(err) != "ResourceNotFoundException":
            raise
        return [{"subscribed": False, "end_time": None, "auto_renew": None, "protection_count": 0, "protected": []}]
    protected: list[str] = []
    for page in calls.paginate("shield", "list_protections", region=HOME_REGION):
        protected.extend(p["ResourceArn"] for p in page.get("Protections", []) if p.get("ResourceArn"))
    return [
        {
            "subscribed": True,
            "end_time": subscription.get("EndTime"),
            "auto_renew": subscription.get("AutoRenew"),
            "protection_count": len(protected),
            "protected": protected,
        }
    ]
