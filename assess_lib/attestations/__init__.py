"""Attestations: collecting the customer's manual evidence for organisational items.

The customer answers per guideline item (documents with title, approver, approval date, last review date and
location, plus the item's questions from ``catalog/questions.yaml``) in a YAML file or in the Excel
questionnaire the kit generates (``python -m assess_lib questionnaire --out FILE.xlsx``). The params key
``attestations:`` names the file. Collection validates it and stores it in the evidence bundle (account
``org``, region ``global``), so evaluation stays offline.

This package is collection only: ``schema`` (validation, one normalised form for both file types), ``xlsx``
(reading a filled questionnaire, loaded lazily: openpyxl is only needed for .xlsx files), ``layout`` (the
questionnaire's sheets and columns, shared with its writer) and ``model`` (the bundle's rows). It imports
nothing from the checks or the report: the checks read the rows back with ``checks/answers.py``, and the
questionnaire is written by ``report/questionnaire.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..evidence import GLOBAL, DatasetRecord, EvidenceStore
from ..params import Params, ParamsError
from ..safe_input import MAX_XLSX_BYTES, MAX_YAML_BYTES, decode_text, read_input_bytes, shown
from .model import ANSWERS_DATASET, DATASETS, DOCUMENTS_DATASET, FILE_DATASET, JST, ORG_ACCOUNT, to_rows
from .exceptions import EXCEPTIONS_DATASET, EXCEPTIONS_FOLDER, load_exceptions
from .schema import load_yaml_text, parse_attestations

YAML_SUFFIXES = (".yaml", ".yml")
XLSX_SUFFIXES = (".xlsx",)
ACTION = "attestation file"  # no ":" so it never enters the IAM policy
ATTESTATION_FOLDER = "attestations"  # the customer's file, as received: evidence/attestations/<its name>
_WHAT = "attestation file"
_FIX = "check the path of the attestation file (attestations: in the params file is relative to that file)"


def _today(now: dt.datetime | None = None) -> dt.date:
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    return now.astimezone(JST).date()


def file_format(path: Path) -> str:
    """``yaml`` or ``xlsx`` from the file name; ParamsError for anything else."""
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        return "yaml"
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    raise ParamsError(
        f"{shown(str(path), 300)}: attestation file must be YAML (.yaml/.yml) or the kit's Excel questionnaire (.xlsx). "
        "Fix: point attestations: at such a file, e.g. attestations.yaml"
    )


def load_attestations(path: Path | str, today: dt.date | None = None) -> dict[str, Any]:
    """Read and validate an attestation file (YAML or questionnaire xlsx) into the normalised form.

    ``today`` is the assessment date (dates after it are an error); default: today in Japan time.
    Raises :class:`~assess_lib.params.ParamsError` naming the file, item, field and fix.
    """
    return _load(Path(path), today or _today())[0]


def _load(path: Path, today: dt.date) -> tuple[dict[str, Any], bytes]:
    """The normalised attestations and the exact bytes they were read from (read once, bounded)."""
    if file_format(path) == "xlsx":
        from .xlsx import read_questionnaire

        content = read_input_bytes(path, _WHAT, MAX_XLSX_BYTES, _FIX)
        raw, locate = read_questionnaire(path, content)
        return parse_attestations(raw, str(path), today, locate), content
    content = read_input_bytes(path, _WHAT, MAX_YAML_BYTES, _FIX)
    text = decode_text(content, path, _WHAT, _FIX)
    return parse_attestations(load_yaml_text(text, str(path)), str(path), today), content


def collect_attestations(params: Params, store: EvidenceStore) -> dict[str, Any]:
    """Validate the params' attestation file (if any) and store it in the bundle; return manifest metadata.

    Without a file nothing is stored: the checks then find nothing attested and say ``manual``,
    not ``error`` (evidence could not be gathered).
    """
    started = dt.datetime.fromisoformat(store.started_at) if store.started_at else None
    meta = collect_exceptions(params, store, _today(started))
    path = params.attestations
    if path is None:
        return {"attestations": None, **meta}
    path = Path(path)
    data, content = _load(path, _today(started))
    # The customer's file itself goes into the bundle byte for byte (listed with its SHA-256 and size,
    # so `verify` and an auditor can check it), not only the rows parsed from it: the very bytes that
    # were validated, never a second read of a file that may have changed meanwhile.
    kept = store.add_file(path.name, content, ATTESTATION_FOLDER)
    digest = kept["sha256"]
    file_row = {
        "file": path.name,
        "format": file_format(path),
        "sha256": digest,
        "organisation": data.get("organisation"),
        "prepared_by": data.get("prepared_by"),
        "prepared_on": data.get("prepared_on"),
    }
    for dataset, rows in to_rows(data, file_row).items():
        store.put(DatasetRecord(dataset, ORG_ACCOUNT, GLOBAL, "ok", rows=rows, action=ACTION))
    return {
        "attestations": {
            "file": path.name,
            "sha256": digest,
            "format": file_row["format"],
            "kept_as": kept["file"],
            "items": sorted(data["items"]),
        },
        **meta,
    }


def collect_exceptions(params: Params, store: EvidenceStore, today: dt.date) -> dict[str, Any]:
    """Validate the params' exceptions file (if any), keep it byte for byte and store its rows."""
    if params.exceptions is None:
        return {"exceptions": None}
    path = Path(params.exceptions)
    rows, content = load_exceptions(path, today)
    kept = store.add_file(path.name, content, EXCEPTIONS_FOLDER)
    store.put(DatasetRecord(EXCEPTIONS_DATASET, ORG_ACCOUNT, GLOBAL, "ok", rows=rows, action=ACTION))
    return {"exceptions": {"file": path.name, "sha256": kept["sha256"], "kept_as": kept["file"], "entries": len(rows)}}


__all__ = [
    "ANSWERS_DATASET",
    "DATASETS",
    "DOCUMENTS_DATASET",
    "FILE_DATASET",
    "ORG_ACCOUNT",
    "collect_attestations",
    "file_format",
    "load_attestations",
    "parse_attestations",
]
