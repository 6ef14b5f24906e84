"""Output folders and files: the kit writes only where it was told, and replaces only what it made.

A run (or ``report``) is written into a private work folder *inside* its output folder and swapped
into place at the end with renames, so an interrupted run leaves the earlier contents untouched and
nothing of the kit's beside the folder. The kit replaces an existing folder only when it is empty or a
finished run of the kit's own: one holding the run marker (:data:`RUN_MARKER`, written last) whose list
of every folder and file (with size and SHA-256) still matches what is there. Anything else (a
consultant's notes, a file edited or saved in JupyterLab, a symbolic link, another project) is refused
before any work starts, with a message naming the folder and the fix.

Work folders carry a work marker (:data:`WORK_MARKER`: the kit, process and host that made them); a
later run removes one only when that marker is there and its process is gone, and never follows a
symbolic link. Two runs into the same folder at once: the second is refused (an exclusive lock on
the folder), they never interleave.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import io
import json
import os
import re
import shutil
import socket
import stat
import tempfile
import traceback
import uuid
import zipfile
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterable, Iterator

from .evidence import sha256_file

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: no locking
    fcntl = None  # type: ignore[assignment]

KIT_NAME = "assess_lib: FSA cybersecurity guideline assessment kit"
KIT_ROOT = Path(__file__).resolve().parents[1]
OUTPUTS_DIR = KIT_ROOT / "outputs"  # the kit's own place for results (ignored by git)
RUN_MARKER = ".assess-kit-run.json"
WORK_MARKER = ".assess-kit-work.json"
WORK_PREFIX = ".assess-kit-partial-"
OLD_PREFIX = ".assess-kit-old-"
SWAP_PREFIX = ".assess-kit-swap-"
TEMP_PREFIXES = (WORK_PREFIX, OLD_PREFIX)
RUN_MARKER_LIMIT = 64 * 1024 * 1024
WORK_MARKER_LIMIT = 4096
SHOWN = 5  # offending entries named in a message
NEW_FOLDER_FIX = f"Fix: choose a new or empty folder for --out, e.g. --out {OUTPUTS_DIR / 'NAME'} or a new folder of your own"


_CONTROL = {code: f"\\x{code:02x}" for code in (*range(32), 127)}


def printable(text: str) -> str:
    """One printable paragraph, whatever a path in it holds (a line break, bytes that are not UTF-8)."""
    return text.translate(_CONTROL).encode("utf-8", "backslashreplace").decode("utf-8")


class OutputError(Exception):
    """The output location cannot be used (or written): one paragraph naming it and the fix."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(printable(message))
        self.exit_code = exit_code


# --- paths as given --------------------------------------------------------------------------------------


def output_path(raw: str | None, option: str = "--out") -> Path:
    """The user's ``--out`` made absolute once (``~`` expanded, symbolic links not resolved)."""
    if raw is None or not str(raw).strip():
        raise OutputError(
            f"{option} is empty (an unset shell variable?): the kit will not guess a folder, least of all the "
            f"one you are working in. {NEW_FOLDER_FIX}"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in str(raw)):
        raise OutputError(
            f"{option} {raw!r} contains a control character (a line break from a pasted or generated name?). "
            "Fix: give an ordinary name"
        )
    return Path(os.path.abspath(os.path.expanduser(str(raw))))


def _real(path: Path) -> Path:
    """``path`` with its parent's symbolic links resolved (the last component is taken as it is)."""
    return Path(os.path.realpath(path.parent)) / path.name if path.parent != path else path


def _within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _places() -> Iterator[tuple[str, Path]]:
    """Folders an output folder must never be, nor contain."""
    with contextlib.suppress(RuntimeError, KeyError):
        yield "your home folder", Path.home()
    with contextlib.suppress(OSError):
        yield "the folder you are working in", Path.cwd()
    yield "the kit's own folder", KIT_ROOT


