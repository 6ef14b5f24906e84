"""Publishing: the annotated assessment document (HTML, PDF) and the workbook, in both languages.

``report.html`` / ``report.pdf`` / ``findings.xlsx`` (the contract names) are in the run's
language; ``report.<other>.html`` / ``.pdf`` and ``findings.<other>.xlsx`` hold the other one.
The executed notebooks are also converted to HTML (``notebooks/<name>.html``, code hidden,
external scripts stripped: :mod:`.notebook_html`) as a by-product for the live walkthrough.

Publishing reads only the assessment and the saved bundle: it runs offline.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from collections.abc import Iterable
from typing import Any

from .document import build_document, other_language, render_html
from .notebook_html import publish_notebooks
from .pdf import render_pdf
from .view import ReportView
from .xlsx import write_workbook

log = logging.getLogger(__name__)

FORMATS = ("html", "pdf", "xlsx", "notebooks")


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


__all__ = ["FORMATS", "output_names", "publish"]
