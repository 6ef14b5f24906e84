"""デモ銀行's network topology around ``seed_network``: what the network diagram (2.2.1.4 ①) draws and the
segmentation and VPN checks (2.3.4.4) judge, good and bad side by side.

Tokyo: the production VPC gets a private application subnet behind a NAT gateway, an S3 gateway endpoint and an
SSM interface endpoint; a shared-services VPC is peered with it (production's route to it is exact: pass; the
shared VPC's route back covers 10.0.0.0/8: fail); a core transit gateway joins both, with a route wider than the
shared VPC (fail) and a site-to-site VPN to head office; a legacy batch server still sits in the default VPC (fail).
Osaka: the DR VPC is attached to its transit gateway with exact routes and a default route to the egress design
(pass); its default VPC is empty (pass); a VPN to the backup data centre.

Emulator notes (hand-built answers through ``unserved``, as AWS would give them): moto returns VPN connections
without tunnel options or tunnel status, and transit gateway routes without the attachment they lead to, so
``DescribeVpnConnections`` and ``SearchTransitGatewayRoutes`` are answered with the emulator's own IDs.
"""

from __future__ import annotations

from typing import Any

from . import unserved
from .seed_network import OSAKA, TOKYO
from .server import DEMO_ACCOUNT

TUNNEL_OPTIONS_STRONG = {
    "IkeVersions": [{"Value": "ikev2"}],
    "Phase1EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}],
    "Phase2EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}],
    "Phase1IntegrityAlgorithms": [{"Value": "SHA2-256"}],
    "Phase2IntegrityAlgorithms": [{"Value": "SHA2-256"}],
    "Phase1DHGroupNumbers": [{"Value": 20}],
    "Phase2DHGroupNumbers": [{"Value": 20}],
}


def _vpc_id(ec2: Any, name: str) -> str:
    found = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"]
    return str(found[0]["VpcId"])


def _subnets(ec2: Any, vpc: str) -> list[str]:
    found = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    return [s["SubnetId"] for s in sorted(found, key=lambda s: s["CidrBlock"])]


def _name(kind: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]


def _route_table(ec2: Any, vpc: str, name: str, subnets: list[str]) -> str:
    table = ec2.create_route_table(VpcId=vpc, TagSpecifications=_name("route-table", name))["RouteTable"]["RouteTableId"]
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    return str(table)


def _default_vpc(ec2: Any) -> tuple[str, str]:
    vpc = next(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v.get("IsDefault"))
    return vpc, _subnets(ec2, vpc)[0]


def _vpn(ec2: Any, name: str, ip: str, tgw: str) -> tuple[str, str]:
    cgw = ec2.create_customer_gateway(
        Type="ipsec.1", PublicIp=ip, BgpAsn=65010, TagSpecifications=_name("customer-gateway", f"{name}-cgw")
    )["CustomerGateway"]["CustomerGatewayId"]
    vpn = ec2.create_vpn_connection(
        Type="ipsec.1", CustomerGatewayId=cgw, TransitGatewayId=tgw, TagSpecifications=_name("vpn-connection", name)
    )["VpnConnection"]["VpnConnectionId"]
    return str(cgw), str(vpn)


def _vpn_answer(vpn: str, name: str, cgw: str, tgw: str, tunnels: list[tuple[str, str, str, dict[str, Any]]]) -> dict[str, Any]:
    """A DescribeVpnConnections entry as AWS gives it (without the pre-shared keys and configuration document)."""
    return {
        "VpnConnectionId": vpn,
        "State": "available",
        "Type": "ipsec.1",
        "CustomerGatewayId": cgw,
        "TransitGatewayId": tgw,
        "Tags": [{"Key": "Name", "Value": name}],
        "Options": {"StaticRoutesOnly": False, "TunnelOptions": [{"OutsideIpAddress": ip, **opts} for ip, _, _, opts in tunnels]},
        "VgwTelemetry": [
            {"OutsideIpAddress": ip, "Status": status, "StatusMessage": message, "AcceptedRouteCount": 1}
            for ip, status, message, _ in tunnels
        ],
    }


