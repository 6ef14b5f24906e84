"""The annotated assessment document: a language-specific model of one run, rendered with jinja2.

:func:`build_document` turns an :class:`~assess_lib.pipeline.Assessment` into a plain
dictionary (cover, executive summary, every guideline item, appendices);
:func:`render_html` renders it with ``templates/report.html.j2``. The same HTML
serves the browser (self-contained: no script, no external URL) and WeasyPrint
(``for_pdf=True`` adds the embedded-font ``@font-face`` and print rules).

Every customer-controlled string reaches the page through jinja2's autoescaping
(or :func:`display.esc` for the few fragments built by hand), and every string
printed passes :func:`export.mask_secrets` on the way out (the environment's
``finalize``), so an access key ID never appears in full.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
import os
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import jinja2
from markupsafe import Markup

from .. import __version__
from ..datasets import DATASETS
from ..evidence import ERROR_KIND_LABELS
from ..findings import VERDICT_COLOURS, VERDICT_LABELS, VERDICT_ORDER, Finding
from . import display
from ..redact import mask_secrets

if TYPE_CHECKING:
    from ..catalog import Control
    from ..pipeline import Assessment

TEMPLATES = Path(__file__).with_name("templates")

# The assessing firm printed on the cover. The params file has no key for it (its schema is a
# contract), so a deployment sets FSA_KIT_ASSESSOR; "日本語名 / English name" gives one per language.
ASSESSOR_ENV = "FSA_KIT_ASSESSOR"
DEFAULT_ASSESSOR = {"ja": "AWSパートナー（評価者）", "en": "AWS Partner (assessor)"}

# Bounds that keep a 176-item document readable; the workbook always holds everything.
FINDINGS_PER_ITEM = 10
EVIDENCE_ROWS_PER_TABLE = 6
KEY_FINDINGS = 15
EVIDENCE_CELL_CHARS = 240
EVIDENCE_MAX_COLUMNS = 9  # for datasets without a curated column list (display.EVIDENCE_COLUMNS)
EVIDENCE_SHORT_CELL = 64

JST = dt.timezone(dt.timedelta(hours=9), "JST")

SEVERITY_ORDER = ["critical", "high", "medium", "low"]
SEVERITY_LABELS = {
    "critical": {"ja": "緊急", "en": "Critical"},
    "high": {"ja": "高", "en": "High"},
    "medium": {"ja": "中", "en": "Medium"},
    "low": {"ja": "低", "en": "Low"},
    "info": {"ja": "情報", "en": "Info"},
}

# Headings of the guideline that hold no item of their own, so the catalogue has no record
# carrying their title (chapter 2 itself and three level-3 groupings).
GROUP_HEADINGS: dict[str, dict[str, str]] = {
    "2": {"ja": "サイバーセキュリティ管理態勢", "en": "Cybersecurity Management Framework"},
    "2.2.2": {"ja": "リスク管理プロセス", "en": "Risk Management Process"},
    "2.3.4": {"ja": "システムのセキュリティ対策", "en": "System Security Measures"},
    "2.5.2": {"ja": "インシデント対応及び復旧", "en": "Incident Response and Recovery"},
}

VERDICT_DEFINITIONS: dict[str, dict[str, str]] = {
    "pass": {
        "ja": "自動チェックで要件を満たしていることを確認し、人による確認が必要な部分も残っていない。",
        "en": "The automated checks show the requirement is met and no part of it is left for a human to confirm.",
    },
    "partial": {
        "ja": "一部のリソース・設定は要件を満たしているが、満たしていないものがある（項目レベルのみ）。",
        "en": "Some resources or settings meet the requirement and others do not (item level only).",
    },
    "fail": {
        "ja": "自動チェックで要件を満たしていないことを確認した。",
        "en": "The automated checks show the requirement is not met.",
    },
    "manual": {
        "ja": "人による確認が必要（組織・規程・運用面の項目、または自動チェックできない部分が残る項目）。ヒアリングと文書確認で評価する。",
        "en": "Needs a human: an organisational item, or an item with a part no machine check can see. Assess it through interviews and document review.",
    },
    "error": {
        "ja": "証跡を取得できなかった（権限不足、API未対応、リージョン無効、タイムアウト等）。適合・不適合のいずれとも判断していない。",
        "en": "The evidence could not be gathered (access denied, API not implemented, region disabled, time-out...). Neither compliant nor non-compliant.",
    },
    "not_applicable": {
        "ja": "評価対象の環境に該当するリソースが存在しない。",
        "en": "The assessed environment holds no resource the requirement applies to.",
    },
}

METHOD: dict[str, list[str]] = {
    "ja": [
        "本評価は、AWS環境およびメールドメインから読み取り専用の権限で証跡（設定・状態）を一度だけ収集して証跡バンドルとして保存し、"
        "その証跡のみを入力として自動チェックを実行したものです。証跡バンドルはマニフェストのSHA-256で同一性を確認でき、"
        "同じ証跡から何度でも同じ結果を再現できます。",
        "各自動チェックはリソースごとに検出事項（適合・不適合・取得不可・対象外）を出力します。証跡を取得できなかった場合は"
        "「取得不可」とし、適合・不適合のいずれにも数えません。",
        "項目の判定は、その項目に対応する検出事項を次の規則で集約して決めます。"
        "不適合があり、かつ適合もあれば「一部適合」、適合がなければ「不適合」。"
        "不適合がなく取得不可があれば「取得不可」。要確認が残れば「要確認」。すべて対象外なら「対象外」。それ以外は「適合」。",
        "組織・規程・運用面を含む項目（自動チェックが一部しか見られない項目）と、自動チェックのない項目には「要確認」を加えて集約します。"
        "このため、AWS上の証跡がすべて適合でも項目の判定は「要確認」となり、責任者へのヒアリングと文書確認で最終判断します。"
        "「自動チェックの判定」は自動チェックの検出事項のみを集約した参考値です。",
        "評価は証跡収集時点の状態に基づきます。収集後の設定変更、AWS以外のシステム、および組織的な対応の実効性は自動チェックの対象外です。",
    ],
    "en": [
        "The evidence (configuration and state) was collected once, with read-only permissions, from the AWS environment "
        "and the e-mail domains, and saved as an evidence bundle; the automated checks read only that bundle. The bundle "
        "is identified by the SHA-256 of its manifest, and the same evidence always reproduces the same results.",
        "Each automated check produces findings per resource (compliant, non-compliant, evidence unavailable, not "
        "applicable). Evidence that could not be gathered gives 'evidence unavailable' and is never counted as "
        "compliant or non-compliant.",
        "An item's verdict rolls up its findings: any non-compliant finding gives 'partially compliant' when something "
        "else complied and 'non-compliant' otherwise; failing that, any unavailable evidence gives 'evidence "
        "unavailable'; failing that, anything left for a human gives 'needs review'; all not applicable gives 'not "
        "applicable'; otherwise 'compliant'.",
        "Items with an organisational part the checks cannot see, and items without automated checks, also count "
        "'needs review': even when all their AWS evidence complies, the item stays 'needs review' until interviews "
        "and document review settle it. The 'automated checks' verdict rolls up the automated findings alone, for "
        "reference.",
        "The assessment reflects the state at the time of collection. Later changes, systems outside AWS and the "
        "effectiveness of organisational measures are outside the automated checks.",
    ],
}

LIMITS: dict[str, list[str]] = {
    "ja": [
        "自動チェックは証跡収集時点のAWS環境（評価範囲のアカウント・リージョン）とメールドメインの設定のみを対象とします。",
        "組織・規程・運用面の対応（方針、体制、教育、訓練、委託先管理等）は自動チェックでは判断できないため「要確認」とし、ヒアリングと文書確認で評価します。",
        "証跡を取得できなかった箇所は「取得不可」とし、適合とも不適合とも判断していません（付録B）。",
        "判定の集約方法と判定の定義は付録C、使用した閾値は付録Dに示します。",
    ],
    "en": [
        "The automated checks cover only the AWS environment in scope (accounts and regions) and the e-mail domains, as they stood when the evidence was collected.",
        "Organisational measures (policies, structure, education, exercises, third-party management...) cannot be judged by machine; they are marked 'needs review' and assessed through interviews and document review.",
        "Where evidence could not be gathered the verdict is 'evidence unavailable': neither compliant nor non-compliant (appendix B).",
        "Appendix C explains how verdicts roll up and defines them; appendix D lists the thresholds used.",
    ],
}

# Labels of the document itself (shared item labels live in display.TEXT).
LABELS: dict[str, dict[str, str]] = {
    "doc_title": {
        "ja": "サイバーセキュリティガイドライン\n対応状況アセスメント報告書",
        "en": "Cybersecurity Guideline\nAssessment Report",
    },
    "doc_title_short": {
        "ja": "サイバーセキュリティガイドライン対応状況アセスメント報告書",
        "en": "FSA cybersecurity guideline assessment",
    },
    "subtitle": {
        "ja": "金融庁「金融分野におけるサイバーセキュリティに関するガイドライン」（2024年10月4日公表、2025年7月4日改正）",
        "en": "Financial Services Agency, Guidelines on Cybersecurity for the Financial Sector (issued 4 October 2024, revised 4 July 2025)",
    },
    "confidential": {"ja": "社外秘 / Confidential", "en": "Confidential / 社外秘"},
    "customer": {"ja": "お客様", "en": "Customer"},
    "assessor": {"ja": "評価実施者", "en": "Assessed by"},
    "date": {"ja": "評価日（証跡収集日）", "en": "Assessment date (evidence collected)"},
    "collected": {"ja": "証跡収集", "en": "Evidence collected"},
    "scope": {"ja": "評価範囲", "en": "Scope"},
    "accounts": {"ja": "AWSアカウント", "en": "AWS accounts"},
    "regions": {"ja": "リージョン", "en": "Regions"},
    "domains": {"ja": "メールドメイン", "en": "E-mail domains"},
    "bundle_id": {"ja": "証跡バンドルID", "en": "Evidence bundle ID"},
    "manifest_sha": {"ja": "マニフェストSHA-256", "en": "Manifest SHA-256"},
    "kit": {"ja": "評価ツール", "en": "Assessment kit"},
    "language": {"ja": "言語", "en": "Language"},
    "none": {"ja": "なし", "en": "none"},
    "toc": {"ja": "目次", "en": "Contents"},
    "exec": {"ja": "エグゼクティブサマリー", "en": "Executive summary"},
    "overall": {"ja": "総合評価", "en": "Overall result"},
    "chart_title": {"ja": "判定の分布", "en": "Distribution of verdicts"},
    "by_section": {"ja": "節別の判定", "en": "Verdicts per section"},
    "by_chapter": {"ja": "章別の判定", "en": "Verdicts per chapter"},
    "key_findings": {"ja": "重要な検出事項", "en": "Most serious findings"},
    "key_findings_intro": {
        "ja": "不適合を重要度（緊急・高・中・低）の順に、続いて証跡を取得できなかったものを示します。",
        "en": "Non-compliant findings by severity (critical, high, medium, low), then evidence that could not be gathered.",
    },
    "no_key_findings": {
        "ja": "不適合・取得不可の検出事項はありません。",
        "en": "There is no non-compliant finding and no missing evidence.",
    },
    "key_more": {"ja": "ほか {n} 件（全件はExcelブックを参照）", "en": "and {n} more (see the workbook for all)"},
    "limits": {"ja": "評価の前提と制約", "en": "Assumptions and limitations"},
    "results": {"ja": "ガイドライン項目別の評価結果", "en": "Results per guideline item"},
    "results_intro": {
        "ja": "ガイドライン第2章の全項目をガイドラインの順に示します。各項目には、ガイドライン本文、当社コンサルタント見解、"
        "AWS環境上で当社の設計において実現すること（記載がある場合）、判定、自動チェックの検出事項と証跡、改善策を記載しています。"
        "自動チェックのない項目はヒアリングと文書確認で評価するため、本文と判定のみを簡潔に示します。",
        "en": "Every item of chapter 2 of the guideline, in guideline order: the guideline text, our consultant view and "
        "what our AWS design realises (where written), the verdict, the findings and evidence of the automated checks, "
        "and the remediation. Items without automated checks are assessed through interviews and document review, and "
        "are shown briefly with their text and verdict.",
    },
    "item": {"ja": "項目", "en": "Item"},
    "total": {"ja": "計", "en": "Total"},
    "severity": {"ja": "重要度", "en": "Severity"},
    "more_findings": {
        "ja": "ほか {n} 件（全件はExcelブック findings.xlsx を参照）",
        "en": "and {n} more (see the workbook findings.xlsx)",
    },
    "narrowed": {
        "ja": "主な列のみ表示（全列は証跡バンドルに保存）",
        "en": "main columns only (every column is in the evidence bundle)",
    },
    "see_item": {"ja": "{n} 件。表は項目 {item} に掲載", "en": "{n} rows, tabled under item {item}"},
    "more_rows": {
        "ja": "全 {total} 件中 先頭 {shown} 件を表示（全件は証跡バンドルに保存）",
        "en": "first {shown} of {total} rows (all rows are in the evidence bundle)",
    },
    "compact_note": {
        "ja": "自動チェックの対象外です。責任者へのヒアリングと規程・記録等の文書確認で評価してください。",
        "en": "Not machine-checkable: assess through interviews and review of policies and records.",
    },
    "no_findings": {"ja": "自動チェックの検出事項はありません。", "en": "The automated checks produced no finding."},
    "summary_counts": {"ja": "検出事項 {n} 件", "en": "{n} findings"},
    "appendix": {"ja": "付録", "en": "Appendix"},
    "app_evidence": {"ja": "付録A 証跡一覧", "en": "Appendix A. Evidence inventory"},
    "app_evidence_intro": {
        "ja": "証跡バンドルに含まれる全データセットです。SHA-256はデータファイルのハッシュ値（先頭16桁）で、"
        "`python -m assess_lib verify --bundle` で全ファイルを検証できます。",
        "en": "Every dataset of the evidence bundle. SHA-256 is the hash of the data file (first 16 digits); "
        "`python -m assess_lib verify --bundle` verifies every file.",
    },
    "app_errors": {
        "ja": "付録B 取得できなかった証跡と不足している権限",
        "en": "Appendix B. Evidence not gathered and missing permissions",
    },
    "no_errors": {"ja": "すべての証跡を取得できました。", "en": "All evidence was gathered."},
    "missing_permissions": {"ja": "不足している権限（IAMアクション）", "en": "Missing permissions (IAM actions)"},
    "missing_permissions_note": {
        "ja": "以下の権限を評価用ロールに付与して再収集すると、「取得不可」の項目を評価できます。",
        "en": "Grant these permissions to the assessment role and collect again to assess the items marked 'evidence unavailable'.",
    },
    "account_errors": {"ja": "アクセスできなかったアカウント", "en": "Accounts that could not be accessed"},
    "dataset_errors": {"ja": "取得できなかったデータセット", "en": "Datasets that could not be gathered"},
    "error_findings": {
        "ja": "証跡不足により判定できなかったチェック",
        "en": "Checks that could not be evaluated for want of evidence",
    },
    "app_method": {"ja": "付録C 評価方法と判定の定義", "en": "Appendix C. Method and verdict definitions"},
    "definitions": {"ja": "判定の定義", "en": "Verdict definitions"},
    "app_thresholds": {"ja": "付録D 使用した閾値", "en": "Appendix D. Thresholds used"},
    "app_checks": {"ja": "付録E 自動チェック一覧", "en": "Appendix E. Automated checks"},
    "threshold": {"ja": "閾値", "en": "Threshold"},
    "value": {"ja": "使用値", "en": "Value used"},
    "default": {"ja": "既定値", "en": "Default"},
    "changed_note": {"ja": "* 既定値から変更された値", "en": "* changed from the default"},
    "description": {"ja": "説明", "en": "Description"},
    "dataset": {"ja": "データセット", "en": "Dataset"},
    "status": {"ja": "状態", "en": "Status"},
    "error": {"ja": "エラー", "en": "Error"},
    "permissions": {"ja": "必要な権限", "en": "Permissions"},
    "items": {"ja": "対応項目", "en": "Items"},
    "definition_ja": {"ja": "定義（日本語）", "en": "Definition (Japanese)"},
    "definition_en": {"ja": "定義（英語）", "en": "Definition (English)"},
    "ok": {"ja": "取得済", "en": "ok"},
    "page": {"ja": "ページ", "en": "Page"},
    "legend": {"ja": "判定の凡例", "en": "Verdict legend"},
    "fallback_text": {"ja": "（日本語原文は未収録のため公式英訳を表示）", "en": ""},
    "automated_only": {"ja": "自動チェックの判定（参考）", "en": "Automated checks (for reference)"},
    "controls_count": {"ja": "項目数", "en": "Items"},
    "overview": {
        "ja": "ガイドライン第2章の全{total}項目を評価しました。自動チェックの対象は{auto}項目（検出事項{findings}件）で、"
        "残る項目はヒアリングと文書確認による評価が必要です。{headline}",
        "en": "All {total} items of chapter 2 of the guideline were assessed. {auto} items have automated checks "
        "({findings} findings); the others need interviews and document review. {headline}",
    },
    "headline_fail": {
        "ja": "自動チェックでは{n}項目に不適合を含む検出事項があり、優先して対応すべき事項を以下に示します。",
        "en": "The automated checks found non-compliance in {n} items; the most serious findings are listed below.",
    },
    "headline_clean": {
        "ja": "自動チェックでは不適合は検出されませんでした。",
        "en": "The automated checks found no non-compliance.",
    },
    "headline_errors": {
        "ja": "{n}件の証跡を取得できなかったため、該当する項目は「取得不可」としています（付録B）。",
        "en": "{n} datasets could not be gathered; the items concerned are marked 'evidence unavailable' (appendix B).",
    },
}


def L(key: str, lang: str) -> str:
    """A document label in ``lang``."""
    return LABELS[key]["ja" if lang == "ja" else "en"]


def other_language(lang: str) -> str:
    return "en" if lang == "ja" else "ja"


def assessor(lang: str) -> str:
    """The assessing firm: FSA_KIT_ASSESSOR ("日本語 / English" for both) or the placeholder."""
    value = (os.environ.get(ASSESSOR_ENV) or "").strip()
    if not value:
        return DEFAULT_ASSESSOR["ja" if lang == "ja" else "en"]
    if " / " in value:
        ja, en = (part.strip() for part in value.split(" / ", 1))
        return ja if lang == "ja" else en
    return value


def vlabel(verdict: str, lang: str) -> str:
    return VERDICT_LABELS.get(verdict, {"ja": verdict, "en": verdict})["ja" if lang == "ja" else "en"]


def severity_label(severity: str, lang: str) -> str:
    return SEVERITY_LABELS.get(severity, {"ja": severity, "en": severity})["ja" if lang == "ja" else "en"]


def item_label(control: "Control", lang: str) -> str:
    """① / a in Japanese, (1) / (a) in English."""
    return control.label_ja if lang == "ja" else control.label_en


def finding_sort_key(finding: Finding) -> tuple:
    """Most serious first: fail by severity, then error, then the rest by verdict order."""
    rank = SEVERITY_ORDER.index(finding.severity) if finding.severity in SEVERITY_ORDER else len(SEVERITY_ORDER)
    verdict = finding.verdict.value
    order = VERDICT_ORDER.index(verdict) if verdict in VERDICT_ORDER else len(VERDICT_ORDER)
    return (
        order,
        rank if verdict == "fail" else 0,
        finding.control_id,
        finding.check_id,
        finding.account_id,
        finding.region,
        finding.resource,
    )


def _date_text(timestamp: str | None, lang: str) -> tuple[str, str]:
    """(date in Japan time, full UTC timestamp) of an ISO timestamp."""
    if not timestamp:
        return "", ""
    try:
        when = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp, timestamp
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    local = when.astimezone(JST)
    utc = when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    if lang == "ja":
        return f"{local.year}年{local.month}月{local.day}日（日本時間）", utc
    return f"{local.day} {local.strftime('%B %Y')} (JST)", utc


def _cell(value: Any) -> str:
    """A table cell's text: lists joined, None/NaN empty, access keys masked."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return mask_secrets(str(value))


