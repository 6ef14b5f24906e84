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
from pathlib import Path
from collections.abc import Iterable
from typing import Any

import nbformat

from .document import build_document, other_language, render_html
from .pdf import render_pdfs
from .view import ReportView
from .xlsx import write_workbook

log = logging.getLogger(__name__)

FORMATS = ("html", "pdf", "xlsx", "notebooks")

# nbconvert's templates load require.js and MathJax from a CDN; the by-product must open offline.
_EXTERNAL_SCRIPT_RE = re.compile(r"<script[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", re.IGNORECASE)
_MATHJAX_BLOCK_RE = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)


def notebook_exporter() -> Any:
    """nbconvert's HTML exporter as the kit uses it: inputs and prompts hidden. Reuse one: it compiles its templates once."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)


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
    Returns the files written, the run language's HTML first. The view model of each language is built
    once and read by the document and the workbook.
    """
    run_dir = Path(run_dir)
    wanted = set(formats)
    names = output_names(language)
    chosen = list(names) if languages is None else [lang for lang in names if lang in set(languages)]
    views = {lang: ReportView(assessment, lang) for lang in chosen} if wanted & {"html", "pdf", "xlsx"} else {}
    documents = {lang: build_document(assessment, lang, view=views[lang]) for lang in chosen} if wanted & {"html", "pdf"} else {}
    written: list[Path] = []
    for lang in chosen:
        if "html" in wanted:
            target = run_dir / names[lang]["html"]
            target.write_text(render_html(documents[lang]), encoding="utf-8")
            written.append(target)
        if "xlsx" in wanted:
            written.append(write_workbook(assessment, run_dir / names[lang]["xlsx"], lang, view=views[lang]))
    if "pdf" in wanted:
        # Typst typesets a language's PDF in well under a second: in-process, one compiler for both.
        written.extend(render_pdfs((documents[lang], run_dir / names[lang]["pdf"]) for lang in chosen))
    if "notebooks" in wanted:
        customer = str(assessment.bundle.manifest.get("customer") or "")
        written.extend(publish_notebooks(run_dir, customer))
    return written


__all__ = ["FORMATS", "notebook_exporter", "notebooks_html", "output_names", "publish", "publish_notebook", "publish_notebooks"]
