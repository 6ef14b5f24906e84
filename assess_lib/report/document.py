"""The annotated assessment document: a language-specific model of one run, rendered with jinja2.

:func:`build_document` turns the view model (:class:`~assess_lib.report.view.ReportView`, built from an
:class:`~assess_lib.core.model.Assessment`) into a plain dictionary (cover, executive summary, every
guideline item, appendices);
:func:`render_html` renders it with ``templates/report.html.j2``. The same HTML
serves the browser (self-contained: no script, no external URL); the same dictionary feeds the PDF
(:mod:`assess_lib.report.pdf`, typeset by Typst).

Every customer-controlled string reaches the page through jinja2's autoescaping
(or :func:`display.esc` for the few fragments built by hand), and every string
printed passes :func:`export.mask_secrets` on the way out (the environment's
``finalize``), so an access key ID never appears in full.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .. import __version__
from ..core import SEVERITY_ORDER, VERDICT_COLOURS, VERDICT_ORDER, Severity, severity_label, t
from ..core.model import BLOCKING_SEVERITIES
from ..core.rollup import BASIS_ORDER, basis_label, rollup_rules
from ..core.text import keys
from ..datasets import permission_rows
from ..redact import mask_secrets
from . import display
from .comparison import comparison_document
from .network_diagram import ITEM as NETWORK_ITEM, diagrams as network_diagrams
from . import svg_chart
from .view import (
    EVIDENCE_CELL_CHARS,
    ItemView,
    ReportView,
    account_label,
    account_names,
    dataset_description,
    display_label,
    evidence_table,
    group_heading,
    new_headings,
    verdict_label,
)
from .visible import reveal

TEMPLATES = Path(__file__).with_name("templates")

# The assessing firm printed on the cover. The params file has no key for it (its schema is a
# contract), so a deployment sets FSA_KIT_ASSESSOR; "<Japanese name> / <English name>" gives one per language.
ASSESSOR_ENV = "FSA_KIT_ASSESSOR"
DEFAULT_ASSESSOR = {lang: t("report.doc.default_assessor", lang) for lang in ("ja", "en")}

# Bounds that keep a 176-item document readable; the workbook always holds everything, and an item
# whose findings do not all fit says how many more there are (how many of them fail) and where.
FINDINGS_PER_ITEM = 10  # rows per item when it has fewer failures than that
FAILS_PER_ITEM = 40  # failures are listed before anything else, up to this many
EVIDENCE_ROWS_PER_TABLE = 6
KEY_FINDINGS = 15
THEMES = 12  # top risks in the summary; the workbook's remediation plan holds them all

JST = dt.timezone(dt.timedelta(hours=9), "JST")

# Headings of the guideline that hold no item of their own (chapter 2 and three level-3 groupings):
# the official titles, in the catalogue (report.group_heading).
GROUP_HEADINGS: dict[str, dict[str, str]] = {
    key.rsplit(".", 1)[1].replace("_", "."): {"ja": t(key, "ja"), "en": t(key, "en")} for key in keys("report.group_heading")
}


def count_text(n: int, lang: str, one: str, many: str) -> str:
    """A count with its noun in the right number ("1 finding", "3 findings"): ``one``/``many`` are catalogue keys."""
    return t(one if n == 1 else many, lang, n=n)


def other_language(lang: str) -> str:
    return "en" if lang == "ja" else "ja"


def assessor(lang: str) -> str:
    """The assessing firm: FSA_KIT_ASSESSOR ("<ja> / <en>" for both) or the placeholder."""
    value = (os.environ.get(ASSESSOR_ENV) or "").strip()
    if not value:
        return DEFAULT_ASSESSOR["ja" if lang == "ja" else "en"]
    if " / " in value:
        ja, en = (part.strip() for part in value.split(" / ", 1))
        return ja if lang == "ja" else en
    return value


VERIFICATION_PROBLEMS_SHOWN = 50


def trust_of(bundle: Any, lang: str) -> dict[str, Any]:
    """Whether the bundle behind the document was verified: state None (not checked: a run's own bundle,
    just collected), ``verified`` or ``unverified`` (rendered anyway, with the differences listed)."""
    problems = getattr(bundle, "verification", None)
    if problems is None:
        return {"state": None}
    if not problems:
        return {"state": "verified", "text": t("report.doc.verified_text", lang, n=len(bundle.files()))}
    more = len(problems) - VERIFICATION_PROBLEMS_SHOWN
    return {
        "state": "unverified",
        "header": t("report.doc.unverified_header", lang),
        "banner": t("report.doc.unverified_banner", lang),
        "text": t("report.doc.unverified_text", lang, n=len(problems)),
        "problems": list(problems[:VERIFICATION_PROBLEMS_SHOWN]),
        "more": t("report.doc.verification_more", lang, n=more) if more > 0 else "",
    }


def date_text(timestamp: str | None, lang: str) -> tuple[str, str]:
    """(date in Japan time, full UTC timestamp) of an ISO timestamp."""
    if not timestamp:
        return "", ""
    try:
        when = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp, timestamp
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    local = when.astimezone(JST)
    utc = when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    shown = t("report.doc.date_value", lang, year=local.year, month=local.month, day=local.day, month_name=local.strftime("%B"))
    return shown, utc


def _cell(value: Any, lang: str = "en") -> str:
    """A table cell's text (view.format_value: readable values, access keys masked)."""
    return display.format_value(value, lang, limit=None)


