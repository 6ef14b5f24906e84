"""Checks for guideline item 2.3 ① defense in depth: entrance, internal and exit layers.

The guideline asks for several layers combined: perimeter controls against intrusion (entrance), internal
controls against misuse of systems (internal) and controls against leakage to the outside (exit). Each
layer has its own checks; ``defense_in_depth_layers`` reads their results (never the evidence) and gives one
verdict per account with a layer table. What "open to the internet" means is modelled once in
:mod:`._exposure` (2.3.1 ⑤ uses it too).

Each region is evaluated on its own (``ctx.per_region``): evidence missing in one region is an ``error``
finding for that region and the others still give verdicts. A region's results are computed in full before
any is yielded, so a gap found part-way never leaves half a region assessed. The layer summary fails on the
gaps its component checks show, beside their errors, but never passes while one of them lacks evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..core.model import Finding, Verdict
from ..core.text import Phrase, entry
from ..evidence import GLOBAL, OTHER, EvidenceUnavailable
from . import check, failed, manual, not_applicable, passed
from .answers import attested
from ._exposure import (
    ADMIN_PORTS,
    ANY_V4,
    ANY_V6,
    Exposure,
    internet_ingress,
    nacl_decisions,
    unrestricted_egress,
)
from .context import CheckContext
from .result import Result

CONTROL = "2.3-1"
SG = "ec2.security_groups"
HOST_RESOURCE = "host IPS/EDR"

# Questions of item 2.3-1 in the attestation questionnaire (attestations/questions.yaml).
HOST_IPS_PRODUCT = "host_ips_edr_product"  # text; a word of "none" (text/defense.yaml: defense.answer_none)
HOST_IPS_COVERAGE = "host_ips_edr_coverage"  # all | critical | none
EGRESS_PROXY = "egress_proxy"  # yes/no
PROXY_BLOCKS_UNCATEGORISED = "proxy_blocks_uncategorised"  # yes/no

__all__ = [
    "ADMIN_PORTS",
    "CONTROL",
    "LAYERS",
    "Exposure",
    "egress_proxy",
    "host_ips_state",
    "internet_ingress",
    "layer_table",
    "nacl_decisions",
    "unrestricted_egress",
]


def _answer(ctx: CheckContext, question_id: str) -> Any:
    """The customer's attested answer for item 2.3-1, None when not answered (or nothing attested)."""
    item = attested(ctx, CONTROL)
    return item.answer(question_id) if item else None


def _none_words() -> set[str]:
    words = entry("defense.answer_none")
    return {"", *(w.strip().lower() for lang in ("ja", "en") for w in words[lang].split("|"))}


def host_ips_state(ctx: CheckContext) -> tuple[str, str | None, str | None]:
    """("present" | "missing" | "unknown", product, coverage) of the host-based IPS/EDR, as attested."""
    product = _answer(ctx, HOST_IPS_PRODUCT)
    coverage = _answer(ctx, HOST_IPS_COVERAGE)
    product_text = str(product).strip() if product is not None else None
    if coverage == "none" or (product_text is not None and product_text.lower() in _none_words()):
        return "missing", product_text, coverage
    if product_text and coverage in ("all", "critical"):
        return "present", product_text, coverage
    return "unknown", product_text, coverage


def egress_proxy(ctx: CheckContext) -> bool | None:
    """Attested: outbound traffic goes through a proxy only (None when not answered)."""
    value = _answer(ctx, EGRESS_PROXY)
    return value if isinstance(value, bool) else None


def _per_region(ctx: CheckContext, evaluate: Callable[[CheckContext, str], list[Result]]) -> Iterator[Result]:
    """Every in-scope region's results; a region whose evidence is missing gives an ``error`` finding
    (CheckContext.per_region) and the other regions still give theirs."""
    for results in ctx.per_region(lambda region: evaluate(ctx, region)):
        yield from results


def _acl_name(arn_or_id: str | None) -> str:
    """A web ACL's name from its ARN (…/webacl/NAME/ID); WAF Classic IDs are shown as they are."""
    if not arn_or_id:
        return ""
    parts = str(arn_or_id).split("/")
    return parts[-2] if len(parts) >= 3 else str(arn_or_id)


