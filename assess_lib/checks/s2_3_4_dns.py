"""Checks on the institution's authoritative DNS in Route 53 (guideline 2.3.4.2 logs, 2.3.4.4 network).

Public hosted zones answer for the bank's own domains: their DNS query logs show who resolves
which names (phishing look-ups, data exfiltration over DNS), and DNSSEC signing lets resolvers
reject forged answers (2.3.4.4-a "DNSセキュリティ等による通信の強靭化"). Private zones are internal
and are logged through Route 53 Resolver instead, so both checks read public zones only.
"""

from __future__ import annotations

from typing import Any

from . import check
from .context import CheckContext

ZONES = "route53.hosted_zones"


def _public_zones(ctx: CheckContext) -> list[dict[str, Any]] | None:
    """The account's public hosted zones; None (after a not-applicable finding) when it has none."""
    zones = [zone for zone in ctx.rows(ZONES) if not zone.get("private")]
    if not zones:
        ctx.not_applicable(
            "Route 53",
            "Route 53のパブリックホストゾーンはありません（DNSは他の事業者で運用されている可能性があります）。",
            "There are no public Route 53 hosted zones (DNS may be run by another provider).",
        )
        return None
    return zones


def _label(zone: dict[str, Any]) -> str:
    return f"{zone.get('name')} ({zone.get('zone_id')})"


@check("route53_query_logging", controls=["2.3.4.2-1"], datasets=[ZONES])
def route53_query_logging(ctx: CheckContext) -> None:
    """Every public hosted zone sends its DNS query log to CloudWatch Logs."""
    for zone in _public_zones(ctx) or []:
        groups = [g for g in zone.get("query_log_groups") or [] if g]
        if groups:
            ctx.passed(
                _label(zone),
                f"パブリックホストゾーン {zone.get('name')} のDNSクエリログはCloudWatch Logs（{groups[0]}）に記録されています。",
                f"DNS queries for the public hosted zone {zone.get('name')} are logged to CloudWatch Logs ({groups[0]}).",
                log_groups=groups,
            )
        else:
            ctx.failed(
                _label(zone),
                f"パブリックホストゾーン {zone.get('name')} のDNSクエリログが有効になっていません。"
                "自社ドメインへの問い合わせ（フィッシングやDNS経由の情報持ち出しの兆候）を事後に追跡できません。",
                f"DNS query logging is off for the public hosted zone {zone.get('name')}: look-ups of the institution's "
                "names (signs of phishing or data exfiltration over DNS) cannot be traced afterwards.",
            )


@check("route53_dnssec", controls=["2.3.4.4-a"], datasets=[ZONES])
def route53_dnssec(ctx: CheckContext) -> None:
    """Every public hosted zone is DNSSEC-signed (status SIGNING)."""
    for zone in _public_zones(ctx) or []:
        status = zone.get("dnssec_status") or "NOT_SIGNING"
        if status == "SIGNING":
            ctx.passed(
                _label(zone),
                f"パブリックホストゾーン {zone.get('name')} はDNSSECで署名されています。",
                f"The public hosted zone {zone.get('name')} is DNSSEC-signed.",
                dnssec_status=status,
            )
        else:
            ctx.failed(
                _label(zone),
                f"パブリックホストゾーン {zone.get('name')} はDNSSECで署名されていません（状態: {status}）。"
                "偽のDNS応答（キャッシュポイズニング）で顧客を偽サイトへ誘導される余地があります。",
                f"The public hosted zone {zone.get('name')} is not DNSSEC-signed (status: {status}): forged DNS answers "
                "(cache poisoning) could send customers to a fake site.",
                dnssec_status=status,
            )
