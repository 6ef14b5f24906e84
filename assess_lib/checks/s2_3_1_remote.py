"""2.3.1 ⑤: remote administration (SSH/RDP) reachable from the internet, i.e. without MFA."""

from __future__ import annotations

from typing import Any

from . import check
from .context import CheckContext

# --- ⑤ remote administration from the internet --------------------------------------------------

REMOTE_ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
_WORLD = ("0.0.0.0/0", "::/0")


def _open_admin_ports(rule: dict[str, Any]) -> list[int]:
    protocol = str(rule.get("protocol", "")).lower()
    if protocol not in ("-1", "all", "tcp", "6"):
        return []
    if not any(c in _WORLD for c in [*rule.get("cidrs", []), *rule.get("ipv6_cidrs", [])]):
        return []
    low, high = rule.get("from_port"), rule.get("to_port")
    if protocol in ("-1", "all") or low is None:
        return sorted(REMOTE_ADMIN_PORTS)
    return [p for p in sorted(REMOTE_ADMIN_PORTS) if int(low) <= p <= int(high if high is not None else low)]


@check("remote_admin_from_internet", controls=["2.3.1-5"], datasets=["ec2.security_groups"])
def remote_admin_from_internet(ctx: CheckContext) -> None:
    """SSH/RDP open to the internet is remote access authenticated by key or password alone, without MFA."""
    exposed = 0
    groups = 0
    for region, rows in ctx.regional_rows("ec2.security_groups"):
        for group in rows:
            groups += 1
            ports = sorted({p for rule in group.get("ingress", []) for p in _open_admin_ports(rule)})
            if not ports:
                continue
            exposed += 1
            names = ", ".join(f"{REMOTE_ADMIN_PORTS[p]}({p})" for p in ports)
            attached = group.get("attached")
            state_ja = "（使用中）" if attached else "（未使用ですが、割り当てればすぐに公開されます）"
            state_en = " (in use)" if attached else " (unused, but exposed as soon as it is attached)"
            label = f"{group.get('group_id')} ({group.get('group_name')})"
            ctx.failed(
                label,
                f"セキュリティグループ {label} はインターネット全体から {names} を許可しています{state_ja}。"
                "多要素認証のないリモート管理アクセスとなるため、Session ManagerやMFA付きの踏み台経由にしてください。",
                f"Security group {label} allows {names} from the whole internet{state_en}: remote administration without MFA. "
                "Use Session Manager or an MFA-protected bastion instead.",
                region,
                severity="high" if attached else "medium",
                ports=ports,
                attached=attached,
            )
    if groups and not exposed:
        ctx.passed(
            "security groups",
            f"{groups}件のセキュリティグループのいずれもSSH/RDPをインターネットに公開していません。",
            f"None of {groups} security groups exposes SSH or RDP to the internet.",
            groups_checked=groups,
        )
    elif not groups and ctx.complete:
        ctx.not_applicable("security groups", "セキュリティグループはありません。", "There are no security groups.")
