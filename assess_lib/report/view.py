"""The one view model of the outputs: everything the report (HTML, PDF), the workbook and the notebooks show.

:class:`ReportView` is built once per language from a :class:`~assess_lib.core.model.Assessment` (bundle,
findings, item results, catalogue): per item its texts, verdict, basis, findings in the one "most serious
first" order (:func:`core.model.most_serious_first`), missing evidence, remediation, and on demand the
evidence rows its findings refer to. Every word comes from the text catalogue (``report.*``, ``field.*``,
core.yaml's verdicts, severities, error kinds and bases).

Of the checks the view reads only their public interface: ``title(lang)``, ``remediation(lang)`` and
``datasets`` of :func:`assess_lib.checks.registry`; of a finding only its contract fields, plus the
documented facts of missing evidence (``details.error_kind``, ``details.missing_permission``) and of
defense layers (a state of ``layer_state.*`` under a name of ``layer.*``, both catalogue namespaces).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeAlias

import pandas as pd

from ..core import (
    SEVERITY_ORDER,
    VERDICT_ORDER,
    Assessment,
    Finding,
    ItemResult,
    error_kind_label,
    most_serious_first,
    severity_label,
    t,
)
from ..core.model import BLOCKING_SEVERITIES, FAILURE_SEVERITIES, severity_rank
from ..core.rollup import answer_only, basis_label, basis_list
from ..core.text import entry as text_entry
from ..core.text import has, keys
from ..datasets import DATASETS
from ..evidence import GLOBAL
from ..redact import mask_secrets
from .measure import column_widths

# Namespaces whose leaves are the report's labels, read by leaf name (the template's ``T.verdict``).
LABEL_NAMESPACES = ("report.column", "report.heading", "report.item", "report.doc")


@lru_cache(maxsize=2)
def labels(lang: str) -> dict[str, str]:
    """Every label of the report in ``lang``, by leaf name (unique across :data:`LABEL_NAMESPACES`), unfilled."""
    lang = _lang(lang)
    out: dict[str, str] = {}
    for namespace in LABEL_NAMESPACES:
        for key in keys(namespace):
            name = key[len(namespace) + 1 :]
            if name in out:
                raise ValueError(f"report label {name!r} is defined twice (under {namespace} and another namespace)")
            out[name] = text_entry(key)[lang]  # raw: a label with fields is filled where it is shown
    return out


def label(name: str, lang: str) -> str:
    """One label of :func:`labels` (``verdict``, ``findings``...)."""
    return labels(_lang(lang))[name]


def _lang(lang: str | None) -> str:
    return "ja" if lang == "ja" else "en"


def verdict_label(verdict: str, lang: str) -> str:
    """A verdict in words (an unknown value as it is)."""
    return t(f"verdict.{verdict}.label", lang) if verdict in VERDICT_ORDER else str(verdict)


def kind_label(kind: str, lang: str) -> str:
    """``fundamental`` / ``recommended`` in words."""
    return t(f"report.item.{kind}", lang) if has(f"report.item.{kind}") else kind


def group_heading(number: str, lang: str) -> str:
    """The official title of a heading that holds no item (chapter 2, 2.2.2, 2.3.4, 2.5.2), else ''."""
    key = "report.group_heading." + number.replace(".", "_")
    return t(key, lang) if has(key) else ""


def new_headings(control: Any, emitted: set[str], lang: str, first_depth: int = 1) -> list[tuple[str, str]]:
    """The headings (number, title) an item brings that ``emitted`` does not hold yet, outermost first, from
    ``first_depth`` ("2" is depth 1, "2.2.2" depth 3); adds them to ``emitted``. Every matrix and document lists
    the guideline's headings this way: chapter, section, and a grouping level holding no item (2.2.2 before 2.2.2.1)."""
    parts = control.section.split(".")
    out = []
    for depth in range(first_depth, len(parts) + 1):
        number = ".".join(parts[:depth])
        if number in emitted:
            continue
        emitted.add(number)
        if number == control.section:
            title = control.section_title(lang)
        elif number == control.chapter:
            title = control.chapter_title(lang)
        else:
            title = group_heading(number, lang)
        out.append((number, title))
    return out


def display_label(key: str, lang: str) -> str:
    """What a finding counts as in words: a verdict, or ``accepted_risk`` (an accepted risk)."""
    return t("accepted_risk.label", lang) if key == "accepted_risk" else verdict_label(key, lang)


# What the outputs count failures as: the verdicts, with accepted risks apart from fail, right after it.
COUNT_ORDER: tuple[str, ...] = tuple(v for x in VERDICT_ORDER for v in ((x, "accepted_risk") if x == "fail" else (x,)))


def account_names(manifest: dict[str, Any]) -> dict[str, str]:
    """The customer's names of its accounts (params ``aws.account_names``, as recorded in the manifest)."""
    names = ((manifest.get("params") or {}).get("aws") or {}).get("account_names") or {}
    return {str(k): str(v) for k, v in names.items() if v} if isinstance(names, dict) else {}


def account_label(account_id: str, names: dict[str, str], lang: str) -> str:
    """An account as the report names it: "core banking (123456789012)", or the ID; e-mail domains and the organisation
    (findings on the customer's answers) in words."""
    if account_id in ("dns", "org"):
        return t(f"report.account.{account_id}", lang)
    name = names.get(account_id)
    return t("report.account.named", lang, name=name, id=account_id) if name else account_id


def risk_state(finding: Finding) -> str:
    """``accepted`` for a failure under an approved exception in force, ``expired`` for one whose lapsed, else ''."""
    record = finding.accepted_risk
    if finding.verdict.value != "fail" or not record:
        return ""
    return "accepted" if finding.accepted else "expired"


def risk_note(finding: Finding, lang: str) -> str:
    """The acceptance of a failing finding in words: approver, approval date, expiry and reason, or when it expired."""
    state = risk_state(finding)
    if not state:
        return ""
    record = finding.accepted_risk or {}
    values = {
        k: str(record.get(k) or "") or t("report.plan.not_set", lang) for k in ("approver", "approved_on", "expires", "reason")
    }
    return t(f"report.risk.{state}", lang, **values)


# --- the checks' public interface -----------------------------------------------------------------------


@dataclass(frozen=True)
class CheckText:
    """What the outputs show of a check: its title and remediation in one language, and its datasets."""

    check_id: str
    title: str
    remediation: str
    datasets: tuple[str, ...] = ()
    severity: str = ""  # of a failure, as the check's record declares it

    @property
    def permissions(self) -> list[str]:
        """IAM actions behind the check's AWS datasets (from the datasets' declarations), sorted."""
        return sorted({a for d in self.datasets if (info := DATASETS.get(d)) for a in info.actions if ":" in a})


def check_texts(lang: str, parameters: dict[str, Any] | None = None) -> dict[str, CheckText]:
    """Every registered check's :class:`CheckText` in ``lang``; remediation quotes the parameters in force."""
    from ..checks import registry

    out = {}
    for check_id, spec in registry().items():
        out[check_id] = CheckText(
            check_id, spec.title(lang), spec.remediation(lang, parameters), tuple(spec.datasets), spec.severity
        )
    return out


# --- evidence cells: labels and values --------------------------------------------------------------------

EVIDENCE_CELL_CHARS = 240  # a policy document or a DKIM key can run to pages; the bundle keeps the full value
EVIDENCE_MAX_COLUMNS = 9  # for datasets without a curated column list
EVIDENCE_SHORT_CELL = 64
# An evidence table's line and a cell's left and right inset together, in em of its text: the PDF's A4 line of 180 mm
# at 0.72 of 8.8 pt (report.typ) with an inset of 0.45 em a side.
EVIDENCE_LINE_EM = 180 / 25.4 * 72 / (8.8 * 0.72)
EVIDENCE_CELL_PADDING_EM = 0.9

