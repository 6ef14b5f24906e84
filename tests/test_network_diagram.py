"""The network diagram (2.2.1.4 ①): SVG drawn from the evidence, in the report and the 2.2 notebook.

The seeded estate is the shared demo run (moto in server mode, ``demo/seed_network.py`` + ``seed_topology.py``);
hostile names and a large estate (10 VPCs × 6 subnets) are hand-built bundles, as the point there is the strings
and the layout, not the collection.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import make_bundle

from assess_lib.evidence import Bundle, CollectionError
from assess_lib.report.network_diagram import ITEM, diagrams

TOKYO = "ap-northeast-1"
SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert(1)</script> & \u202egnp.exe \x01 \"q\" 'a'"


def _vpc(i: int, name: str | None = None, default: bool = False) -> dict[str, Any]:
    return {
        "vpc_id": f"vpc-{i:017x}",
        "name": name if name is not None else f"vpc-name-{i}",
        "is_default": default,
        "cidr_blocks": [f"10.{i}.0.0/16"],
        "ipv6_cidr_blocks": [],
        "state": "available",
    }


def _subnet(i: int, j: int, name: str | None = None) -> dict[str, Any]:
    return {
        "subnet_id": f"subnet-{i:08x}{j:09x}",
        "vpc_id": f"vpc-{i:017x}",
        "name": name if name is not None else f"sn-{i}-{j}",
        "cidr": f"10.{i}.{j}.0/24",
        "ipv6_cidrs": [],
        "availability_zone": f"{TOKYO}{'ac'[j % 2]}",
        "map_public_ip_on_launch": False,
        "default_for_az": False,
        "state": "available",
    }


def _estate(vpcs: int, subnets: int, hostile: bool = False) -> dict[tuple[str, str], Any]:
    name = HOSTILE if hostile else None
    tables = [
        {
            "route_table_id": f"rtb-{i}",
            "vpc_id": f"vpc-{i:017x}",
            "is_main": True,
            "subnet_ids": [],
            "routes": [{"destination": "0.0.0.0/0", "target": f"igw-{i}", "state": "active"}] if i % 2 == 0 else [],
        }
        for i in range(vpcs)
    ]
    peerings = [
        {
            "peering_id": f"pcx-{i}",
            "name": name,
            "status": "active",
            "requester": {"vpc_id": f"vpc-{i:017x}", "cidrs": [f"10.{i}.0.0/16"]},
            "accepter": {"vpc_id": f"vpc-{i + 1:017x}", "cidrs": [f"10.{i + 1}.0.0/16"]},
        }
        for i in range(vpcs - 1)
    ]
    return {
        ("ec2.vpcs", TOKYO): [_vpc(i, name) for i in range(vpcs)],
        ("ec2.subnets", TOKYO): [_subnet(i, j, name) for i in range(vpcs) for j in range(subnets)],
        ("ec2.route_tables", TOKYO): tables,
        ("ec2.internet_gateways", TOKYO): [
            {"gateway_id": f"igw-{i}", "name": name, "vpc_ids": [f"vpc-{i:017x}"]} for i in range(0, vpcs, 2)
        ],
        ("ec2.vpc_peering_connections", TOKYO): peerings,
        ("ec2.transit_gateways", TOKYO): [
            {
                "transit_gateway_id": "tgw-1",
                "name": name,
                "owner_id": "1",
                "state": "available",
                "description": None,
                "default_route_table_id": None,
            }
        ],
        ("ec2.transit_gateway_attachments", TOKYO): [
            {
                "attachment_id": f"tgw-attach-{i}",
                "transit_gateway_id": "tgw-1",
                "name": None,
                "resource_type": "vpc",
                "resource_id": f"vpc-{i:017x}",
                "resource_owner_id": "1",
                "state": "available",
                "route_table_id": None,
            }
            for i in range(0, vpcs, 3)
        ],
        ("elbv2.load_balancers", TOKYO): [
            {
                "arn": "arn:lb",
                "name": name or "web-alb",
                "type": "application",
                "scheme": "internet-facing",
                "vpc_id": f"vpc-{0:017x}",
                "dns_name": None,
                "security_groups": [],
                "state": "active",
            }
        ],
    }


def _vpc_boxes(svg: str) -> list[tuple[float, float, float, float]]:
    root = ET.fromstring(svg)
    boxes = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "vpc":
            rect = group.find(f"{SVG}rect")
            assert rect is not None
            boxes.append(tuple(float(rect.get(k, "0")) for k in ("x", "y", "width", "height")))
    return boxes


def test_hostile_names_are_escaped(tmp_path):
    bundle = make_bundle(tmp_path, _estate(3, 2, hostile=True))
    (item,) = diagrams(bundle, "en")
    svg = item["svg"]
    ET.fromstring(svg)  # well-formed XML
    assert "<script" not in svg and "\u202e" not in svg and "\x01" not in svg
    assert "&lt;script&gt;" in svg and "&amp;" in svg and "\\u202e" in svg  # shown, inert
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # no external reference


def test_large_estate_every_resource_drawn_without_overlap(tmp_path):
    estate = _estate(10, 6)
    bundle = make_bundle(tmp_path, estate)
    first = diagrams(bundle, "ja")
    assert first == diagrams(bundle, "ja")  # deterministic
    (item,) = first
    svg = item["svg"]
    root = ET.fromstring(svg)
    width, height = (float(v) for v in root.get("viewBox", "").split()[2:])
    for rows in estate.values():
        for row in rows:
            key = next(k for k in ("vpc_id", "subnet_id", "gateway_id", "transit_gateway_id", "peering_id", "name") if k in row)
            assert str(row[key]) in svg, (key, row[key])
    boxes = _vpc_boxes(svg)
    assert len(boxes) == 10
    for i, (x, y, w, h) in enumerate(boxes):
        assert x >= 0 and y >= 0 and x + w <= width and y + h <= height
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y, "two VPC boxes overlap"
    assert width < 2000 and height < 2500  # readable when scaled to a page or a screen
    assert "10 VPC" in diagrams(bundle, "en")[0]["summary"]


def test_missing_parts_are_named_and_missing_vpcs_draw_nothing(tmp_path):
    estate = _estate(2, 2)
    estate[("ec2.subnets", TOKYO)] = CollectionError("access_denied", "AccessDenied", "no")
    (item,) = diagrams(make_bundle(tmp_path / "a", estate), "en")
    assert "could not be gathered" in item["summary"] and "(ec2.subnets)" in item["summary"]
    assert "(ec2.vpcs)" not in item["summary"]
    estate[("ec2.vpcs", TOKYO)] = CollectionError("access_denied", "AccessDenied", "no")
    assert diagrams(make_bundle(tmp_path / "b", estate), "en") == []


# --- the seeded estate: the shared demo run ----------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_cli_run: Path) -> tuple[Path, Bundle]:
    return demo_cli_run, Bundle.load(demo_cli_run / "evidence")


def test_every_seeded_resource_appears(demo):
    _, bundle = demo
    pictures = {(d["account"], d["region"]): d for d in diagrams(bundle, "ja")}
    for account in bundle.accounts:
        for region in bundle.regions(account):
            vpcs = bundle.rows("ec2.vpcs", account, region)
            if not vpcs:
                continue
            item = pictures[(account, region)]
            assert set(item) == {"account", "account_label", "region", "title", "svg", "summary"}
            svg = item["svg"]
            ET.fromstring(svg)
            ids = [v["vpc_id"] for v in vpcs]
            ids += [s["subnet_id"] for s in bundle.rows("ec2.subnets", account, region)]
            ids += [g["gateway_id"] for g in bundle.rows("ec2.internet_gateways", account, region)]
            ids += [n["nat_gateway_id"] for n in bundle.rows("ec2.nat_gateways", account, region)]
            ids += [t["transit_gateway_id"] for t in bundle.rows("ec2.transit_gateways", account, region)]
            ids += [v["vpn_connection_id"] for v in bundle.rows("ec2.vpn_connections", account, region)]
            ids += [lb["name"] for lb in bundle.rows("elbv2.load_balancers", account, region)]
            missing = [i for i in ids if i not in svg]
            assert not missing, (account, region, missing)
    tokyo = pictures[(bundle.accounts[0], TOKYO)]
    assert 'class="link peering"' in tokyo["svg"] and 'class="node tgw"' in tokyo["svg"]
    assert "demo-bank-ib-alb" in tokyo["svg"] and "⚠" in tokyo["svg"]


def test_report_and_notebook_show_the_diagrams(demo):
    run, bundle = demo
    expected = len(diagrams(bundle, "ja"))
    for name in ("report.html", "report.en.html"):
        html = (run / name).read_text(encoding="utf-8")
        item = html[html.index(f'id="item-{ITEM}"') :]
        item = item[: item.index("</article>")]
        assert item.count("<svg") == expected and 'id="network-diagrams"' in item
        assert "<script" not in html
    notebook = (run / "notebooks" / "2_2_risk_identification.html").read_text(encoding="utf-8")
    # nbconvert re-serialises the output: "viewbox" in lower case, which an HTML parser maps back to viewBox for SVG.
    assert len(re.findall(r"<svg[^>]*viewbox=", notebook, re.IGNORECASE)) >= expected
