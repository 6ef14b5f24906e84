"""The customer's third-party register, as copied into the working sheet's register sheet.

One row per third party: its name, the AWS account IDs it uses (12 digits, several allowed), other identifiers
the estate would show for it (a SAML or OIDC provider's name, an OIDC issuer, a principal ARN), what it does,
the contract, the data it handles, the owner and the last review. The rows are read with the working sheet
(:mod:`.worksheet` streams the sheet and checks its heading row) and validated here, every problem a
:class:`~assess_lib.params.ParamsError` naming the cell and the fix; they become dataset
``attestation.third_parties`` (account ``org``), which the 2.6 ⑤ check compares with the access the estate
grants. An empty sheet is no register at all (nothing stored: the comparison then has no evidence), never a
register that lists nobody.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from ..core.text import entry
from ..safe_input import shown

THIRD_PARTIES_DATASET = "attestation.third_parties"
REGISTER_KEYS = ("party", "accounts", "identifiers", "services", "contract", "data", "owner", "reviewed_on")
REGISTER_COL = {key: index + 1 for index, key in enumerate(REGISTER_KEYS)}
GROUP = "register.column"  # headings: worksheet.register.column.<key>
MAX_REGISTER_ROWS = 2_000
MAX_PARTY_CHARS = 200
MAX_VALUES = 50  # account IDs or identifiers of one party
MAX_IDENTIFIER_CHARS = 512
_ACCOUNT = re.compile(r"^\d{12}$")
_SEPARATORS = re.compile(r"[\s,;\u3001\uff0c\uff1b]+")  # new lines, blanks, commas (also Japanese), semicolons
# An identifier as AWS spells one: an ARN, an issuer URL or host, a provider name. Printable ASCII without blanks,
# starting with a letter or digit (so never a formula).
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][\x21-\x7e]*$")


def register_sheet(lang: str) -> str:
    """The register sheet's name in ``lang``."""
    return entry("worksheet.register.sheet")["en" if lang == "en" else "ja"]


def find_register_sheet(names: Iterable[str], lang: str) -> str | None:
    """The register sheet of a workbook (its own language first), or None: a working sheet made before the
    register existed has none, and then no register was given."""
    names = list(names)
    other = "ja" if lang == "en" else "en"
    return next((name for name in (register_sheet(lang), register_sheet(other)) if name in names), None)


def _split(value: Any) -> list[Any]:
    """A cell of several values (one per line, or separated by commas or blanks); a number stays one value."""
    if value is None:
        return []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [value]
    return [part for part in _SEPARATORS.split(unicodedata.normalize("NFKC", str(value))) if part]


