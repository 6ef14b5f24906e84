"""Network collectors for guideline item 2.3-1 (defense in depth): entrance, internal and exit layers.

Rows are plain, normalised facts (no verdicts), declared with their IAM actions in
``collectors_network.datasets.yaml``. ``ec2.security_groups`` is shared with other checks (2.3.1-5 "SSH/RDP
reachable from the internet"), so its row shape is documented on the collector too.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from .collectors import HOME_REGION, AccountContext, Calls, collector

# Protocol numbers AWS may return instead of names.
_PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "-1": "-1", "all": "-1"}


def _protocol(value: Any) -> str:
    text = str(value if value is not None else "-1").lower()
    return _PROTOCOL_NAMES.get(text, text)


def _name_tag(resource: dict[str, Any]) -> str | None:
    return next((t["Value"] for t in resource.get("Tags") or [] if t.get("Key") == "Name"), None)


# --- EC2: security groups ----------------------------------------------------------------------


def normalise_permission(perm: dict[str, Any]) -> dict[str, Any]:
    """One IpPermission as a flat rule.

    ``protocol`` is ``tcp``/``udp``/``icmp``/``icmpv6``, ``-1`` (all protocols) or another number;
    ``from_port``/``to_port`` are None for all protocols (for ICMP they are the type and code, -1 = all).
    """
    protocol = _protocol(perm.get("IpProtocol"))
    all_ports = protocol == "-1"
    return {
        "protocol": protocol,
        "from_port": None if all_ports else perm.get("FromPort"),
        "to_port": None if all_ports else perm.get("ToPort"),
        "cidrs": [r["CidrIp"] for r in perm.get("IpRanges", []) if r.get("CidrIp")],
        "ipv6_cidrs": [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", []) if r.get("CidrIpv6")],
        "groups": [g.get("GroupId") for g in perm.get("UserIdGroupPairs", []) if g.get("GroupId")],
        "prefix_lists": [p["PrefixListId"] for p in perm.get("PrefixListIds", []) if p.get("PrefixListId")],
    }


_ENI_SAMPLE = 20  # network interfaces listed per group (the count is always complete)


@collector("ec2.security_groups")
def collect_security_groups(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per security group.

    Row: ``group_id``, ``group_name``, ``vpc_id``, ``description``, ``is_default`` (the VPC's "default"
    group), ``ingress`` and ``egress`` (lists of :func:`normalise_permission` rules: protocol, from_port,
    to_port, cidrs, ipv6_cidrs, groups, prefix_lists), ``attached`` (used by at least one network
    interface), ``network_interface_count`` and ``network_interfaces`` (up to 20: id, type,
    instance_id, description).
    """
    usage: dict[str, list[dict[str, Any]]] = {}
    for page in calls.paginate("ec2", "describe_network_interfaces"):
        for eni in page.get("NetworkInterfaces", []):
            summary = {
                "id": eni.get("NetworkInterfaceId"),
                "type": eni.get("InterfaceType"),
                "instance_id": (eni.get("Attachment") or {}).get("InstanceId"),
                "description": eni.get("Description") or None,
            }
            for group in eni.get("Groups", []):
                usage.setdefault(group["GroupId"], []).append(summary)
    rows = []
    for page in calls.paginate("ec2", "describe_security_groups"):
        for group in page.get("SecurityGroups", []):
            enis = usage.get(group["GroupId"], [])
            rows.append(
                {
                    "group_id": group["GroupId"],
                    "group_name": group.get("GroupName"),
                    "vpc_id": group.get("VpcId"),
                    "description": group.get("Description"),
                    "is_default": group.get("GroupName") == "default",
                    "ingress": [normalise_permission(p) for p in group.get("IpPermissions", [])],
                    "egress": [normalise_permission(p) for p in group.get("IpPermissionsEgress", [])],
                    "attached": bool(enis),
                    "network_interface_count": len(enis),
                    "network_interfaces": enis[:_ENI_SAMPLE],
                }
            )
    return rows


# --- EC2: network ACLs, VPCs, flow logs ---------------------------------------------------------


