"""The Excel workbook (findings.xlsx): the consultant's matrix layout plus verdicts and evidence.

Sheet 1 keeps the seed matrix's columns (section, No., category, title and text, assessor's view, how it can
be realised on AWS; worded as the catalogue's ``report.column.*``) with chapter/section header rows, and adds
the verdict, an evidence summary and the remediation. Further sheets: every finding with every contract field
(most serious first, the order of every output), the evidence that could not be gathered, and the evidence
inventory. Everything is read from the view model (:class:`~assess_lib.report.view.ReportView`).

Every string cell goes through :func:`export.neutralise_formula` (a resource named
``=HYPERLINK(...)`` stays text) and :func:`export.mask_secrets` (access key IDs), and loses the
control characters that the XLSX format cannot hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from copy import copy
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from ..core import VERDICT_COLOURS, VERDICT_ORDER, t
from ..redact import mask_secrets, neutralise_formula
from .document import assessor, scope_regions
from .view import ItemView, ReportView, account_label, display_label, new_headings

NAVY = "1A2B4C"
PALE = "EEF1F5"
RULE = "C9D1DC"
KEY_RESOURCES = 5  # failing resources named per item in the evidence summary
MAX_CELL = 32000

# Sheet 1: (column heading key, width); the seed matrix's six first.
MATRIX_COLUMNS: list[tuple[str, int]] = [
    ("section", 10),
    ("number", 7),
    ("category", 16),
    ("title_text", 60),
    ("consultant", 50),
    ("aws", 40),
    ("verdict", 13),
    ("evidence_summary", 46),
    ("remediation", 50),
    ("item_id", 11),
    ("basis", 24),
    # The working sheet's: the customer's status, the assessor's verdict (or override) and the remediation's owner.
    ("customer_status", 16),
    ("assessor_verdict", 40),
    ("owner", 16),
    ("due_date", 12),
]

# Sheets 2-4: (field, column heading key, width).
FINDING_FIELDS: list[tuple[str, str, int]] = [
    ("control_id", "item_id", 11),
    ("check_id", "check_id", 26),
    ("check_title", "check", 26),
    ("verdict", "verdict", 12),
    ("verdict_value", "verdict_value", 11),
    ("severity", "severity", 9),
    ("account_id", "account", 15),
    ("region", "region", 15),
    ("resource", "resource", 40),
    ("message_ja", "message_ja", 60),
    ("message_en", "message_en", 60),
    ("details", "details", 40),
    ("risk_note", "accepted_status", 40),
]
ERROR_FIELDS: list[tuple[str, str, int]] = [
    ("dataset", "dataset", 28),
    ("account", "account", 15),
    ("region", "region", 15),
    ("error", "error_kind", 16),
    ("code", "error_code", 22),
    ("message", "error_message", 50),
    ("action", "permissions", 40),
]
INVENTORY_FIELDS: list[tuple[str, str, int]] = [
    ("dataset", "dataset", 28),
    ("account", "account", 15),
    ("region", "region", 15),
    ("status", "status", 10),
    ("rows", "rows", 8),
    ("file", "file", 50),
    ("sha256", "sha256", 70),
]
ABOUT_FIELDS: list[tuple[str, str, int]] = [("k", "field", 24), ("v", "value", 90)]
PLAN_FIELDS: list[tuple[str, str, int]] = [
    ("id", "item_id", 11),
    ("title", "title", 30),
    ("verdict_label", "verdict", 12),
    ("theme", "theme", 34),
    ("severity_label", "severity", 9),
    ("affected", "affected", 10),
    ("remediation", "remediation", 60),
    ("owner", "owner", 16),
    ("due_date", "due_date", 12),
    ("risk", "accepted_status", 28),
]

# Sheet name -> the heading of the same content in the report (report.heading.*).
SHEETS: dict[str, str] = {
    "matrix": "matrix",
    "plan": "remediation_plan",
    "findings": "findings",
    "errors": "evidence_errors",
    "inventory": "evidence_inventory",
    "about": "about",
}


def column(name: str, lang: str) -> str:
    return t(f"report.column.{name}", lang)


def sheet_name(sheet: str, lang: str) -> str:
    return t(f"report.heading.{SHEETS[sheet]}", lang)


HEADERS: dict[str, list[str]] = {lang: [column(key, lang) for key, _w in MATRIX_COLUMNS] for lang in ("ja", "en")}
SHEET_NAMES: dict[str, dict[str, str]] = {lang: {sheet: sheet_name(sheet, lang) for sheet in SHEETS} for lang in ("ja", "en")}


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


def unverified_banner(bundle: Any, lang: str) -> str | None:
    """The line above every sheet of a workbook whose bundle did not verify (None otherwise)."""
    if not getattr(bundle, "verification", None):
        return None
    return f"{t('report.doc.unverified_header', lang)} — {t('report.doc.unverified_banner', lang)}"


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


def _bullet(text: str, lang: str) -> str:
    return t("report.workbook.bullet", lang, text=text)


def evidence_summary(item: ItemView, lang: str) -> str:
    """Counts of findings per verdict, the key failing resources and the missing evidence (most serious first)."""
    own = item.findings
    errors = item.evidence_errors
    if not item.checks and not own:
        return t("report.workbook.no_checks", lang)
    if not own:
        return t("report.workbook.no_findings", lang)
    shown = " / ".join(f"{display_label(v, lang)} {n}" for v, n in item.counts.items())
    key = "report.workbook.findings_one" if len(own) == 1 else "report.workbook.findings"
    lines = [t(key, lang, n=len(own), counts=shown)]
    sheet = sheet_name("findings", lang)
    failing = [f for f in own if f.verdict == "fail" and f.risk != "accepted"]
    if failing:
        lines.append(t("report.workbook.failing", lang))
        for finding in failing[:KEY_RESOURCES]:
            lines.append(_bullet(f"{finding.resource} ({finding.account_label}/{finding.region}) — {finding.check}", lang))
        if len(failing) > KEY_RESOURCES:
            lines.append(t("report.workbook.more", lang, n=len(failing) - KEY_RESOURCES, sheet=sheet))
    missing = [f for f in own if f.verdict == "error"]
    if missing or errors:
        lines.append(t("report.workbook.errors", lang))
        for finding in missing[:KEY_RESOURCES]:
            lines.append(_bullet(f"{finding.check}: {finding.message}", lang))
        if not missing:
            for entry in errors[:KEY_RESOURCES]:
                lines.append(_bullet(f"{entry['dataset']} ({entry['account']}/{entry['region']}, {entry['error']})", lang))
        hidden = (len(missing) if missing else len(errors)) - KEY_RESOURCES
        if hidden > 0:
            lines.append(t("report.workbook.more", lang, n=hidden, sheet=sheet))
    if item.mode == "hybrid":
        lines.append(t("report.workbook.hybrid", lang))
    return "\n".join(lines)


def remediation_text(item: ItemView, lang: str) -> str:
    """The remediation of every check with a failure, and the permissions to grant for missing evidence."""
    lines = [_bullet(f"{c.title}: {c.remediation}", lang) for c in item.remediation]
    if item.missing_actions:
        lines.append(t("report.workbook.grant", lang, actions=", ".join(item.missing_actions)))
    return "\n".join(lines)


def _title_and_text(item: ItemView, lang: str) -> str:
    text = item.text
    if item.footnotes:
        text += "\n" + "\n".join(t("report.workbook.footnote", lang, note=note) for note in item.footnotes)
    return t("report.item.title_and_text", lang, title=item.title) + "\n" + text


def _basis_text(item: ItemView, lang: str) -> str:
    text = item.basis_label
    if item.answer_only:
        text += "\n" + t("basis.answer_only_note", lang)
    return text


def _assessor_text(item: ItemView) -> str:
    """The assessor's verdict with its rationale, or the override as the report words it."""
    if item.override:
        return item.override["text"]
    if item.judgment:
        rationale = item.judgment["rationale"]
        return item.judgment["label"] + (f"\n{rationale}" if rationale else "")
    return ""