def _chain(key: str, items: list[Phrase] | list[str]) -> Phrase | str:
    """Items joined by ``defense.join.<key>`` (a separator per language), as one Phrase."""
    if not items:
        return ""
    joined: Phrase | str = items[-1]
    for item in reversed(items[:-1]):
        joined = Phrase(f"defense.join.{key}", head=item, tail=joined)
    return joined


def _group(group: dict[str, Any]) -> Phrase:
    """'Security group sg-1 (web, vpc-1, the VPC's default group)'."""
    return Phrase(
        "defense.group.label",
        group_id=group["group_id"],
        name=group.get("group_name") or "",
        vpc=group.get("vpc_id") or Phrase("defense.group.no_vpc"),
        default=Phrase("defense.group.default") if group.get("is_default") else "",
    )


def _vpc(vpc: dict[str, Any], start: bool = False) -> Phrase:
    """'VPC vpc-1 (prod)' / 'default VPC vpc-2' ('Default VPC' at the start of a sentence)."""
    name = Phrase("defense.vpc.name", name=vpc["name"]) if vpc.get("name") else ""
    key = "plain" if not vpc.get("is_default") else "default_heading" if start else "default"
    return Phrase(f"defense.vpc.{key}", vpc_id=vpc["vpc_id"], name=name)


# --- entrance: security groups, network ACLs, WAF --------------------------------------------------------


def _sg_ingress(ctx: CheckContext, region: str) -> list[Result]:
    results: list[Result] = []
    for group in ctx.rows(SG, region):
        gid = group["group_id"]
        everything_open = internet_ingress(group)
        exposures = [e for e in everything_open if e.beyond_web]
        attached = bool(group.get("attached"))
        base: dict[str, Any] = {
            "group_name": group.get("group_name"),
            "vpc_id": group.get("vpc_id"),
            "attached": attached,
            "group": _group(group),
        }
        if not exposures:
            if everything_open:
                web = sorted({e.sort_key: e for e in everything_open}.values(), key=lambda e: e.sort_key)
                results.append(passed(gid, "pass_web_only", region=region, **base, ports=[e.label() for e in web]))
            else:
                results.append(passed(gid, "pass", region=region, **base))
            continue
        admin = sorted({p for e in exposures for p in e.admin_ports})
        everything = any(e.all_traffic or e.all_ports for e in exposures)
        if everything:
            call: Phrase | str = Phrase("every_port")
        elif admin:
            call = Phrase("admin_ports", names=", ".join(f"{ADMIN_PORTS[p]} {p}" for p in admin))
        else:
            call = ""
        if all(e.protocol in ("icmp", "icmpv6") for e in exposures):
            severity = "low"
        elif everything or admin:
            severity = "critical" if attached else "high"
        else:
            severity = "high" if attached else "medium"
        results.append(
            failed(
                gid,
                region=region,
                severity=severity,
                **base,
                exposed=[e.as_fact() for e in exposures],
                admin_ports=admin,
                all_traffic=everything,
                items=_chain("items", [e.item() for e in exposures]),
                call=call,
                attachment=_attachment(group),
            )
        )
    return results


def _attachment(group: dict[str, Any]) -> Phrase:
    if not group.get("attached"):
        return Phrase("unattached")
    sample = [e.get("instance_id") or e.get("id") for e in group.get("network_interfaces", [])[:3]]
    return Phrase("attached", count=int(group.get("network_interface_count") or 0), shown=", ".join(s for s in sample if s))


def _rule(number: Any) -> Phrase:
    if number in (None, 32767):
        return Phrase("default_deny_rule")
    return Phrase("numbered_rule", number=number)


