"""Helpers for checks that judge the customer's attested answers (organisational items).

The attestation collector (``assess_lib/attestations``) stores the customer's file in the bundle as three
datasets of account ``org``; this module reads them back, through the check's context, as typed items
(:func:`attested`), and offers what such checks share: the assessment date in the customer's calendar,
whole-month arithmetic for review intervals, who may approve a basic policy, the question to put to the
customer in a ``manual`` finding, and sentences joined in the reader's language. It reads evidence only
(never the customer's file, never the collector) and the question data of the guideline catalogue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..catalog.questions import Option, item_questions, normalise_label, question_bank
from ..core.model import ItemJudgment
from ..core.text import Phrase
from ..evidence import GLOBAL
from .context import CheckContext

ORG_ACCOUNT = "org"  # account_id of attested evidence
FILE_DATASET = "attestation.file"
DOCUMENTS_DATASET = "attestation.documents"
ANSWERS_DATASET = "attestation.answers"
WORKSHEET_DATASET = "attestation.worksheet"  # per item: status, consultant's verdict, rationale, owner, due date
EXCEPTIONS_DATASET = "attestation.exceptions"  # the approved exceptions register (risk acceptance)
NOTES = "notes"  # the answer id under which the collector stores an item's notes

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
        if (
            isinstance(value, str)
            and questions
            and question_id in questions.question_ids()
            and questions.question(question_id).type == "date"
        ):
            return _date(value)
        return value

    def missing_topics(self, question_id: str) -> list[Option] | None:
        """The topics of a topics question not selected (in the guideline's order); None when not answered."""
        chosen = self.answer(question_id)
        if chosen is None:
            return None
        questions = item_questions(self.control_id)
        if questions is None:
            raise KeyError(f"no questions for item {self.control_id} (catalog/questions.yaml)")
        return [o for o in questions.question(question_id).options if o.id not in chosen]


def item_from_rows(control_id: str, documents: list[dict[str, Any]], answers: list[dict[str, Any]]) -> AttestedItem | None:
    """One item rebuilt from the rows of the documents and answers datasets; None when nothing was attested."""
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


def _attested_rows(ctx: CheckContext, dataset: str) -> list[dict[str, Any]] | None:
    """Rows of an attestation dataset; None when the bundle holds none (no attestation file was given).
    A dataset recorded as an error raises EvidenceUnavailable, which the runner reports as ``error``."""
    # Read from account "org" whatever the check's scope: an account-scope check (defence in depth) reads the
    # organisation's answers too.
    if ctx.bundle.entry(dataset, ORG_ACCOUNT, GLOBAL) is None:
        return None  # no file: nothing attested (manual), not evidence that could not be gathered
    return ctx.bundle.rows(dataset, ORG_ACCOUNT, GLOBAL)


def attested(ctx: CheckContext, control_id: str) -> AttestedItem | None:
    """The customer's attestation for ``control_id``, or None when nothing was attested.

    A bundle without attestation datasets (no attestation file, or collected before attestations existed)
    counts as nothing attested; a dataset recorded as an error raises EvidenceUnavailable (``error``).
    """
    documents = _attested_rows(ctx, DOCUMENTS_DATASET)
    answers = _attested_rows(ctx, ANSWERS_DATASET)
    if documents is None or answers is None:
        return None
    return item_from_rows(control_id, documents, answers)


def _org_rows(bundle: Any, dataset: str) -> list[dict[str, Any]]:
    """Rows of an organisation dataset, none when the bundle does not hold it (no file given, an older bundle)."""
    if bundle.entry(dataset, ORG_ACCOUNT, GLOBAL) is None:
        return []
    return bundle.rows(dataset, ORG_ACCOUNT, GLOBAL)


def judgments(bundle: Any) -> dict[str, ItemJudgment]:
    """What the working sheet records per item (customer's status, consultant's verdict, owner, ...), with the
    documents listed for the item. Empty when no working sheet was given."""
    rows = _org_rows(bundle, WORKSHEET_DATASET)
    if not rows:
        return {}
    documents: dict[str, list[dict[str, Any]]] = {}
    for doc in _org_rows(bundle, DOCUMENTS_DATASET):
        documents.setdefault(doc["control_id"], []).append(doc)
    out = {}
    for row in rows:
        control_id = row["control_id"]
        out[control_id] = ItemJudgment(
            control_id=control_id,
            status=row.get("status"),
            verdict=row.get("verdict"),
            rationale=row.get("rationale"),
            notes=row.get("notes"),
            owner=row.get("owner"),
            due_date=row.get("due_date"),
            documents=tuple(documents.get(control_id, ())),
            source=row.get("source"),
        )
    return out


def exceptions(bundle: Any) -> list[dict[str, Any]]:
    """The approved exceptions register as validated at collection (empty when none was given)."""
    return _org_rows(bundle, EXCEPTIONS_DATASET)


def collection_date(bundle: Any) -> dt.date:
    """The collection date in Japan time: what decides whether an exception is in force."""
    from .runner import assessment_time  # the runner imports this module's neighbours, not this module

    return assessment_time(bundle).astimezone(JST).date()


def attestation_file(ctx: CheckContext) -> dict[str, Any] | None:
    """The attestation file's identity (name, format, SHA-256, who prepared it), or None."""
    rows = _attested_rows(ctx, FILE_DATASET)
    return rows[0] if rows and rows[0].get("file") else None


def assessment_date(ctx: CheckContext) -> dt.date:
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


def policy_approver(approver: str | None) -> Option | None:
    """Which accepted approver of a basic policy (the board, the representative director; catalog/questions.yaml
    ``policy_approvers``) the written approver names, if any."""
    if not approver:
        return None
    for option, terms, excluded in question_bank().policy_approvers:
        text = normalise_label(approver)
        for term in excluded:
            text = text.replace(normalise_label(term), "")
        if any(normalise_label(term) in text for term in terms):
            return option
    return None


def question_facts(control_id: str) -> dict[str, str]:
    """The question to put to the customer about ``control_id`` (``question_ja``, ``question_en``), for the
    consultant's tools only: no finding carries it (findings are words of the customer's report)."""
    questions = item_questions(control_id)
    return {"question_ja": questions.ask("ja") if questions else "", "question_en": questions.ask("en") if questions else ""}


def sentences(*phrases: Phrase) -> Phrase | str:
    """Sentences (each a Phrase ending in its full stop) as one Phrase: run together in Japanese, separated by
    a space in English. No sentence: an empty text."""
    if not phrases:
        return ""
    if len(phrases) == 1:
        return phrases[0]
    return Phrase("answers.sentences", first=phrases[0], rest=sentences(*phrases[1:]))


def listing(phrases: list[Phrase]) -> Phrase | str:
    """Phrases as one list (separated by semicolons in English, where the entries hold commas themselves).
    No phrase: an empty text."""
    if not phrases:
        return ""
    return phrases[0] if len(phrases) == 1 else Phrase("answers.list", first=phrases[0], rest=listing(phrases[1:]))


def labels(options: list[Option]) -> Phrase | str:
    """Options (topics) named in the reader's language, each quoted, as one list."""
    return listing([Phrase("answers.label", ja=o.ja, en=o.en) for o in options])


def titles(names: list[str]) -> Phrase | str:
    """Names given by the customer (document titles), each quoted, as one list."""
    return listing([Phrase("answers.label", ja=name, en=name) for name in names])


__all__ = [
    "ANSWERS_DATASET",
    "DOCUMENTS_DATASET",
    "EXCEPTIONS_DATASET",
    "FILE_DATASET",
    "JST",
    "ORG_ACCOUNT",
    "WORKSHEET_DATASET",
    "AttestedDocument",
    "AttestedItem",
    "add_months",
    "assessment_date",
    "attestation_file",
    "attested",
    "collection_date",
    "exceptions",
    "item_from_rows",
    "judgments",
    "labels",
    "listing",
    "policy_approver",
    "question_facts",
    "sentences",
    "titles",
]
