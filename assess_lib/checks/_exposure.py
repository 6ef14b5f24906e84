"""Exposure to the internet, modelled once: pure functions over ``ec2.security_groups`` and ``ec2.network_acls`` rows.

Used by 2.3 ① (``sg_ingress_internet``, ``nacl_admin_ports``, ``sg_egress_unrestricted``, ``egress_filtering``)
and 2.3.1 ⑤ (``remote_admin_from_internet``), so that "SSH/RDP open to the internet" means the same in both
items. This module holds no check (its leading underscore keeps check discovery away from it). Its labels are
:class:`Phrase` objects of the text catalogue (``defense.port.*`` in ``text/defense.yaml``), rendered later in
the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.text import Phrase

ANY_V4 = "0.0.0.0/0"
ANY_V6 = "::/0"
ANYWHERE = (ANY_V4, ANY_V6)

# What may be open to the whole internet: web traffic (HTTP, HTTPS and HTTP/3 over QUIC).
WEB_PORTS = {("tcp", 80), ("tcp", 443), ("udp", 443)}
# Remote administration, file sharing and database ports: called out by name when exposed.
ADMIN_PORTS: dict[int, str] = {
    21: "FTP",
    22: "SSH",
    23: "Telnet",
    135: "MS RPC",
    139: "NetBIOS",
    445: "SMB",
    1433: "SQL Server",
    1521: "Oracle",
    2049: "NFS",
    2375: "Docker API",
    3306: "MySQL",
    3389: "RDP",
    5432: "PostgreSQL",
    5900: "VNC",
    5985: "WinRM",
    5986: "WinRM",
    6379: "Redis",
    6443: "Kubernetes API",
    9200: "Elasticsearch",
    11211: "Memcached",
    27017: "MongoDB",
}
# Remote administration proper (2.3.1 ⑤: remote access without MFA); network ACLs are coarse, so only these
# are required to be closed there too (CIS 5.1).
REMOTE_ADMIN_PORTS: dict[int, str] = {22: "SSH", 3389: "RDP"}
NACL_ADMIN_PORTS = tuple(REMOTE_ADMIN_PORTS)

# Protocol names as the EC2 API may give them (the collector normalises to the names; hand-edited or older
# evidence may still carry numbers or "all").
_PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}
_SHOWN_NAMED = 4  # named ports listed in a range's label before "…"


def protocol_name(value: Any) -> str:
    """``tcp`` / ``udp`` / ``icmp`` / ``icmpv6`` / ``-1`` (all) / another protocol number."""
    text = str(value).lower()
    return _PROTOCOLS.get(text, text)


@dataclass(frozen=True)
class Exposure:
    """One ingress rule reachable from the whole internet (0.0.0.0/0 or ::/0)."""

    protocol: str  # tcp | udp | icmp | icmpv6 | -1 (all) | a protocol number
    from_port: int | None
    to_port: int | None
    cidr: str

    @property
    def all_traffic(self) -> bool:
        return self.protocol == "-1"

    @property
    def port_range(self) -> tuple[int, int] | None:
        """Ports covered for TCP/UDP (all ports when unspecified); None for other protocols."""
        if self.all_traffic:
            return (0, 65535)
        if self.protocol not in ("tcp", "udp"):
            return None
        lo = self.from_port if self.from_port not in (None, -1) else 0
        hi = self.to_port if self.to_port not in (None, -1) else 65535
        return (int(lo), int(hi))

    @property
    def all_ports(self) -> bool:
        rng = self.port_range
        return rng is not None and rng[0] <= 1 and rng[1] >= 65535

    @property
    def admin_ports(self) -> list[int]:
        """Named administration/database ports this rule exposes (TCP or all protocols)."""
        rng = self.port_range
        if rng is None or self.protocol == "udp":
            return []
        return [p for p in ADMIN_PORTS if rng[0] <= p <= rng[1]]

    def includes_port(self, port: int, protocol: str = "tcp") -> bool:
        rng = self.port_range
        return (self.all_traffic or self.protocol == protocol) and rng is not None and rng[0] <= port <= rng[1]

    @property
    def beyond_web(self) -> bool:
        """True unless the rule opens only HTTP/HTTPS (TCP 80, TCP 443, UDP 443)."""
        rng = self.port_range
        return not (rng is not None and rng[0] == rng[1] and (self.protocol, rng[0]) in WEB_PORTS)

    @property
    def sort_key(self) -> tuple[str, str]:
        """Orders labels as their text sorts (protocol, then the first port as written)."""
        rng = self.port_range
        return (self.protocol.upper(), str(rng[0]) if rng else "")

    def label(self) -> Phrase:
        """e.g. 'TCP 22 (SSH)', 'all protocols and ports', 'TCP 1000-2000 (including SSH 22)'."""
        if self.all_traffic:
            return Phrase("defense.port.all_traffic")
        if self.protocol in ("icmp", "icmpv6"):
            return Phrase("defense.port.plain", protocol=self.protocol.upper())
        rng = self.port_range
        if rng is None:
            return Phrase("defense.port.number", protocol=self.protocol)
        proto = self.protocol.upper()
        lo, hi = rng
        if lo == hi:
            name = ADMIN_PORTS.get(lo) if self.protocol == "tcp" else None
            if name:
                return Phrase("defense.port.single_named", protocol=proto, port=lo, name=name)
            return Phrase("defense.port.single", protocol=proto, port=lo)
        if self.all_ports:
            return Phrase("defense.port.all_ports", protocol=proto)
        named = [f"{ADMIN_PORTS[p]} {p}" for p in self.admin_ports]
        if not named:
            return Phrase("defense.port.range", protocol=proto, low=lo, high=hi)
        shown = ", ".join(named[:_SHOWN_NAMED]) + ("\u2026" if len(named) > _SHOWN_NAMED else "")
        return Phrase("defense.port.range_named", protocol=proto, low=lo, high=hi, names=shown)

    def item(self) -> Phrase:
        """'TCP 22 (SSH) from ::/0'."""
        return Phrase("defense.port.from", port=self.label(), cidr=self.cidr)

    def as_fact(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "from_port": self.from_port, "to_port": self.to_port, "cidr": self.cidr}


def internet_ingress(group: dict[str, Any]) -> list[Exposure]:
    """Every ingress rule of an ``ec2.security_groups`` row open to 0.0.0.0/0 or ::/0."""
    exposures = []
    for rule in group.get("ingress", []):
        world = [c for c in rule.get("cidrs", []) if c == ANY_V4] + [c for c in rule.get("ipv6_cidrs", []) if c == ANY_V6]
        protocol = protocol_name(rule.get("protocol"))
        exposures += [Exposure(protocol, rule.get("from_port"), rule.get("to_port"), cidr) for cidr in world]
    return exposures


def remote_admin_exposed(group: dict[str, Any]) -> list[int]:
    """The remote administration ports (SSH 22, RDP 3389) a security group opens to the whole internet (TCP)."""
    exposures = internet_ingress(group)
    return [p for p in REMOTE_ADMIN_PORTS if any(e.includes_port(p) for e in exposures)]


def unrestricted_egress(group: dict[str, Any]) -> list[str]:
    """CIDRs (0.0.0.0/0, ::/0) to which a group allows all traffic (all protocols, or all TCP/UDP ports)."""
    found = []
    for rule in group.get("egress", []):
        protocol = protocol_name(rule.get("protocol"))
        full = protocol == "-1" or (
            protocol in ("tcp", "udp")
            and (rule.get("from_port") in (None, -1, 0, 1))
            and (rule.get("to_port") in (None, -1, 65535))
        )
        if not full:
            continue
        found += [c for c in rule.get("cidrs", []) if c == ANY_V4] + [c for c in rule.get("ipv6_cidrs", []) if c == ANY_V6]
    return sorted(set(found))


def _nacl_matches(entry: dict[str, Any], port: int) -> bool:
    protocol = protocol_name(entry.get("protocol"))
    if protocol == "-1":
        return True
    if protocol != "tcp":
        return False
    lo = entry.get("from_port")
    hi = entry.get("to_port")
    return (lo is None or int(lo) <= port) and (hi is None or port <= int(hi))


def nacl_decisions(acl: dict[str, Any]) -> list[dict[str, Any]]:
    """For TCP 22 and 3389 from 0.0.0.0/0 and ::/0: the deciding inbound rule (lowest number first).

    Only rules for the whole address space decide for "anyone on the internet": a narrower allow
    opens the port to part of the internet only, a narrower deny closes it for part only.
    No matching rule means the implicit deny.
    """
    inbound = sorted((e for e in acl.get("entries", []) if not e.get("egress")), key=lambda e: int(e.get("rule_number") or 0))
    decisions = []
    for cidr, key in ((ANY_V4, "cidr"), (ANY_V6, "ipv6_cidr")):
        for port in NACL_ADMIN_PORTS:
            rule = next((e for e in inbound if e.get(key) == cidr and _nacl_matches(e, port)), None)
            decisions.append(
                {
                    "port": port,
                    "cidr": cidr,
                    "rule_number": rule.get("rule_number") if rule else None,
                    "action": rule.get("action") if rule else "deny",
                }
            )
    return decisions


__all__ = [
    "ADMIN_PORTS",
    "ANYWHERE",
    "ANY_V4",
    "ANY_V6",
    "NACL_ADMIN_PORTS",
    "REMOTE_ADMIN_PORTS",
    "WEB_PORTS",
    "Exposure",
    "internet_ingress",
    "nacl_decisions",
    "protocol_name",
    "remote_admin_exposed",
    "unrestricted_egress",
]
