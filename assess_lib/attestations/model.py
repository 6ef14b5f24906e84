"""Attested evidence as the checks see it: typed items rebuilt from the bundle's rows.

Collection flattens the normalised attestations into three datasets (account ``org``,
region ``global``): the file's identity, one row per document, one row per answer.
Checks call :func:`attested` to get an item back; they never read the customer's file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..evidence import GLOBAL
from .questions import item_questions
from .schema import DOCUMENT_KEYS, NOTES

if TYPE_CHECKING:  # checks pass their context; no import of the checks package at run time
    from ..checks.context import CheckContext

ORG_ACCOUNT = "org"  # account_id of organisational evidence (same value as checks.runner.ORG_ACCOUNT)
FILE_DATASET = "attestation.file"
DOCUMENTS_DATASET = "attestation.documents"
ANSWERS_DATASET = "attestation.answers"
DATASETS = (FILE_DATASET, DOCUMENTS_DATASET, ANSWERS_DATASET)

JST = dt.timezone(dt.timedelta(hours=9))  # the customer's calendar: dates are attested in Japan time


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@dataclass(frozen=True)
class AttestedDocument:
    control_id: str
    title: str
    approver: str | None = None
    approval_date: dt.date | None = None
    last_review_date: dt.date | None = None
    location: str | None = None

    @property
    def latest_date(self) -> dt.date | None:
        """When the document was last confirmed: its last review, else its approval."""
        dates = [d for d in (self.last_review_date, self.approval_date) if d]
        return max(dates) if dates else None


@dataclass(frozen=True)
class AttestedItem:
    """What the customer attested for one guideline item."""

    control_id: str
    documents: tuple[AttestedDocument, ...] = ()
    answers: dict[str, Any] = field(default_factory=dict)
    notes: str | None = None

    def answer(self, question_id: str, default: Any = None) -> Any:
        """The answer (dates as :class:`datetime.date`), or ``default`` when not answered."""
        value = self.answers.get(question_id, default)
        questions = item_questions(self.control_id)
        if isinstance(value, str) and questions and question_id in questions.question_ids():
            if questions.question(question_id).type == "date":
                return _date(value)
        return value


def to_rows(data: dict[str, Any], file_row: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Normalised attestations -> the rows of the three datasets."""
    documents: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    for control_id, item in data["items"].items():
        questions = item_questions(control_id)
        for doc in item["documents"]:
            documents.append({"control_id": control_id, **{k: doc[k] for k in DOCUMENT_KEYS}})
        for question_id, value in item["answers"].items():
            question = questions.question(question_id) if questions else None
            answers.append(
                {
                    "control_id": control_id,
                    "question_id": question_id,
                    "answer": value,
                    "question_ja": question.ja if question else None,
                    "question_en": question.en if question else None,
                }
            )
        if item.get("notes"):
            answers.append(
                {
                    "control_id": control_id,
                    "question_id": NOTES,
                    "answer": item["notes"],
                    "question_ja": "備考",
                    "question_en": "Notes",
                }
            )
    return {FILE_DATASET: [file_row], DOCUMENTS_DATASET: documents, ANSWERS_DATASET: answers}


def item_from_rows(control_id: str, documents: list[dict[str, Any]], answers: list[dict[str, Any]]) -> AttestedItem | None:
    docs = tuple(
        AttestedDocument(
            control_id,
            row["title"],
            row.get("approver"),
            _date(row.get("approval_date")),
            _date(row.get("last_review_date")),
            row.get("location"),
        )
        for row in documents
        if row.get("control_id") == control_id
    )
    own = [row for row in answers if row.get("control_id") == control_id]
    values = {row["question_id"]: row["answer"] for row in own if row["question_id"] != NOTES}
    notes = next((row["answer"] for row in own if row["question_id"] == NOTES), None)
    if not docs and not values and not notes:
        return None
    return AttestedItem(control_id, docs, values, notes)


def attested(ctx: "CheckContext", control_id: str) -> AttestedItem | None:
    """The customer's attestation for ``control_id``, or None when nothing was attested.

    Reads the bundle only (usable from any check). A bundle without attestation datasets
    (no attestation file, or collected before attestations existed) counts as nothing attested; a dataset recorded
    as an error raises EvidenceUnavailable, which the runner reports as ``error``.
    """
    bundle = ctx.bundle
    if bundle.entry(DOCUMENTS_DATASET, ORG_ACCOUNT, GLOBAL) is None or bundle.entry(ANSWERS_DATASET, ORG_ACCOUNT, GLOBAL) is None:
        return None
    documents = bundle.rows(DOCUMENTS_DATASET, ORG_ACCOUNT, GLOBAL)
    answers = bundle.rows(ANSWERS_DATASET, ORG_ACCOUNT, GLOBAL)
    return item_from_rows(control_id, documents, answers)


def attestation_file(ctx: "CheckContext") -> dict[str, Any] | None:
    """The attestation file's identity (name, format, SHA-256, who prepared it), or None."""
    if ctx.bundle.entry(FILE_DATASET, ORG_ACCOUNT, GLOBAL) is None:
        return None
    rows = ctx.bundle.rows(FILE_DATASET, ORG_ACCOUNT, GLOBAL)
    return rows[0] if rows and rows[0].get("file") else None


def assessment_date(ctx: "CheckContext") -> dt.date:
    """The assessment date in Japan time (collection time, so re-evaluation gives the same verdicts)."""
    return ctx.now.astimezone(JST).date()


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, clamped to the month's end (2024-02-29 + 12 months = 2025-02-28)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for candidate in range(day.day, 27, -1) if day.day > 28 else (day.day,):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    return dt.date(year, month, 28)


__all__ = [
    "ANSWERS_DATASET",
    "DATASETS",
    "DOCUMENTS_DATASET",
    "FILE_DATASET",
    "JST",
    "ORG_ACCOUNT",
    "AttestedDocument",
    "AttestedItem",
    "add_months",
    "assessment_date",
    "attestation_file",
    "attested",
    "item_from_rows",
    "to_rows",
]