def _clip(text: str, limit: int = EVIDENCE_CELL_CHARS) -> str:
    """Cut an evidence cell (a policy document can run to pages); the bundle keeps the full value."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_specs() -> dict[str, Any]:
    from ..checks import registry

    return registry()


def check_title(check_id: str, lang: str, specs: dict[str, Any] | None = None) -> str:
    specs = _check_specs() if specs is None else specs
    try:
        return specs[check_id].title(lang)
    except (KeyError, TypeError):
        return check_id


def check_remediation(check_id: str, lang: str, specs: dict[str, Any] | None = None) -> str:
    specs = _check_specs() if specs is None else specs
    try:
        return specs[check_id].remediation(lang)
    except (KeyError, TypeError):
        return ""


def control_datasets(control: "Control", specs: dict[str, Any]) -> list[str]:
    """Datasets read by an item's checks, first-mention order."""
    seen: list[str] = []
    for check_id in control.checks:
        spec = specs.get(check_id)
        for dataset in spec.datasets if spec else ():
            if dataset not in seen:
                seen.append(dataset)
    return seen


def findings_by_control(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.control_id, []).append(finding)
    return grouped


def scope_of(assessment: "Assessment") -> dict[str, Any]:
    """Accounts with their regions, and e-mail domains, from the manifest."""
    manifest = assessment.bundle.manifest
    accounts = list(manifest.get("accounts") or [])
    regions = manifest.get("regions") or {}
    return {
        "accounts": [{"id": str(a), "regions": [str(r) for r in regions.get(a, [])]} for a in accounts],
        "domains": [str(d) for d in manifest.get("domains", []) or []],
        "account_errors": [
            {"account": str(a), **{k: str(v) for k, v in (e or {}).items()}}
            for a, e in (manifest.get("account_errors") or {}).items()
        ],
    }


