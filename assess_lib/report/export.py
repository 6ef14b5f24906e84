"""Machine-readable exports: findings.json (contract), CSV, with formula neutralisation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable

from ..findings import Finding

_ACCESS_KEY_RE = re.compile(r"\b((?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|APKA)[A-Z0-9]{4})[A-Z0-9]{8}([A-Z0-9]{4})\b")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def mask_secrets(text: str) -> str:
    """Mask AWS access key IDs to their first and last four characters."""
    return _ACCESS_KEY_RE.sub(lambda m: f"{m.group(1)}…{m.group(2)}", text)


def neutralise_formula(value: Any) -> Any:
    """Prefix a quote to strings a spreadsheet would run as a formula (CSV/XLSX injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def finding_record(finding: Finding) -> dict[str, Any]:
    data = finding.to_dict()
    return json.loads(mask_secrets(json.dumps(data, ensure_ascii=False, default=str)))


def write_findings_json(path: Path, findings: Iterable[Finding]) -> None:
    records = [finding_record(f) for f in findings]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(records, handle, ensure_ascii=False, indent=1, default=str)
