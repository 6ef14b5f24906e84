"""Host and vulnerability collectors for 2.2.3 (vulnerability management) and 2.3.4.1 (host hardening).

EC2 instances, their Systems Manager registration and patch compliance, Amazon Inspector's coverage and open
findings, and ECR repositories with the registry's scanning configuration. Every dataset is one paginated
listing (or one call) per account and region: the number of calls grows with services, never with instances,
images or findings. Rows are plain, normalised facts, declared in ``collectors_hosts.datasets.yaml``.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from typing import Any

from .collectors import AccountContext, Calls, collector

_TITLE_MAX = 200  # characters of a finding's title kept (the CVE id and the resource carry the meaning)
# Inspector resource types as batch_get_account_status names them (resourceState keys).
INSPECTOR_TYPES = ("ec2", "ecr", "lambda", "lambdaCode")


def _iso(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    return str(value) if value not in (None, "") else None


def _tags(resource: dict[str, Any]) -> dict[str, str]:
    return {str(t.get("Key")): str(t.get("Value", "")) for t in resource.get("Tags") or [] if t.get("Key")}


# --- EC2 instances ------------------------------------------------------------------------------


def _groups(inst: dict[str, Any]) -> list[str]:
    """The security groups of the instance and of every network interface attached to it (in first-seen order)."""
    found = [g.get("GroupId") for g in inst.get("SecurityGroups") or []]
    found += [g.get("GroupId") for eni in inst.get("NetworkInterfaces") or [] for g in eni.get("Groups") or []]
    return list(dict.fromkeys(g for g in found if g))


@collector("ec2.instances")
def collect_instances(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per EC2 instance (terminated ones left out: they no longer run anything)."""
    rows = []
    for page in calls.paginate("ec2", "describe_instances"):
        for reservation in page.get("Reservations", []):
            for inst in reservation.get("Instances", []):
                state = (inst.get("State") or {}).get("Name")
                if state == "terminated":
                    continue
                tags = _tags(inst)
                metadata = inst.get("MetadataOptions") or {}
                ipv6 = [
                    a["Ipv6Address"]
                    for eni in inst.get("NetworkInterfaces") or []
                    for a in eni.get("Ipv6Addresses") or []
                    if a.get("Ipv6Address")
                ]
                rows.append(
                    {
                        "instance_id": inst["InstanceId"],
                        "name": tags.get("Name"),
                        "state": state,
                        "instance_type": inst.get("InstanceType"),
                        "vpc_id": inst.get("VpcId"),
                        "subnet_id": inst.get("SubnetId"),
                        "public_ip": inst.get("PublicIpAddress"),
                        "ipv6_addresses": ipv6,
                        "image_id": inst.get("ImageId"),
                        "platform": inst.get("PlatformDetails") or inst.get("Platform"),
                        "launch_time": _iso(inst.get("LaunchTime")),
                        "http_tokens": metadata.get("HttpTokens"),  # required = IMDSv2 only
                        "http_endpoint": metadata.get("HttpEndpoint"),  # disabled = no metadata service
                        "iam_instance_profile": (inst.get("IamInstanceProfile") or {}).get("Arn"),
                        "security_groups": _groups(inst),
                        "tags": tags,
                    }
                )
    return rows


# --- Systems Manager -----------------------------------------------------------------------------


def _has_instances(ctx: AccountContext, region: str) -> bool:
    return bool(ctx.rows_or_raise("ec2.instances", region))