def finding_row(finding: Finding, lang: str, specs: dict[str, Any]) -> dict[str, Any]:
    return {
        "verdict": finding.verdict.value,
        "severity": finding.severity,
        "severity_label": severity_label(finding.severity, lang),
        "control_id": finding.control_id,
        "check_id": finding.check_id,
        "check": check_title(finding.check_id, lang, specs),
        "account": finding.account_id,
        "region": finding.region,
        "resource": finding.resource,
        "message": finding.message(lang),
    }


def _table(frame: Any, limit: int, dataset: str | None = None) -> dict[str, Any]:
    """A DataFrame as a bounded table of strings (rows, and columns unless the dataset names its own)."""
    total = len(frame)
    shown = frame.head(limit)
    columns = [str(c) for c in shown.columns]
    rows = [[_clip(_cell(v)) for v in row] for row in shown.itertuples(index=False)]
    narrowed = False
    if dataset not in display.EVIDENCE_COLUMNS and rows:
        # No curated column list: keep the identifying columns and the first short scalar ones, so
        # that a page never holds a dozen slivers of nested JSON (the bundle keeps every column).
        fixed = [i for i, c in enumerate(columns) if c in ("account", "region")]
        short = [
            i
            for i, c in enumerate(columns)
            if i not in fixed
            and all(len(r[i]) <= EVIDENCE_SHORT_CELL and not r[i].startswith(("{", "[")) for r in rows)
            and any(r[i] for r in rows)
        ]
        if short:
            keep = sorted(fixed + short[: EVIDENCE_MAX_COLUMNS - len(fixed)])
        else:
            keep = list(range(min(len(columns), EVIDENCE_MAX_COLUMNS)))
        narrowed = len(keep) < len(columns)
        columns = [columns[i] for i in keep]
        rows = [[r[i] for i in keep] for r in rows]
    return {"columns": columns, "rows": rows, "total": total, "shown": len(shown), "narrowed": narrowed}


