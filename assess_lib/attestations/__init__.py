"""Attestations: collecting the customer's manual evidence for organisational items.

The customer answers per guideline item (documents with title, approver, approval date, last review date and
location, plus the item's questions from ``catalog/questions.yaml``) in a YAML file or in the Excel
questionnaire the kit generates (``python -m assess_lib questionnaire --out FILE.xlsx``); the consultant records
every item's status, documents, verdict and remediation in the working sheet (``python -m assess_lib worksheet``,
read by ``worksheet``). The params key ``attestations:`` names either file, ``--worksheet`` adds a working sheet
beside it, ``exceptions:`` names the accepted risks. Collection validates them and stores them in the evidence
bundle (account ``org``, region ``global``), so evaluation stays offline; ``report --worksheet`` adds a working
sheet to a copy of a saved bundle (:func:`attach_worksheet`).

This package is collection only: ``schema`` (validation, one normalised form for both file types), ``xlsx``
(reading a filled questionnaire, loaded lazily: openpyxl is only needed for .xlsx files), ``layout`` (the
questionnaire's sheets and columns, shared with its writer) and ``model`` (the bundle's rows). It imports
nothing from the checks or the report: the checks read the rows back with ``checks/answers.py``, and the
questionnaire is written by ``report/questionnaire.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..evidence import GLOBAL, MANIFEST, Bundle, DatasetRecord, EvidenceStore
from ..evidence import _write_rows as write_dataset
from ..params import Params, ParamsError
from ..safe_input import MAX_XLSX_BYTES, MAX_YAML_BYTES, decode_text, read_input_bytes, shown
from .model import ANSWERS_DATASET, DATASETS, DOCUMENTS_DATASET, FILE_DATASET, JST, ORG_ACCOUNT, to_rows
from .exceptions import EXCEPTIONS_DATASET, EXCEPTIONS_FOLDER, load_exceptions
from .third_parties import THIRD_PARTIES_DATASET

WORKSHEET_DATASET = "attestation.worksheet"  # the working sheet's rows (attestations/worksheet.py reads them)
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
        if _is_worksheet(path, content):
            raise ParamsError(
                f"{shown(str(path), 300)}: a working sheet, not an attestation file or questionnaire. Fix: give it to "
                "attestations: in the params file or to --worksheet of run/report, which read working sheets"
            )
        raw, locate = read_questionnaire(path, content)
        return parse_attestations(raw, str(path), today, locate), content
    content = read_input_bytes(path, _WHAT, MAX_YAML_BYTES, _FIX)
    text = decode_text(content, path, _WHAT, _FIX)
    return parse_attestations(load_yaml_text(text, str(path)), str(path), today), content


def _is_worksheet(path: Path, content: bytes) -> bool:
    """Whether an .xlsx file is the working sheet; a file that is no workbook at all is left to the questionnaire's
    reader, whose message says so."""
    from .worksheet import is_worksheet

    try:
        return is_worksheet(path, content)
    except ParamsError:
        return False


@dataclass
class Inputs:
    """The customer's files named by the params (and --worksheet), each validated, with its exact bytes."""

    attestation: tuple[Path, dict[str, Any], bytes] | None = None  # YAML or questionnaire: normalised data
    sheet: tuple[Path, dict[str, Any], bytes] | None = None  # the working sheet: its rows (attestations.worksheet)
    exceptions: tuple[Path, list[dict[str, Any]], bytes] | None = None  # the YAML register of accepted risks


def read_inputs(params: Params, today: dt.date | None = None) -> Inputs:
    """Read and validate every customer file of ``params``: the attestation file (YAML, questionnaire or working
    sheet), the working sheet given with --worksheet and the exceptions file. ``today``: the collection date."""
    from .worksheet import read_worksheet

    today = today or _today()
    inputs = Inputs()
    sheets: list[Path] = []
    if params.attestations is not None:
        path = Path(params.attestations)
        if file_format(path) == "xlsx":
            content = read_input_bytes(path, _WHAT, MAX_XLSX_BYTES, _FIX)
            if _is_worksheet(path, content):
                inputs.sheet = (path, read_worksheet(path, content, today), content)
                sheets.append(path)
        if inputs.sheet is None:
            data, content = _load(path, today)
            inputs.attestation = (path, data, content)
    worksheet = getattr(params, "worksheet", None)
    if worksheet is not None:
        path = Path(worksheet)
        if inputs.sheet is not None:
            raise ParamsError(
                f"{shown(str(path), 300)}: a second working sheet (attestations: in the params file names "
                f"{shown(str(sheets[0]), 300)} already). Fix: give one working sheet, either with --worksheet or in the params"
            )
        content = read_input_bytes(path, "working sheet", MAX_XLSX_BYTES, "check the path given to --worksheet")
        inputs.sheet = (path, read_worksheet(path, content, today), content)
    if params.exceptions is not None:
        path = Path(params.exceptions)
        rows, content = load_exceptions(path, today)
        inputs.exceptions = (path, rows, content)
    return inputs


