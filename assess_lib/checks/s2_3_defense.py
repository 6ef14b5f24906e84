"""Checks for guideline item 2.3 ① 多層防御 (defense in depth): entrance, internal and exit layers.

The guideline asks for several layers combined: perimeter controls against intrusion (入口対策),
internal controls against misuse of systems (内部対策) and controls against leakage to the outside
(出口対策). Each layer has its own checks; ``defense_in_depth_layers`` recomputes all of them from
the same evidence with the same helpers and gives one verdict per account with a layer table.

Every check records missing evidence per (dataset, region) as ``error`` findings and goes on with the
other regions. The layer summary fails on the gaps the gathered evidence shows, beside those errors, but
never passes on evidence that was not gathered (a layer cannot be "present" then).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .answers import ANSWERS_DATASET, DOCUMENTS_DATASET, attested
from ..evidence import GLOBAL, EvidenceUnavailable
from ..findings import Verdict
from . import check
from .context import CheckContext

CONTROL = "2.3-1"
SG = "ec2.security_groups"
ANY_V4 = "0.0.0.0/0"
ANY_V6 = "::/0"
ANYWHERE = (ANY_V4, ANY_V6)

# What may be open to the whole internet: web traffic (HTTP, HTTPS and HTTP/3 over QUIC).
WEB_PORTS = {("tcp", 80), ("tcp", 443), ("udp", 443)}
# Remote administration, file sharing and database ports: called out by name when exposed.
ADMIN_PORTS: dict[int, str] = {
    21: "FTP",
    22: "SSH",
    23: "Telnet",
    135: "MS RPC",
    139: "NetBIOS",
    445: "SMB",
    1433: "SQL Server",
    1521: "Oracle",
    2049: "NFS",
    2375: "Docker API",
    3306: "MySQL",
    3389: "RDP",
    5432: "PostgreSQL",
    5900: "VNC",
    5985: "WinRM",
    5986: "WinRM",
    6379: "Redis",
    6443: "Kubernetes API",
    9200: "Elasticsearch",
    11211: "Memcached",
    27017: "MongoDB",
}
# Network ACLs are coarse: only the remote administration ports are required to be closed (CIS 5.1).
NACL_ADMIN_PORTS = (22, 3389)

# Questions of item 2.3-1 in the attestation questionnaire (attestations/questions.yaml).
HOST_IPS_PRODUCT = "host_ips_edr_product"  # text; "なし"/"none" when there is none
HOST_IPS_COVERAGE = "host_ips_edr_coverage"  # all | critical | none
EGRESS_PROXY = "egress_proxy"  # yes/no
PROXY_BLOCKS_UNCATEGORISED = "proxy_blocks_uncategorised"  # yes/no
QUESTIONS: dict[str, tuple[str, str]] = {
    "host_ips_edr": (
        "ホスト型IPS/EDR（例: Trend Micro Cloud One）の導入状況",
        "Deployment of a host-based IPS/EDR (e.g. Trend Micro Cloud One)",
    ),
    "egress_proxy": (
        "出口対策としてプロキシ経由でのみ外部と通信しているか",
        "Whether outbound traffic goes through an egress proxy only",
    ),
}
ATTESTATION_DATASETS = [DOCUMENTS_DATASET, ANSWERS_DATASET]
_NONE_WORDS = {"", "なし", "無し", "none", "no", "n/a", "-", "未導入"}


def _answer(ctx: CheckContext, question_id: str) -> Any:
    """The customer's attested answer for item 2.3-1, None when not answered (or nothing attested)."""
    item = attested(ctx, CONTROL)
    return item.answer(question_id) if item else None


def host_ips_state(ctx: CheckContext) -> tuple[str, str | None, str | None]:
    """("present" | "missing" | "unknown", product, coverage) of the host-based IPS/EDR, as attested."""
    product = _answer(ctx, HOST_IPS_PRODUCT)
    coverage = _answer(ctx, HOST_IPS_COVERAGE)
    product_text = str(product).strip() if product is not None else None
    if coverage == "none" or (product_text is not None and product_text.lower() in _NONE_WORDS):
        return "missing", product_text, coverage
    if product_text and coverage in ("all", "critical"):
        return "present", product_text, coverage
    return "unknown", product_text, coverage


def egress_proxy(ctx: CheckContext) -> bool | None:
    """Attested: outbound traffic goes through a proxy only (None when not answered)."""
    value = _answer(ctx, EGRESS_PROXY)
    return value if isinstance(value, bool) else None


# --- results shared by the layer checks and the layer summary --------------------------------------

PASS, FAIL, MANUAL, NA = Verdict.PASS, Verdict.FAIL, Verdict.MANUAL, Verdict.NOT_APPLICABLE


@dataclass
class Result:
    """One evaluated resource: what a check reports and what the layer table counts."""

    verdict: Verdict
    resource: str
    ja: str
    en: str
    region: str = GLOBAL
    severity: str | None = None
    component: str = ""  # waf | sg_ingress | nacl | guardduty | flow_logs | egress | sg_egress
    counts: bool = True  # False: reported, but not an element of the layer (unattached groups...)
    details: dict[str, Any] = field(default_factory=dict)


def _emit(ctx: CheckContext, results: Iterable[Result]) -> None:
    for r in results:
        severity = "info" if r.verdict in (PASS, NA, MANUAL) else (r.severity or ctx.default_severity)
        ctx.add(r.verdict, r.resource, r.ja, r.en, r.region, severity, **r.details)


def _per_region(ctx: CheckContext, evaluate: Callable[[CheckContext, str], list[Result]]) -> list[Result]:
    """Evaluate every in-scope region; a region whose evidence is missing gives an ``error`` finding
    (CheckContext.per_region) and the other regions still give their results."""
    return [r for results in ctx.per_region(lambda region: evaluate(ctx, region)) for r in results]


def _cap(text: str) -> str:
    """Upper-case the first letter only (str.capitalize would lower-case resource names)."""
    return text[:1].upper() + text[1:]


def _acl_name(arn_or_id: str | None) -> str:
    """A web ACL's name from its ARN (…/webacl/NAME/ID); WAF Classic IDs are shown as they are."""
    if not arn_or_id:
        return ""
    parts = str(arn_or_id).split("/")
    return parts[-2] if len(parts) >= 3 else str(arn_or_id)


