"""Trust in an evidence bundle: its manifest is validated when it is loaded, its files verified before a report believes them.

A bundle comes back from a customer, an auditor or an archive: its manifest may be truncated, hand-written or
forged, its files edited, replaced by symbolic links or by special files. Three rules hold here, in one place each:

- :func:`load_manifest` reads ``manifest.json`` as a bounded regular file and :func:`validate_manifest` checks every
  key the kit reads (types, known format, unique entries, file paths that stay inside the bundle); anything else is a
  :class:`BundleError`, one paragraph naming the bundle, the entry and the fix.
- :func:`open_member` is the only way a listed file is opened: it walks the bundle folder one component at a time
  without following symbolic links and opens regular files only (never a FIFO or a device, which could block).
- :func:`verify_bundle` compares every listed file (size, SHA-256, row count of datasets) and lists the files the
  manifest does not name; :func:`verified_copy` copies only what the manifest lists, as regular files, and verifies
  the copy, so what is verified is what is rendered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import stat
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from collections.abc import Iterable

from .safe_input import file_kind

if TYPE_CHECKING:
    from .evidence import Bundle

MANIFEST = "manifest.json"  # the same name as evidence.MANIFEST (imported there from here would be circular)
MAX_MANIFEST_BYTES = 128 << 20  # about 270,000 datasets (some 480 bytes each); parsing it takes a few GB at most
MAX_DATASET_BYTES = 1 << 30  # a dataset file parsed to count (or read) its rows
MAX_FILE_BYTES = 256 << 20  # a file kept as received (the customer's answers), hashed as a stream
MAX_PATH_CHARS = 1024
MAX_PATH_PARTS = 16
MAX_WALK = 500_000  # entries of the bundle folder looked at when searching for unlisted files
MAX_INT = 2**63 - 1
MAX_SHOWN = 80  # characters of a value quoted in a message
CHUNK = 1 << 20

SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

FIX_MANIFEST = (
    "use the bundle exactly as the kit wrote it (restore it from the original run folder or archive), "
    "or collect the evidence again with 'python -m assess_lib run'"
)


class BundleError(Exception):
    """A bundle that cannot be used: one paragraph naming the bundle, the entry and the fix."""

    def __init__(self, bundle: Path | str, problem: str, fix: str = FIX_MANIFEST) -> None:
        self.bundle = str(bundle)
        self.problem = problem
        self.fix = fix
        super().__init__(f"evidence bundle {bundle}: {problem}. Fix: {fix}")


class BundleNotFound(BundleError, FileNotFoundError):
    """No manifest where a bundle was expected (also a FileNotFoundError, as callers have long caught)."""


class MemberProblem(Exception):
    """A listed file that cannot be read safely; ``str()`` is the problem line (``missing: x``, ...)."""


def printable(name: str) -> str:
    """A file name as one printable line: undecodable bytes and control characters escaped (no terminal codes)."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def show(value: Any) -> str:
    """A value quoted for a message, never unbounded."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a value that cannot even be shown is named by its type
        text = f"<{type(value).__name__}>"
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


# --- opening files inside the bundle -------------------------------------------------------------------

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_NOCTTY = getattr(os, "O_NOCTTY", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_DIR_FD = os.open in os.supports_dir_fd and os.lstat in os.supports_dir_fd


def _refuse(rel: str, st: os.stat_result, shown: str, root: Path | None = None, dir_fd: int | None = None) -> MemberProblem:
    """The problem line for ``rel`` when ``shown`` (itself or a folder on its way) is not what it must be."""
    kind = file_kind(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        try:
            name = shown.rsplit("/", 1)[-1]
            target = os.readlink(name, dir_fd=dir_fd) if dir_fd is not None else os.readlink(root / shown)  # type: ignore[operator]
            kind += f" to {show(os.fsdecode(target))}"
        except OSError:
            pass
        where = f"{shown} is a {kind}" if shown != rel else kind
        return MemberProblem(f"symbolic link (not followed): {rel} ({where})")
    if shown != rel:
        return MemberProblem(f"not a regular file: {rel} ({shown} is a {kind})")
    return MemberProblem(f"not a regular file: {rel} (a {kind}; never opened)")


def hard_link_problem(rel: str, st: os.stat_result) -> str | None:
    """A listed file with other names may be a file outside the bundle (a credentials file), changing under it:
    verification and the copy for a report refuse it (reading it in place stays possible)."""
    if st.st_nlink > 1:
        return f"hard link: {rel} (a file with {st.st_nlink} names; copy the bundle with cp -r or tar first)"
    return None


def open_member(root: Path, rel: str) -> tuple[int, os.stat_result]:
    """Open the listed file ``rel`` of the bundle folder ``root`` for reading; (descriptor, its fstat).

    Every component is looked at with lstat before it is opened, and opened with O_NOFOLLOW: a symbolic link
    anywhere on the way, a FIFO, a device or a folder raises :class:`MemberProblem` and is never opened. ``rel``
    has passed :func:`path_problem` (relative, normalised, no ``..``).
    """
    parts = rel.split("/")
    if _DIR_FD:
        try:
            dir_fd = os.open(root, os.O_RDONLY | _O_DIRECTORY | _O_CLOEXEC)
        except OSError as err:
            raise MemberProblem(f"unreadable: {rel} (the bundle folder: {err.strerror})") from None
        try:
            for index, part in enumerate(parts):
                shown = "/".join(parts[: index + 1])
                try:
                    st = os.lstat(part, dir_fd=dir_fd)
                except FileNotFoundError:
                    raise MemberProblem(f"missing: {rel}") from None
                except OSError as err:
                    raise MemberProblem(f"unreadable: {rel} ({err.strerror})") from None
                last = index == len(parts) - 1
                if not (stat.S_ISREG(st.st_mode) if last else stat.S_ISDIR(st.st_mode)):
                    raise _refuse(rel, st, shown, dir_fd=dir_fd)
                flags = (
                    os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_NOCTTY | _O_CLOEXEC
                    if last
                    else os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC
                )
                try:
                    fd = os.open(part, flags, dir_fd=dir_fd)
                except OSError as err:
                    raise MemberProblem(f"unreadable: {rel} ({err.strerror})") from None
                os.close(dir_fd)
                dir_fd = fd
                if not last:
                    continue
                opened = os.fstat(fd)
                # The file looked at is the file opened (not swapped for another between lstat and open).
                if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
                    os.close(fd)
                    dir_fd = -1
                    raise MemberProblem(f"changed while being read: {rel}")
                dir_fd = -1
                return fd, opened
        finally:
            if dir_fd >= 0:
                os.close(dir_fd)
    # Without openat (Windows): lstat every component, then open the file itself.
    for index in range(len(parts)):
        shown = "/".join(parts[: index + 1])
        try:
            st = os.lstat(root / shown)
        except FileNotFoundError:
            raise MemberProblem(f"missing: {rel}") from None
        except OSError as err:
            raise MemberProblem(f"unreadable: {rel} ({err.strerror})") from None
        last = index == len(parts) - 1
        if not (stat.S_ISREG(st.st_mode) if last else stat.S_ISDIR(st.st_mode)):
            raise _refuse(rel, st, shown, root=root)
    try:
        fd = os.open(root / rel, os.O_RDONLY | _O_BINARY | _O_NOFOLLOW | _O_NONBLOCK)
    except OSError as err:
        raise MemberProblem(f"unreadable: {rel} ({err.strerror})") from None
    opened = os.fstat(fd)
    if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
        os.close(fd)
        raise MemberProblem(f"changed while being read: {rel}")
    return fd, opened


def _read_fd(fd: int, limit: int) -> bytes | None:
    """At most ``limit`` bytes from ``fd``; None when there are more."""
    chunks = []
    total = 0
    while True:
        chunk = os.read(fd, min(CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            return None


def read_member(root: Path, rel: str, limit: int) -> bytes:
    """The bytes of a listed file (at most ``limit``), opened by :func:`open_member`."""
    fd, st = open_member(root, rel)
    try:
        if st.st_size > limit:
            raise MemberProblem(f"too large: {rel} ({st.st_size} bytes; the kit reads at most {limit})")
        data = _read_fd(fd, limit)
    except OSError as err:
        raise MemberProblem(f"unreadable: {rel} ({err.strerror})") from None
    finally:
        os.close(fd)
    if data is None:
        raise MemberProblem(f"too large: {rel} (more than {limit} bytes)")
    return data


# --- JSON within bounds ---------------------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise ValueError(f"duplicate key {show(key)}")
        data[key] = value
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(data: bytes) -> Any:
    """Strict JSON: UTF-8, no duplicate keys, no NaN/Infinity; ValueError (with the reason) for anything else."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"not UTF-8 text (byte {err.start})") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON ({err.msg} at line {err.lineno}, column {err.colno}; truncated or edited?)") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError as err:  # duplicate keys, NaN, integers too long to convert
        raise ValueError(str(err)[:200]) from None


