"""Parsing of e-mail authentication records: the parts checkdmarc does not give us.

Pure functions over record text (no DNS). Record text is customer-controlled: it is only
split and compared, never evaluated, and every value stays a string (or an int we parse
ourselves) so the evidence bundle is plain JSON.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

# --- generic tag=value lists (DMARC, DKIM, MTA-STS, TLS-RPT) ---------------------------------


def split_tags(record: str) -> tuple[dict[str, str], list[str]]:
    """``"v=DMARC1; p=reject"`` -> ({"v": "DMARC1", "p": "reject"}, duplicate tag names).

    Tag names are lower-cased; values keep their case, surrounding blanks removed.
    Parts without ``=`` are ignored (the validators report them).
    """
    tags: dict[str, str] = {}
    duplicates: list[str] = []
    for part in record.split(";"):
        if "=" not in part:
            continue
        name, value = part.split("=", 1)
        name = name.strip().lower()
        if not name:
            continue
        if name in tags and name not in duplicates:
            duplicates.append(name)
        tags.setdefault(name, value.strip())
    return tags, duplicates


def _first_tag_is(record: str, tag: str, value: str) -> bool:
    first = record.split(";", 1)[0]
    if "=" not in first:
        return False
    name, val = first.split("=", 1)
    return name.strip().lower() == tag and val.strip().lower() == value.lower()


# --- SPF ------------------------------------------------------------------------------------

_ALL_TERM = re.compile(r"^([+\-~?]?)all$", re.IGNORECASE)
_REDIRECT = re.compile(r"^redirect=(\S+)$", re.IGNORECASE)


def is_spf(text: str) -> bool:
    """RFC 7208 4.5: the record begins with exactly ``v=spf1`` followed by a space or its end."""
    lower = text.lower()
    return lower == "v=spf1" or lower.startswith("v=spf1 ")


def spf_terms(record: str) -> list[str]:
    """Top-level terms after the version, as written."""
    return record.split()[1:]


def spf_all(record: str) -> str | None:
    """The record's ``all`` mechanism with its qualifier made explicit (``-all``, ``~all``, ``+all``,
    ``?all``), or None when it has none. checkdmarc reports ``+all`` and a bare ``all`` as "pass" and
    a missing ``all`` as "neutral", so ``?all`` and no ``all`` cannot be told apart there."""
    for term in spf_terms(record):
        match = _ALL_TERM.match(term)
        if match:
            return (match.group(1) or "+") + "all"
    return None


def spf_redirect(record: str) -> str | None:
    for term in spf_terms(record):
        match = _REDIRECT.match(term)
        if match:
            return match.group(1)
    return None


def effective_spf_all(record: str, parsed: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(all qualifier, where it comes from): the record's own ``all``, else the redirect chain's
    (RFC 7208 6.1: ``redirect`` is ignored when ``all`` is present). ``parsed`` is checkdmarc's."""
    own = spf_all(record)
    if own:
        return own, None
    redirect = (parsed or {}).get("redirect")
    while redirect:
        target_record = redirect.get("record") or ""
        found = spf_all(target_record)
        if found:
            return found, redirect.get("domain")
        redirect = (redirect.get("parsed") or {}).get("redirect")
    return None, None


# --- DMARC ----------------------------------------------------------------------------------

DMARC_POLICIES = ("none", "quarantine", "reject")
_DMARC_VERSION = re.compile(r"^v\s*=\s*DMARC1\s*(;|$)", re.IGNORECASE)


def is_dmarc(text: str) -> bool:
    """A DMARC record starts with ``v=DMARC1`` (blanks around ``=`` tolerated, as receivers do)."""
    return bool(_DMARC_VERSION.match(text.strip()))


def policy_strength(policy: str | None) -> int:
    """none < quarantine < reject; unknown values count as none (receivers ignore them)."""
    return DMARC_POLICIES.index(policy) if policy in DMARC_POLICIES else 0


def dmarc_fields(record: str) -> dict[str, Any]:
    """p, sp, pct, rua, ruf, adkim, aspf and the problems found in them.

    checkdmarc follows RFC 9989, which drops ``pct``; the FSA assessment still reports it
    because most receivers implement RFC 7489, where ``pct<100`` applies the policy partially.
    """
    tags, duplicates = split_tags(record)
    problems: list[str] = []
    if duplicates:
        problems.append(f"duplicate tag(s): {', '.join(duplicates)}")
    p = tags.get("p")
    p_value = p.lower() if p is not None else None
    if p is None:
        problems.append("the required p tag is missing")
    elif p_value not in DMARC_POLICIES:
        problems.append(f"p={p} is not none, quarantine or reject")
    sp = tags.get("sp")
    sp_value = sp.lower() if sp is not None else None
    if sp is not None and sp_value not in DMARC_POLICIES:
        problems.append(f"sp={sp} is not none, quarantine or reject")
    pct_raw = tags.get("pct")
    pct: int | None = 100
    if pct_raw is not None:
        if pct_raw.isdigit() and 0 <= int(pct_raw) <= 100:
            pct = int(pct_raw)
        else:
            pct = None
            problems.append(f"pct={pct_raw} is not a whole number from 0 to 100")
    return {
        "p": p_value,
        "sp": sp_value if sp is not None else p_value,
        "sp_explicit": sp is not None,
        "pct": pct,
        "pct_explicit": pct_raw is not None,
        "rua": _uris(tags.get("rua")),
        "ruf": _uris(tags.get("ruf")),
        "adkim": (tags.get("adkim") or "r").lower(),
        "aspf": (tags.get("aspf") or "r").lower(),
        "problems": problems,
    }