# --- security group rules (public helpers: 2.3.1 ⑤ reuses them) ----------------------------------


@dataclass(frozen=True)
class Exposure:
    """One ingress rule reachable from the whole internet (0.0.0.0/0 or ::/0)."""

    protocol: str  # tcp | udp | icmp | icmpv6 | -1 (all) | a protocol number
    from_port: int | None
    to_port: int | None
    cidr: str

    @property
    def all_traffic(self) -> bool:
        return self.protocol == "-1"

    @property
    def port_range(self) -> tuple[int, int] | None:
        """Ports covered for TCP/UDP (all ports when unspecified); None for other protocols."""
        if self.all_traffic:
            return (0, 65535)
        if self.protocol not in ("tcp", "udp"):
            return None
        lo = self.from_port if self.from_port not in (None, -1) else 0
        hi = self.to_port if self.to_port not in (None, -1) else 65535
        return (int(lo), int(hi))

    @property
    def all_ports(self) -> bool:
        rng = self.port_range
        return rng is not None and rng[0] <= 1 and rng[1] >= 65535

    @property
    def admin_ports(self) -> list[int]:
        """Named administration/database ports this rule exposes (TCP or all protocols)."""
        rng = self.port_range
        if rng is None or self.protocol == "udp":
            return []
        return [p for p in ADMIN_PORTS if rng[0] <= p <= rng[1]]

    def includes_port(self, port: int, protocol: str = "tcp") -> bool:
        rng = self.port_range
        return (self.all_traffic or self.protocol == protocol) and rng is not None and rng[0] <= port <= rng[1]

    @property
    def beyond_web(self) -> bool:
        """True unless the rule opens only HTTP/HTTPS (TCP 80, TCP 443, UDP 443)."""
        rng = self.port_range
        return not (rng is not None and rng[0] == rng[1] and (self.protocol, rng[0]) in WEB_PORTS)

    def label(self, lang: str) -> str:
        """e.g. 'TCP 22（SSH）', 'all protocols and ports', 'TCP 1000-2000'."""
        ja = lang == "ja"
        if self.all_traffic:
            return "全プロトコル・全ポート" if ja else "all protocols and ports"
        if self.protocol in ("icmp", "icmpv6"):
            return self.protocol.upper()
        rng = self.port_range
        if rng is None:
            return f"プロトコル番号{self.protocol}" if ja else f"IP protocol {self.protocol}"
        proto = self.protocol.upper()
        lo, hi = rng
        if lo == hi:
            name = ADMIN_PORTS.get(lo) if self.protocol == "tcp" else None
            return f"{proto} {lo}" + (f"（{name}）" if ja and name else f" ({name})" if name else "")
        if self.all_ports:
            return f"{proto} 全ポート（0-65535）" if ja else f"{proto} all ports (0-65535)"
        named = [f"{ADMIN_PORTS[p]} {p}" for p in self.admin_ports]
        if not named:
            return f"{proto} {lo}-{hi}"
        shown = ", ".join(named[:4]) + ("…" if len(named) > 4 else "")
        return f"{proto} {lo}-{hi}（{shown} を含む）" if ja else f"{proto} {lo}-{hi} (including {shown})"


def internet_ingress(group: dict[str, Any]) -> list[Exposure]:
    """Every ingress rule of an ``ec2.security_groups`` row open to 0.0.0.0/0 or ::/0."""
    exposures = []
    for rule in group.get("ingress", []):
        for cidr in [c for c in rule.get("cidrs", []) if c == ANY_V4] + [c for c in rule.get("ipv6_cidrs", []) if c == ANY_V6]:
            exposures.append(Exposure(str(rule.get("protocol")), rule.get("from_port"), rule.get("to_port"), cidr))
    return exposures


def _group_label(group: dict[str, Any], lang: str) -> str:
    name = group.get("group_name") or ""
    vpc = group.get("vpc_id") or ("VPCなし" if lang == "ja" else "no VPC")
    default = ("、VPCのデフォルトグループ" if lang == "ja" else ", the VPC's default group") if group.get("is_default") else ""
    if lang == "ja":
        return f"セキュリティグループ {group['group_id']}（{name}、{vpc}{default}）"
    return f"security group {group['group_id']} ({name}, {vpc}{default})"


def _attachment(group: dict[str, Any], lang: str) -> str:
    count = int(group.get("network_interface_count") or 0)
    if not group.get("attached"):
        if lang == "ja":
            return "現在どのネットワークインターフェースにも関連付けられていませんが、関連付けた時点で公開されます。"
        return "It is not attached to any network interface now, but anything it is attached to becomes exposed."
    sample = [e.get("instance_id") or e.get("id") for e in group.get("network_interfaces", [])[:3]]
    shown = ", ".join(s for s in sample if s)
    if lang == "ja":
        return f"ネットワークインターフェース{count}件（{shown} など）に関連付けられ、使用中です。"
    return f"It is attached to {count} network interface(s) ({shown}) and in use."