# --- the manifest -----------------------------------------------------------------------------------------


def locate(path: Path) -> Path:
    """The bundle folder for ``path``: a run folder (its ``evidence/``) or the evidence folder itself.

    The folder named is taken as given; an ``evidence`` link inside it is not followed.
    """
    evidence = path / "evidence"
    try:
        mode = os.lstat(evidence).st_mode
    except OSError:
        return path
    if stat.S_ISLNK(mode) and not os.path.lexists(path / MANIFEST):
        raise BundleError(
            path,
            f"evidence is a symbolic link (to {show(os.readlink(evidence))}), not followed",
            "point --bundle at the evidence folder itself",
        )
    if stat.S_ISDIR(mode) and os.path.lexists(evidence / MANIFEST):
        return evidence
    return path


def load_manifest(folder: Path) -> tuple[dict[str, Any], bytes]:
    """The validated manifest of the bundle folder ``folder`` and its exact bytes; :class:`BundleError` otherwise."""
    fix = "point --bundle at a run folder or its evidence/ folder"
    if not folder.is_dir():  # BundleNotFound is an OSError: raised before the try below
        raise BundleNotFound(folder, "no such folder" if not os.path.lexists(folder) else "not a folder", fix)
    try:
        data = read_member(folder, MANIFEST, MAX_MANIFEST_BYTES)
    except MemberProblem as problem:
        if str(problem).startswith("missing:"):
            raise BundleNotFound(folder, f"no evidence bundle here (expected {MANIFEST})", fix) from None
        raise BundleError(folder, f"{MANIFEST} cannot be used: {problem}") from None
    except OSError as err:
        raise BundleError(folder, f"cannot be read ({err.strerror or err})", "check the folder's permissions") from None
    try:
        manifest = parse_json(data)
    except ValueError as err:
        raise BundleError(folder, f"{MANIFEST} cannot be read: {err}") from None
    validate_manifest(manifest, folder)
    return manifest, data