def _evidence_error_rows(assessment: "Assessment", datasets: list[str] | None, lang: str) -> list[dict[str, str]]:
    wanted = set(datasets) if datasets is not None else None
    rows = []
    for entry in assessment.bundle.errors():
        if wanted is not None and entry.get("dataset") not in wanted:
            continue
        kind = entry.get("error_kind") or "other"
        label = ERROR_KIND_LABELS.get(kind, ERROR_KIND_LABELS["other"])["ja" if lang == "ja" else "en"]
        code = entry.get("error_code") or ""
        message = entry.get("error_message") or ""
        rows.append(
            {
                "dataset": str(entry.get("dataset", "")),
                "account": str(entry.get("account_id", "")),
                "region": str(entry.get("region", "")),
                "kind": kind,
                "error": label,
                "detail": f"{code}: {message}".strip(": ") if code or message else "",
                "action": str(entry.get("action") or ""),
            }
        )
    return rows


def _item(
    control: "Control",
    result: dict[str, Any],
    own: list[Finding],
    assessment: "Assessment",
    lang: str,
    specs: dict[str, Any],
    evidence_cache: dict[str, Any],
) -> dict[str, Any]:
    ordered = sorted(own, key=finding_sort_key)
    datasets = control_datasets(control, specs)
    evidence = []
    for dataset in datasets:
        if dataset not in evidence_cache:
            try:
                evidence_cache[dataset] = display.evidence_frame(assessment, dataset)
            except Exception:  # an unreadable data file must not stop the whole document
                evidence_cache[dataset] = None
        frame = evidence_cache[dataset]
        if frame is None or frame.empty:
            continue
        info = DATASETS.get(dataset)
        shown_at = evidence_cache.setdefault("_shown_at", {})
        if dataset in shown_at:
            # A dataset read by several items is tabled once, at its first item; later ones refer to it.
            table = {"ref": shown_at[dataset], "total": len(frame)}
        else:
            shown_at[dataset] = control.control_id
            table = _table(frame, EVIDENCE_ROWS_PER_TABLE, dataset)
            table["ref"] = None
        table["dataset"] = dataset
        table["description"] = (info.description_ja if lang == "ja" else info.description_en) if info else dataset
        evidence.append(table)
    failing = [c for c in control.checks if any(f.check_id == c and f.verdict.value == "fail" for f in own)]
    counts = Counter(f.verdict.value for f in own)
    compact = not control.checks and not own
    return {
        "id": control.control_id,
        "anchor": f"item-{control.control_id}",
        "label": item_label(control, lang),
        "kind": control.kind,
        "kind_label": display.t(control.kind, lang),
        "title": control.title(lang),
        "text": Markup(display.paragraphs(control.text(lang))),
        "text_fallback": lang == "ja" and not control.text_ja,
        "consultant": Markup(display.paragraphs(control.consultant_view(lang))) if control.consultant_view(lang) else None,
        "aws": Markup(display.paragraphs(control.aws_realisation(lang))) if control.aws_realisation(lang) else None,
        "verdict": result.get("verdict", "manual"),
        "automated_verdict": result.get("automated_verdict") or ("manual" if control.checks else None),
        "mode": control.mode,
        "checks": [{"id": c, "title": check_title(c, lang, specs)} for c in control.checks],
        "compact": compact,
        "hybrid": control.mode == "hybrid" and bool(control.checks),
        "counts": [{"verdict": v, "label": vlabel(v, lang), "n": counts[v]} for v in VERDICT_ORDER if counts.get(v)],
        "n_findings": len(own),
        "findings": [finding_row(f, lang, specs) for f in ordered[:FINDINGS_PER_ITEM]],
        "findings_more": max(0, len(ordered) - FINDINGS_PER_ITEM),
        "evidence": evidence,
        "evidence_errors": _evidence_error_rows(assessment, datasets, lang) if datasets else [],
        "remediation": [{"title": check_title(c, lang, specs), "text": check_remediation(c, lang, specs)} for c in failing],
    }


