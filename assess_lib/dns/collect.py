"""E-mail authentication evidence per domain: SPF, DMARC, DKIM, MTA-STS and TLS-RPT.

Layering follows checkdmarc: :mod:`.query` asks DNS, :mod:`.parse` reads records, this
module turns both into evidence rows (checks decide verdicts later, offline).
checkdmarc does the SPF evaluation (include/redirect recursion, the 10-lookup count) and
DMARC validation and tree walk; what it leaves out (``+all`` versus ``?all``, ``pct``, DKIM
key lengths) comes from :mod:`.parse`.

Evidence is stored under account ``"dns"`` with the domain as the region, once per run. The datasets and
the shape of their rows are declared beside this module in ``datasets.yaml``.
"""

from __future__ import annotations

from typing import Any
from collections.abc import Callable

import checkdmarc.dmarc
import checkdmarc.spf
import checkdmarc.utils

from ..evidence import CollectionError, EvidenceStore
from ..params import DEMO, Params, ParamsError
from . import parse
from .query import (
    DEFAULT_TIMEOUT,
    DnsFailure,
    DomainNotFound,
    RecordingResolver,
    domain_exists,
    nameserver_label,
    parse_nameserver,
    query_txt,
)

DNS_ACCOUNT = "dns"  # account_id of DNS evidence (the domain is the region)

Producer = Callable[[RecordingResolver, str, "Settings"], list[dict[str, Any]]]


class Settings:
    """What every producer needs besides the resolver."""

    def __init__(self, selectors: list[str], timeout: float) -> None:
        self.selectors = selectors
        self.timeout = timeout


def resolve_nameservers(params: Params, override: list[str] | None) -> list[Any]:
    """The nameservers to ask: ``override`` (the demo server, a test server) wins over the params.

    ``demo`` in the params means "the embedded demo DNS server", which only the command line
    and the notebooks can start; reaching here with it means nobody did.
    """
    entries = list(override) if override is not None else list(params.dns.nameservers)
    if override is None and DEMO in entries:
        raise ParamsError(
            "dns.nameservers: 'demo' means the embedded demo DNS server, which is only started by "
            "'python -m assess_lib demo' (or a params file with aws.endpoint_url: demo). "
            "Fix: use the demo command, or list real nameservers as IP or IP:PORT (empty = system resolver)."
        )
    servers = []
    for entry in entries:
        try:
            servers.append(parse_nameserver(entry))
        except ValueError as err:
            raise ParamsError(f"dns.nameservers: {err}. Fix: write IP or IP:PORT, e.g. 127.0.0.1:5353") from None
    return servers