def path_problem(value: Any) -> str | None:
    """Why ``value`` cannot name a file inside a bundle (None when it can)."""
    if not isinstance(value, str) or not value:
        return "expected a relative file path"
    if len(value) > MAX_PATH_CHARS:
        return f"path longer than {MAX_PATH_CHARS} characters"
    if _CONTROL_RE.search(value):
        return "path with a control character (NUL, newline...)"
    if "\\" in value:
        return "path with a backslash"
    if value.startswith("/") or re.match(r"^[A-Za-z]:", value):
        return "absolute path (files must be inside the bundle)"
    parts = value.split("/")
    if ".." in parts:
        return "path leaving the bundle ('..')"
    if any(part in ("", ".") for part in parts) or str(PurePosixPath(value)) != value:
        return "path not in normal form (empty or '.' components)"
    if len(parts) > MAX_PATH_PARTS:
        return f"path deeper than {MAX_PATH_PARTS} folders"
    if value == MANIFEST:
        return "the manifest cannot list itself"
    return None


class _Checker:
    """Collects the first problem of a manifest, with the place it was found."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def fail(self, where: str, problem: str) -> BundleError:
        return BundleError(self.folder, f"{MANIFEST}, {where}: {problem}")

    def string(self, data: dict[str, Any], key: str, where: str, required: bool = False, limit: int = 100_000) -> None:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(f"{where}{key}", "missing (expected a text)")
            return
        if not isinstance(value, str):
            raise self.fail(f"{where}{key}", f"expected a text, found {show(value)}")
        if required and not value.strip():
            raise self.fail(f"{where}{key}", "empty")
        if len(value) > limit:
            raise self.fail(f"{where}{key}", f"text longer than {limit} characters")

    def integer(self, data: dict[str, Any], key: str, where: str, required: bool = False) -> None:
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(f"{where}{key}", "missing (expected a whole number)")
            return
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
            raise self.fail(f"{where}{key}", f"expected a non-negative whole number, found {show(value)}")

    def number(self, data: dict[str, Any], key: str, where: str) -> None:
        value = data.get(key)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1e12:
            raise self.fail(f"{where}{key}", f"expected a non-negative number, found {show(value)}")

    def strings(self, value: Any, where: str, optional: bool = False) -> None:
        if value is None and optional:
            return
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list of texts, found {show(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{where}[{index}]", f"expected a text, found {show(item)}")

    def timestamp(self, data: dict[str, Any], key: str, required: bool) -> None:
        self.string(data, key, "", required)
        value = data.get(key)
        if value:
            try:
                dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                raise self.fail(
                    key, f"expected an ISO 8601 time such as 2025-01-31T09:00:00+00:00, found {show(value)}"
                ) from None

    def sha256(self, data: dict[str, Any], where: str) -> None:
        value = data.get("sha256")
        if not isinstance(value, str) or not SHA256_RE.match(value):
            raise self.fail(f"{where}sha256", f"expected 64 hexadecimal digits, found {show(value)}")


def validate_manifest(manifest: Any, folder: Path) -> None:
    """Check every key of the manifest that the kit reads; :class:`BundleError` names the first problem."""
    from .evidence import BUNDLE_FORMAT

    check = _Checker(folder)
    if not isinstance(manifest, dict):
        raise BundleError(folder, f"{MANIFEST}: expected a JSON object, found {type(manifest).__name__}")
    fmt = manifest.get("bundle_format")
    if isinstance(fmt, bool) or not isinstance(fmt, int):
        raise check.fail("bundle_format", f"expected the whole number {BUNDLE_FORMAT}, found {show(fmt)}")
    if fmt != BUNDLE_FORMAT:
        raise BundleError(
            folder,
            f"{MANIFEST}, bundle_format: format {show(fmt)} is not known to this kit (it reads format {BUNDLE_FORMAT})",
            "open the bundle with the kit version that wrote it (its manifest names kit_version)",
        )
    check.string(manifest, "run_id", "", required=True, limit=200)
    if _CONTROL_RE.search(manifest["run_id"]):
        raise check.fail("run_id", "control character in the bundle ID")
    check.timestamp(manifest, "started_at", required=True)
    check.timestamp(manifest, "finished_at", required=False)
    for key in ("customer", "kit_version"):
        check.string(manifest, key, "")
    # Keys read with a default when absent must hold their type when present (null included).
    for key in ("accounts", "domains"):
        if key in manifest:
            check.strings(manifest[key], key)
    check.strings(manifest.get("organization_accounts"), "organization_accounts", optional=True)
    if "regions" in manifest:
        regions = manifest["regions"]
        if not isinstance(regions, dict):
            raise check.fail("regions", f"expected an object of account -> region list, found {show(regions)}")
        for account, names in regions.items():
            check.strings(names, f"regions[{show(account)}]")
    account_errors = manifest.get("account_errors")
    if account_errors is not None:
        if not isinstance(account_errors, dict):
            raise check.fail("account_errors", f"expected an object of account -> error, found {show(account_errors)}")
        for account, error in account_errors.items():
            if error is not None and not isinstance(error, dict):
                raise check.fail(f"account_errors[{show(account)}]", f"expected an object, found {show(error)}")
            for key in ("kind", "code", "message"):
                check.string(error or {}, key, f"account_errors[{show(account)}].")
    if "params" in manifest:
        _validate_params(check, manifest["params"])
    _validate_entries(check, manifest)


def _validate_params(check: _Checker, params: Any) -> None:
    from .thresholds import DEFAULT_THRESHOLDS, MAX_TEXT_THRESHOLD

    if not isinstance(params, dict):
        raise check.fail("params", f"expected an object, found {show(params)}")
    language = params.get("language")
    if language is not None and language not in ("ja", "en"):
        raise check.fail("params.language", f"expected ja or en, found {show(language)}")
    thresholds = params.get("thresholds")
    if thresholds is None:
        return
    if not isinstance(thresholds, dict):
        raise check.fail("params.thresholds", f"expected an object, found {show(thresholds)}")
    for key, value in thresholds.items():
        if key not in DEFAULT_THRESHOLDS:
            raise check.fail(f"params.thresholds.{show(key)}", "unknown threshold")
        default = DEFAULT_THRESHOLDS[key]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise check.fail(f"params.thresholds.{key}", f"expected true or false, found {show(value)}")
        elif isinstance(default, str):  # a tag key or a list of values, e.g. classification_tag_key
            if not isinstance(value, str) or len(value) > MAX_TEXT_THRESHOLD:
                raise check.fail(
                    f"params.thresholds.{key}", f"expected a text of at most {MAX_TEXT_THRESHOLD} characters, found {show(value)}"
                )
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
            raise check.fail(f"params.thresholds.{key}", f"expected a non-negative whole number, found {show(value)}")


def _validate_entries(check: _Checker, manifest: dict[str, Any]) -> None:
    datasets = manifest.get("datasets")
    if not isinstance(datasets, list):
        raise check.fail("datasets", f"expected a list of dataset entries, found {show(datasets)}")
    files = manifest.get("files", [])
    if not isinstance(files, list):
        raise check.fail("files", f"expected a list of file entries, found {show(files)}")
    keys: set[tuple[str, str, str]] = set()
    paths: dict[str, str] = {}  # case-folded path -> where it is listed (case-insensitive file systems)

    def listed(entry: dict[str, Any], where: str) -> None:
        rel = entry.get("file")
        problem = path_problem(rel)
        if problem:
            raise check.fail(f"{where}.file", f"{problem}: {show(rel)}")
        folded = rel.casefold()
        if folded in paths:
            raise check.fail(f"{where}.file", f"{show(rel)} is listed twice (also in {paths[folded]})")
        paths[folded] = where
        check.sha256(entry, f"{where}.")

    for index, entry in enumerate(datasets):
        where = f"datasets[{index}]"
        if not isinstance(entry, dict):
            raise check.fail(where, f"expected an object, found {show(entry)}")
        for key in ("dataset", "account_id", "region"):
            check.string(entry, key, f"{where}.", required=True, limit=256)
        key = (entry["dataset"], entry["account_id"], entry["region"])
        if key in keys:
            raise check.fail(where, f"dataset {show(key[0])} of {show(key[1])}/{show(key[2])} is listed twice")
        keys.add(key)
        status = entry.get("status")
        if status not in ("ok", "error"):
            raise check.fail(f"{where}.status", f"expected ok or error, found {show(status)}")
        for name in ("error_kind", "error_code", "error_message", "action"):
            check.string(entry, name, f"{where}.")
        check.integer(entry, "calls", f"{where}.")
        check.number(entry, "seconds", f"{where}.")
        check.integer(entry, "size", f"{where}.")
        if status == "ok":
            listed(entry, where)
            check.integer(entry, "row_count", f"{where}.", required=True)
        else:
            if entry.get("file") is not None:
                raise check.fail(f"{where}.file", "a dataset that could not be gathered has no file")
            check.integer(entry, "row_count", f"{where}.")
    for index, entry in enumerate(files):
        where = f"files[{index}]"
        if not isinstance(entry, dict):
            raise check.fail(where, f"expected an object, found {show(entry)}")
        listed(entry, where)
        check.integer(entry, "size", f"{where}.", required=True)
    # A listed file cannot also be a folder on the way to another ("a" and "a/b").
    for folded, where in paths.items():
        parts = folded.split("/")
        for depth in range(1, len(parts)):
            prefix = "/".join(parts[:depth])
            if prefix in paths:
                raise check.fail(f"{paths[prefix]}.file", f"is also a folder of the file listed in {where}")


# --- verification -----------------------------------------------------------------------------------------


def _digest(fd: int, limit: int) -> tuple[str, int, bool]:
    """SHA-256 and size of what ``fd`` holds, reading at most ``limit`` + 1 bytes; True when there was more."""
    digest = hashlib.sha256()
    size = 0
    while True:
        chunk = os.read(fd, min(CHUNK, limit + 1 - size))
        if not chunk:
            return digest.hexdigest(), size, False
        digest.update(chunk)
        size += len(chunk)
        if size > limit:
            return digest.hexdigest(), size, True


def parse_rows(data: bytes) -> list[dict[str, Any]]:
    """The rows of a dataset file (``{"rows": [{...}, ...]}``); ValueError with the reason otherwise."""
    parsed = parse_json(data)
    if not isinstance(parsed, dict) or not isinstance(parsed.get("rows"), list):
        raise ValueError('not a dataset file (expected {"rows": [...]})')
    if not all(isinstance(row, dict) for row in parsed["rows"]):
        raise ValueError("not a dataset file (a row is not an object)")
    return parsed["rows"]


def verify_entry(root: Path, entry: dict[str, Any], is_dataset: bool) -> str | None:
    """The problem of one listed file (None when it matches the manifest)."""
    rel = entry["file"]
    listed_size = entry.get("size")
    limit = MAX_DATASET_BYTES if is_dataset else MAX_FILE_BYTES
    if isinstance(listed_size, int) and not isinstance(listed_size, bool):
        limit = min(limit, listed_size)  # never read past what the manifest says is there
    try:
        fd, st = open_member(root, rel)
    except MemberProblem as problem:
        return str(problem)
    try:
        linked = hard_link_problem(rel, st)
        if linked:
            return linked
        if listed_size is not None and st.st_size != listed_size:
            return f"changed: {rel}"
        if st.st_size > limit:
            return f"too large: {rel} ({st.st_size} bytes; the kit reads at most {limit})"
        if is_dataset:
            data = _read_fd(fd, limit)
            if data is None:
                return f"changed: {rel}"
            if hashlib.sha256(data).hexdigest() != entry["sha256"].lower():
                return f"changed: {rel}"
            try:
                rows = len(parse_rows(data))
            except ValueError as err:
                return f"unreadable: {rel} ({err})"
            if rows != entry.get("row_count"):
                return f"changed: {rel} ({rows} rows; the manifest lists {entry.get('row_count')})"
            return None
        digest, size, over = _digest(fd, limit)
        if over or digest != entry["sha256"].lower() or (listed_size is not None and size != listed_size):
            return f"changed: {rel}"
        return None
    except OSError as err:
        return f"unreadable: {rel} ({err.strerror})"
    finally:
        os.close(fd)


def listed_entries(bundle: Bundle) -> Iterable[tuple[dict[str, Any], bool]]:
    """Every listed file's entry, and whether it is a dataset."""
    for entry in bundle.manifest.get("datasets", []):
        if entry.get("status") == "ok" and entry.get("file"):
            yield entry, True
    for entry in bundle.manifest.get("files", []) or []:
        yield entry, False


