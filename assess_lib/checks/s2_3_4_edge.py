"""Checks for guideline items 2.3.4.4 ① (intrusion prevention at external connection points) and 2.3.4.4 a.
(resilience against DDoS) at the internet edge: what the web ACLs on public endpoints contain, AWS Network
Firewall in front of load balancers, WAF rate limits and Shield Advanced.

Whether an endpoint has a web ACL at all is ``waf_internet_endpoints`` (s2_3_defense, item 2.3 ①);
these checks judge the ACL's content and so say nothing about endpoints without one. DNSSEC is
``route53_dnssec``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core.text import Phrase
from ..evidence import GLOBAL, EvidenceUnavailable
from . import check, failed, manual, passed
from .context import CheckContext
from .result import Result

LOAD_BALANCERS = "elbv2.load_balancers"
ASSOCIATIONS = "wafv2.web_acl_associations"
STAGES = "apigateway.stages"
DISTRIBUTIONS = "cloudfront.distributions"
ACLS = "wafv2.web_acls"
CLOUDFRONT_ACLS = "wafv2.cloudfront_web_acls"
FIREWALLS = "network_firewall.firewalls"

# AWS managed rule groups that detect intrusion attempts (rule groups sold on the AWS Marketplace by other vendors
# are intrusion-prevention sets by nature and are accepted whatever their name).
IPS_RULE_GROUPS = frozenset(
    {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesSQLiRuleSet",
        "AWSManagedRulesLinuxRuleSet",
        "AWSManagedRulesUnixRuleSet",
        "AWSManagedRulesWindowsRuleSet",
        "AWSManagedRulesPHPRuleSet",
        "AWSManagedRulesWordPressRuleSet",
    }
)
# AWS managed rule groups that throttle request floods in place of the customer's own rate-based rule.
DDOS_RULE_GROUPS = frozenset({"AWSManagedRulesAntiDDoSRuleSet"})


@dataclass
class Endpoint:
    """An internet-facing entrance and what guards it."""

    kind: str  # alb | nlb | stage | cloudfront
    name: str
    arn: str | None
    region: str = GLOBAL
    acl_ref: str | None = None  # the web ACL's ARN (or a WAF Classic ID)
    acl: dict[str, Any] | None = None  # its row, when the ACL is a WAFv2 one the account holds
    firewalls: list[str] = field(default_factory=list)  # Network Firewalls in the load balancer's VPC

    def facts(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "endpoint": Phrase(f"endpoint_{self.kind}", name=self.name),
            "resource_arn": self.arn,
            "web_acl": self.acl_ref,
        }


def _regional_endpoints(ctx: CheckContext, region: str, with_firewalls: bool) -> list[Endpoint]:
    """Internet-facing ALBs and NLBs, and non-private REST API stages, of one region (all evidence read first)."""
    balancers = ctx.rows(LOAD_BALANCERS, region)
    associations = {row["resource_arn"]: row.get("web_acl_arn") for row in ctx.rows(ASSOCIATIONS, region)}
    stages = ctx.rows(STAGES, region)
    acls = {row.get("arn"): row for row in ctx.rows(ACLS, region)}
    firewalls: dict[str, list[str]] = {}
    if with_firewalls:
        for fw in ctx.rows(FIREWALLS, region):
            firewalls.setdefault(str(fw.get("vpc_id")), []).append(str(fw.get("name") or fw.get("arn")))
    endpoints = []
    for lb in balancers:
        if lb.get("scheme") != "internet-facing" or lb.get("type") not in ("application", "network"):
            continue
        kind = "alb" if lb["type"] == "application" else "nlb"
        ref = associations.get(lb["arn"]) if kind == "alb" else None
        endpoints.append(
            Endpoint(kind, str(lb.get("name")), lb["arn"], region, ref, acls.get(ref), firewalls.get(str(lb.get("vpc_id")), []))
        )
    for stage in stages:
        if "PRIVATE" in (stage.get("endpoint_types") or []):
            continue  # reachable only from inside a VPC
        ref = stage.get("web_acl_arn")
        endpoints.append(
            Endpoint("stage", f"{stage.get('api_name')}/{stage.get('stage_name')}", stage.get("arn"), region, ref, acls.get(ref))
        )
    return endpoints


def _cloudfront_endpoints(ctx: CheckContext) -> list[Endpoint]:
    distributions = ctx.rows(DISTRIBUTIONS)
    acls = {row.get("arn"): row for row in ctx.rows(CLOUDFRONT_ACLS)}
    endpoints = []
    for dist in distributions:
        if not dist.get("enabled"):
            continue
        shown = ", ".join(dist.get("aliases") or []) or dist.get("domain_name")
        ref = dist.get("web_acl_id")
        endpoints.append(Endpoint("cloudfront", f"{dist['id']} ({shown})", dist.get("arn"), GLOBAL, ref, acls.get(ref)))
    return endpoints


def _each_endpoint(ctx: CheckContext, judge: Any, with_firewalls: bool = False) -> Iterator[Result]:
    """``judge(endpoint)`` for every endpoint; missing evidence in a region or for CloudFront is an ``error`` there
    and never hides the other places' results."""
    for results in ctx.per_region(
        lambda region: [r for e in _regional_endpoints(ctx, region, with_firewalls) if (r := judge(ctx, e))]
    ):
        yield from results
    try:
        endpoints = _cloudfront_endpoints(ctx)
    except EvidenceUnavailable as missing:
        ctx.record_missing(missing)
        return
    yield from (r for e in endpoints if (r := judge(ctx, e)))


