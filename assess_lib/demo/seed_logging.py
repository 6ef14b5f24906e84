"""デモ銀行's log management (2.3.4.2) and cloud service settings (2.3.4.5): a passing and a failing case each.

- Log group retention: the trail's group never expires (pass); the internet banking application's group keeps
  30 days (fail).
- Log bucket retention: the trail buckets have no expiring lifecycle rule (pass); the load balancer log bucket
  expires logs after 90 days (fail).
- Access logs: the internet banking ALB logs to S3 (pass), the campaign ALB does not (fail); the public site's
  CloudFront distribution logs (pass), the campaign distribution does not (fail); the regional web ACL logs to
  CloudWatch Logs (pass), the CloudFront web ACL does not (fail).
- Metric filters and alarms on the trail's log group: 勘定系 has root use and console sign-in failures with an
  alarm that notifies (pass), IAM policy changes with an alarm without action (fail), network changes for security
  groups only (fail, naming the rest); 情報系 has every one (pass).
- Security Hub with the Foundational Security Best Practices standard: 勘定系 in Tokyo only (fail), 情報系 in every
  region (pass); the security contact: 情報系 registered (pass), 勘定系 not (fail). The emulator does not serve
  Security Hub's enabled standards: its answer is registered with the unserved-API layer (hand-built).

Runs after seed_cloudtrail, seed_network and seed_information_account (it adds to their resources).
"""

from __future__ import annotations

from typing import Any

from . import unserved
from .seed_second import INFO_ACCOUNT, REGIONS, AccountClients

TOKYO, VIRGINIA = "ap-northeast-1", "us-east-1"
TRAIL_GROUP = "demo-bank-cloudtrail"  # the trail's log group (seed.seed_cloudtrail)
INFO_TRAIL_GROUP = "info-sys-cloudtrail"  # 情報系's (seed_second)
NAMESPACE = "CISBenchmark"
FSBP_ARN = "arn:aws:securityhub:{region}::standards/aws-foundational-security-best-practices/v/1.0.0"

# The CIS AWS Foundations Benchmark's metric filter patterns (4.3, 4.6, 4.4, 4.10-4.14), as customers paste them.
_ROOT = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
_SIGNIN = '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'


def _any_of(*names: str) -> str:
    return "{ " + " || ".join(f"($.eventName = {n})" for n in names) + " }"


_IAM = _any_of(
    *("DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy"),
    *("CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy"),
    *("AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy"),
)
_SECURITY_GROUPS = _any_of(
    *("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress"),
    *("RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup"),
)
_NACLS = _any_of(
    *("CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry"),
    *("ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"),
)
_GATEWAYS = _any_of(
    *("CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway"),
    *("DeleteInternetGateway", "DetachInternetGateway"),
)
_ROUTES = _any_of(
    *("CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable"),
    *("DeleteRoute", "DisassociateRouteTable"),
)
_VPCS = _any_of(
    *("CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection", "CreateVpcPeeringConnection"),
    *("DeleteVpcPeeringConnection", "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc"),
    *("DisableVpcClassicLink", "EnableVpcClassicLink"),
)
# 勘定系: (filter name, pattern, whether its alarm notifies); network changes: security groups only.
_MAIN_FILTERS = (
    ("root-account-usage", _ROOT, True),
    ("console-signin-failures", _SIGNIN, True),
    ("iam-policy-changes", _IAM, False),
    ("security-group-changes", _SECURITY_GROUPS, True),
)
# 情報系: every event, each alarm notifying.
_INFO_FILTERS = (
    *((name, pattern, True) for name, pattern, _ in _MAIN_FILTERS),
    ("nacl-changes", _NACLS, True),
    ("network-gateway-changes", _GATEWAYS, True),
    ("route-table-changes", _ROUTES, True),
    ("vpc-changes", _VPCS, True),
)