def _nacls(ctx: CheckContext, region: str) -> list[Result]:
    results: list[Result] = []
    for acl in ctx.rows("ec2.network_acls", region):
        acl_id = acl["network_acl_id"]
        subnets = acl.get("subnet_ids", [])
        decisions = nacl_decisions(acl)
        opened = [d for d in decisions if d["action"] == "allow"]
        facts: dict[str, Any] = {
            "vpc_id": acl.get("vpc_id"),
            "is_default": acl.get("is_default"),
            "subnet_ids": subnets,
            "decisions": decisions,
            "default": Phrase("default_acl") if acl.get("is_default") else "",
            "where": Phrase("associated", vpc=acl.get("vpc_id"), count=len(subnets))
            if subnets
            else Phrase("unassociated", vpc=acl.get("vpc_id")),
        }
        if opened:
            items = [
                Phrase("opened_port", cidr=d["cidr"], port=d["port"], name=ADMIN_PORTS[d["port"]], rule=_rule(d["rule_number"]))
                for d in opened
            ]
            results.append(
                failed(acl_id, region=region, severity="high" if subnets else "low", **facts, items=_chain("items", items))
            )
        else:
            denies = sorted({d["rule_number"] for d in decisions if d["rule_number"] not in (None, 32767)})
            how = Phrase("deny_first", rules=", ".join(map(str, denies))) if denies else ""
            results.append(passed(acl_id, region=region, **facts, how=how))
    return results


def _waf_regional(ctx: CheckContext, region: str) -> list[Result]:
    results: list[Result] = []
    for row in ctx.rows("wafv2.web_acl_associations", region):
        name = row.get("resource_name") or row["resource_arn"]
        acl = row.get("web_acl_arn")
        facts: dict[str, Any] = {"resource_arn": row["resource_arn"], "web_acl_arn": acl}
        if acl:
            results.append(passed(name, "pass_alb", region=region, **facts, acl=_acl_name(acl)))
        else:
            results.append(failed(name, "fail_alb", region=region, severity="high", **facts))
    for stage in ctx.rows("apigateway.stages", region):
        if "PRIVATE" in (stage.get("endpoint_types") or []):
            continue  # reachable only from inside a VPC: not an internet entrance
        name = f"{stage.get('api_name')}/{stage.get('stage_name')}"
        acl = stage.get("web_acl_arn")
        facts = {
            "resource_arn": stage.get("arn"),
            "web_acl_arn": acl,
            "endpoint_types": stage.get("endpoint_types"),
            "api_name": stage.get("api_name"),
            "api_id": stage.get("api_id"),
            "stage": stage.get("stage_name"),
        }
        if acl:
            results.append(passed(name, "pass_stage", region=region, **facts, acl=_acl_name(acl)))
        else:
            results.append(failed(name, "fail_stage", region=region, severity="high", **facts))
    return results


def _waf_cloudfront(ctx: CheckContext) -> list[Result]:
    results: list[Result] = []
    for dist in ctx.rows("cloudfront.distributions"):
        if not dist.get("enabled"):
            continue  # a disabled distribution serves nothing
        shown = ", ".join(dist.get("aliases") or []) or dist.get("domain_name")
        if dist.get("comment"):
            shown = f"{shown}, {dist['comment']}"
        acl = dist.get("web_acl_id")
        facts: dict[str, Any] = {
            "resource_arn": dist.get("arn"),
            "web_acl_id": acl,
            "domain_name": dist.get("domain_name"),
            "shown": shown,
        }
        if acl:
            results.append(passed(dist["id"], "pass_cloudfront", **facts, acl=_acl_name(acl)))
        else:
            results.append(failed(dist["id"], "fail_cloudfront", severity="high", **facts))
    return results


# --- internal: GuardDuty, host IPS/EDR, flow logs ------------------------------------------------------------


def _guardduty(ctx: CheckContext, region: str) -> list[Result]:
    detectors = ctx.rows("guardduty.detectors", region)
    enabled = [d for d in detectors if str(d.get("status")).upper() == "ENABLED"]
    facts: dict[str, Any] = {"detectors": [{"id": d["detector_id"], "status": d.get("status")} for d in detectors]}
    resource = f"GuardDuty {region}"
    if enabled:
        return [passed(resource, "pass_guardduty", region=region, **facts, detector=enabled[0]["detector_id"])]
    if detectors:
        states = ", ".join(f"{d['detector_id']}: {d.get('status')}" for d in detectors)
        return [failed(resource, "fail_guardduty_disabled", region=region, severity="high", **facts, states=states)]
    return [failed(resource, "fail_guardduty_off", region=region, severity="high", **facts)]


