"""The CRYPTREC Ciphers List as data (``catalog/cryptrec_tls.yaml``): which list holds a TLS cipher suite's parts,
a KMS key spec or a certificate's algorithms, and the protocols and suites of the TLS policies AWS does not
describe through an API (CloudFront, API Gateway). The checks read verdict inputs from here; the table is edited
as data when CRYPTREC or AWS change theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .._yaml import load_packaged_yaml

RECOMMENDED, CANDIDATE, MONITORED, UNLISTED = "recommended", "candidate", "monitored", "unlisted"
_RANK = {RECOMMENDED: 0, CANDIDATE: 1, MONITORED: 2, UNLISTED: 3}
UNKNOWN = "unknown"  # a name the table does not hold


@lru_cache(maxsize=1)
def table() -> Mapping[str, Any]:
    """The whole data file (read once)."""
    text = resources.files("assess_lib.catalog").joinpath("cryptrec_tls.yaml").read_text(encoding="utf-8")
    data = load_packaged_yaml(text)
    if not isinstance(data, dict) or not isinstance(data.get("tls"), dict):
        raise ValueError("assess_lib/catalog/cryptrec_tls.yaml: no 'tls' table")
    return data


def source() -> str:
    """The list's edition and its last update, as quoted in findings."""
    return str(table()["source"]["cite"])


def _signature(name: str) -> str:
    """ACM writes SHA256WITHRSA; some sources ECDSA-WITH-SHA256: one spelling."""
    text = name.upper().replace("-", "").replace("_", "")
    return f"{text[len('ECDSAWITH') :]}WITHECDSA" if text.startswith("ECDSAWITH") else text


def standing(kind: str, name: str | None) -> str:
    """The list holding ``name`` in the table ``kind`` (kms_key_specs, certificate_keys, certificate_signatures)."""
    key = _signature(str(name or "")) if kind == "certificate_signatures" else name
    return str(table().get(kind, {}).get(key, UNKNOWN))


def suite_standing(suite: str) -> str:
    """A cipher suite's standing: that of its weakest part (unknown when the suite or a part is not in the table)."""
    tls = table()["tls"]
    parts = tls["suites"].get(suite)
    if not parts:
        return UNKNOWN
    standings = [tls["parts"].get(part, UNKNOWN) for part in parts]
    if UNKNOWN in standings:
        return UNKNOWN
    return max(standings, key=_RANK.__getitem__)


def protocol_too_old(protocol: str) -> bool:
    """True for a protocol below the minimum (TLS 1.2); unknown names are not judged old."""
    order = table()["tls"]["protocol_order"]
    minimum = order.index(table()["tls"]["min_protocol"])
    return protocol in order and order.index(protocol) < minimum


def min_protocol() -> str:
    return str(table()["tls"]["min_protocol"])


def named_policy(service: str, name: str | None) -> tuple[list[str], list[str]] | None:
    """(protocols, ciphers) of a CloudFront or API Gateway policy, None when the table lacks it."""
    policy = table()["tls"].get(service, {}).get(name or "")
    return (list(policy["protocols"]), list(policy["ciphers"])) if policy else None


@dataclass(frozen=True)
class TlsJudgement:
    """What the list says about a policy's protocols and suites (names, in the policy's order)."""

    old_protocols: list[str]
    unlisted: list[str]
    monitored: list[str]
    unknown: list[str]


def judge_tls(protocols: Iterable[str], ciphers: Iterable[str]) -> TlsJudgement:
    old = [p for p in protocols if protocol_too_old(p)]
    by_standing: dict[str, list[str]] = {UNLISTED: [], MONITORED: [], UNKNOWN: []}
    for suite in ciphers:
        state = suite_standing(suite)
        if state in by_standing:
            by_standing[state].append(suite)
    return TlsJudgement(old, by_standing[UNLISTED], by_standing[MONITORED], by_standing[UNKNOWN])