def _refuse_location(out: Path, protect: Iterable[Path], option: str, what: str = "folder") -> None:
    """Refuse ``/``, home, the working folder, the kit and their ancestors, the kit's source and inputs."""
    real = _real(out)
    if out.parent == out or real.parent == real:
        raise OutputError(f"{option} {out}: the root folder cannot be an output folder. {NEW_FOLDER_FIX}")
    for name, place in _places():
        place_real = Path(os.path.realpath(place))
        if what == "folder" and (_within(place, out) or _within(place_real, real)):
            relation = "is" if place_real == real else "contains"
            raise OutputError(
                f"{option} {out} {relation} {name} ({place}); the kit replaces its output folder as a whole and "
                f"never writes over such a folder. {NEW_FOLDER_FIX}"
            )
    kit, kept = Path(os.path.realpath(KIT_ROOT)), Path(os.path.realpath(OUTPUTS_DIR))
    if (_within(real, kit) and not _within(real, kept)) or real == kept:
        raise OutputError(
            f"{option} {out} is inside the kit's own folder {KIT_ROOT} (its code, notebooks and settings); results "
            f"belong in its outputs/ folder, which git ignores, or outside the kit. Fix: e.g. {option} "
            f"{OUTPUTS_DIR / (out.name if real != kept else 'NAME')}"
        )
    for path in protect:
        path_real = Path(os.path.realpath(path))
        if _within(real, path_real) or _within(path_real, real):
            relation = "is" if real == path_real else "is inside" if _within(real, path_real) else "contains"
            raise OutputError(
                f"{option} {out} {relation} the input {path}; the kit never writes into (or over) what it reads. "
                f"Fix: choose a new or empty folder elsewhere for {option}"
            )
    for ancestor in real.parents:
        if os.path.lexists(ancestor / RUN_MARKER):
            raise OutputError(
                f"{option} {out} is inside the kit's run folder {ancestor}; a run folder holds only what the kit "
                f"wrote. {NEW_FOLDER_FIX}"
            )


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        raise OutputError(describe_os_error(err, path)) from None


def _nearest_existing(path: Path) -> tuple[Path, os.stat_result]:
    for candidate in (path, *path.parents):
        st = _lstat(candidate)
        if st is not None:
            return candidate, st
    raise OutputError(f"{path}: no part of this path exists. Fix: give a folder on this computer")  # pragma: no cover


def describe_os_error(
    err: OSError, path: Path | str | None = None, option: str | None = "--out", at: Path | str | None = None
) -> str:
    """One paragraph for an operating-system error on a path: what, where and the fix.

    ``option`` names the command-line option ``path`` came from (None: a path met elsewhere); ``at``
    is where the problem lies when that is not ``path`` itself (a parent folder).
    """
    err = plain_os_error(err)
    where = f"{option} {path or err.filename}" if option else str(path or err.filename or "a file")
    reason = (err.strerror or str(err))[:500]
    if at is not None and str(at) != str(path):
        reason = f"{reason} in {at}"
    fixes = {
        errno.EACCES: "you have no permission to write there. Fix: choose a folder you can write to, or ask for "
        "write permission there",
        errno.EPERM: "the operating system does not allow it. Fix: choose a folder you own and can write to",
        errno.EROFS: "the disk is read-only. Fix: choose a folder on a writable disk",
        errno.ENOSPC: "the disk is full. Fix: free some space or choose a folder on another disk, then run again; "
        "earlier results were left as they were",
        errno.EDQUOT: "your disk quota is used up. Fix: free some space or choose a folder on another disk, then "
        "run again; earlier results were left as they were",
        errno.ENAMETOOLONG: "the path is too long. Fix: choose a shorter folder name",
        errno.ENOTDIR: "a part of the path is a file, not a folder. Fix: choose a path made of folders",
        errno.ELOOP: "the path goes round in symbolic links. Fix: give the real folder",
    }
    fix = fixes.get(err.errno or 0, "Fix: check the folder (permissions, free space) or choose another one")
    return f"{where}: {reason}; {fix}"


