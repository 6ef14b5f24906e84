"""Writes the kit's thin notebooks (clean, no outputs) from the guideline catalogue: ``make notebooks``.

One notebook per top-level section of the guideline (2.1 ... 2.6) holding every subsection and item of it, plus
the summary, into ``assess_lib/notebooks/`` (shipped inside the package). Each is a markdown title, a
``parameters`` cell, the opening call and one-line calls into assess_lib; headings and prose come from the text
catalogue (``assess_lib/text/notebooks.yaml``), section and item titles from the guideline catalogue. The test
suite fails when the committed notebooks differ from what this writes (tests/test_notebooks.py).

    .venv/bin/python tools/make_notebooks.py
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from assess_lib._notebooks import NOTEBOOK_DIR
from assess_lib.catalog import Catalog, load_catalog
from assess_lib.core.text import t

SUMMARY = "00_summary"
# File names of the top-level sections (a section missing here is named by its number alone).
FILE_NAMES = {
    "2.1": "2_1_governance",
    "2.2": "2_2_risk_identification",
    "2.3": "2_3_defense",
    "2.4": "2_4_detection",
    "2.5": "2_5_response_recovery",
    "2.6": "2_6_third_party",
}
# Cells of a top-level section shown after the opening: (text catalogue key of the heading and text, code).
SPECIAL = {
    "2.1": [("notebook.attestation", 'kit.evidence("attestation.file")')],
    "2.3": [("notebook.layers", "kit.layers()")],
}
# Cells of a subsection shown after its items: (text catalogue key of the heading and text, code).
SECTION_EXTRA = {
    "2.2.1.4": [
        (
            "network.notebook",
            "from assess_lib.report.network_diagram import show as network_diagrams\n\nnetwork_diagrams(kit.view)",
        )
    ],
}

# The how-to stays in the parameters cell: the HTML copies of a run's notebooks (for the customer) leave it out.
PARAMETERS = """# Parameters (papermill: -p run_dir DIR -p language en). This notebook shows a finished run and never collects.
# run_dir: the folder of a finished run, e.g. made by: python -m assess_lib demo --out outputs/demo (then
#   run_dir = "outputs/demo"), relative to this notebook's folder or to the kit's folder. A run's own executed
#   copies (python -m assess_lib lab --run DIR opens them) say "..". None: a message says how to make a run.
# language: ja or en; None shows the run's language.
run_dir = None
language = None"""

OPEN = "from assess_lib.notebook import open_assessment\n\nkit = open_assessment(run_dir, language)"


def both(key: str, **values: str) -> str:
    """Japanese then English, as two paragraphs."""
    return f"{t(key, 'ja', **values)}\n\n{t(key, 'en', **values)}"


def heading(level: int, number: str, ja: str, en: str) -> str:
    return f"{'#' * level} {number} {ja} / {en}"


def opening(title: str) -> list[nbformat.NotebookNode]:
    """Title and prose, the parameters cell, the opening call."""
    return [
        new_markdown_cell(title),
        new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
        new_code_cell(OPEN),
    ]


def section_notebook(catalog: Catalog, chapter: str) -> nbformat.NotebookNode:
    """Every subsection and item of the top-level section ``chapter``, in guideline order."""
    sections = [s for s in catalog.sections() if s == chapter or s.startswith(chapter + ".")]
    first = catalog.by_section(sections[0])[0]
    title = heading(1, chapter, first.chapter_title("ja"), first.chapter_title("en"))
    cells = opening(f"{title}\n\n{both('notebook.section.intro')}")
    for key, code in SPECIAL.get(chapter, []):
        special = f"## {t(key + '.heading', 'ja')} / {t(key + '.heading', 'en')}\n\n{both(key + '.text')}"
        cells += [new_markdown_cell(special), new_code_cell(code)]
    for section in sections:
        controls = catalog.by_section(section)
        cells.append(new_markdown_cell(heading(2, section, controls[0].section_title("ja"), controls[0].section_title("en"))))
        cells.append(new_code_cell(f'kit.header("{section}")'))
        checked = any(c.checks for c in controls)
        if checked:
            cells.append(new_code_cell(f'kit.chart("{section}");'))
        # One cell shows every item of the subsection (kit.item(ID) shows one): a cell per item cost papermill
        # about a second per ten cells, for the same output.
        cells.append(new_code_cell(f'kit.section("{section}")'))
        for key, code in SECTION_EXTRA.get(section, []):
            extra = f"### {t(key + '.heading', 'ja')} / {t(key + '.heading', 'en')}\n\n{both(key + '.text')}"
            cells += [new_markdown_cell(extra), new_code_cell(code)]
        if checked:
            findings = f"### {t('notebook.section.findings', 'ja', section=section)} / {t('notebook.section.findings', 'en', section=section)}"
            cells += [new_markdown_cell(findings), new_code_cell(f'kit.findings("{section}")')]
    return _notebook(cells)


def summary_notebook() -> nbformat.NotebookNode:
    title = f"# {t('notebook.summary.title', 'ja')} / {t('notebook.summary.title', 'en')}"
    cells = opening(f"{title}\n\n{both('notebook.summary.intro')}")
    cells += [
        new_code_cell("kit.summary()"),
        new_markdown_cell(f"## {t('notebook.summary.chart', 'ja')} / {t('notebook.summary.chart', 'en')}"),
        new_code_cell("kit.chart();"),
        new_markdown_cell(
            f"## {t('notebook.summary.errors', 'ja')} / {t('notebook.summary.errors', 'en')}\n\n{both('notebook.summary.errors_text')}"
        ),
        new_code_cell("kit.collection_errors()"),
        # The consultant's list for the meeting: the summary notebook is the consultant's (the customer's report is
        # published separately), so the points to confirm may be shown here and only here.
        new_markdown_cell(
            f"## {t('notebook.summary.todo', 'ja')} / {t('notebook.summary.todo', 'en')}\n\n{both('notebook.summary.todo_text')}"
        ),
        new_code_cell("kit.todo()"),
    ]
    return _notebook(cells)


def _notebook(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    for index, cell in enumerate(nb.cells):
        # Deterministic cell ids: regenerating leaves unchanged notebooks byte-identical (clean diffs).
        cell["id"] = hashlib.sha1(f"{index}:{cell.source}".encode()).hexdigest()[:8]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def chapters(catalog: Catalog) -> list[str]:
    """The top-level sections (2.1 ... 2.6) in guideline order."""
    return list(dict.fromkeys(c.chapter for c in catalog))


def build() -> dict[str, str]:
    """File name -> the text of every notebook, as written (summary first)."""
    catalog = load_catalog()
    notebooks = {SUMMARY: summary_notebook()}
    for chapter in chapters(catalog):
        notebooks[FILE_NAMES.get(chapter, chapter.replace(".", "_"))] = section_notebook(catalog, chapter)
    return {f"{name}.ipynb": render(nb) for name, nb in notebooks.items()}


def render(nb: nbformat.NotebookNode) -> str:
    """The file's text, as nbformat.write writes it."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def main(out: Path = NOTEBOOK_DIR) -> int:
    out.mkdir(exist_ok=True)
    wanted = build()
    for stale in sorted(set(p.name for p in out.glob("*.ipynb")) - set(wanted)):
        (out / stale).unlink()
        print(f"removed {out / stale}")
    for name, text in wanted.items():
        target = out / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