def scope_of(source: Any, lang: str | None = None) -> dict[str, Any]:
    """Accounts with their regions, and e-mail domains, from the manifest (``source``: a view or an assessment)."""
    lang = lang or getattr(source, "lang", "en")
    bundle = source.bundle
    manifest = bundle.manifest
    accounts = list(manifest.get("accounts") or [])
    names = account_names(manifest)
    return {
        "accounts": [
            {"id": str(a), "label": account_label(str(a), names, lang), "regions": scope_regions(bundle, a, lang)}
            for a in accounts
        ],
        "domains": [str(d) for d in manifest.get("domains", []) or []],
        "account_errors": [
            dict(_account_error(str(a), e or {}, lang), label=account_label(str(a), names, lang))
            for a, e in (manifest.get("account_errors") or {}).items()
        ],
    }


def scope_regions(bundle: Any, account: str, lang: str) -> list[str]:
    """An account's regions in scope as shown on the cover; an unknown scope says so (its regional checks
    are errors naming the cause)."""
    from ..checks.context import region_scope_error  # how the runner decides the scope is unknown

    listed = (bundle.manifest.get("regions") or {}).get(account)
    regions = [str(r) for r in listed] if isinstance(listed, list) else []
    if region_scope_error(bundle, account) is not None:
        regions.append(t("report.doc.regions_unknown", lang))
    return regions


def _account_error(account: str, error: dict[str, Any], lang: str) -> dict[str, str]:
    """An account that could not be accessed: the kind in the reader's language, the code apart."""
    from ..core import error_kind_label

    kind = str(error.get("kind") or error.get("error_kind") or "other")
    message = str(error.get("message") or error.get("error_message") or "")
    return {
        "account": account,
        "error": error_kind_label(kind, lang),
        "code": str(error.get("code") or error.get("error_code") or ""),
        "detail": message if lang != "ja" else "",
    }


def listed_findings(item: ItemView) -> int:
    """How many of an item's findings (most serious first) the document lists: every failure first (up to
    FAILS_PER_ITEM), then the rest up to FINDINGS_PER_ITEM rows. The listed ones are the first of the order."""
    fails = sum(1 for f in item.findings if f.verdict == "fail")
    return min(fails, FAILS_PER_ITEM) + max(0, min(len(item.findings) - fails, FINDINGS_PER_ITEM - fails))


