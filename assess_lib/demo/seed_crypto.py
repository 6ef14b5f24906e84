"""デモ銀行's keys, certificates, TLS endpoints, WAF rules and DDoS protection (2.3.3 ①, 2.3.4.4 ①③ a).

Builds on seed_network (its load balancers, REST API, web ACLs and CloudFront distributions) and says next to each
resource which check it is meant to pass or fail.

Emulator notes: moto marks an ACM certificate "in use" by the load balancer listeners that name it, as AWS does;
it serves Shield, so nothing here needs the unserved-API layer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


TOKYO, VIRGINIA = "ap-northeast-1", "us-east-1"
_VISIBILITY = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "demo-bank"}


def _certificate(domain: str, days_left: int, weak: bool = False) -> dict[str, bytes]:
    """A self-signed certificate for ``domain`` valid for ``days_left`` more days: EC P-256, or RSA 1024 when weak."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    key: Any = rsa.generate_private_key(public_exponent=65537, key_size=1024) if weak else ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=300))
        .not_valid_after(now + dt.timedelta(days=days_left))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return {
        "Certificate": cert.public_bytes(serialization.Encoding.PEM),
        "PrivateKey": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ),
    }


def _import(clients: Any, region: str, domain: str, days_left: int, weak: bool = False) -> str:
    return clients("acm", region).import_certificate(**_certificate(domain, days_left, weak))["CertificateArn"]


def seed_keys(clients: Any) -> None:
    kms = clients("kms", TOKYO)
    # Customer data key rotating yearly (kms_key_rotation pass, kms_key_spec pass).
    core = kms.create_key(Description="demo-bank core banking data")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/demo-bank-core-data", TargetKeyId=core)
    kms.enable_key_rotation(KeyId=core)
    # Batch file key never rotated (kms_key_rotation fail).
    batch = kms.create_key(Description="demo-bank batch transfer files")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/demo-bank-batch-files", TargetKeyId=batch)
    # Signing key on secp256k1, a curve outside the CRYPTREC criteria (kms_key_spec fail).
    legacy = kms.create_key(Description="demo-bank legacy token signing", KeyUsage="SIGN_VERIFY", KeySpec="ECC_SECG_P256K1")[
        "KeyMetadata"
    ]["KeyId"]
    kms.create_alias(AliasName="alias/demo-bank-legacy-token-signing", TargetKeyId=legacy)


def seed_certificates(clients: Any) -> dict[str, str]:
    """Imported certificates in Tokyo, served by seed_network's internet-facing ALBs (seed_listeners)."""
    return {
        # EC P-256 key, a year left (acm_certificate_expiry pass, acm_certificate_strength pass).
        "www": _import(clients, TOKYO, "ib.demo-bank.example.jp", 365),
        # Expires in 12 days, imported: ACM cannot renew it (acm_certificate_expiry fail).
        "expiring": _import(clients, TOKYO, "files.demo-bank.example.jp", 12),
        # RSA 1024 (acm_certificate_strength fail).
        "weak": _import(clients, TOKYO, "campaign.demo-bank.example.jp", 200, weak=True),
    }