def _host_ips(ctx: CheckContext) -> Result:
    state, product, coverage = host_ips_state(ctx)
    facts: dict[str, Any] = {"product": product, "coverage": coverage, "question": Phrase("host_question")}
    if state == "present":
        key = "pass_host_all" if coverage == "all" else "pass_host_critical"
        return passed(HOST_RESOURCE, key, **facts)
    if state == "missing":
        return failed(HOST_RESOURCE, "fail_host", severity="medium", **facts)
    return manual(HOST_RESOURCE, "manual_host", **facts)


def _flow_logs(ctx: CheckContext, region: str) -> list[Result]:
    logs = ctx.rows("ec2.flow_logs", region)
    results: list[Result] = []
    for vpc in ctx.rows("ec2.vpcs", region):
        vid = vpc["vpc_id"]
        own = [f for f in logs if f.get("resource_id") == vid]
        active = [f for f in own if str(f.get("status") or "ACTIVE").upper() == "ACTIVE"]
        failing = [f for f in active if str(f.get("deliver_status") or "").upper() == "FAILED"]
        healthy = [f for f in active if f not in failing]
        facts: dict[str, Any] = {
            "is_default": vpc.get("is_default"),
            "flow_logs": [f.get("flow_log_id") for f in own],
            "vpc": _vpc(vpc),
            "vpc_start": _vpc(vpc, start=True),
            "default_note": Phrase("default_vpc_note") if vpc.get("is_default") else "",
        }
        if healthy:
            log = healthy[0]
            traffic = log.get("traffic_type") or "ALL"
            partial = Phrase("not_all_traffic") if traffic.upper() != "ALL" else ""
            results.append(
                passed(
                    vid,
                    "pass_flow_log",
                    region=region,
                    **facts,
                    flow_log=log.get("flow_log_id"),
                    traffic=traffic,
                    destination=log.get("destination_type") or "",
                    partial=partial,
                )
            )
        elif failing:
            facts |= {"flow_log": failing[0].get("flow_log_id"), "error": failing[0].get("deliver_error") or ""}
            results.append(failed(vid, "fail_flow_log_delivery", region=region, severity="medium", **facts))
        else:
            results.append(failed(vid, "fail_flow_log", region=region, severity="medium", **facts))
    return results


# --- exit: egress filtering and security group egress -------------------------------------------------------

_DIRECT = ("igw-", "nat-", "eigw-")


def _inspection_vpcs(ctx: CheckContext, region: str) -> dict[str, str]:
    """VPC id -> what inspects its traffic there (a Network Firewall or a Gateway Load Balancer)."""
    found: dict[str, str] = {}
    for fw in ctx.rows("network_firewall.firewalls", region):
        if fw.get("vpc_id"):
            found.setdefault(fw["vpc_id"], f"AWS Network Firewall {fw.get('name')}")
    for lb in ctx.rows("elbv2.load_balancers", region):
        if lb.get("type") == "gateway" and lb.get("vpc_id"):
            found.setdefault(lb["vpc_id"], f"Gateway Load Balancer {lb.get('name')}")
    return found


def _default_routes(tables: list[dict[str, Any]], vpc_id: str) -> list[str]:
    """Targets of the active default routes (0.0.0.0/0, ::/0) of a VPC's route tables."""
    targets = []
    for table in tables:
        if table.get("vpc_id") != vpc_id:
            continue
        for route in table.get("routes", []):
            if (route.get("destination") == ANY_V4 or route.get("ipv6_destination") == ANY_V6) and str(
                route.get("state") or "active"
            ) == "active":
                targets.append(str(route.get("target") or ""))
    return sorted(set(targets))