def _item(view: ReportView, item: ItemView, tabled: dict[tuple, str], workbook: str) -> dict[str, Any]:
    lang = view.lang
    shown = listed_findings(item)
    hidden = item.findings[shown:]
    evidence = []
    for selected in view.evidence(item.id):
        dataset = selected["dataset"]
        frame = selected["frame"]
        if view.names and "account" in frame:  # accounts by the customer's names
            frame = frame.assign(account=[account_label(a, view.names, lang) if a in view.names else a for a in frame["account"]])
        table = evidence_table(frame, dataset, lang, EVIDENCE_ROWS_PER_TABLE)
        # The same rows under an earlier item (one credential report row for three root checks) are
        # tabled once; later items refer to it.
        signature = (dataset, tuple(tuple(r) for r in table["rows"]), table["total"])
        table["ref"] = tabled.get(signature)
        if table["ref"]:  # "1 row" / "n rows, tabled under item X"
            key = "report.item.see_item_one" if table["total"] == 1 else "report.item.see_item"
            table["see_text"] = t(key, lang, n=table["total"], item=table["ref"])
        tabled.setdefault(signature, item.id)
        table["dataset"] = dataset
        table["description"] = dataset_description(dataset, lang)
        evidence.append(table)
    return {
        "id": item.id,
        "anchor": f"item-{item.id}",
        "label": item.number,
        "kind": item.kind,
        "kind_label": item.kind_label,
        "title": item.title,
        "text": Markup(display.paragraphs(item.text)),
        "footnotes": item.footnotes,
        "consultant": Markup(display.paragraphs(item.consultant)) if item.consultant else None,
        "aws": Markup(display.paragraphs(item.aws)) if item.aws else None,
        "verdict": item.verdict,
        "automated_verdict": item.automated_verdict,
        "basis": item.basis,
        "basis_label": item.basis_label,
        "answer_only": item.answer_only,
        "answer_only_note": t("basis.answer_only_note", lang) if item.answer_only else "",
        "mode": item.mode,
        "checks": [{"id": c.check_id, "title": c.title} for c in item.checks],
        "compact": item.compact,
        "hybrid": item.hybrid,
        "counts": [{"verdict": v, "label": display_label(v, lang), "n": n} for v, n in item.counts.items()],
        "n_findings": len(item.findings),
        "counts_text": count_text(len(item.findings), lang, "report.item.summary_counts_one", "report.item.summary_counts"),
        "findings": [f.row() for f in item.findings[:shown]],
        "findings_more": len(hidden),
        "findings_more_text": _more_findings(hidden, lang, workbook) if hidden else "",
        "evidence": evidence,
        "evidence_errors": item.evidence_errors,
        "remediation": [{"title": c.title, "text": c.remediation} for c in item.remediation],
        "answer_label": item.answer_label,
        "documents": item.documents,
        "judgment": item.judgment,
        "override": item.override,
        "override_note": t("report.item.override_findings", lang) if item.override else "",
        # The owner and due date where the sheet gives them, and for every item to fix ("not set" otherwise).
        "plan": (item.owner or item.due_date or item.verdict in ("fail", "partial")),
        "owner": item.owner_text,
        "due_date": item.due_text,
        "pending_note": item.pending_note,
        "expired_notes": list(dict.fromkeys(f.risk_note for f in item.expired)),
    }


def _more_findings(hidden: list[Any], lang: str, workbook: str) -> str:
    """How many findings of an item are not listed, how many of them fail, and where they all are."""
    fails = sum(1 for f in hidden if f.verdict == "fail")
    key = "report.item.more_findings" if fails else "report.item.more_findings_no_fail"
    return t(key, lang, n=len(hidden), fails=fails, workbook=workbook, sheet=t("report.heading.findings", lang))


def _outline(view: ReportView, workbook: str) -> list[dict[str, Any]]:
    """Chapters (2.1 ... 2.6) holding headings and items in guideline order."""
    lang = view.lang
    tabled: dict[tuple, str] = {}
    chapters: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    emitted: set[str] = set()
    for item in view.items:
        control = item.control
        chapter = control.chapter
        if current is None or current["number"] != chapter:
            current = {
                "number": chapter,
                "title": control.chapter_title(lang),
                "anchor": f"sec-{chapter}",
                "blocks": [],
                "toc": [],
                "counts": Counter(),
            }
            chapters.append(current)
            emitted.add(chapter)
        # Headings for the section and any grouping level above it (2.2.2 before 2.2.2.1).
        for number, title in new_headings(control, emitted, lang, first_depth=3):
            depth = number.count(".") + 1
            heading = {"type": "heading", "number": number, "title": title, "level": depth, "anchor": f"sec-{number}"}
            current["blocks"].append(heading)
            current["toc"].append(heading)
        current["counts"][item.verdict] += 1
        block = _item(view, item, tabled, workbook)
        block["type"] = "item"
        current["blocks"].append(block)
    for chapter in chapters:
        chapter["counts"] = [
            {"verdict": v, "label": verdict_label(v, lang), "n": chapter["counts"][v]}
            for v in VERDICT_ORDER
            if chapter["counts"][v]
        ]
    return chapters


def _section_summary(view: ReportView) -> list[dict[str, Any]]:
    return [
        {
            "number": row.number,
            "title": row.title,
            "anchor": f"sec-{row.number}",
            "counts": [row.counts[v] for v in VERDICT_ORDER],
            "total": row.total,
        }
        for row in view.sections()
    ]