def seed_listeners(clients: Any, certificates: dict[str, str]) -> None:
    """TLS and plain-HTTP listeners on seed_network's internet-facing ALBs."""
    elb = clients("elbv2", TOKYO)
    balancers = {lb["LoadBalancerName"]: lb for lb in elb.describe_load_balancers()["LoadBalancers"]}
    redirect = {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
    for name, policy, tls_ports, http_redirect in (
        # Internet banking and its partner file exchange (8443): TLS 1.2+ with forward-secret AEAD suites only,
        # HTTP redirected to HTTPS (tls_policy_cryptrec and plaintext_http_endpoints pass).
        ("demo-bank-ib-alb", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06", {443: "www", 8443: "expiring"}, True),
        # Campaign site: the 2016 policy still offers TLS 1.0/1.1, and plain HTTP is served (both fail).
        ("demo-bank-campaign-alb", "ELBSecurityPolicy-2016-08", {443: "weak"}, False),
    ):
        lb = balancers[name]
        group = elb.create_target_group(Name=f"{name[:24]}-tg", Protocol="HTTP", Port=8080, VpcId=lb["VpcId"])
        forward = {"Type": "forward", "TargetGroupArn": group["TargetGroups"][0]["TargetGroupArn"]}
        arn = lb["LoadBalancerArn"]
        for port, certificate in tls_ports.items():
            elb.create_listener(
                LoadBalancerArn=arn,
                Protocol="HTTPS",
                Port=port,
                SslPolicy=policy,
                Certificates=[{"CertificateArn": certificates[certificate]}],
                DefaultActions=[forward],
            )
        elb.create_listener(
            LoadBalancerArn=arn, Protocol="HTTP", Port=80, DefaultActions=[redirect if http_redirect else forward]
        )


def seed_api_domains(clients: Any, certificate: str) -> None:
    apigw = clients("apigateway", TOKYO)
    # Open API (FAPI): TLS 1.2 only (tls_policy_cryptrec pass); the old partner API domain still allows TLS 1.0 (fail).
    for domain, policy in (("api.demo-bank.example.jp", "TLS_1_2"), ("partner-api.demo-bank.example.jp", "TLS_1_0")):
        apigw.create_domain_name(
            domainName=domain,
            regionalCertificateArn=certificate,
            endpointConfiguration={"types": ["REGIONAL"]},
            securityPolicy=policy,
        )


def _managed(name: str, priority: int) -> dict[str, Any]:
    return {
        "Name": name,
        "Priority": priority,
        "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name}},
        "OverrideAction": {"None": {}},
        "VisibilityConfig": {**_VISIBILITY, "MetricName": name},
    }


def _set_rules(clients: Any, region: str, scope: str, name: str, rules: list[dict[str, Any]]) -> None:
    waf = clients("wafv2", region)
    summary = next(a for a in waf.list_web_acls(Scope=scope)["WebACLs"] if a["Name"] == name)
    waf.update_web_acl(
        Name=name,
        Scope=scope,
        Id=summary["Id"],
        LockToken=summary["LockToken"],
        DefaultAction={"Allow": {}},
        Rules=rules,
        VisibilityConfig=_VISIBILITY,
    )


def seed_waf_rules(clients: Any) -> None:
    # Tokyo web ACL (internet banking ALB, open API stage): AWS managed core and known-bad-input rules and a
    # rate limit (waf_managed_rules pass, waf_rate_based_rules pass).
    rate = {
        "Name": "demo-bank-rate-limit",
        "Priority": 0,
        "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}},
        "Action": {"Block": {}},
        "VisibilityConfig": {**_VISIBILITY, "MetricName": "rate-limit"},
    }
    managed = [_managed("AWSManagedRulesCommonRuleSet", 1), _managed("AWSManagedRulesKnownBadInputsRuleSet", 2)]
    _set_rules(clients, TOKYO, "REGIONAL", "demo-bank-web-acl", [rate, *managed])
    # CloudFront web ACL (public site): only an IP block list, no managed rules and no rate limit (both fail).
    ip_set = clients("wafv2", VIRGINIA).create_ip_set(
        Name="demo-bank-blocked-ips", Scope="CLOUDFRONT", IPAddressVersion="IPV4", Addresses=["198.51.100.0/24"]
    )["Summary"]["ARN"]
    blocklist = {
        "Name": "demo-bank-ip-blocklist",
        "Priority": 0,
        "Statement": {"IPSetReferenceStatement": {"ARN": ip_set}},
        "Action": {"Block": {}},
        "VisibilityConfig": {**_VISIBILITY, "MetricName": "ip-blocklist"},
    }
    _set_rules(clients, VIRGINIA, "CLOUDFRONT", "demo-bank-cloudfront-acl", [blocklist])


def seed_cloudfront_tls(clients: Any) -> None:
    """Viewer TLS on seed_network's distributions: the public site on its own certificate with TLSv1.2_2021 (pass);
    the campaign site on the default certificate (TLS 1.0 accepted: fail) and plain HTTP allowed (fail)."""
    cloudfront = clients("cloudfront", VIRGINIA)
    certificate = _import(clients, VIRGINIA, "www.demo-bank.example.jp", 365)
    for item in cloudfront.list_distributions()["DistributionList"]["Items"]:
        current = cloudfront.get_distribution_config(Id=item["Id"])
        config = current["DistributionConfig"]
        if config["CallerReference"] == "demo-bank-www":
            config["Aliases"] = {"Quantity": 1, "Items": ["www.demo-bank.example.jp"]}
            config["ViewerCertificate"] = {
                "CloudFrontDefaultCertificate": False,
                "ACMCertificateArn": certificate,
                "SSLSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            }
        else:
            config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] = "allow-all"
        cloudfront.update_distribution(Id=item["Id"], IfMatch=current["ETag"], DistributionConfig=config)


def seed_shield(clients: Any) -> None:
    """Shield Advanced subscribed; internet banking's ALB and the public site registered (shield_advanced pass),
    the campaign ALB and distribution not (fail)."""
    shield = clients("shield", VIRGINIA)
    shield.create_subscription()
    alb = next(
        lb["LoadBalancerArn"]
        for lb in clients("elbv2", TOKYO).describe_load_balancers()["LoadBalancers"]
        if lb["LoadBalancerName"] == "demo-bank-ib-alb"
    )
    www = next(
        d["ARN"]
        for d in clients("cloudfront", VIRGINIA).list_distributions()["DistributionList"]["Items"]
        if "www.demo-bank.example.jp" in (d.get("Aliases") or {}).get("Items", [])
    )
    for name, arn in (("demo-bank-internet-banking", alb), ("demo-bank-www", www)):
        shield.create_protection(Name=name, ResourceArn=arn)


def seed_crypto(clients: Any) -> None:
    """Create デモ銀行's KMS keys, certificates, TLS listeners and domains, WAF rules and Shield (after seed_network)."""
    seed_keys(clients)
    certificates = seed_certificates(clients)
    seed_listeners(clients, certificates)
    seed_api_domains(clients, certificates["www"])
    seed_waf_rules(clients)
    seed_cloudfront_tls(clients)
    seed_shield(clients)
