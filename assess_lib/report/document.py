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
from ..findings import (
    SEVERITY_ORDER,
    VERDICT_COLOURS,
    VERDICT_LABELS,
    VERDICT_ORDER,
    Finding,
    answer_only,
    answer_only_note,
    basis_label,
    basis_list,
    rollup_rules,
    severity_levels,
    severity_rank,
)
from ..findings import severity_label as _severity_label
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

# Bounds that keep a 176-item document readable; the workbook always holds everything, and an item
# whose findings do not all fit says how many more there are (how many of them fail) and where.
FINDINGS_PER_ITEM = 10  # rows per item when it has fewer failures than that
FAILS_PER_ITEM = 40  # failures are listed before anything else, up to this many
EVIDENCE_ROWS_PER_TABLE = 6
KEY_FINDINGS = 15
EVIDENCE_CELL_CHARS = display.EVIDENCE_CELL_CHARS

JST = dt.timezone(dt.timedelta(hours=9), "JST")

# Headings of the guideline that hold no item of their own, so the catalogue has no record carrying
# their title (chapter 2 itself and three level-3 groupings): the official titles, in text.yaml.
GROUP_HEADINGS: dict[str, dict[str, str]] = {
    number: {"ja": str(titles["ja"]), "en": str(titles["en"])}
    for number, titles in display.report_text()["group_headings"].items()
}


def verdict_definition(verdict: str, lang: str) -> str:
    """The definition of a verdict for the legend and appendix C (text.yaml)."""
    return display.report_text()["verdict_definitions"][verdict]["ja" if lang == "ja" else "en"]


def _text() -> dict[str, Any]:
    """text.yaml: the document's paragraphs and the labels added to LABELS and display.TEXT."""
    return display.report_text()


def method_paragraphs(lang: str) -> list[str]:
    return list(_text()["method"]["ja" if lang == "ja" else "en"])


def limit_paragraphs(lang: str) -> list[str]:
    return list(_text()["limits"]["ja" if lang == "ja" else "en"])


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
        "ja": "ガイドライン第2章の全項目をガイドラインの順に示します。各項目には、ガイドライン本文、評価者の見解、"
        "AWS環境での実現方法（記載がある場合）、判定とその根拠、自動チェックの検出事項と証跡、改善策を記載しています。"
        "自動チェックの対象外で判定にヒアリングと文書確認を要する項目は、本文と判定のみを簡潔に示します。",
        "en": "Every item of chapter 2 of the guideline, in guideline order: the guideline text, the assessor's view and "
        "how it can be realised on AWS (where written), the verdict and its basis, the findings and evidence of the "
        "automated checks, and the remediation. Items that cannot be checked automatically and whose verdict requires "
        "interviews and document review are shown briefly with their text and verdict.",
    },
    "item": {"ja": "項目", "en": "Item"},
    "total": {"ja": "計", "en": "Total"},
    "severity": {"ja": "重要度", "en": "Severity"},
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
        "ja": "自動チェックの対象外です。判定には、責任者へのヒアリングと規程・記録等の文書による確認を要します。",
        "en": "Not machine-checkable: the verdict requires interviews and review of policies and records.",
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
    "definition_ja": {"ja": "定義（日本語）", "en": "Definition (Japanese)"},
    "definition_en": {"ja": "定義（英語）", "en": "Definition (English)"},
    "ok": {"ja": "取得済", "en": "ok"},
    "page": {"ja": "ページ", "en": "Page"},
    "legend": {"ja": "判定の凡例", "en": "Verdict legend"},
    "automated_only": {"ja": "自動チェックの判定（参考）", "en": "Automated checks (for reference)"},
    "controls_count": {"ja": "項目数", "en": "Items"},
    "overview": {
        "ja": "ガイドライン第2章の全{total}項目を評価しました。自動チェックの対象は{auto}項目（検出事項{findings}件）で、"
        "残る項目はヒアリングと文書確認による評価が必要です。{headline}",
        "en": "All {total} items of chapter 2 of the guideline were assessed. {auto} items have automated checks "
        "({findings} findings); the others need interviews and document review. {headline}",
    },
}