def _egress(ctx: CheckContext, region: str) -> list[Result]:
    inspected = _inspection_vpcs(ctx, region)
    tables = ctx.rows("ec2.route_tables", region)
    groups = ctx.rows(SG, region)
    proxy = egress_proxy(ctx)
    weak: Phrase | str = ""
    if proxy is True and _answer(ctx, PROXY_BLOCKS_UNCATEGORISED) is False:
        weak = Phrase("proxy_weak")
    results: list[Result] = []
    for vpc in ctx.rows("ec2.vpcs", region):
        vid = vpc["vpc_id"]
        targets = _default_routes(tables, vid)
        facts: dict[str, Any] = {
            "is_default": vpc.get("is_default"),
            "default_route_targets": targets,
            "vpc": _vpc(vpc),
            "vpc_start": _vpc(vpc, start=True),
        }
        if vid in inspected:
            results.append(passed(vid, "pass_inspected", region=region, **facts, inspection=inspected[vid]))
            continue
        endpoints = [t for t in targets if t.startswith("vpce-")]
        direct = [t for t in targets if t.startswith(_DIRECT)]
        other = [t for t in targets if t not in endpoints and t not in direct]
        if endpoints:
            bypass = Phrase("endpoint_bypass", direct=", ".join(direct)) if direct else ""
            results.append(
                passed(vid, "pass_endpoint", region=region, **facts, endpoints=", ".join(endpoints), bypass_note=bypass)
            )
        elif direct:
            bypass_groups = sorted(
                g["group_id"] for g in groups if g.get("vpc_id") == vid and g.get("attached") and unrestricted_egress(g)
            )
            facts |= {"unrestricted_groups_in_use": bypass_groups, "direct": ", ".join(direct)}
            if proxy is True and not bypass_groups:
                results.append(passed(vid, "pass_proxy_direct", region=region, **facts, weak=weak))
            elif proxy is True:
                shown = ", ".join(bypass_groups[:3]) + ("\u2026" if len(bypass_groups) > 3 else "")
                results.append(failed(vid, "fail_proxy_bypassed", region=region, severity="medium", **facts, groups=shown))
            else:
                results.append(failed(vid, "fail_direct", region=region, severity="medium", **facts))
        elif other:
            facts["via"] = ", ".join(other)
            if proxy is True:
                results.append(passed(vid, "pass_proxy_other", region=region, **facts, weak=weak))
            else:
                results.append(manual(vid, "manual_other", region=region, **facts))
        else:
            results.append(passed(vid, "pass_no_route", region=region, **facts))
    return results


def _sg_egress(ctx: CheckContext, region: str) -> list[Result]:
    inspected = _inspection_vpcs(ctx, region)
    results: list[Result] = []
    for group in ctx.rows(SG, region):
        gid = group["group_id"]
        cidrs = unrestricted_egress(group)
        attached = bool(group.get("attached"))
        facts: dict[str, Any] = {
            "group_name": group.get("group_name"),
            "vpc_id": group.get("vpc_id"),
            "attached": attached,
            "unrestricted_to": cidrs,
            "group": _group(group),
        }
        if not cidrs:
            results.append(passed(gid, region=region, **facts))
            continue
        facts |= {"to": _chain("cidrs", cidrs), "default_note": Phrase("default_group_note") if group.get("is_default") else ""}
        if not attached:
            results.append(not_applicable(gid, "unattached", region=region, **facts))
            continue
        mitigation = inspected.get(group.get("vpc_id") or "")
        facts |= {
            "count": group.get("network_interface_count", 0),
            "mitigation": Phrase("inspected_by", inspection=mitigation) if mitigation else "",
        }
        results.append(failed(gid, region=region, severity="low" if mitigation else "medium", **facts))
    return results


# --- the checks ------------------------------------------------------------------------------------------------


@check("waf_internet_endpoints")
def waf_internet_endpoints(ctx: CheckContext) -> Iterator[Result]:
    """Entrance: an AWS WAF web ACL on every internet-facing ALB, REST API stage and CloudFront distribution."""
    yield from _per_region(ctx, _waf_regional)
    try:
        cloudfront = _waf_cloudfront(ctx)
    except EvidenceUnavailable as missing:
        ctx.record_missing(missing)  # the regions' results stand beside it
        return
    yield from cloudfront


@check("sg_ingress_internet")
def sg_ingress_internet(ctx: CheckContext) -> Iterator[Result]:
    """Entrance: no security group opens anything but HTTP/HTTPS to 0.0.0.0/0 or ::/0."""
    yield from _sg_ingress(ctx, ctx.region or GLOBAL)


@check("nacl_admin_ports")
def nacl_admin_ports(ctx: CheckContext) -> Iterator[Result]:
    """Entrance: no network ACL lets SSH (22) or RDP (3389) in from anywhere (rule order respected)."""
    yield from _nacls(ctx, ctx.region or GLOBAL)


