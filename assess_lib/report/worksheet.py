"""The consultant's working sheet: one workbook to assess every guideline item, in Japanese or English.

Sheets: how to fill it in; the assessment sheet in the seed matrix's layout (one row per catalogue item, all
176, under their chapter and section headings) with the guideline text, the consultant's view, the AWS
realisation, the points to confirm (``catalog/checklist.py``), the run's automated verdict and a findings
summary, then the input columns (customer's status, documents, hearing notes, consultant's verdict and
rationale, remediation owner and due date); the accepted risks (exceptions) and the customer's third-party
register to fill in; and, from a run, its failing findings for reference. The structure is protected (no password), the input cells are unlocked, the
choices are drop-downs and the dates validated. The layout is shared with the reader
(:mod:`assess_lib.attestations.worksheet`); a run made with a working sheet prefills the input columns from its
bundle, so filling, running and generating again shows the answers. Every text goes through the workbook's
:func:`~assess_lib.report.xlsx.clean` (secrets masked, formulas neutralised: kept as text, never run).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from ..attestations.third_parties import GROUP as REGISTER_GROUP
from ..attestations.third_parties import REGISTER_COL, REGISTER_KEYS, THIRD_PARTIES_DATASET, register_sheet
from ..attestations.worksheet import (
    COL,
    DOCUMENT_COLUMNS,
    EXCEPTION_COL,
    EXCEPTION_KEYS,
    HEADER_ROW,
    INPUT_KEYS,
    MATRIX_KEYS,
    WORKSHEET_DATASET,
    heading,
    sheet_name,
    status_words,
    verdict_words,
)
from ..catalog import load_catalog
from ..catalog.checklist import checklist_text
from ..core.model import JUDGMENT_VERDICTS, STATUS_VERDICTS, VERDICT_ORDER, most_serious_first, severity_label
from ..core.rollup import basis_label
from ..core.text import keys, t
from .view import kind_label, new_headings
from .xlsx import BODY, BODY_CENTRED, CHAPTER, HEADER, SECTION, _register_styles, _verdict_style, clean

ORG_ACCOUNT = "org"
GLOBAL = "global"
DOCUMENTS_DATASET = "attestation.documents"
EXCEPTIONS_DATASET = "attestation.exceptions"

WIDTHS = {
    "control_id": 10,
    "number": 6,
    "category": 12,
    "title_text": 60,
    "consultant": 45,
    "aws": 40,
    "checklist": 60,
    "automated": 13,
    "summary": 45,
    "status": 15,
    "doc_title": 30,
    "doc_location": 26,
    "doc_date": 14,
    "doc_approver": 16,
    "notes": 40,
    "verdict": 15,
    "rationale": 40,
    "owner": 16,
    "due_date": 13,
}
EXCEPTION_WIDTHS = {
    "check": 30,
    "resource": 36,
    "account": 15,
    "region": 15,
    "reason": 45,
    "approver": 18,
    "approved_on": 13,
    "expires": 13,
}
REGISTER_WIDTHS = {
    "party": 28,
    "accounts": 18,
    "identifiers": 40,
    "services": 36,
    "contract": 18,
    "data": 30,
    "owner": 18,
    "reviewed_on": 13,
}
REGISTER_ROWS = 50  # empty input rows of the third-party register, beyond those prefilled
FINDING_FIELDS = (
    ("control_id", 11),
    ("check", 30),
    ("account", 15),
    ("region", 15),
    ("resource", 40),
    ("severity", 9),
    ("message", 70),
)
SUMMARY_LINES = 3  # the most serious findings quoted per item
MAX_REFERENCE_ROWS = 5_000  # failing findings listed for reference (the complete list is findings.xlsx)
EXCEPTION_ROWS = 50  # empty input rows of the accepted risks, beyond those prefilled
INPUT_FILL = PatternFill("solid", start_color="FFF8DC", end_color="FFF8DC")
UNLOCKED = Protection(locked=False)
DATE_FORMAT = "yyyy-mm-dd"


def _put(cell: Cell, value: Any, style: str | None = BODY) -> Cell:
    """``clean(value)`` into the cell: a text that would be a formula stays that text, marked as text (never run)."""
    if style:
        cell.style = style  # first: a named style replaces the whole style, the quote prefix included
    text = clean(value)
    if isinstance(value, str) and isinstance(text, str) and text.startswith("'") and not value.startswith("'"):
        cell.value = text[1:]  # the neutralising quote as the cell's quote prefix: shown and read back as typed
        cell.data_type = "s"
        cell.quotePrefix = True
    else:
        cell.value = text
        if isinstance(text, str):
            cell.data_type = "s"
    return cell


def _input(cell: Cell, value: Any = None, style: str = BODY) -> Cell:
    _put(cell, value, style)
    cell.fill = INPUT_FILL
    cell.protection = UNLOCKED
    return cell


def _protect(ws: Any) -> None:
    """Structure protected without a password: rows, columns and headings fixed; resizing and filtering allowed."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False
    ws.protection.sort = True


