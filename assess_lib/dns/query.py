"""DNS query layer: nameservers, a resolver that remembers what failed, and TXT look-ups.

Two kinds of "nothing" must never be confused:

* an answer saying the record does not exist (NXDOMAIN, or NOERROR with no data) is
  *evidence* (e.g. "no DMARC record"), and
* no usable answer at all (time-out, SERVFAIL, REFUSED, nameserver unreachable) is a
  *failure to ask*, which becomes an ``error`` verdict, never ``pass`` or ``fail``.

checkdmarc swallows some failures into warnings (an ``include:`` target that timed out
looks like a missing record to it), so every query it makes goes through a
:class:`RecordingResolver` that keeps the failures for the collector to inspect.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from collections.abc import Sequence

import dns.exception
import dns.nameserver
import dns.rdatatype
import dns.resolver

from .. import evidence as ev

DEFAULT_TIMEOUT = 3.0  # seconds per question (lifetime); short, so a dead nameserver fails fast
_PER_TRY = 1.0  # per UDP try inside the lifetime, so one lost datagram is retried (like dig +tries)


# --- typed failures (checkdmarc style: a small exception tree) ------------------------------


class DnsFailure(Exception):
    """No usable answer to one question; carries the evidence error kind and a readable message."""

    kind = ev.OTHER

    def __init__(self, code: str, message: str, qname: str = "", rdtype: str = "") -> None:
        self.code = code
        self.message = message
        self.qname = qname
        self.rdtype = rdtype
        super().__init__(f"{code}: {message}")

    def collection_error(self, calls: int = 1) -> ev.CollectionError:
        return ev.CollectionError(self.kind, self.code, self.message, calls)


class DnsTimeout(DnsFailure):
    kind = ev.TIMEOUT


class DnsServerFailure(DnsFailure):
    """The nameserver answered, but with SERVFAIL, REFUSED or another error rcode."""

    kind = ev.OTHER


class DnsUnreachable(DnsFailure):
    kind = ev.CONNECTION


class DomainNotFound(DnsFailure):
    """NXDOMAIN for the assessed domain itself (not for one of its records)."""

    kind = ev.NOT_FOUND


# --- nameservers ----------------------------------------------------------------------------


def parse_nameserver(entry: str) -> dns.nameserver.Do53Nameserver:
    """``"IP"`` or ``"IP:PORT"`` (IPv6 as ``"[::1]:5353"`` or bare ``"::1"``) -> a Do53 nameserver."""
    text = str(entry).strip()
    host, port = text, 53
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            raise ValueError(f"nameserver '{entry}': missing ']'")
        host, rest = text[1:close], text[close + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"nameserver '{entry}': expected [IPv6]:PORT")
            port = _port(entry, rest[1:])
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = _port(entry, port_text)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"nameserver '{entry}' is not an IP address (write IP or IP:PORT, e.g. 127.0.0.1:5353)") from None
    return dns.nameserver.Do53Nameserver(str(address), port=port)


def _port(entry: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"nameserver '{entry}': '{text}' is not a port number")
    return int(text)


def nameserver_label(nameserver: Any) -> str:
    """``127.0.0.1:5353`` style text for messages and the manifest."""
    if isinstance(nameserver, dns.nameserver.Do53Nameserver):
        address = nameserver.address
        shown = f"[{address}]" if ":" in address else address
        return f"{shown}:{nameserver.port}"
    return str(nameserver)


# --- the resolver ---------------------------------------------------------------------------


class RecordingResolver(dns.resolver.Resolver):
    """A dnspython resolver that counts questions and records every failure to get an answer.

    Handed to checkdmarc as ``resolver=`` (its ``nameservers=`` path builds a resolver of its
    own, whose failures we could not see). NXDOMAIN and NODATA are answers, not failures.
    """

    def __init__(self, nameservers: Sequence[Any] = (), timeout: float = DEFAULT_TIMEOUT) -> None:
        if nameservers:
            super().__init__(configure=False)
            self.nameservers = list(nameservers)
        else:
            try:
                super().__init__(configure=True)  # the system resolver (/etc/resolv.conf)
            except dns.resolver.NoResolverConfiguration:
                raise DnsUnreachable(
                    "NoResolverConfiguration", "no system DNS resolver is configured; set dns.nameservers"
                ) from None
        self.time_limit = float(timeout)
        self.timeout = min(_PER_TRY, self.time_limit)
        self.lifetime = self.time_limit
        self.cache = None  # each question once per run is the evidence store's job; no stale answers
        self.queries = 0
        self.failures: list[DnsFailure] = []

    @property
    def label(self) -> str:
        return ", ".join(nameserver_label(ns) for ns in self.nameservers) or "system resolver"

    def resolve(self, qname: Any, rdtype: Any = dns.rdatatype.A, *args: Any, **kwargs: Any) -> dns.resolver.Answer:  # type: ignore[override]
        self.queries += 1
        name = str(qname).rstrip(".")
        type_text = dns.rdatatype.to_text(dns.rdatatype.RdataType.make(rdtype))
        try:
            return super().resolve(qname, rdtype, *args, **kwargs)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            raise
        except Exception as err:
            failure = self.classify(err, name, type_text)
            if failure is not None:
                self.failures.append(failure)
            raise

    def classify(self, err: BaseException, qname: str, rdtype: str) -> DnsFailure | None:
        """The typed failure behind a dnspython exception (None for answers such as NXDOMAIN)."""
        where = f"{rdtype} {qname}"
        if isinstance(err, dns.exception.Timeout):
            return DnsTimeout("Timeout", f"no answer from {self.label} within {self.time_limit:g} s for {where}", qname, rdtype)
        if isinstance(err, dns.resolver.NoNameservers):
            errors = err.kwargs.get("errors") or []
            rcodes = [str(e[3]) for e in errors if isinstance(e[3], str)]
            if rcodes:
                return DnsServerFailure(rcodes[0], f"{self.label} answered {rcodes[0]} for {where}", qname, rdtype)
            if errors and all(isinstance(e[3], OSError) for e in errors):
                detail = type(errors[0][3]).__name__
                return DnsUnreachable(detail, f"nameserver {self.label} unreachable ({errors[0][3]}) for {where}", qname, rdtype)
            return DnsServerFailure(
                "NoNameservers", f"no nameserver gave a usable answer for {where}: {_short(str(err))}", qname, rdtype
            )
        if isinstance(err, OSError):
            return DnsUnreachable(type(err).__name__, f"nameserver {self.label} unreachable ({err}) for {where}", qname, rdtype)
        if isinstance(err, dns.exception.DNSException):
            return DnsServerFailure(type(err).__name__, f"{_short(str(err))} ({where})", qname, rdtype)
        return None

    def failures_matching(self, predicate: Any = None) -> list[DnsFailure]:
        return [f for f in self.failures if predicate is None or predicate(f)]


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# --- questions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TxtRecord:
    """One TXT record: its character-strings joined without spaces (RFC 7208 3.3), and their sizes."""

    text: str
    string_lengths: tuple[int, ...]

    def as_row(self) -> dict[str, Any]:
        return {"text": self.text, "string_lengths": list(self.string_lengths)}


@dataclass(frozen=True)
class TxtAnswer:
    name: str
    records: tuple[TxtRecord, ...]
    nxdomain: bool = False
    canonical_name: str | None = None  # set when the name is a CNAME (e.g. a DKIM key hosted by the mail provider)

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.records]


def query_txt(resolver: RecordingResolver, name: str) -> TxtAnswer:
    """TXT records at ``name``; raises :class:`DnsFailure` when no answer could be had.

    The content is customer-controlled: it is decoded as text (undecodable bytes replaced)
    and never interpreted beyond parsing.
    """
    try:
        answer = resolver.resolve(name, "TXT")
    except dns.resolver.NXDOMAIN:
        return TxtAnswer(name, (), nxdomain=True)
    except dns.resolver.NoAnswer:
        return TxtAnswer(name, ())
    except Exception as err:  # noqa: BLE001 - any failure is classified and reported, never raised raw
        raise _failure(resolver, err, name, "TXT") from None
    records = []
    for rdata in answer:
        strings = list(rdata.strings)
        records.append(TxtRecord(b"".join(strings).decode("utf-8", "replace"), tuple(len(s) for s in strings)))
    canonical = str(answer.canonical_name).rstrip(".")
    return TxtAnswer(name, tuple(records), canonical_name=canonical if canonical.lower() != name.lower() else None)


def domain_exists(resolver: RecordingResolver, domain: str) -> None:
    """Probe the assessed domain once (SOA); raise :class:`DomainNotFound` on NXDOMAIN.

    Done first so that a mistyped domain is reported as such instead of as "no DMARC record".
    """
    try:
        resolver.resolve(domain, "SOA", raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        raise DomainNotFound(
            "NXDOMAIN",
            f"the domain {domain} does not exist in DNS (NXDOMAIN from {resolver.label}); check dns.domains in the params file",
            domain,
            "SOA",
        ) from None
    except Exception as err:  # noqa: BLE001 - any failure is classified and reported, never raised raw
        raise _failure(resolver, err, domain, "SOA") from None


def _failure(resolver: RecordingResolver, err: BaseException, name: str, rdtype: str) -> DnsFailure:
    failure = resolver.classify(err, name, rdtype)
    return failure or DnsServerFailure(type(err).__name__, f"{_short(str(err))} ({rdtype} {name})", name, rdtype)


__all__ = [
    "DEFAULT_TIMEOUT",
    "DnsFailure",
    "DnsServerFailure",
    "DnsTimeout",
    "DnsUnreachable",
    "DomainNotFound",
    "RecordingResolver",
    "TxtAnswer",
    "TxtRecord",
    "domain_exists",
    "nameserver_label",
    "parse_nameserver",
    "query_txt",
]
