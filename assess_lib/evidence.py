"""The evidence store and the evidence bundle.

Collection fills an :class:`EvidenceStore` (one record per dataset, account and
region, each gathered once per run) and saves it as a bundle: a folder
``evidence/`` with ``manifest.json`` and one JSON file per dataset. Evaluation
and publishing read only a :class:`Bundle`, so they run offline, without
credentials, years later.

A dataset that could not be gathered is kept too, with its classified error:
missing evidence is never silently dropped, and checks turn it into ``error``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator

from .core.model import ErrorKind, error_kind_label
from .core.text import t
from .redact import mask_secrets, redact_value

GLOBAL = "global"  # region name used for global services (IAM, CloudFront, DNS...)
MANIFEST = "manifest.json"
BUNDLE_FORMAT = 1
ROWS_CACHE = 128  # datasets kept in memory by a Bundle reader

# An account's region scope (manifest ``region_scope_errors``): written by aws/collect.py, read by checks/context.py.
REGIONS_ACTION = "ec2:DescribeRegions"
ASSUME_ROLE_ACTION = "sts:AssumeRole"
EMPTY_REGION_LIST = "EmptyRegionList"  # the code recorded when the region list came back empty

# Error kinds (one vocabulary for AWS and DNS failures: core.model.ErrorKind).
ACCESS_DENIED = ErrorKind.ACCESS_DENIED.value
THROTTLED = ErrorKind.THROTTLED.value
NOT_IMPLEMENTED = ErrorKind.NOT_IMPLEMENTED.value
REGION_DISABLED = ErrorKind.REGION_DISABLED.value
NOT_FOUND = ErrorKind.NOT_FOUND.value
CONNECTION = ErrorKind.CONNECTION.value
TIMEOUT = ErrorKind.TIMEOUT.value
NOT_COLLECTED = ErrorKind.NOT_COLLECTED.value
SERVER_ERROR = ErrorKind.SERVER_ERROR.value  # the service failed on its side (HTTP 5xx, InternalError, ServiceUnavailable)
OTHER = ErrorKind.OTHER.value


class _ErrorKindLabels(Mapping[str, dict[str, str]]):
    """``{kind: {ja, en}}`` read from the text catalogue (``error_kind.*``) when asked, so importing this
    module does not load the catalogue; unknown kinds are not in it (``.get(kind, LABELS["other"])``)."""

    _KINDS = tuple(k.value for k in ErrorKind)

    def __getitem__(self, kind: str) -> dict[str, str]:
        if kind not in self._KINDS:
            raise KeyError(kind)
        return {"ja": error_kind_label(kind, "ja"), "en": error_kind_label(kind, "en")}

    def __iter__(self) -> Iterator[str]:
        return iter(self._KINDS)

    def __len__(self) -> int:
        return len(self._KINDS)


ERROR_KIND_LABELS: Mapping[str, dict[str, str]] = _ErrorKindLabels()


class EvidenceUnavailable(Exception):
    """Raised when a check asks for a dataset that was not gathered.

    Carries what the report needs to say why: kind, code, message and the IAM
    action (or DNS query) whose failure left the gap.
    """

    def __init__(
        self,
        dataset: str,
        account_id: str,
        region: str,
        kind: str,
        code: str = "",
        message: str = "",
        action: str = "",
    ) -> None:
        self.dataset = dataset
        self.account_id = account_id
        self.region = region
        self.kind = kind
        self.code = code
        self.message = message
        self.action = action
        super().__init__(self.describe("en"))

    def describe(self, lang: str = "en") -> str:
        """One sentence naming the dataset, the cause and the missing permission."""
        lang = "ja" if lang == "ja" else "en"
        # The library's message is English: a Japanese sentence gives the kind and the raw code only.
        shown = bool(self.code) if lang == "ja" else bool(self.code or self.message)
        detail = t("evidence_unavailable.detail", lang, code=self.code, message=self.message) if shown else ""
        need = ""
        if self.action:
            is_permission = ":" in self.action  # IAM actions; DNS and attestation datasets name a query or file
            need = t(f"evidence_unavailable.{'permission' if is_permission else 'query'}", lang, action=self.action)
        return t(
            "evidence_unavailable.sentence",
            lang,
            dataset=self.dataset,
            where=f"{self.account_id}/{self.region}",
            kind=error_kind_label(self.kind, lang),
            detail=detail,
            need=need,
        )


@dataclass
class DatasetRecord:
    """One dataset for one (account, region): rows, or the classified error."""

    dataset: str
    account_id: str
    region: str
    status: str  # ok | error
    rows: list[dict[str, Any]] | None = None
    error_kind: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    action: str | None = None  # IAM action(s) or DNS query behind the dataset
    calls: int = 0
    seconds: float = 0.0
    file: str | None = None
    sha256: str | None = None
    row_count: int = 0
    size: int | None = None  # bytes of the dataset's file (verify compares it before hashing)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def unavailable(self) -> EvidenceUnavailable:
        return EvidenceUnavailable(
            self.dataset,
            self.account_id,
            self.region,
            self.error_kind or OTHER,
            self.error_code or "",
            self.error_message or "",
            self.action or "",
        )

    def manifest_entry(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("rows")
        return data


class CollectionError(Exception):
    """A classified failure raised by a collector (AWS or DNS)."""

    def __init__(self, kind: str, code: str = "", message: str = "", calls: int = 1) -> None:
        self.kind = kind
        self.code = code
        self.message = message
        self.calls = calls
        super().__init__(f"{kind}: {code} {message}".strip())


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, set):
        return sorted(value)
    return str(value)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class EvidenceStore:
    """Collection-side store: each dataset is fetched at most once per (account, region)."""

    run_id: str
    started_at: str
    meta: dict[str, Any] = field(default_factory=dict)
    records: dict[tuple[str, str, str], DatasetRecord] = field(default_factory=dict)
    # When set, each dataset is written here as soon as it is gathered and its rows leave memory
    # (a run over hundreds of accounts holds metadata only); ``save`` then renames the folder.
    staging: Path | None = None
    # Files kept byte for byte (the customer's attestation file): bundle-relative name -> contents.
    files: dict[str, bytes] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _pending: dict[tuple[str, str, str], threading.Event] = field(default_factory=dict, repr=False)

    def fetch(
        self,
        dataset: str,
        account_id: str,
        region: str,
        action: str,
        producer: Callable[[], tuple[list[dict[str, Any]], int]],
    ) -> DatasetRecord:
        """Return the record for a dataset, running ``producer`` the first time only.

        ``producer`` returns ``(rows, api_calls)`` or raises :class:`CollectionError`.
        Concurrent callers for the same key wait for the first one.
        """
        key = (dataset, account_id, region)
        while True:
            with self._lock:
                if key in self.records:
                    return self.records[key]
                event = self._pending.get(key)
                if event is None:
                    self._pending[key] = threading.Event()
                    break
            event.wait()
        start = time.perf_counter()
        try:
            rows, calls = producer()
            record = DatasetRecord(dataset, account_id, region, "ok", rows=redact_value(rows), action=action, calls=calls)
        except CollectionError as err:
            record = DatasetRecord(
                dataset,
                account_id,
                region,
                "error",
                error_kind=err.kind,
                error_code=err.code,
                error_message=err.message,
                action=action,
                calls=err.calls,
            )
            _redact_record(record)
        record.seconds = round(time.perf_counter() - start, 4)
        if self.staging is not None:
            self._spill(record)
        with self._lock:
            self.records[key] = record
            self._pending.pop(key).set()
        return record

    def rows(self, record: DatasetRecord) -> list[dict[str, Any]]:
        """A gathered dataset's rows, from memory or from the staging folder."""
        if record.rows is not None or record.file is None or self.staging is None:
            return record.rows or []
        with open(self.staging / record.file, encoding="utf-8") as handle:
            return json.load(handle)["rows"]

    def _spill(self, record: DatasetRecord) -> None:
        if record.ok:
            _write_rows(self.staging, record)
            record.rows = None

    def put(self, record: DatasetRecord) -> None:
        """Record a dataset made elsewhere (an account that could not be entered), redacted like :meth:`fetch`'s."""
        _redact_record(record)
        if record.rows is not None:
            record.rows = redact_value(record.rows)
        with self._lock:
            self.records[(record.dataset, record.account_id, record.region)] = record

    def add_file(self, name: str, data: bytes, folder: str) -> dict[str, Any]:
        """Keep ``data`` (a customer's file as it was read and validated) byte for byte as
        ``folder/<name>`` in the bundle, written by :meth:`save`; its manifest entry.

        The customer's own name is kept (Japanese included), without what would make it anything but one
        plain name inside the bundle: separators, control characters, "." and "..".
        """
        plain = re.sub(r"[\x00-\x1f\x7f/\\]", "_", name)
        rel = f"{_safe_name(folder)}/{plain if plain.strip('.') else '_' + plain}"
        with self._lock:
            self.files[rel] = data
        return {"file": rel, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}

    def save(self, run_dir: Path, finished_at: str) -> Path:
        """Write ``run_dir/evidence`` atomically (temporary folder, then rename)."""
        run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        final = run_dir / "evidence"
        tmp = self.staging or Path(tempfile.mkdtemp(prefix=".evidence-", dir=run_dir))
        tmp.mkdir(parents=True, exist_ok=True)
        entries = []
        for key in sorted(self.records):
            record = self.records[key]
            if record.ok and record.file is None:
                _write_rows(tmp, record)
            entries.append(record.manifest_entry())
        files = []
        for rel, data in sorted(self.files.items()):
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            files.append({"file": rel, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
        manifest = {
            "bundle_format": BUNDLE_FORMAT,
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": finished_at,
            # Every value of the metadata is redacted: it holds the params (an endpoint URL may carry a
            # password) and per-account error messages, which botocore writes with that URL in them.
            **redact_value(self.meta),
            "datasets": entries,
            "files": files,
        }
        with open(tmp / MANIFEST, "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, ensure_ascii=False, indent=1, default=_json_default)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        self.staging = None
        return final


def _redact_record(record: DatasetRecord) -> None:
    """Remove secrets from a record's error (botocore names the endpoint URL, password and all)."""
    record.error_code = mask_secrets(record.error_code) if record.error_code else record.error_code
    record.error_message = mask_secrets(record.error_message) if record.error_message else record.error_message


def _write_rows(folder: Path, record: DatasetRecord) -> None:
    """One dataset's rows as ``<account>/<region>/<dataset>.json`` under ``folder``, with its SHA-256."""
    rel = f"{_safe_name(record.account_id)}/{_safe_name(record.region)}/{_safe_name(record.dataset)}.json"
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"rows": record.rows}, handle, ensure_ascii=False, default=_json_default, indent=1)
    record.file = rel
    record.sha256 = sha256_file(path)
    record.size = path.stat().st_size
    record.row_count = len(record.rows or [])


class Bundle:
    """Read side of a saved evidence bundle (offline).

    :meth:`load` validates the manifest (:mod:`assess_lib.bundle_check`): every listed path stays inside the
    bundle, so :meth:`rows` reads nothing else. ``verification`` is None until the files are verified, then the
    list of problems found (empty: every file matches the manifest).
    """

    def __init__(self, path: Path, manifest: dict[str, Any], manifest_bytes: bytes | None = None) -> None:
        self.path = path
        self.manifest = manifest
        self._manifest_bytes = manifest_bytes
        self.verification: list[str] | None = None
        self._entries: dict[tuple[str, str, str], dict[str, Any]] = {
            (e["dataset"], e["account_id"], e["region"]): e for e in manifest["datasets"]
        }
        # Recently read datasets: checks of one account run together, so a small cache serves them
        # all without holding a large estate's every row in memory.
        self._rows: OrderedDict[tuple[str, str, str], list[dict[str, Any]]] = OrderedDict()

    @classmethod
    def load(cls, path: Path | str) -> Bundle:
        """Load ``path`` (the ``evidence`` folder or the run folder holding it), its manifest validated.

        Raises :class:`~assess_lib.bundle_check.BundleError` (a :class:`FileNotFoundError` when there is no
        manifest) with one paragraph naming the bundle, the entry and the fix.
        """
        from .bundle_check import load_manifest, locate

        folder = locate(Path(os.path.abspath(path)))
        manifest, data = load_manifest(folder)
        return cls(folder, manifest, data)

    @property
    def run_id(self) -> str:
        return self.manifest["run_id"]

    @property
    def accounts(self) -> list[str]:
        return list(self.manifest.get("accounts", []))

    def regions(self, account_id: str) -> list[str]:
        return list(self.manifest.get("regions", {}).get(account_id, []))

    def entries(self) -> Iterator[dict[str, Any]]:
        return iter(self.manifest["datasets"])

    def entry(self, dataset: str, account_id: str, region: str = GLOBAL) -> dict[str, Any] | None:
        return self._entries.get((dataset, account_id, region))

    def rows(self, dataset: str, account_id: str, region: str = GLOBAL) -> list[dict[str, Any]]:
        """Rows of a dataset; raises :class:`EvidenceUnavailable` when it was not gathered."""
        key = (dataset, account_id, region)
        if key in self._rows:
            self._rows.move_to_end(key)
            return self._rows[key]
        entry = self._entries.get(key)
        if entry is None:
            raise EvidenceUnavailable(dataset, account_id, region, NOT_COLLECTED)
        if entry["status"] != "ok":
            raise EvidenceUnavailable(
                dataset,
                account_id,
                region,
                entry.get("error_kind") or OTHER,
                entry.get("error_code") or "",
                entry.get("error_message") or "",
                entry.get("action") or "",
            )
        rows = self._read_rows(entry)
        self._rows[key] = rows
        if len(self._rows) > ROWS_CACHE:
            self._rows.popitem(last=False)
        return rows

    def _read_rows(self, entry: dict[str, Any]) -> list[dict[str, Any]]:
        """A dataset file's rows, opened inside the bundle only (no symbolic link, no special file)."""
        from .bundle_check import MAX_DATASET_BYTES, MemberProblem, parse_rows, read_member

        try:
            return parse_rows(read_member(self.path, entry["file"], MAX_DATASET_BYTES))
        except (MemberProblem, ValueError) as err:
            # A file that cannot be read is missing evidence (an error), never an empty dataset.
            raise EvidenceUnavailable(
                entry["dataset"], entry["account_id"], entry["region"], OTHER, "BundleFileUnreadable", str(err)
            ) from None

    def manifest_bytes(self) -> bytes:
        """The manifest exactly as loaded and validated."""
        if self._manifest_bytes is None:
            self._manifest_bytes = (self.path / MANIFEST).read_bytes()
        return self._manifest_bytes

    def manifest_sha256(self) -> str:
        """SHA-256 of the manifest as loaded (the bytes validated, not the file as it may be now)."""
        return hashlib.sha256(self.manifest_bytes()).hexdigest()

    def files(self) -> list[dict[str, Any]]:
        """Manifest entries of every file in the bundle: datasets and files kept as received."""
        return [e for e in self.entries() if e.get("file")] + list(self.manifest.get("files", []))

    def verify(self) -> list[str]:
        """Every problem of the bundle's files against the manifest, one line each (empty when intact).

        Size, SHA-256 and, for datasets, the row count of every listed file (symbolic links and special files
        are refused, never opened), and the files in the bundle folder that the manifest does not list.
        """
        from .bundle_check import verify_bundle

        return verify_bundle(self)

    def errors(self) -> list[dict[str, Any]]:
        """Manifest entries of datasets that could not be gathered."""
        return [e for e in self.entries() if e["status"] != "ok"]