def _sg_ingress(ctx: CheckContext, region: str) -> list[Result]:
    results = []
    for group in ctx.rows("ec2.security_groups", region):
        gid = group["group_id"]
        exposures = [e for e in internet_ingress(group) if e.beyond_web]
        attached = bool(group.get("attached"))
        base = {"group_name": group.get("group_name"), "vpc_id": group.get("vpc_id"), "attached": attached}
        if not exposures:
            web = [e for e in internet_ingress(group)]
            if web:
                ports = "、".join(sorted({e.label("ja") for e in web}))
                ja = f"{_group_label(group, 'ja')} がインターネットに開放しているのはWeb通信（{ports}）のみです。"
                en = f"{_cap(_group_label(group, 'en'))} opens only web traffic ({', '.join(sorted({e.label('en') for e in web}))}) to the internet."
            else:
                ja = f"{_group_label(group, 'ja')} はインターネット（0.0.0.0/0・::/0）からのインバウンド通信を許可していません。"
                en = f"{_cap(_group_label(group, 'en'))} allows no inbound traffic from the internet (0.0.0.0/0, ::/0)."
            results.append(Result(PASS, gid, ja, en, region, component="sg_ingress", counts=attached, details=base))
            continue
        items_ja = "、".join(f"{e.cidr} から {e.label('ja')}" for e in exposures)
        items_en = "; ".join(f"{e.label('en')} from {e.cidr}" for e in exposures)
        admin = sorted({p for e in exposures for p in e.admin_ports})
        everything = any(e.all_traffic or e.all_ports for e in exposures)
        if everything:
            call_ja = "全ポートがインターネットに公開されています。"
            call_en = "Every port is exposed to the internet."
        elif admin:
            names = ", ".join(f"{ADMIN_PORTS[p]} {p}" for p in admin)
            call_ja = f"管理用・データベースのポート（{names}）がインターネットに公開されています。"
            call_en = f"Administration or database ports ({names}) are exposed to the internet."
        else:
            call_ja = call_en = ""
        only_icmp = all(e.protocol in ("icmp", "icmpv6") for e in exposures)
        if only_icmp:
            severity = "low"
        elif everything or admin:
            severity = "critical" if attached else "high"
        else:
            severity = "high" if attached else "medium"
        ja = f"{_group_label(group, 'ja')} はインターネットからの通信（{items_ja}）を許可しています。{call_ja}{_attachment(group, 'ja')}"
        en = f"{_cap(_group_label(group, 'en'))} lets the internet in: {items_en}. {call_en}{' ' if call_en else ''}{_attachment(group, 'en')}"
        details = {
            **base,
            "exposed": [
                {"protocol": e.protocol, "from_port": e.from_port, "to_port": e.to_port, "cidr": e.cidr} for e in exposures
            ],
            "admin_ports": admin,
            "all_traffic": everything,
        }
        results.append(Result(FAIL, gid, ja, en, region, severity, "sg_ingress", attached, details))
    return results


# --- network ACLs ----------------------------------------------------------------------------------


def _nacl_matches(entry: dict[str, Any], port: int) -> bool:
    protocol = str(entry.get("protocol"))
    if protocol == "-1":
        return True
    if protocol != "tcp":
        return False
    lo = entry.get("from_port")
    hi = entry.get("to_port")
    return (lo is None or int(lo) <= port) and (hi is None or port <= int(hi))


def nacl_decisions(acl: dict[str, Any]) -> list[dict[str, Any]]:
    """For TCP 22 and 3389 from 0.0.0.0/0 and ::/0: the deciding inbound rule (lowest number first).

    Only rules for the whole address space decide for "anyone on the internet": a narrower allow
    opens the port to part of the internet only, a narrower deny closes it for part only.
    No matching rule means the implicit deny.
    """
    inbound = sorted((e for e in acl.get("entries", []) if not e.get("egress")), key=lambda e: int(e.get("rule_number") or 0))
    decisions = []
    for cidr, key in ((ANY_V4, "cidr"), (ANY_V6, "ipv6_cidr")):
        for port in NACL_ADMIN_PORTS:
            rule = next((e for e in inbound if e.get(key) == cidr and _nacl_matches(e, port)), None)
            decisions.append(
                {
                    "port": port,
                    "cidr": cidr,
                    "rule_number": rule.get("rule_number") if rule else None,
                    "action": rule.get("action") if rule else "deny",
                }
            )
    return decisions


def _rule_label(number: Any, lang: str) -> str:
    if number in (None, 32767):
        return "既定の拒否ルール（*）" if lang == "ja" else "the default deny rule (*)"
    return f"ルール{number}" if lang == "ja" else f"rule {number}"


def _nacls(ctx: CheckContext, region: str) -> list[Result]:
    results = []
    for acl in ctx.rows("ec2.network_acls", region):
        acl_id = acl["network_acl_id"]
        subnets = acl.get("subnet_ids", [])
        decisions = nacl_decisions(acl)
        opened = [d for d in decisions if d["action"] == "allow"]
        default = "デフォルトの" if acl.get("is_default") else ""
        default_en = "default " if acl.get("is_default") else ""
        where_ja = f"VPC {acl.get('vpc_id')}、" + (
            f"サブネット{len(subnets)}件に関連付け" if subnets else "どのサブネットにも未関連付け"
        )
        where_en = f"VPC {acl.get('vpc_id')}, " + (
            f"associated with {len(subnets)} subnet(s)" if subnets else "not associated with any subnet"
        )
        details = {
            "vpc_id": acl.get("vpc_id"),
            "is_default": acl.get("is_default"),
            "subnet_ids": subnets,
            "decisions": decisions,
        }
        if opened:
            items_ja = "、".join(
                f"{d['cidr']} から TCP {d['port']}（{ADMIN_PORTS[d['port']]}）を{_rule_label(d['rule_number'], 'ja')}で"
                for d in opened
            )
            items_en = "; ".join(
                f"TCP {d['port']} ({ADMIN_PORTS[d['port']]}) from {d['cidr']} by {_rule_label(d['rule_number'], 'en')}"
                for d in opened
            )
            ja = f"{default}ネットワークACL {acl_id}（{where_ja}）は、インターネットからの管理用ポートへの通信を許可しています: {items_ja}許可。"
            en = f"The {default_en}network ACL {acl_id} ({where_en}) allows remote administration from the internet: {items_en}."
            results.append(Result(FAIL, acl_id, ja, en, region, "high" if subnets else "low", "nacl", bool(subnets), details))
        else:
            denies = sorted({d["rule_number"] for d in decisions if d["rule_number"] not in (None, 32767)})
            how_ja = f"（番号の小さい拒否ルール{', '.join(map(str, denies))}が優先されます）" if denies else ""
            how_en = f" (the lower-numbered deny rule(s) {', '.join(map(str, denies))} take precedence)" if denies else ""
            ja = f"{default}ネットワークACL {acl_id}（{where_ja}）は、インターネット（0.0.0.0/0・::/0）からのSSH（22）・RDP（3389）を許可していません{how_ja}。"
            en = f"The {default_en}network ACL {acl_id} ({where_en}) allows neither SSH (22) nor RDP (3389) from the internet (0.0.0.0/0, ::/0){how_en}."
            results.append(Result(PASS, acl_id, ja, en, region, component="nacl", counts=bool(subnets), details=details))
    return results


