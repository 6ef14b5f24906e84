"""Publishing: the annotated assessment document (HTML, PDF) and the workbook, in both languages.

``report.html`` / ``report.pdf`` / ``findings.xlsx`` (the contract names) are in the run's
language; ``report.<other>.html`` / ``.pdf`` and ``findings.<other>.xlsx`` hold the other one.
The executed notebooks are also converted to HTML (``notebooks/<name>.html``, code hidden,
external scripts stripped) as a by-product for the live walkthrough.

Publishing reads only the assessment and the saved bundle: it runs offline.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from collections.abc import Iterable
from typing import Any

import nbformat

from .document import build_document, other_language, render_html
from .pdf import render_pdf
from .view import ReportView
from .xlsx import write_workbook

log = logging.getLogger(__name__)

FORMATS = ("html", "pdf", "xlsx", "notebooks")

# nbconvert's templates load require.js and MathJax from a CDN; the by-product must open offline.
_EXTERNAL_SCRIPT_RE = re.compile(r"<script[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", re.IGNORECASE)
_MATHJAX_BLOCK_RE = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)


# What nbconvert's HTMLExporter adds in a last pass through BeautifulSoup (which parsed and wrote the whole page again:
# about a third of a notebook's conversion): a text for images that have none, and outputs reachable by keyboard.
_IMG_WITHOUT_ALT_RE = re.compile(r"<img(?![^>]*\balt=)", re.IGNORECASE)
_FOCUSABLE_RE = re.compile(r'(<div class="(?:[^"]*\s)?(?:jp-OutputArea-output|jp-Cell-inputWrapper)(?:\s[^"]*)?")')
NO_ALT_TEXT = "No description has been provided for this image"


def notebook_exporter() -> Any:
    """nbconvert's HTML exporter as the kit uses it: inputs and prompts hidden, the notebook validated once (not after
    each of its preprocessors). Reuse one: it compiles its templates once."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class NotebookHtml(HTMLExporter):  # type: ignore[misc]
        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> tuple[str, Any]:
            # HTMLExporter.from_notebook_node (nbconvert 7.17) without its BeautifulSoup pass, done by _accessible.
            info = nb.metadata.get("language_info", {})
            lexer = info.get("pygments_lexer", info.get("name", None))
            highlight = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            widgets = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources)
            self.register_filter("highlight_code", highlight)
            self.register_filter("filter_data_type", widgets)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _accessible(html), resources

    return NotebookHtml(
        template_name="lab",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        optimistic_validation=True,
    )


def _accessible(html: str) -> str:
    """Images given a text where they have none, outputs made reachable by keyboard (as nbconvert's HTMLExporter does)."""
    html = _IMG_WITHOUT_ALT_RE.sub(f'<img alt="{NO_ALT_TEXT}"', html)
    return _FOCUSABLE_RE.sub(r'\1 tabindex="0"', html)


def notebooks_html(notebooks: list[Path], title: str, exporter: Any = None) -> str:
    """One HTML document from executed notebooks, inputs hidden, no external scripts (``exporter``: see above)."""
    merged = nbformat.v4.new_notebook()
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        merged.cells.extend(c for c in notebook.cells if "parameters" not in c.get("metadata", {}).get("tags", []))
        merged.metadata = notebook.metadata
    merged.metadata["title"] = title
    body, _ = (exporter or notebook_exporter()).from_notebook_node(merged, resources={"metadata": {"name": title}})
    body = _MATHJAX_BLOCK_RE.sub("", body)
    return _EXTERNAL_SCRIPT_RE.sub("", body)


def publish_notebook(notebook: Path, customer: str, exporter: Any = None) -> Path:
    """``<name>.html`` beside one executed notebook."""
    target = notebook.with_suffix(".html")
    target.write_text(notebooks_html([notebook], f"{customer} — {notebook.stem}", exporter), encoding="utf-8")
    return target


def publish_notebooks(run_dir: Path, customer: str) -> list[Path]:
    """``notebooks/<name>.html`` for every executed notebook of the run."""
    exporter = notebook_exporter()
    return [publish_notebook(notebook, customer, exporter) for notebook in sorted((run_dir / "notebooks").glob("*.ipynb"))]


def output_names(language: str) -> dict[str, dict[str, str]]:
    """File names per language: the run's language gets the contract names."""
    lang = "ja" if language == "ja" else "en"
    other = other_language(lang)
    return {
        lang: {"html": "report.html", "pdf": "report.pdf", "xlsx": "findings.xlsx"},
        other: {"html": f"report.{other}.html", "pdf": f"report.{other}.pdf", "xlsx": f"findings.{other}.xlsx"},
    }


def publish(
    run_dir: Path,
    assessment: Any,
    language: str,
    *,
    formats: Iterable[str] = FORMATS,
    languages: Iterable[str] | None = None,
) -> list[Path]:
    """Write the report (HTML, PDF), the workbook and the notebooks' HTML into ``run_dir``.

    ``formats`` and ``languages`` narrow the output (both languages and every format by default).
    Returns the files written, the run language's HTML first and the PDFs last. The view model of each language is
    built once and read by the document and the workbook.
    """
    run_dir = Path(run_dir)
    wanted = set(formats)
    names = output_names(language)
    chosen = list(names) if languages is None else [lang for lang in names if lang in set(languages)]
    written: list[Path] = []
    pdfs: list[Future[Path]] = []
    views: dict[str, ReportView] = {}
    for lang in chosen if wanted & {"html", "pdf", "xlsx"} else []:
        views[lang] = ReportView(assessment, lang, share=next(iter(views.values()), None))
    # Each language's PDF is typeset in a thread of its own (Typst releases the GIL), started as soon as its document
    # is built: the HTML and the workbooks are written meanwhile.
    with ThreadPoolExecutor(max_workers=max(1, len(chosen)), thread_name_prefix="typeset") as typesetting:
        documents = {}
        for lang in views:
            if wanted & {"html", "pdf"}:
                documents[lang] = build_document(assessment, lang, view=views[lang])
            if "pdf" in wanted:
                pdfs.append(typesetting.submit(render_pdf, documents[lang], run_dir / names[lang]["pdf"]))
        for lang in views:
            if "html" in wanted:
                target = run_dir / names[lang]["html"]
                target.write_text(render_html(documents[lang]), encoding="utf-8")
                written.append(target)
            if "xlsx" in wanted:
                written.append(write_workbook(assessment, run_dir / names[lang]["xlsx"], lang, view=views[lang]))
        written.extend(pdf.result() for pdf in pdfs)
    if "notebooks" in wanted:
        customer = str(assessment.bundle.manifest.get("customer") or "")
        written.extend(publish_notebooks(run_dir, customer))
    return written


__all__ = ["FORMATS", "notebook_exporter", "notebooks_html", "output_names", "publish", "publish_notebook", "publish_notebooks"]
