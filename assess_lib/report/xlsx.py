"""The Excel workbook (findings.xlsx): the consultant's matrix layout plus verdicts and evidence.

Sheet 1 keeps the seed matrix's columns (項目, 小番号, 分類, タイトル・内容, 評価者の見解,
AWS環境での実現方法) with chapter/section header rows, and adds 判定, 証跡サマリー and 改善策.
Further sheets: every finding with every contract field, the evidence that could not be
gathered, and the evidence inventory.

Every string cell goes through :func:`export.neutralise_formula` (a resource named
``=HYPERLINK(...)`` stays text) and :func:`export.mask_secrets` (access key IDs), and loses the
control characters that the XLSX format cannot hold.
"""

from __future__ import annotations

import json
from copy import copy
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from ..evidence import ERROR_KIND_LABELS
from ..findings import VERDICT_COLOURS, VERDICT_ORDER, Finding, answer_only, answer_only_note, basis_label
from . import display
from .document import (
    GROUP_HEADINGS,
    L,
    assessor,
    check_remediation,
    check_title,
    finding_sort_key,
    findings_by_control,
    scope_regions,
    severity_label,
    vlabel,
)
from ..redact import mask_secrets, neutralise_formula

if TYPE_CHECKING:
    from ..catalog import Control
    from ..pipeline import Assessment

NAVY = "1A2B4C"
PALE = "EEF1F5"
RULE = "C9D1DC"
KEY_RESOURCES = 5
MAX_CELL = 32000  # failing resources named per item in 証跡サマリー

HEADERS = {
    "ja": [
        "項目",
        "小番号",
        "分類",
        "タイトル・内容",
        "一般的に考えられる対応内容 (評価者の見解)",
        "AWS環境での実現方法",
        "判定",
        "証跡サマリー",
        "改善策",
        "項目ID",
        display.t("basis", "ja"),  # the basis of the verdict (report/text.yaml)
    ],
    "en": [
        "Section",
        "No.",
        "Category",
        "Title and guideline text",
        "Generally expected measures (assessor's view)",
        "How it can be realised on AWS",
        "Verdict",
        "Evidence summary",
        "Remediation",
        "Item ID",
        display.t("basis", "en"),
    ],
}
MATRIX_WIDTHS = [10, 7, 16, 60, 50, 40, 13, 46, 50, 11, 24]

FINDING_FIELDS = [
    # (contract field, ja header, en header, width)
    ("control_id", "項目ID", "Control ID", 11),
    ("check_id", "チェックID", "Check ID", 26),
    ("check_title", "チェック名", "Check", 26),
    ("verdict", "判定", "Verdict", 12),
    ("verdict_value", "判定（値）", "Verdict (value)", 11),
    ("severity", "重要度", "Severity", 9),
    ("account_id", "アカウント", "Account", 15),
    ("region", "リージョン", "Region", 15),
    ("resource", "リソース", "Resource", 40),
    ("message_ja", "内容（日本語）", "Message (Japanese)", 60),
    ("message_en", "内容（英語）", "Message (English)", 60),
    ("details", "詳細", "Details", 40),
]

ERROR_FIELDS = [
    ("dataset", "データセット", "Dataset", 28),
    ("account_id", "アカウント", "Account", 15),
    ("region", "リージョン", "Region", 15),
    ("error_kind", "エラー種別", "Error", 16),
    ("error_code", "エラーコード", "Error code", 22),
    ("error_message", "エラー内容", "Error message", 50),
    ("action", "必要な権限（IAMアクション）", "Required permission (IAM action)", 40),
]

INVENTORY_FIELDS = [
    ("dataset", "データセット", "Dataset", 28),
    ("account_id", "アカウント", "Account", 15),
    ("region", "リージョン", "Region", 15),
    ("status", "状態", "Status", 10),
    ("row_count", "件数", "Rows", 8),
    ("file", "ファイル", "File", 50),
    ("sha256", "SHA-256", "SHA-256", 70),
]

