"""Check thresholds: data in thresholds.yaml, overridable per params file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any


from ._yaml import load_packaged_yaml

_FILE = Path(__file__).with_name("thresholds.yaml")


@lru_cache(maxsize=1)
def threshold_specs() -> dict[str, dict[str, Any]]:
    """Every threshold with its default and its ja/en description."""
    with open(_FILE, encoding="utf-8") as handle:
        return load_packaged_yaml(handle)


def _defaults() -> dict[str, Any]:
    return {name: spec["default"] for name, spec in threshold_specs().items()}


DEFAULT_THRESHOLDS: dict[str, Any] = _defaults()