_AWS_PLACEHOLDERS = frozenset({"N/A", "not_supported", "no_information"})
_JST = dt.timezone(dt.timedelta(hours=9), "JST")
_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def humanise(name: str) -> str:
    """``access_key_1_active`` / ``AccountMFAEnabled`` as words (for a field without a label)."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z][a-z])", " ", name.replace("_", " ")).strip()
    return words[:1].upper() + words[1:]


def field_label(name: str, lang: str) -> str:
    """The heading of an evidence column: ``field.<name>``, else the report's column of that name, else words."""
    for key in (f"field.{name}", f"report.column.{name}"):
        if has(key):
            return t(key, lang)
    return humanise(name)


def _key_label(name: str, lang: str) -> str:
    for key in (f"field.{name}", f"report.column.{name}"):
        if has(key):
            return t(key, lang)
    return name


def value_word(key: str, lang: str) -> str:
    """A word for a value in an evidence cell (``field_value.<key>``; the list separator is core's)."""
    return t("value.list_separator" if key == "list_separator" else f"field_value.{key}", lang)


def format_value(value: Any, lang: str, limit: int | None = EVIDENCE_CELL_CHARS, *, raw_keys: bool = False) -> str:
    """A readable cell: yes/no, whole numbers without ".0", times in JST, lists and mappings as text.

    Access key IDs are masked; text beyond ``limit`` characters is cut with "…". ``raw_keys``: a mapping's keys
    are the customer's own (resource tags), shown exactly as written.
    """
    text = mask_secrets(_format(value, lang, raw_keys))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _format(value: Any, lang: str, raw_keys: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return value_word("yes" if value else "no", lang)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else f"{value:g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        # A key the kit labels is shown in words; any other (a customer's tag key, an AWS value) exactly as written.
        parts = [
            f"{str(k) if raw_keys else _key_label(str(k), lang)}: {_format(v, lang)}"
            for k, v in value.items()
            if v not in (None, [], {}, "")
        ]
        return value_word("list_separator", lang).join(parts)
    if isinstance(value, (list, tuple, set)):
        items = [_format(v, lang) for v in value]
        separator = "item_separator" if any(isinstance(v, dict) for v in value) else "list_separator"
        return value_word(separator, lang).join(i for i in items if i)
    text = str(value)
    if text in _AWS_PLACEHOLDERS:
        return value_word("none_value", lang)
    if text.lower() in ("true", "false"):
        return value_word("yes" if text.lower() == "true" else "no", lang)
    if _TIMESTAMP_RE.match(text):
        try:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return when.astimezone(_JST).strftime("%Y-%m-%d %H:%M JST")
    return text


# Columns holding a customer's own keys (resource tags): shown as written, never as the kit's words.
TAG_COLUMNS = frozenset({"tags"})

# Columns shown per dataset in evidence tables (the full rows stay in the bundle); "{lang}" is the
# language of the table (ja | en). Datasets not listed show their short scalar columns.
EVIDENCE_COLUMNS: dict[str, list[str]] = {
    # third parties (2.6): the policies themselves are in the bundle; the table names the resource
    "kms.key_policies": ["key_id", "aliases", "arn"],
    "sns.topic_policies": ["name", "topic_arn"],
    "sqs.queue_policies": ["name", "queue_url", "arn"],
    "lambda.function_policies": ["function_name", "arn"],
    "secretsmanager.secret_policies": ["name", "arn"],
    "ecr.repository_policies": ["repository_name", "arn"],
    "ram.resource_shares": ["name", "status", "allow_external_principals", "principals", "resources"],
    "organizations.delegated_administrators": ["account_id", "name", "status", "delegation_enabled", "services"],
    # detection (2.4) and recovery (2.5)
    "guardduty.high_findings": ["finding_id", "type", "severity", "resource_type", "created_at", "updated_at", "count"],
    "guardduty.publishing_destinations": ["detector_id", "destination_type", "status", "destination_arn"],
    "securityhub.finding_aggregators": ["aggregation_region", "region_linking_mode", "regions"],
    "events.finding_rules": ["rule_name", "state", "sources", "targets"],
    "sns.subscriptions": ["topic_arn", "protocol", "confirmed"],
    "logs.trail_subscription_filters": ["log_group", "filter_name", "destination_arn"],
    "securitylake.data_lakes": ["arn", "status"],
    "backup.restore_testing_plans": ["name", "schedule", "created", "last_execution"],
    "backup.restore_jobs": ["resource_type", "completed_jobs", "last_completed", "by_testing_plan"],
    "ec2.regions": ["opt_in_status", "enabled", "in_scope"],
    "iam.credential_report": [
        "user",
        "password_enabled",
        "password_last_used",
        "mfa_active",
        "access_key_1_active",
        "access_key_1_last_rotated",
        "access_key_1_last_used_date",
        "access_key_2_active",
        "access_key_2_last_rotated",
    ],
    "iam.account_summary": ["AccountMFAEnabled", "AccountAccessKeysPresent", "Users", "Roles", "Groups", "MFADevicesInUse"],
    "iam.password_policy": [
        "MinimumPasswordLength",
        "RequireSymbols",
        "RequireNumbers",
        "RequireUppercaseCharacters",
        "RequireLowercaseCharacters",
        "ExpirePasswords",
        "MaxPasswordAge",
        "PasswordReusePrevention",
    ],
    "iam.authorization_details": ["entity_type", "name", "attached_policies", "groups"],
    "iam.saml_providers": ["name", "valid_until", "certificate_expiries"],
    "iam.oidc_providers": ["url", "client_ids"],
    "sso.instances": ["instance_arn", "status"],
    "secretsmanager.secrets": ["name", "rotation_enabled", "rotation_days", "last_rotated", "last_accessed"],
    "cloudtrail.trails": ["name", "home_region", "is_multi_region", "log_file_validation", "s3_bucket", "kms_key_id"],
    "cloudtrail.trail_status": ["name", "is_logging", "latest_delivery_time"],
    "s3.trail_bucket_exposure": ["bucket", "acl_public", "policy_is_public", "bucket_block", "error_kind"],
    "s3.trail_bucket_protection": [
        "bucket",
        "versioning",
        "mfa_delete",
        "object_lock",
        "retention_mode",
        "retention_days",
        "expiration_days",
    ],
    "ses.identities": [
        "identity",
        "identity_type",
        "verification_status",
        "dkim_enabled",
        "mail_from_domain",
        "mail_from_status",
    ],
    "dns.domain": ["domain", "exists"],
    "dns.spf": ["name", "present", "record", "dns_lookups", "all"],
    "dns.dmarc": ["name", "present", "record", "p", "sp", "pct", "rua"],
    "dns.dkim": ["name", "present", "key_type", "key_bits", "revoked", "record"],
    "dns.mta_sts": ["name", "present", "record", "problems"],
    "dns.tls_rpt": ["name", "present", "record", "problems"],
    "ec2.security_groups": ["group_id", "group_name", "vpc_id", "ingress", "attached"],
    "ec2.network_acls": ["network_acl_id", "vpc_id", "is_default", "subnet_ids", "entries"],
    "ec2.vpcs": ["vpc_id", "name", "is_default", "cidr_blocks", "state"],
    "ec2.flow_logs": ["flow_log_id", "resource_id", "status", "traffic_type", "destination_type", "destination"],
    "ec2.route_tables": ["route_table_id", "vpc_id", "is_main", "routes"],
    "elbv2.load_balancers": ["name", "type", "scheme", "vpc_id", "state"],
    "wafv2.web_acl_associations": ["resource_name", "resource_type", "web_acl_name"],
    "apigateway.stages": ["api_name", "stage_name", "endpoint_types", "web_acl_arn"],
    "cloudfront.distributions": [
        "id",
        "aliases",
        "comment",
        "enabled",
        "web_acl_id",
        "logging_bucket",
        "viewer_protocol_policies",
        "minimum_protocol_version",
    ],
    "route53.hosted_zones": ["name", "zone_id", "private", "query_log_groups", "dnssec_status"],
    "guardduty.detectors": ["detector_id", "status", "finding_publishing_frequency", "features"],
    "network_firewall.firewalls": ["name", "vpc_id", "status"],
    # Compute and databases: versions (end of support) and data protection
    "lambda.functions": ["function_name", "runtime", "package_type", "last_modified"],
    "rds.db_instances": [
        "db_instance_id",
        "engine",
        "engine_version",
        "cluster_id",
        "storage_encrypted",
        "backup_retention_days",
        "deletion_protection",
    ],
    "rds.db_clusters": [
        "cluster_id",
        "engine",
        "engine_version",
        "storage_encrypted",
        "backup_retention_days",
        "deletion_protection",
        "members",
    ],
    # "source" (the DB it was taken from) is left out: its heading is the attestation's (Source: the sheet cell)
    "rds.snapshots": ["snapshot_id", "kind", "engine", "encrypted", "public", "shared_with", "created"],
    "eks.clusters": ["name", "version", "platform_version", "status"],
    "elasticache.cache_clusters": ["cache_cluster_id", "engine", "engine_version", "replication_group_id", "status"],
    "opensearch.domains": ["domain_name", "engine_version", "encrypted"],
    "ec2.ebs_encryption_default": ["enabled"],
    "ec2.volumes": ["volume_id", "name", "encrypted", "kms_key_id", "state", "instance_ids"],
    "ec2.snapshots": ["snapshot_id", "name", "volume_id", "encrypted", "public", "started"],
    "ec2.snapshot_block_public_access": ["state"],
    "ec2.images": ["image_id", "name", "public", "state", "created"],
    # Keys, certificates, TLS and the internet edge
    "kms.keys": ["key_id", "aliases", "manager", "state", "key_spec", "rotation_enabled", "rotation_period_days"],
    "acm.certificates": [
        "domain_name",
        "type",
        "key_algorithm",
        "signature_algorithm",
        "not_after",
        "in_use",
        "renewal_status",
    ],
    "elbv2.listeners": [
        "load_balancer_name",
        "port",
        "protocol",
        "ssl_policy",
        "ssl_protocols",
        "redirect_protocol",
        "default_actions",
    ],
    "apigateway.domain_names": ["domain_name", "endpoint_types", "security_policy", "status"],
    "wafv2.web_acls": ["name", "scope", "default_action", "rules"],
    "wafv2.cloudfront_web_acls": ["name", "scope", "default_action", "rules"],
    "shield.subscription": ["subscribed", "end_time", "auto_renew", "protection_count", "protected"],
    # Hosts and vulnerabilities ("title" is left out of the findings: its heading is the attestation's "Document")
    "ec2.instances": [
        "instance_id",
        "name",
        "state",
        "public_ip",
        "http_tokens",
        "iam_instance_profile",
        "security_groups",
    ],
    "ssm.managed_instances": ["instance_id", "ping_status", "last_ping", "platform_name", "agent_version"],
    "ssm.patch_compliance": [
        "resource_id",
        "status",
        "overall_severity",
        "execution_time",
        "non_compliant_critical",
        "non_compliant_high",
        "non_compliant_count",
    ],
    "inspector2.account_status": ["account_id", "status", "ec2", "ecr", "lambda", "lambdaCode"],
    "inspector2.findings": [
        "resource_id",
        "resource_name",
        "vulnerability_id",
        "severity",
        "first_observed_at",
        "fix_available",
        "exploit_available",
    ],
    "ecr.repositories": [
        "repository_name",
        "scan_on_push",
        "registry_scan_type",
        "registry_scan_frequency",
        "registry_rule_count",
    ],
    # Inventory
    "config.recorders": [
        "name",
        "recording",
        "all_supported",
        "include_global_resource_types",
        "excluded_resource_types",
        "last_status",
        "last_error_code",
    ],
    "config.delivery_channels": [
        "name",
        "s3_bucket",
        "sns_topic_arn",
        "history_last_status",
        "history_last_error_code",
        "snapshot_last_status",
    ],
    "tagging.resources": ["arn", "service", "resource_type", "tags"],
    "organizations.accounts": ["account_id", "name", "status", "ou_path", "tags", "view"],
    # Logs, monitoring and cloud service settings
    "logs.log_groups": ["log_group", "retention_days", "log_group_class", "kms_key_id"],
    "logs.metric_filters": ["log_group", "filter_name", "pattern", "metrics"],
    "cloudwatch.metric_alarms": ["alarm_name", "metrics", "actions_enabled", "alarm_actions", "state"],
    "elbv2.load_balancer_logging": ["name", "access_logs_enabled", "access_logs_bucket", "access_logs_prefix"],
    "wafv2.web_acl_logging": ["name", "scope", "log_destinations"],
    "wafv2.cloudfront_web_acl_logging": ["name", "scope", "log_destinations"],
    "logs.cloudfront_log_deliveries": ["resource_arn", "delivery_source", "log_type", "destinations"],
    "s3.access_log_buckets": ["bucket", "sources", "expiration_days", "error_kind"],
    "securityhub.hub": ["enabled", "subscribed_at", "standards"],
    "account.security_contact": ["registered", "name", "email"],
    # Data protection and backups
    "s3.account_public_access_block": ["account_id", "account_block"],
    "s3.buckets": [
        "bucket",
        "encryption",
        "bucket_block",
        "policy_is_public",
        "logging_target",
        "versioning",
        "object_lock",
        "tags",
        "error_kind",
    ],
    "cloudtrail.event_selectors": ["name", "advanced", "s3_data_resources", "s3_data_events"],
    "dynamodb.tables": ["table_name", "sse_type", "kms_key_arn", "pitr_enabled", "deletion_protection", "tags"],
    "efs.file_systems": ["file_system_id", "name", "encrypted", "kms_key_id", "tags"],
    "backup.plans": ["name", "plan_id", "rules"],
    "backup.selections": ["plan_name", "name", "resources", "not_resources", "any_tags", "conditions"],
    "backup.vaults": [
        "name",
        "vault_type",
        "locked",
        "lock_date",
        "min_retention_days",
        "max_retention_days",
        "recovery_points",
    ],
    "backup.vault_access_policies": ["name", "policy"],
    # Network topology and segmentation
    "ec2.subnets": ["subnet_id", "name", "vpc_id", "cidr", "availability_zone", "map_public_ip_on_launch"],
    "ec2.internet_gateways": ["gateway_id", "name", "vpc_ids"],
    "ec2.nat_gateways": ["nat_gateway_id", "name", "vpc_id", "subnet_id", "connectivity", "state"],
    "ec2.transit_gateways": ["transit_gateway_id", "name", "owner_id", "state", "default_route_table_id"],
    "ec2.transit_gateway_attachments": [
        "attachment_id",
        "transit_gateway_id",
        "resource_type",
        "resource_id",
        "resource_owner_id",
        "state",
        "route_table_id",
    ],
    "ec2.transit_gateway_route_tables": [
        "route_table_id",
        "transit_gateway_id",
        "name",
        "is_default_association",
        "state",
        "routes",
    ],
    "ec2.vpc_peering_connections": ["peering_id", "name", "status", "requester", "accepter"],
    "ec2.vpc_endpoints": ["endpoint_id", "name", "vpc_id", "type", "service_name", "state"],
    "ec2.vpn_gateways": ["vpn_gateway_id", "name", "state", "vpc_ids"],
    "ec2.customer_gateways": ["customer_gateway_id", "name", "ip_address", "bgp_asn", "state"],
    "ec2.vpn_connections": [
        "vpn_connection_id",
        "name",
        "state",
        "vpn_gateway_id",
        "transit_gateway_id",
        "static_routes_only",
        "tunnels",
    ],
    "attestation.file": ["file", "format", "prepared_by", "prepared_on", "sha256"],
    "attestation.documents": ["title", "approver", "approval_date", "last_review_date", "location"],
    "attestation.answers": ["question_{lang}", "answer"],
    # The working sheet's hearing notes stay in the consultant's sheet
    "attestation.worksheet": ["control_id", "status", "verdict", "rationale", "owner", "due_date"],
    "attestation.third_parties": ["party", "account_ids", "identifiers", "services", "contract", "owner", "reviewed_on"],
    "attestation.exceptions": ["check_id", "resource", "account_id", "reason", "approver", "approved_on", "expires"],
}


def dataset_description(dataset: str, lang: str) -> str:
    info = DATASETS.get(dataset)
    return info.description(lang) if info else dataset


class EvidenceRows:
    """A bundle's evidence rows, read once per (dataset, account, region), and the assessment's findings per item.

    Each scope's rows are indexed by the names they go by, so that a finding finds the rows naming its resource
    without every row being tried for every finding (50 accounts: 15,000 user findings against 300 rows each). A row
    names a resource when one of its key fields (``DatasetInfo.key``), a string of two characters or more, is the
    resource, or the resource begins with it and a space ("sg-1 (web)"), or ends with "/" and it ("user/alice"), or
    the field ends with "/" or ":" and the resource (an ARN ending ":root" names "root").
    """

    def __init__(self, assessment: Assessment) -> None:
        self.bundle = assessment.bundle
        self._assessment = assessment
        self._rows: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self._names: dict[tuple[str, str, str], tuple[dict[str, list[int]], dict[str, list[int]]]] = {}
        self._by_item: dict[str, list[Finding]] | None = None
        self._scopes: tuple[dict[str, list[dict[str, Any]]], dict[tuple[str, str], list[dict[str, Any]]]] | None = None

    def scopes(self) -> tuple[dict[str, list[dict[str, Any]]], dict[tuple[str, str], list[dict[str, Any]]]]:
        """The bundle's collected datasets: their entries per dataset, and per dataset and account."""
        if self._scopes is None:
            entries: dict[str, list[dict[str, Any]]] = {}
            of_account: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for entry in self.bundle.entries():
                if entry.get("status") == "ok":
                    entries.setdefault(entry["dataset"], []).append(entry)
                    of_account.setdefault((entry["dataset"], entry["account_id"]), []).append(entry)
            self._scopes = (entries, of_account)
        return self._scopes

    def rows(self, dataset: str, account: str, region: str) -> list[dict[str, Any]]:
        key = (dataset, account, region)
        if key not in self._rows:
            self._rows[key] = self.bundle.rows(*key)
        return self._rows[key]

    def findings(self, control_id: str) -> list[Finding]:
        """The item's findings, errors left out, most serious first."""
        if self._by_item is None:
            by_item: dict[str, list[Finding]] = {}
            for finding in self._assessment.findings:
                if finding.verdict.value != "error":
                    by_item.setdefault(finding.control_id, []).append(finding)
            self._by_item = {item: most_serious_first(found) for item, found in by_item.items()}
        return self._by_item.get(control_id, [])

    def naming(self, dataset: str, account: str, region: str, keys_: Sequence[str], resource: str) -> list[int]:
        """Indices of the scope's rows that name ``resource`` (see the class), in row order."""
        scope = (dataset, account, region)
        if scope not in self._names:
            whole: dict[str, list[int]] = {}
            ends: dict[str, list[int]] = {}
            for index, row in enumerate(self.rows(*scope)):
                for key in keys_:
                    value = row.get(key)
                    if not isinstance(value, str) or len(value) < 2:
                        continue
                    whole.setdefault(value, []).append(index)
                    for at, char in enumerate(value):
                        if char in "/:":
                            ends.setdefault(value[at + 1 :], []).append(index)
            self._names[scope] = (whole, ends)
        whole, ends = self._names[scope]
        resource = resource.strip()
        found = set(whole.get(resource, ())) | set(ends.get(resource, ()))
        for at, char in enumerate(resource):
            if char == " ":
                found.update(whole.get(resource[:at], ()))
            elif char == "/":
                found.update(whole.get(resource[at + 1 :], ()))
        return sorted(found)


def item_datasets(check_ids: Iterable[str], checks: dict[str, CheckText]) -> list[str]:
    """Datasets read by the checks of an item, first-mention order."""
    seen: list[str] = []
    for check_id in check_ids:
        info = checks.get(check_id)
        for dataset in info.datasets if info else ():
            if dataset not in seen:
                seen.append(dataset)
    return seen


# Rows chosen for an item: (account, region, index in its scope, row).
_Picked: TypeAlias = list[tuple[str, str, int, dict[str, Any]]]


def select_evidence(
    assessment: Assessment,
    control_id: str,
    checks: dict[str, CheckText],
    cache: EvidenceRows | None = None,
) -> list[dict[str, Any]]:
    """The evidence an item's findings rest on: per dataset, the rows its findings refer to.

    A finding selects, in the dataset's (account, region) of the finding, the rows whose key field names
    its resource (``DatasetInfo.key``, see :class:`EvidenceRows`); a finding about the whole scope ("password
    policy", "CloudTrail") matches no row by name and selects every row of its scope. Attestation datasets give the
    rows of the item itself (``DatasetInfo.item_key``). Rows of failing findings come first. Returns
    ``[{"dataset", "frame"}]`` (raw values, "account" and "region" first), datasets without rows left out.
    ``cache``: the rows read for the other items of the same assessment.
    """
    evidence = EvidenceRows(assessment) if cache is None else cache
    control = assessment.catalog.get(control_id)
    entries, of_account = evidence.scopes()
    naming_item: dict[str, _Picked] = {}

    def rows_naming_item(dataset: str, key: str) -> _Picked:
        """An attestation dataset's rows of this item, whatever the finding's account."""
        if dataset not in naming_item:
            naming_item[dataset] = [
                (entry["account_id"], entry["region"], i, row)
                for entry in entries.get(dataset, [])
                for i, row in enumerate(evidence.rows(dataset, entry["account_id"], entry["region"]))
                if row.get(key) == control_id
            ]
        return naming_item[dataset]

    datasets = item_datasets(control.checks, checks)
    chosen: dict[str, dict[tuple[str, str, int], dict[str, Any]]] = {d: {} for d in datasets}
    whole: set[tuple[str, str, str]] = set()  # scopes whose every row is chosen already

    def choose(dataset: str, account: str, region: str, rows: list[dict[str, Any]], indices: list[int] | None) -> None:
        """Choose the rows at ``indices`` of a scope (None: all of them, once)."""
        target = chosen[dataset]
        if indices is None:
            if (dataset, account, region) in whole:
                return
            whole.add((dataset, account, region))
            indices = list(range(len(rows)))
        for index in indices:
            target.setdefault((account, region, index), rows[index])

    for finding in evidence.findings(control_id):
        info_check = checks.get(finding.check_id)
        if info_check is None:
            continue
        # Per dataset of the check: the scopes of the finding, and its rows naming the finding's resource (a scope
        # with one row per account or region: that row).
        scoped: dict[str, list[tuple[str, str, list[dict[str, Any]]]]] = {}
        named: dict[str, list[tuple[str, str, list[dict[str, Any]], list[int] | None]]] = {}
        anchored = False
        for dataset in info_check.datasets:
            if dataset not in chosen:
                continue
            info = DATASETS.get(dataset)
            if info is not None and info.item_key:
                for account, region, index, row in rows_naming_item(dataset, info.item_key):
                    chosen[dataset].setdefault((account, region, index), row)
                continue
            for entry in of_account.get((dataset, finding.account_id), []):
                account, region = entry["account_id"], entry["region"]
                if GLOBAL not in (finding.region, region) and finding.region != region:
                    continue
                rows = evidence.rows(dataset, account, region)
                if info is None or not info.key:
                    # One row per scope (account summary, password policy): the finding is about that row.
                    named.setdefault(dataset, []).append((account, region, rows, None))
                    anchored = anchored or bool(rows)
                    continue
                scoped.setdefault(dataset, []).append((account, region, rows))
                hits = evidence.naming(dataset, account, region, info.key, finding.resource)
                named.setdefault(dataset, []).append((account, region, rows, hits))
                anchored = anchored or bool(hits)
        # A finding naming no row ("CloudTrail", "GuardDuty us-east-1", an account) is about its whole scope.
        for dataset in set(named) | set(scoped):
            for account, region, rows, indices in named.get(dataset, []):
                choose(dataset, account, region, rows, indices)
            if not anchored:
                for account, region, rows in scoped.get(dataset, []):
                    choose(dataset, account, region, rows, None)
    tables = []
    for dataset in datasets:
        if not chosen[dataset]:
            continue
        records = [{"account": account, "region": region, **row} for (account, region, _i), row in chosen[dataset].items()]
        tables.append({"dataset": dataset, "frame": pd.DataFrame(records)})
    return tables


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict(orient="records")``, column by column (a quarter of its time: a report converts two hundred)."""
    if frame.columns.empty or not frame.columns.is_unique:
        return frame.to_dict(orient="records")
    names = list(frame.columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*(frame[name].tolist() for name in names), strict=True)]


def evidence_table(frame: pd.DataFrame, dataset: str, lang: str, limit: int | None = None) -> dict[str, Any]:
    """Evidence rows as a readable, bounded table: labelled headings, formatted values, chosen columns.

    The account column is left out for organisational and e-mail evidence (its value is "org" / "dns"),
    the region column when every row is account-wide ("global").
    """
    total = len(frame)
    shown = frame if limit is None else frame.head(limit)
    curated = [c.format(lang=lang) for c in EVIDENCE_COLUMNS.get(dataset, [])]
    names = [str(c) for c in shown.columns]
    fixed = [c for c in ("account", "region") if c in names]
    if "account" in fixed and set(shown["account"]) <= {"org", "dns"}:
        fixed.remove("account")
    if "region" in fixed and set(shown["region"]) <= {GLOBAL}:
        fixed.remove("region")
    records = _records(shown)
    if dataset == "attestation.answers":
        records = [dict(r, answer=_answer_value(r, lang)) for r in records]
    if curated:
        # A row's error column says why a value is missing; where no row has one it would be an empty column.
        keep = fixed + [c for c in curated if c in names and (c != "error_kind" or any(r.get(c) for r in records))]
    else:
        others = [c for c in names if c not in ("account", "region")]
        cells = {c: [format_value(r.get(c), lang, raw_keys=c in TAG_COLUMNS) for r in records] for c in others}
        short = [
            c
            for c in others
            if any(cells[c])
            and all(
                len(v) <= EVIDENCE_SHORT_CELL and not isinstance(r.get(c), (dict, list))
                for v, r in zip(cells[c], records, strict=True)
            )
        ]
        keep = fixed + (short or others)[: EVIDENCE_MAX_COLUMNS - len(fixed)]
    narrowed = len(keep) < len(names)
    columns = [field_label(c, lang) for c in keep]
    rows = [[format_value(r.get(c), lang, raw_keys=c in TAG_COLUMNS) for c in keep] for r in records]
    return {
        "columns": columns,
        "fields": keep,
        # Shared out by content, as a browser would: no word wider than its column, more room where text is long.
        "widths": column_widths(columns, rows, line=EVIDENCE_LINE_EM, padding=EVIDENCE_CELL_PADDING_EM),
        "rows": rows,
        "total": total,
        "shown": len(shown),
        "narrowed": narrowed,
    }


def _answer_value(row: dict[str, Any], lang: str) -> Any:
    """An attested answer with its options named as the questionnaire words them (not their ids)."""
    from ..catalog.questions import item_questions

    value = row.get("answer")
    questions = item_questions(str(row.get("control_id") or ""))
    try:
        question = questions.question(str(row.get("question_id"))) if questions else None
    except (KeyError, ValueError):
        question = None
    if question is None or not question.options:
        return value

    def name(v: Any) -> Any:
        option = question.option(v) if isinstance(v, str) else None
        return option.label(lang) if option else v

    return [name(v) for v in value] if isinstance(value, list) else name(value)


# --- missing evidence ---------------------------------------------------------------------------------------


def error_row(entry: dict[str, Any], lang: str) -> dict[str, str]:
    """A dataset that could not be gathered (a manifest error record), in ``lang``."""
    kind = str(entry.get("error_kind") or "other")
    message = str(entry.get("error_message") or "")
    return {
        "dataset": str(entry.get("dataset", "")),
        "account": str(entry.get("account_id", "")),
        "region": str(entry.get("region", "")),
        "kind": kind,
        "error": error_kind_label(kind, lang),
        "code": str(entry.get("error_code") or ""),
        # The library's message is English: the Japanese outputs give the kind and the code only.
        "detail": message if lang != "ja" else "",
        "message": message,
        "action": str(entry.get("action") or ""),
    }


def split_actions(text: str) -> set[str]:
    """IAM actions named in a comma- or space-separated text."""
    return {a for a in re.split(r"[,\s]+", text or "") if ":" in a}


def refused_actions(error_rows: Iterable[dict[str, str]], findings: Iterable[Finding]) -> list[str]:
    """IAM actions refused during collection (manifest errors and error findings)."""
    actions: set[str] = set()
    for row in error_rows:
        if row["kind"] == "access_denied":
            actions |= split_actions(row["action"])
    for finding in findings:
        details = finding.details or {}
        if finding.verdict.value == "error" and details.get("error_kind") == "access_denied":
            actions |= split_actions(str(details.get("missing_permission") or ""))
    return sorted(actions)


# --- findings and items -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingView:
    """One finding as every output shows it, in one language."""

    finding: Finding
    verdict: str
    verdict_label: str
    severity: str
    severity_label: str
    control_id: str
    check_id: str
    check: str  # the check's title
    account: str
    region: str
    resource: str
    message: str
    account_label: str = ""  # the account as the report names it ("core banking (123456789012)")
    risk: str = ""  # "accepted" (an approved exception in force), "expired" (its acceptance lapsed), else ""
    risk_note: str = ""  # the acceptance in words (approver, dates, reason), or when it expired
    lang: str = "ja"

    @property
    def shown(self) -> str:
        """What the finding counts as: ``accepted_risk`` for an accepted failure, else its verdict."""
        return "accepted_risk" if self.risk == "accepted" else self.verdict

    @property
    def shown_label(self) -> str:
        return display_label(self.shown, self.lang)

    def row(self) -> dict[str, Any]:
        """The finding as a plain mapping (the document's rows)."""
        return {
            "finding_id": self.finding.finding_id,
            "shown": self.shown,
            "shown_label": self.shown_label,
            "account_label": self.account_label or self.account,
            "risk": self.risk,
            "risk_note": self.risk_note,
            "verdict": self.verdict,
            "verdict_label": self.verdict_label,
            "severity": self.severity,
            "severity_label": self.severity_label,
            "control_id": self.control_id,
            "check_id": self.check_id,
            "check": self.check,
            "account": self.account,
            "region": self.region,
            "resource": self.resource,
            "message": self.message,
        }


@dataclass
class ItemView:
    """One guideline item as every output shows it, in one language."""

    control: Any
    result: ItemResult
    lang: str
    id: str
    number: str  # the seed matrix's "No." column: a circled digit or a letter
    kind: str
    kind_label: str
    title: str
    text: str
    footnotes: list[str]
    consultant: str | None
    aws: str | None
    verdict: str
    verdict_label: str
    automated_verdict: str | None
    basis: list[str]
    basis_label: str
    answer_only: bool
    mode: str
    checks: list[CheckText]
    datasets: list[str]
    findings: list[FindingView]  # most serious first
    counts: dict[str, int]
    evidence_errors: list[dict[str, str]]
    remediation: list[CheckText]  # the checks with a failing finding
    missing_actions: list[str]
    answer: str | None = None  # the customer's status (working sheet): implemented, partial...
    answer_label: str = ""
    documents: list[dict[str, str]] = field(default_factory=list)  # title, location, date, approver
    judgment: dict[str, str] | None = None  # the assessor's verdict: verdict, label, rationale
    override: dict[str, str] | None = None  # from, to (and labels), rationale, text
    owner: str | None = None
    due_date: str | None = None
    owner_text: str = ""  # the owner, or "not set"
    due_text: str = ""
    pending_note: str = ""  # why an undecided item is undecided, as a fact
    accepted: list[FindingView] = field(default_factory=list)  # failures under an approved exception in force
    expired: list[FindingView] = field(default_factory=list)  # failures whose acceptance lapsed (they fail)

    @property
    def compact(self) -> bool:
        """No check and no finding: the item is shown with its text and verdict only."""
        return not self.checks and not self.findings

    @property
    def hybrid(self) -> bool:
        return self.mode == "hybrid" and bool(self.checks)

    @property
    def heading(self) -> str:
        return t("report.item.heading", self.lang, id=self.id, title=self.title, kind=self.kind_label)


def finding_view(finding: Finding, lang: str, checks: dict[str, CheckText], names: dict[str, str] | None = None) -> FindingView:
    info = checks.get(finding.check_id)
    return FindingView(
        finding=finding,
        verdict=finding.verdict.value,
        verdict_label=verdict_label(finding.verdict.value, lang),
        severity=finding.severity,
        severity_label=severity_label(finding.severity, lang),
        control_id=finding.control_id,
        check_id=finding.check_id,
        check=info.title if info else finding.check_id,
        account=finding.account_id,
        region=finding.region,
        resource=finding.resource,
        message=finding.message(lang),
        account_label=account_label(finding.account_id, names or {}, lang),
        risk=risk_state(finding),
        risk_note=risk_note(finding, lang),
        lang=lang,
    )


@dataclass
class SectionRow:
    """Item verdict counts of one section (the summary table)."""

    number: str
    title: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class ReportView:
    """Everything the outputs show of one assessment, in one language; built once, read by every output."""

    def __init__(
        self, assessment: Any, lang: str, checks: dict[str, CheckText] | None = None, share: ReportView | None = None
    ) -> None:
        """``share``: the view of the same assessment in the other language, whose evidence selection (the same
        rows in both languages) this one reuses instead of reading it again."""
        self.lang = _lang(lang)
        self.assessment = assessment
        self.bundle = self.assessment.bundle
        self.catalog = self.assessment.catalog
        self.labels = labels(self.lang)
        self.checks = check_texts(self.lang, self.assessment.parameters) if checks is None else checks
        lang_ = self.lang
        self.names = account_names(self.bundle.manifest)
        self.findings: list[FindingView] = [
            finding_view(f, lang_, self.checks, self.names) for f in most_serious_first(self.assessment.findings)
        ]
        by_item: dict[str, list[FindingView]] = {}
        for view in self.findings:
            by_item.setdefault(view.control_id, []).append(view)
        self.error_rows = [error_row(e, lang_) for e in self.bundle.errors()]
        for row in self.error_rows:
            row["account_label"] = account_label(row["account"], self.names, lang_)
        results = {r.control_id: r for r in self.assessment.items}
        self.items: list[ItemView] = []
        for control in self.catalog:
            result = results.get(control.control_id) or _undecided(control)
            self.items.append(self._item(control, result, by_item.get(control.control_id, [])))
        self.by_id = {item.id: item for item in self.items}
        self._evidence_rows = EvidenceRows(assessment)
        self._evidence: dict[str, list[dict[str, Any]]] = {}
        if share is not None and share.assessment is assessment:
            self._evidence_rows, self._evidence = share._evidence_rows, share._evidence

    def _item(self, control: Any, result: ItemResult, own: list[FindingView]) -> ItemView:
        lang = self.lang
        datasets = item_datasets(control.checks, self.checks)
        wanted = set(datasets)
        errors = [r for r in self.error_rows if r["dataset"] in wanted]
        failing = [c for c in control.checks if any(f.check_id == c and f.verdict == "fail" for f in own)]
        basis = result.basis
        verdict = result.verdict
        automated = result.automated_verdict or ("manual" if control.checks else None)
        sheet = (getattr(self.assessment, "judgments", None) or {}).get(control.control_id)
        not_set = t("report.plan.not_set", lang)
        return ItemView(
            control=control,
            result=result,
            lang=lang,
            id=control.control_id,
            number=control.label_ja if lang == "ja" else control.label_en,
            kind=control.kind,
            kind_label=kind_label(control.kind, lang),
            title=control.title(lang),
            text=control.text(lang),
            footnotes=list(control.footnotes(lang)),
            consultant=control.consultant_view(lang) or None,
            aws=control.aws_realisation(lang) or None,
            verdict=verdict,
            verdict_label=verdict_label(verdict, lang),
            automated_verdict=automated,
            basis=basis_list(basis),
            basis_label=basis_label(basis, lang) if basis else "",
            answer_only=answer_only(basis),
            mode=control.mode,
            checks=[self.check(c) for c in control.checks],
            datasets=datasets,
            findings=own,
            counts={v: n for v in COUNT_ORDER if (n := sum(1 for f in own if f.shown == v))},
            evidence_errors=errors,
            remediation=[self.check(c) for c in failing],
            missing_actions=refused_actions(errors, (f.finding for f in own)),
            answer=result.answer,
            answer_label=t(f"status.{result.answer}", lang) if result.answer and has(f"status.{result.answer}") else "",
            documents=[_document(d) for d in (sheet.documents if sheet else ())],
            judgment=_judgment(result.judgment, lang),
            override=_override(result.override, lang),
            owner=result.owner,
            due_date=result.due_date,
            owner_text=str(result.owner or "") or not_set,
            due_text=str(result.due_date or "") or not_set,
            pending_note=_pending_note(verdict, control, lang),
            accepted=[f for f in own if f.risk == "accepted"],
            expired=[f for f in own if f.risk == "expired"],
        )

    def check(self, check_id: str) -> CheckText:
        """A check's texts (an unknown check is named by its id)."""
        return self.checks.get(check_id) or CheckText(check_id, check_id, "")

    def label(self, name: str) -> str:
        return self.labels[name]

    def item(self, control_id: str) -> ItemView:
        return self.by_id[control_id]

    def evidence(self, control_id: str) -> list[dict[str, Any]]:
        """The evidence rows an item's findings refer to (:func:`select_evidence`), read once."""
        if control_id not in self._evidence:
            self._evidence[control_id] = select_evidence(self.assessment, control_id, self.checks, self._evidence_rows)
        return self._evidence[control_id]

    def sections(self) -> list[SectionRow]:
        """Item verdict counts per section, in guideline order."""
        rows = []
        for section in self.catalog.sections():
            controls = self.catalog.by_section(section)
            counts = Counter(i.verdict for i in self.items if i.control.section == section)
            rows.append(SectionRow(section, controls[0].section_title(self.lang), {v: counts.get(v, 0) for v in VERDICT_ORDER}))
        return rows

    def verdict_counts(self) -> Counter:
        return Counter(i.verdict for i in self.items)

    def merged(self, verdicts: Sequence[str]) -> list[dict[str, Any]]:
        """Findings of ``verdicts``, most serious first, once per check and place (the runner repeats a
        finding for every item of its check): rows with the items they concern under ``controls``."""
        merged: dict[tuple, dict[str, Any]] = {}
        for view in self.findings:
            if view.verdict not in verdicts:
                continue
            key = (view.verdict, view.check_id, view.account, view.region, view.resource)
            if key in merged:
                if view.control_id not in merged[key]["controls"]:
                    merged[key]["controls"].append(view.control_id)
                continue
            row = view.row()
            row["controls"] = [view.control_id]
            row["permission"] = str((view.finding.details or {}).get("missing_permission") or "")
            merged[key] = row
        return list(merged.values())

    # --- the executive summary and the remediation plan ----------------------------------------------------

    def failures(self, accepted: bool = False) -> list[FindingView]:
        """Failing findings once per check and place (the runner repeats a finding for every item of its check),
        most serious first: those counted as non-compliant (expired acceptances included), or the accepted risks."""
        seen: dict[tuple[str, str, str, str], FindingView] = {}
        for view in self.findings:
            if view.verdict == "fail" and (view.risk == "accepted") == accepted:
                seen.setdefault((view.check_id, view.account, view.region, view.resource), view)
        return list(seen.values())

    def themes(self) -> list[dict[str, Any]]:
        """The top risks grouped by check (one row for five resources of one kind), highest severity first:
        check title, highest severity, resources per severity, accounts, items and remediation."""
        groups: dict[str, list[FindingView]] = {}
        for view in self.failures():
            groups.setdefault(view.check_id, []).append(view)
        items: dict[str, list[str]] = {}
        for view in self.findings:
            if view.verdict == "fail" and view.risk != "accepted" and view.control_id not in items.setdefault(view.check_id, []):
                items[view.check_id].append(view.control_id)
        rows = []
        for check_id, group in groups.items():
            severity = min((v.severity for v in group), key=severity_rank)
            places = list(dict.fromkeys(v.account_label for v in group))
            by_severity = Counter(v.severity for v in group)
            key = "report.summary.theme_scope_one" if len(group) == 1 else "report.summary.theme_scope"
            rows.append(
                {
                    "check_id": check_id,
                    "title": self.check(check_id).title,
                    "severity": severity,
                    "severity_label": severity_label(severity, self.lang),
                    "n": len(group),
                    "by_severity": [
                        {"severity": sev, "label": severity_label(sev, self.lang), "n": by_severity[sev]}
                        for sev in SEVERITY_ORDER
                        if by_severity.get(sev)
                    ],
                    "accounts": places,
                    "scope": t(key, self.lang, n=len(group), accounts=len(places), places=self._join(places)),
                    "controls": sorted(items.get(check_id, []), key=self.catalog.ids().index),
                    "remediation": self.check(check_id).remediation,
                    "expired": sum(1 for v in group if v.risk == "expired"),
                }
            )
        rows.sort(key=lambda r: (severity_rank(r["severity"]), -r["n"], r["check_id"]))
        return rows

    def _join(self, values: Iterable[str]) -> str:
        return t("value.list_separator", self.lang).join(values)

    def account_rows(self) -> list[dict[str, Any]]:
        """Per account (named as the params name it), failures by severity and the accepted risks apart: every
        account in scope, then e-mail domains and the organisation when they have failures."""
        failing = self.failures()
        accepted = self.failures(accepted=True)
        accounts = [str(a) for a in self.bundle.manifest.get("accounts") or []]
        for view in failing + accepted:
            if view.account not in accounts:
                accounts.append(view.account)
        rows = []
        for account in accounts:
            counts = Counter(v.severity for v in failing if v.account == account)
            rows.append(
                {
                    "account": account,
                    "label": account_label(account, self.names, self.lang),
                    "counts": [counts.get(sev, 0) for sev in FAILURE_SEVERITIES],
                    "fail": sum(counts.values()),
                    "accepted": sum(1 for v in accepted if v.account == account),
                }
            )
        return rows

    def severity_heads(self) -> list[dict[str, str]]:
        return [{"severity": sev, "label": severity_label(sev, self.lang)} for sev in FAILURE_SEVERITIES]

    def _item_severity(self, item: ItemView) -> str:
        """The highest severity among an item's failures counted as non-compliant ('' when it has none)."""
        severities = [f.severity for f in item.findings if f.verdict == "fail" and f.risk != "accepted"]
        return min(severities, key=severity_rank) if severities else ""

    def fix_first(self) -> list[dict[str, Any]]:
        """The items to fix: non-compliant, then partially compliant, highest severity of their failures first,
        with the owner and due date of the working sheet ("not set" when absent)."""
        rows = []
        for item in self.items:
            if item.verdict not in ("fail", "partial"):
                continue
            severity = self._item_severity(item)
            rows.append(
                {
                    "id": item.id,
                    "title": item.title,
                    "verdict": item.verdict,
                    "verdict_label": item.verdict_label,
                    "severity": severity,
                    "severity_label": severity_label(severity, self.lang) if severity else "",
                    "basis_label": item.basis_label,
                    "owner": item.owner_text,
                    "due_date": item.due_text,
                    "owner_set": bool(item.owner),
                    "due_set": bool(item.due_date),
                    "themes": [c.title for c in item.remediation],
                    "rank": (severity_rank(severity) if severity else len(SEVERITY_ORDER), VERDICT_ORDER.index(item.verdict)),
                }
            )
        rows.sort(key=lambda r: (*r["rank"], self.catalog.ids().index(r["id"])))
        return rows

    def remediation_plan(self) -> list[dict[str, Any]]:
        """The remediation plan: per item to fix (in :meth:`fix_first` order) and per check with failures, the
        resources affected, the remediation, owner, due date and the accepted-risk state; an item non-compliant
        on the customer's answer or the assessor's judgment has one row of its own."""
        lang = self.lang
        rows = []
        plan_items = [r["id"] for r in self.fix_first()]
        plan_items += [i.id for i in self.items if (i.accepted or i.expired) and i.id not in plan_items]
        for control_id in plan_items:
            item = self.by_id[control_id]
            checks: dict[str, list[FindingView]] = {}
            for view in item.findings:
                if view.verdict == "fail":
                    checks.setdefault(view.check_id, []).append(view)
            base = {
                "id": item.id,
                "title": item.title,
                "verdict_label": item.verdict_label,
                "owner": item.owner_text,
                "due_date": item.due_text,
            }
            if not checks:
                rows.append(dict(base, theme=item.basis_label, severity_label="", affected=0, remediation="", risk=""))
                continue
            for check_id, group in checks.items():
                counted = [v for v in group if v.risk != "accepted"]
                severity = min((v.severity for v in counted), key=severity_rank) if counted else ""
                rows.append(
                    dict(
                        base,
                        theme=self.check(check_id).title,
                        check_id=check_id,
                        severity_label=severity_label(severity, lang) if severity else "",
                        affected=len(counted),
                        remediation=self.check(check_id).remediation,
                        risk=self._risk_summary(group),
                    )
                )
        return rows

    def _risk_summary(self, group: list[FindingView]) -> str:
        """The accepted-risk state of a check's failures under an item: accepted (until when) and expired."""
        parts = []
        accepted = [v for v in group if v.risk == "accepted"]
        expired = [v for v in group if v.risk == "expired"]
        if accepted:
            until = min(str((v.finding.accepted_risk or {}).get("expires") or "") for v in accepted)
            parts.append(t("report.plan.accepted", self.lang, n=len(accepted), expires=until))
        if expired:
            on = max(str((v.finding.accepted_risk or {}).get("expires") or "") for v in expired)
            parts.append(t("report.plan.expired", self.lang, n=len(expired), expires=on))
        return t("value.list_separator", self.lang).join(parts)

    def risk_rows(self, state: str) -> list[dict[str, Any]]:
        """Accepted (``accepted``) or lapsed (``expired``) risks, once per check and place, with the approval."""
        pool = self.failures(accepted=state == "accepted")
        rows = []
        for view in pool:
            if view.risk != state:
                continue
            record = view.finding.accepted_risk or {}
            controls = sorted({v.control_id for v in self.findings if v.finding.finding_id == view.finding.finding_id})
            rows.append(
                dict(
                    view.row(),
                    controls=controls,
                    **{k: str(record.get(k) or "") for k in ("approver", "approved_on", "expires", "reason")},
                )
            )
        return rows

    def unused_exceptions(self) -> list[dict[str, str]]:
        """Exceptions of the register that cover no failing finding (resolved, or a pattern matching nothing)."""
        from ..core.acceptance import unused

        register = getattr(self.assessment, "exceptions", None) or []
        return [
            {k: str(e.get(k) or "") for k in ("check_id", "account_id", "region", "resource", "expires", "approver", "source")}
            for e in unused(self.assessment.findings, register)
        ]

    def posture(self) -> list[str]:
        """The overall posture in two or three sentences, from the results: where the serious gaps are, what rests
        on self-declaration or judgment and what is undecided, and the accepted risks."""
        lang = self.lang
        sentences = []
        serious = [v for v in self.failures() if v.severity in BLOCKING_SEVERITIES]
        if serious:
            sections = Counter(self.catalog.get(v.control_id).section for v in serious)
            top = [f"{n} {self.catalog.by_section(n)[0].section_title(lang)}" for n, _c in sections.most_common(3)]
            sentences.append(t("report.summary.serious", lang, n=len(serious), areas=self._join(top)))
        else:
            sentences.append(t("report.summary.no_serious", lang))
        decided = [i for i in self.items if i.basis]
        self_declared = sum(1 for i in decided if i.answer_only)
        judged = sum(1 for i in decided if "judgment" in i.basis)
        pending = sum(1 for i in self.items if i.verdict == "manual")
        sentences.append(
            t("report.summary.bases", lang, decided=len(decided), answer=self_declared, judgment=judged, pending=pending)
        )
        accepted, expired = self.risk_rows("accepted"), self.risk_rows("expired")
        if accepted or expired:
            sentences.append(t("report.summary.risks", lang, accepted=len(accepted), expired=len(expired)))
        return sentences

    def missing_permissions(self) -> list[str]:
        return refused_actions(self.error_rows, self.assessment.findings)

    def inventory(self) -> list[dict[str, Any]]:
        """Every dataset of the bundle with its state (the evidence inventory)."""
        rows = []
        for entry in self.bundle.entries():
            ok = entry.get("status") == "ok"
            rows.append(
                {
                    "dataset": str(entry.get("dataset", "")),
                    "account": str(entry.get("account_id", "")),
                    "account_label": account_label(str(entry.get("account_id", "")), self.names, self.lang),
                    "region": str(entry.get("region", "")),
                    "ok": ok,
                    "status": self.label("ok") if ok else error_kind_label(str(entry.get("error_kind") or "other"), self.lang),
                    "rows": entry.get("row_count", 0) if ok else "",
                    "file": str(entry.get("file") or ""),
                    "sha256": str(entry.get("sha256") or ""),
                }
            )
        rows.sort(key=lambda r: (r["dataset"], r["account"], r["region"]))
        return rows

    def layer_rows(self) -> list[dict[str, str]]:
        return layer_rows((v.finding for v in self.findings), self.lang)


def layer_rows(findings: Iterable[Finding], lang: str) -> list[dict[str, str]]:
    """Per finding reporting defense layers (a ``layer_state`` under each ``layer`` name of its details): the
    account, each layer's state and the verdict, in words, most serious first; a row repeated (one per item) once."""
    layers = [k.split(".", 1)[1] for k in keys("layer")]
    rows: list[dict[str, str]] = []
    for finding in most_serious_first(findings):
        details = finding.details or {}
        states = {layer: details.get(layer) for layer in layers}
        if not all(isinstance(s, str) and has(f"layer_state.{s}") for s in states.values()):
            continue
        row = {"account": finding.account_id, **{layer: t(f"layer_state.{s}", lang) for layer, s in states.items()}}
        row["verdict"] = verdict_label(finding.verdict.value, lang)
        if row not in rows:
            rows.append(row)
    return rows


def _document(row: dict[str, Any]) -> dict[str, str]:
    """A document listed for an item, as shown: title, location, date (approval, else last review), approver."""
    date = row.get("approval_date") or row.get("last_review_date") or row.get("date") or ""
    return {
        k: str(v or "")
        for k, v in (
            ("title", row.get("title")),
            ("location", row.get("location")),
            ("date", date),
            ("approver", row.get("approver")),
        )
    }


def _judgment(judgment: dict[str, Any] | None, lang: str) -> dict[str, str] | None:
    if not judgment or not judgment.get("verdict"):
        return None
    verdict = str(judgment["verdict"])
    return {"verdict": verdict, "label": verdict_label(verdict, lang), "rationale": str(judgment.get("rationale") or "")}


def _override(override: dict[str, Any] | None, lang: str) -> dict[str, str] | None:
    """The assessor's override in words: "Assessor's override: Non-compliant → Partially compliant (rationale: ...)"."""
    if not override:
        return None
    before, after = str(override.get("from") or ""), str(override.get("to") or "")
    rationale = str(override.get("rationale") or "")
    labels_ = {"from_label": verdict_label(before, lang), "to_label": verdict_label(after, lang)}
    text = t("report.item.override_text", lang, before=labels_["from_label"], after=labels_["to_label"], rationale=rationale)
    return {"from": before, "to": after, "rationale": rationale, "text": text, **labels_}


def _pending_note(verdict: str, control: Any, lang: str) -> str:
    """Why an item is still undecided, stated as a fact (never as a task): nothing needed has been received."""
    if verdict != "manual":
        return ""
    return t("report.item.pending_hybrid" if control.checks and control.mode == "hybrid" else "report.item.pending", lang)


def _undecided(control: Any) -> ItemResult:
    """The result of an item the assessment has none for (never expected: every item is rolled up)."""
    return ItemResult(
        control.control_id,
        "manual",
        control.title_ja,
        control.title_en,
        None,
        control.section,
        control.kind,
        control.mode,
        list(control.checks),
        None,
        "no_findings",
        {v: 0 for v in VERDICT_ORDER},
    )


__all__ = [
    "EVIDENCE_CELL_CHARS",
    "CheckText",
    "EvidenceRows",
    "FindingView",
    "ItemView",
    "ReportView",
    "check_texts",
    "evidence_table",
    "field_label",
    "format_value",
    "group_heading",
    "label",
    "labels",
    "select_evidence",
    "verdict_label",
]