SHEET_NAMES = {
    "ja": {
        "matrix": "対応状況",
        "findings": "検出事項",
        "errors": "取得不可の証跡",
        "inventory": "証跡一覧",
        "about": "本ブックについて",
    },
    "en": {
        "matrix": "Assessment",
        "findings": "Findings",
        "errors": "Evidence errors",
        "inventory": "Evidence inventory",
        "about": "About",
    },
}

TEXT = {
    "no_checks": {
        "ja": "自動チェック対象外（判定にはヒアリング・文書確認を要する）",
        "en": "No automated check (the verdict requires interviews and document review)",
    },
    "no_findings": {"ja": "自動チェックの検出事項なし", "en": "No finding from the automated checks"},
    "findings": {"ja": "検出事項 {n} 件（{counts}）", "en": "{n} findings ({counts})"},
    "failing": {"ja": "主な不適合:", "en": "Key failing resources:"},
    "errors": {"ja": "取得不可:", "en": "Evidence unavailable:"},
    "more": {"ja": "ほか {n} 件（検出事項シート参照）", "en": "and {n} more (see the findings sheet)"},
    "hybrid": {"ja": "※規程・運用面は別途確認が必要", "en": "* policies and operations need review"},
    "grant": {
        "ja": "証跡の再取得: 評価用ロールに {actions} を付与して再収集してください。",
        "en": "Collect again after granting {actions} to the assessment role.",
    },
}


def _t(key: str, lang: str) -> str:
    return TEXT[key]["ja" if lang == "ja" else "en"]


