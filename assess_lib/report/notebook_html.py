"""The executed notebooks as HTML pages (``notebooks/<name>.html``): code and prompts hidden, no external script.

Apart from the report's modules: the notebooks' process (:mod:`assess_lib._notebooks`) converts each notebook as soon
as it ran, and imports only this (nbconvert, nbformat), not the report's view model, pandas or the typesetter.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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
    import nbformat

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


__all__ = ["NO_ALT_TEXT", "notebook_exporter", "notebooks_html", "publish_notebook", "publish_notebooks"]
