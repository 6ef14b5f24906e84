"""Risk acceptance: marking failing findings covered by an approved exception.

An exception (a row of the customer's register, validated at collection) covers the failing findings of its
check whose account, region and resource match it (``*`` and ``?`` wildcards, as in a shell). It is in force
on the collection date when that date is not after its expiry; an expired one is still recorded on the finding
(status ``expired``) so the report can say which acceptances lapsed, but the finding fails its item again.
The collection date, not today's, decides: a bundle re-rendered a year later gives the same result.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from .model import ACCEPTED, EXPIRED, Finding, Verdict

_KEPT = ("reason", "approver", "approved_on", "expires", "source")


def covers(exception: Mapping[str, Any], finding: Finding) -> bool:
    """True when the exception names the finding's check and matches its account, region and resource."""
    return (
        exception["check_id"] == finding.check_id
        and fnmatchcase(finding.account_id, exception.get("account_id") or "*")
        and fnmatchcase(finding.region, exception.get("region") or "*")
        and fnmatchcase(finding.resource, exception.get("resource") or "*")
    )


def accept_risks(findings: Iterable[Finding], exceptions: Iterable[Mapping[str, Any]], on: dt.date) -> list[Finding]:
    """``findings`` with ``accepted_risk`` set on each failure an exception covers (the first that covers it,
    preferring one in force on ``on``, the collection date in the customer's calendar)."""
    register = list(exceptions)
    if not register:
        return list(findings)
    out = []
    for finding in findings:
        if finding.verdict != Verdict.FAIL:
            out.append(finding)
            continue
        matching = [e for e in register if covers(e, finding)]
        if not matching:
            out.append(finding)
            continue
        in_force = [e for e in matching if dt.date.fromisoformat(e["expires"]) >= on]
        chosen = in_force[0] if in_force else max(matching, key=lambda e: e["expires"])
        record = {"status": ACCEPTED if in_force else EXPIRED, **{k: chosen.get(k) for k in _KEPT}}
        out.append(dataclasses.replace(finding, accepted_risk=record))
    return out


def unused(findings: Iterable[Finding], exceptions: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Exceptions that cover no failing finding (resolved, or a pattern that matches nothing)."""
    failing = [f for f in findings if f.verdict == Verdict.FAIL]
    return [e for e in exceptions if not any(covers(e, f) for f in failing)]


__all__ = ["accept_risks", "covers", "unused"]