def clean(value: Any) -> Any:
    """A value safe for a cell: secrets masked, control characters dropped, formulas neutralised."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return value
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, (dict, list, tuple)) else str(value)
    value = ILLEGAL_CHARACTERS_RE.sub("", mask_secrets(value))
    if len(value) > MAX_CELL:  # Excel refuses longer cells
        value = value[: MAX_CELL - 1] + "…"
    return neutralise_formula(value)


# Every sheet is written in openpyxl's write-only (streaming) mode: rows go to disk as they are
# made, so 90,000 findings take constant memory. Cells are styled through named styles registered
# once per workbook (fresh Font/Border objects per cell make openpyxl hash every style).
HEADER = "fsa-header"
BODY = "fsa-body"
BODY_CENTRED = "fsa-body-centred"
CHAPTER = "fsa-chapter"
SECTION = "fsa-section"
UNVERIFIED = "fsa-unverified"


def _verdict_style(verdict: str) -> str:
    return f"fsa-verdict-{verdict}"


def _text_colour(verdict: str) -> str:
    return "212121" if verdict == "partial" else "FFFFFF"


def _register_styles(workbook: Workbook, font_name: str) -> None:
    side = Side(style="thin", color=RULE)
    box = Border(left=side, right=side, top=side, bottom=side)
    styles = [
        NamedStyle(
            name=HEADER,
            font=Font(name=font_name, bold=True, color="FFFFFF"),
            fill=PatternFill("solid", start_color=NAVY, end_color=NAVY),
            alignment=Alignment(vertical="center", wrap_text=True),
            border=Border(bottom=side),
        ),
        NamedStyle(name=BODY, font=Font(name=font_name), alignment=Alignment(vertical="top", wrap_text=True), border=box),
        NamedStyle(
            name=BODY_CENTRED, font=Font(name=font_name), alignment=Alignment(horizontal="center", vertical="top"), border=box
        ),
        NamedStyle(
            name=CHAPTER,
            font=Font(name=font_name, bold=True, color="FFFFFF"),
            fill=PatternFill("solid", start_color=NAVY, end_color=NAVY),
            alignment=Alignment(vertical="top", wrap_text=False),
        ),
        NamedStyle(
            name=SECTION,
            font=Font(name=font_name, bold=True, color=NAVY),
            fill=PatternFill("solid", start_color=PALE, end_color=PALE),
            alignment=Alignment(vertical="top", wrap_text=False),
        ),
    ]
    styles.append(
        NamedStyle(
            name=UNVERIFIED,
            font=Font(name=font_name, bold=True, color="FFFFFF"),
            fill=PatternFill("solid", start_color="B00020", end_color="B00020"),
            alignment=Alignment(vertical="center", wrap_text=False),
        )
    )
    for verdict in VERDICT_ORDER:
        colour = VERDICT_COLOURS[verdict].lstrip("#").upper()
        styles.append(
            NamedStyle(
                name=_verdict_style(verdict),
                fill=PatternFill("solid", start_color=colour, end_color=colour),
                font=Font(name=font_name, bold=True, color=_text_colour(verdict)),
                alignment=Alignment(horizontal="center", vertical="top", wrap_text=True),
                border=box,
            )
        )
    for style in styles:
        workbook.add_named_style(style)


def _cell(ws: WriteOnlyWorksheet, value: Any, style: str = BODY) -> WriteOnlyCell:
    """A styled cell holding ``clean(value)``; text stays text (never a formula or a number)."""
    cell = WriteOnlyCell(ws, value=clean(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    _set_style(cell, style)
    return cell


def _set_style(cell: WriteOnlyCell, style: str) -> None:
    """``cell.style = style``, without openpyxl's by-name lookup after the first cell of a style.

    Assigning a named style searches the workbook's style list every time (a third of the time of a
    90,000-row sheet); the resolved style array is the same for every cell, so it is copied instead.
    """
    resolved = _RESOLVED.setdefault(id(cell.parent.parent), {})
    template = resolved.get(style)
    if template is None:
        cell.style = style
        resolved[style] = copy(cell._style)
    else:
        cell._style = copy(template)


_RESOLVED: dict[int, dict[str, Any]] = {}  # per workbook (by id, dropped when it is saved): style name -> array


def unverified_banner(assessment: "Assessment", lang: str) -> str | None:
    """The line above every sheet of a workbook whose bundle did not verify (None otherwise)."""
    if not getattr(assessment.bundle, "verification", None):
        return None
    return f"{L('unverified_header', lang)} — {L('unverified_banner', lang)}"


def _header_row(ws: WriteOnlyWorksheet, headers: list[str], widths: list[int], banner: str | None = None) -> int:
    """Column widths, frozen header, print set-up, then the header row (write-only: before any row).

    With ``banner`` (an unverified bundle) a red line above the header says so on screen, and the page header
    on paper. Returns the header's row number.
    """
    first = 2 if banner else 1
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[first].height = 36
    ws.freeze_panes = f"A{first + 1}"
    ws.print_title_rows = f"1:{first}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if banner:
        ws.sheet_properties.tabColor = "B00020"
        ws.oddHeader.center.text = clean(banner.replace("&", "&&"))[:250]
        ws.oddHeader.center.color = "B00020"
        ws.append([_cell(ws, banner, UNVERIFIED)] + [_cell(ws, None, UNVERIFIED) for _ in headers[1:]])
    ws.append([_cell(ws, title, HEADER) for title in headers])
    return first


def item_number(control: "Control", lang: str) -> str:
    """小番号: ①②… for fundamental measures, a, b… for recommended ones ((1)/(a) in English)."""
    return control.label_ja if lang == "ja" else control.label_en


def evidence_summary(control: "Control", own: list[Finding], lang: str, errors: list[dict[str, Any]]) -> str:
    """Counts of findings per verdict, the key failing resources and the missing evidence."""
    if not control.checks and not own:
        return _t("no_checks", lang)
    if not own:
        return _t("no_findings", lang)
    counts = Counter(f.verdict.value for f in own)
    shown = " / ".join(f"{vlabel(v, lang)} {counts[v]}" for v in VERDICT_ORDER if counts.get(v))
    template = display.t("workbook_findings_one", lang) if len(own) == 1 else _t("findings", lang)
    lines = [template.format(n=len(own), counts=shown)]
    failing = sorted((f for f in own if f.verdict.value == "fail"), key=finding_sort_key)
    if failing:
        lines.append(_t("failing", lang))
        for finding in failing[:KEY_RESOURCES]:
            where = f"{finding.account_id}/{finding.region}"
            lines.append(f"・{finding.resource} ({where}) — {check_title(finding.check_id, lang)}")
        if len(failing) > KEY_RESOURCES:
            lines.append(_t("more", lang).format(n=len(failing) - KEY_RESOURCES))
    missing = sorted((f for f in own if f.verdict.value == "error"), key=finding_sort_key)
    if missing or errors:
        lines.append(_t("errors", lang))
        for finding in missing[:KEY_RESOURCES]:
            lines.append(f"・{check_title(finding.check_id, lang)}: {finding.message(lang)}")
        if not missing:
            for entry in errors[:KEY_RESOURCES]:
                kind = ERROR_KIND_LABELS.get(entry.get("error_kind") or "other", ERROR_KIND_LABELS["other"])[
                    "ja" if lang == "ja" else "en"
                ]
                lines.append(f"・{entry.get('dataset')} ({entry.get('account_id')}/{entry.get('region')}, {kind})")
        hidden = (len(missing) if missing else len(errors)) - KEY_RESOURCES
        if hidden > 0:
            lines.append(_t("more", lang).format(n=hidden))
    if control.mode == "hybrid":
        lines.append(_t("hybrid", lang))
    return "\n".join(lines)


def remediation_text(control: "Control", own: list[Finding], lang: str, errors: list[dict[str, Any]]) -> str:
    failing = [c for c in control.checks if any(f.check_id == c and f.verdict.value == "fail" for f in own)]
    lines = [f"・{check_title(c, lang)}: {check_remediation(c, lang)}" for c in failing]
    actions = set()
    for entry in errors:
        if entry.get("error_kind") == "access_denied":
            actions |= {a.strip() for a in (entry.get("action") or "").split(",") if ":" in a}
    for finding in own:
        details = finding.details or {}
        if finding.verdict.value == "error" and details.get("error_kind") == "access_denied":
            actions |= {a.strip() for a in str(details.get("missing_permission") or "").split(",") if ":" in a}
    actions = sorted(actions)
    if actions:
        lines.append(_t("grant", lang).format(actions=", ".join(actions)))
    return "\n".join(lines)


def _item_errors(control: "Control", assessment: "Assessment", specs: dict[str, Any]) -> list[dict[str, Any]]:
    datasets = {d for c in control.checks if c in specs for d in specs[c].datasets}
    return [e for e in assessment.bundle.errors() if e.get("dataset") in datasets]


def _matrix(ws: WriteOnlyWorksheet, assessment: "Assessment", lang: str) -> None:
    from ..checks import registry

    specs = registry()
    headers = HEADERS[lang]
    ncols = len(headers)
    first = _header_row(ws, headers, MATRIX_WIDTHS, unverified_banner(assessment, lang))
    results = {r["control_id"]: r for r in assessment.controls}
    grouped = findings_by_control(assessment.findings)
    rows = first
    emitted: set[str] = set()

    def heading(number: str, title: str) -> None:
        style = CHAPTER if number.count(".") <= 1 else SECTION
        values = {1: number, 4: title}
        ws.append([_cell(ws, values.get(col), style) for col in range(1, ncols + 1)])

    for control in assessment.catalog:
        parts = control.section.split(".")
        for depth in range(1, len(parts) + 1):
            number = ".".join(parts[:depth])
            if number in emitted:
                continue
            emitted.add(number)
            if number == control.section:
                title = control.section_title(lang)
            elif number == control.chapter:
                title = control.chapter_title(lang)
            else:
                title = GROUP_HEADINGS.get(number, {}).get(lang, "")
            heading(number, title)
            rows += 1
        own = grouped.get(control.control_id, [])
        errors = _item_errors(control, assessment, specs)
        verdict = results.get(control.control_id, {}).get("verdict", "manual")
        basis = results.get(control.control_id, {}).get("basis")
        basis_text = basis_label(basis, lang) if basis else ""
        if answer_only(basis):
            basis_text += "\n" + answer_only_note(lang)
        text = control.text(lang)
        footnotes = control.footnotes(lang)
        if footnotes:
            text += "\n" + "\n".join(f"{display.t('footnotes', lang)}: {note}" for note in footnotes)
        title_text = f"【{control.title(lang)}】\n{text}" if lang == "ja" else f"[{control.title(lang)}]\n{text}"
        kind = (
            ("基本的な対応事項" if control.kind == "fundamental" else "対応が望ましい事項")
            if lang == "ja"
            else ("Fundamental response measure" if control.kind == "fundamental" else "Recommended measure")
        )
        ws.append(
            [
                _cell(ws, None),
                _cell(ws, item_number(control, lang), BODY_CENTRED),
                _cell(ws, kind),
                _cell(ws, title_text),
                _cell(ws, control.consultant_view(lang)),
                _cell(ws, control.aws_realisation(lang)),
                _cell(ws, vlabel(verdict, lang), _verdict_style(verdict)),
                _cell(ws, evidence_summary(control, own, lang, errors)),
                _cell(ws, remediation_text(control, own, lang, errors)),
                _cell(ws, control.control_id),
                _cell(ws, basis_text),
            ]
        )
        rows += 1
    ws.auto_filter.ref = f"A{first}:{get_column_letter(ncols)}{rows}"


def _findings(ws: WriteOnlyWorksheet, assessment: "Assessment", lang: str) -> None:
    fields = FINDING_FIELDS
    first = _header_row(
        ws, [f[1] if lang == "ja" else f[2] for f in fields], [f[3] for f in fields], unverified_banner(assessment, lang)
    )
    verdict_column = [key for key, *_rest in fields].index("verdict")
    titles: dict[str, str] = {}
    rows = first
    for finding in sorted(assessment.findings, key=finding_sort_key):
        if finding.check_id not in titles:
            titles[finding.check_id] = check_title(finding.check_id, lang)
        data = {
            "control_id": finding.control_id,
            "check_id": finding.check_id,
            "check_title": titles[finding.check_id],
            "verdict": vlabel(finding.verdict.value, lang),
            "verdict_value": finding.verdict.value,
            "severity": severity_label(finding.severity, lang),
            "account_id": finding.account_id,
            "region": finding.region,
            "resource": finding.resource,
            "message_ja": finding.message_ja,
            "message_en": finding.message_en,
            "details": json.dumps(finding.details, ensure_ascii=False, default=str) if finding.details else "",
        }
        cells = [_cell(ws, data.get(key)) for key, *_rest in fields]
        _set_style(cells[verdict_column], _verdict_style(finding.verdict.value))
        ws.append(cells)
        rows += 1
    ws.auto_filter.ref = f"A{first}:{get_column_letter(len(fields))}{rows}"


def _rows_sheet(
    ws: WriteOnlyWorksheet, fields: list[tuple], rows: Iterable[dict[str, Any]], lang: str, banner: str | None = None
) -> None:
    first = _header_row(ws, [f[1] if lang == "ja" else f[2] for f in fields], [f[3] for f in fields], banner)
    count = first
    for data in rows:
        ws.append([_cell(ws, data.get(key)) for key, *_rest in fields])
        count += 1
    ws.auto_filter.ref = f"A{first}:{get_column_letter(len(fields))}{count}"


def _about(ws: WriteOnlyWorksheet, assessment: "Assessment", lang: str) -> None:
    manifest = assessment.bundle.manifest
    try:
        sha = assessment.bundle.manifest_sha256()
    except OSError:
        sha = ""
    ja = lang == "ja"
    banner = unverified_banner(assessment, lang)
    rows = [
        ("お客様" if ja else "Customer", manifest.get("customer", "")),
        ("評価実施者" if ja else "Assessed by", assessor(lang)),
        ("証跡収集開始" if ja else "Evidence collected from", manifest.get("started_at", "")),
        ("証跡収集終了" if ja else "Evidence collected until", manifest.get("finished_at", "")),
        (
            "AWSアカウント" if ja else "AWS accounts",
            "\n".join(f"{a}: {', '.join(scope_regions(assessment.bundle, a, lang))}" for a in manifest.get("accounts", []) or []),
        ),
        ("メールドメイン" if ja else "E-mail domains", ", ".join(manifest.get("domains", []) or [])),
        *_verification_rows(assessment, lang),
        # The identity of a bundle that did not verify is not presented as verified.
        (
            L("bundle_id_unverified", lang) if banner else "証跡バンドルID" if ja else "Evidence bundle ID",
            manifest.get("run_id", ""),
        ),
        (L("manifest_sha_unverified", lang) if banner else "マニフェストSHA-256" if ja else "Manifest SHA-256", sha),
        ("評価ツール" if ja else "Assessment kit", f"FSA guideline assessment kit {manifest.get('kit_version', '')}"),
    ]
    _rows_sheet(ws, [("k", "項目", "Field", 24), ("v", "内容", "Value", 90)], ({"k": k, "v": v} for k, v in rows), lang, banner)


def _verification_rows(assessment: "Assessment", lang: str) -> list[tuple[str, str]]:
    """The About sheet's verification rows: verified, or not (with every difference); none for a run's own bundle."""
    problems = getattr(assessment.bundle, "verification", None)
    if problems is None:
        return []
    label = L("verification", lang)
    if not problems:
        return [(label, L("verified_text", lang).format(n=len(assessment.bundle.files())))]
    rows = [(label, L("unverified_text", lang).format(n=len(problems)))]
    rows.extend((L("verification_problems", lang), problem) for problem in problems)
    return rows


def write_workbook(assessment: "Assessment", target: Path, lang: str) -> Path:
    """Write the workbook in ``lang`` (headers, labels and texts) to ``target``."""
    lang = "ja" if lang == "ja" else "en"
    font_name = "Meiryo UI" if lang == "ja" else "Calibri"
    names = SHEET_NAMES[lang]
    wb = Workbook(write_only=True)
    try:
        _register_styles(wb, font_name)
        _matrix(wb.create_sheet(names["matrix"]), assessment, lang)
        _findings(wb.create_sheet(names["findings"]), assessment, lang)
        errors = []
        for entry in assessment.bundle.errors():
            data = dict(entry)
            kind = data.get("error_kind") or "other"
            data["error_kind"] = ERROR_KIND_LABELS.get(kind, ERROR_KIND_LABELS["other"])["ja" if lang == "ja" else "en"]
            errors.append(data)
        banner = unverified_banner(assessment, lang)
        _rows_sheet(wb.create_sheet(names["errors"]), ERROR_FIELDS, errors, lang, banner)
        _rows_sheet(wb.create_sheet(names["inventory"]), INVENTORY_FIELDS, assessment.bundle.entries(), lang, banner)
        _about(wb.create_sheet(names["about"]), assessment, lang)
        customer = str(assessment.bundle.manifest.get("customer") or "")
        wb.properties.title = clean(f"{customer} FSA guideline assessment")
        wb.properties.creator = clean(assessor(lang))
        wb.save(target)
    finally:
        _RESOLVED.pop(id(wb), None)
    return target


__all__ = ["HEADERS", "SHEET_NAMES", "clean", "evidence_summary", "item_number", "write_workbook"]