# --- WAF on internet-facing endpoints ----------------------------------------------------------------


def _waf_regional(ctx: CheckContext, region: str) -> list[Result]:
    results = []
    for row in ctx.rows("wafv2.web_acl_associations", region):
        name = row.get("resource_name") or row["resource_arn"]
        acl = row.get("web_acl_arn")
        details = {"resource_arn": row["resource_arn"], "web_acl_arn": acl}
        if acl:
            ja = f"インターネット向けALB {name} にAWS WAFのウェブACL {_acl_name(acl)} が関連付けられています。"
            en = f"Internet-facing Application Load Balancer {name} is protected by AWS WAF web ACL {_acl_name(acl)}."
            results.append(Result(PASS, name, ja, en, region, component="waf", details=details))
        else:
            ja = f"インターネット向けALB {name} にAWS WAFのウェブACLが関連付けられていません。SQLインジェクション等のWebアプリケーション攻撃を入口で遮断できません。"
            en = f"Internet-facing Application Load Balancer {name} has no AWS WAF web ACL: web application attacks such as SQL injection are not filtered at the entrance."
            results.append(Result(FAIL, name, ja, en, region, "high", "waf", details=details))
    for stage in ctx.rows("apigateway.stages", region):
        if "PRIVATE" in (stage.get("endpoint_types") or []):
            continue  # reachable only from inside a VPC: not an internet entrance
        name = f"{stage.get('api_name')}/{stage.get('stage_name')}"
        label_ja = f"REST API {stage.get('api_name')}（{stage.get('api_id')}）のステージ {stage.get('stage_name')}"
        label_en = f"Stage {stage.get('stage_name')} of REST API {stage.get('api_name')} ({stage.get('api_id')})"
        acl = stage.get("web_acl_arn")
        details = {"resource_arn": stage.get("arn"), "web_acl_arn": acl, "endpoint_types": stage.get("endpoint_types")}
        if acl:
            ja = f"{label_ja} にAWS WAFのウェブACL {_acl_name(acl)} が関連付けられています。"
            en = f"{label_en} is protected by AWS WAF web ACL {_acl_name(acl)}."
            results.append(Result(PASS, name, ja, en, region, component="waf", details=details))
        else:
            ja = f"{label_ja} にAWS WAFのウェブACLが関連付けられていません。インターネットからのAPI呼び出しが入口でフィルタリングされません。"
            en = f"{label_en} has no AWS WAF web ACL: API calls from the internet are not filtered at the entrance."
            results.append(Result(FAIL, name, ja, en, region, "high", "waf", details=details))
    return results


def _waf_cloudfront(ctx: CheckContext) -> list[Result]:
    results = []
    for dist in ctx.rows("cloudfront.distributions"):
        if not dist.get("enabled"):
            continue  # a disabled distribution serves nothing
        shown = ", ".join(dist.get("aliases") or []) or dist.get("domain_name")
        if dist.get("comment"):
            shown = f"{shown}, {dist['comment']}"
        acl = dist.get("web_acl_id")
        details = {"resource_arn": dist.get("arn"), "web_acl_id": acl, "domain_name": dist.get("domain_name")}
        if acl:
            ja = f"CloudFrontディストリビューション {dist['id']}（{shown}）にAWS WAFのウェブACL {_acl_name(acl)} が関連付けられています。"
            en = f"CloudFront distribution {dist['id']} ({shown}) is protected by AWS WAF web ACL {_acl_name(acl)}."
            results.append(Result(PASS, dist["id"], ja, en, GLOBAL, component="waf", details=details))
        else:
            ja = f"CloudFrontディストリビューション {dist['id']}（{shown}）にAWS WAFのウェブACLが関連付けられていません。"
            en = f"CloudFront distribution {dist['id']} ({shown}) has no AWS WAF web ACL."
            results.append(Result(FAIL, dist["id"], ja, en, GLOBAL, "high", "waf", details=details))
    return results


# --- internal: GuardDuty and flow logs -----------------------------------------------------------------


def _guardduty(ctx: CheckContext, region: str) -> list[Result]:
    detectors = ctx.rows("guardduty.detectors", region)
    enabled = [d for d in detectors if str(d.get("status")).upper() == "ENABLED"]
    details = {"detectors": [{"id": d["detector_id"], "status": d.get("status")} for d in detectors]}
    if enabled:
        ja = f"リージョン {region} でAmazon GuardDutyが有効です（検出器 {enabled[0]['detector_id']}）。"
        en = f"Amazon GuardDuty is enabled in {region} (detector {enabled[0]['detector_id']})."
        return [Result(PASS, f"GuardDuty {region}", ja, en, region, component="guardduty", details=details)]
    if detectors:
        states = ", ".join(f"{d['detector_id']}: {d.get('status')}" for d in detectors)
        ja = f"リージョン {region} のAmazon GuardDuty検出器が有効ではありません（{states}）。内部での不正な通信やAPI操作を検知できません。"
        en = f"The Amazon GuardDuty detector in {region} is not enabled ({states}): malicious activity inside the environment goes undetected."
    else:
        ja = f"リージョン {region} でAmazon GuardDutyが有効化されていません。内部での不正な通信やAPI操作を検知できません。"
        en = f"Amazon GuardDuty is not enabled in {region}: malicious activity inside the environment goes undetected."
    return [Result(FAIL, f"GuardDuty {region}", ja, en, region, "high", "guardduty", details=details)]


def _vpc_label(vpc: dict[str, Any], lang: str) -> str:
    name = f"（{vpc['name']}）" if lang == "ja" and vpc.get("name") else f" ({vpc['name']})" if vpc.get("name") else ""
    if vpc.get("is_default"):
        return f"デフォルトVPC {vpc['vpc_id']}{name}" if lang == "ja" else f"default VPC {vpc['vpc_id']}{name}"
    return f"VPC {vpc['vpc_id']}{name}"


