"""2.6 ⑤ third-party register: the external parties the estate grants access to, compared with the customer's own
register (the working sheet's register sheet, dataset ``attestation.third_parties``).

The evidence side is the external-access model (``_external_access.account_parties``, the rows of
``external_parties`` for one account): one row per access an outside party holds (a role it may assume, a resource policy, a RAM share, a SAML or OIDC provider, a delegated
administrator). Per AWS account, each party with access is one result: in the register (pass) or not (fail, naming
what it reaches). A party is the register's when one of its AWS account IDs or identifiers (provider name, OIDC
issuer, principal ARN) is the party's. Register entries with identifiers and no access seen in the account are one
informational line, and only on complete evidence (an entry is never "unused" because evidence was missing). No
register given is missing evidence, never a verdict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from ..core.model import ErrorKind
from ..core.text import Phrase
from ..evidence import GLOBAL, EvidenceUnavailable
from . import check, failed, manual, not_applicable, passed
from ._external_access import KINDS, account_of, account_parties
from .answers import ORG_ACCOUNT
from .context import CheckContext
from .result import Result

REGISTER_DATASET = "attestation.third_parties"
PROVIDER_KINDS = ("saml", "oidc")  # the party is an identity provider: its ARN holds the customer's account, not the party's
MAX_LISTED = 10  # resources quoted per finding (all of them are in the finding's details)
REGISTER_SUBJECT = "third-party register"
EVERYONE = "*"  # a grant to anyone is exposure (the public-access checks), not a party a register could list
_ACCOUNT = re.compile(r"^\d{12}$")
_PROVIDER = re.compile(r":(?:saml-provider|oidc-provider)/(.+)$", re.IGNORECASE)
_SCHEME = re.compile(r"^https?://", re.IGNORECASE)


def _norm(text: str) -> str:
    """An identifier for comparison: case-folded, without the URL scheme and a trailing slash."""
    return _SCHEME.sub("", text.strip()).rstrip("/").casefold()


def identifier_keys(text: str, provider: bool = False) -> set[str]:
    """What an identifier matches on: itself, a provider ARN's name or issuer, a principal ARN's account (not for
    an identity provider, whose ARN is in the customer's own account)."""
    text = str(text).strip()
    if _ACCOUNT.match(text):
        return {text}
    keys = {_norm(text)}
    named = _PROVIDER.search(text)
    if named:
        keys.add(_norm(named.group(1)))
    elif not provider and (account := account_of(text)):
        keys.add(account)
    return keys


def party_id(row: dict[str, Any]) -> str:
    """The party a row of external access names: its AWS account when the principal is in one, else as given."""
    party = str(row.get("party") or "").strip()
    if row.get("kind") in PROVIDER_KINDS:
        return party
    return account_of(party) or party


def register_keys(entry: dict[str, Any]) -> set[str]:
    """Every key a register entry is recognised by: its account IDs and its identifiers."""
    keys = {str(account) for account in entry.get("account_ids") or ()}
    for identifier in entry.get("identifiers") or ():
        keys |= identifier_keys(identifier)
    return keys


def _listed(resources: list[str]) -> Phrase:
    """The resources quoted in a message: the first :data:`MAX_LISTED`, and how many more."""
    shown = ", ".join(resources[:MAX_LISTED])
    if len(resources) > MAX_LISTED:
        return Phrase("listed_more", items=shown, n=len(resources) - MAX_LISTED)
    return Phrase("listed", items=shown)


def compare(parties: Iterable[dict[str, Any]], register: list[dict[str, Any]], complete: bool = True) -> Iterator[Result]:
    """One result per external party (registered: pass; not: fail, listing what it reaches), then the register
    entries with identifiers none of whose access was seen (one informational result, on complete evidence)."""
    by_party: dict[str, list[dict[str, Any]]] = {}
    for row in parties:
        if row.get("in_organisation") or str(row.get("party") or "").strip() in ("", EVERYONE):
            continue  # a member account (delegated administrator) is no third party
        by_party.setdefault(party_id(row), []).append(row)
    keyed = [(entry, register_keys(entry)) for entry in register]
    seen: set[str] = set()
    for party in sorted(by_party):
        rows = by_party[party]
        provider = any(row.get("kind") in PROVIDER_KINDS for row in rows)
        keys = identifier_keys(party, provider) | {_norm(party)}
        entry = next((entry for entry, known in keyed if keys & known), None)
        resources = sorted({str(row.get("resource") or "") for row in rows if row.get("resource")})
        kinds = sorted({str(row.get("kind")) for row in rows if row.get("kind")})
        used = sorted(_when(row["last_used"]) for row in rows if row.get("last_used"))
        facts: dict[str, Any] = {
            "party": party,
            "resources": resources,
            "resource_count": len(resources),
            "listed": _listed(resources),
            "kinds": [Phrase(f"kind_{kind}") if kind in KINDS else Phrase("kind_other", kind=kind) for kind in kinds],
            "last_used": used[-1] if used else None,
        }
        # An identity provider no role trusts is only registered in the account: it reaches nothing yet.
        idle = "_provider_only" if all(str(row.get("resource_type") or "").endswith("_provider") for row in rows) else ""
        if entry is not None:
            seen.add(entry["party"])
            yield passed(party, "pass" + idle, entry=entry["party"], entry_source=entry.get("source"), **facts)
        elif all(row.get("kind") == "saml" for row in rows):
            # A SAML provider is often the institution's own (its AD FS): evidence cannot tell who runs it.
            yield manual(party, "saml_unregistered" + idle, **facts)
        else:
            yield failed(party, "fail" + idle, **facts)
    unseen = [entry["party"] for entry, known in keyed if known and entry["party"] not in seen]
    if unseen and complete:
        yield not_applicable(REGISTER_SUBJECT, "unseen", entries=", ".join(unseen), entry_count=len(unseen))


def _when(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def register_rows(ctx: CheckContext) -> list[dict[str, Any]]:
    """The customer's register as read from the working sheet; missing evidence when none was given."""
    if ctx.bundle.entry(REGISTER_DATASET, ORG_ACCOUNT, GLOBAL) is None:
        raise EvidenceUnavailable(REGISTER_DATASET, ORG_ACCOUNT, GLOBAL, ErrorKind.NOT_COLLECTED.value)
    return ctx.bundle.rows(REGISTER_DATASET, ORG_ACCOUNT, GLOBAL)


@check("third_party_register_coverage")
def third_party_register_coverage(ctx: CheckContext) -> Iterator[Result]:
    """Every external party the account grants access to is in the customer's third-party register."""
    register = register_rows(ctx)
    # The organisation's own accounts are no third parties: the assessed ones and those a multi-account run listed.
    own = [*ctx.bundle.accounts, *(ctx.bundle.manifest.get("organization_accounts") or [])]
    parties, gaps = account_parties(lambda dataset, region: ctx.rows(dataset, region), ctx.account_id, ctx.regions, own)
    for gap in gaps:
        ctx.record_missing(gap)  # what was read still counts: a party found is named whatever else is missing
    yield from compare(parties, register, ctx.complete)
