"""Check parameters (a params file's ``thresholds:``): declared with their defaults by the checks' records
(``parameters:`` in checks/<module>.yaml), described in the text catalogue (``parameter.<name>``)."""

from __future__ import annotations

from typing import Any

from .checks.records import parameter_defaults
from .core.text import t

DEFAULT_THRESHOLDS: dict[str, Any] = parameter_defaults()
# A text parameter (a tag key, a list of tag values) is short; a longer one is a mistake in the params file.
MAX_TEXT_THRESHOLD = 1000


def describe(name: str, lang: str = "ja") -> str:
    """What parameter ``name`` means, in ``lang``."""
    return t(f"parameter.{name}", lang)


__all__ = ["DEFAULT_THRESHOLDS", "MAX_TEXT_THRESHOLD", "describe"]