def last_resort(err: OSError) -> str:
    """One paragraph for an operating-system error nothing else explained (the command line's last resort)."""
    err = plain_os_error(err)
    if err.filename:
        return printable(describe_os_error(err, option=None))
    reason = printable((err.strerror or str(err) or type(err).__name__)[:500])
    return (
        f"the operating system reported: {reason} ({type(err).__name__}). Fix: check what it names (network "
        "connection, free disk space, permissions) and run again"
    )


def _denied() -> OSError:
    return OSError(errno.EACCES, os.strerror(errno.EACCES))


def plain_os_error(err: OSError) -> OSError:
    """``err``, or for a copy that failed (:class:`shutil.Error`, a list of texts) the first error in it."""
    if isinstance(err, shutil.Error) and err.args and isinstance(err.args[0], list) and err.args[0]:
        first = err.args[0][0]
        if isinstance(first, tuple) and len(first) == 3:
            found = re.match(r"\[Errno (\d+)\] ([^:]*)", str(first[2]))
            if found:
                return OSError(int(found.group(1)), found.group(2), str(first[1]))
            return OSError(None, str(first[2])[:300], str(first[1]))
    return err


def _release(err: BaseException) -> None:
    """Close the files a failed write left open (a full disk): else closing them again at exit prints a traceback."""
    with contextlib.suppress(Exception):
        for frame, _ in traceback.walk_tb(err.__traceback__):
            for value in list(frame.f_locals.values()):
                if isinstance(value, (zipfile.ZipFile, io.IOBase)):
                    with contextlib.suppress(Exception):
                        value.close()


# --- markers -----------------------------------------------------------------------------------------------


def _read_json(path: Path, limit: int) -> Any:
    """JSON from a regular file of bounded size, never through a symbolic link (None otherwise)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
        return json.loads(data.decode("utf-8"))
    except (OSError, ValueError):
        return None
    finally:
        os.close(fd)


def _work_info(folder: Path) -> dict[str, Any] | None:
    """The work marker of a kit work folder (a real folder, not a link), or None when it is not one."""
    st = _lstat(folder)
    if st is None or not stat.S_ISDIR(st.st_mode):
        return None
    info = _read_json(folder / WORK_MARKER, WORK_MARKER_LIMIT)
    if isinstance(info, dict) and info.get("kit") == KIT_NAME and isinstance(info.get("pid"), int):
        return info
    return None


def _mine(info: dict[str, Any]) -> bool:
    return info.get("host") == socket.gethostname() and info["pid"] == os.getpid()


def _gone(info: dict[str, Any]) -> bool:
    """Whether the process that wrote a work marker has ended (unknown, on another host: it has not)."""
    if info.get("host") != socket.gethostname() or info["pid"] == os.getpid():
        return False
    try:
        os.kill(info["pid"], 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _write_work_marker(folder: Path, target: str) -> None:
    info = {"kit": KIT_NAME, "pid": os.getpid(), "host": socket.gethostname(), "target": target, "started": _now()}
    (folder / WORK_MARKER).write_text(json.dumps(info), encoding="utf-8")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _listing(folder: Path) -> dict[str, Any]:
    """Every folder and regular file under ``folder`` (markers excluded), as the run marker records them.

    Anything else (a link, a pipe) is left out, so that a later run finds it foreign and refuses.
    """
    dirs: list[str] = []
    files: dict[str, list[Any]] = {}

    def walk(path: Path, prefix: str) -> None:
        for entry in os.scandir(path):
            rel = prefix + entry.name
            if (not prefix and entry.name in (WORK_MARKER, RUN_MARKER)) or entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                dirs.append(rel)
                walk(Path(entry.path), rel + "/")
            elif entry.is_file(follow_symlinks=False):
                files[rel] = [entry.stat(follow_symlinks=False).st_size, sha256_file(Path(entry.path))]

    walk(folder, "")
    return {"dirs": sorted(dirs), "files": dict(sorted(files.items()))}


def _write_run_marker(folder: Path) -> None:
    """The marker that makes ``folder`` a finished run of the kit's own (written last)."""
    from . import __version__

    marker = {"kit": KIT_NAME, "marker_format": 1, "kit_version": __version__, "written_at": _now(), **_listing(folder)}
    (folder / RUN_MARKER).write_text(json.dumps(marker, ensure_ascii=False), encoding="utf-8")