def unlisted_files(root: Path, listed: Iterable[str]) -> list[str]:
    """Files in the bundle folder that the manifest does not list (the walk follows no symbolic link)."""
    wanted = set(listed) | {MANIFEST}
    folders = {"/".join(rel.split("/")[:depth]) for rel in wanted for depth in range(1, rel.count("/") + 1)}
    problems: list[str] = []
    seen = 0
    stack = [""]
    while stack:
        prefix = stack.pop()
        try:
            with os.scandir(root / prefix if prefix else root) as entries:
                children = sorted(entries, key=lambda e: e.name)
        except OSError as err:
            problems.append(f"unreadable folder: {prefix or '.'} ({err.strerror})")
            continue
        for child in children:
            seen += 1
            if seen > MAX_WALK:
                problems.append(f"unlisted: more than {MAX_WALK} entries in the bundle folder (search stopped)")
                return problems
            rel = f"{prefix}/{child.name}" if prefix else child.name
            try:
                mode = child.stat(follow_symlinks=False).st_mode
            except OSError:
                continue
            if stat.S_ISDIR(mode):
                if rel in folders:
                    stack.append(rel)
                else:
                    problems.append(f"unlisted folder: {printable(rel)}")
            elif rel not in wanted:
                kind = file_kind(mode)
                shown = printable(rel)
                problems.append(f"unlisted: {shown}" if kind == "regular file" else f"unlisted {kind}: {shown}")
    return sorted(problems)


