"""Approved exceptions (risk acceptance): reading and validating the customer's register.

An exception names a check, the resources it covers (a pattern), the account (and optionally the region), why
the risk is accepted, who approved it, when, and until when. It comes from a YAML file (``exceptions:`` in the
params) or from the exceptions sheet of the working sheet; both are validated here into one row form and
stored in the bundle (dataset ``attestation.exceptions``, account ``org``). Whether an exception is in force is
decided at evaluation against the collection date (``core.acceptance``), so a bundle re-rendered later gives
the same result. An entry without approver, approval date or expiry is an error that names its line or cell.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ..catalog import load_catalog
from ..params import ParamsError
from ..safe_input import MAX_YAML_BYTES, decode_text, load_yaml, read_input_bytes, shown

EXCEPTIONS_DATASET = "attestation.exceptions"
EXCEPTIONS_FOLDER = "exceptions"  # the customer's file, as received: evidence/exceptions/<its name>
FIELDS = ("check", "resource", "account", "region", "reason", "approver", "approved_on", "expires")
REQUIRED = ("check", "resource", "reason", "approver", "approved_on", "expires")
_ACCOUNT = re.compile(r"^(\d{12}|\*|dns|org)$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EXAMPLE = "params/exceptions.example.yaml"
_FIX_FILE = "check the path of the exceptions file (exceptions: in the params file is relative to that file)"

Locate = Callable[[int], str]  # entry index -> where it is ("line 12", "<exceptions sheet>!A5")


def _known_checks() -> set[str]:
    return {check for control in load_catalog() for check in control.checks}


def _date(value: Any, where: str, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip() if value is not None else ""
    try:
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ParamsError(
            f"{where}: '{field}' is '{shown(text, 40)}', not a date. Fix: write the date as YYYY-MM-DD, e.g. 2026-03-31"
        ) from None


def parse_exceptions(entries: Any, source: str, today: dt.date, locate: Locate) -> list[dict[str, Any]]:
    """Validate exception entries (mappings of :data:`FIELDS`) into the rows of ``attestation.exceptions``.

    ``today`` is the collection date (an approval after it is an error); ``locate`` names an entry's line or
    cell in the messages. Raises :class:`ParamsError` naming the source, the entry and the fix.
    """
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise ParamsError(
            f"{source}: 'exceptions' must be a list of entries, not {shown(entries, 40)}. Fix: start each entry with '- check:'"
        )
    known = _known_checks()
    rows = []
    for index, entry in enumerate(entries):
        where = f"{source}: {locate(index)}"
        if not isinstance(entry, dict):
            raise ParamsError(f"{where}: expected an entry (check, resource, ...), got {shown(entry, 40)}. Fix: see {_EXAMPLE}")
        for key in entry:
            if key not in FIELDS:
                raise ParamsError(f"{where}: unknown key '{shown(key, 40)}'. Fix: use only {', '.join(FIELDS)}")
        for key in REQUIRED:
            value = entry.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                what = {"approver": "who approved the risk", "expires": "the expiry date", "approved_on": "the approval date"}
                raise ParamsError(
                    f"{where}: '{key}' is missing. Fix: an accepted risk needs {what.get(key, key)}; "
                    f"write {key}: ... (every exception has an approver, an approval date and an expiry)"
                )
        texts = {}
        for key in ("check", "resource", "reason", "approver", "account", "region"):
            value = entry.get(key)
            if (value is not None and not isinstance(value, (str, int))) or isinstance(value, bool):
                raise ParamsError(f"{where}: '{key}' must be text, not {shown(value, 40)}. Fix: write it in quotes")
            text = str(value).strip() if value is not None else ""
            if len(text) > 2000:
                raise ParamsError(f"{where}: '{key}' is {len(text)} characters long (at most 2000). Fix: shorten it")
            texts[key] = text
        if texts["check"] not in known:
            raise ParamsError(
                f"{where}: check '{shown(texts['check'], 60)}' is not a check of the kit. "
                "Fix: copy the check ID from findings.json (check_id) or `python -m assess_lib show <item>`"
            )
        account = texts["account"] or "*"
        if not _ACCOUNT.match(account):
            raise ParamsError(
                f"{where}: account '{shown(account, 40)}' is not a 12-digit account ID. Fix: write it in quotes, or '*' for all"
            )
        approved = _date(entry["approved_on"], where, "approved_on")
        expires = _date(entry["expires"], where, "expires")
        if approved > today:
            raise ParamsError(
                f"{where}: approved_on {approved.isoformat()} is after the assessment date {today.isoformat()}. "
                "Fix: only an approval already given can be recorded"
            )
        if expires < approved:
            raise ParamsError(
                f"{where}: expires {expires.isoformat()} is before approved_on {approved.isoformat()}. Fix: correct the dates"
            )
        rows.append(
            {
                "check_id": texts["check"],
                "resource": texts["resource"],
                "account_id": account,
                "region": texts["region"] or "*",
                "reason": texts["reason"],
                "approver": texts["approver"],
                "approved_on": approved.isoformat(),
                "expires": expires.isoformat(),
                "source": locate(index),
            }
        )
    return rows


def _entry_lines(text: str) -> list[int]:
    """The line of each entry under ``exceptions:`` (the text is already known to be safe, plain YAML)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return []
    if not isinstance(root, yaml.MappingNode):
        return []
    for key, value in root.value:
        if getattr(key, "value", None) == "exceptions" and isinstance(value, yaml.SequenceNode):
            return [node.start_mark.line + 1 for node in value.value]
    return []


def load_exceptions(path: Path, today: dt.date) -> tuple[list[dict[str, Any]], bytes]:
    """Read and validate an exceptions YAML file: its rows and the exact bytes they were read from."""
    content = read_input_bytes(path, "exceptions file", MAX_YAML_BYTES, _FIX_FILE)
    text = decode_text(content, path, "exceptions file", _FIX_FILE)
    data = load_yaml(text, str(path), dates_as_text=True, example=_EXAMPLE)
    if not isinstance(data, dict) or "exceptions" not in data:
        raise ParamsError(f"{path}: expected 'exceptions:' followed by a list of entries. Fix: see {_EXAMPLE}")
    for key in data:
        if key not in ("version", "exceptions"):
            raise ParamsError(f"{path}: unknown key '{shown(key, 40)}'. Fix: use only version and exceptions")
    lines = _entry_lines(text)

    def locate(index: int) -> str:
        return f"line {lines[index]}" if index < len(lines) else f"entry {index + 1}"

    return parse_exceptions(data["exceptions"], str(path), today, locate), content


__all__ = ["EXCEPTIONS_DATASET", "EXCEPTIONS_FOLDER", "FIELDS", "load_exceptions", "parse_exceptions"]