def _outline(assessment: "Assessment", lang: str, specs: dict[str, Any]) -> list[dict[str, Any]]:
    """Chapters (2.1 ... 2.6) holding headings and items in guideline order."""
    catalog = assessment.catalog
    results = {r["control_id"]: r for r in assessment.controls}
    grouped = findings_by_control(assessment.findings)
    evidence_cache: dict[str, Any] = {}
    chapters: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    emitted: set[str] = set()
    for control in catalog:
        chapter = control.chapter
        if current is None or current["number"] != chapter:
            current = {
                "number": chapter,
                "title": control.chapter_title(lang),
                "anchor": f"sec-{chapter}",
                "blocks": [],
                "toc": [],
                "counts": Counter(),
            }
            chapters.append(current)
            emitted.add(chapter)
        # Headings for the section and any grouping level above it (2.2.2 before 2.2.2.1).
        parts = control.section.split(".")
        for depth in range(3, len(parts) + 1):
            number = ".".join(parts[:depth])
            if number in emitted:
                continue
            emitted.add(number)
            if number == control.section:
                title = control.section_title(lang)
            else:
                title = GROUP_HEADINGS.get(number, {}).get(lang, "")
            heading = {"type": "heading", "number": number, "title": title, "level": depth, "anchor": f"sec-{number}"}
            current["blocks"].append(heading)
            current["toc"].append(heading)
        result = results.get(control.control_id, {"verdict": "manual", "automated_verdict": None})
        current["counts"][result.get("verdict", "manual")] += 1
        block = _item(control, result, grouped.get(control.control_id, []), assessment, lang, specs, evidence_cache)
        block["type"] = "item"
        current["blocks"].append(block)
    for chapter in chapters:
        chapter["counts"] = [
            {"verdict": v, "label": vlabel(v, lang), "n": chapter["counts"][v]} for v in VERDICT_ORDER if chapter["counts"][v]
        ]
    return chapters