def _matrix(ws: WriteOnlyWorksheet, view: ReportView) -> None:
    lang = view.lang
    headers = HEADERS[lang]
    ncols = len(headers)
    first = _header_row(ws, headers, [w for _k, w in MATRIX_COLUMNS], unverified_banner(view.bundle, lang))
    rows = first
    emitted: set[str] = set()

    def heading(number: str, title: str) -> None:
        style = CHAPTER if number.count(".") <= 1 else SECTION
        values = {1: number, 4: title}
        ws.append([_cell(ws, values.get(col), style) for col in range(1, ncols + 1)])

    for item in view.items:
        control = item.control
        for number, title in new_headings(control, emitted, lang):
            heading(number, title)
            rows += 1
        ws.append(
            [
                _cell(ws, None),
                _cell(ws, item.number, BODY_CENTRED),
                _cell(ws, item.kind_label),
                _cell(ws, _title_and_text(item, lang)),
                _cell(ws, item.consultant),
                _cell(ws, item.aws),
                _cell(ws, item.verdict_label, _verdict_style(item.verdict)),
                _cell(ws, evidence_summary(item, lang)),
                _cell(ws, remediation_text(item, lang)),
                _cell(ws, item.id),
                _cell(ws, _basis_text(item, lang)),
                _cell(ws, item.answer_label),
                _cell(ws, _assessor_text(item)),
                _cell(ws, item.owner),
                _cell(ws, item.due_date),
            ]
        )
        rows += 1
    ws.auto_filter.ref = f"A{first}:{get_column_letter(ncols)}{rows}"


