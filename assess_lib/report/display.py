"""Display helpers shared by notebooks and the report: HTML fragments, tables, charts.

Every customer-controlled string goes through :func:`esc` (or pandas' escaping)
before it reaches HTML.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import pandas as pd

from ..datasets import DATASETS
from ..evidence import ERROR_KIND_LABELS, GLOBAL, EvidenceUnavailable
from ..findings import (
    VERDICT_COLOURS,
    VERDICT_LABELS,
    VERDICT_ORDER,
    Finding,
    answer_only,
    answer_only_note,
    basis_label,
    severity_rank,
)
from ..redact import mask_secrets

if TYPE_CHECKING:
    from ..catalog import Control
    from ..pipeline import Assessment

TEXT = {
    "guideline": {"ja": "ガイドライン本文", "en": "Guideline text"},
    "consultant": {
        "ja": "評価者の見解（一般的に考えられる対応内容）",
        "en": "Assessor's view (measures generally expected)",
    },
    "aws": {"ja": "AWS環境での実現方法", "en": "How it can be realised on AWS"},
    "footnotes": {"ja": "注", "en": "Notes"},
    "verdict": {"ja": "判定", "en": "Verdict"},
    "automated": {"ja": "自動チェックの判定", "en": "Automated checks"},
    "findings": {"ja": "検出事項", "en": "Findings"},
    "no_checks": {
        "ja": "この項目は組織的な対応事項であり、自動チェックの対象外です。判定には、責任者へのヒアリングと文書による確認を要します。",
        "en": "This item is organisational and cannot be checked automatically; its verdict requires interviews and document review.",
    },
    "hybrid_note": {
        "ja": "AWS上の証跡で確認できる部分のみ自動判定しています。規程・運用面は別途確認が必要です。",
        "en": "Only the part visible in AWS evidence is checked automatically; policies and operations need review.",
    },
    "fundamental": {"ja": "基本的な対応事項", "en": "Fundamental response measure"},
    "recommended": {"ja": "対応が望ましい事項", "en": "Recommended measure"},
    "check": {"ja": "チェック", "en": "Check"},
    "account": {"ja": "アカウント", "en": "Account"},
    "region": {"ja": "リージョン", "en": "Region"},
    "resource": {"ja": "リソース", "en": "Resource"},
    "message": {"ja": "内容", "en": "Detail"},
    "remediation": {"ja": "改善策", "en": "Remediation"},
    "evidence": {"ja": "証跡", "en": "Evidence"},
    "rows": {"ja": "件", "en": "rows"},
    "control": {"ja": "項目", "en": "Item"},
    "title": {"ja": "タイトル", "en": "Title"},
    "count": {"ja": "件数", "en": "Count"},
    "error_evidence": {"ja": "取得できなかった証跡", "en": "Evidence that could not be gathered"},
    "more_findings_notebook": {
        "ja": 'ほか {n} 件（全件は kit.findings("{item}") とExcelブック findings.xlsx に）',
        "en": 'and {n} more (all of them: kit.findings("{item}") and the workbook findings.xlsx)',
    },
}


@lru_cache(maxsize=1)
def report_text() -> dict[str, Any]:
    """text.yaml: labels and paragraphs of the report and the notebooks (both languages)."""
    from .._yaml import load_packaged_yaml

    with open(Path(__file__).with_name("text.yaml"), encoding="utf-8") as handle:
        return load_packaged_yaml(handle)


TEXT.update(report_text()["display"])


def t(key: str, lang: str) -> str:
    return TEXT[key]["ja" if lang == "ja" else "en"]


def esc(value: Any) -> str:
    """HTML-escape any value (customer-controlled strings included), masking access key IDs."""
    return html.escape(mask_secrets("" if value is None else str(value)), quote=True)


def verdict_badge(verdict: str, lang: str) -> str:
    label = VERDICT_LABELS[verdict]["ja" if lang == "ja" else "en"]
    colour = VERDICT_COLOURS[verdict]
    return (
        f'<span class="verdict verdict-{verdict}" style="background:{colour};color:#fff;'
        f'padding:2px 8px;border-radius:3px;font-weight:bold;white-space:nowrap">{esc(label)}</span>'
    )


def paragraphs(text: str | None) -> str:
    if not text:
        return ""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    out, bullets = [], []
    for line in lines:
        if line.startswith(("- ", "・")):
            bullets.append(f"<li>{esc(line[2:] if line.startswith('- ') else line[1:])}</li>")
            continue
        if bullets:
            out.append("<ul>" + "".join(bullets) + "</ul>")
            bullets = []
        out.append(f"<p>{esc(line)}</p>")
    if bullets:
        out.append("<ul>" + "".join(bullets) + "</ul>")
    return "".join(out)


def control_heading(control: "Control", lang: str) -> str:
    kind = t(control.kind, lang)
    return (
        f"{control.control_id} {control.title(lang)}（{kind}）"
        if lang == "ja"
        else f"{control.control_id} {control.title(lang)} ({kind})"
    )


def control_html(control: "Control", result: dict[str, Any], lang: str) -> str:
    """Requirement text, consultant view, AWS realisation and verdict of one item."""
    parts = [
        f'<div class="control" id="{esc(control.control_id)}">',
        f"<h3>{esc(control_heading(control, lang))} {verdict_badge(result['verdict'], lang)}</h3>",
        f"<h4>{esc(t('guideline', lang))}</h4>",
    ]
    parts.append(f'<blockquote class="guideline">{paragraphs(control.text(lang))}</blockquote>')
    footnotes = control.footnotes(lang)
    if footnotes:
        notes = "".join(f"<li>{esc(note)}</li>" for note in footnotes)
        parts.append(f'<div class="footnotes"><p class="note">{esc(t("footnotes", lang))}</p><ul class="note">{notes}</ul></div>')
    if control.consultant_view_ja:
        parts.append(f"<h4>{esc(t('consultant', lang))}</h4>{paragraphs(control.consultant_view(lang))}")
        parts.append(f"<h4>{esc(t('aws', lang))}</h4>{paragraphs(control.aws_realisation(lang))}")
    basis = result.get("basis")
    if basis:
        parts.append(f"<p>{esc(t('basis', lang))}: {esc(basis_label(basis, lang))}</p>")
        if answer_only(basis):
            parts.append(f'<p class="note"><b>{esc(answer_only_note(lang))}</b></p>')
    if not control.checks:
        parts.append(f'<p class="note">{esc(t("no_checks", lang))}</p>')
    else:
        automated = result.get("automated_verdict") or "manual"
        parts.append(f"<p>{esc(t('automated', lang))}: {verdict_badge(automated, lang)}</p>")
        if control.mode == "hybrid":
            parts.append(f'<p class="note">{esc(t("hybrid_note", lang))}</p>')
    parts.append("</div>")
    return "".join(parts)


def findings_frame(findings: Iterable[Finding], lang: str) -> pd.DataFrame:
    """Findings as a table, most serious first (raw strings; escape when rendering)."""
    rows = [
        {
            t("verdict", lang): f.verdict.value,
            t("check", lang): f.check_id,
            t("account", lang): f.account_id,
            t("region", lang): f.region,
            t("resource", lang): mask_secrets(f.resource),
            t("message", lang): mask_secrets(f.message(lang)),
        }
        for f in sorted(findings, key=lambda f: (VERDICT_ORDER.index(f.verdict.value), f.check_id, f.resource))
    ]
    columns = [t(k, lang) for k in ("verdict", "check", "account", "region", "resource", "message")]
    return pd.DataFrame(rows, columns=columns)


def findings_html(findings: list[Finding], lang: str, limit: int | None = None, item: str = "") -> str:
    """Findings table with coloured verdicts, most serious first (every cell escaped).

    ``limit`` bounds the rows (a large estate has thousands of findings per item: a notebook
    output that size is unusable); a line then says how many more there are and where.
    """
    frame = findings_frame(findings, lang)
    if frame.empty:
        return ""
    shown = frame if limit is None else frame.head(limit)
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    body = []
    for row in shown.itertuples(index=False):
        cells = [verdict_badge(row[0], lang)] + [esc(v) for v in row[1:]]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    table = f'<table class="findings"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    if len(shown) < len(frame):
        table += f"<p>{esc(t('more_findings_notebook', lang).format(n=len(frame) - len(shown), item=item))}</p>"
    return table


def remediation_html(check_ids: list[str], findings: list[Finding], lang: str) -> str:
    from ..checks import registry

    failing = [c for c in check_ids if any(f.check_id == c and f.verdict.value == "fail" for f in findings)]
    if not failing:
        return ""
    specs = registry()
    items = "".join(f"<li><b>{esc(specs[c].title(lang))}</b>: {esc(specs[c].remediation(lang))}</li>" for c in failing)
    return f"<h4>{esc(t('remediation', lang))}</h4><ul>{items}</ul>"


# Columns shown per dataset in evidence tables (the full rows stay in the bundle); "{lang}" is the
# language of the table (ja | en). Datasets not listed show their short scalar columns.
EVIDENCE_COLUMNS: dict[str, list[str]] = {
    "ec2.regions": ["region", "enabled", "in_scope"],
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
    "s3.trail_bucket_protection": ["bucket", "versioning", "mfa_delete", "object_lock", "retention_mode", "retention_days"],
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
    "cloudfront.distributions": ["id", "domain_name", "aliases", "enabled", "comment", "web_acl_id"],
    "route53.hosted_zones": ["name", "zone_id", "private", "query_log_groups", "dnssec_status"],
    "guardduty.detectors": ["detector_id", "status", "finding_publishing_frequency"],
    "network_firewall.firewalls": ["name", "vpc_id", "status"],
    "attestation.file": ["file", "format", "prepared_by", "prepared_on", "sha256"],
    "attestation.documents": ["title", "approver", "approval_date", "last_review_date", "location"],
    "attestation.answers": ["question_{lang}", "answer"],
}

EVIDENCE_CELL_CHARS = 240  # a policy document or a DKIM key can run to pages; the bundle keeps the full value
EVIDENCE_MAX_COLUMNS = 9  # for datasets without a curated column list
EVIDENCE_SHORT_CELL = 64

_AWS_PLACEHOLDERS = frozenset({"N/A", "not_supported", "no_information"})
_JST = dt.timezone(dt.timedelta(hours=9), "JST")
_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


@lru_cache(maxsize=1)
def _field_text() -> dict[str, Any]:
    from .._yaml import load_packaged_yaml

    with open(Path(__file__).with_name("fields.yaml"), encoding="utf-8") as handle:
        return load_packaged_yaml(handle)


def humanise(name: str) -> str:
    """``access_key_1_active`` / ``AccountMFAEnabled`` as words (for a field without a label)."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z][a-z])", " ", name.replace("_", " ")).strip()
    return words[:1].upper() + words[1:]