def _flow_logs(ctx: CheckContext, region: str) -> list[Result]:
    logs = ctx.rows("ec2.flow_logs", region)
    results = []
    for vpc in ctx.rows("ec2.vpcs", region):
        vid = vpc["vpc_id"]
        own = [f for f in logs if f.get("resource_id") == vid]
        active = [f for f in own if str(f.get("status") or "ACTIVE").upper() == "ACTIVE"]
        failing = [f for f in active if str(f.get("deliver_status") or "").upper() == "FAILED"]
        healthy = [f for f in active if f not in failing]
        default_ja = "デフォルトVPCも評価対象です。" if vpc.get("is_default") else ""
        default_en = " Default VPCs are assessed too." if vpc.get("is_default") else ""
        details = {"is_default": vpc.get("is_default"), "flow_logs": [f.get("flow_log_id") for f in own]}
        if healthy:
            log = healthy[0]
            traffic = log.get("traffic_type") or "ALL"
            dest = log.get("destination_type") or ""
            ja = f"{_vpc_label(vpc, 'ja')} でVPCフローログ {log.get('flow_log_id')}（{traffic}、出力先 {dest}）が有効です。"
            en = f"{_vpc_label(vpc, 'en')} has VPC flow log {log.get('flow_log_id')} ({traffic} traffic, delivered to {dest})."
            if traffic.upper() != "ALL":
                ja += "ただし記録対象が全通信ではありません。"
                en += " It does not record all traffic, though."
            results.append(Result(PASS, vid, ja, en, region, component="flow_logs", details=details))
        elif failing:
            err = failing[0].get("deliver_error") or ""
            ja = f"{_vpc_label(vpc, 'ja')} のVPCフローログ {failing[0].get('flow_log_id')} は配信に失敗しています（{err}）。通信記録が残っていません。{default_ja}"
            en = f"VPC flow log {failing[0].get('flow_log_id')} of {_vpc_label(vpc, 'en')} fails to deliver ({err}): no traffic is recorded.{default_en}"
            results.append(Result(FAIL, vid, ja, en, region, "medium", "flow_logs", details=details))
        else:
            ja = f"{_vpc_label(vpc, 'ja')} にVPCフローログが設定されていません。内部の不審な通信を調査できません。{default_ja}"
            en = f"{_cap(_vpc_label(vpc, 'en'))} has no VPC flow log: suspicious internal traffic cannot be investigated.{default_en}"
            results.append(Result(FAIL, vid, ja, en, region, "medium", "flow_logs", details=details))
    return results


def _host_ips(ctx: CheckContext) -> Result:
    q_ja, q_en = QUESTIONS["host_ips_edr"]
    state, product, coverage = host_ips_state(ctx)
    details = {"product": product, "coverage": coverage, "question_ja": q_ja, "question_en": q_en}
    if state == "present":
        scope_ja = "全サーバー" if coverage == "all" else "重要サーバーのみ"
        scope_en = "all servers" if coverage == "all" else "critical servers only"
        ja = f"ホスト型IPS/EDR {product} が{scope_ja}に導入されていると申告されています。"
        en = f"Host-based IPS/EDR {product} is attested as deployed on {scope_en}."
        if coverage == "critical":
            ja += "対象外のサーバーについてリスク受容の判断が記録されているかご確認ください。"
            en += " Confirm that leaving the other servers uncovered is a recorded risk decision."
        return Result(PASS, "host IPS/EDR", ja, en, component="host_ips", details=details)
    if state == "missing":
        ja = "ホスト型IPS/EDRは未導入と申告されています。サーバー上のマルウェア感染や改ざんを防御・検知できません。"
        en = "No host-based IPS/EDR is attested: malware and tampering on servers are neither blocked nor detected."
        return Result(FAIL, "host IPS/EDR", ja, en, severity="medium", component="host_ips", details=details)
    ja = f"要確認: {q_ja}。AWSのAPIからは確認できないため、回答ファイル（項目2.3-1）で製品名と導入範囲をご回答ください。"
    en = f"Needs review: {q_en}. The AWS APIs cannot show it; answer the product and its coverage in the attestation file (item 2.3-1)."
    return Result(MANUAL, "host IPS/EDR", ja, en, component="host_ips", details=details)


