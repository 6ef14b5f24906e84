"""Checks on the institution's authoritative DNS in Route 53 (guideline 2.3.4.2 logs, 2.3.4.4 network).

Public hosted zones answer for the bank's own domains: their DNS query logs show who resolves which names
(phishing look-ups, data exfiltration over DNS), and DNSSEC signing lets resolvers reject forged answers
(2.3.4.4-a). Private zones are internal and are logged through Route 53 Resolver instead, so both checks read
public zones only; an account without public zones has nothing to assess (the runner says so).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import check, failed, passed
from .context import CheckContext
from .result import Result

ZONES = "route53.hosted_zones"


def _public_zones(ctx: CheckContext) -> list[dict[str, Any]]:
    return [zone for zone in ctx.rows(ZONES) if not zone.get("private")]


def _label(zone: dict[str, Any]) -> str:
    return f"{zone.get('name')} ({zone.get('zone_id')})"


@check("route53_query_logging")
def route53_query_logging(ctx: CheckContext) -> Iterator[Result]:
    """Every public hosted zone sends its DNS query log to CloudWatch Logs."""
    for zone in _public_zones(ctx):
        groups = [g for g in zone.get("query_log_groups") or [] if g]
        if groups:
            yield passed(_label(zone), zone=zone.get("name"), log_group=groups[0], log_groups=groups)
        else:
            yield failed(_label(zone), zone=zone.get("name"))


@check("route53_dnssec")
def route53_dnssec(ctx: CheckContext) -> Iterator[Result]:
    """Every public hosted zone is DNSSEC-signed (status SIGNING)."""
    for zone in _public_zones(ctx):
        status = zone.get("dnssec_status") or "NOT_SIGNING"
        if status == "SIGNING":
            yield passed(_label(zone), zone=zone.get("name"), dnssec_status=status)
        else:
            yield failed(_label(zone), zone=zone.get("name"), dnssec_status=status)
