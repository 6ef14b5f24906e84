"""The network diagram (guideline 2.2.1.4 ①), drawn by the kit from the evidence: one SVG per account and region.

Pure Python, no JavaScript and no external URL: the picture is a string of SVG that the HTML report inlines, the
notebook shows and the PDF engine embeds. Every string that comes from the customer's estate (names, IDs,
descriptions) is cut to fit, stripped of control and text-direction characters and XML-escaped here, in one place
(:func:`_text`). The layout is deterministic (VPCs by name then ID, subnets by public first, zone, CIDR), so two
renderings of one bundle are byte for byte the same.

Layout: VPCs in a grid (two columns from two VPCs on). A VPC box holds its header (name, ID, CIDRs), its gateways
(internet, NAT, virtual private gateway, endpoints), its subnets (public ones, with a route to an internet gateway,
first and coloured), its load balancers (internet-facing ones marked) and its security groups open to the
internet. Links run in the gutters, never across a box: peering between two VPCs of the picture along a lane on
the left; transit gateways, VPN connections and peers outside the picture are boxes on the right, each reached
along its own lane.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ..core.text import t
from ..evidence import EvidenceUnavailable
from . import display
from .view import account_label, account_names, dataset_description
from .visible import reveal

ANY_V4, ANY_V6 = "0.0.0.0/0", "::/0"
ITEM = "2.2.1.4-1"  # the guideline item the diagrams answer (data-flow and network diagrams)

# Datasets read, by role. A missing one leaves its part out and is named in the summary.
VPCS = "ec2.vpcs"
OPTIONAL = (
    "ec2.subnets",
    "ec2.route_tables",
    "ec2.internet_gateways",
    "ec2.nat_gateways",
    "ec2.vpn_gateways",
    "ec2.vpc_endpoints",
    "ec2.vpc_peering_connections",
    "ec2.transit_gateways",
    "ec2.transit_gateway_attachments",
    "ec2.vpn_connections",
    "ec2.customer_gateways",
    "elbv2.load_balancers",
    "ec2.security_groups",
)

# Geometry (SVG user units, about pixels).
FONT = 11
SUB_W, SUB_H, SUB_GAP = 178, 78, 10
LIST_LINES = 3  # load balancers and open security groups listed per VPC (then "and n more")
SUBS_PER_ROW = 3
PAD = 12
VPC_W = SUBS_PER_ROW * SUB_W + (SUBS_PER_ROW - 1) * SUB_GAP + 2 * PAD
LANE = 9  # spacing of parallel links
MARGIN = 16
NODE_W = 250
TITLE_H = 34

COLOURS = {
    "internet": "#c62828",
    "public_fill": "#fff3e0",
    "public_line": "#ef6c00",
    "private_fill": "#e3f2fd",
    "private_line": "#1565c0",
    "vpc_fill": "#fafafa",
    "vpc_line": "#455a64",
    "default_vpc": "#8d6e63",
    "gateway": "#6a1b9a",
    "tgw": "#2e7d32",
    "peering": "#00838f",
    "vpn": "#5d4037",
    "lb_internal": "#546e7a",
    "text": "#212121",
    "muted": "#616161",
}


def _clean(value: Any) -> str:
    text = "" if value is None else str(value)
    # Control characters (XML 1.0 forbids most of them), direction overrides (they would reorder the text shown).
    return reveal(text, newlines=False)


def _units(char: str) -> float:
    """Width of a character in ``FONT`` units: wide (CJK) characters count double."""
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.58


def _fit(value: Any, width: float, size: int = FONT) -> str:
    """``value`` cut (with an ellipsis) to fit ``width`` user units at font ``size``."""
    text = _clean(value)
    room = width / size
    used = 0.0
    for i, char in enumerate(text):
        used += _units(char)
        if used > room:
            return text[: max(i - 1, 0)] + "…"
    return text


def _text(x: float, y: float, value: Any, width: float, size: int = FONT, weight: str = "normal", fill: str = "") -> str:
    """One line of text, fitted and escaped; the full value as its tooltip when cut."""
    full = _clean(value)
    shown = _fit(full, width, size)
    tip = f"<title>{display.esc(full)}</title>" if shown != full else ""
    colour = fill or COLOURS["text"]
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" font-weight="{weight}" fill="{colour}">'
        f"{tip}{display.esc(shown)}</text>"
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, stroke: str, width: float = 1, dash: str = "", rx: int = 4) -> str:
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" rx="{rx}" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{width}"{dashes}/>'
    )


def _path(points: list[tuple[float, float]], colour: str, dash: str = "", width: float = 1.6) -> str:
    d = " ".join(f"{'M' if i == 0 else 'L'}{x:.0f},{y:.0f}" for i, (x, y) in enumerate(points))
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="{width}"{dashes}/>'


def _label(row: dict[str, Any], key: str) -> str:
    """``name (id)`` or the ID alone."""
    return f"{row['name']} ({row[key]})" if row.get("name") else str(row.get(key) or "")


# --- the model of one account and region --------------------------------------------------------------


@dataclass
class Subnet:
    row: dict[str, Any]
    public: bool
    exits: list[str]
    nat: bool


@dataclass
class Vpc:
    row: dict[str, Any]
    subnets: list[Subnet] = field(default_factory=list)
    gateways: list[tuple[str, str]] = field(default_factory=list)  # (kind, label)
    endpoints: list[str] = field(default_factory=list)
    balancers: list[dict[str, Any]] = field(default_factory=list)
    open_groups: list[str] = field(default_factory=list)
    # geometry
    x: float = 0
    y: float = 0
    h: float = 0
    grid_row: int = 0

    @property
    def vpc_id(self) -> str:
        return str(self.row["vpc_id"])


@dataclass
class Node:
    """A box of the right-hand column: a transit gateway, a VPN connection or a peer outside the picture."""

    kind: str  # tgw | vpn | peer
    key: str
    lines: list[tuple[str, str]]  # (text, colour)
    vpcs: list[str]  # VPCs of the picture it links to
    y: float = 0
    h: float = 0


def _rows(bundle: Any, dataset: str, account: str, region: str, missing: list[str]) -> list[dict[str, Any]]:
    try:
        return bundle.rows(dataset, account, region)
    except EvidenceUnavailable:
        missing.append(dataset)
        return []


def _short_target(target: str) -> str:
    prefix = target.split("-", 1)[0]
    return {"igw": "IGW", "nat": "NAT", "tgw": "TGW", "pcx": "PCX", "vgw": "VGW", "vpce": "VPCE", "eigw": "EIGW"}.get(
        prefix, prefix.upper() if prefix else "?"
    )


def _open_ports(group: dict[str, Any], lang: str) -> list[str]:
    """The ports a security group opens to 0.0.0.0/0 or ::/0 (tcp/22, udp/500-4500, "all ports")."""
    ports = []
    for rule in group.get("ingress") or []:
        if ANY_V4 not in (rule.get("cidrs") or []) and ANY_V6 not in (rule.get("ipv6_cidrs") or []):
            continue
        if rule.get("protocol") == "-1":
            ports.append(t("network.diagram.all_ports", lang))
        elif rule.get("from_port") == rule.get("to_port"):
            ports.append(f"{rule.get('protocol')}/{rule.get('from_port')}")
        else:
            ports.append(f"{rule.get('protocol')}/{rule.get('from_port')}-{rule.get('to_port')}")
    return ports


def _model(
    bundle: Any, account: str, region: str, lang: str
) -> tuple[list[Vpc], list[Node], list[tuple[str, str, str]], list[str]]:
    """VPCs, right-hand nodes, in-picture peerings (vpc, vpc, label) and the datasets that could not be read."""
    missing: list[str] = []
    rows = {name: _rows(bundle, name, account, region, missing) for name in OPTIONAL}
    vpcs = {
        v["vpc_id"]: Vpc(v)
        for v in sorted(
            bundle.rows(VPCS, account, region), key=lambda v: (bool(v.get("is_default")), str(v.get("name") or "~"), v["vpc_id"])
        )
    }
    tables = rows["ec2.route_tables"]
    main = {t.get("vpc_id"): t for t in tables if t.get("is_main")}
    by_subnet = {s: t for t in tables for s in t.get("subnet_ids") or []}
    nat_subnets = {n.get("subnet_id") for n in rows["ec2.nat_gateways"] if n.get("state") not in ("deleted", "failed")}
    for subnet in rows["ec2.subnets"]:
        vpc = vpcs.get(subnet.get("vpc_id"))
        if vpc is None:
            continue
        table = by_subnet.get(subnet["subnet_id"]) or main.get(subnet.get("vpc_id")) or {}
        exits = []
        public = False
        for route in table.get("routes") or []:
            target = str(route.get("target") or "")
            if not target or target == "local" or route.get("state") == "blackhole":
                continue
            destination = route.get("destination") or route.get("ipv6_destination") or route.get("prefix_list") or "?"
            public |= target.startswith("igw-")
            exits.append(f"{destination} → {_short_target(target)} {target}")
        vpc.subnets.append(Subnet(subnet, public, exits, subnet["subnet_id"] in nat_subnets))
    for vpc in vpcs.values():
        vpc.subnets.sort(
            key=lambda s: (not s.public, str(s.row.get("availability_zone")), str(s.row.get("cidr")), s.row["subnet_id"])
        )
    for igw in sorted(rows["ec2.internet_gateways"], key=lambda r: r["gateway_id"]):
        for vpc_id in igw.get("vpc_ids") or []:
            if vpc_id in vpcs:
                vpcs[vpc_id].gateways.append(("igw", f"IGW {_label(igw, 'gateway_id')}"))
    for nat in sorted(rows["ec2.nat_gateways"], key=lambda r: r["nat_gateway_id"]):
        if nat.get("vpc_id") in vpcs and nat.get("state") not in ("deleted", "failed"):
            kind = t("network.diagram.nat_private", lang) if nat.get("connectivity") == "private" else ""
            vpcs[nat["vpc_id"]].gateways.append(("nat", f"NAT {_label(nat, 'nat_gateway_id')}{kind}"))
    for vgw in sorted(rows["ec2.vpn_gateways"], key=lambda r: r["vpn_gateway_id"]):
        for vpc_id in vgw.get("vpc_ids") or []:
            if vpc_id in vpcs:
                vpcs[vpc_id].gateways.append(("vgw", f"VGW {_label(vgw, 'vpn_gateway_id')}"))
    for ep in sorted(rows["ec2.vpc_endpoints"], key=lambda r: (str(r.get("service_name")), r["endpoint_id"])):
        if ep.get("vpc_id") in vpcs and ep.get("state") not in ("deleted", "rejected", "failed"):
            service = str(ep.get("service_name") or "").rsplit(".", 1)[-1]
            vpcs[ep["vpc_id"]].endpoints.append(f"{service} ({ep.get('type') or '?'})")
    for lb in sorted(rows["elbv2.load_balancers"], key=lambda r: (r.get("scheme") != "internet-facing", str(r.get("name")))):
        if lb.get("vpc_id") in vpcs:
            vpcs[lb["vpc_id"]].balancers.append(lb)
    for group in sorted(rows["ec2.security_groups"], key=lambda r: r["group_id"]):
        ports = _open_ports(group, lang)
        if ports and group.get("attached") and group.get("vpc_id") in vpcs:
            name = f" {group['group_name']}" if group.get("group_name") else ""
            vpcs[group["vpc_id"]].open_groups.append(f"{group['group_id']}{name} [{', '.join(ports)}]")

    nodes: list[Node] = []
    peerings: list[tuple[str, str, str]] = []
    for pcx in sorted(rows["ec2.vpc_peering_connections"], key=lambda r: r["peering_id"]):
        if pcx.get("status") not in ("active", "pending-acceptance", "provisioning"):
            continue
        a, b = pcx.get("requester") or {}, pcx.get("accepter") or {}
        label = _label(pcx, "peering_id")
        if a.get("vpc_id") in vpcs and b.get("vpc_id") in vpcs:
            peerings.append((a["vpc_id"], b["vpc_id"], label))
            continue
        inside, outside = (a, b) if a.get("vpc_id") in vpcs else (b, a)
        if inside.get("vpc_id") not in vpcs:
            continue
        nodes.append(
            Node(
                "peer",
                pcx["peering_id"],
                [
                    (t("network.diagram.peer_outside", lang), COLOURS["peering"]),
                    (label, COLOURS["text"]),
                    (f"{outside.get('vpc_id')} {', '.join(outside.get('cidrs') or [])}", COLOURS["text"]),
                    (f"{outside.get('owner_id') or '?'} / {outside.get('region') or region}", COLOURS["muted"]),
                ],
                [inside["vpc_id"]],
            )
        )
    attachments = rows["ec2.transit_gateway_attachments"]
    cgws = {c["customer_gateway_id"]: c for c in rows["ec2.customer_gateways"]}
    vpns = sorted(rows["ec2.vpn_connections"], key=lambda r: r["vpn_connection_id"])
    tgw_ids = sorted(
        {str(r["transit_gateway_id"]) for r in rows["ec2.transit_gateways"]}
        | {str(a.get("transit_gateway_id")) for a in attachments if a.get("transit_gateway_id")}
    )
    tgw_rows = {r["transit_gateway_id"]: r for r in rows["ec2.transit_gateways"]}
    for tgw_id in tgw_ids:
        mine = [
            a
            for a in attachments
            if a.get("transit_gateway_id") == tgw_id and a.get("state") not in ("deleted", "deleting", "rejected")
        ]
        others = [
            f"{a.get('resource_type')}: {a.get('resource_id')}"
            for a in mine
            if a.get("resource_type") != "vpc" or a.get("resource_id") not in vpcs
        ]
        lines = [
            ("Transit Gateway", COLOURS["tgw"]),
            (_label(tgw_rows.get(tgw_id) or {"transit_gateway_id": tgw_id}, "transit_gateway_id"), COLOURS["text"]),
        ]
        lines += [(o, COLOURS["muted"]) for o in others[:4]]
        if len(others) > 4:
            lines.append((t("network.diagram.more", lang, n=len(others) - 4), COLOURS["muted"]))
        linked = sorted(
            {str(a["resource_id"]) for a in mine if a.get("resource_type") == "vpc" and a.get("resource_id") in vpcs},
            key=list(vpcs).index,
        )
        nodes.append(Node("tgw", tgw_id, lines, linked))
    for vpn in vpns:
        if vpn.get("state") in ("deleted", "deleting"):
            continue
        cgw = cgws.get(str(vpn.get("customer_gateway_id"))) or {}
        via = vpn.get("transit_gateway_id") or vpn.get("vpn_gateway_id") or "?"
        lines = [
            (t("network.diagram.vpn", lang), COLOURS["vpn"]),
            (_label(vpn, "vpn_connection_id"), COLOURS["text"]),
            (f"↔ CGW {cgw.get('ip_address') or vpn.get('customer_gateway_id') or '?'} / {via}", COLOURS["text"]),
        ]
        for tunnel in vpn.get("tunnels") or []:
            status = str(tunnel.get("status") or "?")
            lines.append((f"{tunnel.get('outside_ip')}: {status}", COLOURS["tgw"] if status == "UP" else COLOURS["internet"]))
        vgw_vpcs = [g for g in rows["ec2.vpn_gateways"] if g.get("vpn_gateway_id") == vpn.get("vpn_gateway_id")]
        linked = [v for g in vgw_vpcs for v in g.get("vpc_ids") or [] if v in vpcs]
        nodes.append(Node("vpn", vpn["vpn_connection_id"], lines, linked))
    return list(vpcs.values()), nodes, peerings, missing


# --- drawing --------------------------------------------------------------------------------------------


def _vpc_height(vpc: Vpc) -> float:
    rows_of_subnets = max(1, -(-len(vpc.subnets) // SUBS_PER_ROW))
    lines = -(-len(vpc.gateways) // 2) + (1 if vpc.endpoints else 0)  # two gateways per line
    lines += sum(min(len(part), LIST_LINES + 1) for part in (vpc.balancers, vpc.open_groups))
    return 44 + lines * 16 + rows_of_subnets * (SUB_H + SUB_GAP) + PAD


def _draw_vpc(vpc: Vpc, lang: str) -> list[str]:
    x, y, row = vpc.x, vpc.y, vpc.row
    default = bool(row.get("is_default"))
    out = [
        f'<g class="vpc" data-id="{display.esc(vpc.vpc_id)}">',
        _rect(
            x,
            y,
            VPC_W,
            vpc.h,
            COLOURS["vpc_fill"],
            COLOURS["default_vpc"] if default else COLOURS["vpc_line"],
            2,
            "6 3" if default else "",
        ),
    ]
    title = (row.get("name") or vpc.vpc_id) + (t("network.diagram.default_vpc", lang) if default else "")
    out.append(_text(x + PAD, y + 18, f"VPC {title}", VPC_W - 2 * PAD, 13, "bold"))
    cidrs = ", ".join([*(row.get("cidr_blocks") or []), *(row.get("ipv6_cidr_blocks") or [])])
    out.append(_text(x + PAD, y + 34, f"{vpc.vpc_id}  {cidrs}", VPC_W - 2 * PAD, 10, fill=COLOURS["muted"]))
    cy = y + 50
    if vpc.gateways:
        for i in range(0, len(vpc.gateways), 2):
            for j, (kind, label) in enumerate(vpc.gateways[i : i + 2]):
                colour = COLOURS["internet"] if kind == "igw" else COLOURS["gateway"]
                gx = x + PAD + j * (VPC_W - 2 * PAD) / 2
                out.append(f'<circle cx="{gx + 4:.0f}" cy="{cy - 4:.0f}" r="4" fill="{colour}"/>')
                out.append(_text(gx + 12, cy, label, (VPC_W - 2 * PAD) / 2 - 16, 10, fill=colour))
            cy += 16
    if vpc.endpoints:
        out.append(
            _text(
                x + PAD,
                cy,
                t("network.diagram.endpoints", lang, items=", ".join(vpc.endpoints)),
                VPC_W - 2 * PAD,
                10,
                fill=COLOURS["gateway"],
            )
        )
        cy += 16
    for lb in vpc.balancers[:LIST_LINES]:
        internet = lb.get("scheme") == "internet-facing"
        scheme = t("network.diagram.lb_internet" if internet else "network.diagram.lb_internal", lang)
        line = t(
            "network.diagram.balancer", lang, name=lb.get("name") or lb.get("arn"), type=lb.get("type") or "?", scheme=scheme
        )
        out.append(
            _text(
                x + PAD,
                cy,
                ("⚠ " if internet else "") + line,
                VPC_W - 2 * PAD,
                10,
                "bold" if internet else "normal",
                COLOURS["internet"] if internet else COLOURS["lb_internal"],
            )
        )
        cy += 16
    for group in vpc.open_groups[:LIST_LINES]:
        out.append(
            _text(
                x + PAD,
                cy,
                "⚠ " + t("network.diagram.open_group", lang, group=group),
                VPC_W - 2 * PAD,
                10,
                fill=COLOURS["internet"],
            )
        )
        cy += 16
    for part in (vpc.balancers, vpc.open_groups):
        if len(part) > LIST_LINES:
            out.append(
                _text(
                    x + PAD,
                    cy,
                    t("network.diagram.more", lang, n=len(part) - LIST_LINES),
                    VPC_W - 2 * PAD,
                    10,
                    fill=COLOURS["muted"],
                )
            )
            cy += 16
    sy = cy - 6
    for i, subnet in enumerate(vpc.subnets):
        sx = x + PAD + (i % SUBS_PER_ROW) * (SUB_W + SUB_GAP)
        top = sy + (i // SUBS_PER_ROW) * (SUB_H + SUB_GAP)
        fill, line = (
            (COLOURS["public_fill"], COLOURS["public_line"])
            if subnet.public
            else (COLOURS["private_fill"], COLOURS["private_line"])
        )
        r = subnet.row
        kind = t("network.diagram.public" if subnet.public else "network.diagram.private", lang)
        out.append(f'<g class="subnet" data-id="{display.esc(r["subnet_id"])}">')
        out.append(_rect(sx, top, SUB_W, SUB_H, fill, line, 1.4))
        out.append(_text(sx + 6, top + 13, f"{kind} {r.get('name') or ''}", SUB_W - 12, 10, "bold", line))
        out.append(_text(sx + 6, top + 26, r["subnet_id"], SUB_W - 12, 9, fill=COLOURS["muted"]))
        out.append(
            _text(
                sx + 6,
                top + 38,
                f"{r.get('cidr') or ''}  {r.get('availability_zone') or ''}{'  NAT' if subnet.nat else ''}",
                SUB_W - 12,
                9,
            )
        )
        exits = subnet.exits[:2] + ([t("network.diagram.more", lang, n=len(subnet.exits) - 2)] if len(subnet.exits) > 2 else [])
        for k, exit_ in enumerate(exits or [t("network.diagram.local_only", lang)]):
            out.append(_text(sx + 6, top + 50 + k * 10, exit_, SUB_W - 12, 8, fill=COLOURS["muted"]))
        out.append("</g>")
    if not vpc.subnets:
        out.append(_text(x + PAD, sy + 14, t("network.diagram.no_subnets", lang), VPC_W - 2 * PAD, 10, fill=COLOURS["muted"]))
    out.append("</g>")
    return out


def _legend(x: float, y: float, width: float, lang: str) -> tuple[list[str], float]:
    items = [
        ("rect", COLOURS["public_fill"], COLOURS["public_line"], "network.legend.public"),
        ("rect", COLOURS["private_fill"], COLOURS["private_line"], "network.legend.private"),
        ("rect", COLOURS["vpc_fill"], COLOURS["default_vpc"], "network.legend.default_vpc"),
        ("dot", COLOURS["internet"], "", "network.legend.igw"),
        ("dot", COLOURS["gateway"], "", "network.legend.gateway"),
        ("text", COLOURS["internet"], "", "network.legend.internet_facing"),
        ("line", COLOURS["peering"], "", "network.legend.peering"),
        ("line", COLOURS["tgw"], "", "network.legend.tgw"),
        ("line", COLOURS["vpn"], "6 3", "network.legend.vpn"),
    ]
    out = [_text(x, y + 12, t("network.legend.title", lang), 200, 11, "bold")]
    per_row = max(1, int(width // 280))
    for i, (shape, fill, stroke, key) in enumerate(items):
        ix = x + (i % per_row) * 280
        iy = y + 22 + (i // per_row) * 18
        if shape == "rect":
            out.append(_rect(ix, iy, 22, 12, fill, stroke, 1.4, "4 2" if key.endswith("default_vpc") else "", 2))
        elif shape == "dot":
            out.append(f'<circle cx="{ix + 11:.0f}" cy="{iy + 6:.0f}" r="5" fill="{fill}"/>')
        elif shape == "line":
            out.append(_path([(ix, iy + 6), (ix + 22, iy + 6)], fill, stroke, 2.2))
        else:
            out.append(_text(ix, iy + 10, "⚠ LB", 22, 9, "bold", fill))
        out.append(_text(ix + 28, iy + 10, t(key, lang), 248, 10))
    rows = -(-len(items) // per_row)
    return out, 22 + rows * 18 + 6


def _svg(title: str, vpcs: list[Vpc], nodes: list[Node], peerings: list[tuple[str, str, str]], lang: str) -> str:
    cols = 1 if len(vpcs) <= 1 else 2
    left_lanes = len(peerings)
    grid_x = MARGIN + (left_lanes + 1) * LANE
    right_lanes = len(nodes)
    # Row gutters carry every link leaving a VPC of the row above.
    links_from: dict[str, int] = {}
    for a, b, _ in peerings:
        links_from[a] = links_from.get(a, 0) + 1
        links_from[b] = links_from.get(b, 0) + 1
    for node in nodes:
        for vpc_id in node.vpcs:
            links_from[vpc_id] = links_from.get(vpc_id, 0) + 1
    y = TITLE_H + MARGIN
    rows = [vpcs[i : i + cols] for i in range(0, len(vpcs), cols)]
    gutters: list[float] = []
    for r, row in enumerate(rows):
        height = max(_vpc_height(v) for v in row)
        for c, vpc in enumerate(row):
            vpc.x, vpc.y, vpc.h, vpc.grid_row = grid_x + c * (VPC_W + 2 * MARGIN), y, height, r
        lanes = sum(links_from.get(v.vpc_id, 0) for v in row)
        gutters.append(y + height)
        y += height + 14 + lanes * LANE + 6
    grid_right = grid_x + cols * VPC_W + (cols - 1) * 2 * MARGIN
    node_x = grid_right + (right_lanes + 1) * LANE + MARGIN
    # Right-hand nodes, stacked from the top.
    ny = TITLE_H + MARGIN
    for node in nodes:
        node.y, node.h = ny, 10 + 14 * len(node.lines)
        ny += node.h + 12
    width = (node_x + NODE_W + MARGIN) if nodes else (grid_right + MARGIN + LANE)
    body_bottom = max(y, ny)
    out: list[str] = []
    for vpc in vpcs:
        out += _draw_vpc(vpc, lang)
    # Links: each leaves its VPC's bottom edge at its own offset, runs in the gutter at its own depth.
    offsets: dict[str, int] = {}
    depth: dict[int, int] = {}
    index = {v.vpc_id: v for v in vpcs}

    def leave(vpc: Vpc) -> tuple[float, float]:
        k = offsets.get(vpc.vpc_id, 0)
        offsets[vpc.vpc_id] = k + 1
        d = depth.get(vpc.grid_row, 0)
        depth[vpc.grid_row] = d + 1
        return vpc.x + 24 + k * 14, gutters[vpc.grid_row] + 10 + d * LANE

    for lane, (a, b, label) in enumerate(peerings):
        lx = MARGIN + (lane + 1) * LANE
        ax, ay = leave(index[a])
        bx, by = leave(index[b])
        points = [(ax, index[a].y + index[a].h), (ax, ay), (lx, ay), (lx, by), (bx, by), (bx, index[b].y + index[b].h)]
        out.append(
            f'<g class="link peering"><title>{display.esc(_clean(label))}</title>{_path(points, COLOURS["peering"], width=2)}</g>'
        )
    for lane, node in enumerate(nodes):
        colour = {"tgw": COLOURS["tgw"], "vpn": COLOURS["vpn"], "peer": COLOURS["peering"]}[node.kind]
        dash = "6 3" if node.kind == "vpn" else ""
        rx = grid_right + (lane + 1) * LANE
        out.append(f'<g class="node {node.kind}" data-id="{display.esc(_clean(node.key))}">')
        out.append(_rect(node_x, node.y, NODE_W, node.h, "#ffffff", colour, 2, dash))
        for i, (line, fill) in enumerate(node.lines):
            out.append(
                _text(
                    node_x + 8,
                    node.y + 16 + 14 * i,
                    line,
                    NODE_W - 16,
                    11 if i == 0 else 10,
                    "bold" if i == 0 else "normal",
                    fill,
                )
            )
        out.append("</g>")
        attach_y = node.y + 14
        if node.vpcs:
            out.append(_path([(rx, attach_y), (node_x, attach_y)], colour, dash, 2))
        for vpc_id in node.vpcs:
            vpc = index[vpc_id]
            vx, vy = leave(vpc)
            out.append(_path([(vx, vpc.y + vpc.h), (vx, vy), (rx, vy), (rx, attach_y)], colour, dash, 2))
    legend, legend_h = _legend(MARGIN, body_bottom + 4, width - 2 * MARGIN, lang)
    height = body_bottom + 4 + legend_h + MARGIN
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
        f"style=\"max-width:100%;height:auto\" font-family=\"'Noto Sans CJK JP', 'Noto Sans JP', 'Hiragino Sans', Meiryo, sans-serif\" role=\"img\">",
        f"<title>{display.esc(_clean(title))}</title>",
        _rect(0, 0, width, height, "#ffffff", "#ffffff", 0, rx=0),
        _text(MARGIN, 22, title, width - 2 * MARGIN, 15, "bold"),
    ]
    return "\n".join([*head, *out, *legend, "</svg>"])


def _summary(vpcs: list[Vpc], nodes: list[Node], peerings: list[tuple[str, str, str]], missing: list[str], lang: str) -> str:
    subnets = [s for v in vpcs for s in v.subnets]
    internet_lbs = [lb for v in vpcs for lb in v.balancers if lb.get("scheme") == "internet-facing"]
    text = t(
        "network.diagram.summary",
        lang,
        vpcs=len(vpcs),
        subnets=len(subnets),
        public=sum(1 for s in subnets if s.public),
        igws=sum(1 for v in vpcs for kind, _ in v.gateways if kind == "igw"),
        nats=sum(1 for v in vpcs for kind, _ in v.gateways if kind == "nat"),
        tgws=sum(1 for n in nodes if n.kind == "tgw"),
        peerings=len(peerings) + sum(1 for n in nodes if n.kind == "peer"),
        vpns=sum(1 for n in nodes if n.kind == "vpn"),
        lbs=len(internet_lbs),
        open_groups=sum(len(v.open_groups) for v in vpcs),
    )
    if missing:
        shown = [f"{dataset_description(d, lang)} ({d})" for d in sorted(set(missing))]
        text += t("network.diagram.incomplete", lang, datasets=t("value.list_separator", lang).join(shown))
    return text


def diagrams(bundle_or_view: Any, lang: str = "ja") -> list[dict[str, Any]]:
    """One network diagram per account and region holding a VPC: ``{account, account_label, region, title, svg,
    summary}``, ``svg`` a complete, self-contained SVG document (a string), ``summary`` one sentence in ``lang``.

    A region whose VPCs could not be read has no picture (its missing evidence is reported under the items that
    need it); a missing part (subnets, gateways...) is left out and named in the summary.
    """
    lang = "en" if lang == "en" else "ja"
    bundle = getattr(bundle_or_view, "bundle", bundle_or_view)
    names = account_names(bundle.manifest)
    out = []
    for account in bundle.accounts:
        label = account_label(account, names, lang)
        for region in bundle.regions(account):
            try:
                if not bundle.rows(VPCS, account, region):
                    continue
            except EvidenceUnavailable:
                continue
            vpcs, nodes, peerings, missing = _model(bundle, account, region, lang)
            title = t("network.diagram.title", lang, account=label, region=region)
            out.append(
                {
                    "account": account,
                    "account_label": label,
                    "region": region,
                    "title": title,
                    "svg": _svg(title, vpcs, nodes, peerings, lang),
                    "summary": _summary(vpcs, nodes, peerings, missing, lang),
                }
            )
    return out


def show(view: Any, lang: str | None = None) -> Any:
    """The diagrams for a notebook (``kit.view``, or a bundle): each title, summary and picture as HTML
    (``IPython.display.HTML``), in the view's language unless ``lang`` says otherwise."""
    from IPython.display import HTML

    lang = lang or getattr(view, "lang", "ja")
    bundle_or_view = view

    parts = []
    for item in diagrams(bundle_or_view, lang):
        parts.append(f"<h4>{display.esc(item['title'])}</h4><p>{display.esc(item['summary'])}</p>")
        parts.append(f'<div style="overflow-x:auto">{item["svg"]}</div>')
    if not parts:
        parts.append(f"<p>{display.esc(t('network.diagram.no_vpcs', lang))}</p>")
    return HTML("\n".join(parts))


__all__ = ["diagrams", "show"]