# --- exit: egress filtering and security group egress -------------------------------------------------

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
    q_ja, q_en = QUESTIONS["egress_proxy"]
    weak_ja = weak_en = ""
    if proxy is True and _answer(ctx, PROXY_BLOCKS_UNCATEGORISED) is False:
        weak_ja = "ただし、プロキシは未分類サイトやIPアドレス直接指定の通信を遮断していないと申告されています。"
        weak_en = " The proxy is attested not to block uncategorised sites or direct-to-IP traffic, though."
    results = []
    for vpc in ctx.rows("ec2.vpcs", region):
        vid = vpc["vpc_id"]
        label_ja, label_en = _vpc_label(vpc, "ja"), _vpc_label(vpc, "en")
        label_en_cap = _cap(label_en)
        targets = _default_routes(tables, vid)
        details = {"is_default": vpc.get("is_default"), "default_route_targets": targets}
        if vid in inspected:
            ja = f"{label_ja} の通信は {inspected[vid]} で検査されています。"
            en = f"Traffic of {label_en} is inspected by {inspected[vid]}."
            results.append(
                Result(PASS, vid, ja, en, region, component="egress", details={**details, "inspection": inspected[vid]})
            )
            continue
        endpoints = [t for t in targets if t.startswith("vpce-")]
        direct = [t for t in targets if t.startswith(_DIRECT)]
        other = [t for t in targets if t not in endpoints and t not in direct]
        if endpoints:
            ja = f"{label_ja} のインターネット向け経路は検査用エンドポイント {', '.join(endpoints)}（Network Firewall またはGateway Load Balancer）を経由します。"
            en = f"{label_en_cap} routes internet traffic through inspection endpoint(s) {', '.join(endpoints)} (Network Firewall or Gateway Load Balancer)."
            if direct:
                ja += f"ただし検査を経由しない経路（{', '.join(direct)}）もあります。"
                en += f" Some route tables still go straight out ({', '.join(direct)})."
            results.append(Result(PASS, vid, ja, en, region, component="egress", details=details))
        elif direct:
            bypass = sorted(
                g["group_id"] for g in groups if g.get("vpc_id") == vid and g.get("attached") and unrestricted_egress(g)
            )
            details["unrestricted_groups_in_use"] = bypass
            if proxy is True and not bypass:
                ja = (
                    f"{label_ja} はインターネットへ直接出る経路（{', '.join(direct)}）を持ちますが、使用中のセキュリティグループは"
                    f"アウトバウンドを限定しており、プロキシによる出口対策が申告されています。{weak_ja}"
                )
                en = (
                    f"{label_en_cap} has a direct route to the internet ({', '.join(direct)}), but its security groups in use "
                    f"restrict outbound traffic and an egress proxy is attested.{weak_en}"
                )
                results.append(Result(PASS, vid, ja, en, region, component="egress", details=details))
            elif proxy is True:
                shown = ", ".join(bypass[:3]) + ("…" if len(bypass) > 3 else "")
                ja = (
                    f"プロキシによる出口対策が申告されていますが、{label_ja} はインターネットへ直接出る経路（{', '.join(direct)}）を持ち、"
                    f"使用中のセキュリティグループ（{shown}）が全アウトバウンド通信を許可しているため、プロキシを迂回して外部へ通信できます。"
                )
                en = (
                    f"An egress proxy is attested, but {label_en} has a direct route to the internet ({', '.join(direct)}) and security groups "
                    f"in use ({shown}) allow all outbound traffic, so the proxy can be bypassed."
                )
                results.append(Result(FAIL, vid, ja, en, region, "medium", "egress", details=details))
            else:
                ja = (
                    f"{label_ja} はインターネットへ直接出る経路（{', '.join(direct)}）を持ち、AWS Network Firewall等による外向き通信の検査がありません。"
                    f"情報漏洩やC2通信を出口で遮断できません。プロキシで制御している場合は、回答ファイル（項目2.3-1）の「{q_ja}」にご回答ください。"
                )
                en = (
                    f"{label_en_cap} reaches the internet directly ({', '.join(direct)}) with no outbound inspection such as AWS Network Firewall: "
                    f"data exfiltration and command-and-control traffic are not blocked at the exit. If a proxy controls egress, answer in the attestation file (item 2.3-1): {q_en}."
                )
                results.append(Result(FAIL, vid, ja, en, region, "medium", "egress", details=details))
        elif other:
            if proxy is True:
                ja = f"{label_ja} の外向き通信は {', '.join(other)} 経由で、プロキシによる出口対策が申告されています。{weak_ja}"
                en = (
                    f"{label_en_cap} sends outbound traffic through {', '.join(other)}, and an egress proxy is attested.{weak_en}"
                )
                results.append(Result(PASS, vid, ja, en, region, component="egress", details=details))
            else:
                ja = (
                    f"要確認: {label_ja} の外向き通信は {', '.join(other)}（Transit Gateway・アプライアンス等）経由です。"
                    "経由先で検査（集約型ファイアウォール・プロキシ）されているかご確認ください。"
                )
                en = (
                    f"Needs review: {label_en} sends outbound traffic through {', '.join(other)} (transit gateway, appliance...). "
                    "Confirm that it is inspected there (central firewall or proxy)."
                )
                results.append(Result(MANUAL, vid, ja, en, region, component="egress", details=details))
        else:
            ja = f"{label_ja} にはインターネットへのデフォルトルートがなく、外部へ直接通信できません。"
            en = f"{label_en_cap} has no default route to the internet, so nothing in it can send traffic out directly."
            results.append(Result(PASS, vid, ja, en, region, component="egress", details=details))
    return results


def unrestricted_egress(group: dict[str, Any]) -> list[str]:
    """CIDRs (0.0.0.0/0, ::/0) to which a group allows all traffic (all protocols, or all TCP/UDP ports)."""
    found = []
    for rule in group.get("egress", []):
        protocol = str(rule.get("protocol"))
        full = protocol == "-1" or (
            protocol in ("tcp", "udp")
            and (rule.get("from_port") in (None, -1, 0, 1))
            and (rule.get("to_port") in (None, -1, 65535))
        )
        if not full:
            continue
        found += [c for c in rule.get("cidrs", []) if c == ANY_V4] + [c for c in rule.get("ipv6_cidrs", []) if c == ANY_V6]
    return sorted(set(found))


def _sg_egress(ctx: CheckContext, region: str) -> list[Result]:
    inspected = _inspection_vpcs(ctx, region)
    results = []
    for group in ctx.rows("ec2.security_groups", region):
        gid = group["group_id"]
        cidrs = unrestricted_egress(group)
        attached = bool(group.get("attached"))
        details = {
            "group_name": group.get("group_name"),
            "vpc_id": group.get("vpc_id"),
            "attached": attached,
            "unrestricted_to": cidrs,
        }
        if not cidrs:
            ja = f"{_group_label(group, 'ja')} のアウトバウンド通信は宛先・ポートが限定されています。"
            en = f"{_cap(_group_label(group, 'en'))} restricts outbound traffic to specific destinations or ports."
            results.append(Result(PASS, gid, ja, en, region, component="sg_egress", counts=attached, details=details))
            continue
        to = "・".join(cidrs)
        default_ja = "（デフォルトのセキュリティグループは作成時から全通信を許可しています）" if group.get("is_default") else ""
        default_en = " (the default security group allows all outbound traffic from creation)" if group.get("is_default") else ""
        if not attached:
            ja = f"{_group_label(group, 'ja')} は {to} への全通信を許可していますが、どのネットワークインターフェースにも関連付けられていません{default_ja}。"
            en = f"{_cap(_group_label(group, 'en'))} allows all outbound traffic to {to}{default_en}, but it is not attached to any network interface."
            results.append(Result(NA, gid, ja, en, region, component="sg_egress", counts=False, details=details))
            continue
        mitigation = inspected.get(group.get("vpc_id") or "")
        mit_ja = f"なおVPCの通信は {mitigation} で検査されています。" if mitigation else ""
        mit_en = f" The VPC's traffic is inspected by {mitigation}, though." if mitigation else ""
        ja = (
            f"{_group_label(group, 'ja')} は {to} への全プロトコル・全ポートのアウトバウンド通信を許可しており、"
            f"ネットワークインターフェース{group.get('network_interface_count', 0)}件で使用中です{default_ja}。"
            f"外部への情報持ち出しを宛先で制限できません。{mit_ja}"
        )
        en = (
            f"{_cap(_group_label(group, 'en'))} allows all outbound traffic to {to} on every protocol and port and is used by "
            f"{group.get('network_interface_count', 0)} network interface(s){default_en}: data leaving the environment is not limited by destination.{mit_en}"
        )
        results.append(Result(FAIL, gid, ja, en, region, "low" if mitigation else "medium", "sg_egress", True, details))
    return results


