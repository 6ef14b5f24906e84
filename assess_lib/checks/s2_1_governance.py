"""Checks for guideline section 2.1 (cybersecurity management framework), on attested evidence.

These items are organisational: the evidence is what the customer attested (documents, approvers, dates,
answers), read from the bundle through :func:`.answers.attested`. Nothing attested is ``manual`` (not yet
decided, stated as a fact: the questions to ask are the consultant's, in catalog/checklist.py), never ``pass`` or
``fail``. Rules:

- 2.1.1-1: a basic policy approved by the board or the representative director, stating the guideline's three
  topics. Another approver (e.g. the CISO) or a missing topic fails, named.
- 2.1.1-2: the management framework reviewed within ``review_within_months`` of the assessment date; overdue
  fails with the date the review fell due; no date is manual.
- 2.1.2-1: the regulations and processes reviewed within ``review_within_months`` and covering the guideline's
  13 topics; an overdue document or a missing topic fails, named.

A failure states every gap found and, after them, anything the customer left unanswered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from ..core.text import Phrase
from . import check, failed, manual, passed
from .answers import (
    add_months,
    assessment_date,
    attested,
    labels,
    listing,
    policy_approver,
    sentences,
    titles,
)
from .context import CheckContext
from .result import Result

POLICY = "2.1.1-1"
FRAMEWORK = "2.1.1-2"
REGULATIONS = "2.1.2-1"


def _nothing_attested(control_id: str) -> Result:
    return manual(f"attestation {control_id}", "nothing_attested")


def _conclude(
    control_id: str, resource: str, gaps: list[Phrase], unknowns: list[Phrase], passing: dict[str, Any], **details: Any
) -> Result:
    """One finding for the item: fail on any gap, manual on anything unknown, else pass."""
    if gaps:
        return failed(resource, "fail", gaps=sentences(*gaps, *unknowns), **details)
    if unknowns:
        return manual(resource, "incomplete", why=sentences(*unknowns), **details)
    return passed(resource, "pass", **passing, **details)


# --- 2.1.1 (1) basic policy -------------------------------------------------------------------


@check("attest_basic_policy")
def basic_policy(ctx: CheckContext) -> Iterator[Result]:
    """A basic policy approved by the board or the representative director, stating the three topics."""
    item = attested(ctx, POLICY)
    if item is None:
        yield _nothing_attested(POLICY)
        return
    if item.answer("policy_exists") is False:
        yield failed("basic policy", "no_policy")
        return
    gaps: list[Phrase] = []
    unknowns: list[Phrase] = []
    accepted = [(doc, who) for doc in item.documents if (who := policy_approver(doc.approver)) is not None]
    named = [doc for doc in item.documents if doc.approver]
    policy = accepted[0][0] if accepted else (named[0] if named else (item.documents[0] if item.documents else None))
    if policy is None:
        unknowns.append(Phrase("no_document"))
    elif not accepted and named:
        approvers = listing([Phrase("approver", name=doc.approver) for doc in named])
        gaps.append(Phrase("gap_approver", document=policy.title, approvers=approvers))
    elif not accepted:
        unknowns.append(Phrase("no_approver"))
    missing = item.missing_topics("policy_topics")
    if missing is None:
        unknowns.append(Phrase("no_topics"))
    elif missing:
        gaps.append(Phrase("gap_topics", topics=labels(missing)))
    details: dict[str, Any] = {}
    if policy is not None:
        details = {
            "document": policy.title,
            "approver": policy.approver,
            "approval_date": policy.approval_date.isoformat() if policy.approval_date else None,
            "location": policy.location,
        }
    passing: dict[str, Any] = {}
    if accepted and policy is not None:
        who = accepted[0][1]
        written = policy.approver or ""
        passing["approval"] = Phrase(
            "approval",
            ja=who.ja,
            en=who.en.lower(),
            # The approver as the customer wrote it, where it differs from the accepted body's name.
            written_ja=Phrase("as_written", name=written) if written != who.ja else "",
            written_en=Phrase("as_written", name=written) if written.casefold() != who.en.casefold() else "",
            on=Phrase("on_date", date=policy.approval_date.isoformat()) if policy.approval_date else "",
        )
    yield _conclude(POLICY, policy.title if policy else "basic policy", gaps, unknowns, passing, **details)


# --- 2.1.1 (2) review of the management framework ---------------------------------------------


@check("attest_framework_review")
def framework_review(ctx: CheckContext) -> Iterator[Result]:
    """The management framework reviewed within the interval (by default 12 months) of the assessment date."""
    item = attested(ctx, FRAMEWORK)
    if item is None:
        yield _nothing_attested(FRAMEWORK)
        return
    months = int(ctx.params["review_within_months"])
    last = item.answer("framework_last_review_date")
    source = None
    if last is None:
        dated = [d for d in item.documents if d.latest_date]
        if dated:
            latest = max(dated, key=lambda d: d.latest_date or dt.date.min)
            last, source = latest.latest_date, latest.title
    body = item.answer("review_body")
    details: dict[str, Any] = {"review_body": body, "external_review": item.answer("external_review"), "document": source}
    resource = "management framework review"
    if last is None:
        yield manual(resource, "no_date", **details)
        return
    due = add_months(last, months)
    today = assessment_date(ctx)
    details.update(last_review_date=last.isoformat(), due_date=due.isoformat(), assessment_date=today.isoformat())
    by = Phrase("review_body", body=body) if body else ""
    if today > due:
        yield failed(resource, "fail", body=by, overdue_days=(today - due).days, **details)
    else:
        yield passed(resource, "pass", body=by, **details)


# --- 2.1.2 (1) regulations and processes ------------------------------------------------------


@check("attest_regulations")
def regulations(ctx: CheckContext) -> Iterator[Result]:
    """Regulations and processes reviewed within the interval and covering the guideline's 13 topics."""
    item = attested(ctx, REGULATIONS)
    if item is None:
        yield _nothing_attested(REGULATIONS)
        return
    months = int(ctx.params["review_within_months"])
    today = assessment_date(ctx)
    gaps: list[Phrase] = []
    unknowns: list[Phrase] = []
    overall = item.answer("regulations_last_review_date")
    reviewed: list[tuple[str | None, dt.date]] = []  # (document title, None for the whole; last review)
    if overall:
        reviewed.append((None, overall))
    undated = [doc.title for doc in item.documents if not doc.latest_date]
    reviewed += [(doc.title, doc.latest_date) for doc in item.documents if doc.latest_date]
    if undated and not overall:
        unknowns.append(Phrase("undated", documents=titles(undated)))
    if not reviewed and not undated:
        unknowns.append(Phrase("no_documents"))
    overdue = []
    for title, last in reviewed:
        due = add_months(last, months)
        if today > due:
            dates = {"last": last.isoformat(), "due": due.isoformat()}
            overdue.append(Phrase("overdue_document", document=title, **dates) if title else Phrase("overdue_whole", **dates))
    if overdue:
        gaps.append(Phrase("gap_overdue", months=months, date=today.isoformat(), overdue=listing(overdue)))
    missing = item.missing_topics("regulation_topics")
    if missing is None:
        unknowns.append(Phrase("no_topics"))
    elif missing:
        gaps.append(Phrase("gap_topics", topics=labels(missing)))
    latest = max((r[1] for r in reviewed), default=None)
    oldest = min((r[1] for r in reviewed), default=None)
    details = {
        "documents": [d.title for d in item.documents],
        "missing_topics": [o.id for o in missing] if missing else [],
        "last_review_date": latest.isoformat() if latest else None,
    }
    passing = {"next_due": add_months(oldest, months).isoformat() if oldest else ""}
    yield _conclude(REGULATIONS, "cybersecurity regulations", gaps, unknowns, passing, **details)
