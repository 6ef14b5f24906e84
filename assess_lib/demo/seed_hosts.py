"""デモ銀行's servers: EC2 instances, Systems Manager, Amazon Inspector and ECR (2.2.3 and 2.3.4.1).

Runs after :func:`.seed_network.seed_network` (it places the instances in that module's VPCs and security groups).
Each resource says which check it is meant to pass or fail.

Emulator notes: moto runs instances without an AMI catalogue (any image id is accepted) and serves Inspector's
activation and ECR, but neither Systems Manager's instance information and patch compliance nor Inspector's
findings: those answers are hand-written here and served by the emulator's unserved-API layer
(:mod:`.unserved`), for this account and region; every other account and region gets an empty answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import unserved
from .server import DEMO_ACCOUNT

TOKYO, OSAKA = "ap-northeast-1", "ap-northeast-3"
IMAGE = "ami-0d52744d6551d851e"  # any id: the emulator keeps no AMI catalogue
PROFILE = "demo-bank-ec2-ssm"
ANY_V4 = "0.0.0.0/0"


def _lookup(ec2: Any, kind: str, name: str) -> str:
    """The id of seed_network's VPC (by Name tag) or security group (by group name)."""
    if kind == "vpc":
        return str(ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [name]}])["Vpcs"][0]["VpcId"])
    return str(ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"][0]["GroupId"])


def _subnets(ec2: Any, vpc: str) -> list[str]:
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    return [s["SubnetId"] for s in sorted(subnets, key=lambda s: s["CidrBlock"])]


def _instance(
    ec2: Any, name: str, subnet: str, groups: list[str], imdsv2: bool = True, public: bool = False, profile: bool = True
) -> str:
    extra: dict[str, Any] = {"IamInstanceProfile": {"Name": PROFILE}} if profile else {}
    return str(
        ec2.run_instances(
            ImageId=IMAGE,
            InstanceType="t3.medium",
            MinCount=1,
            MaxCount=1,
            NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "Groups": groups, "AssociatePublicIpAddress": public}],
            MetadataOptions={"HttpTokens": "required" if imdsv2 else "optional", "HttpEndpoint": "enabled"},
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
            **extra,
        )["Instances"][0]["InstanceId"]
    )


def _epoch(now: dt.datetime, days_ago: int) -> float:
    return (now - dt.timedelta(days=days_ago)).timestamp()


def _ssm_instance(instance_id: str, now: dt.datetime, platform: str = "Amazon Linux") -> dict[str, Any]:
    return {
        "InstanceId": instance_id,
        "PingStatus": "Online",
        "LastPingDateTime": _epoch(now, 0),
        "AgentVersion": "3.3.1142.0",
        "PlatformType": "Linux",
        "PlatformName": platform,
        "ResourceType": "EC2Instance",
    }


def _patch_summary(instance_id: str, now: dt.datetime, critical: int = 0, high: int = 0) -> dict[str, Any]:
    missing = critical + high
    return {
        "ComplianceType": "Patch",
        "ResourceType": "ManagedInstance",
        "ResourceId": instance_id,
        "Status": "NON_COMPLIANT" if missing else "COMPLIANT",
        "OverallSeverity": "CRITICAL" if critical else "HIGH" if high else "UNSPECIFIED",
        "ExecutionSummary": {"ExecutionTime": _epoch(now, 2), "ExecutionType": "Command"},
        "CompliantSummary": {"CompliantCount": 412},
        "NonCompliantSummary": {
            "NonCompliantCount": missing,
            "SeveritySummary": {"CriticalCount": critical, "HighCount": high, "MediumCount": 0, "LowCount": 0},
        },
    }


def _finding(
    region: str, instance_id: str, name: str, cve: str, severity: str, days: int, title: str, score: float
) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    return {
        "findingArn": f"arn:aws:inspector2:{region}:{DEMO_ACCOUNT}:finding/{cve.lower().replace('-', '')}{instance_id[-6:]}",
        "awsAccountId": DEMO_ACCOUNT,
        "type": "PACKAGE_VULNERABILITY",
        "title": title,
        "description": title,
        "severity": severity,
        "status": "ACTIVE",
        "firstObservedAt": _epoch(now, days),
        "lastObservedAt": _epoch(now, 0),
        "updatedAt": _epoch(now, 0),
        "inspectorScore": score,
        "fixAvailable": "YES",
        "exploitAvailable": "YES" if severity == "CRITICAL" else "NO",
        "remediation": {"recommendation": {"text": "Update the affected package."}},
        "resources": [
            {"type": "AWS_EC2_INSTANCE", "id": instance_id, "region": region, "partition": "aws", "tags": {"Name": name}}
        ],
        "packageVulnerabilityDetails": {"vulnerabilityId": cve, "source": "NVD", "vulnerablePackages": []},
    }


