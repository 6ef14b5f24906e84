"""The Excel questionnaire the customer fills in: generated in Japanese (English alongside with ``language="en"``).

Sheets: the instructions, the basic information (who answered, when) and the answer sheet (one row per item
heading, question, document and notes; header row frozen). The layout is the one the attestation collector reads
back (:mod:`assess_lib.attestations.layout`); the words are in ``text/questionnaire.yaml`` and the questions in
``catalog/questions.yaml``. Cells are never written as formulas.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ..attestations.layout import (
    ANSWER_SHEET,
    COL,
    COLUMN_KEYS,
    GUIDE_SHEET,
    INFO_KEYS,
    INFO_SHEET,
    INPUT_KEYS,
    kind_label,
)
from ..attestations.schema import DOCUMENT_KEYS
from ..catalog import load_catalog
from ..catalog.questions import Question, question_bank
from ..core.text import entry, keys, t

# Answer-sheet column widths (characters), by column key.
WIDTHS = {
    "control_id": 10,
    "kind": 12,
    "question_id": 24,
    "question": 60,
    "format": 30,
    "answer": 40,
    "title": 30,
    "approver": 16,
    "approval_date": 13,
    "last_review_date": 13,
    "location": 30,
}
DATES = ("approval_date", "last_review_date")

HEADER_FILL = PatternFill("solid", fgColor="1A3C6E")
ITEM_FILL = PatternFill("solid", fgColor="D9E1F2")
FIXED_FILL = PatternFill("solid", fgColor="F2F2F2")
INPUT_FILL = PatternFill("solid", fgColor="FFFFFF")
WRAP = Alignment(wrap_text=True, vertical="top")


def _put(cell: Cell, value: Any) -> Cell:
    """Write a value as data, never as a formula (text starting with '=' stays text)."""
    cell.value = value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def _bi(ja: str, en: str, language: str) -> str:
    return ja if language == "ja" else f"{ja}\n{en}"


def _words(key: str, language: str) -> str:
    """A catalogue text in Japanese, with the English below it in the English questionnaire."""
    words = entry(key)
    return _bi(words["ja"], words["en"], language)


def _format_hint(question: Question, language: str) -> str:
    words = entry(f"questionnaire.format.{question.type}")
    ja, en = words["ja"], words["en"]
    if question.type in ("topics", "choice"):
        numbered = question.type == "topics"  # topics may be answered by number
        ja += "\n" + "\n".join(f"{n}. {o.ja}" if numbered else o.ja for n, o in enumerate(question.options, 1))
        en += "\n" + "\n".join(f"{n}. {o.en}" if numbered else o.en for n, o in enumerate(question.options, 1))
    return _bi(ja, en, language)


def _answer_text(question: Question, value: Any) -> Any:
    """A normalised answer as the customer would type it in the sheet."""
    if value is None:
        return None
    if question.type == "yes_no":
        bank = question_bank()
        return bank.written_yes if value else bank.written_no
    if question.type == "date":
        return dt.date.fromisoformat(value) if isinstance(value, str) else value
    if question.type in ("topics", "choice"):
        ids = value if isinstance(value, list) else [value]
        labels = {o.id: o.ja for o in question.options}
        return t("value.list_separator", "ja").join(labels.get(i, i) for i in ids)
    return value


def write_questionnaire(path: Path | str, language: str = "ja", prefill: dict[str, Any] | None = None) -> Path:
    """Generate the questionnaire for every item the kit has questions for.

    ``prefill`` (normalised attestations) fills in earlier answers, e.g. for the annual update.
    """
    if language not in ("ja", "en"):
        raise ValueError("language must be ja or en")
    path = Path(path)
    bank = question_bank()
    catalog = load_catalog()
    items = (prefill or {}).get("items", {})
    wb = Workbook()
    guide = wb.active
    guide.title = GUIDE_SHEET
    _guide(guide, language)
    info = wb.create_sheet(INFO_SHEET)
    _info(info, language, prefill or {})
    ws = wb.create_sheet(ANSWER_SHEET)
    for index, key in enumerate(COLUMN_KEYS, 1):
        cell = _put(ws.cell(row=1, column=index), _words(f"questionnaire.column.{key}", language))
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = WRAP
        ws.column_dimensions[cell.column_letter].width = WIDTHS[key]
    ws.freeze_panes = "A2"
    yes_no = DataValidation(type="list", formula1=f'"{bank.written_yes},{bank.written_no}"', allow_blank=True)
    ws.add_data_validation(yes_no)
    row = 2
    for control_id, questions in bank.items.items():
        control = catalog.get(control_id)
        attested = items.get(control_id, {})
        heading = f"{control.title('ja')}\n{questions.ask('ja')}"
        if language == "en":
            heading += f"\n\n{control.title('en')}\n{questions.ask('en')}"
        _row(ws, row, control_id, "item", "", heading, "", language, ITEM_FILL)
        row += 1
        for question in questions.questions:
            _row(
                ws,
                row,
                control_id,
                "question",
                question.id,
                _bi(question.ja, question.en, language),
                _format_hint(question, language),
                language,
            )
            answer = _put(
                ws.cell(row=row, column=COL["answer"]), _answer_text(question, attested.get("answers", {}).get(question.id))
            )
            answer.fill = INPUT_FILL
            if question.type == "yes_no":
                yes_no.add(answer)
            if question.type == "date":
                answer.number_format = "yyyy-mm-dd"
            row += 1
        documents = list(attested.get("documents", []))
        for number in range(1, max(questions.document_rows, len(documents)) + 1):
            what = _bi(questions.documents_ja, questions.documents_en, language)
            _row(ws, row, control_id, "document", f"{number}", what, _words("questionnaire.document_hint", language), language)
            doc = documents[number - 1] if number <= len(documents) else {}
            for key in DOCUMENT_KEYS:
                value = doc.get(key)
                if key in DATES and value:
                    value = dt.date.fromisoformat(value)
                cell = _put(ws.cell(row=row, column=COL[key]), value)
                cell.fill = INPUT_FILL
                if key in DATES:
                    cell.number_format = "yyyy-mm-dd"
            row += 1
        notes = _words("questionnaire.notes_row", language)
        _row(ws, row, control_id, "notes", "notes", notes, _words("questionnaire.format.text", language), language)
        _put(ws.cell(row=row, column=COL["answer"]), attested.get("notes")).fill = INPUT_FILL
        row += 1
    for cells in ws.iter_rows(min_row=2, max_row=row - 1):
        for cell in cells:
            cell.alignment = WRAP
    wb.active = wb.sheetnames.index(ANSWER_SHEET)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _row(
    ws: Any,
    row: int,
    control_id: str,
    kind: str,
    question_id: str,
    text: str,
    hint: str,
    language: str,
    fill: PatternFill = FIXED_FILL,
) -> None:
    values = {
        "control_id": control_id,
        "kind": kind_label(kind, language),
        "question_id": question_id,
        "question": text,
        "format": hint,
    }
    for key, value in values.items():
        _put(ws.cell(row=row, column=COL[key]), value).fill = fill
    if kind == "item":
        ws.cell(row=row, column=COL["question"]).font = Font(bold=True)
        for key in INPUT_KEYS:
            ws.cell(row=row, column=COL[key]).fill = fill


def _guide(ws: Any, language: str) -> None:
    """The instructions: the title and the numbered steps, in Japanese, then (English questionnaire) in English."""
    steps = keys("questionnaire.guide")  # title, step1 ... in file order
    ja = [t(steps[0], "ja"), "", *(t(k, "ja") for k in steps[1:])]
    en = ["", t(steps[0], "en"), "", *(t(k, "en") for k in steps[1:])]
    lines = ja + (en if language == "en" else [])
    for index, text in enumerate(lines, 1):
        cell = _put(ws.cell(row=index, column=1), text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=13)
    if language == "en":
        ws.cell(row=len(ja) + 2, column=1).font = Font(bold=True, size=13)
    ws.column_dimensions["A"].width = 120


def _info(ws: Any, language: str, prefill: dict[str, Any]) -> None:
    for index, (key, width) in enumerate((("key", 16), ("field", 36), ("answer", 40)), 1):
        words = entry(f"questionnaire.info_column.{key}")
        cell = _put(ws.cell(row=1, column=index), words["ja"] if language == "ja" else f"{words['ja']} / {words['en']}")
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        ws.column_dimensions[cell.column_letter].width = width
    for row, key in enumerate(INFO_KEYS, 2):
        _put(ws.cell(row=row, column=1), key).fill = FIXED_FILL
        _put(ws.cell(row=row, column=2), _words(f"questionnaire.info.{key}", language)).fill = FIXED_FILL
        value = prefill.get(key)
        if key == "prepared_on" and value:
            value = dt.date.fromisoformat(value)
        cell = _put(ws.cell(row=row, column=3), value)
        if key == "prepared_on":
            cell.number_format = "yyyy-mm-dd"


__all__ = ["ANSWER_SHEET", "COL", "GUIDE_SHEET", "INFO_SHEET", "write_questionnaire"]