@collector("ec2.network_acls")
def collect_network_acls(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per network ACL; ``entries`` hold every rule with its number (evaluation order)."""
    rows = []
    for page in calls.paginate("ec2", "describe_network_acls"):
        for acl in page.get("NetworkAcls", []):
            entries = []
            for entry in acl.get("Entries", []):
                ports = entry.get("PortRange") or {}
                entries.append(
                    {
                        "rule_number": entry.get("RuleNumber"),
                        "egress": bool(entry.get("Egress")),
                        "protocol": _protocol(entry.get("Protocol")),
                        "action": str(entry.get("RuleAction", "")).lower(),
                        "cidr": entry.get("CidrBlock"),
                        "ipv6_cidr": entry.get("Ipv6CidrBlock"),
                        "from_port": ports.get("From"),
                        "to_port": ports.get("To"),
                    }
                )
            rows.append(
                {
                    "network_acl_id": acl["NetworkAclId"],
                    "vpc_id": acl.get("VpcId"),
                    "is_default": bool(acl.get("IsDefault")),
                    "name": _name_tag(acl),
                    "subnet_ids": [a["SubnetId"] for a in acl.get("Associations", []) if a.get("SubnetId")],
                    "entries": sorted(entries, key=lambda e: (e["egress"], e["rule_number"] or 0)),
                }
            )
    return rows


@collector("ec2.vpcs")
def collect_vpcs(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    rows = []
    for page in calls.paginate("ec2", "describe_vpcs"):
        for vpc in page.get("Vpcs", []):
            rows.append(
                {
                    "vpc_id": vpc["VpcId"],
                    "name": _name_tag(vpc),
                    "is_default": bool(vpc.get("IsDefault")),
                    "cidr_blocks": [c["CidrBlock"] for c in vpc.get("CidrBlockAssociationSet", []) if c.get("CidrBlock")]
                    or ([vpc["CidrBlock"]] if vpc.get("CidrBlock") else []),
                    "ipv6_cidr_blocks": [
                        c["Ipv6CidrBlock"] for c in vpc.get("Ipv6CidrBlockAssociationSet", []) if c.get("Ipv6CidrBlock")
                    ],
                    "state": vpc.get("State"),
                }
            )
    return rows


@collector("ec2.flow_logs")
def collect_flow_logs(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Every flow log of the region (VPC, subnet, network interface or transit gateway level)."""
    rows = []
    for page in calls.paginate("ec2", "describe_flow_logs"):
        for log in page.get("FlowLogs", []):
            rows.append(
                {
                    "flow_log_id": log.get("FlowLogId"),
                    "resource_id": log.get("ResourceId"),
                    "status": log.get("FlowLogStatus"),
                    "deliver_status": log.get("DeliverLogsStatus"),
                    "deliver_error": log.get("DeliverLogsErrorMessage"),
                    "traffic_type": log.get("TrafficType"),
                    "destination_type": log.get("LogDestinationType"),
                    "destination": log.get("LogDestination") or log.get("LogGroupName"),
                }
            )
    return rows


_ROUTE_TARGETS = (
    "GatewayId",  # igw-, vpce- (Gateway Load Balancer or Network Firewall endpoint), vgw-, local
    "NatGatewayId",
    "TransitGatewayId",
    "EgressOnlyInternetGatewayId",
    "NetworkInterfaceId",
    "InstanceId",
    "VpcPeeringConnectionId",
    "LocalGatewayId",
    "CarrierGatewayId",
    "CoreNetworkArn",
)


@collector("ec2.route_tables")
def collect_route_tables(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Route tables with their routes; ``target`` is the first target id of each route (igw-, nat-, tgw-, vpce-...)."""
    rows = []
    for page in calls.paginate("ec2", "describe_route_tables"):
        for table in page.get("RouteTables", []):
            routes = []
            for route in table.get("Routes", []):
                target = next((str(route[key]) for key in _ROUTE_TARGETS if route.get(key)), None)
                routes.append(
                    {
                        "destination": route.get("DestinationCidrBlock"),
                        "ipv6_destination": route.get("DestinationIpv6CidrBlock"),
                        "prefix_list": route.get("DestinationPrefixListId"),
                        "target": target,
                        "state": route.get("State"),
                    }
                )
            associations = table.get("Associations", [])
            rows.append(
                {
                    "route_table_id": table["RouteTableId"],
                    "vpc_id": table.get("VpcId"),
                    "is_main": any(a.get("Main") for a in associations),
                    "subnet_ids": [a["SubnetId"] for a in associations if a.get("SubnetId")],
                    "routes": routes,
                }
            )
    return rows


# --- Entrance: load balancers, WAF, API Gateway, CloudFront --------------------------------------


@collector("elbv2.load_balancers")
def collect_load_balancers(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    rows = []
    for page in calls.paginate("elbv2", "describe_load_balancers"):
        for lb in page.get("LoadBalancers", []):
            rows.append(
                {
                    "arn": lb["LoadBalancerArn"],
                    "name": lb.get("LoadBalancerName"),
                    "type": lb.get("Type"),  # application | network | gateway
                    "scheme": lb.get("Scheme"),  # internet-facing | internal
                    "vpc_id": lb.get("VpcId"),
                    "dns_name": lb.get("DNSName"),
                    "security_groups": lb.get("SecurityGroups", []),
                    "state": (lb.get("State") or {}).get("Code"),
                }
            )
    return rows


@collector("wafv2.web_acl_associations")
def collect_web_acl_associations(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The WAFv2 web ACL of every internet-facing Application Load Balancer (one row per ALB).

    API Gateway stages and CloudFront distributions carry their web ACL themselves
    (``apigateway.stages`` / ``cloudfront.distributions``), so they need no call here.
    """
    rows = []
    for lb in ctx.rows_or_raise("elbv2.load_balancers", region):
        if lb["type"] != "application" or lb["scheme"] != "internet-facing":
            continue
        acl = calls.call("wafv2", "get_web_acl_for_resource", ResourceArn=lb["arn"]).get("WebACL") or {}
        rows.append(
            {
                "resource_arn": lb["arn"],
                "resource_type": "alb",
                "resource_name": lb["name"],
                "web_acl_arn": acl.get("ARN"),
                "web_acl_name": acl.get("Name"),
            }
        )
    return rows


@collector("apigateway.stages")
def collect_api_stages(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per REST API stage with its endpoint type and web ACL (HTTP APIs cannot take a WAF)."""
    rows = []
    for page in calls.paginate("apigateway", "get_rest_apis"):
        for api in page.get("items", []):
            types = (api.get("endpointConfiguration") or {}).get("types") or ["EDGE"]
            for stage in calls.call("apigateway", "get_stages", restApiId=api["id"]).get("item", []):
                rows.append(
                    {
                        "api_id": api["id"],
                        "api_name": api.get("name"),
                        "endpoint_types": types,
                        "stage_name": stage.get("stageName"),
                        "arn": f"arn:aws:apigateway:{region}::/restapis/{api['id']}/stages/{stage.get('stageName')}",
                        "web_acl_arn": stage.get("webAclArn"),
                    }
                )
    return rows


@collector("cloudfront.distributions")
def collect_distributions(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """CloudFront distributions; ``web_acl_id`` is a WAFv2 web ACL ARN (CLOUDFRONT scope, us-east-1); the viewer
    protocol policies and TLS settings come with the listing; ``logging_bucket`` (standard logging, 2.3.4.2) costs
    one call per distribution: the listing omits it."""
    rows = []
    for page in calls.paginate("cloudfront", "list_distributions", region=HOME_REGION):
        for dist in (page.get("DistributionList") or {}).get("Items", []) or []:
            config = calls.call("cloudfront", "get_distribution_config", region=HOME_REGION, Id=dist["Id"])
            logging = (config.get("DistributionConfig") or {}).get("Logging") or {}
            rows.append(
                {
                    "id": dist["Id"],
                    "arn": dist.get("ARN"),
                    "domain_name": dist.get("DomainName"),
                    "aliases": (dist.get("Aliases") or {}).get("Items", []) or [],
                    "enabled": bool(dist.get("Enabled")),
                    "comment": dist.get("Comment") or None,
                    "web_acl_id": dist.get("WebACLId") or None,
                    "logging_bucket": (logging.get("Bucket") or None) if logging.get("Enabled") else None,
                    **_viewer_tls(dist),
                }
            )
    return rows


def _viewer_tls(dist: dict[str, Any]) -> dict[str, Any]:
    """How viewers connect: each cache behaviour's viewer protocol policy and the viewer TLS settings."""
    behaviours = [("*", dist.get("DefaultCacheBehavior") or {})]
    behaviours += [(b.get("PathPattern"), b) for b in (dist.get("CacheBehaviors") or {}).get("Items", []) or []]
    certificate = dist.get("ViewerCertificate") or {}
    return {
        "viewer_protocol_policies": [{"path": path, "policy": b.get("ViewerProtocolPolicy")} for path, b in behaviours],
        "minimum_protocol_version": certificate.get("MinimumProtocolVersion"),
        # AWS clears the flag when a custom certificate is set; an emulator may not.
        "default_certificate": bool(certificate.get("CloudFrontDefaultCertificate"))
        and not (certificate.get("ACMCertificateArn") or certificate.get("IAMCertificateId")),
        "certificate_arn": certificate.get("ACMCertificateArn") or None,
    }


@collector("route53.hosted_zones")
def collect_hosted_zones(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Route 53 hosted zones (a global service: read once per account) with their DNS query logging;
    public zones also with their DNSSEC signing status (one call per public zone, none per record)."""
    logged: dict[str, list[str]] = {}
    for page in calls.paginate("route53", "list_query_logging_configs", region=HOME_REGION):
        for config in page.get("QueryLoggingConfigs", []) or []:
            logged.setdefault(_zone_id(config["HostedZoneId"]), []).append(config.get("CloudWatchLogsLogGroupArn"))
    rows = []
    for page in calls.paginate("route53", "list_hosted_zones", region=HOME_REGION):
        for zone in page.get("HostedZones", []) or []:
            zone_id = _zone_id(zone["Id"])
            private = bool((zone.get("Config") or {}).get("PrivateZone"))
            signing = None
            if not private:  # DNSSEC signing exists for public zones only
                status = calls.call("route53", "get_dnssec", region=HOME_REGION, HostedZoneId=zone_id).get("Status") or {}
                signing = status.get("ServeSignature")
            rows.append(
                {
                    "zone_id": zone_id,
                    "name": str(zone.get("Name", "")).rstrip("."),
                    "private": private,
                    "record_count": zone.get("ResourceRecordSetCount"),
                    "query_log_groups": logged.get(zone_id, []),
                    "dnssec_status": signing,
                }
            )
    return rows


def _zone_id(value: str) -> str:
    """``/hostedzone/Z123`` and ``Z123`` name the same zone."""
    return value.rsplit("/", 1)[-1]


# --- Internal: GuardDuty -----------------------------------------------------------------------


@collector("guardduty.detectors")
def collect_guardduty(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    rows = []
    for page in calls.paginate("guardduty", "list_detectors"):
        for detector_id in page.get("DetectorIds", []):
            detail = calls.call("guardduty", "get_detector", DetectorId=detector_id)
            rows.append(
                {
                    "detector_id": detector_id,
                    "status": detail.get("Status"),
                    "finding_publishing_frequency": detail.get("FindingPublishingFrequency"),
                    "features": {f["Name"]: f.get("Status") for f in detail.get("Features", []) or [] if f.get("Name")},
                }
            )
    return rows


# --- Exit: AWS Network Firewall ------------------------------------------------------------------


@collector("network_firewall.firewalls")
def collect_network_firewalls(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    if not ctx.factory.offers("network-firewall", region):
        return []  # the service does not exist in this region: no firewall, a fact
    rows = []
    for page in calls.paginate("network-firewall", "list_firewalls"):
        for item in page.get("Firewalls", []):
            try:
                detail = calls.call("network-firewall", "describe_firewall", FirewallArn=item["FirewallArn"])
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                    continue  # deleted between the two calls
                raise
            firewall = detail.get("Firewall") or {}
            rows.append(
                {
                    "name": firewall.get("FirewallName") or item.get("FirewallName"),
                    "arn": item["FirewallArn"],
                    "vpc_id": firewall.get("VpcId"),
                    "subnet_ids": [m["SubnetId"] for m in firewall.get("SubnetMappings", []) if m.get("SubnetId")],
                    "policy_arn": firewall.get("FirewallPolicyArn"),
                    "status": (detail.get("FirewallStatus") or {}).get("Status"),
                }
            )
    return rows
