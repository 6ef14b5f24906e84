"""Notebook front-end: the one-line calls the section notebooks make.

``open_assessment`` loads an evaluated run (``run_dir``) or, when ``run_dir`` is None, collects one
first: from the params file, starting the embedded demo emulator when the params say
``endpoint_url: demo``. A ``run_dir`` that holds no bundle is an error, never a reason to collect.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from IPython.display import HTML, display

from .evidence import Bundle
from .params import DEMO, ParamsError, load_params
from .pipeline import Assessment, collect, evaluate, new_run_id
from .report import display as ui

REPO_ROOT = Path(__file__).resolve().parents[1]
STYLE = """<style>
.fsa-kit h2{border-bottom:2px solid #1a3c6e;color:#1a3c6e}
.fsa-kit blockquote.guideline{border-left:4px solid #1a3c6e;margin:0.5em 0;padding:0.3em 1em;background:#f4f6fa}
.fsa-kit p.note{color:#555;font-size:90%}
.fsa-kit table{border-collapse:collapse;font-size:90%}
.fsa-kit th,.fsa-kit td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
.fsa-kit th{background:#e8edf5}
</style>"""


def _resolve(path: str | Path) -> Path:
    """An absolute path: as given (relative to the kernel's folder), else relative to the repository.

    Jupyter starts a kernel in its notebook's folder, papermill in the caller's: ``../params/demo.yaml``
    (the notebooks' default) and ``outputs/my-bank`` are found from either.
    """
    candidate = Path(path).expanduser()
    if not (candidate.is_absolute() or candidate.exists()):
        for base in (REPO_ROOT, REPO_ROOT / "notebooks"):
            if (base / candidate).exists():
                candidate = base / candidate
                break
    return Path(os.path.abspath(candidate))  # normalised: "../x" names x, not notebooks/../x


class NotebookInputError(Exception):
    """A notebook parameter the consultant can fix; shown as its message alone, without a traceback."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: the frames of the kit would only hide the message.
        return [f"{type(self).__name__}: {self}"]


@dataclass
class Walkthrough:
    """An evaluated assessment plus the display calls of the notebooks."""

    assessment: Assessment
    language: str = "ja"

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        return {r["control_id"]: r for r in self.assessment.controls}

    def _show(self, body: str) -> None:
        display(HTML(f'{STYLE}<div class="fsa-kit">{self._unverified()}{body}</div>'))

    def _unverified(self) -> str:
        """A red line above everything shown when the run's bundle did not verify (report --allow-unverified)."""
        if not self.assessment.bundle.verification:
            return ""
        text = ui.report_text()["document"]
        lang = "ja" if self.language == "ja" else "en"
        return (
            '<p style="border:2px solid #b00020;background:#fdecee;color:#7a0014;padding:4px 8px">'
            f"<strong>{ui.esc(text['unverified_header'][lang])}</strong><br>{ui.esc(text['unverified_banner'][lang])}</p>"
        )

    def header(self, section: str) -> None:
        """Section heading, scope of the evidence and the verdict per item."""
        lang = self.language
        controls = self.assessment.catalog.by_section(section)
        title = controls[0].section_title(lang) if controls else section
        manifest = self.assessment.bundle.manifest
        accounts = ", ".join(manifest.get("accounts", []))
        scope = (
            f"顧客: {manifest.get('customer')} ／ 対象アカウント: {accounts} ／ 証跡収集: {manifest.get('started_at')} ／ 証跡ID: {manifest.get('run_id')}"
            if lang == "ja"
            else f"Customer: {manifest.get('customer')} / accounts: {accounts} / evidence collected: {manifest.get('started_at')} / bundle: {manifest.get('run_id')}"
        )
        rows = "".join(
            f"<tr><td>{ui.esc(c.control_id)}</td><td>{ui.esc(c.title(lang))}</td><td>{ui.verdict_badge(self.results[c.control_id]['verdict'], lang)}</td>"
            f"<td>{ui.esc(self._basis(c.control_id))}</td></tr>"
            for c in controls
        )
        self._show(
            f"<h2>{ui.esc(section)} {ui.esc(title)}</h2><p>{ui.esc(scope)}</p>"
            f"<table><thead><tr><th>{ui.esc(ui.t('control', lang))}</th><th>{ui.esc(ui.t('title', lang))}</th>"
            f"<th>{ui.esc(ui.t('verdict', lang))}</th><th>{ui.esc(ui.t('basis', lang))}</th></tr></thead><tbody>{rows}</tbody></table>"
        )

    def _basis(self, control_id: str) -> str:
        """The basis of a decided verdict in a few words (empty while undecided)."""
        basis = self.results[control_id].get("basis")
        return ui.basis_label(basis, self.language, short=True) if basis else ""

    def summary(self) -> None:
        """Verdict counts per section, then every item with its verdict."""
        lang = self.language
        catalog = self.assessment.catalog
        frame = ui.section_summary_frame(self.assessment, lang)
        items = "".join(
            f"<tr><td>{ui.esc(c.control_id)}</td><td>{ui.esc(c.title(lang))}</td>"
            f"<td>{ui.verdict_badge(self.results[c.control_id]['verdict'], lang)}</td><td>{ui.esc(self._basis(c.control_id))}</td></tr>"
            for c in catalog
        )
        self._show(
            ui.frame_html(frame)
            + f"<table><thead><tr><th>{ui.esc(ui.t('control', lang))}</th><th>{ui.esc(ui.t('title', lang))}</th>"
            f"<th>{ui.esc(ui.t('verdict', lang))}</th><th>{ui.esc(ui.t('basis', lang))}</th></tr></thead><tbody>{items}</tbody></table>"
        )

    def layers(self):
        """Defense-in-depth layer table (entrance / internal / exit) per account."""
        return ui.layers_frame(self.assessment.findings, self.language)

    def collection_errors(self):
        """Datasets that could not be gathered, with the cause and the IAM action."""
        return ui.evidence_errors_frame(self.assessment, None, self.language)

    def item(self, control_id: str, evidence_rows: int = 15, finding_rows: int = 50) -> None:
        """One guideline item: text, consultant view, AWS realisation, verdict, findings, evidence.

        The findings table shows the ``finding_rows`` most serious; ``findings(control_id)`` has them all.
        """
        lang = self.language
        control = self.assessment.catalog.get(control_id)
        findings = [f for f in self.assessment.findings if f.control_id == control_id]
        body = ui.control_html(control, self.results[control_id], lang)
        body += ui.findings_html(findings, lang, limit=finding_rows, item=control_id)
        body += ui.remediation_html(list(control.checks), findings, lang)
        self._show(body)
        # The rows the item's findings refer to (per account), readable: the same selection as the report.
        tables = ui.item_evidence(self.assessment, control_id)
        if tables:
            parts = [f'<p class="note">{ui.esc(ui.t("evidence_scope_note", lang))}</p>']
            for shown in tables:
                table = ui.evidence_table(shown["frame"], shown["dataset"], lang, evidence_rows)
                caption = ui.dataset_caption(shown["dataset"], table["total"], table["shown"], lang)
                parts.append(f"<p><b>{ui.esc(caption)}</b></p>{ui.evidence_table_html(table)}")
            self._show("".join(parts))
        errors = ui.evidence_errors_frame(self.assessment, self.datasets(control_id), lang)
        if not errors.empty:
            self._show(f"<p><b>{ui.esc(ui.t('error_evidence', lang))}</b></p>{ui.frame_html(errors)}")

    def datasets(self, control_id: str) -> list[str]:
        from .checks import registry

        specs = registry()
        control = self.assessment.catalog.get(control_id)
        seen: list[str] = []
        for check_id in control.checks:
            for dataset in specs[check_id].datasets if check_id in specs else ():
                if dataset not in seen:
                    seen.append(dataset)
        return seen

    def section(self, section: str) -> None:
        """Every item of a section in guideline order."""
        for control in self.assessment.catalog.by_section(section):
            self.item(control.control_id)

    def chart(self, section: str | None = None) -> None:
        """Verdicts per item as a stacked bar chart (matplotlib, Japanese labels), with its alternative text."""
        results = [r for r in self.assessment.controls if section is None or r["section"] == section]
        results = [r for r in results if r["checks"]]
        findings = [f for f in self.assessment.findings if section is None or f.control_id.startswith(f"{section}-")]
        figure = ui.verdict_chart(results, findings, self.language)
        display(HTML(ui.chart_html(figure, ui.chart_alt(results, findings, self.language))))

    def findings(self, section: str | None = None):
        """Findings of a section (``"2.3.1"``) or of one item (``"2.3.1-5"``) as a pandas DataFrame."""
        chosen = [
            f
            for f in self.assessment.findings
            if section is None or f.control_id == section or f.control_id.startswith(f"{section}-")
        ]
        return ui.findings_frame(chosen, self.language)

    def evidence(self, dataset: str):
        """A dataset of the bundle as a pandas DataFrame."""
        return ui.evidence_frame(self.assessment, dataset)


def open_assessment(params_file: str | None = None, run_dir: str | None = None, language: str | None = None) -> Walkthrough:
    """Load the evaluated run in ``run_dir``; with ``run_dir`` None, collect a fresh one from ``params_file``.

    A ``run_dir`` without a bundle raises :class:`NotebookInputError`: collecting is asked for by
    ``run_dir = None``, never done because a folder name was wrong.
    """
    if run_dir:
        folder = _resolve(run_dir)
        try:
            bundle = Bundle.load(folder)
        except FileNotFoundError:
            raise NotebookInputError(
                f"run_dir = {str(run_dir)!r}: no evidence bundle in {folder} (expected {folder / 'evidence' / 'manifest.json'}). "
                "Fix: set run_dir to a run folder written by 'python -m assess_lib run' or 'demo' (relative to this "
                "notebook's folder or to the repository), or set run_dir = None to collect afresh from params_file."
            ) from None
        from .bundle_check import recorded_problems

        # The bundle is checked against its manifest whenever a notebook opens it (a run folder reopened in
        # JupyterLab may have been edited since): what does not match is shown as unverified above everything,
        # as is a re-render that was made from a bundle that did not verify.
        bundle.verification = bundle.verify() or recorded_problems(bundle)
        lang = language or (bundle.manifest.get("params") or {}).get("language") or "ja"
        return Walkthrough(evaluate(bundle), lang)
    if not params_file:
        raise NotebookInputError(
            "params_file and run_dir are both empty: nothing to assess. Fix: set run_dir to a run folder, "
            "or params_file to a params file (e.g. '../params/demo.yaml' for the embedded demo)."
        )
    try:
        params = load_params(_resolve(params_file))
    except ParamsError as err:
        raise NotebookInputError(str(err)) from None
    target = REPO_ROOT / "outputs" / "notebook-runs" / new_run_id()
    if params.aws.endpoint_url == DEMO:
        from .demo import demo_environment

        with demo_environment() as demo:
            bundle = collect(
                params, target, endpoint_url=demo.aws_url, dns_nameservers=demo.dns_nameservers, credentials=demo.credentials
            )
    else:
        bundle = collect(params, target)
    return Walkthrough(evaluate(bundle, params.thresholds), language or params.language)
