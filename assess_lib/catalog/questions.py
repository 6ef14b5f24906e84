"""The questions asked per guideline item (``catalog/questions.yaml``), as typed, read-only data.

Part of the guideline catalogue, so that every layer reads it without importing another: the attestation
collector validates answers against it, the checks put its questions in ``manual`` findings (what to ask when
nothing is attested), the questionnaire (report) lays it out and the report names answers with its labels.
Packaged data only: no customer file is read here.
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
    yes_words: frozenset[str] = frozenset()  # spellings of a yes/no answer, normalised (normalise_label)
    no_words: frozenset[str] = frozenset()
    written_yes: str = ""  # how the questionnaire writes a yes/no answer
    written_no: str = ""

    def get(self, control_id: str) -> ItemQuestions | None:
        return self.items.get(control_id)

    def topics(self, name: str) -> tuple[Option, ...]:
        return self.topic_sets[name]


def normalise_label(text: Any) -> str:
    """Compare labels loosely: NFKC (full/half width), case, spaces and middle dots ignored."""
    value = unicodedata.normalize("NFKC", str(text)).casefold()
    return re.sub(r"[\s\u30fb\uff65_\-]", "", value)  # the katakana middle dot, full and half width


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
        )
    words = data["answer_words"]
    return QuestionBank(
        items,
        topic_sets,
        approvers,
        frozenset(normalise_label(w) for w in words["yes"]),
        frozenset(normalise_label(w) for w in words["no"]),
        str(words["written"]["yes"]),
        str(words["written"]["no"]),
    )


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
