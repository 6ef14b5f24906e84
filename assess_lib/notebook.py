"""Notebook front-end: the one-line calls the section notebooks make.

``open_assessment(run_dir)`` opens a finished run: the results it wrote (``findings.json``, ``controls.json``)
and its evidence bundle. A notebook never collects and never evaluates: what it shows is what the run decided.
Without a run folder it stops with a message saying how to make one.

Beside the section views (the customer may receive their HTML copies: neutral words only), the consultant has
``kit.item(ID)`` (the automated verdict beside the customer's answer and the consultant's verdict, the documents
and the points to confirm), the filters ``kit.findings(...)`` / ``kit.items(...)`` and ``kit.todo()`` (the items
still undecided with their points to confirm, for the meeting).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import HTML, display

from .bundle_check import BundleError, BundleNotFound
from .catalog.checklist import checklist
from .checks import answers
from .core.model import (
    SEVERITY_ORDER,
    VERDICT_ORDER,
    Assessment,
    Finding,
    ItemJudgment,
    most_serious_first,
    severity_label,
)
from .core.rollup import BASIS_ORDER, basis_label, basis_list, finding_basis
from .core.text import t
from .evidence import GLOBAL
from .redact import mask_secrets
from .report import display as ui
from .report.view import ItemView, ReportView, field_label, verdict_label
from .results import ResultsError, read_results

# A checkout of the kit (``make demo`` writes outputs/demo there); in an installed kit this folder holds no runs.
KIT_ROOT = Path(__file__).resolve().parents[1]
MAKE_A_RUN = "python -m assess_lib demo --out outputs/demo"
STYLE = """<style>
.fsa-kit h2{border-bottom:2px solid #1a3c6e;color:#1a3c6e}
.fsa-kit blockquote.guideline{border-left:4px solid #1a3c6e;margin:0.5em 0;padding:0.3em 1em;background:#f4f6fa}
.fsa-kit p.note{color:#555;font-size:90%}
.fsa-kit table{border-collapse:collapse;font-size:90%}
.fsa-kit th,.fsa-kit td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
.fsa-kit th{background:#e8edf5}
</style>"""


def _resolve(path: str | Path) -> Path:
    """An absolute path: as given (relative to the kernel's folder), else relative to the kit's checkout.

    Jupyter starts a kernel in its notebook's folder, papermill in the caller's: ``outputs/my-bank`` is found
    from either when the kit is a checkout and the run lies in its ``outputs/``.
    """
    candidate = Path(path).expanduser()
    if not (candidate.is_absolute() or candidate.exists()) and (KIT_ROOT / candidate).exists():
        candidate = KIT_ROOT / candidate
    return Path(os.path.abspath(candidate))  # normalised: "../x" names x, not notebooks/../x


class NotebookInputError(Exception):
    """A notebook parameter the consultant can fix; shown as its message alone, without a traceback."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: the frames of the kit would only hide the message.
        return [f"{type(self).__name__}: {self}"]


class FilterError(NotebookInputError, ValueError):
    """A filter value of ``kit.findings`` / ``kit.items`` / ``kit.item`` that names nothing known."""


@dataclass(frozen=True)
class Shown:
    """What a consultant's call returns: HTML in Jupyter, readable text in a terminal; ``frame`` its table, if any."""

    html: str
    text: str
    frame: pd.DataFrame | None = None

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


# Document fields in the order shown (attestation files and the working sheet name some of them).
DOCUMENT_FIELDS = ("title", "location", "date", "approval_date", "last_review_date", "approver")


def _spellings(kind: str) -> dict[str, list[str]]:
    """Per value of a filter (``verdict``, ``severity``, ``basis``): its id and its words in ja and en."""
    if kind == "verdict":
        return {v: [v, t(f"verdict.{v}.label", "ja"), t(f"verdict.{v}.label", "en")] for v in VERDICT_ORDER}
    if kind == "severity":
        return {s: [s, t(f"severity.{s}.label", "ja"), t(f"severity.{s}.label", "en")] for s in SEVERITY_ORDER}
    return {b: [b, *(t(f"basis.{b}.{form}", lang) for form in ("label", "short") for lang in ("ja", "en"))] for b in BASIS_ORDER}


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


def _choose(kind: str, value: Any) -> set[str] | None:
    """The ids a filter value names (one value or a list; an id or its ja/en words, case aside); None: no filter."""
    if value is None:
        return None
    spellings = _spellings(kind)
    chosen = set()
    for one in _values(value):
        wanted = str(one).strip().casefold()
        match = next((key for key, words in spellings.items() if wanted in (w.casefold() for w in words)), None)
        if match is None:
            allowed = ", ".join(f"{key} ({words[1]} / {words[2]})" for key, words in spellings.items())
            raise FilterError(f"{kind}={one!r} is not a {kind}. Use one of: {allowed} (the id or its Japanese or English word).")
        chosen.add(match)
    return chosen


@dataclass
class Walkthrough:
    """A finished run's assessment (read back, never evaluated again) plus the display calls of the notebooks.

    Everything shown comes from one :class:`~assess_lib.report.view.ReportView`, built once on first use: the same
    view model the report and the workbook are rendered from.
    """

    assessment: Assessment
    language: str = "ja"

    @cached_property
    def view(self) -> ReportView:
        return ReportView(self.assessment, self.language)

    def _wrap(self, body: str) -> str:
        """The kit's style and, for an unverified bundle, the red line, around ``body``."""
        return f'{STYLE}<div class="fsa-kit">{self._unverified()}{body}</div>'

    def _show(self, body: str) -> None:
        display(HTML(self._wrap(body)))

    def _unverified(self) -> str:
        """A red line above everything shown when the run's bundle did not verify (report --allow-unverified)."""
        if not self.assessment.bundle.verification:
            return ""
        lang = self.language
        return (
            '<p style="border:2px solid #b00020;background:#fdecee;color:#7a0014;padding:4px 8px">'
            f"<strong>{ui.esc(t('notebook.unverified.header', lang))}</strong><br>{ui.esc(t('notebook.unverified.banner', lang))}</p>"
        )

    def _table(self, control_ids: list[str]) -> str:
        """Item, title, verdict and basis of the items ``control_ids``."""
        return ui.items_table_html(self.view, [self.view.item(c) for c in control_ids])

    def header(self, section: str) -> None:
        """Section heading, scope of the evidence and the verdict per item."""
        lang = self.language
        controls = self.assessment.catalog.by_section(section)
        title = controls[0].section_title(lang) if controls else section
        self._show(f"<h2>{ui.esc(section)} {ui.esc(title)}</h2>{self._scope()}{self._table([c.control_id for c in controls])}")

    def _scope(self) -> str:
        """Customer, accounts, collection time and bundle ID of the run shown."""
        manifest = self.assessment.bundle.manifest
        scope = t(
            "notebook.scope",
            self.language,
            customer=manifest.get("customer"),
            accounts=", ".join(manifest.get("accounts", [])),
            started_at=manifest.get("started_at"),
            run_id=manifest.get("run_id"),
        )
        return f"<p>{ui.esc(scope)}</p>"

    def summary(self) -> None:
        """The run's scope, verdict counts per section, then every item with its verdict."""
        frame = ui.section_summary_frame(self.assessment, self.language)
        self._show(self._scope() + ui.frame_html(frame) + self._table(self.assessment.catalog.ids()))

    def layers(self):
        """Defense-in-depth layer table (entrance / internal / exit) per account."""
        return ui.layers_frame(self.assessment.findings, self.language)

    def collection_errors(self):
        """Datasets that could not be gathered, with the cause and the IAM action."""
        return ui.evidence_errors_frame(self.view, None, self.language)

    def item(self, control_id: str, evidence_rows: int = 15, finding_rows: int = 50) -> Shown:
        """One guideline item for the consultant: the state of its assessment (automated verdict, the customer's
        status, the consultant's verdict and rationale, an override marked as such, owner and due date, basis,
        accepted risks), its documents and the points to confirm, then the item as the section view shows it
        (text, verdict, the ``finding_rows`` most serious findings, evidence). ``findings(control_id)`` has them all.
        """
        item = self._item_view(control_id)
        status, status_text = self._status(item)
        documents, documents_text = self._documents(item)
        points, points_text = self._points(item)
        lang = self.language
        heading = t("consultant.heading", lang, id=item.id, title=item.title)
        body = f"<h2>{ui.esc(heading)}</h2>{status}{documents}{points}"
        body += ui.item_html(self.view, control_id, finding_rows=finding_rows, evidence_rows=evidence_rows)
        text = "\n\n".join([heading, status_text, documents_text, f"{ui.t('guideline', lang)}\n{item.text.strip()}", points_text])
        return Shown(self._wrap(body), mask_secrets(text))

    def section(self, section: str) -> None:
        """Every item of a section in guideline order, as the customer's copies show them (no consultant's notes)."""
        for control in self.assessment.catalog.by_section(section):
            self._show(ui.item_html(self.view, control.control_id))

    def chart(self, section: str | None = None) -> None:
        """Verdicts per item as a stacked bar chart (SVG), with its alternative text; nothing without automated items."""
        items = [r for r in self.assessment.items if (section is None or r.section == section) and r.checks]
        findings = [f for f in self.assessment.findings if section is None or f.control_id.startswith(f"{section}-")]
        chart = ui.verdict_chart(items, findings, self.language)
        if chart:
            display(HTML(ui.chart_html(chart, ui.chart_alt(items, findings, self.language))))

    def findings(
        self,
        section: str | None = None,
        *,
        account: str | Iterable[str] | None = None,
        verdict: str | Iterable[str] | None = None,
        severity: str | Iterable[str] | None = None,
        basis: str | Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Findings as a pandas DataFrame, most serious first: of a section (``"2.3.1"``, its subsections too) or
        one item (``"2.3.1-5"``), filtered in one line, e.g. ``kit.findings(account="core-banking", verdict="fail",
        severity="high", basis="evidence")``. ``account``: an account ID or the params' name for it (``aws.account_names``);
        ``verdict``, ``severity``, ``basis``: the id or its Japanese or English word; each also a list.
        An unknown value raises :class:`FilterError` naming the values allowed.
        """
        if section is not None:
            self._known_section(section)
        accounts = self._accounts(account)
        verdicts, severities, bases = _choose("verdict", verdict), _choose("severity", severity), _choose("basis", basis)
        checks = self.view.checks
        chosen = [
            f
            for f in self.assessment.findings
            if (section is None or _in_section(f.control_id, section))
            and (accounts is None or f.account_id in accounts)
            and (verdicts is None or f.verdict.value in verdicts)
            and (severities is None or f.severity in severities)
            and (bases is None or bases & set(finding_basis(f, checks[f.check_id].datasets if f.check_id in checks else ())))
        ]
        return self._findings_frame(chosen)

    def items(
        self,
        verdict: str | Iterable[str] | None = None,
        basis: str | Iterable[str] | None = None,
        section: str | None = None,
    ) -> pd.DataFrame:
        """Items as a pandas DataFrame in guideline order, filtered in one line, e.g. ``kit.items(verdict="manual",
        section="2.6")`` or ``kit.items(basis="answer")``: the verdict beside the automated one, the basis, the
        customer's status, the consultant's verdict, an override, owner and due date, failing findings and accepted risks.
        """
        if section is not None:
            self._known_section(section)
        verdicts, bases = _choose("verdict", verdict), _choose("basis", basis)
        chosen = [
            i
            for i in self.view.items
            if (section is None or _in_section(i.id, section))
            and (verdicts is None or i.verdict in verdicts)
            and (bases is None or bases & set(i.basis))
        ]
        return self._items_frame(chosen)

    def todo(self, section: str | None = None) -> Shown:
        """The items still undecided (needs review) with their points to confirm, grouped by section: the
        questions for the meeting. In Jupyter a list per section; ``.frame`` is the table (one row per point)."""
        if section is not None:
            self._known_section(section)
        lang = self.language
        col = self._column
        open_items = [i for i in self.view.items if i.verdict == "manual" and (section is None or _in_section(i.id, section))]
        if not open_items:
            none = t("consultant.todo.none", lang)
            return Shown(self._wrap(f"<p>{ui.esc(none)}</p>"), none, pd.DataFrame(columns=[col(c) for c in TODO_COLUMNS]))
        intro = t("consultant.todo.intro", lang, n=len(open_items))
        html = [f"<h2>{ui.esc(t('consultant.todo.heading', lang))}</h2><p>{ui.esc(intro)}</p>"]
        text = [t("consultant.todo.heading", lang), intro]
        rows = []
        groups: dict[str, list[ItemView]] = {}
        for item in open_items:
            groups.setdefault(item.control.section, []).append(item)
        for number, members in groups.items():
            title = t(
                "consultant.todo.section", lang, section=number, title=members[0].control.section_title(lang), n=len(members)
            )
            html.append(f"<h3>{ui.esc(title)}</h3>")
            text.append(f"\n{title}")
            for item in members:
                automated = f" [{col('automated')}: {verdict_label(item.automated_verdict, lang)}]" if item.checks else ""
                html.append(f"<h4>{ui.esc(item.id)} {ui.esc(item.title)}{ui.esc(automated)}</h4>")
                html.append(_points_html(item.control, lang))
                text.append(f"{item.id} {item.title}{automated}\n{_points_text(item.control, lang)}")
                for point in checklist(item.control, lang):
                    rows.append([number, item.id, item.title, point.level, point.text])
        frame = pd.DataFrame(rows, columns=[col(c) for c in TODO_COLUMNS])
        return Shown(self._wrap("".join(html)), mask_secrets("\n".join(text)), frame)

    def evidence(self, dataset: str):
        """A dataset of the bundle as a pandas DataFrame."""
        return ui.evidence_frame(self.assessment, dataset)

    # --- the consultant's view: helpers -------------------------------------------------------------------

    def _column(self, name: str) -> str:
        return t(f"consultant.column.{name}", self.language)

    @cached_property
    def account_names(self) -> dict[str, str]:
        """Account ID -> the customer's name for it (the params' ``aws.account_names`` recorded in the manifest)."""
        names = ((self.assessment.bundle.manifest.get("params") or {}).get("aws") or {}).get("account_names") or {}
        return {str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {}

    def _accounts(self, account: Any) -> set[str] | None:
        """The account IDs a filter value names: an ID (``org`` and ``dns`` included) or a name of ``account_names``."""
        if account is None:
            return None
        known = sorted(
            {f.account_id for f in self.assessment.findings} | set(self.assessment.bundle.manifest.get("accounts") or [])
        )
        by_name = {name.casefold(): account_id for account_id, name in self.account_names.items()}
        chosen = set()
        for one in _values(account):
            wanted = str(one).strip()
            if wanted in known or wanted in self.account_names:
                chosen.add(wanted)
            elif wanted.casefold() in by_name:
                chosen.add(by_name[wanted.casefold()])
            else:
                allowed = ", ".join(f"{a} ({self.account_names[a]})" if a in self.account_names else a for a in known)
                raise FilterError(
                    f"account={one!r} is neither an account of this run nor a name of aws.account_names in its params. "
                    f"Use one of: {allowed}."
                )
        return chosen

    def _known_section(self, section: str) -> None:
        catalog = self.assessment.catalog
        if not any(_in_section(control_id, section) for control_id in catalog.ids()):
            sections = list(catalog.sections())
            close = difflib.get_close_matches(str(section), sections + list(catalog.ids()), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise FilterError(
                f"section={section!r} is neither a section nor an item of the guideline.{hint} "
                f"Sections: {', '.join(sections)}; an item is written like 2.3.1-5."
            )

    def _item_view(self, control_id: str) -> ItemView:
        if control_id not in self.view.by_id:
            close = difflib.get_close_matches(str(control_id), list(self.view.by_id), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise FilterError(f"{control_id!r} is not an item of the guideline.{hint} Items are written like 2.6-8 or 2.3.1-5.")
        return self.view.item(control_id)

    @cached_property
    def judgments(self) -> dict[str, ItemJudgment]:
        """What the working sheet records per item (the assessment's, else read from the run's bundle)."""
        return dict(self.assessment.judgments) or answers.judgments(self.assessment.bundle)

    def _org_rows(self, dataset: str) -> list[dict[str, Any]]:
        bundle = self.assessment.bundle
        if bundle.entry(dataset, answers.ORG_ACCOUNT, GLOBAL) is None:
            return []
        return bundle.rows(dataset, answers.ORG_ACCOUNT, GLOBAL)

    def documents(self, control_id: str) -> list[dict[str, Any]]:
        """The documents recorded for an item: the working sheet's, else the attestation file's."""
        judgment = self.judgments.get(control_id)
        if judgment is not None and judgment.documents:
            return [dict(d) for d in judgment.documents]
        return [row for row in self._org_rows(answers.DOCUMENTS_DATASET) if row.get("control_id") == control_id]

    def _account_label(self, account_id: str) -> str:
        name = self.account_names.get(account_id)
        return f"{account_id} ({name})" if name else account_id

    def _status(self, item: ItemView) -> tuple[str, str]:
        """The state of an item's assessment as a table and as text."""
        lang = self.language
        result = item.result
        missing = t("consultant.not_given", lang)
        rows: list[tuple[str, str, str]] = []  # (column, html, text)
        rows.append(("verdict", ui.verdict_badge(item.verdict, lang), item.verdict_label))
        if item.checks:
            automated = item.automated_verdict or "manual"
            rows.append(("automated", ui.verdict_badge(automated, lang), verdict_label(automated, lang)))
        words = basis_label(result.basis, lang) if basis_list(result.basis) else t("basis.none", lang)
        rows.append(("basis", ui.esc(words), words))
        answer = t(f"status.{result.answer}", lang) if result.answer else missing
        rows.append(("answer", ui.esc(answer), answer))
        judgment = result.judgment or {}
        if judgment.get("verdict"):
            rationale = str(judgment.get("rationale") or "")
            words = verdict_label(judgment["verdict"], lang)
            rows.append(
                ("judgment", f"{ui.verdict_badge(judgment['verdict'], lang)} {ui.esc(rationale)}", f"{words} {rationale}".strip())
            )
        else:
            rows.append(("judgment", ui.esc(missing), missing))
        if result.override:
            override = result.override
            words = t(
                "consultant.override",
                lang,
                **{"from": verdict_label(str(override.get("from")), lang), "to": verdict_label(str(override.get("to")), lang)},
            )
            rationale = str(override.get("rationale") or "")
            rows.append(
                (
                    "override",
                    f'<strong style="color:#b00020">{ui.esc(words)}</strong><br>{ui.esc(rationale)}',
                    f"{words} {rationale}".strip(),
                )
            )
        for name, value in (("owner", result.owner), ("due_date", result.due_date)):
            shown = str(value) if value else missing
            rows.append((name, ui.esc(shown), shown))
        own = [f.finding for f in item.findings]
        accepted = [f for f in own if f.accepted_risk]
        count = t(
            "consultant.findings_count",
            lang,
            n=len(own),
            fails=sum(1 for f in own if f.verdict.value == "fail" and not f.accepted),
            accepted=sum(1 for f in own if f.accepted),
        )
        rows.append(("findings", ui.esc(count), count))
        if accepted:
            lines = [f"{f.resource} ({self._account_label(f.account_id)}): {self._acceptance(f)}" for f in accepted]
            rows.append(("accepted", "<br>".join(ui.esc(line) for line in lines), "\n  ".join(lines)))
        html = "".join(f"<tr><th>{ui.esc(self._column(name))}</th><td>{cell}</td></tr>" for name, cell, _ in rows)
        text = "\n".join(f"{self._column(name)}: {words}" for name, _, words in rows)
        return f"<h4>{ui.esc(t('consultant.status', lang))}</h4><table>{html}</table>", f"{t('consultant.status', lang)}\n{text}"

    def _acceptance(self, finding: Finding) -> str:
        record = finding.accepted_risk or {}
        status = t("accepted_risk.label" if finding.accepted else "accepted_risk.expired", self.language)
        fields = {k: str(record.get(k) or "") for k in ("approver", "approved_on", "expires", "reason")}
        return t("consultant.accepted_risk", self.language, status=status, **fields)

    def _documents(self, item: ItemView) -> tuple[str, str]:
        lang = self.language
        heading = t("consultant.documents", lang)
        documents = self.documents(item.id)
        if not documents:
            none = t("consultant.no_documents", lang)
            return f"<h4>{ui.esc(heading)}</h4><p>{ui.esc(none)}</p>", f"{heading}: {none}"
        fields = [f for f in DOCUMENT_FIELDS if any(d.get(f) for d in documents)]
        head = "".join(f"<th>{ui.esc(field_label(f, lang))}</th>" for f in fields)
        body = "".join("<tr>" + "".join(f"<td>{ui.esc(d.get(f))}</td>" for f in fields) + "</tr>" for d in documents)
        lines = [" / ".join(f"{field_label(f, lang)}: {d.get(f)}" for f in fields if d.get(f)) for d in documents]
        html = f"<h4>{ui.esc(heading)}</h4><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        return html, heading + "\n" + "\n".join(f"- {line}" for line in lines)

    def _points(self, item: ItemView) -> tuple[str, str]:
        heading = t("consultant.points", self.language)
        return (
            f"<h4>{ui.esc(heading)}</h4>{_points_html(item.control, self.language)}",
            f"{heading}\n{_points_text(item.control, self.language)}",
        )

    def _findings_frame(self, findings: Iterable[Finding]) -> pd.DataFrame:
        lang = self.language
        names = bool(self.account_names)
        columns = ["item", "verdict", "severity", "check_id", "account", *(["account_name"] if names else [])]
        columns += ["region", "resource", "message", "accepted", "finding_id"]
        rows = []
        for f in most_serious_first(findings):
            row = {
                "item": f.control_id,
                "verdict": verdict_label(f.verdict.value, lang),
                "severity": severity_label(f.severity, lang) if f.verdict.value == "fail" else "",
                "check_id": f.check_id,
                "account": f.account_id,
                "account_name": self.account_names.get(f.account_id, ""),
                "region": f.region,
                "resource": mask_secrets(f.resource),
                "message": mask_secrets(f.message(lang)),
                "accepted": self._acceptance(f) if f.accepted_risk else "",
                "finding_id": f.finding_id,
            }
            rows.append([row[c] for c in columns])
        return pd.DataFrame(rows, columns=[self._column(c) for c in columns])

    def _items_frame(self, items: Iterable[ItemView]) -> pd.DataFrame:
        lang = self.language
        rows = []
        for item in items:
            result = item.result
            judgment = result.judgment or {}
            override = result.override or {}
            own = [f.finding for f in item.findings]
            rows.append(
                [
                    item.id,
                    item.title,
                    item.verdict_label,
                    verdict_label(item.automated_verdict, lang) if item.automated_verdict else "",
                    basis_label(result.basis, lang, short=True) if item.basis else "",
                    t(f"status.{result.answer}", lang) if result.answer else "",
                    verdict_label(judgment["verdict"], lang) if judgment.get("verdict") else "",
                    str(judgment.get("rationale") or ""),
                    f"{verdict_label(str(override.get('from')), lang)} → {verdict_label(str(override.get('to')), lang)}"
                    if override
                    else "",
                    result.owner or "",
                    result.due_date or "",
                    sum(1 for f in own if f.verdict.value == "fail" and not f.accepted),
                    sum(1 for f in own if f.accepted),
                ]
            )
        return pd.DataFrame(rows, columns=[self._column(c) for c in ITEM_COLUMNS])


ITEM_COLUMNS = (
    "item",
    "title",
    "verdict",
    "automated",
    "basis",
    "answer",
    "judgment",
    "rationale",
    "override",
    "owner",
    "due_date",
    "fails",
    "accepted",
)
TODO_COLUMNS = ("section", "item", "title", "level", "point")


def _in_section(control_id: str, section: str) -> bool:
    """Whether an item is ``section`` itself (an item ID) or lies in it or in one of its subsections."""
    number = control_id.split("-", 1)[0]
    return control_id == section or number == section or number.startswith(f"{section}.")


def _points_html(control: Any, lang: str) -> str:
    """The points to confirm of an item as a nested list (sub-points under their sentence)."""
    points = checklist(control, lang)
    if not points:
        return f'<p class="note">{ui.esc(t("consultant.no_points", lang))}</p>'
    html, open_item, open_sub = ["<ul>"], False, False
    for point in points:
        if point.level == 0 or not open_item:
            html.append(("</ul>" if open_sub else "") + ("</li>" if open_item else ""))
            open_sub = False
            html.append(f"<li>{ui.esc(point.text)}")
            open_item = True
            continue
        if not open_sub:
            html.append("<ul>")
            open_sub = True
        html.append(f"<li>{ui.esc(point.text)}</li>")
    html.append(("</ul>" if open_sub else "") + "</li></ul>")
    return "".join(html)


def _points_text(control: Any, lang: str) -> str:
    from .catalog.checklist import checklist_text

    return checklist_text(control, lang) or t("consultant.no_points", lang)


def open_assessment(run_dir: str | Path | None = None, language: str | None = None, *earlier: Any) -> Walkthrough:
    """The finished run in ``run_dir``: its written results and its bundle, shown in ``language`` (default: the run's).

    Without ``run_dir``, or with a folder that holds no run, :class:`NotebookInputError` says how to make one:
    a notebook never collects and never evaluates. Notebooks executed by earlier kits call
    ``open_assessment(params_file, run_dir, language)``; that form is read so (the params file is not used).
    """
    if earlier:
        run_dir, language = language, earlier[0]
    if not run_dir:
        raise NotebookInputError(
            "run_dir is not set: a notebook shows a finished run and collects nothing itself. Fix: make a run "
            f"(e.g. the embedded demo: {MAKE_A_RUN}, or python -m assess_lib run --params FILE --out DIR), then "
            "either open that run's own notebooks, already executed (python -m assess_lib lab --run outputs/demo), "
            "or set run_dir to the run folder here (e.g. run_dir = 'outputs/demo', relative to this notebook's "
            "folder or to the kit's folder) and run all cells again."
        )
    folder = _resolve(run_dir)
    try:
        assessment = read_results(folder)
    except BundleNotFound:
        raise NotebookInputError(
            f"run_dir = {str(run_dir)!r}: no finished run in {folder} (expected {folder / 'evidence' / 'manifest.json'}). "
            f"Fix: set run_dir to a run folder written by 'python -m assess_lib run' or 'demo' (e.g. {MAKE_A_RUN}), "
            "relative to this notebook's folder or to the kit's folder; a notebook never collects by itself."
        ) from None
    except (BundleError, ResultsError) as err:
        raise NotebookInputError(f"run_dir = {str(run_dir)!r}: {err}") from None
    lang = language or (assessment.bundle.manifest.get("params") or {}).get("language") or "ja"
    return Walkthrough(assessment, "en" if lang == "en" else "ja")
