"""Publishing: the HTML report from the executed notebooks (nbconvert, code hidden)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

if TYPE_CHECKING:
    from ..pipeline import Assessment

# nbconvert's templates load require.js and MathJax from a CDN; the report must open offline.
_EXTERNAL_SCRIPT_RE = re.compile(r"<script[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", re.IGNORECASE)
_MATHJAX_BLOCK_RE = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)


def notebooks_html(notebooks: list[Path], title: str) -> str:
    """One HTML document from several executed notebooks, inputs hidden, no external scripts."""
    from nbconvert import HTMLExporter

    merged = nbformat.v4.new_notebook()
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        merged.cells.extend(c for c in notebook.cells if "parameters" not in c.get("metadata", {}).get("tags", []))
        merged.metadata = notebook.metadata
    merged.metadata["title"] = title
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(merged, resources={"metadata": {"name": title}})
    body = _MATHJAX_BLOCK_RE.sub("", body)
    return _EXTERNAL_SCRIPT_RE.sub("", body)


def publish(run_dir: Path, assessment: "Assessment", language: str) -> list[Path]:
    """Write report.html into ``run_dir`` from its executed notebooks."""
    notebooks = sorted((run_dir / "notebooks").glob("*.ipynb"))
    customer = assessment.bundle.manifest.get("customer", "")
    title = f"{customer} サイバーセキュリティガイドライン アセスメント報告書" if language == "ja" else f"{customer} FSA cybersecurity guideline assessment"
    out = run_dir / "report.html"
    out.write_text(notebooks_html(notebooks, title), encoding="utf-8")
    return [out]