def _key_findings(view: ReportView) -> tuple[list[dict[str, Any]], int]:
    """Failing, then unavailable, findings most serious first; a check's finding counted once for all its items."""
    serious = [row for row in view.merged(("fail", "error")) if row["risk"] != "accepted"]
    return serious[:KEY_FINDINGS], max(0, len(serious) - KEY_FINDINGS)


def _thresholds(view: ReportView) -> list[dict[str, Any]]:
    """Appendix D: every check parameter with the value used, its default and what it means."""
    from ..thresholds import DEFAULT_THRESHOLDS, describe

    given = (view.bundle.manifest.get("params") or {}).get("thresholds") or {}
    used = {**DEFAULT_THRESHOLDS, **given}
    rows = []
    for name, value in used.items():
        known = name in DEFAULT_THRESHOLDS
        rows.append(
            {
                "name": name,
                "value": _cell(value),
                "default": _cell(DEFAULT_THRESHOLDS.get(name, "")),
                "changed": known and value != DEFAULT_THRESHOLDS[name],
                "description": describe(name, view.lang) if known else "",
            }
        )
    return rows


def _inventory(view: ReportView) -> list[dict[str, Any]]:
    return [dict(row, sha=row["sha256"][:16]) for row in view.inventory()]


def _check_list(view: ReportView) -> list[dict[str, Any]]:
    """Appendix E: every check of the catalogue, its title, the severity of its failures, its items and the
    permissions its datasets need."""
    rows = []
    for check_id in view.catalog.check_ids():
        check = view.check(check_id)
        rows.append(
            {
                "id": check_id,
                "title": check.title,
                "severity": severity_label(check.severity, view.lang) if check.severity else "",
                "controls": ", ".join(c.control_id for c in view.catalog.controls_for_check(check_id)),
                "permissions": ", ".join(check.permissions),
            }
        )
    return rows


def _data_url(svg: bytes) -> Markup:
    # Markup: base64 is attribute-safe, and must not pass the access-key mask (it could match by chance).
    return Markup("data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii"))


def chart_svg(view: ReportView) -> bytes:
    """Verdicts overall (doughnut) and per chapter (stacked bars), as SVG bytes (vector in the PDF and the HTML)."""
    lang = view.lang
    chapters: dict[str, Counter] = {}
    titles: dict[str, str] = {}
    for item in view.items:
        chapters.setdefault(item.control.chapter, Counter())[item.verdict] += 1
        titles.setdefault(item.control.chapter, item.control.chapter_title(lang))
    overall = view.verdict_counts()
    width, ring = 640.0, 190.0
    ring_body = svg_chart.doughnut(
        [(overall.get(v, 0), VERDICT_COLOURS[v]) for v in VERDICT_ORDER],
        centre=str(sum(overall.values())),
        caption=view.label("n_items"),
        title=view.label("overall"),
        size=ring,
        font=10,
    )
    rows = [
        (_wrap_label(f"{n} {titles[n]}", 16 if lang == "ja" else 30), [chapters[n].get(v, 0) for v in VERDICT_ORDER])
        for n in chapters
    ]
    series = [(verdict_label(v, lang), VERDICT_COLOURS[v]) for v in VERDICT_ORDER]
    bar_body, bar_height = svg_chart.bars(
        rows, series, width=width - ring, title=view.label("by_chapter"), axis_label=view.label("n_items"), font=10, x=ring
    )
    return svg_chart.document(width, max(bar_height, ring * 0.95), ring_body + bar_body).encode("utf-8")


# Colours of the per-account chart: severities of failures, and the accepted risks apart.
SEVERITY_COLOURS = {"critical": "#7f0000", "high": "#c62828", "medium": "#ef8f00", "low": "#9aa5b1"}
ACCEPTED_COLOUR = "#6a4c93"


def _account_chart(view: ReportView) -> Markup | None:
    """The per-account chart as a data URL, or None when there is no failure (nothing to chart)."""
    rows = view.account_rows()
    if not any(r["fail"] or r["accepted"] for r in rows):
        return None
    return _data_url(account_chart_svg(view, rows))


