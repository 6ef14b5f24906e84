"""Checks for guideline item 2.3.1-6: e-mail domain authentication (SPF/DKIM/DMARC) and Amazon SES.

Domain checks run once per e-mail domain on DNS evidence (account ``dns``, region = the domain); the SES
checks run per AWS account and region. Record text in the evidence is customer-controlled: it is only
compared and quoted (bounded), never interpreted further here. The words are in ``s2_3_1_email.yaml``.

Verdict rules:

* ``email_spf``: one valid SPF record, at most 10 DNS look-ups, ending in ``-all`` or ``~all`` (own or via
  ``redirect=``). Missing, several, invalid, ``+all``, ``?all`` or no ``all`` fail.
* ``email_dmarc_policy``: one valid DMARC record with ``p=quarantine`` or ``p=reject``; ``sp`` weaker than
  ``p`` fails; ``pct`` below 100 fails (the policy is applied to part of the mail only). Missing, several
  or malformed records fail. A subdomain without a record of its own is judged on the subdomain policy it
  inherits.
* ``email_dmarc_reporting``: aggregate reports (``rua``) are requested. A domain without a usable DMARC
  record fails here too: it receives no reports either.
* ``email_dkim``: every configured selector has exactly one key; missing, revoked (empty ``p=``), malformed,
  testing mode (``t=y``) or an RSA key below 1024 bits (RFC 8301) fail; from 1024 bits up to the parameter
  ``dkim_recommended_rsa_bits`` pass with a note recommending it. No selector configured: ``manual``.
* ``email_mta_sts`` / ``email_tls_rpt``: recommended, not required by the guideline: present and
  well-formed passes, absent is ``manual`` with advice, present but malformed fails (low severity: a broken
  record the owner meant to publish).
* ``ses_dkim`` / ``ses_custom_mail_from``: per verified SES identity, DKIM enabled and verified; a custom
  MAIL FROM domain verified. Unverified identities cannot send: ``not_applicable``. No identities at all:
  the runner's "nothing to assess".

A DNS question that could not be answered never reaches these functions as a verdict: the dataset is an
error and the runner reports ``error`` with the cause.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..core.text import Phrase
from . import check, failed, manual, not_applicable, passed
from .context import CheckContext
from .result import Result

DKIM_MIN_BITS = 1024  # below this a key can be factored; RFC 8301 forbids verifiers to accept < 1024
SPF_MAX_LOOKUPS = 10  # RFC 7208 4.6.4
_POLICY_ORDER = ("none", "quarantine", "reject")


def _one(ctx: CheckContext, dataset: str) -> dict[str, Any]:
    """The single row of a per-domain dataset (raises EvidenceUnavailable when not gathered)."""
    rows = ctx.rows(dataset, ctx.domain or "")
    return rows[0] if rows else {}


def _short(text: Any, limit: int = 160) -> str:
    """Customer-controlled text as quoted in a message: one line, bounded."""
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _strength(policy: str | None) -> int:
    return _POLICY_ORDER.index(policy) if policy in _POLICY_ORDER else 0


def _sentences(parts: Sequence[Phrase]) -> Phrase:
    """Shortcomings as one run of text: each part a message of the check, joined by its ``several_gaps``
    (a full stop in Japanese, a semicolon in English; the catalogue's list separator would be a comma)."""
    joined = parts[-1]
    for part in reversed(parts[:-1]):
        joined = Phrase("several_gaps", first=part, rest=joined)
    return joined


# --- SPF --------------------------------------------------------------------------------------


@check("email_spf")
def spf(ctx: CheckContext) -> Iterator[Result]:
    """One valid SPF record within 10 look-ups, ending in -all or ~all."""
    domain = ctx.domain or ""
    row = _one(ctx, "dns.spf")
    facts = {
        k: row.get(k) for k in ("record", "record_count", "dns_lookups", "void_dns_lookups", "all", "all_from", "valid", "error")
    }
    if not row.get("present"):
        yield failed(domain, "missing", region=domain, **facts)
        return
    if row.get("record_count", 1) > 1:
        yield failed(domain, "several", region=domain, **facts)
        return
    gaps: list[Phrase] = []
    lookups = row.get("dns_lookups")
    too_many = isinstance(lookups, int) and lookups > SPF_MAX_LOOKUPS
    if too_many:
        gaps.append(Phrase("too_many_lookups", lookups=lookups))
    broken = row.get("broken_reference")
    broken_via = (
        broken.get("via")
        if isinstance(broken, dict)
        and broken.get("via") in ("include", "redirect")
        and broken.get("reason") in ("nxdomain", "no_spf")
        else None
    )
    if isinstance(broken, dict) and broken_via:
        gaps.append(Phrase(f"{broken_via}_{broken['reason']}", name=_short(broken.get("name"), 100)))
        facts["broken_reference"] = broken
    elif row.get("valid") is False and not too_many:
        gaps.append(Phrase("invalid", error=_short(row.get("error"))))
    qualifier = row.get("all")
    if qualifier == "+all":
        gaps.append(Phrase("plus_all"))
    elif qualifier == "?all":
        gaps.append(Phrase("neutral_all"))
    elif qualifier is None and broken_via != "redirect":  # a broken redirect target took the all with it
        gaps.append(Phrase("no_all"))
    if gaps:
        yield failed(domain, "fail", region=domain, gaps=_sentences(gaps), **facts)
    else:
        yield passed(domain, "pass_redirect" if row.get("all_from") else "pass", region=domain, **facts)


# --- DMARC ------------------------------------------------------------------------------------


def _dmarc_unusable(domain: str, row: dict[str, Any]) -> Phrase | None:
    """Why there is no single valid DMARC record (a message shared by both DMARC checks), else None."""
    name = row.get("name") or f"_dmarc.{domain}"
    if row.get("record_count", 0) > 1:
        return Phrase("several_records", name=name, count=row["record_count"])
    if not row.get("present"):
        if row.get("error"):
            return Phrase("no_record_error", domain=domain, name=name, error=_short(row["error"]))
        return Phrase("no_record", domain=domain, name=name)
    if row.get("valid") is False:
        return Phrase("malformed_record", domain=domain, error=_short(row.get("error")))
    return None


def _dmarc_facts(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("record", "record_count", "location", "inherited", "p", "sp", "pct", "rua", "ruf", "valid", "error")
    return {k: row.get(k) for k in keys}


@check("email_dmarc_policy")
def dmarc_policy(ctx: CheckContext) -> Iterator[Result]:
    """One valid DMARC record whose policy (for a subdomain: the inherited sp) quarantines or rejects."""
    domain = ctx.domain or ""
    row = _one(ctx, "dns.dmarc")
    facts = _dmarc_facts(row)
    unusable = _dmarc_unusable(domain, row)
    if unusable:
        yield failed(f"_dmarc.{domain}", "unusable", region=domain, reason=unusable, **facts)
        return
    inherited = bool(row.get("inherited"))
    location = row.get("location") or domain
    p, sp, pct = row.get("p"), row.get("sp"), row.get("pct")
    # A subdomain without its own record is governed by its organisational domain's sp.
    effective = sp if inherited else p
    gaps: list[Phrase] = []
    if _strength(effective) < _strength("quarantine"):
        gaps.append(Phrase("monitoring_only", policy=effective))
    if not inherited and _strength(sp) < _strength(p):
        gaps.append(Phrase("weak_subdomain_policy", sp=sp, p=p))
    if isinstance(pct, int) and pct < 100:
        gaps.append(Phrase("partial_pct", pct=pct))
    suffix = "_inherited" if inherited else ""
    if gaps:
        severity = "high" if _strength(effective) == 0 else "medium"
        yield failed(f"_dmarc.{location}", "fail" + suffix, region=domain, severity=severity, gaps=_sentences(gaps), **facts)
        return
    key = "pass" + suffix + ("_pct" if row.get("pct_explicit") else "")
    effect = Phrase("reject" if effective == "reject" else "quarantine")
    yield passed(f"_dmarc.{location}", key, region=domain, effect=effect, **facts)


@check("email_dmarc_reporting")
def dmarc_reporting(ctx: CheckContext) -> Iterator[Result]:
    """Aggregate DMARC reports (rua) are requested."""
    domain = ctx.domain or ""
    row = _one(ctx, "dns.dmarc")
    facts = _dmarc_facts(row)
    unusable = _dmarc_unusable(domain, row)
    if unusable:
        yield failed(f"_dmarc.{domain}", "unusable", region=domain, reason=unusable, **facts)
        return
    rua = row.get("rua") or []
    location = row.get("location") or domain
    if not rua:
        yield failed(f"_dmarc.{location}", "fail", region=domain, **facts)
        return
    report_to = ", ".join(_short(u, 80) for u in rua)
    yield passed(f"_dmarc.{location}", region=domain, report_to=report_to, **facts)


# --- DKIM -------------------------------------------------------------------------------------


def _dkim_pass_message(row: dict[str, Any], recommended_bits: int) -> str:
    key_type, bits = row.get("key_type"), row.get("key_bits")
    if not isinstance(bits, int):
        return "pass_other"
    if key_type == "rsa":
        return "pass_rsa_short" if bits < recommended_bits else "pass_rsa"
    return "pass_ed25519" if key_type == "ed25519" else "pass_other"


@check("email_dkim")
def dkim(ctx: CheckContext) -> Iterator[Result]:
    """Every configured selector publishes one usable key (RSA of at least 1024 bits, not in testing)."""
    domain = ctx.domain or ""
    rows = ctx.rows("dns.dkim", domain)
    if not rows:
        yield manual(domain, "no_selectors", region=domain)
        return
    for row in rows:
        name = row.get("name") or f"{row.get('selector')}._domainkey.{domain}"
        facts = {
            k: row.get(k)
            for k in ("selector", "record", "canonical_name", "key_type", "key_bits", "revoked", "testing", "problems")
        }
        bits = row.get("key_bits")
        problems = [str(p) for p in row.get("problems") or []]
        if not row.get("present"):
            yield failed(name, "missing", region=domain, **facts)
        elif row.get("revoked"):
            yield failed(name, "revoked", region=domain, **facts)
        elif problems:
            yield failed(name, "malformed", region=domain, problem_summary=_short("; ".join(problems)), **facts)
        elif row.get("key_type") == "rsa" and isinstance(bits, int) and bits < DKIM_MIN_BITS:
            yield failed(name, "weak_key", region=domain, severity="high", **facts)
        elif row.get("testing"):
            yield failed(name, "testing", region=domain, severity="low", **facts)
        else:
            yield passed(name, _dkim_pass_message(row, ctx.params["dkim_recommended_rsa_bits"]), region=domain, **facts)


# --- MTA-STS and TLS-RPT (recommended, not required) ------------------------------------------


def _recommended_record(ctx: CheckContext, dataset: str) -> Iterator[Result]:
    """Present and well-formed passes; absent is a recommendation (manual); malformed fails (low)."""
    domain = ctx.domain or ""
    row = _one(ctx, dataset)
    name = row.get("name") or domain
    facts: dict[str, Any] = {k: row.get(k) for k in ("record", "record_count", "problems")}
    problems = [str(p) for p in row.get("problems") or []]
    if not row.get("present"):
        yield manual(name, "absent", region=domain, **facts)
    elif problems:
        yield failed(name, region=domain, severity="low", problem_summary=_short("; ".join(problems)), **facts)
    else:
        yield passed(name, region=domain, **facts)


@check("email_mta_sts")
def mta_sts(ctx: CheckContext) -> Iterator[Result]:
    """An MTA-STS record, if published, is well-formed (recommended)."""
    yield from _recommended_record(ctx, "dns.mta_sts")


@check("email_tls_rpt")
def tls_rpt(ctx: CheckContext) -> Iterator[Result]:
    """A TLS-RPT record, if published, is well-formed (recommended)."""
    yield from _recommended_record(ctx, "dns.tls_rpt")


# --- Amazon SES (per account and region) ------------------------------------------------------


def _unverified(row: dict[str, Any]) -> Result | None:
    """An identity that is not verified cannot send: the check does not apply to it."""
    if row.get("verification_status") == "Success":
        return None
    return not_applicable(str(row.get("identity")), "unverified_identity", verification_status=row.get("verification_status"))


@check("ses_dkim")
def ses_dkim(ctx: CheckContext) -> Iterator[Result]:
    """Every verified SES identity signs with DKIM, and its DKIM setup is verified."""
    for row in ctx.rows("ses.identities"):
        skipped = _unverified(row)
        if skipped:
            yield skipped
            continue
        identity = row["identity"]
        facts: dict[str, Any] = {
            k: row.get(k) for k in ("identity_type", "dkim_enabled", "dkim_verification_status", "dkim_token_count")
        }
        if row.get("dkim_enabled") and row.get("dkim_verification_status") == "Success":
            yield passed(identity, **facts)
        elif not row.get("dkim_enabled"):
            yield failed(identity, "disabled", **facts)
        else:
            yield failed(identity, "unverified_dkim", **facts)


@check("ses_custom_mail_from")
def ses_custom_mail_from(ctx: CheckContext) -> Iterator[Result]:
    """Every verified SES identity uses a verified custom MAIL FROM domain (so SPF aligns for DMARC)."""
    for row in ctx.rows("ses.identities"):
        skipped = _unverified(row)
        if skipped:
            yield skipped
            continue
        identity = row["identity"]
        facts: dict[str, Any] = {
            k: row.get(k) for k in ("identity_type", "mail_from_domain", "mail_from_status", "behavior_on_mx_failure")
        }
        if row.get("mail_from_domain") and row.get("mail_from_status") == "Success":
            yield passed(identity, **facts)
        elif row.get("mail_from_domain"):
            yield failed(identity, "unverified_mail_from", **facts)
        else:
            yield failed(identity, **facts)