def _findings(ws: WriteOnlyWorksheet, view: ReportView) -> None:
    """Every finding, most serious first (the order of the report's tables)."""
    lang = view.lang
    fields = FINDING_FIELDS
    first = _header_row(
        ws, [column(k, lang) for _f, k, _w in fields], [w for *_r, w in fields], unverified_banner(view.bundle, lang)
    )
    verdict_column = [name for name, *_rest in fields].index("verdict")
    rows = first
    for finding in view.findings:
        raw = finding.finding
        data = {
            "control_id": finding.control_id,
            "check_id": finding.check_id,
            "check_title": finding.check,
            "verdict": finding.shown_label,  # an accepted risk is counted apart from non-compliance
            "verdict_value": finding.verdict,
            "severity": finding.severity_label,
            "account_id": finding.account,
            "region": finding.region,
            "resource": finding.resource,
            "message_ja": raw.message_ja,
            "message_en": raw.message_en,
            "details": json.dumps(raw.details, ensure_ascii=False, default=str) if raw.details else "",
            "risk_note": finding.risk_note,
        }
        cells = [_cell(ws, data.get(name)) for name, *_rest in fields]
        if finding.shown != "accepted_risk":
            _set_style(cells[verdict_column], _verdict_style(finding.verdict))
        ws.append(cells)
        rows += 1
    ws.auto_filter.ref = f"A{first}:{get_column_letter(len(fields))}{rows}"


def _rows_sheet(
    ws: WriteOnlyWorksheet,
    fields: list[tuple[str, str, int]],
    rows: Iterable[dict[str, Any]],
    lang: str,
    banner: str | None = None,
) -> None:
    first = _header_row(ws, [column(k, lang) for _f, k, _w in fields], [w for *_r, w in fields], banner)
    count = first
    for data in rows:
        ws.append([_cell(ws, data.get(name)) for name, *_rest in fields])
        count += 1
    ws.auto_filter.ref = f"A{first}:{get_column_letter(len(fields))}{count}"


def _about(ws: WriteOnlyWorksheet, view: ReportView) -> None:
    lang = view.lang
    bundle = view.bundle
    manifest = bundle.manifest
    try:
        sha = bundle.manifest_sha256()
    except OSError:
        sha = ""
    banner = unverified_banner(bundle, lang)
    rows = [
        (view.label("customer"), manifest.get("customer", "")),
        (view.label("assessor"), assessor(lang)),
        (view.label("collected_from"), manifest.get("started_at", "")),
        (view.label("collected_until"), manifest.get("finished_at", "")),
        (
            view.label("accounts"),
            "\n".join(
                f"{account_label(str(a), view.names, lang)}: {', '.join(scope_regions(bundle, a, lang))}"
                for a in manifest.get("accounts", []) or []
            ),
        ),
        (view.label("domains"), ", ".join(manifest.get("domains", []) or [])),
        *_verification_rows(view),
        # The identity of a bundle that did not verify is not presented as verified.
        (view.label("bundle_id_unverified" if banner else "bundle_id"), manifest.get("run_id", "")),
        (view.label("manifest_sha_unverified" if banner else "manifest_sha"), sha),
        (view.label("kit"), f"FSA guideline assessment kit {manifest.get('kit_version', '')}"),
    ]
    _rows_sheet(ws, ABOUT_FIELDS, ({"k": k, "v": v} for k, v in rows), lang, banner)


def _verification_rows(view: ReportView) -> list[tuple[str, str]]:
    """The About sheet's verification rows: verified, or not (with every difference); none for a run's own bundle."""
    problems = getattr(view.bundle, "verification", None)
    if problems is None:
        return []
    lang = view.lang
    name = view.label("verification")
    if not problems:
        return [(name, t("report.doc.verified_text", lang, n=len(view.bundle.files())))]
    rows = [(name, t("report.doc.unverified_text", lang, n=len(problems)))]
    rows.extend((view.label("verification_problems"), problem) for problem in problems)
    return rows


def write_workbook(assessment: Any, target: Path, lang: str, view: ReportView | None = None) -> Path:
    """Write the workbook in ``lang`` (headers, labels and texts) to ``target``, from the view model (built here
    unless given)."""
    lang = "ja" if lang == "ja" else "en"
    view = view if view is not None and view.lang == lang else ReportView(assessment, lang)
    font_name = "Meiryo UI" if lang == "ja" else "Calibri"
    wb = Workbook(write_only=True)
    try:
        _register_styles(wb, font_name)
        _matrix(wb.create_sheet(sheet_name("matrix", lang)), view)
        banner = unverified_banner(view.bundle, lang)
        _rows_sheet(wb.create_sheet(sheet_name("plan", lang)), PLAN_FIELDS, view.remediation_plan(), lang, banner)
        _findings(wb.create_sheet(sheet_name("findings", lang)), view)
        _rows_sheet(wb.create_sheet(sheet_name("errors", lang)), ERROR_FIELDS, view.error_rows, lang, banner)
        _rows_sheet(wb.create_sheet(sheet_name("inventory", lang)), INVENTORY_FIELDS, view.inventory(), lang, banner)
        _about(wb.create_sheet(sheet_name("about", lang)), view)
        customer = str(view.bundle.manifest.get("customer") or "")
        wb.properties.title = clean(t("report.doc.workbook_title", lang, customer=customer))
        wb.properties.creator = clean(assessor(lang))
        wb.save(target)
    finally:
        _RESOLVED.pop(id(wb), None)
    return target


__all__ = ["HEADERS", "SHEET_NAMES", "clean", "evidence_summary", "write_workbook"]