def _sheet_file_row(path: Path, digest: str) -> dict[str, Any]:
    from .worksheet import FORMAT

    return {"file": path.name, "format": FORMAT, "sha256": digest, "organisation": None, "prepared_by": None, "prepared_on": None}


def _sheet_meta(path: Path, kept: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    return {
        "file": path.name,
        "sha256": kept["sha256"],
        "kept_as": kept["file"],
        "language": data["language"],
        "items": sorted(row["control_id"] for row in data["worksheet"]),
        "documents": len(data["documents"]),
        "exceptions": len(data["exceptions"]),
        "third_parties": len(data["third_parties"]),
    }


def collect_attestations(params: Params, store: EvidenceStore) -> dict[str, Any]:
    """Validate the params' customer files (if any) and store them in the bundle; return manifest metadata.

    Each file goes into the bundle byte for byte (listed with its SHA-256 and size, so `verify` and an auditor
    can check it): the very bytes that were validated, never a second read of a file that may have changed
    meanwhile. The attestation file and the working sheet may both be given: their documents combine, as do the
    accepted risks of the exceptions file and of the sheet. Without any file nothing is stored: the checks then
    find nothing attested and say ``manual``, not ``error`` (evidence could not be gathered).
    """
    started = dt.datetime.fromisoformat(store.started_at) if store.started_at else None
    inputs = read_inputs(params, _today(started))
    meta: dict[str, Any] = {"attestations": None, "exceptions": None, "worksheet": None}
    files: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    register: list[dict[str, Any]] | None = None
    if inputs.exceptions is not None:
        path, rows, content = inputs.exceptions
        kept = store.add_file(path.name, content, EXCEPTIONS_FOLDER)
        register = list(rows)
        meta["exceptions"] = {"file": path.name, "sha256": kept["sha256"], "kept_as": kept["file"], "entries": len(rows)}
    if inputs.attestation is not None:
        path, data, content = inputs.attestation
        kept = store.add_file(path.name, content, ATTESTATION_FOLDER)
        file_row = {
            "file": path.name,
            "format": file_format(path),
            "sha256": kept["sha256"],
            "organisation": data.get("organisation"),
            "prepared_by": data.get("prepared_by"),
            "prepared_on": data.get("prepared_on"),
        }
        rows_by_dataset = to_rows(data, file_row)
        files.extend(rows_by_dataset[FILE_DATASET])
        documents.extend(rows_by_dataset[DOCUMENTS_DATASET])
        store.put(DatasetRecord(ANSWERS_DATASET, ORG_ACCOUNT, GLOBAL, "ok", rows=rows_by_dataset[ANSWERS_DATASET], action=ACTION))
        meta["attestations"] = {
            "file": path.name,
            "sha256": kept["sha256"],
            "format": file_row["format"],
            "kept_as": kept["file"],
            "items": sorted(data["items"]),
        }
    if inputs.sheet is not None:
        path, data, content = inputs.sheet
        kept = store.add_file(path.name, content, ATTESTATION_FOLDER)
        files.append(_sheet_file_row(path, kept["sha256"]))
        documents.extend(data["documents"])
        register = (register or []) + data["exceptions"]
        store.put(DatasetRecord(WORKSHEET_DATASET, ORG_ACCOUNT, GLOBAL, "ok", rows=data["worksheet"], action=ACTION))
        if data["third_parties"]:  # an empty register sheet: no register was given (never "a register of nobody")
            store.put(DatasetRecord(THIRD_PARTIES_DATASET, ORG_ACCOUNT, GLOBAL, "ok", rows=data["third_parties"], action=ACTION))
        meta["worksheet"] = _sheet_meta(path, kept, data)
    if files:
        store.put(DatasetRecord(FILE_DATASET, ORG_ACCOUNT, GLOBAL, "ok", rows=files, action=ACTION))
        store.put(DatasetRecord(DOCUMENTS_DATASET, ORG_ACCOUNT, GLOBAL, "ok", rows=documents, action=ACTION))
    if register is not None:
        store.put(DatasetRecord(EXCEPTIONS_DATASET, ORG_ACCOUNT, GLOBAL, "ok", rows=register, action=ACTION))
    return meta


def attach_worksheet(copy: Bundle, path: Path) -> Bundle:
    """A working sheet added to a bundle copy (``report --worksheet``): the sheet kept byte for byte, its datasets
    replaced (an earlier sheet's rows and file removed), the manifest rewritten to list them; the copy reloaded
    and verified again. Only a copy that verified may be changed: a report never vouches for what did not."""
    from .worksheet import load_worksheet

    if copy.verification:
        raise ParamsError(
            f"{shown(str(path), 300)}: the bundle does not match its manifest, so no working sheet is added to it. "
            "Fix: re-render from the bundle as the kit wrote it, or collect the evidence again with --worksheet"
        )
    folder = copy.path
    started = dt.datetime.fromisoformat(copy.manifest["started_at"]) if copy.manifest.get("started_at") else None
    data, content = load_worksheet(path, _today(started))
    manifest = json.loads(copy.manifest_bytes().decode("utf-8"))
    earlier = manifest.get("worksheet") or {}
    listed = list(manifest.get("files") or [])
    if earlier.get("kept_as"):
        listed = [entry for entry in listed if entry.get("file") != earlier["kept_as"]]
        (folder / earlier["kept_as"]).unlink(missing_ok=True)
    store = EvidenceStore(run_id=copy.run_id, started_at=copy.manifest.get("started_at") or "")
    kept = store.add_file(path.name, content, ATTESTATION_FOLDER)
    if any(entry.get("file") == kept["file"] for entry in listed):
        raise ParamsError(
            f"{shown(str(path), 300)}: the bundle already holds a customer file named {shown(kept['file'], 200)}. "
            "Fix: give the working sheet another file name"
        )
    target = folder / kept["file"]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    listed.append({"file": kept["file"], "sha256": kept["sha256"], "size": kept["size"]})

    def rows(dataset: str) -> list[dict[str, Any]]:
        return copy.rows(dataset, ORG_ACCOUNT, GLOBAL) if copy.entry(dataset, ORG_ACCOUNT, GLOBAL) else []

    replaced = {
        WORKSHEET_DATASET: data["worksheet"],
        FILE_DATASET: [r for r in rows(FILE_DATASET) if r.get("format") != "worksheet"] + [_sheet_file_row(path, kept["sha256"])],
        DOCUMENTS_DATASET: [r for r in rows(DOCUMENTS_DATASET) if not r.get("source")] + data["documents"],
        EXCEPTIONS_DATASET: [r for r in rows(EXCEPTIONS_DATASET) if "!" not in str(r.get("source") or "")] + data["exceptions"],
    }
    entries = {(e["dataset"], e["account_id"], e["region"]): e for e in manifest["datasets"]}
    earlier_register = entries.pop((THIRD_PARTIES_DATASET, ORG_ACCOUNT, GLOBAL), None)  # the register is the new sheet's
    if earlier_register and earlier_register.get("file"):
        (folder / earlier_register["file"]).unlink(missing_ok=True)
    if data["third_parties"]:
        replaced[THIRD_PARTIES_DATASET] = data["third_parties"]
    for dataset, dataset_rows in replaced.items():
        record = DatasetRecord(dataset, ORG_ACCOUNT, GLOBAL, "ok", rows=dataset_rows, action=ACTION)
        old = entries.get((dataset, ORG_ACCOUNT, GLOBAL))
        if old and old.get("file"):
            (folder / old["file"]).unlink(missing_ok=True)
        write_dataset(folder, record)
        entries[(dataset, ORG_ACCOUNT, GLOBAL)] = record.manifest_entry()
    manifest["datasets"] = [entries[key] for key in sorted(entries)]
    manifest["files"] = sorted(listed, key=lambda entry: entry["file"])
    manifest["worksheet"] = {**_sheet_meta(path, kept, data), "added_by": "report", "added_at": _now()}
    with open(folder / MANIFEST, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, ensure_ascii=False, indent=1)
    updated = Bundle.load(folder)
    updated.verification = updated.verify()
    return updated


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


__all__ = [
    "ANSWERS_DATASET",
    "DATASETS",
    "DOCUMENTS_DATASET",
    "FILE_DATASET",
    "ORG_ACCOUNT",
    "WORKSHEET_DATASET",
    "Inputs",
    "attach_worksheet",
    "collect_attestations",
    "file_format",
    "load_attestations",
    "parse_attestations",
    "read_inputs",
]