@collector("ssm.managed_instances")
def collect_managed_instances(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Instances registered with Systems Manager, with the agent's last heartbeat. Asked only where EC2
    instances exist (the checks judge EC2 instances; an empty region costs no call)."""
    if not _has_instances(ctx, region):
        return []
    rows = []
    for page in calls.paginate("ssm", "describe_instance_information"):
        for info in page.get("InstanceInformationList", []):
            rows.append(
                {
                    "instance_id": info.get("InstanceId"),
                    "ping_status": info.get("PingStatus"),  # Online | ConnectionLost | Inactive
                    "last_ping": _iso(info.get("LastPingDateTime")),
                    "agent_version": info.get("AgentVersion"),
                    "platform_type": info.get("PlatformType"),
                    "platform_name": info.get("PlatformName"),
                    "resource_type": info.get("ResourceType"),  # EC2Instance | ManagedInstance
                }
            )
    return rows


@collector("ssm.patch_compliance")
def collect_patch_compliance(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Patch Manager's compliance per resource (only resources Patch Manager has scanned have a row). Asked only
    where EC2 instances exist, like :func:`collect_managed_instances`."""
    if not _has_instances(ctx, region):
        return []
    rows = []
    patch_only = [{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}]
    for page in calls.paginate("ssm", "list_resource_compliance_summaries", Filters=patch_only):
        for item in page.get("ResourceComplianceSummaryItems", []):
            missing = item.get("NonCompliantSummary") or {}
            by_severity = missing.get("SeveritySummary") or {}
            rows.append(
                {
                    "resource_id": item.get("ResourceId"),
                    "resource_type": item.get("ResourceType"),
                    "status": item.get("Status"),  # COMPLIANT | NON_COMPLIANT
                    "overall_severity": item.get("OverallSeverity"),
                    "execution_time": _iso((item.get("ExecutionSummary") or {}).get("ExecutionTime")),
                    "compliant_count": (item.get("CompliantSummary") or {}).get("CompliantCount"),
                    "non_compliant_count": missing.get("NonCompliantCount"),
                    "non_compliant_critical": by_severity.get("CriticalCount"),
                    "non_compliant_high": by_severity.get("HighCount"),
                }
            )
    return rows


# --- Amazon Inspector -----------------------------------------------------------------------------


@collector("inspector2.account_status")
def collect_inspector_status(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Inspector's activation for this account in the region, per resource type (one row, or none when the
    service has no record of the account: never activated)."""
    answer = calls.call("inspector2", "batch_get_account_status", accountIds=[ctx.account_id])
    rows = []
    for account in answer.get("accounts", []):
        states = account.get("resourceState") or {}
        rows.append(
            {
                "account_id": account.get("accountId"),
                "status": (account.get("state") or {}).get("status"),
                **{kind: (states.get(kind) or {}).get("status") for kind in INSPECTOR_TYPES},
            }
        )
    return rows


def _finding_resource(resource: dict[str, Any]) -> str | None:
    """A readable name for a finding's resource: the EC2 Name tag, ``repository:tag`` of an image, the function."""
    details = resource.get("details") or {}
    image = details.get("awsEcrContainerImage") or {}
    if image.get("repositoryName"):
        tags = image.get("imageTags") or []
        return f"{image['repositoryName']}:{tags[0]}" if tags else str(image["repositoryName"])
    function = details.get("awsLambdaFunction") or {}
    if function.get("functionName"):
        return str(function["functionName"])
    return (resource.get("tags") or {}).get("Name")


@collector("inspector2.findings")
def collect_inspector_findings(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """Inspector's open (ACTIVE) findings in the region, one compact row each, from one paginated listing.

    Skipped (no rows, no call) where Inspector scans nothing in the region: it then holds no finding.
    """
    status = ctx.rows_or_raise("inspector2.account_status", region)
    if not any(row.get(kind) == "ENABLED" for row in status for kind in INSPECTOR_TYPES):
        return []
    active = {"findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}]}
    rows = []
    for page in calls.paginate("inspector2", "list_findings", filterCriteria=active, maxResults=100):
        for finding in page.get("findings", []):
            resource = (finding.get("resources") or [{}])[0]
            package = finding.get("packageVulnerabilityDetails") or {}
            rows.append(
                {
                    "finding_arn": finding.get("findingArn"),
                    "type": finding.get("type"),  # PACKAGE_VULNERABILITY | CODE_VULNERABILITY | NETWORK_REACHABILITY
                    "severity": finding.get("severity"),  # CRITICAL | HIGH | MEDIUM | LOW | INFORMATIONAL | UNTRIAGED
                    "status": finding.get("status"),
                    "title": str(finding.get("title") or "")[:_TITLE_MAX] or None,
                    "vulnerability_id": package.get("vulnerabilityId"),
                    "first_observed_at": _iso(finding.get("firstObservedAt")),
                    "last_observed_at": _iso(finding.get("lastObservedAt")),
                    "fix_available": finding.get("fixAvailable"),  # YES | NO | PARTIAL
                    "exploit_available": finding.get("exploitAvailable"),  # YES | NO
                    "score": finding.get("inspectorScore"),
                    "resource_type": resource.get("type"),  # AWS_EC2_INSTANCE | AWS_ECR_CONTAINER_IMAGE | AWS_LAMBDA_FUNCTION
                    "resource_id": resource.get("id"),
                    "resource_name": _finding_resource(resource),
                }
            )
    return rows


# --- ECR -----------------------------------------------------------------------------------------


def scan_rule_for(repository: str, rules: list[dict[str, Any]]) -> str | None:
    """The scan frequency of the first registry scanning rule whose filters match ``repository`` (wildcards)."""
    for rule in rules:
        filters = [f.get("filter") for f in rule.get("repositoryFilters") or [] if f.get("filter")]
        if any(fnmatch.fnmatchcase(repository, str(pattern)) for pattern in filters):
            return rule.get("scanFrequency")
    return None


@collector("ecr.repositories")
def collect_ecr_repositories(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """ECR repositories with their own scan-on-push setting and the registry's scanning configuration
    (scan type, and the frequency of the registry rule that applies to the repository, if any)."""
    repositories = [r for page in calls.paginate("ecr", "describe_repositories") for r in page.get("repositories", [])]
    if not repositories:
        return []
    config = calls.call("ecr", "get_registry_scanning_configuration").get("scanningConfiguration") or {}
    rules = config.get("rules") or []
    rows = []
    for repo in repositories:
        name = repo.get("repositoryName")
        rows.append(
            {
                "repository_name": name,
                "arn": repo.get("repositoryArn"),
                "uri": repo.get("repositoryUri"),
                "created_at": _iso(repo.get("createdAt")),
                "scan_on_push": bool((repo.get("imageScanningConfiguration") or {}).get("scanOnPush")),
                "registry_scan_type": config.get("scanType"),  # BASIC | ENHANCED
                "registry_rule_count": len(rules),
                "registry_scan_frequency": scan_rule_for(str(name), rules),  # SCAN_ON_PUSH | CONTINUOUS_SCAN | MANUAL
            }
        )
    return rows