LABELS.update(_text()["document"])


def L(key: str, lang: str) -> str:
    """A document label in ``lang``."""
    return LABELS[key]["ja" if lang == "ja" else "en"]


def count_text(n: int, lang: str, one: str, many: str) -> str:
    """A count with its noun in the right number ("1 finding", "3 findings")."""
    return L(one if n == 1 else many, lang).format(n=n)


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
    return _severity_label(severity, lang)


def item_label(control: "Control", lang: str) -> str:
    """① / a in Japanese, (1) / (a) in English."""
    return control.label_ja if lang == "ja" else control.label_en


def finding_sort_key(finding: Finding) -> tuple:
    """Most serious first: fail by severity, then error, then the rest by verdict order."""
    rank = severity_rank(finding.severity)
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


VERIFICATION_PROBLEMS_SHOWN = 50


def trust_of(bundle: Any, lang: str) -> dict[str, Any]:
    """Whether the bundle behind the document was verified: state None (not checked: a run's own bundle,
    just collected), ``verified`` or ``unverified`` (rendered anyway, with the differences listed)."""
    problems = getattr(bundle, "verification", None)
    if problems is None:
        return {"state": None}
    if not problems:
        return {"state": "verified", "text": L("verified_text", lang).format(n=len(bundle.files()))}
    return {
        "state": "unverified",
        "header": L("unverified_header", lang),
        "banner": L("unverified_banner", lang),
        "text": L("unverified_text", lang).format(n=len(problems)),
        "problems": list(problems[:VERIFICATION_PROBLEMS_SHOWN]),
        "more": L("verification_more", lang).format(n=len(problems) - VERIFICATION_PROBLEMS_SHOWN)
        if len(problems) > VERIFICATION_PROBLEMS_SHOWN
        else "",
    }


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


def _cell(value: Any, lang: str = "en") -> str:
    """A table cell's text (display.format_value: readable values, access keys masked)."""
    return display.format_value(value, lang, limit=None)


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
    return display.item_datasets(control, specs)


def findings_by_control(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.control_id, []).append(finding)
    return grouped


def scope_of(assessment: "Assessment", lang: str = "en") -> dict[str, Any]:
    """Accounts with their regions, and e-mail domains, from the manifest."""
    manifest = assessment.bundle.manifest
    accounts = list(manifest.get("accounts") or [])
    return {
        "accounts": [{"id": str(a), "regions": scope_regions(assessment.bundle, a, lang)} for a in accounts],
        "domains": [str(d) for d in manifest.get("domains", []) or []],
        "account_errors": [_account_error(str(a), e or {}, lang) for a, e in (manifest.get("account_errors") or {}).items()],
    }


def scope_regions(bundle: Any, account: str, lang: str) -> list[str]:
    """An account's regions in scope as shown on the cover; an unknown scope says so (its regional checks
    are errors naming the cause, checks/context.py)."""
    from ..checks.context import region_scope_error

    listed = (bundle.manifest.get("regions") or {}).get(account)
    regions = [str(r) for r in listed] if isinstance(listed, list) else []
    if region_scope_error(bundle, account) is not None:
        regions.append(L("regions_unknown", lang))
    return regions