def is_kit_run(folder: Path) -> bool:
    """Whether ``folder`` holds a run marker of the kit's (its contents are not compared here)."""
    marker = _read_json(folder / RUN_MARKER, RUN_MARKER_LIMIT)
    return isinstance(marker, dict) and marker.get("kit") == KIT_NAME


# --- what an existing output folder holds ---------------------------------------------------------------------


def _inspect(out: Path, option: str) -> list[Path]:
    """Check an existing output folder's contents; return the kit's own leftovers that may be removed.

    Raises :class:`OutputError` when the folder holds anything the kit did not make (or changed since),
    or when another run is working in it.
    """
    leftovers: list[Path] = []
    busy: list[str] = []
    others: list[str] = []
    try:
        entries = sorted(os.scandir(out), key=lambda e: e.name)
    except OSError as err:
        raise OutputError(describe_os_error(err, out, option)) from None
    for entry in entries:
        path = Path(entry.path)
        if entry.name == WORK_MARKER or entry.name.startswith(TEMP_PREFIXES):
            info = _work_info(out) if entry.name == WORK_MARKER else _work_info(path)
            if info is None:
                others.append(entry.name)
            elif _mine(info):
                continue
            elif _gone(info):
                leftovers.append(path)
            else:
                busy.append(f"{entry.name} (process {info['pid']} on {info.get('host')})")
    content = [e for e in entries if e.name != WORK_MARKER and not e.name.startswith(TEMP_PREFIXES)]
    if busy:
        raise OutputError(
            f"{option} {out}: another run of the kit is writing into this folder ({busy[0]}); two runs never write into "
            f"one folder. Fix: wait for it to finish or choose another folder; if no run is going on (it ran on "
            f"another computer and was stopped), delete {out / busy[0].split(' ')[0]} yourself"
        )
    if content and not others:
        marker = _read_json(out / RUN_MARKER, RUN_MARKER_LIMIT)
        if not (isinstance(marker, dict) and marker.get("kit") == KIT_NAME):
            names = [e.name + ("/" if e.is_dir(follow_symlinks=False) else "") for e in content]
            raise OutputError(
                f"{option} {out} already exists and is not a finished run of this kit (no {RUN_MARKER} in it; it holds "
                f"{_names(names)}); the kit replaces only a folder it wrote itself, so it will not touch this one. A run "
                f"folder made by a kit from before this safeguard is refused too: move or delete it yourself if you no "
                f"longer need it. {NEW_FOLDER_FIX}"
            )
        others = _differences(out, marker)
    if others:
        raise OutputError(
            f"{option} {out} holds what the kit did not write there: {_names(others)}; the kit replaces a run folder "
            f"only while it holds just what the kit wrote, so that nothing added or edited since (notes, notebooks "
            f"saved in JupyterLab, links) is lost. Fix: choose a new or empty folder for {option}, or move what you "
            "want to keep out of it first"
        )
    return leftovers


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")


