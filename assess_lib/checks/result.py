"""What a check function yields: an outcome about one resource, with the facts behind it.

The runner turns each result into a finding: it renders the record's message template named by ``message``
in both languages with the facts, the parameters in force and ``{resource}``, ``{region}``, ``{account}``,
``{domain}``; a fact that is a :class:`~assess_lib.core.text.Phrase` is rendered in the same language first (a
Phrase key without dots names another message of the same check, with dots a key of the text catalogue).
The facts are kept as the finding's ``details`` (a Phrase of the check's messages as its key, catalogue words left out).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.model import Verdict
from ..core.text import Phrase

GLOBAL = "global"


@dataclass(frozen=True)
class Result:
    verdict: Verdict
    resource: str
    message: str
    region: str = GLOBAL
    severity: str | None = None  # a failure's, when not the record's
    facts: Mapping[str, Any] = field(default_factory=dict)


def passed(resource: str, message: str = "pass", *, region: str = GLOBAL, **facts: Any) -> Result:
    return Result(Verdict.PASS, resource, message, region, None, facts)


def failed(resource: str, message: str = "fail", *, region: str = GLOBAL, severity: str | None = None, **facts: Any) -> Result:
    return Result(Verdict.FAIL, resource, message, region, severity, facts)


def not_applicable(resource: str, message: str = "none", *, region: str = GLOBAL, **facts: Any) -> Result:
    return Result(Verdict.NOT_APPLICABLE, resource, message, region, None, facts)


def manual(resource: str, message: str = "manual", *, region: str = GLOBAL, **facts: Any) -> Result:
    return Result(Verdict.MANUAL, resource, message, region, None, facts)


_WORDS = object()  # a fact that is only words (catalogue text): not kept in details


def shown_list(items: list[str], limit: int = 5) -> str:
    """Items short enough for a finding's sentence, with the count of those left out (``a, b … (+3)``)."""
    limit = max(1, int(limit))
    return ", ".join(items[:limit]) + (f" … (+{len(items) - limit})" if len(items) > limit else "")


def _states(value: Phrase) -> list[str]:
    """The check's own message keys a Phrase stands for: its key, or, for a Phrase that joins a list of others
    (or catalogue words), the keys of those it joins."""
    joined = [p for item in value.values.values() if isinstance(item, (list, tuple)) for p in item if isinstance(p, Phrase)]
    if "." in value.key or joined:
        inner = joined or [p for p in value.values.values() if isinstance(p, Phrase)]
        return [key for part in inner for key in _states(part)]
    return [value.key]


def stored(value: Any) -> Any:
    """A fact as kept in a finding's details: a Phrase of the check's own messages as its key (a state such
    as ``in_use``), a Phrase joining others as their keys, catalogue words (dotted keys) not at all."""
    if isinstance(value, Phrase):
        states = _states(value)
        if not states:
            return _WORDS
        return states[0] if states == [value.key] else states
    if isinstance(value, (list, tuple)) and any(isinstance(v, Phrase) for v in value):
        kept: list[Any] = []
        for item in value:
            one = stored(item)
            if one is not _WORDS:
                kept.extend(one if isinstance(one, list) else [one])
        return kept
    return value


def details_of(facts: Mapping[str, Any]) -> dict[str, Any]:
    """The facts of a result as a finding's details (catalogue words left out)."""
    return {name: kept for name, value in facts.items() if (kept := stored(value)) is not _WORDS}


__all__ = ["GLOBAL", "Phrase", "Result", "details_of", "failed", "manual", "not_applicable", "passed", "shown_list", "stored"]