def seed_hosts(clients: Any) -> None:
    """Create デモ銀行's instances, its Inspector and ECR settings, and the answers the emulator cannot give."""
    now = dt.datetime.now(dt.UTC)
    url = clients.endpoint_url
    iam = clients("iam")
    iam.create_role(
        RoleName=PROFILE,
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
        '{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    )
    iam.create_instance_profile(InstanceProfileName=PROFILE)
    iam.add_role_to_instance_profile(InstanceProfileName=PROFILE, RoleName=PROFILE)

    # Tokyo: the internet banking servers in the production VPC.
    ec2 = clients("ec2", TOKYO)
    prod = _lookup(ec2, "vpc", "demo-bank-prod")
    web_subnet, app_subnet = _subnets(ec2, prod)[:2]
    # Web server: IMDSv2 only, managed by Systems Manager, patched (passes every host check).
    web = _instance(ec2, "demo-bank-ib-web-01", web_subnet, [_lookup(ec2, "sg", "demo-bank-web-sg")])
    # Batch server: managed, but two critical patches missing and Inspector findings past their deadline (fails
    # ssm_patch_compliance and inspector_overdue_findings).
    batch = _instance(ec2, "demo-bank-ib-batch-01", app_subnet, [_lookup(ec2, "sg", "demo-bank-app-sg")])
    # Operations bastion in its own public subnet (the VPC's default network ACL): SSH open to the internet, IMDSv1,
    # no instance profile, not managed by Systems Manager (fails ec2_imdsv2_required, ec2_ssm_managed and
    # ec2_remote_admin_session_manager).
    ops_subnet = ec2.create_subnet(VpcId=prod, CidrBlock="10.10.9.0/24", AvailabilityZone=f"{TOKYO}a")["Subnet"]["SubnetId"]
    _instance(
        ec2,
        "demo-bank-ops-bastion-01",
        ops_subnet,
        [_lookup(ec2, "sg", "demo-bank-bastion-sg")],
        imdsv2=False,
        public=True,
        profile=False,
    )

    # Osaka: the DR application server, private, managed and patched (passes); GuardDuty is suspended there and
    # the attested EDR covers critical servers only (fails ec2_malware_protection).
    ec2_osaka = clients("ec2", OSAKA)
    dr_vpc = _lookup(ec2_osaka, "vpc", "demo-bank-dr")
    dr_group = ec2_osaka.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [dr_vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    dr = _instance(ec2_osaka, "demo-bank-dr-app-01", _subnets(ec2_osaka, dr_vpc)[0], [dr_group])

    # GuardDuty Malware Protection for EC2 in Tokyo (passes ec2_malware_protection there).
    guardduty = clients("guardduty", TOKYO)
    detector = guardduty.list_detectors()["DetectorIds"][0]
    guardduty.update_detector(DetectorId=detector, Features=[{"Name": "EBS_MALWARE_PROTECTION", "Status": "ENABLED"}])

    # Amazon Inspector: EC2, ECR and Lambda in Tokyo (pass), EC2 only in Osaka (fail: ECR and Lambda not scanned),
    # not activated in us-east-1 (fail).
    clients("inspector2", TOKYO).enable(accountIds=[DEMO_ACCOUNT], resourceTypes=["EC2", "ECR", "LAMBDA"])
    clients("inspector2", OSAKA).enable(accountIds=[DEMO_ACCOUNT], resourceTypes=["EC2"])

    # ECR. Tokyo: enhanced scanning for production repositories only, so the sandbox repository is not scanned
    # (fail). Osaka: basic scan on push on the DR repository (pass).
    ecr = clients("ecr", TOKYO)
    ecr.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "demo-bank-prod-*", "filterType": "WILDCARD"}]}
        ],
    )
    ecr.create_repository(repositoryName="demo-bank-prod-api")
    ecr.create_repository(repositoryName="demo-bank-sandbox-tools")
    clients("ecr", OSAKA).create_repository(repositoryName="demo-bank-dr-api", imageScanningConfiguration={"scanOnPush": True})

    # What the emulator cannot serve, hand-written: Systems Manager and Inspector's findings.
    ssm = {
        TOKYO: [_ssm_instance(web, now), _ssm_instance(batch, now)],
        OSAKA: [_ssm_instance(dr, now)],
    }
    patches = {
        TOKYO: [_patch_summary(web, now), _patch_summary(batch, now, critical=2, high=3)],
        OSAKA: [_patch_summary(dr, now)],
    }
    findings = {
        TOKYO: [
            # Past their deadlines (critical 14 days, high 30 days): one finding for the batch server.
            _finding(TOKYO, batch, "demo-bank-ib-batch-01", "CVE-2024-6387", "CRITICAL", 41, "CVE-2024-6387 - openssh", 8.1),
            _finding(TOKYO, batch, "demo-bank-ib-batch-01", "CVE-2023-38545", "HIGH", 52, "CVE-2023-38545 - curl", 7.5),
            # Within its deadline (medium, 90 days).
            _finding(TOKYO, web, "demo-bank-ib-web-01", "CVE-2024-2511", "MEDIUM", 20, "CVE-2024-2511 - openssl", 5.9),
        ],
        OSAKA: [_finding(OSAKA, dr, "demo-bank-dr-app-01", "CVE-2024-2511", "MEDIUM", 12, "CVE-2024-2511 - openssl", 5.9)],
    }
    for region in (TOKYO, OSAKA):
        unserved.register(
            url,
            "ssm",
            "DescribeInstanceInformation",
            {"InstanceInformationList": ssm[region]},
            account=DEMO_ACCOUNT,
            region=region,
        )
        unserved.register(
            url,
            "ssm",
            "ListResourceComplianceSummaries",
            {"ResourceComplianceSummaryItems": patches[region]},
            account=DEMO_ACCOUNT,
            region=region,
        )
        unserved.register(url, "inspector2", "ListFindings", {"findings": findings[region]}, account=DEMO_ACCOUNT, region=region)
    # Every other account and region: nothing registered with Systems Manager, no finding.
    unserved.register(url, "ssm", "DescribeInstanceInformation", {"InstanceInformationList": []})
    unserved.register(url, "ssm", "ListResourceComplianceSummaries", {"ResourceComplianceSummaryItems": []})
    unserved.register(url, "inspector2", "ListFindings", {"findings": []})
