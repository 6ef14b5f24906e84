"""Machine-readable exports: findings.json (contract), access key IDs masked."""

from __future__ import annotations

import json
from pathlib import Path
from collections.abc import Iterable
from typing import Any

from ..core import Finding
from ..redact import mask_secrets


def finding_record(finding: Finding) -> dict[str, Any]:
    data = finding.to_dict()
    return json.loads(mask_secrets(json.dumps(data, ensure_ascii=False, default=str)))


def write_findings_json(path: Path, findings: Iterable[Finding], extra: dict[str, Any] | None = None) -> None:
    """findings.json; ``extra`` fields are added to every record (e.g. ``evidence_verified`` on a re-render)."""
    records = [{**finding_record(f), **(extra or {})} for f in findings]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(records, handle, ensure_ascii=False, indent=1, default=str)