def _date_validation(lang: str) -> DataValidation:
    validation = DataValidation(
        type="date", operator="between", formula1="DATE(2000,1,1)", formula2="DATE(2100,12,31)", allow_blank=True
    )
    validation.error = t("worksheet.date_prompt.text", lang)
    validation.errorTitle = t("worksheet.date_prompt.title", lang)
    validation.prompt = validation.error
    validation.promptTitle = validation.errorTitle
    validation.showErrorMessage = True
    validation.showInputMessage = True
    return validation


def _list_validation(words: list[str], lang: str) -> DataValidation:
    validation = DataValidation(type="list", formula1='"' + ",".join(words) + '"', allow_blank=True)
    validation.error = t("worksheet.list_prompt.text", lang) + " " + " / ".join(words)
    validation.errorTitle = t("worksheet.list_prompt.title", lang)
    validation.showErrorMessage = True
    return validation


def _header(ws: Any, titles: list[str], widths: list[int]) -> None:
    for column, (title, width) in enumerate(zip(titles, widths, strict=True), start=1):
        _put(ws.cell(row=HEADER_ROW, column=column), title, HEADER)
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.row_dimensions[HEADER_ROW].height = 42
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


# --- what a run gives ------------------------------------------------------------------------------------------


def _org_rows(bundle: Any, dataset: str) -> list[dict[str, Any]]:
    if bundle is None or bundle.entry(dataset, ORG_ACCOUNT, GLOBAL) is None:
        return []
    try:
        return bundle.rows(dataset, ORG_ACCOUNT, GLOBAL)
    except Exception:  # noqa: BLE001 - evidence that cannot be read prefills nothing (the run reported it)
        return []


def _prefill(bundle: Any) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """The answers of the working sheet the run was made with: per item, its documents, and its accepted risks."""
    items = {row["control_id"]: row for row in _org_rows(bundle, WORKSHEET_DATASET)}
    documents: dict[str, list[dict[str, Any]]] = {}
    for row in _org_rows(bundle, DOCUMENTS_DATASET):
        if row.get("source"):  # from a working sheet (an attestation file's documents stay in that file)
            documents.setdefault(row["control_id"], []).append(row)
    exceptions = [row for row in _org_rows(bundle, EXCEPTIONS_DATASET) if "!" in str(row.get("source") or "")]
    return items, documents, exceptions


def _verdict_label(verdict: str | None, lang: str) -> str:
    return t(f"verdict.{verdict}.label", lang) if verdict else ""


def findings_summary(control: Any, result: Any, own: list[Any], lang: str) -> str:
    """Counts of the item's findings by verdict (accepted risks apart) and the most serious messages."""
    if result is None:
        return t("worksheet.no_run", lang)
    lines = []
    if not control.checks:
        lines.append(t("worksheet.no_checks", lang))
    elif not own:
        lines.append(t("worksheet.no_findings", lang))
    else:
        counts = result.finding_counts or {}
        shown = " / ".join(f"{_verdict_label(v, lang)} {counts[v]}" for v in VERDICT_ORDER if counts.get(v))
        lines.append(t("worksheet.counts", lang, n=len(own), counts=shown))
        if counts.get("accepted_risk"):
            lines.append(t("worksheet.accepted", lang, n=counts["accepted_risk"]))
        serious = [f for f in own if f.verdict.value not in ("pass", "not_applicable")]
        for finding in serious[:SUMMARY_LINES]:
            message = finding.message_en if lang == "en" else finding.message_ja
            lines.append(
                t(
                    "worksheet.finding_line",
                    lang,
                    resource=finding.resource,
                    account=finding.account_id,
                    region=finding.region,
                    message=message,
                )
            )
        if len(serious) > SUMMARY_LINES:
            lines.append(t("worksheet.more", lang, n=len(serious) - SUMMARY_LINES, sheet=sheet_name("findings", lang)))
    if result.basis and (result.verdict != result.automated_verdict or result.basis != "evidence"):
        lines.append(
            t("worksheet.decided", lang, verdict=_verdict_label(result.verdict, lang), basis=basis_label(result.basis, lang))
        )
    return "\n".join(lines)


# --- the sheets ------------------------------------------------------------------------------------------------