def _account_error(account: str, error: dict[str, Any], lang: str) -> dict[str, str]:
    """An account that could not be accessed: the kind in the reader's language, the code apart."""
    kind = str(error.get("kind") or error.get("error_kind") or "other")
    label = ERROR_KIND_LABELS.get(kind, ERROR_KIND_LABELS["other"])["ja" if lang == "ja" else "en"]
    message = str(error.get("message") or error.get("error_message") or "")
    return {
        "account": account,
        "error": label,
        "code": str(error.get("code") or error.get("error_code") or ""),
        "detail": message if lang != "ja" else "",
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


def _evidence_error_rows(assessment: "Assessment", datasets: list[str] | None, lang: str) -> list[dict[str, str]]:
    wanted = set(datasets) if datasets is not None else None
    rows = []
    for entry in assessment.bundle.errors():
        if wanted is not None and entry.get("dataset") not in wanted:
            continue
        kind = entry.get("error_kind") or "other"
        label = ERROR_KIND_LABELS.get(kind, ERROR_KIND_LABELS["other"])["ja" if lang == "ja" else "en"]
        code = str(entry.get("error_code") or "")
        message = str(entry.get("error_message") or "")
        rows.append(
            {
                "dataset": str(entry.get("dataset", "")),
                "account": str(entry.get("account_id", "")),
                "region": str(entry.get("region", "")),
                "kind": kind,
                "error": label,
                "code": code,
                # The library's message is English: the Japanese document gives the kind and the code only.
                "detail": message if lang != "ja" else "",
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
    workbook: str,
) -> dict[str, Any]:
    ordered = sorted(own, key=finding_sort_key)
    datasets = control_datasets(control, specs)
    # Every failure first (up to FAILS_PER_ITEM), then the rest up to FINDINGS_PER_ITEM rows.
    fails = [f for f in ordered if f.verdict.value == "fail"]
    others = [f for f in ordered if f.verdict.value != "fail"]
    listed = fails[:FAILS_PER_ITEM] + others[: max(0, FINDINGS_PER_ITEM - len(fails))]
    listed_ids = {id(f) for f in listed}
    hidden = [f for f in ordered if id(f) not in listed_ids]
    evidence = []
    row_cache = evidence_cache.setdefault("_rows", {})
    tabled = evidence_cache.setdefault("_tabled", {})
    for shown in display.item_evidence(assessment, control.control_id, specs, row_cache):
        dataset = shown["dataset"]
        info = DATASETS.get(dataset)
        table = display.evidence_table(shown["frame"], dataset, lang, EVIDENCE_ROWS_PER_TABLE)
        # The same rows under an earlier item (one credential report row for three root checks) are
        # tabled once; later items refer to it.
        signature = (dataset, tuple(tuple(r) for r in table["rows"]), table["total"])
        table["ref"] = tabled.get(signature)
        tabled.setdefault(signature, control.control_id)
        table["dataset"] = dataset
        table["description"] = (info.description_ja if lang == "ja" else info.description_en) if info else dataset
        evidence.append(table)
    failing = [c for c in control.checks if any(f.check_id == c and f.verdict.value == "fail" for f in own)]
    counts = Counter(f.verdict.value for f in own)
    compact = not control.checks and not own
    basis = result.get("basis")
    return {
        "id": control.control_id,
        "anchor": f"item-{control.control_id}",
        "label": item_label(control, lang),
        "kind": control.kind,
        "kind_label": display.t(control.kind, lang),
        "title": control.title(lang),
        "text": Markup(display.paragraphs(control.text(lang))),
        "footnotes": list(control.footnotes(lang)),
        "consultant": Markup(display.paragraphs(control.consultant_view(lang))) if control.consultant_view(lang) else None,
        "aws": Markup(display.paragraphs(control.aws_realisation(lang))) if control.aws_realisation(lang) else None,
        "verdict": result.get("verdict", "manual"),
        "automated_verdict": result.get("automated_verdict") or ("manual" if control.checks else None),
        "basis": basis_list(basis),
        "basis_label": basis_label(basis, lang) if basis else "",
        "answer_only": answer_only(basis),
        "answer_only_note": answer_only_note(lang) if answer_only(basis) else "",
        "mode": control.mode,
        "checks": [{"id": c, "title": check_title(c, lang, specs)} for c in control.checks],
        "compact": compact,
        "hybrid": control.mode == "hybrid" and bool(control.checks),
        "counts": [{"verdict": v, "label": vlabel(v, lang), "n": counts[v]} for v in VERDICT_ORDER if counts.get(v)],
        "n_findings": len(own),
        "counts_text": count_text(len(own), lang, "summary_counts_one", "summary_counts"),
        "findings": [finding_row(f, lang, specs) for f in listed],
        "findings_more": len(hidden),
        "findings_more_text": _more_findings(hidden, lang, workbook) if hidden else "",
        "evidence": evidence,
        "evidence_errors": _evidence_error_rows(assessment, datasets, lang) if datasets else [],
        "remediation": [{"title": check_title(c, lang, specs), "text": check_remediation(c, lang, specs)} for c in failing],
    }


def _more_findings(hidden: list[Finding], lang: str, workbook: str) -> str:
    """How many findings of an item are not listed, how many of them fail, and where they all are."""
    fails = sum(1 for f in hidden if f.verdict.value == "fail")
    key = "more_findings" if fails else "more_findings_no_fail"
    return L(key, lang).format(n=len(hidden), fails=fails, workbook=workbook, sheet=_findings_sheet(lang))


def _findings_sheet(lang: str) -> str:
    from .xlsx import SHEET_NAMES

    return SHEET_NAMES["ja" if lang == "ja" else "en"]["findings"]


def _outline(assessment: "Assessment", lang: str, specs: dict[str, Any], workbook: str) -> list[dict[str, Any]]:
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
        block = _item(control, result, grouped.get(control.control_id, []), assessment, lang, specs, evidence_cache, workbook)
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


def headline_text(counts: Counter, error_datasets: int, lang: str) -> str:
    """The summary's verdict sentence: the same item counts as the tiles beside it."""
    fail, partial = counts.get("fail", 0), counts.get("partial", 0)
    if fail or partial:
        text = L("headline_fail", lang).format(
            fail=count_text(fail, lang, "items_one", "items_many"),
            partial=count_text(partial, lang, "items_one", "items_many"),
        )
    else:
        text = L("headline_clean", lang)
    if error_datasets:
        text += (" " if lang != "ja" else "") + count_text(error_datasets, lang, "headline_errors_one", "headline_errors")
    return text


def _method(lang: str) -> dict[str, Any]:
    """Appendix C beyond the paragraphs: the roll-up rules, the severity levels and the bases (findings.yaml)."""
    key = "ja" if lang == "ja" else "en"
    levels = [
        {
            "id": level["id"],
            "label": level[key],
            "definition": level[f"def_{key}"],
            "blocking": L("yes" if level["blocking"] else "no", lang),
        }
        for level in severity_levels()
    ]
    bases = [{"id": b, "label": basis_label(b, lang)} for b in ("evidence", "answer", "judgment")]
    return {"rollup": rollup_rules(lang), "severities": levels, "bases": bases, "answer_only": answer_only_note(lang)}


def build_document(assessment: "Assessment", lang: str, workbook: str | None = None) -> dict[str, Any]:
    """The whole document as data, in ``lang`` (ja | en).

    ``workbook`` is the file name of the workbook in the same language (named where an item's
    findings do not all fit); by default the contract name in the run's language.
    """
    lang = "ja" if lang == "ja" else "en"
    if workbook is None:
        from .publish import output_names

        run_language = (assessment.bundle.manifest.get("params") or {}).get("language") or "ja"
        workbook = output_names(run_language)[lang]["xlsx"]
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
    automated_items = sum(1 for r in assessment.controls if r.get("checks"))
    headline = headline_text(counts, len(error_rows), lang)
    labels = {key_: value["ja" if lang == "ja" else "en"] for key_, value in LABELS.items()}
    labels.update({key_: value["ja" if lang == "ja" else "en"] for key_, value in display.TEXT.items()})
    chapters = _outline(assessment, lang, specs, workbook)
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
        "trust": trust_of(bundle, lang),
        "kit_version": str(manifest.get("kit_version") or __version__),
        "scope": scope_of(assessment, lang),
        "verdicts": [
            {
                "value": v,
                "label": vlabel(v, lang),
                "label_ja": vlabel(v, "ja"),
                "label_en": vlabel(v, "en"),
                "colour": VERDICT_COLOURS[v],
                "n": counts.get(v, 0),
                "pct": f"{100 * counts.get(v, 0) / total:.0f}%" if total else "",
                "def_ja": verdict_definition(v, "ja"),
                "def_en": verdict_definition(v, "en"),
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
        "headline": headline,
        "method": method_paragraphs(lang),
        "method_tables": _method(lang),
        "limits": limit_paragraphs(lang),
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
    "SEVERITY_ORDER",
    "assessor",
    "build_document",
    "chart_png",
    "finding_sort_key",
    "render_html",
    "write_html",
]
