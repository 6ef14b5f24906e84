"""デモ銀行's network: the three layers of defense in depth (2.3 ①), good and bad side by side.

Tokyo (ap-northeast-1) is the main site, Osaka (ap-northeast-3) the DR site, and us-east-1 holds the
CloudFront web ACL. Each resource says which check it is meant to pass or fail.

Emulator notes: moto implements no Network Firewall *policies*, but accepts a firewall naming a
policy ARN, which is all the collector reads. moto's default VPCs have no internet gateway route
(AWS's do), so the default VPCs read as "no route to the internet" in egress_filtering.
"""

from __future__ import annotations

from typing import Any

from .server import DEMO_ACCOUNT

TOKYO, OSAKA, VIRGINIA = "ap-northeast-1", "ap-northeast-3", "us-east-1"
ANY_V4, ANY_V6 = "0.0.0.0/0", "::/0"
_VISIBILITY = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "demo-bank"}


def _tags(name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}]


def _vpc(ec2: Any, name: str, cidr: str, azs: list[str], internet: bool = True) -> tuple[str, list[str]]:
    """A VPC with one /24 subnet per AZ and, when ``internet``, an internet gateway as default route."""
    vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=_tags(name))["Vpc"]["VpcId"]
    base = cidr.split(".")
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base[0]}.{base[1]}.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
        for i, az in enumerate(azs, start=1)
    ]
    if internet:
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=table, DestinationCidrBlock=ANY_V4, GatewayId=igw)
        for subnet in subnets:
            ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    return vpc, subnets


def _group(
    ec2: Any, vpc: str, name: str, description: str, ingress: list[dict[str, Any]], egress: list[dict[str, Any]] | None = None
) -> str:
    """A security group; ``egress`` replaces the default "all traffic to 0.0.0.0/0" when given."""
    group = ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc)["GroupId"]
    if ingress:
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=ingress)
    if egress is not None:
        ec2.revoke_security_group_egress(GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": ANY_V4}]}])
        if egress:
            ec2.authorize_security_group_egress(GroupId=group, IpPermissions=egress)
    return group


def _tcp(port: int, v4: list[str] | None = None, v6: list[str] | None = None) -> dict[str, Any]:
    return {
        "IpProtocol": "tcp",
        "FromPort": port,
        "ToPort": port,
        "IpRanges": [{"CidrIp": c} for c in v4 or []],
        "Ipv6Ranges": [{"CidrIpv6": c} for c in v6 or []],
    }


def _eni(ec2: Any, subnet: str, groups: list[str], description: str) -> None:
    ec2.create_network_interface(SubnetId=subnet, Groups=groups, Description=description)


def _nacl(ec2: Any, vpc: str, subnets: list[str], entries: list[dict[str, Any]]) -> str:
    """A custom network ACL with ``entries`` (inbound), replacing the default ACL on ``subnets``."""
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for entry in entries:
        ec2.create_network_acl_entry(NetworkAclId=acl, Egress=False, **entry)
    ec2.create_network_acl_entry(
        NetworkAclId=acl, Egress=True, RuleNumber=100, Protocol="-1", RuleAction="allow", CidrBlock=ANY_V4
    )
    current = {
        a["SubnetId"]: a["NetworkAclAssociationId"]
        for page in [ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])]
        for n in page["NetworkAcls"]
        for a in n.get("Associations", [])
    }
    for subnet in subnets:
        if subnet in current:
            ec2.replace_network_acl_association(AssociationId=current[subnet], NetworkAclId=acl)
    return acl


def _flow_log(clients: Any, region: str, vpc: str, name: str) -> None:
    clients("logs", region).create_log_group(logGroupName=name)
    clients("ec2", region).create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName=name,
        DeliverLogsPermissionArn=f"arn:aws:iam::{DEMO_ACCOUNT}:role/demo-bank-flow-logs",
    )


def _web_acl(clients: Any, region: str, name: str, scope: str = "REGIONAL") -> str:
    return clients("wafv2", region).create_web_acl(
        Name=name, Scope=scope, DefaultAction={"Allow": {}}, VisibilityConfig=_VISIBILITY
    )["Summary"]["ARN"]