def _guide(ws: Any, lang: str) -> None:
    steps = keys("worksheet.guide")  # title, step1 ... in file order
    for index, key in enumerate(steps):
        cell = _put(ws.cell(row=index + 2 if index else 1, column=1), t(key, lang), None)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=13)
    ws.column_dimensions["A"].width = 120
    _protect(ws)


def _matrix(ws: Any, lang: str, assessment: Any, prefill: tuple[Any, Any, Any]) -> None:
    _header(ws, [heading(key, lang) for key in MATRIX_KEYS], [WIDTHS[key] for key in MATRIX_KEYS])
    ws.freeze_panes = "B2"
    catalog = assessment.catalog if assessment is not None else load_catalog()
    results = {item.control_id: item for item in assessment.items} if assessment is not None else {}
    by_item: dict[str, list[Any]] = {}
    if assessment is not None:
        for finding in most_serious_first(assessment.findings):
            by_item.setdefault(finding.control_id, []).append(finding)
    answers, documents, _exceptions = prefill
    status_label = dict(zip(STATUS_VERDICTS, status_words(lang), strict=True))
    verdict_label = dict(zip(JUDGMENT_VERDICTS, verdict_words(lang), strict=True))
    row = HEADER_ROW
    emitted: set[str] = set()
    first_item = None
    for control in catalog:
        for number, title in new_headings(control, emitted, lang):
            row += 1
            style = CHAPTER if number.count(".") <= 1 else SECTION
            for column in range(1, len(MATRIX_KEYS) + 1):
                _put(ws.cell(row=row, column=column), {1: number, 4: title}.get(column), style)
        row += 1
        first_item = first_item or row
        result = results.get(control.control_id)
        text = control.text(lang)
        if control.footnotes(lang):
            text += "\n" + "\n".join(control.footnotes(lang))
        automated = result.automated_verdict if result is not None else None
        fixed = {
            "control_id": control.control_id,
            "number": control.label_ja if lang == "ja" else control.label_en,
            "category": kind_label(control.kind, lang),
            "title_text": t("worksheet.title_line", lang, title=control.title(lang)) + "\n" + text,
            "consultant": control.consultant_view(lang),
            "aws": control.aws_realisation(lang),
            "checklist": checklist_text(control, lang),
            "automated": _verdict_label(automated, lang) if automated else ("" if result is None else "-"),
            "summary": findings_summary(control, result, by_item.get(control.control_id, []), lang),
        }
        for key, value in fixed.items():
            style = BODY_CENTRED if key in ("control_id", "number") else BODY
            if key == "automated" and automated:
                style = _verdict_style(automated)
            _put(ws.cell(row=row, column=COL[key]), value, style)
        answer = answers.get(control.control_id, {})
        docs = documents.get(control.control_id, [])
        values: dict[str, Any] = {
            "status": status_label.get(answer.get("status") or ""),
            "verdict": verdict_label.get(answer.get("verdict") or ""),
            "rationale": answer.get("rationale"),
            "notes": answer.get("notes"),
            "owner": answer.get("owner"),
            "due_date": dt.date.fromisoformat(answer["due_date"]) if answer.get("due_date") else None,
        }
        fields = {"doc_title": "title", "doc_location": "location", "doc_date": "approval_date", "doc_approver": "approver"}
        for key in DOCUMENT_COLUMNS:
            values[key] = "\n".join(str(doc.get(fields[key]) or "") for doc in docs).rstrip("\n") or None
        for key in INPUT_KEYS:
            cell = _input(ws.cell(row=row, column=COL[key]), values.get(key))
            if key == "due_date":
                cell.number_format = DATE_FORMAT
    last = row
    first = first_item or HEADER_ROW + 1
    for key, validation in (
        ("status", _list_validation(status_words(lang), lang)),
        ("verdict", _list_validation(verdict_words(lang), lang)),
        ("due_date", _date_validation(lang)),
    ):
        letter = get_column_letter(COL[key])
        validation.add(f"{letter}{first}:{letter}{last}")
        ws.add_data_validation(validation)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(MATRIX_KEYS))}{last}"
    _protect(ws)