# --- the checks ----------------------------------------------------------------------------------------


@check(
    "waf_internet_endpoints",
    controls=[CONTROL],
    datasets=["elbv2.load_balancers", "wafv2.web_acl_associations", "apigateway.stages", "cloudfront.distributions"],
)
def waf_internet_endpoints(ctx: CheckContext) -> None:
    """入口: an AWS WAF web ACL on every internet-facing ALB, REST API stage and CloudFront distribution."""
    results = _per_region(ctx, _waf_regional)
    try:
        results += _waf_cloudfront(ctx)
    except EvidenceUnavailable as missing:
        ctx.record_missing(missing)
    _emit(ctx, results)
    if not ctx.findings:
        ctx.not_applicable(
            "internet-facing endpoints",
            "インターネット向けのALB・REST API・CloudFrontディストリビューションはありません。",
            "There is no internet-facing Application Load Balancer, REST API or CloudFront distribution.",
        )


@check("sg_ingress_internet", controls=[CONTROL], datasets=[SG])
def sg_ingress_internet(ctx: CheckContext) -> None:
    """入口: no security group opens anything but HTTP/HTTPS to 0.0.0.0/0 or ::/0."""
    _emit(ctx, _per_region(ctx, _sg_ingress))
    if not ctx.findings:
        ctx.not_applicable("security groups", "セキュリティグループはありません。", "There are no security groups.")


@check("nacl_admin_ports", controls=[CONTROL], datasets=["ec2.network_acls"])
def nacl_admin_ports(ctx: CheckContext) -> None:
    """入口: no network ACL lets SSH (22) or RDP (3389) in from anywhere (rule order respected)."""
    _emit(ctx, _per_region(ctx, _nacls))
    if not ctx.findings:
        ctx.not_applicable("network ACLs", "ネットワークACLはありません。", "There are no network ACLs.")


@check("internal_threat_detection", controls=[CONTROL], datasets=["guardduty.detectors", *ATTESTATION_DATASETS])
def internal_threat_detection(ctx: CheckContext) -> None:
    """内部: GuardDuty enabled in every region in scope, and a host-based IPS/EDR (attested)."""
    _emit(ctx, _per_region(ctx, _guardduty))
    _emit(ctx, [_host_ips(ctx)])


@check("vpc_flow_logs", controls=[CONTROL], datasets=["ec2.vpcs", "ec2.flow_logs"])
def vpc_flow_logs(ctx: CheckContext) -> None:
    """内部: a VPC flow log on every VPC, default VPCs included."""
    _emit(ctx, _per_region(ctx, _flow_logs))
    if not ctx.findings:
        ctx.not_applicable("VPCs", "VPCはありません。", "There are no VPCs.")


@check(
    "egress_filtering",
    controls=[CONTROL],
    datasets=["ec2.vpcs", "ec2.route_tables", SG, "network_firewall.firewalls", "elbv2.load_balancers", *ATTESTATION_DATASETS],
)
def egress_filtering(ctx: CheckContext) -> None:
    """出口: outbound traffic of every VPC inspected (Network Firewall, GWLB) or attested as proxied."""
    _emit(ctx, _per_region(ctx, _egress))
    if not ctx.findings:
        ctx.not_applicable("VPCs", "VPCはありません。", "There are no VPCs.")


@check(
    "sg_egress_unrestricted",
    controls=[CONTROL],
    datasets=[SG, "network_firewall.firewalls", "elbv2.load_balancers"],
)
def sg_egress_unrestricted(ctx: CheckContext) -> None:
    """出口: security groups in use do not allow all outbound traffic to 0.0.0.0/0 or ::/0."""
    _emit(ctx, _per_region(ctx, _sg_egress))
    if not ctx.findings:
        ctx.not_applicable("security groups", "セキュリティグループはありません。", "There are no security groups.")


# --- layer summary ---------------------------------------------------------------------------------------

LAYERS = ("entrance", "internal", "exit")
LAYER_NAMES = {
    "entrance": ("入口対策", "entrance (perimeter)"),
    "internal": ("内部対策", "internal"),
    "exit": ("出口対策", "exit (egress)"),
}
STATE_NAMES = {
    "present": ("実装", "present"),
    "partial": ("一部のみ", "partial"),
    "missing": ("未実装", "missing"),
    "not_applicable": ("対象なし", "not applicable"),
}
GAP_NAMES = {
    "waf": ("AWS WAFのない公開エンドポイント", "internet-facing endpoint(s) without AWS WAF"),
    "sg_ingress": (
        "80/443以外をインターネットに開放している使用中のセキュリティグループ",
        "security group(s) in use open to the internet beyond 80/443",
    ),
    "nacl": (
        "管理用ポートをインターネットに許可しているネットワークACL",
        "network ACL(s) allowing administration ports from the internet",
    ),
    "guardduty": ("GuardDutyが無効なリージョン", "region(s) without GuardDuty"),
    "flow_logs": ("フローログのないVPC", "VPC(s) without flow logs"),
    "egress": ("外向き通信が検査されていないVPC", "VPC(s) whose outbound traffic is not inspected"),
    "host_ips": ("ホスト型IPS/EDRが未導入（申告）", "no host-based IPS/EDR (attested)"),
    "egress_unconfirmed": ("外向き通信の検査が未確認のVPC", "VPC(s) whose outbound inspection is unconfirmed"),
}


def _exit_layer(ctx: CheckContext, region: str) -> list[Result]:
    """Outbound inspection per VPC, where a VPC whose groups in use all restrict outbound traffic counts as controlled."""
    egress = _egress(ctx, region)
    groups = ctx.rows(SG, region)
    results = []
    for r in egress:
        in_use = [g for g in groups if g.get("attached") and g.get("vpc_id") == r.resource]
        if r.verdict != PASS and in_use and not any(unrestricted_egress(g) for g in in_use):
            r = Result(PASS, r.resource, r.ja, r.en, region, component="egress", details={"by": "security groups"})
        results.append(r)
    return results


