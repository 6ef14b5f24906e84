"""Checks for guideline 2.3.4.4 (infrastructure): network segmentation and the site-to-site VPN links.

Segmentation (2.3.4.4 (c)) holds only where the routes between networks are no wider than the networks they
lead to. A VPC peering connection joins exactly two VPCs, so a route to it should name addresses of the peer VPC
only: a route covering more (0.0.0.0/0, 10.0.0.0/8 when the peer is 10.20.0.0/16) says "anything else goes there",
which is what an attacker moving sideways needs, and hides the intended design. A transit gateway route that
points to a VPC attachment is judged the same way against that VPC's CIDRs; a default route (0.0.0.0/0) through
a transit gateway is the usual design of a central egress or inspection VPC and is accepted unless the parameter
says otherwise. Routes to VPN, Direct Connect or peering attachments lead to networks the evidence does not
describe and are not judged. The default VPC, created by AWS in every region with public subnets and one flat
address space, holds workloads only by accident: a network interface in it is a finding.

Encryption of connections (2.3.4.4 ③): each tunnel of a site-to-site VPN is judged against the CRYPTREC
ciphers list (``shared/reference/cryptrec-ciphers-list-ja.txt``): SHA-1 is on its monitored list, kept only for
compatibility; DH below the parameter's modulus length (2048 bits, the list's key-length criteria) is weak;
IKEv1 is superseded by IKEv2. An option list left empty accepts AWS's defaults, which include SHA-1, DH group 2
and IKEv1, so it is judged as those defaults. A tunnel down (2.3.4.4 (a), resilience) leaves the link without
its redundant path, or cut.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from ..core.text import Phrase
from . import check, failed, manual, passed
from .context import CheckContext
from .result import Result

ROUTES = "ec2.route_tables"
PEERINGS = "ec2.vpc_peering_connections"
TGW_TABLES = "ec2.transit_gateway_route_tables"
VPCS = "ec2.vpcs"
SG = "ec2.security_groups"
VPN = "ec2.vpn_connections"

DEFAULT_ROUTES = ("0.0.0.0/0", "::/0")

# What a tunnel accepts when its option lists are empty (AWS Site-to-Site VPN user guide, "Tunnel options for
# your Site-to-Site VPN connection", defaults as of 2025).
AWS_DEFAULTS: dict[str, list[Any]] = {
    "ike_versions": ["ikev1", "ikev2"],
    "phase1_encryption": ["AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"],
    "phase2_encryption": ["AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"],
    "phase1_integrity": ["SHA1", "SHA2-256", "SHA2-384", "SHA2-512"],
    "phase2_integrity": ["SHA1", "SHA2-256", "SHA2-384", "SHA2-512"],
    "phase1_dh_groups": [2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24],
    "phase2_dh_groups": [2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24],
}
# Modulus length of the finite-field (MODP) DH groups AWS offers (RFC 2409, 3526, 5114); the elliptic-curve
# groups 19-21 (256, 384 and 521 bits) meet CRYPTREC's ECDH criteria and are never weak here.
MODP_BITS = {1: 768, 2: 1024, 5: 1536, 14: 2048, 15: 3072, 16: 4096, 17: 6144, 18: 8192, 22: 1024, 23: 2048, 24: 2048}
# Hash functions on CRYPTREC's monitored list (compatibility only) among AWS's integrity algorithms.
WEAK_INTEGRITY = ("SHA1",)
# The encryption algorithms AWS offers are all AES (CBC or GCM), on CRYPTREC's e-Government list.
AES_PREFIX = "AES"


def _network(text: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(str(text), strict=False)
    except ValueError:
        return None


def _within(destination: str, cidrs: list[str]) -> bool:
    """True when ``destination`` lies inside one of ``cidrs`` (same address family)."""
    dest = _network(destination)
    if dest is None:
        return True  # not an address range (a prefix list): not judged
    for cidr in cidrs:
        net = _network(cidr)
        if net is not None and net.version == dest.version and dest.subnet_of(net):  # type: ignore[arg-type]
            return True
    return False


def _joined(items: list[str]) -> str:
    return ", ".join(items)


# --- VPC peering routes ---------------------------------------------------------------------------


@check("peering_route_scope")
def peering_route_scope(ctx: CheckContext) -> Iterator[Result]:
    """Every route to a VPC peering connection names addresses of the peer VPC only (and, when the parameter
    asks for it, narrower ranges than the peer's whole CIDR)."""
    peerings = {p["peering_id"]: p for p in ctx.rows(PEERINGS) if p.get("status") == "active"}
    whole_allowed = bool(ctx.params["peering_whole_vpc_route_allowed"])
    for table in ctx.rows(ROUTES):
        wide: list[str] = []
        whole: list[str] = []
        peers: dict[str, list[str]] = {}
        for route in table.get("routes") or []:
            target = str(route.get("target") or "")
            destination = route.get("destination") or route.get("ipv6_destination")
            peering = peerings.get(target)
            if not target.startswith("pcx-") or peering is None or not destination or route.get("state") == "blackhole":
                continue
            side = (
                peering["accepter"] if (peering["requester"] or {}).get("vpc_id") == table.get("vpc_id") else peering["requester"]
            )
            cidrs = list(side.get("cidrs") or []) + list(side.get("ipv6_cidrs") or [])
            peers[target] = cidrs
            if not _within(destination, cidrs):
                wide.append(f"{destination} → {target}")
            elif destination in cidrs and not whole_allowed:
                whole.append(f"{destination} → {target}")
        if not peers:
            continue
        facts = {
            "route_table": table["route_table_id"],
            "vpc": table.get("vpc_id") or "",
            "peer_cidrs": _joined([f"{pcx}: {', '.join(c) or '-'}" for pcx, c in sorted(peers.items())]),
        }
        resource = f"{table['route_table_id']} ({table.get('vpc_id')})"
        if wide:
            yield failed(resource, "fail_wide", routes=_joined(wide), **facts)
        if whole:
            yield failed(resource, "fail_whole", routes=_joined(whole), severity="low", **facts)
        if not wide and not whole:
            yield passed(resource, peerings=_joined(sorted(peers)), **facts)


# --- transit gateway routes -----------------------------------------------------------------------


@check("transit_route_scope")
def transit_route_scope(ctx: CheckContext) -> Iterator[Result]:
    """Every transit gateway route to a VPC attachment names addresses of that VPC only (a default route to a
    central egress or inspection VPC is accepted unless the parameter says otherwise)."""
    vpcs = {v["vpc_id"]: list(v.get("cidr_blocks") or []) + list(v.get("ipv6_cidr_blocks") or []) for v in ctx.rows(VPCS)}
    default_allowed = bool(ctx.params["transit_default_route_allowed"])
    for table in ctx.rows(TGW_TABLES):
        wide: list[str] = []
        judged = 0
        for route in table.get("routes") or []:
            destination = route.get("destination")
            if route.get("state") != "active" or not destination:
                continue
            for attachment in route.get("attachments") or []:
                cidrs = vpcs.get(str(attachment.get("resource_id")))
                if attachment.get("resource_type") != "vpc" or cidrs is None:
                    continue  # VPN, Direct Connect, peering, or a VPC of another account: its addresses are unknown here
                judged += 1
                if destination in DEFAULT_ROUTES and default_allowed:
                    continue
                if not _within(destination, cidrs):
                    wide.append(f"{destination} → {attachment.get('resource_id')} ({', '.join(cidrs)})")
        if not judged:
            continue
        resource = f"{table['route_table_id']} ({table.get('transit_gateway_id')})"
        facts = {"route_table": table["route_table_id"], "transit_gateway": table.get("transit_gateway_id") or ""}
        if wide:
            yield failed(resource, routes=_joined(wide), **facts)
        else:
            yield passed(resource, **facts)


# --- default VPC ------------------------------------------------------------------------------------


@check("default_vpc_in_use")
def default_vpc_in_use(ctx: CheckContext) -> Iterator[Result]:
    """No network interface (instance, database, Lambda function, load balancer...) sits in a default VPC."""
    defaults = [v for v in ctx.rows(VPCS) if v.get("is_default")]
    if not defaults:
        return
    groups = ctx.rows(SG)
    for vpc in defaults:
        interfaces: dict[str, dict[str, Any]] = {}
        count = 0
        for group in groups:
            if group.get("vpc_id") != vpc["vpc_id"] or not group.get("attached"):
                continue
            count = max(count, int(group.get("network_interface_count") or 0))
            for eni in group.get("network_interfaces") or []:
                interfaces.setdefault(str(eni.get("id")), eni)
        count = max(count, len(interfaces))
        resource = f"{vpc['vpc_id']} ({', '.join(vpc.get('cidr_blocks') or [])})"
        if count:
            shown = [
                f"{i} ({e.get('description') or e.get('instance_id') or e.get('type') or '-'})"
                for i, e in sorted(interfaces.items())[:3]
            ]
            yield failed(resource, vpc=vpc["vpc_id"], count=count, shown=_joined(shown))
        else:
            yield passed(resource, vpc=vpc["vpc_id"])


# --- site-to-site VPN ---------------------------------------------------------------------------------


def _effective(tunnel: dict[str, Any], option: str) -> tuple[list[Any], bool]:
    """The values a tunnel accepts for ``option`` and whether they are AWS's defaults (an empty list)."""
    listed = list(tunnel.get(option) or [])
    return (listed, False) if listed else (list(AWS_DEFAULTS[option]), True)


def _weaknesses(tunnel: dict[str, Any], min_dh_bits: int, ikev1_allowed: bool) -> tuple[list[str], bool]:
    """The weak values a tunnel accepts ("IKEv1", "SHA1", "DH group 2"...), and whether any of them comes from an
    option left at AWS's defaults."""
    weak: list[str] = []
    defaulted = False
    versions, by_default = _effective(tunnel, "ike_versions")
    if not ikev1_allowed and "ikev1" in [str(v).lower() for v in versions]:
        weak.append("IKEv1")
        defaulted |= by_default
    for phase in ("phase1", "phase2"):
        for option, is_weak, shown in (
            ("encryption", lambda a: not str(a).upper().startswith(AES_PREFIX), str),
            ("integrity", lambda a: str(a).upper() in WEAK_INTEGRITY, str),
            ("dh_groups", lambda g: MODP_BITS.get(int(g), min_dh_bits) < min_dh_bits, lambda g: f"DH group {g}"),
        ):
            values, by_default = _effective(tunnel, f"{phase}_{option}")
            bad = [shown(v) for v in values if is_weak(v)]
            weak += [b for b in bad if b not in weak]
            defaulted |= by_default and bool(bad)
    return weak, defaulted


def _reasons(weak: list[str], min_bits: int) -> dict[str, Any]:
    """Why each kind of weakness found matters (a sentence per kind present, nothing for the others)."""
    dh = [w for w in weak if w.startswith("DH group")]
    sha1 = [w for w in weak if w in WEAK_INTEGRITY]
    ciphers = [w for w in weak if w not in dh and w not in sha1 and w != "IKEv1"]
    return {
        "why_ikev1": Phrase("why_ikev1") if "IKEv1" in weak else "",
        "why_sha1": Phrase("why_sha1") if sha1 else "",
        "why_dh": Phrase("why_dh", vpn_min_dh_modulus_bits=min_bits) if dh else "",
        "why_cipher": Phrase("why_cipher") if ciphers else "",
    }


def _vpn_label(vpn: dict[str, Any]) -> str:
    return f"{vpn['vpn_connection_id']} ({vpn['name']})" if vpn.get("name") else str(vpn["vpn_connection_id"])


@check("vpn_tunnel_crypto")
def vpn_tunnel_crypto(ctx: CheckContext) -> Iterator[Result]:
    """Every tunnel of every site-to-site VPN accepts only IKEv2 and ciphers of the CRYPTREC list."""
    min_bits = int(ctx.params["vpn_min_dh_modulus_bits"])
    ikev1_allowed = bool(ctx.params["vpn_ikev1_allowed"])
    for vpn in ctx.rows(VPN):
        if vpn.get("state") not in ("available", "pending"):
            continue
        tunnels = vpn.get("tunnels") or []
        if not tunnels:
            yield manual(_vpn_label(vpn), "no_options")
            continue
        weak: list[str] = []
        affected: list[str] = []
        defaulted = False
        for tunnel in tunnels:
            found, by_default = _weaknesses(tunnel, min_bits, ikev1_allowed)
            weak += [w for w in found if w not in weak]
            affected += [str(tunnel.get("outside_ip"))] if found else []
            defaulted |= by_default
        if weak:
            message = "fail_defaults" if defaulted else "fail"
            yield failed(
                _vpn_label(vpn),
                message,
                weak=_joined(weak),
                affected=_joined(affected),
                tunnels=len(tunnels),
                **_reasons(weak, min_bits),
            )
        else:
            yield passed(_vpn_label(vpn), tunnels=len(tunnels))


@check("vpn_tunnel_status")
def vpn_tunnel_status(ctx: CheckContext) -> Iterator[Result]:
    """Both tunnels of every available site-to-site VPN are up (one down leaves no redundant path)."""
    for vpn in ctx.rows(VPN):
        if vpn.get("state") != "available":
            continue
        tunnels = [t for t in vpn.get("tunnels") or [] if t.get("status")]
        if not tunnels:
            yield manual(_vpn_label(vpn), "no_telemetry")
            continue
        down = [t for t in tunnels if str(t.get("status")).upper() != "UP"]
        shown = _joined([f"{t.get('outside_ip')} ({t.get('status_message') or t.get('status')})" for t in down])
        if len(down) == len(tunnels):
            yield failed(_vpn_label(vpn), "fail_all", severity="high", down=shown, total=len(tunnels))
        elif down:
            yield failed(_vpn_label(vpn), "fail", down=shown, up=len(tunnels) - len(down), total=len(tunnels))
        else:
            yield passed(_vpn_label(vpn), total=len(tunnels))