def _differences(out: Path, marker: dict[str, Any]) -> list[str]:
    """Entries of a run folder that its run marker does not list (or lists with other contents)."""
    dirs = set(marker.get("dirs") or []) if isinstance(marker.get("dirs"), list) else set()
    files = marker.get("files") if isinstance(marker.get("files"), dict) else {}
    found: list[str] = []

    def walk(folder: Path, prefix: str) -> None:
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if len(found) > SHOWN:
                return
            rel = prefix + entry.name
            if not prefix and (entry.name in (RUN_MARKER, WORK_MARKER) or entry.name.startswith(TEMP_PREFIXES)):
                continue
            if entry.is_symlink():
                found.append(f"{rel} (a symbolic link)")
            elif entry.is_dir(follow_symlinks=False):
                if rel in dirs:
                    walk(Path(entry.path), rel + "/")
                else:
                    found.append(rel + "/")
            elif entry.is_file(follow_symlinks=False):
                expected = files.get(rel)
                if not isinstance(expected, list) or len(expected) != 2:
                    found.append(rel)
                elif entry.stat(follow_symlinks=False).st_size != expected[0] or sha256_file(Path(entry.path)) != expected[1]:
                    found.append(f"{rel} (changed since the kit wrote it)")
            else:
                found.append(f"{rel} (not a regular file)")

    try:
        walk(out, "")
    except OSError as err:
        raise OutputError(describe_os_error(err, out)) from None
    return found


# --- checking and locking an output folder -------------------------------------------------------------------


def check_output_dir(out: Path, protect: Iterable[Path] = (), option: str = "--out") -> None:
    """Refuse an output folder the kit must not write (before any work starts; no side effects)."""
    out = Path(out)
    _refuse_location(out, list(protect), option)
    st = _lstat(out)
    if st is None:
        existing, _ = _nearest_existing(out.parent)
        if not existing.is_dir():
            raise OutputError(
                f"{option} {out}: {existing} is not a folder (a file, or a link to nothing). Fix: choose a path made of folders"
            )
        if not os.access(existing, os.W_OK | os.X_OK):
            raise OutputError(describe_os_error(_denied(), out, option, at=existing))
        return
    if stat.S_ISLNK(st.st_mode):
        raise OutputError(
            f"{option} {out} is a symbolic link (to {os.readlink(out)}); the kit never writes through a link, so that "
            f"what it replaces is always the folder you named. Fix: give the real folder, or a new one"
        )
    if not stat.S_ISDIR(st.st_mode):
        kind = "a file" if stat.S_ISREG(st.st_mode) else "not a folder (a device, pipe or socket)"
        raise OutputError(f"{option} {out} is {kind}; the kit writes a folder there and never replaces a file. {NEW_FOLDER_FIX}")
    if not os.access(out, os.R_OK | os.W_OK | os.X_OK):
        raise OutputError(describe_os_error(_denied(), out, option))
    _inspect(out, option)


def _make_dirs(out: Path, option: str) -> list[Path]:
    """Create ``out`` and missing parents (private); return those created, outermost first."""
    missing = [p for p in (out, *out.parents) if _lstat(p) is None][::-1]
    created = []
    for path in missing:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue  # made meanwhile (another run): checked under the lock below
        except OSError as err:
            _remove_empty(created)
            raise OutputError(describe_os_error(err, out, option, at=path)) from None
        created.append(path)
    return created


def _remove_empty(created: list[Path]) -> None:
    for path in reversed(created):
        try:
            os.rmdir(path)
        except OSError:
            return


def _lock(path: Path, option: str) -> int:
    """Open ``path`` (a real folder, no link followed) and hold an exclusive lock on it; the fd."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):
            raise OutputError(
                f"{option} {path} changed into a link or a file while the kit looked at it. {NEW_FOLDER_FIX}"
            ) from None
        raise OutputError(describe_os_error(err, path, option)) from None
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise OutputError(
                f"{option} {path}: another run of the kit is writing into this folder right now; two runs never write "
                "into one folder. Fix: wait for it to finish or choose another folder"
            ) from None
    return fd


def _remove_leftovers(leftovers: list[Path]) -> None:
    """Remove the kit's own leftovers (checked by :func:`_inspect`); rmtree never follows links."""
    for path in leftovers:
        if path.name == WORK_MARKER:
            with contextlib.suppress(OSError):
                os.unlink(path)
        else:
            shutil.rmtree(path, ignore_errors=True)


