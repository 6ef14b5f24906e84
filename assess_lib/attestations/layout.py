"""The Excel questionnaire's layout: its sheets, the answer sheet's columns, its row types and the basic
information fields. The reader (:mod:`.xlsx`) and the writer (``report/questionnaire.py``) share it, so that
what the kit generates is what it reads back. The words are in the text catalogue (``text/questionnaire.yaml``);
sheet names and row types are the Japanese ones in both languages.
"""

from __future__ import annotations

from ..core.text import entry, t
from .schema import DOCUMENT_KEYS

# Answer-sheet columns, in order (headings: questionnaire.column.<key>).
COLUMN_KEYS = (
    "control_id",
    "kind",
    "question_id",
    "question",
    "format",
    "answer",
    *DOCUMENT_KEYS,
)
COL = {key: index + 1 for index, key in enumerate(COLUMN_KEYS)}
INPUT_KEYS = ("answer", *DOCUMENT_KEYS)
ANSWER_COLUMNS = len(COLUMN_KEYS)

ROW_KINDS = ("item", "question", "document", "notes")  # column kind (questionnaire.kind.<kind>)
INFO_KEYS = ("organisation", "prepared_by", "prepared_on")  # rows 2-4 of the basic information sheet
INFO_COLUMNS = 3  # key, field, answer

GUIDE_SHEET = t("questionnaire.sheet.guide", "ja")
INFO_SHEET = t("questionnaire.sheet.info", "ja")
ANSWER_SHEET = t("questionnaire.sheet.answers", "ja")


def kind_label(kind: str, language: str) -> str:
    """A row type as written in the sheet: Japanese, with the English after " / " in the English questionnaire."""
    words = entry(f"questionnaire.kind.{kind}")
    return words["ja"] if language == "ja" else f"{words['ja']} / {words['en']}"


def row_kind(value: object) -> str | None:
    """The row type a cell names (the part before "/", Japanese or English, any case), or None."""
    if value is None:
        return None
    head = str(value).split("/")[0].strip().casefold()
    for kind in ROW_KINDS:
        words = entry(f"questionnaire.kind.{kind}")
        if head in (words["ja"].casefold(), words["en"].casefold()):
            return kind
    return None


__all__ = [
    "ANSWER_COLUMNS",
    "ANSWER_SHEET",
    "COL",
    "COLUMN_KEYS",
    "GUIDE_SHEET",
    "INFO_COLUMNS",
    "INFO_KEYS",
    "INFO_SHEET",
    "INPUT_KEYS",
    "ROW_KINDS",
    "kind_label",
    "row_kind",
]
