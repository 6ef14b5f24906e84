"""Network topology collectors: the evidence behind the network diagram (2.2.1.4 ①) and segmentation (2.3.4.4).

Every dataset is one bulk, paginated describe call per account and region, except the transit gateway routes:
AWS has no call listing the routes of every transit gateway route table, so they are searched once per route
table (``SearchTransitGatewayRoutes``), a number that grows with transit gateway route tables only (a handful
per estate), never with VPCs or routes. VPCs, route tables, load balancers and security groups come from
``collectors_network`` (``ec2.vpcs``, ``ec2.route_tables``, ``elbv2.load_balancers``, ``ec2.security_groups``).

VPN connections carry their pre-shared keys (``TunnelOptions[].PreSharedKey``) and the customer gateway
configuration document (which holds them too): neither is ever read into a row.
"""

from __future__ import annotations

from typing import Any

from .collectors import AccountContext, Calls, collector
from .collectors_network import _name_tag


def _values(items: list[dict[str, Any]] | None, key: str = "Value") -> list[Any]:
    """``[{"Value": x}, ...]`` as ``[x, ...]`` (how AWS lists IKE versions and algorithms)."""
    return [item[key] for item in items or [] if item.get(key) is not None]


@collector("ec2.subnets")
def collect_subnets(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per subnet: its VPC, CIDR, zone and whether instances get a public IP by default."""
    rows = []
    for page in calls.paginate("ec2", "describe_subnets"):
        for subnet in page.get("Subnets", []):
            rows.append(
                {
                    "subnet_id": subnet["SubnetId"],
                    "vpc_id": subnet.get("VpcId"),
                    "name": _name_tag(subnet),
                    "cidr": subnet.get("CidrBlock"),
                    "ipv6_cidrs": [
                        c["Ipv6CidrBlock"] for c in subnet.get("Ipv6CidrBlockAssociationSet", []) if c.get("Ipv6CidrBlock")
                    ],
                    "availability_zone": subnet.get("AvailabilityZone"),
                    "map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch")),
                    "default_for_az": bool(subnet.get("DefaultForAz")),
                    "state": subnet.get("State"),
                }
            )
    return rows


@collector("ec2.internet_gateways")
def collect_internet_gateways(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    rows = []
    for page in calls.paginate("ec2", "describe_internet_gateways"):
        for igw in page.get("InternetGateways", []):
            rows.append(
                {
                    "gateway_id": igw["InternetGatewayId"],
                    "name": _name_tag(igw),
                    "vpc_ids": [a["VpcId"] for a in igw.get("Attachments", []) if a.get("VpcId")],
                }
            )
    return rows


@collector("ec2.nat_gateways")
def collect_nat_gateways(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    rows = []
    for page in calls.paginate("ec2", "describe_nat_gateways"):
        for nat in page.get("NatGateways", []):
            rows.append(
                {
                    "nat_gateway_id": nat["NatGatewayId"],
                    "name": _name_tag(nat),
                    "vpc_id": nat.get("VpcId"),
                    "subnet_id": nat.get("SubnetId"),
                    "connectivity": nat.get("ConnectivityType") or "public",
                    "state": nat.get("State"),
                    "public_ips": [a["PublicIp"] for a in nat.get("NatGatewayAddresses", []) if a.get("PublicIp")],
                }
            )
    return rows


@collector("ec2.transit_gateways")
def collect_transit_gateways(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    rows = []
    for page in calls.paginate("ec2", "describe_transit_gateways"):
        for tgw in page.get("TransitGateways", []):
            options = tgw.get("Options") or {}
            rows.append(
                {
                    "transit_gateway_id": tgw["TransitGatewayId"],
                    "name": _name_tag(tgw),
                    "owner_id": tgw.get("OwnerId"),
                    "state": tgw.get("State"),
                    "description": tgw.get("Description") or None,
                    "default_route_table_id": options.get("AssociationDefaultRouteTableId"),
                }
            )
    return rows


@collector("ec2.transit_gateway_attachments")
def collect_transit_gateway_attachments(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Attachments of VPCs, VPNs, peerings and Direct Connect gateways, with their associated route table."""
    rows = []
    for page in calls.paginate("ec2", "describe_transit_gateway_attachments"):
        for att in page.get("TransitGatewayAttachments", []):
            rows.append(
                {
                    "attachment_id": att["TransitGatewayAttachmentId"],
                    "transit_gateway_id": att.get("TransitGatewayId"),
                    "name": _name_tag(att),
                    "resource_type": att.get("ResourceType"),  # vpc | vpn | peering | direct-connect-gateway | connect
                    "resource_id": att.get("ResourceId"),
                    "resource_owner_id": att.get("ResourceOwnerId"),
                    "state": att.get("State"),
                    "route_table_id": (att.get("Association") or {}).get("TransitGatewayRouteTableId"),
                }
            )
    return rows


@collector("ec2.transit_gateway_route_tables")
def collect_transit_gateway_route_tables(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Transit gateway route tables with their active and blackhole routes (one search per route table: AWS
    has no call for the routes of every table)."""
    rows = []
    for page in calls.paginate("ec2", "describe_transit_gateway_route_tables"):
        for table in page.get("TransitGatewayRouteTables", []):
            table_id = table["TransitGatewayRouteTableId"]
            routes = []
            for found in calls.paginate(
                "ec2",
                "search_transit_gateway_routes",
                TransitGatewayRouteTableId=table_id,
                Filters=[{"Name": "state", "Values": ["active", "blackhole"]}],
            ):
                for route in found.get("Routes", []):
                    routes.append(
                        {
                            "destination": route.get("DestinationCidrBlock"),
                            "prefix_list": route.get("PrefixListId"),
                            "type": route.get("Type"),  # static | propagated
                            "state": route.get("State"),  # active | blackhole
                            "attachments": [
                                {
                                    "attachment_id": a.get("TransitGatewayAttachmentId"),
                                    "resource_type": a.get("ResourceType"),
                                    "resource_id": a.get("ResourceId"),
                                }
                                for a in route.get("TransitGatewayAttachments", []) or []
                            ],
                        }
                    )
            rows.append(
                {
                    "route_table_id": table_id,
                    "transit_gateway_id": table.get("TransitGatewayId"),
                    "name": _name_tag(table),
                    "is_default_association": bool(table.get("DefaultAssociationRouteTable")),
                    "state": table.get("State"),
                    "routes": routes,
                }
            )
    return rows


def _peer_side(info: dict[str, Any] | None) -> dict[str, Any]:
    info = info or {}
    cidrs = [c["CidrBlock"] for c in info.get("CidrBlockSet", []) or [] if c.get("CidrBlock")]
    if not cidrs and info.get("CidrBlock"):
        cidrs = [info["CidrBlock"]]
    return {
        "vpc_id": info.get("VpcId"),
        "owner_id": info.get("OwnerId"),
        "region": info.get("Region"),
        "cidrs": cidrs,
        "ipv6_cidrs": [c["Ipv6CidrBlock"] for c in info.get("Ipv6CidrBlockSet", []) or [] if c.get("Ipv6CidrBlock")],
    }


@collector("ec2.vpc_peering_connections")
def collect_vpc_peering_connections(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """VPC peering connections seen from this region (as requester or accepter), both sides' CIDRs included."""
    rows = []
    for page in calls.paginate("ec2", "describe_vpc_peering_connections"):
        for pcx in page.get("VpcPeeringConnections", []):
            rows.append(
                {
                    "peering_id": pcx["VpcPeeringConnectionId"],
                    "name": _name_tag(pcx),
                    "status": (pcx.get("Status") or {}).get("Code"),
                    "requester": _peer_side(pcx.get("RequesterVpcInfo")),
                    "accepter": _peer_side(pcx.get("AccepterVpcInfo")),
                }
            )
    return rows


@collector("ec2.vpc_endpoints")
def collect_vpc_endpoints(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    rows = []
    for page in calls.paginate("ec2", "describe_vpc_endpoints"):
        for ep in page.get("VpcEndpoints", []):
            rows.append(
                {
                    "endpoint_id": ep["VpcEndpointId"],
                    "name": _name_tag(ep),
                    "vpc_id": ep.get("VpcId"),
                    "type": ep.get("VpcEndpointType"),  # Gateway | Interface | GatewayLoadBalancer
                    "service_name": ep.get("ServiceName"),
                    "state": ep.get("State"),
                    "subnet_ids": list(ep.get("SubnetIds") or []),
                    "route_table_ids": list(ep.get("RouteTableIds") or []),
                }
            )
    return rows


@collector("ec2.vpn_gateways")
def collect_vpn_gateways(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Virtual private gateways and the VPCs they are attached to (DescribeVpnGateways has no paging)."""
    rows = []
    for vgw in calls.call("ec2", "describe_vpn_gateways").get("VpnGateways", []):
        rows.append(
            {
                "vpn_gateway_id": vgw["VpnGatewayId"],
                "name": _name_tag(vgw),
                "state": vgw.get("State"),
                "vpc_ids": [a["VpcId"] for a in vgw.get("VpcAttachments", []) if a.get("VpcId") and a.get("State") == "attached"],
            }
        )
    return rows


@collector("ec2.customer_gateways")
def collect_customer_gateways(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Customer gateways: the on-premises ends of site-to-site VPNs (DescribeCustomerGateways has no paging)."""
    rows = []
    for cgw in calls.call("ec2", "describe_customer_gateways").get("CustomerGateways", []):
        rows.append(
            {
                "customer_gateway_id": cgw["CustomerGatewayId"],
                "name": _name_tag(cgw),
                "ip_address": cgw.get("IpAddress"),
                "bgp_asn": str(cgw["BgpAsn"]) if cgw.get("BgpAsn") is not None else None,
                "device_name": cgw.get("DeviceName") or None,
                "state": cgw.get("State"),
            }
        )
    return rows


def _tunnels(vpn: dict[str, Any]) -> list[dict[str, Any]]:
    """Each tunnel's status (VgwTelemetry) beside its IKE options (Options.TunnelOptions), matched by outside
    address. Empty option lists mean AWS's defaults are accepted; the pre-shared key is left out."""
    options = {o.get("OutsideIpAddress"): o for o in (vpn.get("Options") or {}).get("TunnelOptions", []) or []}
    telemetry = {t.get("OutsideIpAddress"): t for t in vpn.get("VgwTelemetry", []) or []}
    tunnels = []
    for address in sorted(set(options) | set(telemetry), key=str):
        opt, tel = options.get(address) or {}, telemetry.get(address) or {}
        last = tel.get("LastStatusChange")
        tunnels.append(
            {
                "outside_ip": address,
                "status": tel.get("Status"),  # UP | DOWN, None without telemetry
                "status_message": tel.get("StatusMessage") or None,
                "last_status_change": last.isoformat() if hasattr(last, "isoformat") else last,
                "ike_versions": _values(opt.get("IkeVersions")),
                "phase1_encryption": _values(opt.get("Phase1EncryptionAlgorithms")),
                "phase1_integrity": _values(opt.get("Phase1IntegrityAlgorithms")),
                "phase1_dh_groups": _values(opt.get("Phase1DHGroupNumbers")),
                "phase2_encryption": _values(opt.get("Phase2EncryptionAlgorithms")),
                "phase2_integrity": _values(opt.get("Phase2IntegrityAlgorithms")),
                "phase2_dh_groups": _values(opt.get("Phase2DHGroupNumbers")),
            }
        )
    return tunnels


@collector("ec2.vpn_connections")
def collect_vpn_connections(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Site-to-site VPN connections with each tunnel's status and IKE options (DescribeVpnConnections has no
    paging); the customer gateway configuration and pre-shared keys are never kept."""
    rows = []
    for vpn in calls.call("ec2", "describe_vpn_connections").get("VpnConnections", []):
        options = vpn.get("Options") or {}
        rows.append(
            {
                "vpn_connection_id": vpn["VpnConnectionId"],
                "name": _name_tag(vpn),
                "state": vpn.get("State"),
                "type": vpn.get("Type"),
                "customer_gateway_id": vpn.get("CustomerGatewayId"),
                "vpn_gateway_id": vpn.get("VpnGatewayId"),
                "transit_gateway_id": vpn.get("TransitGatewayId"),
                "static_routes_only": options.get("StaticRoutesOnly"),
                "tunnels": _tunnels(vpn),
            }
        )
    return rows
