"""Display helpers of the notebooks (and the report's HTML fragments): tables, badges, charts.

They read the view model (:mod:`assess_lib.report.view`): its words (the text catalogue), its one "most
serious first" order and its evidence selection. Every customer-controlled string goes through :func:`esc`
(or pandas' escaping) before it reaches HTML.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core import VERDICT_COLOURS, VERDICT_ORDER, Finding, ItemResult, most_serious_first
from ..core import t as _text
from ..core.rollup import answer_only, basis_label
from ..redact import mask_secrets
from . import svg_chart
from .visible import reveal
from .view import (  # noqa: F401 - the notebooks' helpers, re-exported
    EVIDENCE_CELL_CHARS,
    EVIDENCE_COLUMNS,
    EvidenceRows,
    ReportView,
    check_texts,
    dataset_description,
    error_row,
    evidence_table,
    field_label,
    format_value,
    humanise,
    labels,
    layer_rows,
    select_evidence,
    value_word,
    verdict_label,
)

if TYPE_CHECKING:
    from ..catalog import Control


def t(key: str, lang: str) -> str:
    """A label of the report by leaf name (``verdict``, ``basis``...), or any catalogue key (with dots), unfilled."""
    if "." in key:
        return _text(key, lang)
    return labels("ja" if lang == "ja" else "en")[key]


def esc(value: Any) -> str:
    """HTML-escape any value (customer-controlled strings included), masking access key IDs and showing the characters
    that would hide or reorder text as their escapes (:func:`.visible.reveal`)."""
    return html.escape(reveal(mask_secrets("" if value is None else str(value))), quote=True)


def verdict_badge(verdict: str, lang: str) -> str:
    colour = VERDICT_COLOURS.get(verdict, "#757575")
    return (
        f'<span class="verdict verdict-{esc(verdict)}" style="background:{colour};color:#fff;'
        f'padding:2px 8px;border-radius:3px;font-weight:bold;white-space:nowrap">{esc(verdict_label(verdict, lang))}</span>'
    )


def paragraphs(text: str | None) -> str:
    if not text:
        return ""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    out, bullets = [], []
    for line in lines:
        if line.startswith(("- ", "\u30fb")):  # "- " or the Japanese middle dot as a bullet
            bullets.append(f"<li>{esc(line[2:] if line.startswith('- ') else line[1:])}</li>")
            continue
        if bullets:
            out.append("<ul>" + "".join(bullets) + "</ul>")
            bullets = []
        out.append(f"<p>{esc(line)}</p>")
    if bullets:
        out.append("<ul>" + "".join(bullets) + "</ul>")
    return "".join(out)


def control_heading(control: Control, lang: str) -> str:
    kind = t(f"report.item.{control.kind}", lang)
    return _text("report.item.heading", lang, id=control.control_id, title=control.title(lang), kind=kind)


def control_html(control: Control, result: ItemResult, lang: str) -> str:
    """Requirement text, consultant view, AWS realisation and verdict of one item."""
    verdict = result.verdict
    parts = [
        f'<div class="control" id="{esc(control.control_id)}">',
        f"<h3>{esc(control_heading(control, lang))} {verdict_badge(verdict, lang)}</h3>",
        f"<h4>{esc(t('guideline', lang))}</h4>",
    ]
    parts.append(f'<blockquote class="guideline">{paragraphs(control.text(lang))}</blockquote>')
    footnotes = control.footnotes(lang)
    if footnotes:
        notes = "".join(f"<li>{esc(note)}</li>" for note in footnotes)
        parts.append(f'<div class="footnotes"><p class="note">{esc(t("footnotes", lang))}</p><ul class="note">{notes}</ul></div>')
    if control.consultant_view(lang):
        parts.append(f"<h4>{esc(t('consultant', lang))}</h4>{paragraphs(control.consultant_view(lang))}")
    if control.aws_realisation(lang):
        parts.append(f"<h4>{esc(t('aws', lang))}</h4>{paragraphs(control.aws_realisation(lang))}")
    basis = result.basis
    if basis:
        parts.append(f"<p>{esc(t('basis', lang))}: {esc(basis_label(basis, lang))}</p>")
        if answer_only(basis):
            parts.append(f'<p class="note"><b>{esc(_text("basis.answer_only_note", lang))}</b></p>')
    if not control.checks:
        parts.append(f'<p class="note">{esc(t("no_checks", lang))}</p>')
    else:
        automated = result.automated_verdict or "manual"
        parts.append(f"<p>{esc(t('automated', lang))}: {verdict_badge(automated, lang)}</p>")
        if control.mode == "hybrid":
            parts.append(f'<p class="note">{esc(t("hybrid_note", lang))}</p>')
    parts.append("</div>")
    return "".join(parts)


FINDING_COLUMNS = ("verdict", "check_id", "account", "region", "resource", "message")


def findings_frame(findings: Iterable[Finding], lang: str) -> pd.DataFrame:
    """Findings as a table, most serious first (raw strings; escape when rendering; verdicts as values)."""
    rows = [
        {
            t("verdict", lang): f.verdict.value,
            t("check_id", lang): f.check_id,
            t("account", lang): f.account_id,
            t("region", lang): f.region,
            t("resource", lang): mask_secrets(f.resource),
            t("message", lang): mask_secrets(f.message(lang)),
        }
        for f in most_serious_first(findings)
    ]
    return pd.DataFrame(rows, columns=[t(k, lang) for k in FINDING_COLUMNS])


def findings_html(findings: list[Finding], lang: str, limit: int | None = None, item: str = "") -> str:
    """Findings table with coloured verdicts, most serious first (every cell escaped).

    ``limit`` bounds the rows (a large estate has thousands of findings per item: a notebook
    output that size is unusable); a line then says how many more there are and where.
    """
    frame = findings_frame(findings, lang)
    if frame.empty:
        return ""
    shown = frame if limit is None else frame.head(limit)
    head = "".join(f"<th>{esc(c)}</th>" for c in frame.columns)
    body = []
    for row in shown.itertuples(index=False):
        cells = [verdict_badge(row[0], lang)] + [esc(v) for v in row[1:]]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    table = f'<table class="findings"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    if len(shown) < len(frame):
        more = _text("report.item.more_findings_notebook", lang, n=len(frame) - len(shown), item=item, sheet=t("findings", lang))
        table += f"<p>{esc(more)}</p>"
    return table


def remediation_html(check_ids: list[str], findings: list[Finding], lang: str) -> str:
    failing = [c for c in check_ids if any(f.check_id == c and f.verdict.value == "fail" for f in findings)]
    if not failing:
        return ""
    checks = check_texts(lang)
    items = "".join(
        f"<li><b>{esc(checks[c].title if c in checks else c)}</b>: {esc(checks[c].remediation if c in checks else '')}</li>"
        for c in failing
    )
    return f"<h4>{esc(t('remediation', lang))}</h4><ul>{items}</ul>"


def item_evidence(
    assessment: Any,
    control_id: str,
    specs: dict[str, Any] | None = None,
    cache: EvidenceRows | None = None,
) -> list[dict[str, Any]]:
    """The evidence an item's findings rest on (:func:`view.select_evidence`): ``[{"dataset", "frame"}]``.

    ``assessment`` may be a :class:`~assess_lib.report.view.ReportView` (its rows are read once for every item).
    """
    if isinstance(assessment, ReportView):
        return assessment.evidence(control_id)
    checks = check_texts("en") if specs is None else specs
    return select_evidence(assessment, control_id, checks, cache)


def evidence_table_html(table: dict[str, Any]) -> str:
    """An evidence table as escaped HTML that long values (keys, policies) cannot stretch."""
    head = "".join(f"<th>{esc(c)}</th>" for c in table["columns"])
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in table["rows"])
    return (
        '<table class="evidence" style="table-layout:fixed;width:100%">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def evidence_frame(assessment: Any, dataset: str, limit: int | None = None) -> pd.DataFrame:
    """One dataset over every account and region of the bundle, as a table (raw field names and values)."""
    bundle = assessment.bundle
    frames = []
    for entry in bundle.entries():
        if entry["dataset"] != dataset or entry["status"] != "ok":
            continue
        rows = bundle.rows(dataset, entry["account_id"], entry["region"])
        if not rows:
            continue
        frame = pd.DataFrame(rows)
        frame.insert(0, "region", entry["region"])
        frame.insert(0, "account", entry["account_id"])
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.map(lambda v: mask_secrets(v) if isinstance(v, str) else v)
    return frame if limit is None else frame.head(limit)


def evidence_errors_frame(assessment: Any, datasets: Iterable[str] | None, lang: str) -> pd.DataFrame:
    """Datasets that could not be gathered: the same columns as the report's and the workbook's tables."""
    wanted = set(datasets) if datasets is not None else None
    rows = []
    for entry in assessment.bundle.errors():
        if wanted is not None and entry["dataset"] not in wanted:
            continue
        row = error_row(entry, lang)
        rows.append(
            {
                t("dataset", lang): row["dataset"],
                t("account", lang): row["account"],
                t("region", lang): row["region"],
                t("error_kind", lang): row["error"],
                t("error_code", lang): row["code"],
                t("permissions", lang): row["action"],
            }
        )
    return pd.DataFrame(rows)


def dataset_caption(dataset: str, count: int, shown: int, lang: str) -> str:
    """ "Evidence: <description> (<dataset>) — N rows", and which of them are shown."""
    key = "report.item.evidence_caption_one" if count == 1 else "report.item.evidence_caption"
    caption = _text(key, lang, description=dataset_description(dataset, lang), dataset=dataset, count=count)
    return caption + (_text("report.item.evidence_first", lang, shown=shown) if shown < count else "")


def frame_html(frame: pd.DataFrame) -> str:
    """A DataFrame as an escaped HTML table."""
    return frame.to_html(index=False, escape=True, na_rep="", classes="evidence", border=0)


def layers_frame(findings: Iterable[Finding], lang: str) -> pd.DataFrame:
    """One row per account: the state of each defense layer and the verdict (:func:`view.layer_rows`)."""
    rows = layer_rows(findings, lang)

    def heading(key: str) -> str:
        return t(key, lang) if key in ("account", "verdict") else _text(f"layer.{key}", lang)

    return pd.DataFrame([{heading(k): v for k, v in row.items()} for row in rows])


def section_summary_frame(assessment: Any, lang: str) -> pd.DataFrame:
    """Item verdict counts per section, in guideline order."""
    rows = []
    for section in assessment.catalog.sections():
        controls = assessment.catalog.by_section(section)
        counts = Counter(r.verdict for r in assessment.items if r.section == section)
        row = {t("section", lang): section, t("title", lang): controls[0].section_title(lang)}
        for verdict in VERDICT_ORDER:
            row[verdict_label(verdict, lang)] = counts.get(verdict, 0)
        rows.append(row)
    return pd.DataFrame(rows)


def verdict_chart(results: list[Any], findings: list[Finding], lang: str, title: str = "") -> str:
    """Stacked bars of finding verdicts per item, as an SVG element ("" without items); see :mod:`.svg_chart`."""
    ids = [r.control_id for r in results]
    if not ids:
        return ""
    counts = {cid: Counter(f.verdict.value for f in findings if f.control_id == cid) for cid in ids}
    series = [(verdict_label(v, lang), VERDICT_COLOURS[v]) for v in VERDICT_ORDER]
    rows = [(cid, [counts[cid][v] for v in VERDICT_ORDER]) for cid in ids]
    body, height = svg_chart.bars(
        rows,
        series,
        width=640,
        title=title or chart_title(lang),
        axis_label=t("n_findings", lang),
        empty_label=t("no_findings_chart", lang),
        label_width=96,
    )
    return svg_chart.document(640, height, body)


def chart_title(lang: str) -> str:
    return t("by_item", lang)


def chart_alt(results: list[Any], findings: list[Finding], lang: str, title: str = "") -> str:
    """The chart in words (alternative text): the finding counts per verdict of every item."""
    parts = []
    for result in results:
        control_id = result.control_id
        counts = Counter(f.verdict.value for f in findings if f.control_id == control_id)
        shown = ", ".join(f"{verdict_label(v, lang)} {counts[v]}" for v in VERDICT_ORDER if counts[v])
        parts.append(f"{control_id}: {shown or t('no_findings_chart', lang)}")
    return f"{title or chart_title(lang)} — " + "; ".join(parts)


def chart_html(svg: str, alt: str) -> str:
    """A chart with its alternative text (the SVG's accessible name; the HTML export keeps both)."""
    if not svg:
        return ""
    labelled = svg.replace('role="img">', f'role="img" aria-label="{esc(alt)}"><title>{esc(alt)}</title>', 1)
    return f'<figure style="margin:0;max-width:100%;overflow-x:auto">{labelled}</figure>'


# --- the notebooks' blocks, read from the view model --------------------------------------------------------


def items_table_html(view: ReportView, items: Iterable[Any]) -> str:
    """Items with their verdict and the basis in a few words (a section's header, the summary)."""
    lang = view.lang
    rows = "".join(
        f"<tr><td>{esc(i.id)}</td><td>{esc(i.title)}</td><td>{verdict_badge(i.verdict, lang)}</td>"
        f"<td>{esc(basis_label(i.result.basis, lang, short=True) if i.basis else '')}</td></tr>"
        for i in items
    )
    head = "".join(f"<th>{esc(t(k, lang))}</th>" for k in ("item_id", "title", "verdict", "basis"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def item_html(view: ReportView, control_id: str, finding_rows: int = 50, evidence_rows: int = 15) -> str:
    """One item as a notebook shows it: text, verdict and basis, the ``finding_rows`` most serious findings,
    remediation, the evidence rows its findings refer to (the report's selection) and the missing evidence."""
    lang = view.lang
    item = view.item(control_id)
    parts = [control_html(item.control, item.result, lang)]
    parts.append(findings_html([f.finding for f in item.findings], lang, limit=finding_rows, item=control_id))
    if item.remediation:
        remedies = "".join(f"<li><b>{esc(c.title)}</b>: {esc(c.remediation)}</li>" for c in item.remediation)
        parts.append(f"<h4>{esc(t('remediation', lang))}</h4><ul>{remedies}</ul>")
    tables = view.evidence(control_id)
    if tables:
        parts.append(f'<p class="note">{esc(t("evidence_scope_note", lang))}</p>')
        for shown in tables:
            table = evidence_table(shown["frame"], shown["dataset"], lang, evidence_rows)
            caption = dataset_caption(shown["dataset"], table["total"], table["shown"], lang)
            parts.append(f"<p><b>{esc(caption)}</b></p>{evidence_table_html(table)}")
    if item.evidence_errors:
        parts.append(
            f"<p><b>{esc(t('evidence_errors', lang))}</b></p>{frame_html(evidence_errors_frame(view, item.datasets, lang))}"
        )
    return "".join(parts)
