"""Redaction shared by every layer: access key IDs masked, spreadsheet formulas neutralised."""

from __future__ import annotations

import re
from typing import Any

_ACCESS_KEY_RE = re.compile(r"\b(AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|APKA)[A-Z0-9]{12}([A-Z0-9]{4})\b")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def mask_secrets(text: str) -> str:
    """Mask AWS access key IDs to their first and last four characters."""
    return _ACCESS_KEY_RE.sub(lambda m: f"{m.group(1)}…{m.group(2)}", text)


def neutralise_formula(value: Any) -> Any:
    """Prefix a quote to strings a spreadsheet would run as a formula (CSV/XLSX injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
