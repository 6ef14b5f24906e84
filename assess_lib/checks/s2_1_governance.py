"""Checks for guideline section 2.1 サイバーセキュリティ管理態勢の構築 (governance), on attested evidence.

These items are organisational: the evidence is what the customer attested (documents,
approvers, dates, answers), read from the bundle through ``attestations.attested``. Nothing
attested is ``manual`` with the question the consultant should ask, never ``pass`` or ``fail``.
Rules:

- 2.1.1-1: a basic policy approved by the board or the representative director, stating the
  guideline's three topics. Another approver (e.g. the CISO) or a missing topic fails, named.
- 2.1.1-2: the management framework reviewed within ``review_within_months`` (12) of the
  assessment date; overdue fails with the date the review fell due; no date is manual.
- 2.1.2-1: the regulations and processes reviewed within 12 months and covering the
  guideline's 13 topics; an overdue document or a missing topic fails, named.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..attestations import (
    ANSWERS_DATASET,
    DOCUMENTS_DATASET,
    AttestedItem,
    add_months,
    assessment_date,
    attested,
    item_questions,
    question_bank,
)
from . import ORG_SCOPE, check
from .context import CheckContext

DATASETS = [DOCUMENTS_DATASET, ANSWERS_DATASET]


def _ask(ctx: CheckContext, control_id: str, resource: str, why_ja: str, why_en: str, **details: Any) -> None:
    """``manual``: say what is missing and the question to put to the customer (questions.yaml)."""
    questions = item_questions(control_id)
    ask_ja = questions.ask("ja") if questions else ""
    ask_en = questions.ask("en") if questions else ""
    ctx.manual(
        resource,
        f"{why_ja} 顧客への確認事項: {ask_ja}",
        f"{why_en} Ask the customer: {ask_en}",
        question_ja=ask_ja,
        question_en=ask_en,
        **details,
    )


def _nothing_attested(ctx: CheckContext, control_id: str) -> None:
    _ask(
        ctx,
        control_id,
        f"attestation {control_id}",
        f"項目 {control_id} について回答（文書・回答）が提出されていません。",
        f"Nothing was attested for item {control_id} (no documents, no answers).",
    )


def _labels(options: list[Any], lang: str) -> str:
    if lang == "ja":
        return "、".join(f"「{o.ja}」" for o in options)
    return "; ".join(f'"{o.en}"' for o in options)


def _missing_topics(item: AttestedItem, question_id: str) -> list[Any] | None:
    """Topics of the question's set not selected; None when the question was not answered."""
    questions = item_questions(item.control_id)
    assert questions is not None
    chosen = item.answer(question_id)
    if chosen is None:
        return None
    return [o for o in questions.question(question_id).options if o.id not in chosen]


def _conclude(
    ctx: CheckContext,
    control_id: str,
    resource: str,
    gaps: list[tuple[str, str]],
    unknowns: list[tuple[str, str]],
    pass_ja: str,
    pass_en: str,
    **details: Any,
) -> None:
    """One finding for the item: fail on any gap, manual on anything unknown, else pass."""
    if gaps:
        extra_ja = (" また、" + "、".join(u[0] for u in unknowns) + "。") if unknowns else ""
        extra_en = (" Also: " + "; ".join(u[1] for u in unknowns) + ".") if unknowns else ""
        ctx.failed(
            resource,
            "。".join(g[0] for g in gaps) + "。" + extra_ja,
            ". ".join(g[1] for g in gaps) + "." + extra_en,
            **details,
        )
    elif unknowns:
        why_en = "; ".join(u[1] for u in unknowns)
        _ask(
            ctx, control_id, resource, "。".join(u[0] for u in unknowns) + "。", why_en[:1].upper() + why_en[1:] + ".", **details
        )
    else:
        ctx.passed(resource, pass_ja, pass_en, **details)


def _overdue(ctx: CheckContext, last: dt.date, months: int) -> tuple[dt.date, dt.date, bool]:
    due = add_months(last, months)
    today = assessment_date(ctx)
    return due, today, today > due


# --- 2.1.1 (1) basic policy -------------------------------------------------------------------


