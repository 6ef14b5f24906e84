"""The questions asked per guideline item (``questions.yaml``), as typed, read-only data.

The same data drives the attestation file's validation, the Excel questionnaire
and the ``manual`` findings (the question a consultant should ask when nothing
is attested). Packaged data only: no customer file is read here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


from .._yaml import load_packaged_yaml

ANSWER_TYPES = ("yes_no", "date", "text", "topics", "choice")


@dataclass(frozen=True)
class Option:
    """A topic or a choice option: a stable id and its labels."""

    id: str
    ja: str
    en: str
    aliases: tuple[str, ...] = ()

    def label(self, lang: str = "ja") -> str:
        return self.ja if lang == "ja" else self.en

    def names(self) -> tuple[str, ...]:
        """Every spelling that selects this option (id, labels, aliases)."""
        return (self.id, self.ja, self.en, *self.aliases)


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    ja: str
    en: str
    options: tuple[Option, ...] = ()  # topics (from a topic set) or choice options
    topic_set: str | None = None

    def text(self, lang: str = "ja") -> str:
        return self.ja if lang == "ja" else self.en

    def option(self, value: str) -> Option | None:
        """The option a written value selects (id, label or alias; width, case and spacing ignored)."""
        wanted = normalise_label(value)
        for option in self.options:
            if wanted in {normalise_label(name) for name in option.names()}:
                return option
        return None


@dataclass(frozen=True)
class ItemQuestions:
    control_id: str
    ask_ja: str
    ask_en: str
    documents_ja: str
    documents_en: str
    document_rows: int
    questions: tuple[Question, ...]
    review_within_months: int | None = None

    def ask(self, lang: str = "ja") -> str:
        return self.ask_ja if lang == "ja" else self.ask_en

    def documents(self, lang: str = "ja") -> str:
        return self.documents_ja if lang == "ja" else self.documents_en

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(f"{self.control_id}: no question {question_id!r}")

    def question_ids(self) -> list[str]:
        return [q.id for q in self.questions]


@dataclass(frozen=True)
class QuestionBank:
    items: dict[str, ItemQuestions]
    topic_sets: dict[str, tuple[Option, ...]]
    policy_approvers: tuple[tuple[Option, tuple[str, ...], tuple[str, ...]], ...]  # option, match, exclude

    def get(self, control_id: str) -> ItemQuestions | None:
        return self.items.get(control_id)

    def topics(self, name: str) -> tuple[Option, ...]:
        return self.topic_sets[name]

    def policy_approver(self, approver: str | None) -> Option | None:
        """Which accepted approver (取締役会 / 代表取締役 ...) the written approver names, if any."""
        if not approver:
            return None
        for option, terms, excluded in self.policy_approvers:
            text = normalise_label(approver)
            for term in excluded:
                text = text.replace(normalise_label(term), "")
            if any(normalise_label(term) in text for term in terms):
                return option
        return None


def normalise_label(text: Any) -> str:
    """Compare labels loosely: NFKC (full/half width), case, spaces and middle dots ignored."""
    value = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[\s・･_\-]", "", value)


def _option(raw: dict[str, Any]) -> Option:
    return Option(str(raw["id"]), raw["ja"], raw["en"], tuple(raw.get("aliases", ())))


def _parse(data: dict[str, Any]) -> QuestionBank:
    topic_sets = {name: tuple(_option(t) for t in topics) for name, topics in data["topic_sets"].items()}
    approvers = tuple((_option(a), tuple(a["match"]), tuple(a.get("exclude", ()))) for a in data.get("policy_approvers", []))
    items: dict[str, ItemQuestions] = {}
    for control_id, raw in data["items"].items():
        questions = []
        for q in raw["questions"]:
            if q["type"] not in ANSWER_TYPES:
                raise ValueError(f"questions.yaml {control_id}/{q['id']}: unknown type {q['type']!r}")
            options: tuple[Option, ...] = ()
            if q["type"] == "topics":
                options = topic_sets[q["topics"]]
            elif q["type"] == "choice":
                options = tuple(_option(o) for o in q["options"])
            questions.append(Question(q["id"], q["type"], q["ja"], q["en"], options, q.get("topics")))
        ids = [q.id for q in questions]
        if len(set(ids)) != len(ids) or "notes" in ids:
            raise ValueError(f"questions.yaml {control_id}: duplicate or reserved question id")
        items[str(control_id)] = ItemQuestions(
            control_id=str(control_id),
            ask_ja=raw["ask_ja"],
            ask_en=raw["ask_en"],
            documents_ja=raw["documents_ja"],
            documents_en=raw["documents_en"],
            document_rows=int(raw.get("document_rows", 1)),
            questions=tuple(questions),
            review_within_months=raw.get("review_within_months"),
        )
    return QuestionBank(items, topic_sets, approvers)


@lru_cache(maxsize=1)
def question_bank() -> QuestionBank:
    """The packaged questions (loaded once)."""
    text = resources.files(__package__).joinpath("questions.yaml").read_text(encoding="utf-8")
    return _parse(load_packaged_yaml(text))


def item_questions(control_id: str) -> ItemQuestions | None:
    """Questions of one item, or None when the kit asks nothing specific about it."""
    return question_bank().get(control_id)


__all__ = [
    "ANSWER_TYPES",
    "ItemQuestions",
    "Option",
    "Question",
    "QuestionBank",
    "item_questions",
    "normalise_label",
    "question_bank",
]