def verify_bundle(bundle: Bundle, skip: Iterable[str] = (), unlisted: bool = True) -> list[str]:
    """Every problem of the bundle's files against its manifest (empty when intact), one line each."""
    skipped = set(skip)
    problems = []
    listed = []
    for entry, is_dataset in listed_entries(bundle):
        listed.append(entry["file"])
        if entry["file"] in skipped:
            continue
        problem = verify_entry(bundle.path, entry, is_dataset)
        if problem:
            problems.append(problem)
    if unlisted:
        problems.extend(unlisted_files(bundle.path, listed))
    return problems


def copy_listed(bundle: Bundle, target: Path) -> tuple[list[str], set[str]]:
    """Copy the manifest (the bytes validated) and every listed file, as new regular files, into ``target``.

    Returns the problems of files that could not be copied (symbolic links, special files, missing) and their
    names; nothing else of the bundle folder is copied.
    """
    target.mkdir(parents=True, exist_ok=False, mode=0o700)
    with open(target / MANIFEST, "xb") as handle:
        handle.write(bundle.manifest_bytes())
    problems: list[str] = []
    skipped: set[str] = set()
    for entry, is_dataset in listed_entries(bundle):
        rel = entry["file"]
        listed_size = entry.get("size")
        limit = MAX_DATASET_BYTES if is_dataset else MAX_FILE_BYTES
        try:
            fd, st = open_member(bundle.path, rel)
        except MemberProblem as problem:
            problems.append(str(problem))
            skipped.add(rel)
            continue
        try:
            refused = hard_link_problem(rel, st)
            if refused is None and st.st_size > limit:
                refused = f"too large: {rel} ({st.st_size} bytes; the kit reads at most {limit})"
            if refused:
                problems.append(refused)
                skipped.add(rel)
                continue
            destination = target / rel
            destination.parent.mkdir(parents=True, exist_ok=True)
            with open(destination, "xb") as out:
                copied = 0
                # Copy what the manifest says is there, plus one byte to tell a longer file (verified next).
                cap = limit if listed_size is None else min(limit, listed_size + 1)
                while copied < cap:
                    chunk = os.read(fd, min(CHUNK, cap - copied))
                    if not chunk:
                        break
                    out.write(chunk)
                    copied += len(chunk)
        finally:
            os.close(fd)
    return problems, skipped