@check("attest_basic_policy", controls=["2.1.1-1"], datasets=DATASETS, scope=ORG_SCOPE)
def basic_policy(ctx: CheckContext) -> None:
    control_id = "2.1.1-1"
    item = attested(ctx, control_id)
    if item is None:
        _nothing_attested(ctx, control_id)
        return
    if item.answer("policy_exists") is False:
        ctx.failed(
            "basic policy",
            "サイバーセキュリティ管理の基本方針は策定されていないと回答されています。取締役会等による基本方針の策定が必要です。",
            "The customer attests that no basic policy for cybersecurity management exists; the board must formulate one.",
            severity="high",
        )
        return
    bank = question_bank()
    gaps: list[tuple[str, str]] = []
    unknowns: list[tuple[str, str]] = []
    approved = [(doc, bank.policy_approver(doc.approver)) for doc in item.documents]
    accepted = [(doc, who) for doc, who in approved if who is not None]
    named = [doc for doc in item.documents if doc.approver]
    policy = accepted[0][0] if accepted else (named[0] if named else (item.documents[0] if item.documents else None))
    resource = policy.title if policy else "basic policy"
    if not item.documents:
        unknowns.append(
            (
                "基本方針の文書（名称・承認者・承認日）が記載されていません",
                "the basic policy document (title, approver, approval date) is not listed",
            )
        )
    elif not accepted and named:
        names = "、".join(f"「{d.approver}」" for d in named)
        gaps.append(
            (
                f"基本方針「{policy.title}」の承認者は{names}であり、取締役会または代表取締役の承認がありません",
                f'The basic policy "{policy.title}" was approved by {", ".join(d.approver or "" for d in named)}, not by the board or the representative director',
            )
        )
    elif not accepted:
        unknowns.append(("基本方針の承認者が記載されていません", "the basic policy's approver is not stated"))
    missing = _missing_topics(item, "policy_topics")
    if missing is None:
        unknowns.append(
            (
                "基本方針の記載事項（目的・方向性、要求事項・法規制等への対応、経営陣のコミットメント）の回答がありません",
                "which topics the policy states is not answered",
            )
        )
    elif missing:
        gaps.append(
            (
                f"基本方針に次の事項が記載されていません: {_labels(missing, 'ja')}",
                f"The basic policy does not state: {_labels(missing, 'en')}",
            )
        )
    details: dict[str, Any] = {}
    if policy:
        details = {
            "document": policy.title,
            "approver": policy.approver,
            "approval_date": policy.approval_date.isoformat() if policy.approval_date else None,
            "location": policy.location,
        }
    if accepted:
        who = accepted[0][1]
        date = f"{policy.approval_date.isoformat()}に" if policy.approval_date else ""
        date_en = f" on {policy.approval_date.isoformat()}" if policy.approval_date else ""
        as_written = f"（{policy.approver}）" if policy.approver != who.ja else ""
        as_written_en = f" ({policy.approver})" if policy.approver.casefold() != who.en.casefold() else ""
        pass_ja = (
            f"基本方針「{policy.title}」は{who.ja}{as_written}が{date}承認しており、ガイドラインの記載事項3点をすべて含みます。"
        )
        pass_en = f'The basic policy "{policy.title}" was approved by the {who.en.lower()}{as_written_en}{date_en} and states all three topics the guideline lists.'
    else:
        pass_ja = pass_en = ""
    _conclude(ctx, control_id, resource, gaps, unknowns, pass_ja, pass_en, **details)


# --- 2.1.1 (2) annual review of the management framework --------------------------------------


@check("attest_framework_review", controls=["2.1.1-2"], datasets=DATASETS, scope=ORG_SCOPE)
def framework_review(ctx: CheckContext) -> None:
    control_id = "2.1.1-2"
    item = attested(ctx, control_id)
    if item is None:
        _nothing_attested(ctx, control_id)
        return
    months = item_questions(control_id).review_within_months or 12
    last = item.answer("framework_last_review_date")
    source = None
    if last is None:
        dated = [d for d in item.documents if d.latest_date]
        if dated:
            latest = max(dated, key=lambda d: d.latest_date)
            last, source = latest.latest_date, latest.title
    details = {"review_body": item.answer("review_body"), "external_review": item.answer("external_review"), "document": source}
    if last is None:
        _ask(
            ctx,
            control_id,
            "management framework review",
            "管理態勢の直近レビュー日が記載されていません。",
            "The date of the latest review of the management framework is not attested.",
            **details,
        )
        return
    due, today, overdue = _overdue(ctx, last, months)
    details.update(last_review_date=last.isoformat(), due_date=due.isoformat(), assessment_date=today.isoformat())
    body_ja = f"（{details['review_body']}）" if details["review_body"] else ""
    body_en = f" ({details['review_body']})" if details["review_body"] else ""
    if overdue:
        ctx.failed(
            "management framework review",
            f"管理態勢の直近レビューは{last.isoformat()}{body_ja}であり、次回レビューの期限{due.isoformat()}を過ぎています"
            f"（評価日{today.isoformat()}時点で{(today - due).days}日超過）。少なくとも{months}か月に1回のレビューが必要です。",
            f"The management framework was last reviewed on {last.isoformat()}{body_en}; the next review fell due on "
            f"{due.isoformat()} and is {(today - due).days} days overdue at the assessment date {today.isoformat()}. "
            f"The guideline requires a review at least every {months} months.",
            **details,
        )
    else:
        ctx.passed(
            "management framework review",
            f"管理態勢は{last.isoformat()}{body_ja}にレビューされています（次回期限 {due.isoformat()}）。",
            f"The management framework was reviewed on {last.isoformat()}{body_en} (next review due {due.isoformat()}).",
            **details,
        )