@check("internal_threat_detection")
def internal_threat_detection(ctx: CheckContext) -> Iterator[Result]:
    """Internal: GuardDuty enabled in every region in scope, and a host-based IPS/EDR (attested)."""
    yield from _per_region(ctx, _guardduty)
    yield _host_ips(ctx)


@check("vpc_flow_logs")
def vpc_flow_logs(ctx: CheckContext) -> Iterator[Result]:
    """Internal: a VPC flow log on every VPC, default VPCs included."""
    yield from _flow_logs(ctx, ctx.region or GLOBAL)


@check("egress_filtering")
def egress_filtering(ctx: CheckContext) -> Iterator[Result]:
    """Exit: outbound traffic of every VPC inspected (Network Firewall, GWLB) or attested as proxied."""
    yield from _egress(ctx, ctx.region or GLOBAL)


@check("sg_egress_unrestricted")
def sg_egress_unrestricted(ctx: CheckContext) -> Iterator[Result]:
    """Exit: security groups in use do not allow all outbound traffic to 0.0.0.0/0 or ::/0."""
    yield from _sg_egress(ctx, ctx.region or GLOBAL)


# --- layer summary: reads the results of the layer checks --------------------------------------------------------

LAYERS = ("entrance", "internal", "exit")
PASS, FAIL, MANUAL = Verdict.PASS, Verdict.FAIL, Verdict.MANUAL
# The elements of each layer, in the order their gaps are listed: (layer, gap key, check, which of its findings).
_ELEMENTS: tuple[tuple[str, str, str, Callable[[Finding], bool]], ...] = (
    ("entrance", "waf", "waf_internet_endpoints", lambda f: True),
    ("entrance", "sg_ingress", "sg_ingress_internet", lambda f: bool(f.details.get("attached"))),  # groups in use
    ("entrance", "nacl", "nacl_admin_ports", lambda f: bool(f.details.get("subnet_ids"))),  # ACLs on subnets
    ("internal", "guardduty", "internal_threat_detection", lambda f: f.resource != HOST_RESOURCE),
    ("internal", "flow_logs", "vpc_flow_logs", lambda f: True),
    # An attested answer is an element; an unknown one (needs review) is only noted.
    ("internal", "host_ips", "internal_threat_detection", lambda f: f.resource == HOST_RESOURCE and f.verdict != MANUAL),
    ("exit", "egress", "egress_filtering", lambda f: True),
)
_UNCONFIRMED = "egress_unconfirmed"  # the gap key of an element that needs review (outbound route via a TGW...)
_HOST_STATES = {PASS: "present", FAIL: "missing"}


class _ReadUnavailable(EvidenceUnavailable):
    """A component check's ``error`` finding, carried into the summary as it was worded there."""

    def __init__(self, finding: Finding) -> None:
        self.finding = finding
        details = finding.details
        super().__init__(
            finding.resource,
            finding.account_id,
            finding.region,
            str(details.get("error_kind") or OTHER),
            str(details.get("error_code") or ""),
            "",
            str(details.get("missing_permission") or ""),
        )

    def describe(self, lang: str = "en") -> str:
        return self.finding.message_en if lang == "en" else self.finding.message_ja


def _exit_controlled(egress: Finding, groups: list[Finding]) -> bool:
    """A VPC whose security groups in use all restrict outbound traffic counts as controlled at the exit."""
    in_use = [
        g
        for g in groups
        if g.details.get("attached") and g.details.get("vpc_id") == egress.resource and g.region == egress.region
    ]
    return bool(in_use) and not any(g.details.get("unrestricted_to") for g in in_use)