def collect_domains(
    domains: list[str],
    selectors: list[str],
    store: EvidenceStore,
    nameservers: list[Any],
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Gather every DNS dataset for every domain into ``store``."""
    checkdmarc.utils.DNS_CACHE.clear()  # answers from an earlier run (or test) must not leak in
    settings = Settings(selectors, timeout)
    for domain in domains:
        probe = _fetch(store, "dns.domain", domain, f"DNS SOA {domain}", domain_rows, nameservers, settings)
        _say(progress, probe)
        for dataset, action, produce in PRODUCERS:
            record = _fetch(store, dataset, domain, action(domain, settings), produce, nameservers, settings, probe)
            _say(progress, record)


def domain_rows(resolver: RecordingResolver, domain: str, settings: Settings) -> list[dict[str, Any]]:
    """One row: the domain exists (asked first, so a mistyped domain is not reported as "no DMARC")."""
    domain_exists(resolver, domain)
    return [{"domain": domain, "exists": True, "nameservers": resolver.label}]


def _say(progress: Callable[[str], None] | None, record: Any) -> None:
    if progress:
        detail = "" if record.ok else f" ({record.error_kind}: {record.error_message})"
        progress(f"[dns] {record.region} {record.dataset}: {record.status}{detail}")


def _fetch(
    store: EvidenceStore,
    dataset: str,
    domain: str,
    action: str,
    produce: Producer,
    nameservers: list[Any],
    settings: Settings,
    probe: Any = None,
) -> Any:
    def producer() -> tuple[list[dict[str, Any]], int]:
        if probe is not None and not probe.ok:
            # The domain itself could not be confirmed: every dataset of it carries that cause.
            raise CollectionError(probe.error_kind or "other", probe.error_code or "", probe.error_message or "", 0)
        try:
            resolver = RecordingResolver(nameservers, settings.timeout)
        except DnsFailure as failure:
            raise failure.collection_error(0) from None
        try:
            rows = produce(resolver, domain, settings)
        except DnsFailure as failure:
            raise failure.collection_error(resolver.queries) from None
        return rows, resolver.queries

    return store.fetch(dataset, DNS_ACCOUNT, domain, action, producer)


def _raise_failures(resolver: RecordingResolver, relevant: Callable[[DnsFailure], bool] = lambda f: True) -> None:
    """A question the evidence depends on went unanswered: the dataset is an error, not a verdict."""
    failures = [f for f in resolver.failures if relevant(f)]
    if failures:
        raise failures[0]


def _ensure_domain(answer: Any, domain: str, resolver: RecordingResolver) -> None:
    if answer.nxdomain:
        raise DomainNotFound(
            "NXDOMAIN", f"the domain {domain} does not exist in DNS (NXDOMAIN from {resolver.label})", domain, "TXT"
        )


# --- SPF ------------------------------------------------------------------------------------

_MECHANISM_KEYS = ("action", "mechanism", "value", "dns_lookups", "void_dns_lookups", "record")


def spf_rows(resolver: RecordingResolver, domain: str, settings: Settings) -> list[dict[str, Any]]:
    """One row: the SPF record(s) at ``domain``, checkdmarc's evaluation and the effective ``all``."""
    answer = query_txt(resolver, domain)
    _ensure_domain(answer, domain, resolver)
    spf = [r for r in answer.records if parse.is_spf(r.text)]
    row: dict[str, Any] = {
        "name": domain,
        "present": bool(spf),
        "record_count": len(spf),
        "records": [r.as_row() for r in spf],
        "record": None,
        "valid": None,
        "error": None,
        "dns_lookups": None,
        "void_dns_lookups": None,
        "all": None,
        "all_from": None,
        "redirect": None,
        "terms": [],
        "mechanisms": [],
        "warnings": [],
        # An include/redirect target that answered "no such domain" or "no SPF record": a permanent error
        # (permerror, RFC 7208 5.2 and 6.1) of the record, not missing evidence. {name, via, reason}.
        "broken_reference": None,
    }
    if not spf:
        return [row]
    if len(spf) > 1:
        row.update(valid=False, error=f"{len(spf)} SPF records found; RFC 7208 4.5 makes several records a permanent error")
        return [row]
    record = spf[0].text
    row.update(record=record, terms=parse.spf_terms(record), redirect=parse.spf_redirect(record))
    parsed: dict[str, Any] | None = None
    try:
        result = checkdmarc.spf.parse_spf_record(
            record, domain, ignore_too_many_lookups=True, resolver=resolver, timeout=settings.timeout
        )
    except checkdmarc.spf.SPFError as err:
        # The legacy SPF (type 99) look-up is optional; every other failed question matters.
        _raise_failures(resolver, lambda f: f.rdtype != "SPF")
        row.update(valid=False, error=str(err), warnings=[str(w) for w in err.warnings])
        if isinstance(err, checkdmarc.spf.SPFRecordNotFound):
            row["broken_reference"] = _broken_reference(resolver, domain, err)
        if err.data:
            row.update({k: v for k, v in err.data.items() if k in ("dns_lookups", "void_dns_lookups")})
    else:
        _raise_failures(resolver, lambda f: f.rdtype != "SPF")
        parsed = result.get("parsed")
        row.update(
            valid="error" not in result,
            error=str(result["error"]) if "error" in result else None,
            dns_lookups=result.get("dns_lookups"),
            void_dns_lookups=result.get("void_dns_lookups"),
            warnings=[str(w) for w in result.get("warnings", [])],
            mechanisms=[{k: m.get(k) for k in _MECHANISM_KEYS if k in m} for m in (parsed or {}).get("mechanisms", [])],
        )
    qualifier, source = parse.effective_spf_all(record, parsed)
    row.update(all=qualifier, all_from=source)
    return [row]


def _broken_reference(resolver: RecordingResolver, domain: str, err: Any) -> dict[str, str] | None:
    """The include/redirect target behind checkdmarc's "no SPF record" error, confirmed by asking again.

    Only an answer counts: NXDOMAIN, or TXT records none of which is SPF. A question that goes unanswered
    now raises :class:`DnsFailure` (the dataset is then an error: a transient failure is no verdict).
    """
    target = str(getattr(err, "domain", "") or "").rstrip(".").lower()
    if not target or target == domain.lower():
        return None
    # checkdmarc raises the include's error "from" the target's own; a redirect target's error is its own.
    via = "include" if isinstance(err.__cause__, checkdmarc.spf.SPFRecordNotFound) else "redirect"
    answer = query_txt(resolver, target)
    if answer.nxdomain:
        return {"name": target, "via": via, "reason": "nxdomain"}
    if not any(parse.is_spf(text) for text in answer.texts):
        return {"name": target, "via": via, "reason": "no_spf"}
    return None  # the target has a record now: left to the general "invalid" wording


# --- DMARC ----------------------------------------------------------------------------------


def _is_dmarc_question(failure: DnsFailure) -> bool:
    # Look-ups of _dmarc names decide the evidence; the MX look-ups checkdmarc makes for
    # report addresses and its courtesy look-up of the apex only add warnings.
    return failure.qname.lower().startswith("_dmarc.")


def dmarc_rows(resolver: RecordingResolver, domain: str, settings: Settings) -> list[dict[str, Any]]:
    """One row: the DMARC record(s) at ``_dmarc.<domain>`` (or inherited from a parent), its tags
    including ``pct`` (which checkdmarc drops), and checkdmarc's validation."""
    name = f"_dmarc.{domain}"
    answer = query_txt(resolver, name)
    dmarc = [r for r in answer.records if parse.is_dmarc(r.text)]
    row: dict[str, Any] = {
        "name": name,
        "present": bool(dmarc),
        "record_count": len(dmarc),
        "records": [r.as_row() for r in dmarc],
        "other_txt": [r.text for r in answer.records if not parse.is_dmarc(r.text)],
        "record": None,
        "location": None,
        "inherited": False,
        "valid": None,
        "error": None,
        "warnings": [],
        "p": None,
        "sp": None,
        "sp_explicit": False,
        "pct": None,
        "pct_explicit": False,
        "rua": [],
        "ruf": [],
        "adkim": None,
        "aspf": None,
    }
    if len(dmarc) > 1:
        row.update(valid=False, error=f"{len(dmarc)} DMARC records found at {name}; receivers ignore them all (RFC 7489 6.6.3)")
        return [row]
    if dmarc:
        record, location = dmarc[0].text, domain
    else:
        # No record of its own: a subdomain is covered by its organisational domain's record.
        try:
            found = checkdmarc.dmarc.query_dmarc_record(domain, resolver=resolver, timeout=settings.timeout)
        except checkdmarc.dmarc.DMARCRecordNotFound:
            _raise_failures(resolver, _is_dmarc_question)
            return [row]
        except checkdmarc.dmarc.DMARCError as err:
            _raise_failures(resolver, _is_dmarc_question)
            row.update(valid=False, error=str(err))
            return [row]
        _raise_failures(resolver, _is_dmarc_question)
        record, location = found["record"], found["location"]
        if location == domain:  # appeared between the two questions; take it as the domain's own
            row.update(record_count=1, records=[{"text": record, "string_lengths": []}])
        row.update(present=True, inherited=location != domain)
    fields = parse.dmarc_fields(record)
    problems = list(fields.pop("problems"))
    row.update(record=record, location=location, **fields)
    try:
        validated = checkdmarc.dmarc.parse_dmarc_record(record, location, resolver=resolver, timeout=settings.timeout)
        row["warnings"] = [str(w) for w in validated.get("warnings", [])]
    except checkdmarc.dmarc.DMARCError as err:
        problems.insert(0, str(err))
    _raise_failures(resolver, _is_dmarc_question)
    row.update(valid=not problems, error="; ".join(problems) or None)
    return [row]


# --- DKIM -----------------------------------------------------------------------------------


def dkim_rows(resolver: RecordingResolver, domain: str, settings: Settings) -> list[dict[str, Any]]:
    """One row per configured selector: the key record at ``<selector>._domainkey.<domain>``."""
    rows = []
    for selector in settings.selectors:
        name = f"{selector}._domainkey.{domain}"
        answer = query_txt(resolver, name)
        keys = [r for r in answer.records if parse.is_dkim_candidate(r.text)]
        row: dict[str, Any] = {
            "selector": selector,
            "name": name,
            "canonical_name": answer.canonical_name,
            "present": bool(keys),
            "record_count": len(keys),
            "records": [r.as_row() for r in keys],
            "other_txt": [r.text for r in answer.records if not parse.is_dkim_candidate(r.text)],
            "record": None,
            "version": None,
            "key_type": None,
            "key_bits": None,
            "revoked": False,
            "testing": False,
            "hash_algorithms": None,
            "problems": [],
        }
        if len(keys) > 1:
            row["problems"] = [f"{len(keys)} key records at one selector; verifiers may pick either"]
        elif keys:
            row["record"] = keys[0].text
            row.update(parse.dkim_key(keys[0].text))
        rows.append(row)
    return rows


# --- MTA-STS and TLS-RPT --------------------------------------------------------------------


def _tagged_record_rows(
    resolver: RecordingResolver, name: str, is_record: Callable[[str], bool], fields: Callable[[str], dict[str, Any]]
) -> list[dict[str, Any]]:
    answer = query_txt(resolver, name)
    found = [r for r in answer.records if is_record(r.text)]
    row: dict[str, Any] = {
        "name": name,
        "present": bool(found),
        "record_count": len(found),
        "records": [r.as_row() for r in found],
        "record": None,
        "problems": [],
    }
    if len(found) > 1:
        row["problems"] = [f"{len(found)} records at {name}; senders treat several records as none"]
    elif found:
        row["record"] = found[0].text
        row.update(fields(found[0].text))
    return [row]


def mta_sts_rows(resolver: RecordingResolver, domain: str, settings: Settings) -> list[dict[str, Any]]:
    """One row: the MTA-STS announcement at ``_mta-sts.<domain>`` (the HTTPS policy file is not fetched)."""
    return _tagged_record_rows(resolver, f"_mta-sts.{domain}", parse.is_mta_sts, parse.mta_sts_fields)


def tls_rpt_rows(resolver: RecordingResolver, domain: str, settings: Settings) -> list[dict[str, Any]]:
    """One row: the SMTP TLS reporting record at ``_smtp._tls.<domain>``."""
    return _tagged_record_rows(resolver, f"_smtp._tls.{domain}", parse.is_tls_rpt, parse.tls_rpt_fields)


# (dataset, description of the questions behind it, producer)
PRODUCERS: list[tuple[str, Callable[[str, Settings], str], Producer]] = [
    ("dns.spf", lambda d, s: f"DNS TXT {d} (with SPF include/redirect/a/mx look-ups)", spf_rows),
    ("dns.dmarc", lambda d, s: f"DNS TXT _dmarc.{d} (and parent domains)", dmarc_rows),
    ("dns.dkim", lambda d, s: "DNS TXT " + ", ".join(f"{x}._domainkey.{d}" for x in s.selectors), dkim_rows),
    ("dns.mta_sts", lambda d, s: f"DNS TXT _mta-sts.{d}", mta_sts_rows),
    ("dns.tls_rpt", lambda d, s: f"DNS TXT _smtp._tls.{d}", tls_rpt_rows),
]


def collect(
    params: Params,
    store: EvidenceStore,
    nameservers: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """Gather DNS evidence for every domain of the params into ``store``; return manifest metadata.

    ``nameservers`` ("IP" or "IP:PORT") overrides ``params.dns.nameservers``; empty means the
    system resolver. ``demo`` in the params without an override raises :class:`ParamsError`
    (a ``ValueError``), as does a malformed entry. ``timeout`` is seconds per DNS question.
    """
    servers = resolve_nameservers(params, nameservers)
    domains = list(dict.fromkeys(d.strip().rstrip(".").lower() for d in params.dns.domains))
    selectors = list(params.dns.dkim_selectors)
    collect_domains(domains, selectors, store, servers, timeout, progress)
    return {
        "domains": domains,
        "dns_nameservers": [nameserver_label(ns) for ns in servers],  # empty: the system resolver
        "dkim_selectors": selectors,
        "dns_timeout_seconds": timeout,
    }