# --- 2.1.2 (1) regulations and processes ------------------------------------------------------


@check("attest_regulations", controls=["2.1.2-1"], datasets=DATASETS, scope=ORG_SCOPE)
def regulations(ctx: CheckContext) -> None:
    control_id = "2.1.2-1"
    item = attested(ctx, control_id)
    if item is None:
        _nothing_attested(ctx, control_id)
        return
    months = item_questions(control_id).review_within_months or 12
    gaps: list[tuple[str, str]] = []
    unknowns: list[tuple[str, str]] = []
    overall = item.answer("regulations_last_review_date")
    reviewed: list[tuple[str, str, dt.date]] = []  # (label ja, label en, date)
    if overall:
        reviewed.append(("規程・業務プロセス全体", "the regulations and processes as a whole", overall))
    undated = []
    for doc in item.documents:
        if doc.latest_date:
            reviewed.append((f"「{doc.title}」", f'"{doc.title}"', doc.latest_date))
        else:
            undated.append(doc)
    if undated and not overall:
        unknowns.append(
            (
                "見直し日の記載がない文書があります: " + "、".join(f"「{d.title}」" for d in undated),
                "no review date for: " + ", ".join(f'"{d.title}"' for d in undated),
            )
        )
    if not reviewed:
        if not undated:
            unknowns.append(
                ("規程・業務プロセスの文書と見直し日が記載されていません", "no regulation documents or review dates are attested")
            )
    overdue_ja, overdue_en = [], []
    for label_ja, label_en, last in reviewed:
        due, today, overdue = _overdue(ctx, last, months)
        if overdue:
            overdue_ja.append(f"{label_ja}（最終見直し{last.isoformat()}、期限{due.isoformat()}）")
            overdue_en.append(f"{label_en} (last reviewed {last.isoformat()}, due {due.isoformat()})")
    if overdue_ja:
        today = assessment_date(ctx)
        gaps.append(
            (
                f"次の規程等は{months}か月以内の見直し期限を過ぎています（評価日{today.isoformat()}）: " + "、".join(overdue_ja),
                f"Overdue for their review within {months} months at the assessment date {today.isoformat()}: "
                + "; ".join(overdue_en),
            )
        )
    missing = _missing_topics(item, "regulation_topics")
    if missing is None:
        unknowns.append(
            (
                "規程等に含まれる事項（ガイドラインの13事項）の回答がありません",
                "which of the guideline's 13 topics the regulations cover is not answered",
            )
        )
    elif missing:
        gaps.append(
            (
                f"規程等に次の事項が含まれていません: {_labels(missing, 'ja')}",
                f"The regulations do not cover: {_labels(missing, 'en')}",
            )
        )
    latest = max((r[2] for r in reviewed), default=None)
    details = {
        "documents": [d.title for d in item.documents],
        "missing_topics": [o.id for o in missing] if missing else [],
        "last_review_date": latest.isoformat() if latest else None,
    }
    oldest = min((r[2] for r in reviewed), default=None)
    next_due = add_months(oldest, months).isoformat() if oldest else ""
    _conclude(
        ctx,
        control_id,
        "cybersecurity regulations",
        gaps,
        unknowns,
        f"規程・業務プロセスは{months}か月以内に見直されており（次回期限 {next_due}）、ガイドラインの13事項をすべて含みます。",
        f"The regulations and processes were reviewed within {months} months (next review due {next_due}) and cover all 13 topics the guideline lists.",
        **details,
    )