def _recover_swaps(out: Path) -> None:
    """Finish or undo a swap a killed run left beside ``out`` (a finished run, waiting to be renamed into place)."""
    try:
        entries = [e for e in os.scandir(out.parent) if e.name.startswith(SWAP_PREFIX)]
    except OSError:
        return
    for entry in entries:
        path = Path(entry.path)
        info = _work_info(path)
        if info is None or info.get("target") != out.name or not _gone(info):
            continue
        if _lstat(out) is None and is_kit_run(path):
            with contextlib.suppress(OSError):
                os.rename(path, out)  # killed between its two renames: the finished run goes where it was headed
                continue
        shutil.rmtree(path, ignore_errors=True)  # the earlier folder is still in place: it stays


# --- writing a run ---------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def staged_output(out: Path, protect: Iterable[Path] = (), option: str = "--out") -> Iterator[Path]:
    """A private work folder inside ``out`` to write a run into; it replaces ``out``'s contents at the end.

    ``out`` (absolute) must be new, empty or a finished run of the kit's own (:func:`check_output_dir`);
    ``protect`` lists inputs it must neither be, contain nor lie in. A run that fails or is interrupted
    removes its work folder (and the folders it created) and leaves the earlier contents as they were.
    """
    out = Path(out)
    protect = list(protect)
    check_output_dir(out, protect, option)
    _recover_swaps(out)
    created = _make_dirs(out, option)
    fds: list[int] = []
    try:
        fds.append(_lock(out, option))
        _remove_leftovers(_inspect(out, option))  # again, under the lock: what another run may have left meanwhile
        work = out / f"{WORK_PREFIX}{uuid.uuid4().hex[:12]}"
        try:
            os.mkdir(work, 0o700)
            _write_work_marker(work, out.name)
        except OSError as err:
            shutil.rmtree(work, ignore_errors=True)
            raise OutputError(describe_os_error(err, out, option)) from None
        fds.append(_lock(work, option))
    except BaseException:
        _remove_empty(created)  # only what is empty: a folder another run is writing into is not
        for fd in fds:
            os.close(fd)
        raise
    try:
        try:
            yield work
            _write_run_marker(work)
            _swap(work, out, option)
        except BaseException as err:
            shutil.rmtree(work, ignore_errors=True)
            if created:
                _remove_empty(created)
            _release(err)
            if isinstance(err, OSError) and _inside(plain_os_error(err), work, out):
                raise OutputError(describe_os_error(err, out, option), exit_code=3) from None
            raise
    finally:
        for fd in fds:
            os.close(fd)


def _inside(err: OSError, *folders: Path) -> bool:
    """Whether an error concerns writing the output (its path in ``folders``, or a full disk)."""
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    names = [n for n in (err.filename, err.filename2) if isinstance(n, (str, Path))]
    return any(_within(Path(os.path.abspath(n)), folder) for n in names for folder in folders)


def _swap(work: Path, out: Path, option: str) -> None:
    """Put the finished run in ``work`` (inside ``out``) in place of ``out``'s earlier contents."""
    _remove_leftovers(_inspect(out, option))  # anything added to ``out`` during the run is kept: the new run is dropped
    parent = out.parent
    renamable = (
        os.access(parent, os.W_OK | os.X_OK) and not os.path.ismount(out) and os.lstat(parent).st_dev == os.lstat(out).st_dev
    )
    if renamable:
        swap = parent / f"{SWAP_PREFIX}{uuid.uuid4().hex[:12]}"
        old = swap / f"{OLD_PREFIX}{uuid.uuid4().hex[:12]}"
        try:
            _write_work_marker(out, out.name)  # the earlier folder, once moved, is a work folder of this process
            os.rename(work, swap)  # beside ``out`` for two renames
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(out / WORK_MARKER)
        else:
            try:
                os.rename(out, old)
            except OSError:
                os.rename(swap, work)
                os.unlink(out / WORK_MARKER)
            else:
                try:
                    os.rename(swap, out)
                except OSError:
                    os.rename(old, out)  # the earlier folder back in place; the new run back inside it, to be removed
                    os.rename(swap, work)
                    os.unlink(out / WORK_MARKER)
                    raise
                os.unlink(out / WORK_MARKER)
                shutil.rmtree(out / old.name, ignore_errors=True)
                return
    _swap_in_place(work, out)