def _section_summary(assessment: "Assessment", lang: str) -> list[dict[str, Any]]:
    catalog = assessment.catalog
    rows = []
    for section in catalog.sections():
        controls = catalog.by_section(section)
        counts = Counter(r["verdict"] for r in assessment.controls if r.get("section") == section)
        rows.append(
            {
                "number": section,
                "title": controls[0].section_title(lang),
                "anchor": f"sec-{section}",
                "counts": [counts.get(v, 0) for v in VERDICT_ORDER],
                "total": sum(counts.values()),
            }
        )
    return rows


def _key_findings(assessment: "Assessment", lang: str, specs: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Failing, then unavailable, findings by severity; a check's finding counted once for all its items."""
    merged: dict[tuple, dict[str, Any]] = {}
    for finding in sorted(assessment.findings, key=finding_sort_key):
        if finding.verdict.value not in ("fail", "error"):
            continue
        key = (finding.verdict.value, finding.check_id, finding.account_id, finding.region, finding.resource)
        if key in merged:
            if finding.control_id not in merged[key]["controls"]:
                merged[key]["controls"].append(finding.control_id)
            continue
        row = finding_row(finding, lang, specs)
        row["controls"] = [finding.control_id]
        merged[key] = row
    serious = list(merged.values())
    return serious[:KEY_FINDINGS], max(0, len(serious) - KEY_FINDINGS)


def _thresholds(assessment: "Assessment", lang: str) -> list[dict[str, Any]]:
    from ..thresholds import DEFAULT_THRESHOLDS, threshold_specs

    given = (assessment.bundle.manifest.get("params") or {}).get("thresholds") or {}
    used = {**DEFAULT_THRESHOLDS, **given}
    specs = threshold_specs()
    rows = []
    for name, value in used.items():
        spec = specs.get(name, {})
        rows.append(
            {
                "name": name,
                "value": _cell(value),
                "default": _cell(spec.get("default", "")),
                "changed": name in specs and value != spec.get("default"),
                "description": spec.get("ja" if lang == "ja" else "en", ""),
            }
        )
    return rows


def _inventory(assessment: "Assessment", lang: str) -> list[dict[str, Any]]:
    rows = []
    for entry in assessment.bundle.entries():
        ok = entry.get("status") == "ok"
        kind = entry.get("error_kind") or "other"
        rows.append(
            {
                "dataset": str(entry.get("dataset", "")),
                "account": str(entry.get("account_id", "")),
                "region": str(entry.get("region", "")),
                "ok": ok,
                "status": L("ok", lang)
                if ok
                else ERROR_KIND_LABELS.get(kind, ERROR_KIND_LABELS["other"])["ja" if lang == "ja" else "en"],
                "rows": entry.get("row_count", 0) if ok else "",
                "sha": (entry.get("sha256") or "")[:16],
            }
        )
    rows.sort(key=lambda r: (r["dataset"], r["account"], r["region"]))
    return rows


def _split_actions(text: str) -> set[str]:
    return {a for a in re.split(r"[,\s]+", text or "") if ":" in a}


def _missing_permissions(error_rows: list[dict[str, str]], findings: Iterable[Finding]) -> list[str]:
    """IAM actions refused during collection (manifest errors and error findings)."""
    actions: set[str] = set()
    for row in error_rows:
        if row["kind"] == "access_denied":
            actions |= _split_actions(row["action"])
    for finding in findings:
        details = finding.details or {}
        if finding.verdict.value == "error" and details.get("error_kind") == "access_denied":
            actions |= _split_actions(str(details.get("missing_permission") or ""))
    return sorted(actions)


def _error_findings(assessment: "Assessment", lang: str, specs: dict[str, Any]) -> list[dict[str, Any]]:
    """Error findings once per check and place (the runner repeats them for every item of the check)."""
    merged: dict[tuple, dict[str, Any]] = {}
    for finding in sorted(assessment.findings, key=finding_sort_key):
        if finding.verdict.value != "error":
            continue
        key = (finding.check_id, finding.account_id, finding.region, finding.resource)
        if key in merged:
            if finding.control_id not in merged[key]["controls"]:
                merged[key]["controls"].append(finding.control_id)
            continue
        row = finding_row(finding, lang, specs)
        row["controls"] = [finding.control_id]
        row["permission"] = str((finding.details or {}).get("missing_permission") or "")
        merged[key] = row
    return list(merged.values())


def _check_list(assessment: "Assessment", lang: str, specs: dict[str, Any]) -> list[dict[str, Any]]:
    from ..checks import check_metadata

    meta = check_metadata()
    rows = []
    for check_id in assessment.catalog.check_ids():
        spec = specs.get(check_id)
        rows.append(
            {
                "id": check_id,
                "title": check_title(check_id, lang, specs),
                "severity": severity_label(meta.get(check_id, {}).get("severity", ""), lang),
                "controls": ", ".join(c.control_id for c in assessment.catalog.controls_for_check(check_id)),
                "permissions": ", ".join(spec.permissions) if spec else "",
            }
        )
    return rows


def chart_png(assessment: "Assessment", lang: str) -> bytes:
    """Verdicts overall (doughnut) and per chapter (stacked bars), as PNG bytes.

    Uses matplotlib's object API with the Agg canvas, never pyplot, so the global backend of a
    notebook kernel is left alone; ``matplotlib_fontja`` makes IPAexGothic the default font.
    """
    import matplotlib_fontja  # noqa: F401  - registers IPAexGothic
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    catalog = assessment.catalog
    results = {r["control_id"]: r["verdict"] for r in assessment.controls}
    chapters: dict[str, Counter] = {}
    titles: dict[str, str] = {}
    for control in catalog:
        chapters.setdefault(control.chapter, Counter())[results.get(control.control_id, "manual")] += 1
        titles.setdefault(control.chapter, control.chapter_title(lang))
    overall = Counter(results.values())

    fig = Figure(figsize=(7.6, 3.1), dpi=200)
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(1, 2, width_ratios=[1, 2.25], wspace=0.05)
    ax_pie = fig.add_subplot(grid[0, 0])
    ax_bar = fig.add_subplot(grid[0, 1])
    present = [v for v in VERDICT_ORDER if overall.get(v)]
    ax_pie.pie(
        [overall[v] for v in present],
        colors=[VERDICT_COLOURS[v] for v in present],
        startangle=90,
        counterclock=False,
        wedgeprops={"width": 0.38, "edgecolor": "white", "linewidth": 1.2},
    )
    ax_pie.text(0, 0.08, str(sum(overall.values())), ha="center", va="center", fontsize=15, color="#1a2b4c")
    ax_pie.text(0, -0.2, L("controls_count", lang), ha="center", va="center", fontsize=7, color="#5a6473")
    ax_pie.set_title(L("overall", lang), fontsize=9, color="#1a2b4c")
    ax_pie.set_aspect("equal")

    names = list(chapters)
    labels = [_wrap_label(f"{n} {titles[n]}", 16 if lang == "ja" else 30) for n in names]
    left = [0] * len(names)
    for verdict in VERDICT_ORDER:
        values = [chapters[n].get(verdict, 0) for n in names]
        if not any(values):
            continue
        ax_bar.barh(labels, values, left=left, color=VERDICT_COLOURS[verdict], label=vlabel(verdict, lang), height=0.62)
        left = [a + b for a, b in zip(left, values)]
    ax_bar.invert_yaxis()
    ax_bar.tick_params(axis="y", labelsize=7, length=0)
    ax_bar.tick_params(axis="x", labelsize=7)
    ax_bar.set_xlabel(L("controls_count", lang), fontsize=7)
    ax_bar.set_title(L("by_chapter", lang), fontsize=9, color="#1a2b4c")
    for side in ("top", "right"):
        ax_bar.spines[side].set_visible(False)
    ax_bar.legend(loc="lower right", fontsize=6.5, frameon=False)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.88, bottom=0.14)
    # The bar axis needs room on its left for the chapter titles.
    pos = ax_bar.get_position()
    ax_bar.set_position([pos.x0 + 0.2, pos.y0, pos.width - 0.2, pos.height])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=200, facecolor="white")
    return buffer.getvalue()