def _bucket(clients: Any, name: str, region: str, expire_days: int | None = None) -> None:
    s3 = clients("s3", region)
    config = {"LocationConstraint": region} if region != VIRGINIA else None
    s3.create_bucket(Bucket=name, **({"CreateBucketConfiguration": config} if config else {}))
    if expire_days:
        s3.put_bucket_lifecycle_configuration(
            Bucket=name,
            LifecycleConfiguration={
                "Rules": [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": expire_days}}]
            },
        )


def _log_groups(clients: Any) -> None:
    clients("logs", TOKYO).create_log_group(logGroupName="/demo-bank/internet-banking/app")
    clients("logs", TOKYO).put_retention_policy(logGroupName="/demo-bank/internet-banking/app", retentionInDays=30)


def _access_logs(clients: Any) -> None:
    _bucket(clients, "demo-bank-elb-logs", TOKYO, expire_days=90)
    elb = clients("elbv2", TOKYO)
    arn = elb.describe_load_balancers(Names=["demo-bank-ib-alb"])["LoadBalancers"][0]["LoadBalancerArn"]
    elb.modify_load_balancer_attributes(
        LoadBalancerArn=arn,
        Attributes=[
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": "demo-bank-elb-logs"},
            {"Key": "access_logs.s3.prefix", "Value": "ib"},
        ],
    )
    _bucket(clients, "demo-bank-cdn-logs", VIRGINIA)
    cloudfront = clients("cloudfront", VIRGINIA)
    for dist in cloudfront.list_distributions()["DistributionList"]["Items"]:
        if dist.get("Comment") != "www.demo-bank.example.jp":
            continue
        current = cloudfront.get_distribution_config(Id=dist["Id"])
        config = current["DistributionConfig"]
        config["Logging"] = {
            "Enabled": True,
            "IncludeCookies": False,
            "Bucket": "demo-bank-cdn-logs.s3.amazonaws.com",
            "Prefix": "www/",
        }
        cloudfront.update_distribution(Id=dist["Id"], IfMatch=current["ETag"], DistributionConfig=config)
        _log_delivery(clients, dist["ARN"])
    logs = clients("logs", TOKYO)
    logs.create_log_group(logGroupName="aws-waf-logs-demo-bank")
    group_arn = logs.describe_log_groups(logGroupNamePrefix="aws-waf-logs-demo-bank")["logGroups"][0]["arn"]
    waf = clients("wafv2", TOKYO)
    acl = next(a for a in waf.list_web_acls(Scope="REGIONAL")["WebACLs"] if a["Name"] == "demo-bank-web-acl")
    waf.put_logging_configuration(
        LoggingConfiguration={"ResourceArn": acl["ARN"], "LogDestinationConfigs": [group_arn.removesuffix(":*")]}
    )


def _log_delivery(clients: Any, distribution_arn: str) -> None:
    """The public site's access logs also delivered to CloudWatch Logs (CloudFront's newer logging)."""
    logs = clients("logs", VIRGINIA)
    logs.create_log_group(logGroupName="/demo-bank/cloudfront/www")
    group = logs.describe_log_groups(logGroupNamePrefix="/demo-bank/cloudfront/www")["logGroups"][0]["arn"].removesuffix(":*")
    logs.put_delivery_source(name="demo-bank-www", resourceArn=distribution_arn, logType="ACCESS_LOGS")
    destination = logs.put_delivery_destination(
        name="demo-bank-www-logs", deliveryDestinationConfiguration={"destinationResourceArn": group}
    )["deliveryDestination"]["arn"]
    logs.create_delivery(deliverySourceName="demo-bank-www", deliveryDestinationArn=destination)


def metric_alarms(clients: Any, log_group: str, filters: tuple[tuple[str, str, bool], ...]) -> None:
    """Metric filters on ``log_group`` (name, pattern, whether its alarm notifies the security-alerts topic) with an alarm each."""
    topic = clients("sns", TOKYO).create_topic(Name="security-alerts")["TopicArn"]
    logs, cloudwatch = clients("logs", TOKYO), clients("cloudwatch", TOKYO)
    for name, pattern, notifies in filters:
        logs.put_metric_filter(
            logGroupName=log_group,
            filterName=name,
            filterPattern=pattern,
            metricTransformations=[{"metricName": name, "metricNamespace": NAMESPACE, "metricValue": "1"}],
        )
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName=name,
            Namespace=NAMESPACE,
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic] if notifies else [],
        )


def _cloud_services(endpoint_url: str, clients: Any) -> None:
    # Hand-built: the emulator does not serve GetEnabledStandards; only regions with a hub are asked.
    for region in REGIONS:
        unserved.register(
            endpoint_url,
            "securityhub",
            "GetEnabledStandards",
            {
                "StandardsSubscriptions": [
                    {
                        "StandardsSubscriptionArn": f"arn:aws:securityhub:{region}::subscription/aws-foundational-security-best-practices/v/1.0.0",
                        "StandardsArn": FSBP_ARN.format(region=region),
                        "StandardsInput": {},
                        "StandardsStatus": "READY",
                    }
                ]
            },
            region=region,
        )
    clients("securityhub", TOKYO).enable_security_hub(EnableDefaultStandards=True)
    info = AccountClients(endpoint_url, INFO_ACCOUNT)
    metric_alarms(info, INFO_TRAIL_GROUP, _INFO_FILTERS)
    for region in REGIONS:
        info("securityhub", region).enable_security_hub(EnableDefaultStandards=True)
    info("account", VIRGINIA).put_alternate_contact(
        AlternateContactType="SECURITY",
        Name="情報セキュリティ統括部 CSIRT",
        Title="CSIRT",
        EmailAddress="csirt@demo-bank.example.jp",
        PhoneNumber="+81-3-0000-0000",
    )


def seed_logging(endpoint_url: str, clients: Any) -> None:
    """Create デモ銀行's log retention, access logging, metric alarms, Security Hub and security contacts."""
    _log_groups(clients)
    _access_logs(clients)
    metric_alarms(clients, TRAIL_GROUP, _MAIN_FILTERS)
    _cloud_services(endpoint_url, clients)