def _rest_api(apigw: Any, name: str, endpoint: str, stages: list[str]) -> str:
    api = apigw.create_rest_api(name=name, endpointConfiguration={"types": [endpoint]})["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    deployment = apigw.create_deployment(restApiId=api)["id"]
    for stage in stages:
        apigw.create_stage(restApiId=api, stageName=stage, deploymentId=deployment)
    return api


def seed_tokyo(clients: Any) -> None:
    ec2 = clients("ec2", TOKYO)
    azs = [f"{TOKYO}a", f"{TOKYO}c"]
    # Production VPC: flow logs (pass), an AWS Network Firewall (egress_filtering pass).
    prod, prod_subnets = _vpc(ec2, "demo-bank-prod", "10.10.0.0/16", azs)
    _flow_log(clients, TOKYO, prod, "/demo-bank/vpc-flow-logs/prod")
    clients("network-firewall", TOKYO).create_firewall(
        FirewallName="demo-bank-egress-fw",
        FirewallPolicyArn=f"arn:aws:network-firewall:{TOKYO}:{DEMO_ACCOUNT}:firewall-policy/demo-bank-domain-allowlist",
        VpcId=prod,
        SubnetMappings=[{"SubnetId": prod_subnets[0]}],
    )
    # Development VPC: no flow logs (fail), straight out through an internet gateway (egress_filtering fail).
    dev, dev_subnets = _vpc(ec2, "demo-bank-dev", "10.20.0.0/16", azs)

    # Security groups.
    # Web tier: HTTPS/HTTP from anywhere only (pass), outbound limited to the app tier (pass).
    web = _group(
        ec2,
        prod,
        "demo-bank-web-sg",
        "Internet banking web tier",
        [_tcp(443, [ANY_V4], [ANY_V6]), _tcp(80, [ANY_V4])],
        [_tcp(8080, ["10.10.0.0/16"])],
    )
    _eni(ec2, prod_subnets[0], [web], "internet banking web server")
    # App tier: reachable from the web tier only (pass); outbound HTTPS only (pass).
    app = _group(
        ec2,
        prod,
        "demo-bank-app-sg",
        "Internet banking application tier",
        [{"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "UserIdGroupPairs": [{"GroupId": web}]}],
        [_tcp(443, [ANY_V4])],
    )
    _eni(ec2, prod_subnets[1], [app], "internet banking application server")
    # Bastion: SSH from anywhere, attached (fail, critical); all outbound (fail, eased by the firewall).
    bastion = _group(ec2, prod, "demo-bank-bastion-sg", "Operations bastion", [_tcp(22, [ANY_V4])])
    _eni(ec2, prod_subnets[0], [bastion], "operations bastion host")
    # Development Windows server: RDP from any IPv6 address, attached (fail); all outbound (fail).
    win = _group(ec2, dev, "demo-bank-dev-win-sg", "Development Windows server", [_tcp(3389, v6=[ANY_V6])])
    _eni(ec2, dev_subnets[0], [win], "development Windows server")
    # Legacy migration group: all traffic from anywhere, attached to nothing (fail, says "not attached").
    _group(
        ec2,
        dev,
        "demo-bank-legacy-migration-sg",
        "Left over from the data-centre migration",
        [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": ANY_V4}]}],
    )

    # Network ACLs. Production: lower-numbered denies for 22/3389 win over the allow-all (pass).
    _nacl(
        ec2,
        prod,
        prod_subnets,
        [
            {"RuleNumber": 50, "Protocol": "6", "RuleAction": "deny", "CidrBlock": ANY_V4, "PortRange": {"From": 22, "To": 22}},
            {
                "RuleNumber": 60,
                "Protocol": "6",
                "RuleAction": "deny",
                "CidrBlock": ANY_V4,
                "PortRange": {"From": 3389, "To": 3389},
            },
            {"RuleNumber": 100, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": ANY_V4},
        ],
    )
    # Development: RDP allowed from anywhere (fail).
    _nacl(
        ec2,
        dev,
        dev_subnets,
        [
            {
                "RuleNumber": 100,
                "Protocol": "6",
                "RuleAction": "allow",
                "CidrBlock": ANY_V4,
                "PortRange": {"From": 443, "To": 443},
            },
            {
                "RuleNumber": 110,
                "Protocol": "6",
                "RuleAction": "allow",
                "CidrBlock": ANY_V4,
                "PortRange": {"From": 3389, "To": 3389},
            },
            {
                "RuleNumber": 120,
                "Protocol": "6",
                "RuleAction": "allow",
                "CidrBlock": ANY_V4,
                "PortRange": {"From": 1024, "To": 65535},
            },
        ],
    )

    # Load balancers: internet banking behind WAF (pass), campaign site without (fail), internal (not in scope).
    elb = clients("elbv2", TOKYO)
    acl = _web_acl(clients, TOKYO, "demo-bank-web-acl")
    protected = elb.create_load_balancer(
        Name="demo-bank-ib-alb", Subnets=prod_subnets, SecurityGroups=[web], Scheme="internet-facing"
    )
    clients("wafv2", TOKYO).associate_web_acl(WebACLArn=acl, ResourceArn=protected["LoadBalancers"][0]["LoadBalancerArn"])
    elb.create_load_balancer(Name="demo-bank-campaign-alb", Subnets=dev_subnets, Scheme="internet-facing")
    elb.create_load_balancer(Name="demo-bank-batch-alb", Subnets=prod_subnets, SecurityGroups=[app], Scheme="internal")

    # REST APIs: open API (FAPI) stage behind WAF (pass), its sandbox stage without (fail), a private API (not in scope).
    apigw = clients("apigateway", TOKYO)
    open_api = _rest_api(apigw, "demo-bank-open-api", "REGIONAL", ["prod", "sandbox"])
    clients("wafv2", TOKYO).associate_web_acl(
        WebACLArn=acl, ResourceArn=f"arn:aws:apigateway:{TOKYO}::/restapis/{open_api}/stages/prod"
    )
    _rest_api(apigw, "demo-bank-core-gateway", "PRIVATE", ["v1"])

    # GuardDuty: enabled in Tokyo only (pass here, fail elsewhere).
    clients("guardduty", TOKYO).create_detector(Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES")


def seed_osaka(clients: Any) -> None:
    ec2 = clients("ec2", OSAKA)
    # DR VPC: flow logs (pass); egress through a transit gateway to the Tokyo inspection VPC (manual: confirm).
    dr, _ = _vpc(ec2, "demo-bank-dr", "10.30.0.0/16", [f"{OSAKA}a", f"{OSAKA}b"], internet=False)
    _flow_log(clients, OSAKA, dr, "/demo-bank/vpc-flow-logs/dr")
    tgw = ec2.create_transit_gateway(Description="demo-bank DR to Tokyo")["TransitGateway"]["TransitGatewayId"]
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [dr]}])["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock=ANY_V4, TransitGatewayId=tgw)
    # GuardDuty detector created but suspended (fail, "not enabled").
    clients("guardduty", OSAKA).create_detector(Enable=False)


def seed_virginia(clients: Any) -> None:
    # CloudFront: the public site behind a CLOUDFRONT-scope web ACL (pass), the campaign site without (fail).
    acl = _web_acl(clients, VIRGINIA, "demo-bank-cloudfront-acl", scope="CLOUDFRONT")
    cloudfront = clients("cloudfront", VIRGINIA)
    for reference, alias_comment, web_acl in (
        ("demo-bank-www", "www.demo-bank.example.jp", acl),
        ("demo-bank-campaign", "campaign.demo-bank.example.jp", ""),
    ):
        cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": reference,
                "Comment": alias_comment,
                "Enabled": True,
                "WebACLId": web_acl,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "origin",
                            "DomainName": f"origin.{alias_comment}",
                            "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
                        }
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "origin",
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                    "MinTTL": 0,
                },
            }
        )


def seed_network(clients: Any) -> None:
    """Create デモ銀行's VPCs, security groups, network ACLs, load balancers, WAF, APIs, CloudFront and GuardDuty."""
    seed_tokyo(clients)
    seed_osaka(clients)
    seed_virginia(clients)
