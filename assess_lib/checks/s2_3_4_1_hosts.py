"""2.3.4.1 host hardening: only the necessary functions on EC2 instances (IMDSv2 only, no remote
administration port open to the internet where Session Manager can do the job) and malware protection
(GuardDuty Malware Protection for EC2, or the host-based EDR attested under 2.3 ①).

"Open to the internet" is the one exposure model of :mod:`._exposure` (shared with 2.3 ① and 2.3.1 ⑤),
applied here to the instances that have a public address: a security group rule from 0.0.0.0/0 or ::/0 that the
subnet's network ACL does not deny.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import check, failed, manual, passed
from ._exposure import ANY_V4, ANY_V6, REMOTE_ADMIN_PORTS, internet_ingress, nacl_decisions
from .context import CheckContext
from .result import Phrase, Result
from .s2_2_3_vulnerability import instance_label, live_instances, ssm_registrations
from .s2_3_defense import host_ips_state

MALWARE_FEATURE = "EBS_MALWARE_PROTECTION"  # GuardDuty's feature name for Malware Protection for EC2


@check("ec2_imdsv2_required")
def ec2_imdsv2_required(ctx: CheckContext) -> Iterator[Result]:
    """Running instances accept only IMDSv2 (session tokens) for the instance metadata service, or have it off."""
    instances = live_instances(ctx)
    open_v1 = 0
    for inst in instances:
        if inst.get("http_endpoint") == "disabled" or inst.get("http_tokens") == "required":
            continue
        open_v1 += 1
        yield failed(instance_label(inst, inst["instance_id"]), tokens=inst.get("http_tokens"), public_ip=inst.get("public_ip"))
    if instances and not open_v1:
        yield passed("EC2 instances", count=len(instances))


def _nacl_allows(acls: list[dict[str, Any]], subnet: str | None, port: int, cidr: str) -> bool:
    """Whether the subnet's network ACL lets ``port`` in from ``cidr`` (an unknown ACL: the default, allow all)."""
    acl = next((a for a in acls if subnet and subnet in (a.get("subnet_ids") or [])), None)
    if acl is None:
        return True
    decision = next((d for d in nacl_decisions(acl) if d["port"] == port and d["cidr"] == cidr), None)
    return decision is None or decision["action"] == "allow"


def reachable_admin_ports(inst: dict[str, Any], groups: dict[str, dict[str, Any]], acls: list[dict[str, Any]]) -> list[int]:
    """SSH/RDP ports of an instance reachable from the whole internet: its address family has a public address,
    one of its security groups allows the port from 0.0.0.0/0 or ::/0, and its subnet's network ACL lets it in."""
    sources = ([ANY_V4] if inst.get("public_ip") else []) + ([ANY_V6] if inst.get("ipv6_addresses") else [])
    exposures = [e for gid in inst.get("security_groups") or [] for e in internet_ingress(groups.get(gid, {}))]
    return [
        port
        for port in REMOTE_ADMIN_PORTS
        if any(
            e.cidr in sources and e.includes_port(port) and _nacl_allows(acls, inst.get("subnet_id"), port, e.cidr)
            for e in exposures
        )
    ]


@check("ec2_remote_admin_session_manager")
def ec2_remote_admin_session_manager(ctx: CheckContext) -> Iterator[Result]:
    """No running instance is reachable on SSH/RDP from the internet: administration goes through Session Manager."""
    instances = live_instances(ctx)
    groups = {g["group_id"]: g for g in ctx.rows("ec2.security_groups")}
    acls = ctx.rows("ec2.network_acls")
    managed = ssm_registrations(ctx)
    exposed = 0
    for inst in instances:
        ports = reachable_admin_ports(inst, groups, acls)
        if not ports:
            continue
        exposed += 1
        ssm = str((managed.get(inst["instance_id"]) or {}).get("ping_status")) == "Online"
        yield failed(
            instance_label(inst, inst["instance_id"]),
            "fail_managed" if ssm else "fail",
            severity="medium" if ssm else "high",
            ports=ports,
            names=", ".join(f"{REMOTE_ADMIN_PORTS[p]}({p})" for p in ports),
            public_ip=inst.get("public_ip") or next(iter(inst.get("ipv6_addresses") or []), None),
            security_groups=inst.get("security_groups"),
            ssm_managed=ssm,
        )
    if instances and not exposed:
        yield passed("EC2 instances", count=len(instances))


@check("ec2_malware_protection")
def ec2_malware_protection(ctx: CheckContext) -> Iterator[Result]:
    """Where EC2 instances run, GuardDuty Malware Protection for EC2 is on, or a host-based EDR is attested."""
    instances = [i for i in ctx.rows("ec2.instances") if i.get("state") != "shutting-down"]
    detectors = ctx.rows("guardduty.detectors")
    if not instances:
        return
    on = [
        d
        for d in detectors
        if str(d.get("status")).upper() == "ENABLED" and str((d.get("features") or {}).get(MALWARE_FEATURE)).upper() == "ENABLED"
    ]
    resource = "GuardDuty Malware Protection for EC2"
    facts: dict[str, Any] = {"instances": len(instances)}
    if on:
        yield passed(resource, "pass_guardduty", **facts, detector=on[0]["detector_id"])
        return
    state, product, coverage = host_ips_state(ctx)
    facts.update(product=product, coverage=coverage, guardduty=Phrase("gd_detector_off" if detectors else "gd_none"))
    if state == "present" and coverage == "all":
        yield passed(resource, "pass_edr", **facts)
    elif state == "present":
        yield failed(resource, "fail_edr_critical", severity="medium", **facts)
    elif state == "missing":
        yield failed(resource, **facts)
    else:
        yield manual(resource, **facts)