def _swap_in_place(work: Path, out: Path) -> None:
    """Move the entries over one by one, where ``out`` itself cannot be renamed (read-only parent, mount point).

    The earlier entries go into a work folder first (the run marker first, the new one last), so the
    folder is never marked finished while it holds a mixture.
    """
    earlier = [e.name for e in os.scandir(out) if e.name != work.name]
    old = None
    if earlier:
        old = out / f"{OLD_PREFIX}{uuid.uuid4().hex[:12]}"
        os.mkdir(old, 0o700)
        _write_work_marker(old, out.name)
        for name in sorted(earlier, key=lambda n: n != RUN_MARKER):
            os.rename(out / name, old / name)
    for name in sorted(os.listdir(work), key=lambda n: n == RUN_MARKER):
        if name != WORK_MARKER:
            os.rename(work / name, out / name)
    shutil.rmtree(work, ignore_errors=True)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --- single output files (the questionnaire) ---------------------------------------------------------------------


def check_output_file(out: Path, option: str = "--out") -> None:
    """Refuse a file output the kit must not write: an existing entry of any kind, a link, a missing folder."""
    out = Path(out)
    _refuse_location(out, (), option, what="file")
    st = _lstat(out)
    if st is not None:
        kind = (
            "a symbolic link"
            if stat.S_ISLNK(st.st_mode)
            else "a folder"
            if stat.S_ISDIR(st.st_mode)
            else "an existing file"
            if stat.S_ISREG(st.st_mode)
            else "a device, pipe or socket"
        )
        raise OutputError(
            f"{option} {out} is {kind}; the kit writes a new file and never replaces anything (a questionnaire may "
            f"already hold the customer's answers). Fix: choose a new file name, or move the old file away first"
        )
    folder = out.parent
    fst = _lstat(folder)
    if fst is None or not folder.is_dir():
        raise OutputError(f"{option} {out}: the folder {folder} does not exist. Fix: create it first or choose another place")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(describe_os_error(_denied(), out, option, at=folder))


def write_new_file(out: Path, write: Callable[[Path], object], option: str = "--out") -> Path:
    """Write a new file atomically: ``write`` fills a temporary file beside it, which then takes the name.

    The name is taken with a hard link, which fails if anything appeared there meanwhile (a rename
    would replace it); where the file system has no hard links, a last check and a rename.
    """
    out = Path(out)
    check_output_file(out, option)
    try:
        fd, name = tempfile.mkstemp(prefix=WORK_PREFIX, suffix=out.suffix, dir=out.parent)
    except OSError as err:
        raise OutputError(describe_os_error(err, out, option, at=out.parent)) from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        try:
            os.link(tmp, out, follow_symlinks=False)
        except FileExistsError:
            raise OutputError(
                f"{option} {out} appeared while the kit was writing it; it was left as it is. Fix: choose a new file name"
            ) from None
        except OSError:
            if _lstat(out) is not None:
                raise OutputError(f"{option} {out} appeared while the kit was writing it. Fix: choose a new file name") from None
            os.rename(tmp, out)
    except OSError as err:
        _release(err)
        raise OutputError(describe_os_error(err, out, option), exit_code=3) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return out


def bundle_inputs(given: Path, bundle_path: Path) -> list[Path]:
    """What ``report --out`` must keep clear of: the bundle, the folder named, and the run folder holding it."""
    protect = [given, bundle_path]
    parent = bundle_path.parent
    # The folder holding an evidence/ bundle, when it is a run folder (the kit's outputs beside the bundle).
    run_files = ("controls.json", "findings.json", "report.html", "notebooks")
    if bundle_path.name == "evidence" and (is_kit_run(parent) or any(os.path.lexists(parent / n) for n in run_files)):
        protect.append(parent)
    return protect
