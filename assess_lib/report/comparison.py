"""The comparison with the previous assessment as the report shows it, and as the ``diff`` command prints it.

:func:`comparison_of` gives an assessment's :class:`~assess_lib.compare.Comparison` (made at evaluation, or from the
previous run kept in its bundle); :func:`comparison_document` the report section's data (summary sentences, the
tables, the chart per section as SVG: vector, like the PDF's text); :func:`comparison_text` the terminal text.
Every word comes from the text catalogue (``compare.*``); customer strings reach the page through the template's
autoescaping.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from ..compare import Comparison, FindingChange, ItemChange, compare, previous_side, side_of
from ..core import VERDICT_COLOURS, VERDICT_ORDER, severity_label, t
from ..redact import mask_secrets
from .view import verdict_label
from .visible import reveal

MAX_ROWS = 100  # rows per table of the report (the diff command prints every row)
TABLES = ("items", "new", "resolved", "still_open", "expired")


def comparison_of(assessment: Any) -> Comparison | None:
    """The comparison of ``assessment`` with the previous one, or None when the run was made without ``previous:``."""
    made = getattr(assessment, "previous", None)
    if made is not None:
        return made
    previous = previous_side(assessment.bundle)
    if previous is None:
        return None
    return compare(previous, side_of(assessment), assessment.catalog)


def _date(day: Any, lang: str) -> str:
    """A collection date (already in Japan time: the summary says so once)."""
    return t("compare.value.date", lang, year=day.year, month=day.month, day=day.day, month_name=day.strftime("%B"))


def _iso_date(text: str | None, lang: str) -> str:
    import datetime as dt

    return _date(dt.date.fromisoformat(text), lang) if text else ""


def _finding_verdict(verdict: str | None, lang: str) -> str:
    return verdict_label(verdict, lang) if verdict else t("compare.value.not_reported", lang)


def finding_row(change: FindingChange, lang: str, check_title: Callable[[str], str] | None = None) -> dict[str, Any]:
    """One finding of a table: where, what, before and after, and its age or approval where it has one."""
    finding = change.finding
    risk = change.accepted_risk or {}
    return {
        "finding_id": change.finding_id,
        "controls": list(change.controls),
        "check": check_title(finding.check_id) if check_title else finding.check_id,
        "check_id": finding.check_id,
        "severity": finding.severity,
        "severity_label": severity_label(finding.severity, lang) if finding.verdict.value == "fail" else "",
        "account": finding.account_id,
        "region": finding.region,
        "resource": finding.resource,
        "message": finding.message(lang),
        "before": change.before,
        "after": change.after,
        "before_label": _finding_verdict(change.before, lang),
        "after_label": _finding_verdict(change.after, lang),
        "first_seen": _iso_date(change.first_seen, lang),
        "age": change.age_days,
        "approver": str(risk.get("approver") or ""),
        "expires": str(risk.get("expires") or ""),
    }


def item_row(change: ItemChange, lang: str) -> dict[str, Any]:
    return {
        "control_id": change.control_id,
        "title": change.title(lang),
        "before": change.before,
        "after": change.after,
        "before_label": verdict_label(change.before, lang) if change.before else t("compare.value.not_assessed", lang),
        "after_label": verdict_label(change.after, lang) if change.after else t("compare.value.not_assessed", lang),
    }


def summary_sentences(comparison: Comparison, lang: str, check_title: Callable[[str], str] | None = None) -> list[str]:
    """The section's opening: the two dates, the findings' movement, the oldest open finding, items, expired risks."""
    sentences = [
        t(
            "compare.summary.dates",
            lang,
            current_date=_date(comparison.current.collected_on, lang),
            previous_date=_date(comparison.previous.collected_on, lang),
        ),
        t(
            "compare.summary.findings",
            lang,
            new=len(comparison.new),
            resolved=len(comparison.resolved),
            still_open=len(comparison.still_open),
        ),
    ]
    oldest = comparison.oldest
    if oldest is not None:
        check = oldest.finding.check_id
        sentences.append(
            t(
                "compare.summary.oldest",
                lang,
                date=_iso_date(oldest.first_seen, lang),
                days=oldest.age_days,
                item=", ".join(oldest.controls),
                check=check_title(check) if check_title else check,
            )
        )
    if comparison.items:
        to_pass = sum(1 for c in comparison.items if c.after == "pass")
        to_fail = sum(1 for c in comparison.items if c.after == "fail")
        sentences.append(t("compare.summary.items", lang, n=len(comparison.items), to_pass=to_pass, to_fail=to_fail))
    else:
        sentences.append(t("compare.summary.no_items", lang))
    if comparison.expired:
        sentences.append(t("compare.summary.expired", lang, n=len(comparison.expired)))
    return sentences


def section_rows(comparison: Comparison, catalog: Any, lang: str) -> list[dict[str, Any]]:
    """Per section (2.1 ... 2.6): the items' verdicts before and after, and the change."""
    titles: dict[str, str] = {}
    for control in catalog:
        titles.setdefault(control.chapter, control.chapter_title(lang))
    return [
        {
            "number": s.number,
            "title": titles.get(s.number, ""),
            "cells": [{"verdict": v, "before": s.before[v], "after": s.after[v], "delta": s.delta(v)} for v in VERDICT_ORDER],
        }
        for s in comparison.sections
    ]


