"""What a check function yields: an outcome about one resource, with the facts behind it.

The runner turns each result into a finding: it renders the record's message template named by ``message``
in both languages with the facts, the parameters in force and ``{resource}``, ``{region}``, ``{account}``,
``{domain}``; a fact that is a :class:`~assess_lib.core.text.Phrase` is rendered in the same language first (a
Phrase key without dots names another message of the same check, with dots a key of the text catalogue).
The facts are kept as the finding's ``details`` (a Phrase as its key).
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


def stored(value: Any) -> Any:
    """A fact as kept in a finding's details: Phrases by their key."""
    if isinstance(value, Phrase):
        return value.key
    if isinstance(value, (list, tuple)) and any(isinstance(v, Phrase) for v in value):
        return [stored(v) for v in value]
    return value


__all__ = ["GLOBAL", "Phrase", "Result", "failed", "manual", "not_applicable", "passed", "stored"]
