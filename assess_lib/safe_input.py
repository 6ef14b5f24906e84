"""Reading the files customers send: params, attestation YAML, the Excel questionnaire.

Every such file is hostile until read: it may be a folder, a named pipe or a device, far too large,
not UTF-8, or YAML built to exhaust memory (alias bombs), the stack (deep nesting) or the parser
(5000-digit numbers). This module is the one place that reads them:

- :func:`read_input_bytes` reads a regular file of bounded size and never blocks (a FIFO or device is
  refused before it is opened, and again after, in case one was swapped in);
- :func:`read_input_text` adds UTF-8 decoding (a BOM is accepted) with a message for other encodings;
- :func:`load_yaml` is the hardened YAML loader: no anchors or aliases, no duplicate keys, bounded
  nesting, one document, any parser failure turned into one paragraph naming the file and line;
- :func:`shown` renders any value for an error message, bounded.

Every problem raises :class:`InputError` (``params.ParamsError`` is the same class) with one paragraph
naming the file, the problem and the fix.
"""

from __future__ import annotations

import errno
import os
import re
import reprlib
import stat
from pathlib import Path
from typing import Any

import yaml
import yaml.constructor
import yaml.reader
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

MAX_YAML_BYTES = 256 * 1024  # a params or attestation file is a few kB (the example 4.5 kB); 256 KiB is ample
MAX_XLSX_BYTES = 10 * 1024 * 1024  # the generated questionnaire is ~15 kB; answered ones with notes stay far below
MAX_DEPTH = 32  # params nest 3 levels, attestations 6
MAX_NUMBER_CHARS = 40  # longer numerals are refused before Python's int() parses them
SHOWN_CHARS = 80


class InputError(ValueError):
    """A problem with a file the customer or consultant supplied, phrased for the person who wrote it."""


# --- rendering values in messages --------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_REPR = reprlib.Repr()
_REPR.maxstring = SHOWN_CHARS
_REPR.maxother = SHOWN_CHARS
_REPR.maxlevel = 2


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """``value`` for an error message: at most ``limit`` characters (an ellipsis marks a cut), control
    characters escaped so a message stays one line; cost independent of the value's size."""
    if isinstance(value, str):
        text = value[: limit + 1]
    elif isinstance(value, bool) or value is None:
        text = str(value).lower() if value is not None else "null"
    elif isinstance(value, int):
        # repr() of an int over 4300 digits raises ValueError (and is quadratic below that).
        text = repr(value) if value.bit_length() <= 256 else f"<a number of about {int(value.bit_length() * 0.30103)} digits>"
    else:
        try:
            text = _REPR.repr(value)
        except Exception:  # noqa: BLE001 - a message must never fail on the value it shows
            text = f"<{type(value).__name__}>"
    text = _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- reading files -----------------------------------------------------------------------------------------