def _uris(value: str | None) -> list[str]:
    if not value:
        return []
    return [uri.strip() for uri in value.split(",") if uri.strip()]


# --- DKIM -----------------------------------------------------------------------------------


def is_dkim_candidate(text: str) -> bool:
    """A TXT record at a selector that is meant as a DKIM key: ``v=DKIM1`` first, or a ``p=`` tag
    (``v`` is optional in RFC 6376 3.6.1)."""
    tags, _ = split_tags(text)
    return _first_tag_is(text, "v", "DKIM1") or "p" in tags


def dkim_key(record: str) -> dict[str, Any]:
    """Key type, key length in bits, revocation (empty ``p=``), testing flag and problems."""
    tags, duplicates = split_tags(record)
    problems: list[str] = []
    if duplicates:
        problems.append(f"duplicate tag(s): {', '.join(duplicates)}")
    if "v" in tags and not _first_tag_is(record, "v", "DKIM1"):
        problems.append("v= must be DKIM1 and come first")
    key_type = (tags.get("k") or "rsa").lower()
    flags = [f.strip().lower() for f in (tags.get("t") or "").split(":") if f.strip()]
    result: dict[str, Any] = {
        "version": tags.get("v"),
        "key_type": key_type,
        "key_bits": None,
        "revoked": False,
        "testing": "y" in flags,
        "hash_algorithms": tags.get("h"),
        "problems": problems,
    }
    if "p" not in tags:
        problems.append("the required p= tag (public key) is missing")
        return result
    key_text = re.sub(r"\s+", "", tags["p"])
    if not key_text:
        result["revoked"] = True  # RFC 6376 3.6.1: an empty p= means the key was revoked
        return result
    try:
        der = base64.b64decode(key_text, validate=True)
    except (binascii.Error, ValueError):
        problems.append("p= is not valid base64")
        return result
    if key_type == "rsa":
        bits = rsa_key_bits(der)
        if bits is None:
            problems.append("p= is not an RSA public key")
        result["key_bits"] = bits
    elif key_type == "ed25519":
        if len(der) == 32:
            result["key_bits"] = 256
        else:
            problems.append(f"an Ed25519 key is 32 bytes, not {len(der)}")
    else:
        problems.append(f"unknown key type k={key_type}")
    return result


def rsa_key_bits(der: bytes) -> int | None:
    """Modulus length of an RSA public key in SubjectPublicKeyInfo or PKCS#1 DER; None if it is not one."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    try:
        key = load_der_public_key(der)
    except (ValueError, TypeError):
        return None
    except Exception:  # noqa: BLE001 - cryptography's own UnsupportedAlgorithm and friends
        return None
    return key.key_size if isinstance(key, rsa.RSAPublicKey) else None


# --- MTA-STS and TLS-RPT --------------------------------------------------------------------

_STS_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")


def is_mta_sts(text: str) -> bool:
    return _first_tag_is(text, "v", "STSv1")


def mta_sts_fields(record: str) -> dict[str, Any]:
    """RFC 8461 3.1: ``v=STSv1; id=<1-32 alphanumerics>``."""
    tags, duplicates = split_tags(record)
    problems = [f"duplicate tag(s): {', '.join(duplicates)}"] if duplicates else []
    policy_id = tags.get("id")
    if policy_id is None:
        problems.append("the required id tag is missing")
    elif not _STS_ID.match(policy_id):
        problems.append(f"id={policy_id} must be 1 to 32 letters and digits")
    return {"id": policy_id, "problems": problems}


def is_tls_rpt(text: str) -> bool:
    return _first_tag_is(text, "v", "TLSRPTv1")


def tls_rpt_fields(record: str) -> dict[str, Any]:
    """RFC 8460 3: ``v=TLSRPTv1; rua=mailto:...|https://...``."""
    tags, duplicates = split_tags(record)
    problems = [f"duplicate tag(s): {', '.join(duplicates)}"] if duplicates else []
    rua = _uris(tags.get("rua"))
    if not rua:
        problems.append("the required rua tag (report destination) is missing")
    for uri in rua:
        if not uri.lower().startswith(("mailto:", "https://")):
            problems.append(f"rua destination {uri} is neither mailto: nor https:")
    return {"rua": rua, "problems": problems}


__all__ = [
    "DMARC_POLICIES",
    "dkim_key",
    "dmarc_fields",
    "effective_spf_all",
    "is_dkim_candidate",
    "is_dmarc",
    "is_mta_sts",
    "is_spf",
    "is_tls_rpt",
    "mta_sts_fields",
    "policy_strength",
    "rsa_key_bits",
    "spf_all",
    "spf_redirect",
    "spf_terms",
    "split_tags",
    "tls_rpt_fields",
]