def verified_copy(bundle: Bundle, target: Path) -> tuple[Bundle, list[str]]:
    """The bundle copied into ``target`` (listed files only) and verified there, and the source's unlisted files.

    The copy's ``verification`` is the list of problems of the listed files: empty when every one matches, so
    what a report renders is what was verified. Files that could not be copied stay missing in the copy (their
    checks say ``error``). Unlisted files are returned apart: they are not copied, so nothing renders them.
    """
    from .evidence import Bundle

    problems, skipped = copy_listed(bundle, target)
    copy = Bundle.load(target)
    problems += verify_bundle(copy, skip=skipped, unlisted=False)
    copy.verification = problems
    return copy, unlisted_files(bundle.path, [entry["file"] for entry, _ in listed_entries(bundle)])


VERIFICATION_RECORD = "verification.json"  # in a re-rendered output folder, next to evidence/


def write_verification(run_dir: Path, copy: Bundle) -> None:
    """``verification.json`` of a re-rendered output: whether its bundle verified, and the differences."""
    problems = copy.verification or []
    record = {"evidence_verified": not problems, "files": len(copy.files()), "problems": problems}
    with open(run_dir / VERIFICATION_RECORD, "x", encoding="utf-8") as handle:
        json.dump(record, handle, ensure_ascii=False, indent=1)


def recorded_problems(bundle: Bundle) -> list[str] | None:
    """The differences recorded when the output holding ``bundle`` was rendered unverified (None otherwise).

    The record can only mark a bundle as unverified, never vouch for one: a record that says ``true`` (or that
    cannot be read) changes nothing.
    """
    try:
        record = parse_json(read_member(bundle.path.parent, VERIFICATION_RECORD, 16 << 20))
    except (MemberProblem, ValueError, OSError):
        return None
    if not isinstance(record, dict) or record.get("evidence_verified") is not False:
        return None
    problems = record.get("problems")
    return [str(p) for p in problems] if isinstance(problems, list) and problems else ["recorded as not verified"]


__all__ = [
    "BundleError",
    "BundleNotFound",
    "MemberProblem",
    "load_manifest",
    "locate",
    "open_member",
    "path_problem",
    "read_member",
    "validate_manifest",
    "verified_copy",
    "verify_bundle",
]