def _exceptions(ws: Any, lang: str, rows: list[dict[str, Any]]) -> None:
    group = "exceptions_column"
    _header(ws, [heading(key, lang, group) for key in EXCEPTION_KEYS], [EXCEPTION_WIDTHS[key] for key in EXCEPTION_KEYS])
    ws.freeze_panes = "A2"
    fields = {"check": "check_id", "account": "account_id"}
    total = len(rows) + EXCEPTION_ROWS
    for index in range(total):
        row = HEADER_ROW + 1 + index
        data = rows[index] if index < len(rows) else {}
        for key, column in EXCEPTION_COL.items():
            value = data.get(fields.get(key, key))
            if key in ("approved_on", "expires") and value:
                value = dt.date.fromisoformat(str(value))
            cell = _input(ws.cell(row=row, column=column), value)
            if key in ("approved_on", "expires"):
                cell.number_format = DATE_FORMAT
            if key == "account":
                cell.number_format = "@"  # an account ID is text: its leading zeros stay
    validation = _date_validation(lang)
    for key in ("approved_on", "expires"):
        letter = get_column_letter(EXCEPTION_COL[key])
        validation.add(f"{letter}{HEADER_ROW + 1}:{letter}{HEADER_ROW + total}")
    ws.add_data_validation(validation)
    _protect(ws)


def _third_parties(ws: Any, lang: str, rows: list[dict[str, Any]]) -> None:
    """The customer's third-party register to fill in (prefilled from the run's sheet): one party per row."""
    _header(ws, [heading(key, lang, REGISTER_GROUP) for key in REGISTER_KEYS], [REGISTER_WIDTHS[key] for key in REGISTER_KEYS])
    ws.freeze_panes = "B2"
    fields = {"accounts": "account_ids"}
    total = len(rows) + REGISTER_ROWS
    for index in range(total):
        row = HEADER_ROW + 1 + index
        data = rows[index] if index < len(rows) else {}
        for key, column in REGISTER_COL.items():
            value = data.get(fields.get(key, key))
            if isinstance(value, list):
                value = "\n".join(value) or None  # account IDs and identifiers: one per line
            if key == "reviewed_on" and value:
                value = dt.date.fromisoformat(str(value))
            cell = _input(ws.cell(row=row, column=column), value)
            if key == "reviewed_on":
                cell.number_format = DATE_FORMAT
            if key == "accounts":
                cell.number_format = "@"  # an account ID is text: its leading zeros stay
    validation = _date_validation(lang)
    letter = get_column_letter(REGISTER_COL["reviewed_on"])
    validation.add(f"{letter}{HEADER_ROW + 1}:{letter}{HEADER_ROW + total}")
    ws.add_data_validation(validation)
    _protect(ws)


def _findings_reference(ws: Any, lang: str, assessment: Any) -> None:
    """The run's failing findings, to copy check IDs and resources into the accepted risks (read-only)."""
    _header(ws, [heading(key, lang, "findings_column") for key, _w in FINDING_FIELDS], [w for _k, w in FINDING_FIELDS])
    ws.freeze_panes = "A2"
    failing = [f for f in most_serious_first(assessment.findings) if f.verdict.value == "fail"][:MAX_REFERENCE_ROWS]
    for index, finding in enumerate(failing, start=HEADER_ROW + 1):
        values = (
            finding.control_id,
            finding.check_id,
            finding.account_id,
            finding.region,
            finding.resource,
            severity_label(finding.severity, lang),
            finding.message_en if lang == "en" else finding.message_ja,
        )
        for column, value in enumerate(values, start=1):
            _put(ws.cell(row=index, column=column), value)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(FINDING_FIELDS))}{HEADER_ROW + max(len(failing), 1)}"
    _protect(ws)


def write_worksheet(target: Path | str, lang: str = "ja", assessment: Any = None, customer: str = "") -> Path:
    """Write the working sheet in ``lang`` to ``target``; with ``assessment`` (a run's results, from
    :func:`assess_lib.results.read_results`) its automated columns and, when the run was made with a working
    sheet, its input columns prefilled."""
    lang = "en" if lang == "en" else "ja"
    target = Path(target)
    bundle = assessment.bundle if assessment is not None else None
    prefill = _prefill(bundle)
    wb = Workbook()
    _register_styles(wb, "Meiryo UI" if lang == "ja" else "Calibri")
    guide = wb.active
    guide.title = sheet_name("guide", lang)
    _guide(guide, lang)
    _matrix(wb.create_sheet(sheet_name("matrix", lang)), lang, assessment, prefill)
    _exceptions(wb.create_sheet(sheet_name("exceptions", lang)), lang, prefill[2])
    _third_parties(wb.create_sheet(register_sheet(lang)), lang, _org_rows(bundle, THIRD_PARTIES_DATASET))
    if assessment is not None:
        _findings_reference(wb.create_sheet(sheet_name("findings", lang)), lang, assessment)
    wb.active = 1
    wb.security = WorkbookProtection(lockStructure=True)  # sheets cannot be renamed, moved or deleted (no password)
    customer = customer or (str(bundle.manifest.get("customer") or "") if bundle is not None else "")
    wb.properties.title = clean(f"{t('worksheet.guide.title', lang)} {customer}".strip())
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


__all__ = ["findings_summary", "write_worksheet"]
