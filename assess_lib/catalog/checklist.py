"""The points to confirm per guideline item, generated from the guideline's own wording.

Every sentence of an item's text becomes a point (level 0) and every sub-bullet a point under it (level 1), in
the guideline's order and words: 2.1.2 (1)'s thirteen topics, 2.6 (8)'s contract clauses. References
("(sankou)" / "(Reference)" lines) are not points. The consultant's working sheet and notebook show them as the
questions to ask; the customer's report never does (it states verdicts and their basis, not instructions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_BULLET = {"ja": ("\u30fb",), "en": ("- ", "\u2022 ")}  # the katakana middle dot; a bullet
_REFERENCE = re.compile(r"^[\uff08(](\u53c2\u8003|Reference)[)\uff09]", re.IGNORECASE)  # (sankou) / (Reference)
# Sentence ends: the Japanese full stop; in English a full stop, colon or semicolon before a capital letter.
_SENTENCE = {"ja": re.compile(r"(?<=\u3002)(?!$)"), "en": re.compile(r"(?<=[.:;])\s+(?=[A-Z])")}


@dataclass(frozen=True)
class Point:
    """One line of an item's checklist: a requirement sentence (level 0) or a sub-point of it (level 1)."""

    text: str
    level: int


def _text(control: Any, lang: str) -> str:
    return (control.text_en if lang == "en" else control.text_ja) or ""


def checklist(control: Any, lang: str = "ja") -> list[Point]:
    """The points of one catalogue item in ``lang`` (``ja`` or ``en``)."""
    points: list[Point] = []
    for raw in _text(control, lang).splitlines():
        line = raw.strip()
        if not line or _REFERENCE.match(line):
            continue
        bullet = next((b for b in _BULLET[lang] if line.startswith(b)), None)
        if bullet:
            points.append(Point(line[len(bullet) :].strip(), 1))
            continue
        points.extend(Point(s.strip(), 0) for s in _SENTENCE[lang].split(line) if s.strip())
    return points


def checklist_text(control: Any, lang: str = "ja") -> str:
    """The checklist as text, one point per line: a box before a sentence, an indented bullet before a sub-point."""
    sub = "\u3000\u30fb" if lang == "ja" else "  - "
    return "\n".join(("\u25a1 " if p.level == 0 else sub) + p.text for p in checklist(control, lang))


__all__ = ["Point", "checklist", "checklist_text"]