def layer_table(ctx: CheckContext) -> dict[str, Any]:
    """Per layer: state (present / partial / missing / not_applicable), counts and gaps, from the results of
    the layer checks. Elements: entrance = WAF per public endpoint, security groups in use, network ACLs
    associated with subnets; internal = GuardDuty per region, flow logs per VPC, the attested host IPS/EDR;
    exit = outbound inspection per VPC, where a VPC whose groups in use all restrict outbound traffic counts
    as controlled too. Only pass, fail and needs-review results are elements."""
    groups = ctx.results("sg_egress_unrestricted")
    elements: dict[str, list[tuple[str, Finding, bool]]] = {layer: [] for layer in LAYERS}
    for layer, key, check_id, counts in _ELEMENTS:
        # The global results (CloudFront) first, then the regions in order.
        for finding in sorted(ctx.results(check_id), key=lambda f: f.region != GLOBAL):
            if finding.verdict not in (PASS, FAIL, MANUAL) or not counts(finding):
                continue
            ok = finding.verdict == PASS or (key == "egress" and _exit_controlled(finding, groups))
            elements[layer].append((key, finding, ok))
    table: dict[str, Any] = {}
    for layer in LAYERS:
        gaps: dict[str, list[str]] = {}
        for key, finding, ok in elements[layer]:
            if not ok:
                where = f" ({finding.region})" if finding.region != GLOBAL and finding.region not in finding.resource else ""
                gaps.setdefault(_UNCONFIRMED if finding.verdict == MANUAL else key, []).append(finding.resource + where)
        controlled = sum(1 for _, _, ok in elements[layer] if ok)
        if not elements[layer]:
            state = "not_applicable"
        elif not gaps:
            state = "present"
        elif controlled:
            state = "partial"
        else:
            state = "missing"
        table[layer] = {"state": state, "controlled": controlled, "elements": len(elements[layer]), "gaps": gaps}
    return table


def _forward_errors(ctx: CheckContext) -> None:
    """The component checks' missing evidence (and crashes), one ``error`` per dataset and region: the summary
    rests on them, so it cannot conclude while they lack evidence."""
    for check_id in ctx.reads:
        results = ctx.results(check_id)
        if not results:
            # Every check run gives at least one finding: none means it was not run before this one.
            raise RuntimeError(f"the results of {check_id} are missing (it must run before {ctx.check_id})")
        for finding in results:
            if finding.verdict == Verdict.ERROR:
                ctx.record_missing(_ReadUnavailable(finding))


def _gap_text(gaps: dict[str, list[str]]) -> Phrase | str:
    parts = [
        Phrase(
            "gap_count",
            gap=Phrase(f"gap_{key}"),
            count=len(items),
            shown=", ".join(items[:3]) + ("\u2026" if len(items) > 3 else ""),
        )
        for key, items in gaps.items()
    ]
    return _chain("items", parts)


@check("defense_in_depth_layers")
def defense_in_depth_layers(ctx: CheckContext) -> Iterator[Result]:
    """Defense in depth: pass only when the entrance, internal and exit layers are all present."""
    _forward_errors(ctx)
    table = layer_table(ctx)
    states = {layer: table[layer]["state"] for layer in LAYERS}
    host = next((f for f in ctx.results("internal_threat_detection") if f.resource == HOST_RESOURCE), None)
    host_state = _HOST_STATES.get(host.verdict, "unknown") if host else "unknown"
    details: dict[str, Any] = {**states, "host_ips_edr": host_state, "layers": table}
    missing = [layer for layer in LAYERS if states[layer] == "missing"]
    partial = [layer for layer in LAYERS if states[layer] == "partial"]
    if not ctx.complete and not missing and not partial:
        return  # no gap in the results there are, but not every check could conclude: their errors say why
    if all(s == "not_applicable" for s in states.values()):
        yield not_applicable(ctx.account_id, **details)
        return
    summary = [
        Phrase("layer_state", layer=Phrase(f"layer.{layer}"), state=Phrase(f"layer_state.{states[layer]}")) for layer in LAYERS
    ]
    host_note = "" if host_state != "unknown" else Phrase("host_unconfirmed")
    if not missing and not partial:
        yield passed(ctx.account_id, **details, summary=summary, host_note=host_note)
        return
    sentences: list[Phrase] = []
    if missing:
        sentences.append(Phrase("missing_layers", layers=[Phrase(f"layer.{layer}") for layer in missing]))
    for layer in missing + partial:
        sentences.append(
            Phrase(
                "layer_gaps",
                layer=Phrase(f"layer.{layer}"),
                state=Phrase(f"layer_state.{states[layer]}"),
                gaps=_gap_text(table[layer]["gaps"]),
            )
        )
    yield failed(
        ctx.account_id,
        severity="high" if missing else "medium",
        **details,
        summary=summary,
        gaps_text=_chain("sentences", sentences),
        host_note=host_note,
    )