def field_label(name: str, lang: str) -> str:
    """The heading of an evidence column (fields.yaml), else the field name in words."""
    entry = _field_text()["fields"].get(name)
    return entry["ja" if lang == "ja" else "en"] if entry else humanise(name)


def value_word(key: str, lang: str) -> str:
    return _field_text()["values"][key]["ja" if lang == "ja" else "en"]


def format_value(value: Any, lang: str, limit: int | None = EVIDENCE_CELL_CHARS) -> str:
    """A readable cell: yes/no, whole numbers without ".0", times in JST, lists and mappings as text.

    Access key IDs are masked; text beyond ``limit`` characters is cut with "…".
    """
    text = mask_secrets(_format(value, lang))
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _format(value: Any, lang: str) -> str:
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
        parts = [f"{field_label(str(k), lang)}: {_format(v, lang)}" for k, v in value.items() if v not in (None, [], {}, "")]
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
            when = when.replace(tzinfo=dt.timezone.utc)
        return when.astimezone(_JST).strftime("%Y-%m-%d %H:%M JST")
    return text


def _row_matches(row: dict[str, Any], keys: Iterable[str], resource: str) -> bool:
    """Whether a row is the resource a finding names ("sg-1 (web)", "user/alice", "root" for an ARN ending ":root")."""
    resource = resource.strip()
    for key in keys:
        value = row.get(key)
        if not isinstance(value, str) or len(value) < 2:
            continue
        if (
            value == resource
            or resource.startswith(value + " ")
            or resource.endswith("/" + value)
            or value.endswith("/" + resource)
            or value.endswith(":" + resource)
        ):
            return True
    return False


