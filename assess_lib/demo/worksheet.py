"""The demo customer's filled working sheet: the kit's own sheet, filled in by code from ``worksheet.yaml``.

``demo`` writes the working sheet with the kit's writer (no run yet: the automated columns stay empty), types the
demo customer's answers into the same cells a consultant fills in (openpyxl), and hands the file to the run as
``--worksheet``: every demo reads it back through the real reader, kept byte for byte in the bundle.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from .._yaml import load_packaged_yaml
from ..attestations.third_parties import REGISTER_COL, register_sheet
from ..attestations.worksheet import (
    COL,
    EXCEPTION_COL,
    HEADER_ROW,
    STATUS_WORDS,
    VERDICT_WORDS,
    normalise,
    sheet_name,
    status_words,
    verdict_words,
)
from ..core.model import JUDGMENT_VERDICTS, STATUS_VERDICTS
from ..report.worksheet import write_worksheet

ANSWERS = Path(__file__).resolve().parent / "worksheet.yaml"
DEMO_SHEET_NAME = "worksheet-demo-bank.xlsx"
DEMO_CUSTOMER = "デモ銀行"


def demo_answers() -> dict[str, Any]:
    """The demo customer's answers (``worksheet.yaml``): items, accepted risks and the third-party register."""
    return load_packaged_yaml(ANSWERS.read_text(encoding="utf-8"))


def _word(value: str, words: dict[str, str], ids: list[str], labels: list[str]) -> str:
    """An answer word in the sheet's language (the YAML may use either)."""
    return dict(zip(ids, labels, strict=True))[words[normalise(value)]]


def _date(value: Any) -> Any:
    return dt.date.fromisoformat(str(value)) if value else None


def fill_worksheet(path: Path, answers: dict[str, Any]) -> Path:
    """Type ``answers`` into the working sheet at ``path`` (its own language), cell by cell, and save it."""
    wb = load_workbook(path)
    lang = "en" if sheet_name("matrix", "en") in wb.sheetnames else "ja"
    matrix = wb[sheet_name("matrix", lang)]
    rows = {matrix.cell(row=r, column=COL["control_id"]).value: r for r in range(HEADER_ROW + 1, matrix.max_row + 1)}
    statuses, verdicts = status_words(lang), verdict_words(lang)
    for control_id, item in (answers.get("items") or {}).items():
        row = rows[str(control_id)]

        def put(key: str, value: Any, row: int = row) -> None:
            if value is not None:
                matrix.cell(row=row, column=COL[key]).value = value

        if item.get("status"):
            put("status", _word(item["status"], STATUS_WORDS, list(STATUS_VERDICTS), statuses))
        if item.get("verdict"):
            put("verdict", _word(item["verdict"], VERDICT_WORDS, list(JUDGMENT_VERDICTS), verdicts))
        for key in ("rationale", "notes", "owner"):
            put(key, item.get(key))
        put("due_date", _date(item.get("due_date")))
        documents = item.get("documents") or []
        if documents:
            for key, field in (
                ("doc_title", "title"),
                ("doc_location", "location"),
                ("doc_date", "date"),
                ("doc_approver", "approver"),
            ):
                put(key, "\n".join(str(doc.get(field) or "") for doc in documents))
    exceptions = wb[sheet_name("exceptions", lang)]
    for index, entry in enumerate(answers.get("exceptions") or [], start=HEADER_ROW + 1):
        for key, column in EXCEPTION_COL.items():
            value = entry.get(key)
            exceptions.cell(row=index, column=column).value = _date(value) if key in ("approved_on", "expires") else value
    register = wb[register_sheet(lang)]
    for index, party in enumerate(answers.get("third_parties") or [], start=HEADER_ROW + 1):
        for key, column in REGISTER_COL.items():
            value = party.get(key)
            if isinstance(value, list):
                value = "\n".join(str(item) for item in value)  # one per line, as a consultant types them
            register.cell(row=index, column=column).value = _date(value) if key == "reviewed_on" else value
    wb.save(path)
    return path


def write_demo_worksheet(path: Path, lang: str = "ja") -> Path:
    """The kit's working sheet for the demo customer, filled with its answers."""
    write_worksheet(path, lang, customer=DEMO_CUSTOMER)
    return fill_worksheet(path, demo_answers())


__all__ = ["ANSWERS", "DEMO_SHEET_NAME", "demo_answers", "fill_worksheet", "write_demo_worksheet"]
