"""Validation of attestation data (from YAML or the Excel questionnaire) into one normalised form.

The normalised form, the same whichever file it came from::

    {"organisation": str | None, "prepared_by": str | None, "prepared_on": "YYYY-MM-DD" | None,
     "items": {control_id: {"documents": [{"title", "approver", "approval_date",
                                           "last_review_date", "location"}],
                            "answers": {question_id: value}, "notes": str | None}}}

Dates are ISO strings, yes/no answers booleans, topic answers lists of topic ids (in the
guideline's order), choice answers an option id. Every problem raises
:class:`~assess_lib.params.ParamsError` naming the file, the item, the field and the fix.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from ..catalog import load_catalog
from ..catalog.questions import Question, item_questions, normalise_label, question_bank
from ..params import ParamsError
from ..safe_input import load_yaml, shown

FORMAT_VERSION = 1
TOP_KEYS = ("version", "organisation", "prepared_by", "prepared_on", "items")
ITEM_KEYS = ("documents", "answers", "notes")
DOCUMENT_KEYS = ("title", "approver", "approval_date", "last_review_date", "location")
DOCUMENT_DATES = {"approval_date": "approval date", "last_review_date": "last review date"}
NOTES = "notes"  # reserved answer id under which an item's notes are stored in the bundle

# Separators between topics: ASCII or full-width comma, ideographic comma, semicolon (either width), new line.
_SPLIT = re.compile(r"[,\uff0c\u3001;\uff1b\n]+")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Locate = Callable[[str | None, str], str | None]  # (item, field) -> the cell, e.g. "<answer sheet>!F12"


MAX_TEXT_CHARS = 10_000  # one answer, note or document field; a longer one is a paste gone wrong
MAX_DOCUMENTS = 100  # per item; every one becomes a row of evidence and of the report


def load_yaml_text(text: str, source: str) -> Any:
    """Parse attestation YAML with the kit's hardened loader (dates left as text, so a bad date is
    reported with its item and field); any problem is a ParamsError naming the line."""
    return load_yaml(text, source, dates_as_text=True, example="params/attestations.example.yaml")


class _Validator:
    def __init__(self, source: str, today: dt.date, locate: Locate | None) -> None:
        self.source = source
        self.today = today
        self.locate = locate

    def error(self, item: str | None, field: str, problem: str, fix: str) -> ParamsError:
        where = self.locate(item, field) if self.locate else None
        cell = f" ({where})" if where else ""
        subject = f"item '{shown(item, 40)}', field '{shown(field, 60)}'" if item else f"field '{shown(field, 60)}'"
        return ParamsError(f"{self.source}{cell}: {subject}: {problem}. Fix: {fix}")

    def keys(self, item: str | None, prefix: str, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                raise self.error(
                    item, f"{prefix}{shown(key, 40)}", "unknown key", f"remove it or use one of {', '.join(allowed)}"
                )

    def text(self, item: str | None, field: str, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, (int, float)):
            return str(value)
        if not isinstance(value, str):
            raise self.error(
                item, field, f"expected text, got {shown(value, 40)}", "write a single line of text (quote it if it has a colon)"
            )
        if len(value) > MAX_TEXT_CHARS:
            raise self.error(
                item,
                field,
                f"{len(value)} characters long (at most {MAX_TEXT_CHARS}): '{shown(value, 40)}'",
                "shorten it, and point to the document that holds the full text",
            )
        return value.strip() or None

    def date(self, item: str | None, field: str, value: Any, what: str) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            parsed = value
        else:
            text = str(value).strip()
            try:
                if not _ISO_DATE.match(text):
                    raise ValueError(text)
                parsed = dt.date.fromisoformat(text)
            except ValueError:
                raise self.error(
                    item, field, f"'{shown(text)}' is not a valid date", "write the date as YYYY-MM-DD, e.g. 2025-04-01"
                ) from None
        if parsed > self.today:
            raise self.error(
                item,
                field,
                f"{what} in the future ({parsed.isoformat()}, after the assessment date {self.today.isoformat()})",
                "correct the date: only dates that have already happened can be attested",
            )
        return parsed.isoformat()

    def answer(self, item: str, question: Question, value: Any) -> Any:
        field = f"answers.{question.id}"
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            return None
        if question.type == "text":
            return self.text(item, field, value)
        if question.type == "date":
            return self.date(item, field, value, "date")
        if question.type == "yes_no":
            if isinstance(value, bool):
                return value
            bank = question_bank()  # the spellings of yes and no (catalog/questions.yaml answer_words)
            word = normalise_label(value)
            if word in bank.yes_words:
                return True
            if word in bank.no_words:
                return False
            raise self.error(
                item, field, f"'{shown(value)}' is not yes or no", f"write true or false ({bank.written_yes} / {bank.written_no})"
            )
        if question.type == "choice":
            option = question.option(str(value))
            if option is None:
                raise self.error(item, field, f"'{shown(value)}' is not one of the options", self._options(question))
            return option.id
        # topics
        chosen: set[str] = set()
        if isinstance(value, list):
            raw = value
        else:
            # Labels that themselves hold a separator (a list in brackets, with commas) are taken whole first.
            text = unicodedata.normalize("NFKC", str(value))
            for option in question.options:
                for name in sorted(option.names(), key=len, reverse=True):
                    name = unicodedata.normalize("NFKC", name)
                    if _SPLIT.search(name) and name in text:
                        chosen.add(option.id)
                        text = text.replace(name, "\u3001")
            raw = _SPLIT.split(text)
        for entry in raw:
            if entry is None or not str(entry).strip():
                continue
            option = question.option(str(entry).strip())
            if option is None:
                raise self.error(
                    item, field, f"'{shown(str(entry).strip())}' is not a topic of this question", self._options(question)
                )
            chosen.add(option.id)
        return [o.id for o in question.options if o.id in chosen] or None

    @staticmethod
    def _options(question: Question) -> str:
        listed = "; ".join(f"{o.id} ({o.ja})" for o in question.options)
        return f"use one of: {listed}"


def parse_attestations(data: Any, source: str, today: dt.date, locate: Locate | None = None) -> dict[str, Any]:
    """Validate parsed attestation data and return its normalised form (see the module docstring)."""
    check = _Validator(source, today, locate)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParamsError(
            f"{source}: the file must be a YAML mapping with an 'items:' mapping of guideline items, not {shown(data, 40)}. "
            "Fix: start from params/attestations.example.yaml"
        )
    check.keys(None, "", data, TOP_KEYS)
    version = data.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise check.error(None, "version", f"unsupported version {shown(version, 40)}", f"write version: {FORMAT_VERSION}")
    result: dict[str, Any] = {
        "organisation": check.text(None, "organisation", data.get("organisation")),
        "prepared_by": check.text(None, "prepared_by", data.get("prepared_by")),
        "prepared_on": check.date(None, "prepared_on", data.get("prepared_on"), "preparation date"),
        "items": {},
    }
    items = data.get("items") or {}
    if not isinstance(items, dict):
        raise check.error(None, "items", "expected a mapping of item IDs", "write items: then one '\"2.1.1-1\":' block per item")
    catalog = load_catalog()
    for raw_id, raw_item in items.items():
        item = str(raw_id)
        if item not in catalog:
            raise check.error(
                item,
                "items",
                "unknown item ID (not in the guideline catalogue)",
                "use a control ID such as 2.1.1-1 or 2.1.1-b (list them with `python -m assess_lib show <id>`), in quotes",
            )
        normalised = _item(check, item, raw_item)
        if normalised is not None:
            result["items"][item] = normalised
    return result


def _item(check: _Validator, item: str, raw: Any) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise check.error(item, "items", "expected a mapping", "indent documents:, answers: and notes: under the item ID")
    check.keys(item, "", raw, ITEM_KEYS)
    documents = []
    raw_docs = raw.get("documents") or []
    if not isinstance(raw_docs, list):
        raise check.error(item, "documents", "expected a list", "write each document as '- title: ...' under documents:")
    if len(raw_docs) > MAX_DOCUMENTS:
        raise check.error(
            item,
            "documents",
            f"{len(raw_docs)} documents (at most {MAX_DOCUMENTS} per item)",
            "list the governing documents only, or one register that lists the rest",
        )
    for index, doc in enumerate(raw_docs):
        prefix = f"documents[{index + 1}]"
        if not isinstance(doc, dict):
            raise check.error(item, prefix, "expected a mapping", f"give the document as keys {', '.join(DOCUMENT_KEYS)}")
        check.keys(item, f"{prefix}.", doc, DOCUMENT_KEYS)
        normalised = {key: check.text(item, f"{prefix}.{key}", doc.get(key)) for key in ("title", "approver", "location")}
        for key, what in DOCUMENT_DATES.items():
            normalised[key] = check.date(item, f"{prefix}.{key}", doc.get(key), what)
        if not any(normalised.values()):
            continue
        if not normalised["title"]:
            raise check.error(item, f"{prefix}.title", "missing", "name the document (its title as the customer calls it)")
        documents.append({key: normalised[key] for key in DOCUMENT_KEYS})
    answers: dict[str, Any] = {}
    raw_answers = raw.get("answers") or {}
    if not isinstance(raw_answers, dict):
        raise check.error(item, "answers", "expected a mapping", "write 'question_id: answer' lines under answers:")
    questions = item_questions(item)
    for key, value in raw_answers.items():
        if questions is None:
            raise check.error(
                item, f"answers.{key}", "the kit asks no questions about this item", "move the text to notes: or list documents"
            )
        if str(key) not in questions.question_ids():
            raise check.error(item, f"answers.{key}", "unknown question", f"use one of {', '.join(questions.question_ids())}")
        answer = check.answer(item, questions.question(str(key)), value)
        if answer is not None:
            answers[str(key)] = answer
    notes = check.text(item, NOTES, raw.get(NOTES))
    if not documents and not answers and not notes:
        return None
    return {"documents": documents, "answers": answers, "notes": notes}


__all__ = ["DOCUMENT_KEYS", "FORMAT_VERSION", "NOTES", "load_yaml_text", "parse_attestations"]