def item_datasets(control: "Control", specs: dict[str, Any]) -> list[str]:
    """Datasets read by an item's checks, first-mention order."""
    seen: list[str] = []
    for check_id in control.checks:
        spec = specs.get(check_id)
        for dataset in spec.datasets if spec else ():
            if dataset not in seen:
                seen.append(dataset)
    return seen


def item_evidence(
    assessment: "Assessment",
    control_id: str,
    specs: dict[str, Any] | None = None,
    cache: dict[tuple[str, str, str], list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """The evidence an item's findings rest on: per dataset, the rows its findings refer to.

    A finding selects, in the dataset's (account, region) of the finding, the rows whose key field names
    its resource (``DatasetInfo.key``); a finding about the whole scope ("password policy", "CloudTrail")
    matches no row by name and selects every row of its scope. Attestation datasets give the rows of the
    item itself (``DatasetInfo.item_key``). Rows of failing findings come first. Returns
    ``[{"dataset", "frame"}]`` (raw values, "account" and "region" first), datasets without rows left out.
    """
    if specs is None:
        from ..checks import registry

        specs = registry()
    cache = {} if cache is None else cache
    bundle = assessment.bundle
    control = assessment.catalog.get(control_id)
    findings = sorted(
        (f for f in assessment.findings if f.control_id == control_id and f.verdict.value != "error"),
        key=lambda f: (VERDICT_ORDER.index(f.verdict.value), severity_rank(f.severity)),
    )
    entries: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle.entries():
        if entry.get("status") == "ok":
            entries.setdefault(entry["dataset"], []).append(entry)

    def rows_of(dataset: str, entry: dict[str, Any]) -> list[dict[str, Any]]:
        key = (dataset, entry["account_id"], entry["region"])
        if key not in cache:
            cache[key] = bundle.rows(*key)
        return cache[key]

    datasets = item_datasets(control, specs)
    chosen: dict[str, dict[tuple[str, str, int], dict[str, Any]]] = {d: {} for d in datasets}
    for finding in findings:
        spec = specs.get(finding.check_id)
        if spec is None:
            continue
        # Per dataset of the check: the rows of the finding's scope, and those naming its resource.
        scoped: dict[str, list[tuple[str, str, int, dict[str, Any]]]] = {}
        named: dict[str, list[tuple[str, str, int, dict[str, Any]]]] = {}
        anchored = False
        for dataset in spec.datasets:
            if dataset not in chosen:
                continue
            info = DATASETS.get(dataset)
            for entry in entries.get(dataset, []):
                rows = rows_of(dataset, entry)
                where = (entry["account_id"], entry["region"])
                if info is not None and info.item_key:
                    named.setdefault(dataset, []).extend(
                        (*where, i, row) for i, row in enumerate(rows) if row.get(info.item_key) == control_id
                    )
                    continue
                if entry["account_id"] != finding.account_id:
                    continue
                if GLOBAL not in (finding.region, entry["region"]) and finding.region != entry["region"]:
                    continue
                in_scope = [(*where, i, row) for i, row in enumerate(rows)]
                if info is None or not info.key:
                    # One row per scope (account summary, password policy): the finding is about that row.
                    named.setdefault(dataset, []).extend(in_scope)
                    anchored = anchored or bool(in_scope)
                    continue
                scoped.setdefault(dataset, []).extend(in_scope)
                hits = [r for r in in_scope if _row_matches(r[3], info.key, finding.resource)]
                named.setdefault(dataset, []).extend(hits)
                anchored = anchored or bool(hits)
        # A finding naming no row ("CloudTrail", "GuardDuty us-east-1", an account) is about its whole scope.
        for dataset in set(named) | set(scoped):
            picked = named.get(dataset, []) + ([] if anchored else scoped.get(dataset, []))
            for account, region, index, row in picked:
                chosen[dataset].setdefault((account, region, index), row)
    tables = []
    for dataset in datasets:
        if not chosen[dataset]:
            continue
        records = [{"account": account, "region": region, **row} for (account, region, _i), row in chosen[dataset].items()]
        tables.append({"dataset": dataset, "frame": pd.DataFrame(records)})
    return tables


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
    records = shown.to_dict(orient="records")
    if dataset == "attestation.answers":
        records = [dict(r, answer=_answer_value(r, lang)) for r in records]
    narrowed = False
    if curated:
        keep = fixed + [c for c in curated if c in names]
        narrowed = len(keep) < len(names)
    else:
        others = [c for c in names if c not in ("account", "region")]
        cells = {c: [format_value(r.get(c), lang) for r in records] for c in others}
        short = [
            c
            for c in others
            if any(cells[c])
            and all(len(v) <= EVIDENCE_SHORT_CELL and not isinstance(r.get(c), (dict, list)) for v, r in zip(cells[c], records))
        ]
        keep = fixed + (short or others)[: EVIDENCE_MAX_COLUMNS - len(fixed)]
        narrowed = len(keep) < len(names)
    # Identifying columns keep a fixed width (an account ID on one line); the others share the rest.
    fixed_widths = {"account": 13.0, "region": 11.0}
    rest = [c for c in keep if c not in fixed_widths]
    share = (100.0 - sum(fixed_widths[c] for c in keep if c in fixed_widths)) / max(1, len(rest))
    return {
        "columns": [field_label(c, lang) for c in keep],
        "fields": keep,
        "widths": [fixed_widths.get(c, share) for c in keep],
        "rows": [[format_value(r.get(c), lang) for c in keep] for r in records],
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


def evidence_table_html(table: dict[str, Any]) -> str:
    """An evidence table as escaped HTML that long values (keys, policies) cannot stretch."""
    head = "".join(f"<th>{esc(c)}</th>" for c in table["columns"])
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in table["rows"])
    return (
        '<table class="evidence" style="table-layout:fixed;width:100%">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def evidence_frame(assessment: "Assessment", dataset: str, limit: int | None = None) -> pd.DataFrame:
    """One dataset over every account and region of the bundle, as a table (raw field names and values)."""
    bundle = assessment.bundle
    frames = []
    for entry in bundle.entries():
        if entry["dataset"] != dataset or entry["status"] != "ok":
            continue
        rows = bundle.rows(dataset, entry["account_id"], entry["region"])
        if not rows:
            continue
        frame = pd.DataFrame(rows)
        frame.insert(0, "region", entry["region"])
        frame.insert(0, "account", entry["account_id"])
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.map(lambda v: mask_secrets(v) if isinstance(v, str) else v)
    return frame if limit is None else frame.head(limit)


def evidence_errors_frame(assessment: "Assessment", datasets: Iterable[str] | None, lang: str) -> pd.DataFrame:
    wanted = set(datasets) if datasets is not None else None
    rows = []
    for entry in assessment.bundle.errors():
        if wanted is not None and entry["dataset"] not in wanted:
            continue
        missing = EvidenceUnavailable(
            entry["dataset"],
            entry["account_id"],
            entry["region"],
            entry.get("error_kind") or "other",
            entry.get("error_code") or "",
            entry.get("error_message") or "",
            entry.get("action") or "",
        )
        label = ERROR_KIND_LABELS.get(missing.kind, ERROR_KIND_LABELS["other"])
        rows.append(
            {
                "dataset": entry["dataset"],
                t("account", lang): entry["account_id"],
                t("region", lang): entry["region"],
                "error": label["ja" if lang == "ja" else "en"],
                "code": entry.get("error_code"),
                "IAM": entry.get("action"),
            }
        )
    return pd.DataFrame(rows)


def dataset_caption(dataset: str, count: int, shown: int, lang: str) -> str:
    """ "Evidence: <description> (<dataset>) — N rows", and which of them are shown."""
    info = DATASETS.get(dataset)
    desc = (info.description_ja if lang == "ja" else info.description_en) if info else dataset
    key = "evidence_caption_one" if count == 1 else "evidence_caption"
    caption = t(key, lang).format(description=desc, dataset=dataset, count=count)
    return caption + (t("evidence_first", lang).format(shown=shown) if shown < count else "")


def frame_html(frame: pd.DataFrame) -> str:
    """A DataFrame as an escaped HTML table."""
    return frame.to_html(index=False, escape=True, na_rep="", classes="evidence", border=0)


LAYER_CHECK = "defense_in_depth_layers"
LAYER_LABELS = {
    "entrance": {"ja": "入口対策", "en": "Entrance"},
    "internal": {"ja": "内部対策", "en": "Internal"},
    "exit": {"ja": "出口対策", "en": "Exit"},
}
LAYER_STATES = {
    "present": {"ja": "対策あり", "en": "present"},
    "partial": {"ja": "一部", "en": "partial"},
    "missing": {"ja": "対策なし", "en": "missing"},
    "not_applicable": {"ja": "対象なし", "en": "not applicable"},
}


def layers_frame(findings: Iterable[Finding], lang: str) -> pd.DataFrame:
    """One row per account: the state of each defense layer and the verdict."""
    key = "ja" if lang == "ja" else "en"
    rows = []
    for finding in findings:
        if finding.check_id != LAYER_CHECK:
            continue
        row = {t("account", lang): finding.account_id}
        for layer, labels in LAYER_LABELS.items():
            state = finding.details.get(layer)  # "present" | "partial" | "missing" | "not_applicable"
            if isinstance(state, dict):
                state = state.get("state")
            row[labels[key]] = LAYER_STATES.get(state, {}).get(key, state or "-")
        row[t("verdict", lang)] = VERDICT_LABELS[finding.verdict.value][key]
        rows.append(row)
    return pd.DataFrame(rows).drop_duplicates()


def section_summary_frame(assessment: "Assessment", lang: str) -> pd.DataFrame:
    """Control verdict counts per section, in guideline order."""
    rows = []
    catalog = assessment.catalog
    for section in catalog.sections():
        controls = catalog.by_section(section)
        counts = Counter(r["verdict"] for r in assessment.controls if r["section"] == section)
        row = {t("control", lang): section, t("title", lang): controls[0].section_title(lang)}
        for verdict in VERDICT_ORDER:
            row[VERDICT_LABELS[verdict]["ja" if lang == "ja" else "en"]] = counts.get(verdict, 0)
        rows.append(row)
    return pd.DataFrame(rows)


def verdict_chart(results: list[dict[str, Any]], findings: list[Finding], lang: str, title: str = ""):
    """Stacked bar chart: finding verdicts per item (Japanese labels render with IPAexGothic).

    matplotlib's object API with the Agg canvas, never pyplot: nothing is shown by itself, and
    :func:`chart_html` gives the figure with its alternative text.
    """
    import matplotlib_fontja  # noqa: F401  - registers IPAexGothic as the default font
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    ids = [r["control_id"] for r in results]
    fig = Figure(figsize=(8, 0.5 * len(ids) + 1.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    left = [0] * len(ids)
    for verdict in VERDICT_ORDER:
        values = [sum(1 for f in findings if f.control_id == cid and f.verdict.value == verdict) for cid in ids]
        if not any(values):
            continue
        label = VERDICT_LABELS[verdict]["ja" if lang == "ja" else "en"]
        ax.barh(ids, values, left=left, color=VERDICT_COLOURS[verdict], label=label)
        left = [a + b for a, b in zip(left, values)]
    ax.invert_yaxis()
    ax.set_xlabel("検出事項の件数" if lang == "ja" else "Number of findings")
    ax.set_title(title or chart_title(lang))
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def chart_title(lang: str) -> str:
    return "項目別の判定" if lang == "ja" else "Verdicts per item"


def chart_alt(results: list[dict[str, Any]], findings: list[Finding], lang: str, title: str = "") -> str:
    """The chart in words (alternative text): the finding counts per verdict of every item."""
    parts = []
    for result in results:
        counts = Counter(f.verdict.value for f in findings if f.control_id == result["control_id"])
        shown = ", ".join(f"{VERDICT_LABELS[v]['ja' if lang == 'ja' else 'en']} {counts[v]}" for v in VERDICT_ORDER if counts[v])
        parts.append(f"{result['control_id']}: {shown or ('検出事項なし' if lang == 'ja' else 'no findings')}")
    return f"{title or chart_title(lang)} — " + "; ".join(parts)


def chart_html(fig: Any, alt: str) -> str:
    """A figure as an inline PNG ``<img>`` with alternative text (the HTML export keeps it)."""
    import base64
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<figure style="margin:0"><img src="data:image/png;base64,{data}" alt="{esc(alt)}" style="max-width:100%"></figure>'
