"""2.3.4.4 segmentation and VPN checks, and the network topology collectors behind them and the diagram.

The collectors run against moto in server mode over real HTTP (one small estate for the module). Every check
passes and fails on the shared demo run (its emulator estate, seeded by ``demo/seed_topology.py``). Hand-built
bundles cover nothing to assess, missing evidence and the parameter variants, and the VPN tunnel options and
status that moto does not return (its DescribeVpnConnections has neither; the demo answers them through
``demo/unserved.py``, hand-built as AWS gives them).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import make_bundle, run_one

from assess_lib.demo import unserved
from assess_lib.demo.server import demo_credentials
from assess_lib.evidence import Bundle, CollectionError
from assess_lib.params import parse_params
from assess_lib.pipeline import collect

TOKYO = "ap-northeast-1"
CHECKS = ("peering_route_scope", "transit_route_scope", "default_vpc_in_use", "vpn_tunnel_crypto", "vpn_tunnel_status")
SECRET = "demo-psk-must-never-be-kept"


# --- collectors on the emulator ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def estate(moto_server, tmp_path_factory) -> dict[str, Any]:
    """A small estate in Tokyo, collected once (one region: the suite's time budget). The VPN answer is hand-built,
    as AWS gives it, with a pre-shared key: moto returns neither tunnel options nor tunnel status."""
    import boto3

    moto_server.reset()
    ids: dict[str, Any] = {}
    with demo_credentials():
        ec2 = boto3.client("ec2", region_name=TOKYO, endpoint_url=moto_server.url)
        a = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        b = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=a, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=a)
        nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])
        pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
        endpoint = ec2.create_vpc_endpoint(VpcId=a, ServiceName=f"com.amazonaws.{TOKYO}.s3", VpcEndpointType="Gateway")
        tgw = ec2.create_transit_gateway(Description="core")["TransitGateway"]
        attachment = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw["TransitGatewayId"], VpcId=b, SubnetIds=[])
        ec2.create_transit_gateway_route(
            DestinationCidrBlock="10.2.0.0/16",
            TransitGatewayRouteTableId=tgw["Options"]["AssociationDefaultRouteTableId"],
            TransitGatewayAttachmentId=attachment["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"],
        )
        vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
        ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=a)
        cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.7", BgpAsn=65001)["CustomerGateway"]
        # Hand-built as AWS answers, with the pre-shared key and configuration document the collector must drop.
        unserved.register(
            moto_server.url,
            "ec2",
            "DescribeVpnConnections",
            {
                "VpnConnections": [
                    {
                        "VpnConnectionId": "vpn-0hq",
                        "State": "available",
                        "CustomerGatewayId": cgw["CustomerGatewayId"],
                        "VpnGatewayId": vgw,
                        "CustomerGatewayConfiguration": f"<vpn_connection><pre_shared_key>{SECRET}</pre_shared_key></vpn_connection>",
                        "Options": {
                            "TunnelOptions": [
                                {"OutsideIpAddress": "198.51.100.1", "PreSharedKey": SECRET, "IkeVersions": [{"Value": "ikev2"}]}
                            ]
                        },
                        "VgwTelemetry": [
                            {"OutsideIpAddress": "198.51.100.1", "Status": "DOWN", "StatusMessage": "IPSEC IS DOWN"}
                        ],
                    }
                ]
            },
            region=TOKYO,
        )
        params = parse_params({"customer": "テスト銀行", "aws": {"regions": [TOKYO]}, "dns": {"domains": []}})
        run = tmp_path_factory.mktemp("topology") / "run"
        bundle = collect(params, run, endpoint_url=moto_server.url, max_attempts=2)
    unserved.clear(moto_server.url)
    ids.update(
        a=a,
        b=b,
        subnet=subnet,
        igw=igw,
        nat=nat["NatGateway"]["NatGatewayId"],
        pcx=pcx,
        endpoint=endpoint["VpcEndpoint"]["VpcEndpointId"],
        tgw=tgw["TransitGatewayId"],
        vgw=vgw,
        cgw=cgw["CustomerGatewayId"],
    )
    return {"bundle": bundle, "ids": ids, "run": run}


def _rows(estate: dict[str, Any], dataset: str, region: str = TOKYO) -> list[dict[str, Any]]:
    return estate["bundle"].rows(dataset, estate["bundle"].accounts[0], region)


def test_topology_datasets_hold_the_estate(estate):
    ids = estate["ids"]
    bundle: Bundle = estate["bundle"]
    topology = [e for e in bundle.entries() if e["dataset"].startswith("ec2.")]
    assert topology and all(e["status"] == "ok" for e in topology), [e for e in topology if e["status"] != "ok"]
    subnet = next(s for s in _rows(estate, "ec2.subnets") if s["subnet_id"] == ids["subnet"])
    assert (subnet["vpc_id"], subnet["cidr"]) == (ids["a"], "10.1.1.0/24")
    assert any(g["gateway_id"] == ids["igw"] and g["vpc_ids"] == [ids["a"]] for g in _rows(estate, "ec2.internet_gateways"))
    nat = next(n for n in _rows(estate, "ec2.nat_gateways") if n["nat_gateway_id"] == ids["nat"])
    assert (nat["vpc_id"], nat["subnet_id"], nat["connectivity"]) == (ids["a"], ids["subnet"], "public")
    pcx = next(p for p in _rows(estate, "ec2.vpc_peering_connections") if p["peering_id"] == ids["pcx"])
    assert (
        pcx["status"] == "active" and pcx["requester"]["cidrs"] == ["10.1.0.0/16"] and pcx["accepter"]["cidrs"] == ["10.2.0.0/16"]
    )
    assert [e["endpoint_id"] for e in _rows(estate, "ec2.vpc_endpoints")] == [ids["endpoint"]]
    assert [t["transit_gateway_id"] for t in _rows(estate, "ec2.transit_gateways")] == [ids["tgw"]]
    attachments = _rows(estate, "ec2.transit_gateway_attachments")
    assert {(a["resource_type"], a["resource_id"]) for a in attachments} == {("vpc", ids["b"])}
    (table,) = _rows(estate, "ec2.transit_gateway_route_tables")
    assert [r["destination"] for r in table["routes"]] == ["10.2.0.0/16"]
    assert [g["vpc_ids"] for g in _rows(estate, "ec2.vpn_gateways")] == [[ids["a"]]]
    assert [(c["customer_gateway_id"], c["ip_address"]) for c in _rows(estate, "ec2.customer_gateways")] == [
        (ids["cgw"], "203.0.113.7")
    ]
    (vpn,) = _rows(estate, "ec2.vpn_connections")
    assert (vpn["vpn_connection_id"], vpn["customer_gateway_id"], vpn["vpn_gateway_id"]) == ("vpn-0hq", ids["cgw"], ids["vgw"])


def test_vpn_rows_keep_tunnels_but_never_the_pre_shared_key(estate):
    (vpn,) = _rows(estate, "ec2.vpn_connections")
    assert vpn["tunnels"][0]["status"] == "DOWN" and vpn["tunnels"][0]["ike_versions"] == ["ikev2"]
    for path in (estate["run"] / "evidence").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path


# --- pass and fail from the emulator: the shared demo run --------------------------------------------


@pytest.fixture(scope="module")
def demo_bundle(demo_cli_run: Path) -> Bundle:
    return Bundle.load(demo_cli_run / "evidence")


@pytest.mark.parametrize("check_id", CHECKS)
def test_demo_shows_each_check_passing_and_failing(demo_bundle, check_id):
    findings = run_one(check_id, demo_bundle)
    verdicts = {f.verdict.value for f in findings}
    assert {"pass", "fail"} <= verdicts, [(f.verdict.value, f.resource, f.message_en) for f in findings]


def test_demo_findings_name_the_gap(demo_bundle):
    fails = {f.check_id: f for c in CHECKS for f in run_one(c, demo_bundle) if f.verdict.value == "fail"}
    assert "10.0.0.0/8 → pcx-" in fails["peering_route_scope"].message_en
    assert "10.0.0.0/8 → vpc-" in fails["transit_route_scope"].message_en
    assert "legacy batch server" in fails["default_vpc_in_use"].message_en
    assert "demo-bank-backup-dc-vpn" in fails["vpn_tunnel_crypto"].resource
    assert "AWS's defaults" in fails["vpn_tunnel_crypto"].message_en
    for weak in ("IKEv1", "SHA1", "DH group 2"):
        assert weak in fails["vpn_tunnel_crypto"].message_en
    assert "198.51.100.22" in fails["vpn_tunnel_status"].message_en
    for finding in fails.values():
        assert finding.message_ja and finding.message_en and "{" not in finding.message_ja + finding.message_en


# --- hand-built evidence: nothing to assess, missing evidence, parameters -----------------------------


def _peering(pcx: str, a: tuple[str, str], b: tuple[str, str]) -> dict[str, Any]:
    side = lambda vpc, cidr: {"vpc_id": vpc, "owner_id": "123456789012", "region": TOKYO, "cidrs": [cidr], "ipv6_cidrs": []}
    return {"peering_id": pcx, "name": None, "status": "active", "requester": side(*a), "accepter": side(*b)}


def _table(table: str, vpc: str, routes: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "route_table_id": table,
        "vpc_id": vpc,
        "is_main": False,
        "subnet_ids": [],
        "routes": [
            {"destination": d, "ipv6_destination": None, "prefix_list": None, "target": t, "state": "active"} for d, t in routes
        ],
    }


def test_peering_routes_judged_against_the_peer(tmp_path):
    peering = _peering("pcx-1", ("vpc-a", "10.1.0.0/16"), ("vpc-b", "10.2.0.0/16"))
    tables = [
        _table("rtb-exact", "vpc-a", [("10.1.0.0/16", "local"), ("10.2.0.0/16", "pcx-1")]),
        _table("rtb-subnet", "vpc-a", [("10.2.3.0/24", "pcx-1")]),
        _table("rtb-default", "vpc-b", [("0.0.0.0/0", "pcx-1")]),
        _table("rtb-none", "vpc-b", [("0.0.0.0/0", "igw-1")]),
    ]
    bundle = make_bundle(tmp_path, {("ec2.route_tables", TOKYO): tables, ("ec2.vpc_peering_connections", TOKYO): [peering]})
    got = {f.resource.split()[0]: (f.verdict.value, f.details.get("routes")) for f in run_one("peering_route_scope", bundle)}
    assert got == {
        "rtb-exact": ("pass", None),
        "rtb-subnet": ("pass", None),
        "rtb-default": ("fail", "0.0.0.0/0 → pcx-1"),
    }
    strict = run_one("peering_route_scope", bundle, {"peering_whole_vpc_route_allowed": False})
    assert {f.resource.split()[0]: f.verdict.value for f in strict if f.resource.startswith("rtb-exact")} == {"rtb-exact": "fail"}
    assert any(f.severity == "low" and "whole CIDR" in f.message_en for f in strict)


def _tgw_table(routes: list[tuple[str, str, str]]) -> dict[str, Any]:
    return {
        "route_table_id": "tgw-rtb-1",
        "transit_gateway_id": "tgw-1",
        "name": None,
        "is_default_association": True,
        "state": "available",
        "routes": [
            {
                "destination": d,
                "prefix_list": None,
                "type": "static",
                "state": "active",
                "attachments": [{"attachment_id": "tgw-attach-1", "resource_type": kind, "resource_id": target}],
            }
            for d, kind, target in routes
        ],
    }


def _vpc(vpc: str, cidr: str, default: bool = False) -> dict[str, Any]:
    return {
        "vpc_id": vpc,
        "name": None,
        "is_default": default,
        "cidr_blocks": [cidr],
        "ipv6_cidr_blocks": [],
        "state": "available",
    }


def test_transit_routes_default_route_is_a_parameter(tmp_path):
    table = _tgw_table([("10.9.0.0/16", "vpc", "vpc-a"), ("0.0.0.0/0", "vpc", "vpc-a"), ("192.168.0.0/16", "vpn", "vpn-1")])
    bundle = make_bundle(
        tmp_path, {("ec2.transit_gateway_route_tables", TOKYO): [table], ("ec2.vpcs", TOKYO): [_vpc("vpc-a", "10.9.0.0/16")]}
    )
    assert [f.verdict.value for f in run_one("transit_route_scope", bundle)] == ["pass"]
    (strict,) = run_one("transit_route_scope", bundle, {"transit_default_route_allowed": False})
    assert strict.verdict.value == "fail" and "0.0.0.0/0 → vpc-a" in strict.message_en and "192.168" not in strict.message_en


def _vpn(tunnels: list[dict[str, Any]], name: str = "branch") -> dict[str, Any]:
    return {
        "vpn_connection_id": "vpn-1",
        "name": name,
        "state": "available",
        "type": "ipsec.1",
        "customer_gateway_id": "cgw-1",
        "vpn_gateway_id": "vgw-1",
        "transit_gateway_id": None,
        "static_routes_only": False,
        "tunnels": tunnels,
    }


def _tunnel(ip: str, status: str | None = "UP", **options: list[Any]) -> dict[str, Any]:
    keys = (
        "ike_versions",
        "phase1_encryption",
        "phase1_integrity",
        "phase1_dh_groups",
        "phase2_encryption",
        "phase2_integrity",
        "phase2_dh_groups",
    )
    strong = {
        "ike_versions": ["ikev2"],
        "phase1_encryption": ["AES256-GCM-16"],
        "phase2_encryption": ["AES256-GCM-16"],
        "phase1_integrity": ["SHA2-384"],
        "phase2_integrity": ["SHA2-384"],
        "phase1_dh_groups": [19, 20, 21],
        "phase2_dh_groups": [14, 21],
    }
    row = {"outside_ip": ip, "status": status, "status_message": None, "last_status_change": None}
    return row | {k: options.get(k, strong[k]) for k in keys}


def test_vpn_crypto_against_the_cryptrec_list(tmp_path):
    cases = {
        "strong": ([_tunnel("1.1.1.1"), _tunnel("1.1.1.2")], "pass", ()),
        "sha1": ([_tunnel("1.1.1.1", phase2_integrity=["SHA2-256", "SHA1"]), _tunnel("1.1.1.2")], "fail", ("SHA1", "1.1.1.1")),
        "dh5": ([_tunnel("1.1.1.1", phase2_dh_groups=[5, 14])], "fail", ("DH group 5",)),
        "ikev1": ([_tunnel("1.1.1.1", ike_versions=["ikev1", "ikev2"])], "fail", ("IKEv1",)),
        "defaults": (
            [_tunnel("1.1.1.1", ike_versions=[], phase1_dh_groups=[])],
            "fail",
            ("AWS's defaults", "IKEv1", "DH group 2"),
        ),
    }
    for name, (tunnels, verdict, words) in cases.items():
        bundle = make_bundle(tmp_path / name, {("ec2.vpn_connections", TOKYO): [_vpn(tunnels, name)]})
        (finding,) = run_one("vpn_tunnel_crypto", bundle)
        assert finding.verdict.value == verdict, (name, finding.message_en)
        assert all(w in finding.message_en for w in words), (name, finding.message_en)
        if name == "dh5":
            assert "SHA-1" not in finding.message_en and "2048 bits" in finding.message_en  # only the reason that applies
    bundle = make_bundle(
        tmp_path / "param", {("ec2.vpn_connections", TOKYO): [_vpn([_tunnel("1.1.1.1", ike_versions=["ikev1"])])]}
    )
    assert run_one("vpn_tunnel_crypto", bundle, {"vpn_ikev1_allowed": True})[0].verdict.value == "pass"


def test_vpn_tunnel_status(tmp_path):
    cases = {
        "up": ([_tunnel("1.1.1.1"), _tunnel("1.1.1.2")], "pass", None),
        "one": ([_tunnel("1.1.1.1"), _tunnel("1.1.1.2", "DOWN")], "fail", "medium"),
        "all": ([_tunnel("1.1.1.1", "DOWN"), _tunnel("1.1.1.2", "DOWN")], "fail", "high"),
        "unknown": ([_tunnel("1.1.1.1", None)], "manual", None),
    }
    for name, (tunnels, verdict, severity) in cases.items():
        bundle = make_bundle(tmp_path / name, {("ec2.vpn_connections", TOKYO): [_vpn(tunnels)]})
        (finding,) = run_one("vpn_tunnel_status", bundle)
        assert finding.verdict.value == verdict, (name, finding.message_en)
        if severity:
            assert finding.severity == severity


def _sg(vpc: str, enis: int) -> dict[str, Any]:
    interfaces = [{"id": f"eni-{i}", "type": "interface", "instance_id": None, "description": "batch"} for i in range(enis)]
    return {
        "group_id": f"sg-{vpc}",
        "group_name": "g",
        "vpc_id": vpc,
        "description": "",
        "is_default": False,
        "ingress": [],
        "egress": [],
        "attached": bool(enis),
        "network_interface_count": enis,
        "network_interfaces": interfaces,
    }


def test_default_vpc_only_in_use_fails(tmp_path):
    vpcs = [_vpc("vpc-default", "172.31.0.0/16", default=True), _vpc("vpc-app", "10.0.0.0/16")]
    used = make_bundle(
        tmp_path / "used",
        {("ec2.vpcs", TOKYO): vpcs, ("ec2.security_groups", TOKYO): [_sg("vpc-default", 25), _sg("vpc-app", 3)]},
    )
    (finding,) = run_one("default_vpc_in_use", used)
    assert finding.verdict.value == "fail" and "25 network interface" in finding.message_en
    empty = make_bundle(tmp_path / "empty", {("ec2.vpcs", TOKYO): vpcs, ("ec2.security_groups", TOKYO): [_sg("vpc-app", 3)]})
    assert [f.verdict.value for f in run_one("default_vpc_in_use", empty)] == ["pass"]


NOTHING = {
    "peering_route_scope": {
        "ec2.route_tables": [_table("rtb-1", "vpc-a", [("0.0.0.0/0", "igw-1")])],
        "ec2.vpc_peering_connections": [],
    },
    "transit_route_scope": {"ec2.transit_gateway_route_tables": [], "ec2.vpcs": []},
    "default_vpc_in_use": {"ec2.vpcs": [_vpc("vpc-app", "10.0.0.0/16")], "ec2.security_groups": []},
    "vpn_tunnel_crypto": {"ec2.vpn_connections": []},
    "vpn_tunnel_status": {"ec2.vpn_connections": []},
}


@pytest.mark.parametrize("check_id", CHECKS)
def test_nothing_to_assess_and_missing_evidence(tmp_path, check_id):
    datasets = NOTHING[check_id]
    bundle = make_bundle(tmp_path / "none", {(name, TOKYO): rows for name, rows in datasets.items()})
    assert [f.verdict.value for f in run_one(check_id, bundle)] == ["not_applicable"]
    first = next(iter(datasets))
    denied = {
        (name, TOKYO): CollectionError("access_denied", "AccessDenied", "no") if name == first else rows
        for name, rows in datasets.items()
    }
    findings = run_one(check_id, make_bundle(tmp_path / "missing", denied))
    assert [f.verdict.value for f in findings] == ["error"] and findings[0].details["missing_permission"], findings


def test_demo_evidence_is_json_of_plain_facts(demo_bundle):
    """Rows are facts, never verdicts: no column of the topology datasets says pass or fail."""
    account = demo_bundle.accounts[0]
    for dataset in ("ec2.vpn_connections", "ec2.transit_gateway_route_tables", "ec2.vpc_peering_connections"):
        text = json.dumps(demo_bundle.rows(dataset, account, TOKYO))
        assert '"verdict"' not in text and "PreSharedKey" not in text