def file_kind(mode: int) -> str:
    """What a file is, in words."""
    if stat.S_ISREG(mode):
        return "regular file"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def _kind(mode: int) -> str | None:
    """What a non-regular file is, for the message; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return f"a {file_kind(mode)}, not a regular file"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{n / 1024:.0f} kB" if n >= 1024 else f"{n} bytes"


def _os_problem(err: OSError) -> str:
    if err.errno == errno.ENOENT:
        return "not found"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read (permission denied)"
    if err.errno == errno.ELOOP:
        return "cannot be read (a loop of symbolic links)"
    if err.errno == errno.ENOTDIR:
        return "not found (a part of the path is not a folder)"
    if err.errno == errno.ENAMETOOLONG:
        return "cannot be read (the path is too long)"
    return f"cannot be read ({err.strerror or type(err).__name__})"


def check_regular_file(path: Path, what: str, max_bytes: int, fix: str) -> os.stat_result:
    """Stat ``path`` (following symbolic links): a regular file of at most ``max_bytes``, else InputError."""
    try:
        info = os.stat(path)
    except OSError as err:
        raise InputError(f"{shown(str(path), 300)}: {what} {_os_problem(err)}. Fix: {fix}") from None
    except ValueError:  # an embedded NUL byte
        raise InputError(f"{shown(str(path), 300)}: {what}: the path contains a NUL character. Fix: {fix}") from None
    return _check_stat(path, info, what, max_bytes, fix)


def _check_stat(path: Path, info: os.stat_result, what: str, max_bytes: int, fix: str) -> os.stat_result:
    kind = _kind(info.st_mode)
    if kind is not None:
        raise InputError(f"{shown(str(path), 300)}: {what} is {kind}. Fix: {fix}")
    if info.st_size > max_bytes:
        raise InputError(
            f"{shown(str(path), 300)}: {what} is {_size(info.st_size)}; the kit reads at most {_size(max_bytes)}. "
            f"Fix: check that this is the right file ({fix})"
        )
    return info


def read_input_bytes(path: Path | str, what: str, max_bytes: int, fix: str) -> bytes:
    """The content of a regular file of at most ``max_bytes``; InputError naming ``path`` otherwise.

    ``what`` names the file's role ("params file"); ``fix`` is what to do about a wrong path.
    Never blocks: the path is checked before opening, opened non-blocking, and checked again on the open
    descriptor (a FIFO or device swapped in between is refused, not read).
    """
    path = Path(path)
    check_regular_file(path, what, max_bytes, fix)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise InputError(f"{shown(str(path), 300)}: {what} {_os_problem(err)}. Fix: {fix}") from None
    try:
        _check_stat(path, os.fstat(fd), what, max_bytes, fix)
        chunks: list[bytes] = []
        total = 0
        while True:  # the file may grow after fstat: read one byte past the limit at most
            chunk = os.read(fd, min(1024 * 1024, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise InputError(
                    f"{shown(str(path), 300)}: {what} is larger than {_size(max_bytes)}, the most the kit reads. "
                    f"Fix: check that this is the right file ({fix})"
                )
    except OSError as err:
        raise InputError(f"{shown(str(path), 300)}: {what} {_os_problem(err)}. Fix: {fix}") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_input_text(path: Path | str, what: str, fix: str, max_bytes: int = MAX_YAML_BYTES) -> str:
    """A bounded regular file decoded as UTF-8 (a leading BOM is dropped); InputError otherwise."""
    return decode_text(read_input_bytes(path, what, max_bytes, fix), path, what, fix)


def decode_text(data: bytes, path: Path | str, what: str, fix: str) -> str:
    """``data`` (read from ``path``) as UTF-8 text, a leading BOM dropped; InputError for other encodings."""
    name = shown(str(path), 300)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{name}: {what} is UTF-16 text. Fix: save it as UTF-8 (in Notepad: Save as, Encoding UTF-8)")
    if b"\x00" in data:
        raise InputError(f"{name}: {what} is a binary file, not text. Fix: {fix}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InputError(
            f"{name}: {what} is not UTF-8 text (byte 0x{data[err.start]:02x} on line {line}; Shift_JIS perhaps). "
            "Fix: save it as UTF-8 (in Notepad: Save as, Encoding UTF-8)"
        ) from None
    return text


# --- YAML ----------------------------------------------------------------------------------------------


class _Refused(yaml.MarkedYAMLError):
    """A construct the kit's loader refuses; carries its own fix."""

    def __init__(self, problem: str, mark: Any, fix: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.fix = fix


class _PyEvents(Reader, Scanner, Parser):
    """The pure-Python event source, for PyYAML builds without libyaml."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)


try:  # libyaml scans and parses about six times faster, and bounds flow nesting itself
    from yaml._yaml import CParser as _Events
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _Events = _PyEvents


class _HardenedLoader(Composer, _Events, SafeConstructor, Resolver):  # type: ignore[misc, valid-type]
    """A safe loader without anchors, aliases or duplicate keys, with bounded nesting and numerals.

    Events come from libyaml (fast), nodes are composed here in Python (so each node can be checked,
    with its line), values are built by PyYAML's SafeConstructor.
    """

    def __init__(self, stream: str) -> None:
        _Events.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(
                f"YAML anchors and aliases (&{shown(event.anchor, 40)} / *{shown(event.anchor, 40)}) are not accepted",
                event.start_mark,
                "write the values out in full where they are needed",
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(
                f"nested more than {MAX_DEPTH} levels deep",
                event.start_mark,
                "check the brackets and indentation there (the file needs only a few levels)",
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
        seen: dict[Any, Any] = {}
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                raise _Refused(
                    "a mapping key that is a list or mapping", key_node.start_mark, "write keys as plain text"
                ) from None
            if first is not None:
                raise _Refused(
                    f"key '{shown(key, 60)}' appears twice in the same mapping (line {first.line + 1} and line "
                    f"{key_node.start_mark.line + 1}; YAML would silently keep only the second)",
                    key_node.start_mark,
                    "keep one of them, merging the values you mean into it",
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """PyYAML's constructors raise ValueError, AttributeError... for values they cannot build
        (``!!timestamp hello``): turn those into a refusal that names the value and its line."""
        try:
            return super().construct_object(node, deep=deep)
        except (yaml.YAMLError, RecursionError):
            raise
        except Exception as err:  # noqa: BLE001 - any constructor failure is a bad value in the file
            value = node.value if isinstance(node, yaml.ScalarNode) else ""
            tag = str(node.tag).rsplit(":", 1)[-1]
            raise _Refused(
                f"'{shown(value, 60)}' cannot be read as {shown(tag, 30)} ({shown(str(err), 80)})",
                node.start_mark,
                "correct the value, or quote it to make it text",
            ) from None

    def construct_yaml_int(self, node: Any) -> int:
        if len(node.value) > MAX_NUMBER_CHARS:
            raise _Refused(
                f"a number of {len(node.value)} characters", node.start_mark, "write a number of sensible size, or quote text"
            )
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: Any) -> float:
        if len(node.value) > MAX_NUMBER_CHARS:
            raise _Refused(
                f"a number of {len(node.value)} characters", node.start_mark, "write a number of sensible size, or quote text"
            )
        return super().construct_yaml_float(node)


_HardenedLoader.add_constructor("tag:yaml.org,2002:int", _HardenedLoader.construct_yaml_int)
_HardenedLoader.add_constructor("tag:yaml.org,2002:float", _HardenedLoader.construct_yaml_float)


class _HardenedNoDatesLoader(_HardenedLoader):
    """The same, leaving dates as text so a bad date is reported with its item and field (PyYAML raises a
    bare ValueError for 2025-13-01 while parsing)."""


_HardenedNoDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}


def load_yaml(text: str, source: str, *, dates_as_text: bool = False, example: str | None = None) -> Any:
    """Parse one YAML document from a customer file; any problem is an InputError naming ``source`` and line.

    ``example`` names a file to compare with, added to the fix of malformed YAML.
    """
    loader = (_HardenedNoDatesLoader if dates_as_text else _HardenedLoader)(text)
    see = f" (see {example})" if example else ""
    try:
        return loader.get_single_data()
    except _Refused as err:
        raise InputError(f"{source}:{_where(err.problem_mark)} {err.problem}. Fix: {err.fix}") from None
    except yaml.constructor.ConstructorError as err:  # an unknown tag: !!python/object, !foo
        raise InputError(
            f"{source}:{_where(err.problem_mark)} {shown(err.problem or 'unknown tag', 160)}. "
            "Fix: remove the '!' tag there: the kit reads plain text, numbers, true/false, lists and mappings"
        ) from None
    except yaml.reader.ReaderError as err:  # a control character; libyaml gives its offset, not its line
        source_text: str | bytes = text if _Events is _PyEvents else text.encode("utf-8")  # libyaml counts bytes
        line = source_text[: max(err.position, 0)].count("\n" if isinstance(source_text, str) else b"\n") + 1
        raise InputError(
            f"{source}: line {line}: a control character (#x{err.character:04x}) that YAML does not allow. "
            "Fix: delete it (it may have come from a copy and paste)"
        ) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = shown(err.problem or err.context or "unreadable", 160)
        if "nesting depth" in (err.problem or ""):  # libyaml's own bound (1000), met while scanning ahead
            raise InputError(
                f"{source}:{_where(mark)} nested too deeply to read. Fix: check the brackets and indentation there"
            ) from None
        if "expected a single document" in (err.context or ""):
            raise InputError(
                f"{source}:{_where(mark)} the file holds more than one YAML document (a second '---'). "
                "Fix: keep a single document in the file"
            ) from None
        raise InputError(
            f"{source}:{_where(mark)} malformed YAML ({problem}). Fix: correct the indentation or quoting there{see}"
        ) from None
    except yaml.YAMLError as err:
        problem = shown(str(err).splitlines()[0] if str(err) else type(err).__name__, 160)
        raise InputError(f"{source}: malformed YAML ({problem}). Fix: correct the file{see}") from None
    except RecursionError:
        raise InputError(f"{source}: nested too deeply to read. Fix: check the brackets and indentation{see}") from None
    except Exception as err:  # noqa: BLE001 - e.g. a !!timestamp that is no date: PyYAML's constructors raise anything
        raise InputError(
            f"{source}: a value cannot be read ({shown(str(err), 160)}). Fix: correct it, or quote it to make it text{see}"
        ) from None
    finally:
        loader.dispose()


def _where(mark: Any) -> str:
    return f" line {mark.line + 1}, column {mark.column + 1}:" if mark is not None else ""


def load_yaml_file(path: Path | str, what: str, fix: str, *, dates_as_text: bool = False, example: str | None = None) -> Any:
    """Read a bounded regular UTF-8 file and parse it with :func:`load_yaml`."""
    text = read_input_text(path, what, fix)
    return load_yaml(text, str(path), dates_as_text=dates_as_text, example=example)


__all__ = [
    "MAX_XLSX_BYTES",
    "MAX_YAML_BYTES",
    "InputError",
    "check_regular_file",
    "decode_text",
    "file_kind",
    "load_yaml",
    "load_yaml_file",
    "read_input_bytes",
    "read_input_text",
    "shown",
]