def chart_svg(comparison: Comparison, catalog: Any, lang: str) -> bytes:
    """The change per section as a diverging bar chart (items gained to the right, lost to the left, coloured by verdict),
    drawn like the report's other charts (:mod:`.svg_chart`)."""
    from . import svg_chart
    from .document import _wrap_label

    rows = section_rows(comparison, catalog, lang)
    bars = [
        (
            _wrap_label(f"{r['number']} {r['title']}", 16 if lang == "ja" else 30),
            [next(c["delta"] for c in r["cells"] if c["verdict"] == verdict) for verdict in VERDICT_ORDER],
        )
        for r in rows
    ]
    series = [(verdict_label(v, lang), VERDICT_COLOURS[v]) for v in VERDICT_ORDER]
    body, height = svg_chart.diverging(
        bars, series, width=640, title=t("compare.chart.title", lang), axis_label=t("compare.chart.axis", lang), font=10
    )
    return svg_chart.document(640, height, body).encode("utf-8")


def chart_alt(comparison: Comparison, lang: str) -> str:
    """The chart in words: per section, the change of each verdict's count."""
    parts = []
    for s in comparison.sections:
        changes = [
            t("compare.chart.alt_change", lang, verdict=verdict_label(v, lang), delta=s.delta(v))
            for v in VERDICT_ORDER
            if s.delta(v)
        ]
        shown = t("value.list_separator", lang).join(changes) if changes else t("compare.chart.alt_none", lang)
        parts.append(t("compare.chart.alt_section", lang, section=s.number, changes=shown))
    return f"{t('compare.chart.title', lang)} — " + "; ".join(parts)


def comparison_document(view: Any) -> dict[str, Any] | None:
    """The report section's data for a view (None without a previous assessment)."""
    comparison = comparison_of(view.assessment)
    if comparison is None:
        return None
    lang = view.lang

    def check_title(check_id: str) -> str:
        return view.check(check_id).title if check_id in view.checks else check_id

    def table(key: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        more = len(rows) - MAX_ROWS
        return {
            "key": key,
            "heading": t(f"compare.heading.{key}", lang),
            "rows": rows[:MAX_ROWS],
            "n": len(rows),
            "more": t("compare.value.more", lang, n=more) if more > 0 else "",
        }

    tables = [table("items", [item_row(c, lang) for c in comparison.items])]
    for key in TABLES[1:]:
        tables.append(table(key, [finding_row(c, lang, check_title) for c in getattr(comparison, key)]))
    svg = chart_svg(comparison, view.catalog, lang)
    return {
        "title": t("compare.title", lang),
        "intro": t("compare.intro", lang),
        "summary": summary_sentences(comparison, lang, check_title),
        # Markup: base64 is attribute-safe, and must not pass the access-key mask (it could match by chance).
        "chart": Markup("data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")),
        "chart_alt": chart_alt(comparison, lang),
        "tables": tables,
        "sections": section_rows(comparison, view.catalog, lang),
        "verdicts": [{"value": v, "label": verdict_label(v, lang)} for v in VERDICT_ORDER],
        "labels": {name: t(f"compare.column.{name}", lang) for name in _COLUMNS},
        "none": t("compare.value.none", lang),
        "still_open_note": t("compare.value.still_open_note", lang),
    }


_COLUMNS = (
    "item",
    "title",
    "previous",
    "current",
    "finding_id",
    "severity",
    "where",
    "finding",
    "first_seen",
    "age",
    "approver",
    "expires",
    "section",
    "change",
)


# --- the diff command's text ------------------------------------------------------------------------------------


def comparison_text(comparison: Comparison, catalog: Any, lang: str) -> str:
    """The comparison as terminal text: summary, then every table in full (the consultant's view of it)."""
    lines = [
        t("compare.cli.header", lang, customer=comparison.current.customer),
        t(
            "compare.cli.runs",
            lang,
            previous_date=comparison.previous.collected_on.isoformat(),
            previous_run=comparison.previous.run_id,
            current_date=comparison.current.collected_on.isoformat(),
            current_run=comparison.current.run_id,
        ),
        "",
        *summary_sentences(comparison, lang),
    ]
    none = "  " + t("compare.value.none", lang)
    lines += ["", f"{t('compare.heading.items', lang)} ({len(comparison.items)})"]
    for change in comparison.items:
        row = item_row(change, lang)
        lines.append(f"  {row['control_id']}  {row['title']}: {row['before_label']} -> {row['after_label']}")
    if not comparison.items:
        lines.append(none)
    for key in TABLES[1:]:
        changes = getattr(comparison, key)
        lines += ["", f"{t(f'compare.heading.{key}', lang)} ({len(changes)})"]
        for change in changes:
            row = finding_row(change, lang)
            head = f"  {row['finding_id']}  {', '.join(row['controls'])}  {row['check_id']}"
            if row["severity_label"]:
                head += f"  [{row['severity_label']}]"
            head += f"  {row['before_label']} -> {row['after_label']}"
            if key == "still_open" and row["age"] is not None:
                head += "  " + t("compare.cli.age", lang, days=row["age"], date=change.first_seen)
            if key == "expired":
                head += "  " + t("compare.cli.expiry", lang, approver=row["approver"], expires=row["expires"])
            lines += [head, f"      {row['account']} / {row['region']} / {row['resource']}", f"      {row['message']}"]
        if not changes:
            lines.append(none)
    lines += ["", t("compare.heading.sections", lang)]
    for row in section_rows(comparison, catalog, lang):
        cells = [
            f"{verdict_label(c['verdict'], lang)} {c['before']}->{c['after']}" for c in row["cells"] if c["before"] or c["after"]
        ]
        lines.append(f"  {row['number']}  " + ", ".join(cells))
    return "\n".join(_terminal(line) for line in lines)


def _terminal(line: str) -> str:
    """A line for the terminal: access keys masked, control characters escaped."""
    return reveal(mask_secrets(line), newlines=False)  # shown escaped on the terminal, never obeyed by it


__all__ = ["MAX_ROWS", "chart_svg", "comparison_document", "comparison_of", "comparison_text", "finding_row", "item_row"]