def _blocking(rule: dict[str, Any]) -> bool:
    return rule.get("action") not in ("count", "allow")


def _managed_rules(ctx: CheckContext, endpoint: Endpoint) -> Result | None:
    where = {"region": endpoint.region, **endpoint.facts()}
    acl = endpoint.acl or {}
    blocking: list[str] = []
    counting: list[str] = []
    for rule in acl.get("rules") or []:
        for group in rule.get("managed_rule_groups") or []:
            if group.get("name") in IPS_RULE_GROUPS or group.get("vendor") not in ("AWS", None):
                (blocking if _blocking(rule) else counting).append(str(group.get("name")))
    facts = {**where, "acl": acl.get("name")}
    if blocking:
        return passed(endpoint.name, groups=", ".join(blocking), **facts)
    if endpoint.firewalls:  # traffic into the load balancer's VPC passes an inspecting firewall
        return passed(endpoint.name, "pass_firewall", firewalls=", ".join(endpoint.firewalls), **where)
    if endpoint.kind == "nlb":  # AWS WAF cannot be put in front of a Network Load Balancer
        return failed(endpoint.name, "fail_nlb", **where)
    if not endpoint.acl_ref:
        return None  # no web ACL at all: waf_internet_endpoints says so
    if endpoint.acl is None:
        return manual(endpoint.name, "unknown_acl", **where)
    if counting:
        return failed(endpoint.name, "fail_count", groups=", ".join(counting), **facts)
    return failed(endpoint.name, **facts)


@check("waf_managed_rules")
def waf_managed_rules(ctx: CheckContext) -> Iterator[Result]:
    """Internet entrances inspect traffic for intrusion: the web ACL blocks with AWS managed (or marketplace) rule
    groups, or an AWS Network Firewall guards the load balancer's VPC."""
    yield from _each_endpoint(ctx, _managed_rules, with_firewalls=True)


def _rate_rules(ctx: CheckContext, endpoint: Endpoint) -> Result | None:
    if endpoint.kind == "nlb" or not endpoint.acl_ref:
        return None  # no web ACL (waf_internet_endpoints), or none possible
    where = {"region": endpoint.region, **endpoint.facts()}
    if endpoint.acl is None:
        return manual(endpoint.name, "unknown_acl", **where)
    acl = endpoint.acl
    ddos_groups = DDOS_RULE_GROUPS
    limits = [
        str(rule.get("name"))
        for rule in acl.get("rules") or []
        if _blocking(rule)
        and (rule.get("rate_based") or any(g.get("name") in ddos_groups for g in rule.get("managed_rule_groups") or []))
    ]
    facts = {**where, "acl": acl.get("name")}
    if limits:
        return passed(endpoint.name, rules=", ".join(limits), **facts)
    references = [arn for rule in acl.get("rules") or [] for arn in rule.get("rule_group_arns") or []]
    if references:  # the customer's own rule groups may hold a rate-based rule; their rules are not read
        return manual(endpoint.name, "manual_rule_groups", groups=", ".join(a.rsplit("/", 2)[-2] for a in references), **facts)
    return failed(endpoint.name, **facts)


@check("waf_rate_based_rules")
def waf_rate_based_rules(ctx: CheckContext) -> Iterator[Result]:
    """The web ACL of every internet entrance limits request rates (a blocking rate-based rule or the AWS
    anti-DDoS rule group)."""
    yield from _each_endpoint(ctx, _rate_rules)


@check("shield_advanced")
def shield_advanced(ctx: CheckContext) -> Iterator[Result]:
    """An account with internet-facing endpoints subscribes to AWS Shield Advanced and registers its internet-facing
    ALBs and CloudFront distributions for protection (REST API stages and NLBs are protected through CloudFront and
    Elastic IPs, which this check does not follow)."""
    rows = ctx.rows("shield.subscription")
    endpoints: list[Endpoint] = []
    for found in ctx.per_region(lambda region: _regional_endpoints(ctx, region, with_firewalls=False)):
        endpoints.extend(found)
    try:
        endpoints.extend(_cloudfront_endpoints(ctx))
    except EvidenceUnavailable as missing:
        ctx.record_missing(missing)  # the regions' endpoints still count
    if not endpoints:
        return  # nothing exposed: nothing to protect (the runner says so when the evidence was complete)
    subscription: dict[str, Any] = rows[0] if rows else {"subscribed": False}
    if not subscription.get("subscribed"):
        yield failed("Shield Advanced", endpoint_count=len(endpoints))
        return
    protected = set(subscription.get("protected") or [])
    registrable = [e for e in endpoints if e.kind in ("alb", "cloudfront")]
    if not registrable:
        yield passed("Shield Advanced", "pass_subscribed", endpoint_count=len(endpoints))
    for endpoint in registrable:
        where = {"region": endpoint.region, **endpoint.facts()}
        if endpoint.arn in protected:
            yield passed(endpoint.name, **where)
        else:
            yield failed(endpoint.name, "fail_unprotected", **where)