def _tgw_routes(routes: list[tuple[str, str, str]]) -> dict[str, Any]:
    """A SearchTransitGatewayRoutes answer: (destination, attachment, VPC) per route."""
    return {
        "Routes": [
            {
                "DestinationCidrBlock": destination,
                "Type": "static",
                "State": "active",
                "TransitGatewayAttachments": [
                    {"TransitGatewayAttachmentId": attachment, "ResourceId": vpc, "ResourceType": "vpc"}
                ],
            }
            for destination, attachment, vpc in routes
        ],
        "AdditionalRoutesAvailable": False,
    }


def _attach(ec2: Any, tgw: str, vpc: str, subnet: str, name: str) -> str:
    return str(
        ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[subnet], TagSpecifications=_name("transit-gateway-attachment", name)
        )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    )


def seed_tokyo_topology(clients: Any, endpoint_url: str) -> None:
    ec2 = clients("ec2", TOKYO)
    prod = _vpc_id(ec2, "demo-bank-prod")
    public = _subnets(ec2, prod)
    # Private application subnet: out through a NAT gateway in the first public subnet.
    app = ec2.create_subnet(
        VpcId=prod, CidrBlock="10.10.11.0/24", AvailabilityZone=f"{TOKYO}a", TagSpecifications=_name("subnet", "prod-app-a")
    )["Subnet"]["SubnetId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public[0], AllocationId=eip, TagSpecifications=_name("natgateway", "prod-nat-a"))
    private_table = _route_table(ec2, prod, "prod-private", [app])
    ec2.create_route(RouteTableId=private_table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat["NatGateway"]["NatGatewayId"])
    ec2.create_vpc_endpoint(
        VpcId=prod, ServiceName=f"com.amazonaws.{TOKYO}.s3", VpcEndpointType="Gateway", RouteTableIds=[private_table]
    )
    ec2.create_vpc_endpoint(VpcId=prod, ServiceName=f"com.amazonaws.{TOKYO}.ssm", VpcEndpointType="Interface", SubnetIds=[app])

    # Shared services VPC (directory, monitoring): private only, peered with production.
    shared = ec2.create_vpc(CidrBlock="10.40.0.0/16", TagSpecifications=_name("vpc", "demo-bank-shared"))["Vpc"]["VpcId"]
    shared_subnets = [
        ec2.create_subnet(
            VpcId=shared, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=az, TagSpecifications=_name("subnet", f"shared-{az[-1]}")
        )["Subnet"]["SubnetId"]
        for i, az in enumerate([f"{TOKYO}a", f"{TOKYO}c"], start=1)
    ]
    shared_table = _route_table(ec2, shared, "shared-private", shared_subnets)
    pcx = ec2.create_vpc_peering_connection(
        VpcId=prod, PeerVpcId=shared, TagSpecifications=_name("vpc-peering-connection", "prod-shared")
    )
    pcx_id = pcx["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    # Production reaches exactly the shared VPC (peering_route_scope pass) ...
    ec2.create_route(RouteTableId=private_table, DestinationCidrBlock="10.40.0.0/16", VpcPeeringConnectionId=pcx_id)
    # ... the shared VPC sends all of 10.0.0.0/8 back over the peering (peering_route_scope fail).
    ec2.create_route(RouteTableId=shared_table, DestinationCidrBlock="10.0.0.0/8", VpcPeeringConnectionId=pcx_id)

    # A virtual private gateway on the shared VPC, kept for the Direct Connect line to head office.
    vgw = ec2.create_vpn_gateway(Type="ipsec.1", TagSpecifications=_name("vpn-gateway", "demo-bank-shared-vgw"))["VpnGateway"]
    ec2.attach_vpn_gateway(VpnGatewayId=vgw["VpnGatewayId"], VpcId=shared)

    # Core transit gateway: production and shared attached; the shared attachment's route covers 10.0.0.0/8
    # (transit_route_scope fail) beside production's exact one.
    tgw = ec2.create_transit_gateway(
        Description="demo-bank core", TagSpecifications=_name("transit-gateway", "demo-bank-core-tgw")
    )
    tgw_id = tgw["TransitGateway"]["TransitGatewayId"]
    prod_att = _attach(ec2, tgw_id, prod, app, "prod")
    shared_att = _attach(ec2, tgw_id, shared, shared_subnets[0], "shared")
    unserved.register(
        endpoint_url,
        "ec2",
        "SearchTransitGatewayRoutes",
        _tgw_routes([("10.10.0.0/16", prod_att, prod), ("10.0.0.0/8", shared_att, shared)]),
        region=TOKYO,
        account=DEMO_ACCOUNT,
    )
    # Head office VPN: IKEv2 and AES-GCM/SHA-2/ECDH on both tunnels, both up (vpn_tunnel_crypto, vpn_tunnel_status pass).
    cgw, vpn = _vpn(ec2, "demo-bank-hq-vpn", "203.0.113.10", tgw_id)
    hq = _vpn_answer(
        vpn,
        "demo-bank-hq-vpn",
        cgw,
        tgw_id,
        [("198.51.100.11", "UP", "", TUNNEL_OPTIONS_STRONG), ("198.51.100.12", "UP", "", TUNNEL_OPTIONS_STRONG)],
    )
    unserved.register(endpoint_url, "ec2", "DescribeVpnConnections", {"VpnConnections": [hq]}, region=TOKYO, account=DEMO_ACCOUNT)

    # Legacy batch server left in the default VPC (default_vpc_in_use fail).
    default, default_subnet = _default_vpc(ec2)
    group = ec2.create_security_group(GroupName="demo-bank-legacy-batch-sg", Description="Legacy batch server", VpcId=default)
    ec2.create_network_interface(SubnetId=default_subnet, Groups=[group["GroupId"]], Description="legacy batch server")


def seed_osaka_topology(clients: Any, endpoint_url: str) -> None:
    ec2 = clients("ec2", OSAKA)
    dr = _vpc_id(ec2, "demo-bank-dr")
    subnets = _subnets(ec2, dr)
    tgw_id = ec2.describe_transit_gateways()["TransitGateways"][0]["TransitGatewayId"]
    att = _attach(ec2, tgw_id, dr, subnets[0], "dr")
    # Exact route to the DR VPC and the default route of the egress design (transit_route_scope pass).
    unserved.register(
        endpoint_url,
        "ec2",
        "SearchTransitGatewayRoutes",
        _tgw_routes([("10.30.0.0/16", att, dr), ("0.0.0.0/0", att, dr)]),
        region=OSAKA,
        account=DEMO_ACCOUNT,
    )
    # Backup data centre VPN: options never restricted (AWS defaults: IKEv1, SHA-1, DH group 2) and one tunnel
    # down (vpn_tunnel_crypto fail, vpn_tunnel_status fail).
    cgw, vpn = _vpn(ec2, "demo-bank-backup-dc-vpn", "203.0.113.20", tgw_id)
    backup = _vpn_answer(
        vpn,
        "demo-bank-backup-dc-vpn",
        cgw,
        tgw_id,
        [("198.51.100.21", "UP", "", {}), ("198.51.100.22", "DOWN", "IPSEC IS DOWN", {})],
    )
    unserved.register(
        endpoint_url, "ec2", "DescribeVpnConnections", {"VpnConnections": [backup]}, region=OSAKA, account=DEMO_ACCOUNT
    )


def seed_topology(clients: Any) -> None:
    """Add デモ銀行's subnets, gateways, peering, transit gateway routes, VPNs and a default-VPC workload."""
    seed_tokyo_topology(clients, clients.endpoint_url)
    seed_osaka_topology(clients, clients.endpoint_url)
