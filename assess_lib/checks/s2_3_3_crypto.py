"""Checks for guideline item 2.3.3 ① (encryption methods, keys and certificates through their life cycle) and
2.3.4.4 ③ (encryption protecting communications): KMS keys, ACM certificates and TLS on internet endpoints.

Algorithms are judged against the CRYPTREC Ciphers List, which the guideline names, through the data table
``catalog/cryptrec_tls.yaml`` (read by :mod:`._cryptrec`): an edition of the list or a new AWS policy is an edit
of that file. Each finding names one key, certificate or endpoint and one reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..evidence import EvidenceUnavailable
from . import _cryptrec as cryptrec
from . import check, failed, manual, passed
from .answers import listing
from .context import CheckContext, parse_time
from .result import GLOBAL, Result
from ..core.text import Phrase

LISTENERS = "elbv2.listeners"
DOMAINS = "apigateway.domain_names"
DISTRIBUTIONS = "cloudfront.distributions"
_ACCEPTED = (cryptrec.RECOMMENDED, cryptrec.CANDIDATE)


def _key_name(key: dict[str, Any]) -> str:
    aliases = key.get("aliases") or []
    return f"{aliases[0]} ({key['key_id']})" if aliases else str(key["key_id"])


def _customer_keys(ctx: CheckContext) -> list[dict[str, Any]]:
    return [k for k in ctx.rows("kms.keys") if k.get("manager") == "CUSTOMER" and k.get("state") == "Enabled"]


@check("kms_key_rotation")
def kms_key_rotation(ctx: CheckContext) -> Iterator[Result]:
    """Every enabled customer managed symmetric key with KMS key material rotates, at least as often as the parameter."""
    most = ctx.params["kms_rotation_max_days"]
    for key in _customer_keys(ctx):
        if key.get("rotation_enabled") is None:
            continue  # asymmetric, HMAC or imported/external key material: KMS cannot rotate it automatically
        facts = {"key_id": key["key_id"], "arn": key.get("arn"), "aliases": key.get("aliases") or []}
        period = key.get("rotation_period_days")
        if not key["rotation_enabled"]:
            yield failed(_key_name(key), **facts)
        elif isinstance(period, int) and period > most:
            yield failed(_key_name(key), "fail_period", severity="low", period=period, **facts)
        else:
            yield passed(_key_name(key), period=period or 365, **facts)  # 365: AWS's period when none is returned


@check("kms_key_spec")
def kms_key_spec(ctx: CheckContext) -> Iterator[Result]:
    """Enabled customer managed keys use a key spec whose algorithm and size the CRYPTREC list accepts."""
    for key in _customer_keys(ctx):
        spec = key.get("key_spec") or "SYMMETRIC_DEFAULT"
        standing = cryptrec.standing("kms_key_specs", spec)
        facts = {"key_id": key["key_id"], "arn": key.get("arn"), "key_spec": spec, "key_usage": key.get("key_usage")}
        if standing in _ACCEPTED:
            yield passed(_key_name(key), **facts)
        elif standing == cryptrec.UNKNOWN:
            yield manual(_key_name(key), "unknown", source=cryptrec.source(), **facts)
        else:
            yield failed(_key_name(key), source=cryptrec.source(), **facts)


def _certificates_in_use(ctx: CheckContext) -> list[dict[str, Any]]:
    """Certificates some resource uses: the ones a weakness or an expiry can harm."""
    return [c for c in ctx.rows("acm.certificates") if c.get("in_use")]


def _cert_name(cert: dict[str, Any]) -> str:
    return f"{cert.get('domain_name')} ({str(cert['arn']).rsplit('/', 1)[-1]})"


def _users(cert: dict[str, Any]) -> str:
    return ", ".join(str(u).rsplit(":", 1)[-1] for u in (cert.get("in_use_by") or [])[:3]) or "-"


@check("acm_certificate_expiry")
def acm_certificate_expiry(ctx: CheckContext) -> Iterator[Result]:
    """Certificates in use are valid for more than ``certificate_expiry_warning_days`` (imported ones are never
    renewed by ACM; ACM-issued ones still close to expiry are failing to renew)."""
    warn = ctx.params["certificate_expiry_warning_days"]
    for cert in _certificates_in_use(ctx):
        expires = parse_time(cert.get("not_after"))
        if expires is None:
            continue  # not issued yet: nothing expires
        days_left = (expires - ctx.now).days
        facts = {
            "arn": cert["arn"],
            "type": cert.get("type"),
            "expires": expires.date().isoformat(),
            "days_left": days_left,
            "users": _users(cert),
            "renewal_status": cert.get("renewal_status") or "-",
        }
        if days_left < 0 or cert.get("status") == "EXPIRED":
            yield failed(_cert_name(cert), "fail_expired", severity="high", **facts)
        elif days_left <= warn:
            key = "fail_imported" if cert.get("type") == "IMPORTED" else "fail_renewal"
            yield failed(_cert_name(cert), key, **facts)
        else:
            yield passed(_cert_name(cert), **facts)


@check("acm_certificate_strength")
def acm_certificate_strength(ctx: CheckContext) -> Iterator[Result]:
    """Certificates in use have a key and a signature algorithm on the CRYPTREC list (RSA at least 2048 bits)."""
    for cert in _certificates_in_use(ctx):
        key, signature = cert.get("key_algorithm"), cert.get("signature_algorithm")
        key_ok = cryptrec.standing("certificate_keys", key)
        signature_ok = cryptrec.standing("certificate_signatures", signature)
        facts = {"arn": cert["arn"], "key_algorithm": key, "signature_algorithm": signature, "users": _users(cert)}
        bad = [
            Phrase(message, value=value)
            for message, value, standing in (("weak_key", key, key_ok), ("weak_signature", signature, signature_ok))
            if standing in (cryptrec.MONITORED, cryptrec.UNLISTED)
        ]
        if bad:
            yield failed(_cert_name(cert), problems=listing(bad), source=cryptrec.source(), **facts)
        elif cryptrec.UNKNOWN in (key_ok, signature_ok):
            yield manual(_cert_name(cert), "unknown", **facts)
        else:
            yield passed(_cert_name(cert), **facts)


# --- TLS on internet endpoints ---------------------------------------------------------------------------


def _tls_result(
    ctx: CheckContext, resource: str, endpoint: Phrase, policy: str, protocols: list[str], ciphers: list[str], **facts: Any
) -> Result:
    """One endpoint's TLS policy judged against the list: old protocols or unlisted suites fail; suites on the
    monitored list fail only when the parameter says so."""
    verdict = cryptrec.judge_tls(protocols, ciphers)
    allow_monitored = bool(ctx.params["tls_allow_monitored_ciphers"])
    region = facts.pop("region", GLOBAL)
    base = {"endpoint": endpoint, "policy": policy, "protocols": protocols, "source": cryptrec.source(), **facts}
    problems: list[Phrase] = []
    if verdict.old_protocols:
        problems.append(Phrase("old_protocols", items=", ".join(verdict.old_protocols), minimum=cryptrec.min_protocol()))
    if verdict.unlisted:
        problems.append(Phrase("unlisted_suites", items=", ".join(verdict.unlisted)))
    if verdict.monitored and not allow_monitored:
        problems.append(Phrase("monitored_suites", items=", ".join(verdict.monitored)))
    if problems:
        severity = "high" if verdict.old_protocols else "medium" if verdict.unlisted else "low"
        return failed(resource, region=region, severity=severity, problems=listing(problems), **base)
    if verdict.unknown:
        return manual(resource, "unknown_suites", region=region, items=", ".join(verdict.unknown), **base)
    if verdict.monitored:
        return passed(resource, "pass_monitored", region=region, items=", ".join(verdict.monitored), **base)
    return passed(resource, region=region, **base)


def _tls_regional(ctx: CheckContext, region: str) -> list[Result]:
    listeners, domains = ctx.rows(LISTENERS, region), ctx.rows(DOMAINS, region)
    results: list[Result] = []
    for listener in listeners:
        if listener.get("protocol") not in ("HTTPS", "TLS"):
            continue
        name, port, policy = listener.get("load_balancer_name"), listener.get("port"), listener.get("ssl_policy") or ""
        kind = "endpoint_alb" if listener.get("load_balancer_type") == "application" else "endpoint_nlb"
        endpoint = Phrase(kind, name=name, protocol=listener.get("protocol"), port=port)
        facts = {"listener_arn": listener["listener_arn"], "region": region}
        if listener.get("ssl_protocols") is None:  # a policy DescribeSSLPolicies did not return
            results.append(manual(f"{name}:{port}", "unknown_policy", endpoint=endpoint, policy=policy, **facts))
            continue
        protocols, ciphers = list(listener["ssl_protocols"]), list(listener.get("ssl_ciphers") or [])
        results.append(_tls_result(ctx, f"{name}:{port}", endpoint, policy, protocols, ciphers, **facts))
    for domain in domains:
        policy = domain.get("security_policy") or "TLS_1_0"  # AWS's default when none is set
        endpoint = Phrase("endpoint_api", name=domain["domain_name"])
        known = cryptrec.named_policy("apigateway", policy)
        facts = {"domain_name": domain["domain_name"], "region": region}
        if known is None:
            results.append(manual(domain["domain_name"], "unknown_policy", endpoint=endpoint, policy=policy, **facts))
        else:
            results.append(_tls_result(ctx, domain["domain_name"], endpoint, policy, known[0], known[1], **facts))
    return results


def _shown(dist: dict[str, Any]) -> str:
    return ", ".join(dist.get("aliases") or []) or str(dist.get("domain_name"))


def _tls_cloudfront(ctx: CheckContext) -> list[Result]:
    results: list[Result] = []
    for dist in ctx.rows(DISTRIBUTIONS):
        if not dist.get("enabled"):
            continue  # a disabled distribution serves nothing
        endpoint = Phrase("endpoint_cloudfront", id=dist["id"], shown=_shown(dist))
        policy = dist.get("minimum_protocol_version") or "TLSv1"
        facts: dict[str, Any] = {"resource_arn": dist.get("arn")}
        if dist.get("default_certificate"):
            results.append(failed(dist["id"], "fail_default_certificate", severity="high", endpoint=endpoint, **facts))
            continue
        known = cryptrec.named_policy("cloudfront", policy)
        if known is None:
            results.append(manual(dist["id"], "unknown_policy", endpoint=endpoint, policy=policy, **facts))
        else:
            results.append(_tls_result(ctx, dist["id"], endpoint, policy, known[0], known[1], **facts))
    return results


def _regions_then_cloudfront(ctx: CheckContext, regional: Any, cloudfront: Any) -> Iterator[Result]:
    """Every region's results, then CloudFront's; missing evidence in one place never hides the others."""
    for results in ctx.per_region(lambda region: regional(ctx, region)):
        yield from results
    try:
        yield from cloudfront(ctx)
    except EvidenceUnavailable as missing:
        ctx.record_missing(missing)


@check("tls_policy_cryptrec")
def tls_policy_cryptrec(ctx: CheckContext) -> Iterator[Result]:
    """TLS on internet endpoints (load balancer listeners, API Gateway custom domains, CloudFront viewers) offers
    TLS 1.2 or later and only cipher suites on the CRYPTREC list."""
    yield from _regions_then_cloudfront(ctx, _tls_regional, _tls_cloudfront)


def _plain_regional(ctx: CheckContext, region: str) -> list[Result]:
    results: list[Result] = []
    for listener in ctx.rows(LISTENERS, region):
        if listener.get("protocol") != "HTTP":
            continue
        name, port = listener.get("load_balancer_name"), listener.get("port")
        facts = {"listener_arn": listener["listener_arn"], "name": name, "port": port, "actions": listener.get("default_actions")}
        if listener.get("redirect_protocol") == "HTTPS":
            results.append(passed(f"{name}:{port}", "pass_alb", region=region, **facts))
        else:
            results.append(failed(f"{name}:{port}", "fail_alb", region=region, **facts))
    return results


def _plain_cloudfront(ctx: CheckContext) -> list[Result]:
    results: list[Result] = []
    for dist in ctx.rows(DISTRIBUTIONS):
        if not dist.get("enabled"):
            continue
        behaviours = dist.get("viewer_protocol_policies") or []
        plain = [str(b.get("path")) for b in behaviours if b.get("policy") == "allow-all"]
        facts = {"resource_arn": dist.get("arn"), "id": dist["id"], "shown": _shown(dist)}
        if plain:
            results.append(failed(dist["id"], "fail_cloudfront", paths=", ".join(plain), **facts))
        elif behaviours:
            results.append(passed(dist["id"], "pass_cloudfront", **facts))
    return results


@check("plaintext_http_endpoints")
def plaintext_http_endpoints(ctx: CheckContext) -> Iterator[Result]:
    """Internet endpoints do not serve plain HTTP: ALB HTTP listeners redirect to HTTPS, CloudFront never allows
    HTTP to viewers."""
    yield from _regions_then_cloudfront(ctx, _plain_regional, _plain_cloudfront)
