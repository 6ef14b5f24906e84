"""Writes the kit's thin notebooks (clean, no outputs). Run after changing this file:

    .venv/bin/python tools/make_notebooks.py

Each notebook is a `parameters` cell and one-line calls into assess_lib; all logic
stays in the library.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

OUT = Path(__file__).resolve().parents[1] / "notebooks"

PARAMETERS = '''# Parameters (papermill: -p params_file FILE -p run_dir DIR -p language en)
# params_file: the embedded demo (デモ銀行) by default, no credentials needed.
# run_dir: a run folder holding an evidence bundle; None collects now from params_file.
# language: ja or en; None takes the language of the params file.
params_file = "../params/demo.yaml"
run_dir = None
language = None'''

OPEN = "from assess_lib.notebook import open_assessment\n\nkit = open_assessment(params_file, run_dir, language)"

SECTIONS = {
    "2.3.1": ("2_3_1_authentication", "認証・アクセス管理", "Authentication and Access Management", 8),
}


def section_notebook(section: str, ja: str, en: str, items: int) -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            f"# {section} {ja} / {en}\n\n"
            "金融分野におけるサイバーセキュリティに関するガイドラインの本節について、ガイドライン本文・当社見解・"
            "AWS上の証跡・判定を項目ごとに示します。 / For each item of this section: the guideline text, our view, "
            "the AWS evidence and the verdict.\n\n"
            "*Run All* で既定のデモ環境（デモ銀行）に対して実行できます。 / *Run All* works on the embedded demo."
        ),
        new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
        new_code_cell(OPEN),
        new_code_cell(f'kit.header("{section}")'),
        new_code_cell(f'kit.chart("{section}");'),
    ]
    for number in range(1, items + 1):
        cells.append(new_code_cell(f'kit.item("{section}-{number}")'))
    cells.append(new_markdown_cell("## 検出事項一覧 / All findings"))
    cells.append(new_code_cell(f'kit.findings("{section}")'))
    return _notebook(cells)


def summary_notebook() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            "# アセスメント概要 / Assessment summary\n\n"
            "ガイドライン全項目の判定の一覧です。 / Verdicts of every guideline item."
        ),
        new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
        new_code_cell(OPEN),
        new_code_cell("kit.summary()"),
        new_code_cell("kit.chart();"),
        new_code_cell("kit.collection_errors()"),
    ]
    return _notebook(cells)


def _notebook(cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main() -> None:
    OUT.mkdir(exist_ok=True)
    nbformat.write(summary_notebook(), OUT / "00_summary.ipynb")
    for section, (name, ja, en, items) in SECTIONS.items():
        nbformat.write(section_notebook(section, ja, en, items), OUT / f"{name}.ipynb")


if __name__ == "__main__":
    main()