def account_chart_svg(view: ReportView, rows: list[dict[str, Any]] | None = None) -> bytes:
    """Failures per account by severity (stacked bars), accepted risks as a segment of their own, as SVG bytes."""
    from ..core.model import FAILURE_SEVERITIES

    rows = rows if rows is not None else view.account_rows()
    lang = view.lang
    series = [(severity_label(sev, lang), SEVERITY_COLOURS[sev]) for sev in FAILURE_SEVERITIES]
    series.append((display_label("accepted_risk", lang), ACCEPTED_COLOUR))
    bars = [
        (
            _wrap_label(r["label"], 26 if lang == "ja" else 36),
            [*(r["counts"][i] for i in range(len(FAILURE_SEVERITIES))), r["accepted"]],
        )
        for r in rows
    ]
    body, height = svg_chart.bars(bars, series, width=640, title=t("report.summary.account_chart", lang), font=10)
    return svg_chart.document(640, height, body).encode("utf-8")


def _wrap_label(text: str, width: int) -> str:
    """A chart label in lines of about ``width`` characters: Latin text at spaces, Japanese anywhere."""
    lines: list[str] = []
    for word in text.split(" ") if " " in text[width // 2 :] else [text]:
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    wrapped = []
    for line in lines:
        while len(line) > width:
            wrapped.append(line[:width])
            line = line[width:]
        wrapped.append(line)
    return "\n".join(wrapped)


def headline_text(counts: Counter, error_datasets: int, lang: str) -> str:
    """The summary's verdict sentence: the same item counts as the tiles beside it."""
    fail, partial = counts.get("fail", 0), counts.get("partial", 0)
    if fail or partial:
        text = t(
            "report.doc.headline_fail",
            lang,
            fail=count_text(fail, lang, "report.doc.items_one", "report.doc.items_many"),
            partial=count_text(partial, lang, "report.doc.items_one", "report.doc.items_many"),
        )
    else:
        text = t("report.doc.headline_clean", lang)
    if error_datasets:
        errors = count_text(error_datasets, lang, "report.doc.headline_errors_one", "report.doc.headline_errors")
        text = t("report.doc.headline_join", lang, first=text, second=errors)
    return text


def _method(lang: str) -> dict[str, Any]:
    """Appendix C beyond the paragraphs: the roll-up rules, the severity levels and the bases (core.yaml)."""
    levels = [
        {
            "id": s.value,
            "label": s.label(lang),
            "definition": s.definition(lang),
            "blocking": t(f"field_value.{'yes' if s.value in BLOCKING_SEVERITIES else 'no'}", lang),
        }
        for s in Severity
    ]
    bases = [{"id": b, "label": basis_label(b, lang)} for b in BASIS_ORDER]
    return {"rollup": rollup_rules(lang), "severities": levels, "bases": bases, "answer_only": t("basis.answer_only_note", lang)}


def _paragraphs(namespace: str, lang: str) -> list[str]:
    """The paragraphs of a catalogue namespace, in file order (the method, the limits)."""
    return [t(key, lang) for key in keys(namespace)]


def build_document(assessment: Any, lang: str, workbook: str | None = None, view: ReportView | None = None) -> dict[str, Any]:
    """The whole document as data, in ``lang`` (ja | en), from the view model (built here unless given).

    ``workbook`` is the file name of the workbook in the same language (named where an item's
    findings do not all fit); by default the contract name in the run's language.
    """
    lang = "ja" if lang == "ja" else "en"
    view = view if view is not None and view.lang == lang else ReportView(assessment, lang)
    bundle = view.bundle
    manifest = bundle.manifest
    if workbook is None:
        from .publish import output_names

        run_language = (manifest.get("params") or {}).get("language") or "ja"
        workbook = output_names(run_language)[lang]["xlsx"]
    date, started_utc = date_text(manifest.get("started_at"), lang)
    _, finished_utc = date_text(manifest.get("finished_at"), lang)
    try:
        manifest_sha = bundle.manifest_sha256()
    except OSError:
        manifest_sha = ""
    counts = view.verdict_counts()
    themes = view.themes()
    total = len(view.items)
    key, key_more = _key_findings(view)
    automated_items = sum(1 for item in view.items if item.checks)
    headline = headline_text(counts, len(view.error_rows), lang)
    labels = dict(view.labels)
    labels["app_evidence"] = t("report.heading.app_evidence", lang, title=view.label("evidence_inventory"))
    labels["list_separator"] = t("value.list_separator", lang)
    labels["network_intro"] = t("network.diagram.report_intro", lang)
    return {
        "lang": lang,
        "labels": labels,
        "title": view.label("doc_title"),
        "title_short": view.label("doc_title_short"),
        "customer": str(manifest.get("customer") or ""),
        "assessor": assessor(lang),
        "date": date,
        "collected": f"{started_utc} – {finished_utc}" if finished_utc else started_utc,
        "run_id": str(manifest.get("run_id", "")),
        "manifest_sha256": manifest_sha,
        "trust": trust_of(bundle, lang),
        "kit_version": str(manifest.get("kit_version") or __version__),
        "scope": scope_of(view),
        "verdicts": [
            {
                "value": v,
                "label": verdict_label(v, lang),
                "label_ja": verdict_label(v, "ja"),
                "label_en": verdict_label(v, "en"),
                "colour": VERDICT_COLOURS[v],
                "n": counts.get(v, 0),
                "pct": f"{100 * counts.get(v, 0) / total:.0f}%" if total else "",
                "def_ja": t(f"verdict.{v}.definition", "ja"),
                "def_en": t(f"verdict.{v}.definition", "en"),
            }
            for v in VERDICT_ORDER
        ],
        "total": total,
        "overview": t(
            "report.doc.overview", lang, total=total, auto=automated_items, findings=len(view.findings), headline=headline
        ),
        "chart": _data_url(chart_svg(view)),
        "section_summary": _section_summary(view),
        "posture": view.posture(),
        "intro": {
            k: t(f"report.summary.{k}", lang)
            for k in (
                "themes_intro",
                "no_themes",
                "by_account_intro",
                "fix_first_intro",
                "no_fix_first",
                "accepted_intro",
                "expired_intro",
                "unused_intro",
            )
        },
        "themes": themes[:THEMES],
        "themes_more": t(
            "report.summary.themes_more",
            lang,
            n=len(themes) - THEMES,
            sheet=t("report.heading.remediation_plan", lang),
            workbook=workbook,
        )
        if len(themes) > THEMES
        else "",
        "severity_heads": view.severity_heads(),
        "accounts": view.account_rows(),
        "account_chart": _account_chart(view),
        "fix_first": view.fix_first(),
        "accepted_risks": view.risk_rows("accepted"),
        "expired_risks": view.risk_rows("expired"),
        "unused_exceptions": view.unused_exceptions(),
        "key_findings": key,
        "key_more": key_more,
        "chapters": _outline(view, workbook),
        "part_number": "2",
        "part_title": group_heading("2", lang),
        "inventory": _inventory(view),
        "errors": view.error_rows,
        "error_findings": view.merged(("error",)),
        "missing_permissions": permission_rows(view.lang, view.missing_permissions()),
        "headline": headline,
        "method": _paragraphs("report.method", lang),
        "method_tables": _method(lang),
        "limits": _paragraphs("report.limits", lang),
        "thresholds": _thresholds(view),
        "checks": _check_list(view),
        "comparison": comparison_document(view),  # None without a previous assessment (params previous:)
        "network_item": NETWORK_ITEM,
        "network_diagrams": network_diagrams(view, lang),  # [{account, account_label, region, title, svg, summary}]
    }


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    def finalize(value: Any) -> Any:
        # Mask access key IDs and reveal hidden characters in everything printed; pre-built Markup has been through
        # display.esc already.
        if isinstance(value, Markup) or not isinstance(value, str):
            return "" if value is None else value
        return reveal(mask_secrets(value))

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["nl2br"] = lambda text: Markup("<br>").join(display.esc(line) for line in str(text).split("\n"))
    return env


def _template() -> jinja2.Template:
    """The report's HTML template, compiled on its first use (Jinja keeps it)."""
    return _environment().get_template("report.html.j2")


def prepare_html() -> None:
    """Compile the report's HTML template now (about half a second of CPU), ahead of publishing: a run does it while
    its evidence is collected (pipeline.preload), when publishing would find both CPUs busy with the PDFs."""
    _template()


def render_html(document: dict[str, Any]) -> str:
    """The document as one HTML page (CSS inline, no script, no external URL)."""
    return _template().render(
        doc=document,
        verdict_colours=VERDICT_COLOURS,
        verdict_order=VERDICT_ORDER,
    )


def write_html(assessment: Any, lang: str, target: Path, document: dict[str, Any] | None = None) -> Path:
    """Render the browser document into ``target``."""
    document = document or build_document(assessment, lang)
    target.write_text(render_html(document), encoding="utf-8")
    return target


__all__ = [
    "ASSESSOR_ENV",
    "DEFAULT_ASSESSOR",
    "EVIDENCE_CELL_CHARS",
    "SEVERITY_ORDER",
    "assessor",
    "build_document",
    "chart_svg",
    "render_html",
    "write_html",
]