def _wrap_label(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    if " " in text[width // 2 :]:
        # wrap Latin text at a space near the middle
        cut = text.rfind(" ", 0, width + 1)
        if cut > 0:
            return text[:cut] + "\n" + text[cut + 1 :]
    return text[:width] + "\n" + text[width:]


def build_document(assessment: "Assessment", lang: str) -> dict[str, Any]:
    """The whole document as data, in ``lang`` (ja | en)."""
    lang = "ja" if lang == "ja" else "en"
    specs = _check_specs()
    bundle = assessment.bundle
    manifest = bundle.manifest
    date, started_utc = _date_text(manifest.get("started_at"), lang)
    _, finished_utc = _date_text(manifest.get("finished_at"), lang)
    try:
        manifest_sha = bundle.manifest_sha256()
    except OSError:
        manifest_sha = ""
    counts = Counter(r["verdict"] for r in assessment.controls)
    total = len(assessment.controls)
    key, key_more = _key_findings(assessment, lang, specs)
    error_rows = _evidence_error_rows(assessment, None, lang)
    failing_items = sum(1 for r in assessment.controls if (r.get("finding_counts") or {}).get("fail"))
    automated_items = sum(1 for r in assessment.controls if r.get("checks"))
    headline = L("headline_fail", lang).format(n=failing_items) if failing_items else L("headline_clean", lang)
    if error_rows:
        headline += L("headline_errors", lang).format(n=len(error_rows))
    labels = {key_: value["ja" if lang == "ja" else "en"] for key_, value in LABELS.items()}
    labels.update({key_: value["ja" if lang == "ja" else "en"] for key_, value in display.TEXT.items()})
    chapters = _outline(assessment, lang, specs)
    return {
        "lang": lang,
        "labels": labels,
        "title": L("doc_title", lang),
        "title_short": L("doc_title_short", lang),
        "customer": str(manifest.get("customer") or ""),
        "assessor": assessor(lang),
        "date": date,
        "collected": f"{started_utc} – {finished_utc}" if finished_utc else started_utc,
        "run_id": str(manifest.get("run_id", "")),
        "manifest_sha256": manifest_sha,
        "kit_version": str(manifest.get("kit_version") or __version__),
        "scope": scope_of(assessment),
        "verdicts": [
            {
                "value": v,
                "label": vlabel(v, lang),
                "label_ja": vlabel(v, "ja"),
                "label_en": vlabel(v, "en"),
                "colour": VERDICT_COLOURS[v],
                "n": counts.get(v, 0),
                "pct": f"{100 * counts.get(v, 0) / total:.0f}%" if total else "",
                "def_ja": VERDICT_DEFINITIONS[v]["ja"],
                "def_en": VERDICT_DEFINITIONS[v]["en"],
            }
            for v in VERDICT_ORDER
        ],
        "total": total,
        "overview": L("overview", lang).format(
            total=total, auto=automated_items, findings=len(assessment.findings), headline=headline
        ),
        # Markup: base64 is attribute-safe, and must not pass the access-key mask (it could match by chance).
        "chart": Markup("data:image/png;base64," + base64.b64encode(chart_png(assessment, lang)).decode("ascii")),
        "section_summary": _section_summary(assessment, lang),
        "key_findings": key,
        "key_more": key_more,
        "chapters": chapters,
        "part_number": "2",
        "part_title": GROUP_HEADINGS["2"][lang],
        "inventory": _inventory(assessment, lang),
        "errors": error_rows,
        "error_findings": _error_findings(assessment, lang, specs),
        "missing_permissions": _missing_permissions(error_rows, assessment.findings),
        "method": METHOD[lang],
        "limits": LIMITS[lang],
        "thresholds": _thresholds(assessment, lang),
        "checks": _check_list(assessment, lang, specs),
    }


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    def finalize(value: Any) -> Any:
        # Mask access key IDs in everything printed; pre-built Markup is already masked by display.esc.
        if isinstance(value, Markup) or not isinstance(value, str):
            return "" if value is None else value
        return mask_secrets(value)

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["nl2br"] = lambda text: Markup("<br>").join(display.esc(line) for line in str(text).split("\n"))
    return env


_FONT_URL_RE = re.compile(r"^file:///[A-Za-z0-9/%._~:-]+$")


def render_html(document: dict[str, Any], for_pdf: bool = False, font_url: str | None = None) -> str:
    """The document as one HTML page (CSS inline, no script, no external URL unless ``font_url`` for PDF)."""
    font_face = None
    if for_pdf and font_url:
        if not _FONT_URL_RE.match(font_url):
            raise ValueError(f"unexpected font URL {font_url!r}")
        font_face = Markup(font_url)
    template = _environment().get_template("report.html.j2")
    return template.render(
        doc=document,
        for_pdf=for_pdf,
        font_face=font_face,
        verdict_colours=VERDICT_COLOURS,
        verdict_order=VERDICT_ORDER,
    )


def write_html(assessment: "Assessment", lang: str, target: Path, document: dict[str, Any] | None = None) -> Path:
    """Render the browser document into ``target``."""
    document = document or build_document(assessment, lang)
    target.write_text(render_html(document), encoding="utf-8")
    return target


__all__ = [
    "ASSESSOR_ENV",
    "DEFAULT_ASSESSOR",
    "LABELS",
    "assessor",
    "build_document",
    "chart_png",
    "finding_sort_key",
    "render_html",
    "write_html",
]
