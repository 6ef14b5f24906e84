"""Notebook front-end: the one-line calls the section notebooks make.

``open_assessment(run_dir)`` opens a finished run: the results it wrote (``findings.json``, ``controls.json``)
and its evidence bundle. A notebook never collects and never evaluates: what it shows is what the run decided.
Without a run folder it stops with a message saying how to make one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from IPython.display import HTML, display

from .bundle_check import BundleError, BundleNotFound
from .core.model import Assessment
from .core.text import t
from .report import display as ui
from .report.view import ReportView
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

    def _show(self, body: str) -> None:
        display(HTML(f'{STYLE}<div class="fsa-kit">{self._unverified()}{body}</div>'))

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

    def item(self, control_id: str, evidence_rows: int = 15, finding_rows: int = 50) -> None:
        """One guideline item: text, consultant view, AWS realisation, verdict, findings, evidence.

        The findings table shows the ``finding_rows`` most serious; ``findings(control_id)`` has them all.
        """
        self._show(ui.item_html(self.view, control_id, finding_rows=finding_rows, evidence_rows=evidence_rows))

    def section(self, section: str) -> None:
        """Every item of a section in guideline order."""
        for control in self.assessment.catalog.by_section(section):
            self.item(control.control_id)

    def chart(self, section: str | None = None) -> None:
        """Verdicts per item as a stacked bar chart (matplotlib, Japanese labels), with its alternative text."""
        items = [r for r in self.assessment.items if (section is None or r.section == section) and r.checks]
        findings = [f for f in self.assessment.findings if section is None or f.control_id.startswith(f"{section}-")]
        figure = ui.verdict_chart(items, findings, self.language)
        display(HTML(ui.chart_html(figure, ui.chart_alt(items, findings, self.language))))

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