def _account(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12:
        return f"{value:012d}"  # a number cell drops the leading zeros
    return str(value).strip()


def parse_register(reader: Any, sheet: str, rows: Iterable[tuple[int, dict[int, Any]]]) -> list[dict[str, Any]]:
    """The rows of ``attestation.third_parties`` from the register sheet's body rows (``(row number, {column:
    value})``, the heading already checked). ``reader`` is the working sheet's reader: its messages, bounded texts
    and dates."""
    from .worksheet import _where, normalise  # the reader's module, which imports this one

    register: list[dict[str, Any]] = []
    parties: dict[str, str] = {}
    accounts: dict[str, tuple[str, str]] = {}

    def cell(number: int, key: str) -> str:
        return _where(sheet, number, REGISTER_COL[key])

    for number, row in rows:
        if not any(value is not None for value in row.values()):
            continue
        if number > MAX_REGISTER_ROWS:
            raise reader.error(
                _where(sheet, number, min(row)), f"a value below row {MAX_REGISTER_ROWS}", "delete it, or move it up"
            )
        party = reader.text(row.get(REGISTER_COL["party"]))
        if party is None:
            filled = min(column for column, value in row.items() if value is not None)
            raise reader.error(
                _where(sheet, number, filled),
                "a row of the third-party register without the party's name",
                f"write the third party's name in {cell(number, 'party')}, or clear the row",
            )
        if party.startswith("="):
            raise reader.error(
                cell(number, "party"),
                f"the party's name is a formula ('{shown(party, 60)}'), which the kit never evaluates",
                "type the name itself as text",
            )
        if len(party) > MAX_PARTY_CHARS:
            raise reader.error(
                cell(number, "party"),
                f"the party's name is {len(party)} characters long (at most {MAX_PARTY_CHARS})",
                "shorten it",
            )
        key = normalise(party)
        if key in parties:
            raise reader.error(
                cell(number, "party"),
                f"the third party '{shown(party, 60)}' appears twice (also in {parties[key]})",
                "keep one row per party: write all its account IDs and identifiers in that row (one per line) and delete the other",
            )
        parties[key] = cell(number, "party")
        ids = _accounts(reader, cell(number, "accounts"), row.get(REGISTER_COL["accounts"]))
        for account in ids:
            if account in accounts and accounts[account][0] != party:
                raise reader.error(
                    cell(number, "accounts"),
                    f"account {account} is also listed for '{shown(accounts[account][0], 60)}' ({accounts[account][1]})",
                    "an AWS account belongs to one party: keep it in the row of the party that uses it",
                )
            accounts[account] = (party, cell(number, "accounts"))
        identifiers = _identifiers(reader, cell(number, "identifiers"), row.get(REGISTER_COL["identifiers"]))
        reviewed = reader.date(row.get(REGISTER_COL["reviewed_on"]), cell(number, "reviewed_on"), "last review date")
        if reviewed is not None and reviewed > reader.today.isoformat():
            raise reader.error(
                cell(number, "reviewed_on"),
                f"last review date {reviewed} is after the assessment date {reader.today.isoformat()}",
                "write the date the register entry was last reviewed (a review still to come is not one)",
            )
        register.append(
            {
                "party": party,
                "account_ids": ids,
                "identifiers": identifiers,
                "services": reader.text(row.get(REGISTER_COL["services"])),
                "contract": reader.text(row.get(REGISTER_COL["contract"])),
                "data": reader.text(row.get(REGISTER_COL["data"])),
                "owner": reader.text(row.get(REGISTER_COL["owner"])),
                "reviewed_on": reviewed,
                "source": cell(number, "party"),
            }
        )
    return register


def _accounts(reader: Any, where: str, value: Any) -> list[str]:
    values = _split(value)
    if len(values) > MAX_VALUES:
        raise reader.error(where, f"{len(values)} account IDs (at most {MAX_VALUES})", "list the accounts the party uses")
    out: list[str] = []
    for item in values:
        account = _account(item)
        if not _ACCOUNT.match(account):
            raise reader.error(
                where,
                f"'{shown(account, 40)}' is not a 12-digit AWS account ID",
                "write each account ID as its 12 digits (leading zeros included), one per line",
            )
        if account not in out:
            out.append(account)
    return out


def _identifiers(reader: Any, where: str, value: Any) -> list[str]:
    values = [str(item) for item in _split(value)]
    if len(values) > MAX_VALUES:
        raise reader.error(where, f"{len(values)} identifiers (at most {MAX_VALUES})", "list the identifiers the estate shows")
    out: list[str] = []
    for item in values:
        if len(item) > MAX_IDENTIFIER_CHARS or not _IDENTIFIER.match(item):
            raise reader.error(
                where,
                f"'{shown(item, 60)}' is not an identifier (a formula, a blank inside it or a character AWS names do not use)",
                "write the SAML/OIDC provider name, the OIDC issuer (e.g. https://token.example.com) or the principal ARN "
                "as text, one per line",
            )
        if item not in out:
            out.append(item)
    return out


__all__ = [
    "GROUP",
    "MAX_REGISTER_ROWS",
    "REGISTER_COL",
    "REGISTER_KEYS",
    "THIRD_PARTIES_DATASET",
    "find_register_sheet",
    "parse_register",
    "register_sheet",
]