def layer_table(ctx: CheckContext) -> dict[str, Any]:
    """Per layer: state (present / partial / missing / not_applicable), counts and gaps, from the evidence.

    Missing evidence is an ``error`` finding per dataset and region (``ctx.missing``); the table then holds
    what the other evidence shows. Elements: entrance = WAF per public endpoint,
    security groups in use, network ACLs associated with subnets; internal = GuardDuty per region, flow
    logs per VPC; exit = outbound inspection per VPC, where a VPC whose groups in use all restrict
    outbound traffic counts as controlled too.
    """
    results: dict[str, list[Result]] = {layer: [] for layer in LAYERS}
    try:
        results["entrance"] += _waf_cloudfront(ctx)
    except EvidenceUnavailable as missing:
        ctx.record_missing(missing)
    # Each layer element per region on its own: evidence missing for one (an error finding) leaves the others.
    for layer, evaluate in (
        ("entrance", _waf_regional),
        ("entrance", _sg_ingress),
        ("entrance", _nacls),
        ("internal", _guardduty),
        ("internal", _flow_logs),
        ("exit", _exit_layer),
    ):
        results[layer] += _per_region(ctx, evaluate)
    host = _host_ips(ctx)
    host.counts = host.verdict != MANUAL  # an attested answer is an element; an unknown one is only noted
    results["internal"].append(host)
    table: dict[str, Any] = {}
    for layer in LAYERS:
        elements = [r for r in results[layer] if r.counts and r.verdict in (PASS, FAIL, MANUAL)]
        ok = [r for r in elements if r.verdict == PASS]
        gaps: dict[str, list[str]] = {}
        for r in elements:
            if r.verdict != PASS:
                key = "egress_unconfirmed" if r.verdict == MANUAL else r.component
                where = f" ({r.region})" if r.region != GLOBAL and r.region not in r.resource else ""
                gaps.setdefault(key, []).append(r.resource + where)
        if not elements:
            state = "not_applicable"
        elif not gaps:
            state = "present"
        elif ok:
            state = "partial"
        else:
            state = "missing"
        table[layer] = {"state": state, "controlled": len(ok), "elements": len(elements), "gaps": gaps}
    return table


def _gap_text(gaps: dict[str, list[str]], lang: str) -> str:
    i = 0 if lang == "ja" else 1
    parts = []
    for key, items in gaps.items():
        shown = ", ".join(items[:3]) + ("…" if len(items) > 3 else "")
        parts.append(
            f"{GAP_NAMES[key][i]} {len(items)}件: {shown}" if lang == "ja" else f"{len(items)} {GAP_NAMES[key][i]}: {shown}"
        )
    return "、".join(parts) if lang == "ja" else "; ".join(parts)


@check(
    "defense_in_depth_layers",
    controls=[CONTROL],
    datasets=[
        SG,
        "ec2.network_acls",
        "ec2.vpcs",
        "ec2.flow_logs",
        "ec2.route_tables",
        "elbv2.load_balancers",
        "wafv2.web_acl_associations",
        "apigateway.stages",
        "cloudfront.distributions",
        "guardduty.detectors",
        "network_firewall.firewalls",
        *ATTESTATION_DATASETS,
    ],
)
def defense_in_depth_layers(ctx: CheckContext) -> None:
    """多層防御: pass only when the entrance, internal and exit layers are all present."""
    table = layer_table(ctx)
    states = {layer: table[layer]["state"] for layer in LAYERS}
    host_state = host_ips_state(ctx)[0]
    host = host_state != "unknown"
    details: dict[str, Any] = {**states, "host_ips_edr": host_state, "layers": table}
    missing = [layer for layer in LAYERS if states[layer] == "missing"]
    partial = [layer for layer in LAYERS if states[layer] == "partial"]
    if not ctx.complete and not missing and not partial:
        return  # no gap in the evidence gathered, but not all was: the error findings say what is missing
    if all(s == "not_applicable" for s in states.values()):
        ctx.not_applicable(
            ctx.account_id,
            "VPC・公開エンドポイント・対象リージョンがなく、多層防御を評価する対象がありません。",
            "There are no VPCs, internet-facing endpoints or regions in scope to assess defense in depth on.",
            **details,
        )
        return
    table_ja = "、".join(f"{LAYER_NAMES[layer][0]}: {STATE_NAMES[states[layer]][0]}" for layer in LAYERS)
    table_en = ", ".join(f"{LAYER_NAMES[layer][1]}: {STATE_NAMES[states[layer]][1]}" for layer in LAYERS)
    host_ja = "" if host else "ホスト型IPS/EDRの導入状況は別途確認が必要です。"
    host_en = "" if host else " The host-based IPS/EDR still needs to be confirmed."
    if not missing and not partial:
        ctx.passed(
            ctx.account_id,
            f"入口・内部・出口の多層防御が揃っています（{table_ja}）。{host_ja}",
            f"Defense in depth is in place: {table_en}.{host_en}",
            **details,
        )
        return
    sentences_ja, sentences_en = [], []
    if missing:
        sentences_ja.append("未実装の層: " + "、".join(LAYER_NAMES[layer][0] for layer in missing) + "。")
        sentences_en.append("Missing layer(s): " + ", ".join(LAYER_NAMES[layer][1] for layer in missing) + ".")
    for layer in missing + partial:
        gaps = table[layer]["gaps"]
        which_ja = "未実装" if layer in missing else "一部のみ"
        which_en = "missing" if layer in missing else "partial"
        sentences_ja.append(f"{LAYER_NAMES[layer][0]}（{which_ja}）: {_gap_text(gaps, 'ja')}。")
        sentences_en.append(f"{_cap(LAYER_NAMES[layer][1])} ({which_en}): {_gap_text(gaps, 'en')}.")
    ctx.failed(
        ctx.account_id,
        f"多層防御が不完全です（{table_ja}）。" + "".join(sentences_ja) + host_ja,
        f"Defense in depth is incomplete ({table_en}). " + " ".join(sentences_en) + host_en,
        severity="high" if missing else "medium",
        **details,
    )
