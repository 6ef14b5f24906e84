"""Writes the kit's thin notebooks (clean, no outputs). Run after changing this file:

    .venv/bin/python tools/make_notebooks.py

Each notebook is a `parameters` cell and one-line calls into assess_lib; all logic
stays in the library.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

OUT = Path(__file__).resolve().parents[1] / "notebooks"

PARAMETERS = """# Parameters (papermill: -p params_file FILE -p run_dir DIR -p language en)
# params_file: the embedded demo (デモ銀行) by default, no credentials needed.
# run_dir: a run folder holding an evidence bundle (an error if it holds none); None collects now from params_file.
# language: ja or en; None takes the language of the params file.
params_file = "../params/demo.yaml"
run_dir = None
language = None"""

OPEN = "from assess_lib.notebook import open_assessment\n\nkit = open_assessment(params_file, run_dir, language)"

# One notebook per guideline section (or group of sections); the items come from the catalogue.
# name -> (heading number, ja, en, sections, extra cells after the opening: (markdown, code))
NOTEBOOKS = {
    "2_1_governance": (
        "2.1",
        "サイバーセキュリティ管理態勢の構築",
        "Establishing a Cybersecurity Management Framework",
        ["2.1.1", "2.1.2"],
        [
            (
                "## 回答ファイル / Attestation file\n\n組織的な項目の証跡は、お客様の回答ファイル（YAMLまたはExcel回答シート）です。"
                "回答のない項目は「要確認」となり、確認すべき質問を示します。 / Organisational items rest on the customer's "
                "attestation file (YAML or the Excel questionnaire); an item without an answer is *needs review*, with the question to ask.",
                'kit.evidence("attestation.file")',
            )
        ],
    ),
    "2_3_defense_in_depth": (
        "2.3",
        "サイバー攻撃の防御（多層防御）",
        "Cyberattack Defense (defense in depth)",
        ["2.3"],
        [
            (
                "## 多層防御の層別評価 / Layers of defense\n\n入口・内部・出口の各層の対策状況をアカウントごとに示します。 / "
                "Entrance, internal and exit measures per account.",
                "kit.layers()",
            )
        ],
    ),
    "2_3_1_authentication": (
        "2.3.1",
        "認証・アクセス管理",
        "Authentication and Access Management",
        ["2.3.1"],
        [],
    ),
}


def section_notebook(chapter: str, ja: str, en: str, sections: list[str], extra: list[tuple[str, str]]) -> nbformat.NotebookNode:
    from assess_lib.catalog import load_catalog

    catalog = load_catalog()
    cells = [
        new_markdown_cell(
            f"# {chapter} {ja} / {en}\n\n"
            "金融分野におけるサイバーセキュリティに関するガイドラインの本節について、ガイドライン本文・当社見解・"
            "証跡・判定を項目ごとに示します。 / For each item of this section: the guideline text, our view, "
            "the evidence and the verdict.\n\n"
            "*Run All* で既定のデモ環境（デモ銀行）に対して実行できます。 / *Run All* works on the embedded demo."
        ),
        new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
        new_code_cell(OPEN),
    ]
    for markdown, code in extra:
        cells += [new_markdown_cell(markdown), new_code_cell(code)]
    for section in sections:
        controls = catalog.by_section(section)
        cells.append(new_markdown_cell(f"## {section} {controls[0].section_title_ja} / {controls[0].section_title_en}"))
        cells.append(new_code_cell(f'kit.header("{section}")'))
        if any(c.checks for c in controls):
            cells.append(new_code_cell(f'kit.chart("{section}");'))
        cells += [new_code_cell(f'kit.item("{c.control_id}")') for c in controls]
        cells.append(new_markdown_cell(f"### {section} 検出事項一覧 / All findings"))
        cells.append(new_code_cell(f'kit.findings("{section}")'))
    return _notebook(cells)


def summary_notebook() -> nbformat.NotebookNode:
    cells = [
        new_markdown_cell(
            "# アセスメント概要 / Assessment summary\n\nガイドライン全項目の判定の一覧です。 / Verdicts of every guideline item."
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
    for index, cell in enumerate(nb.cells):
        # Deterministic cell ids: regenerating leaves unchanged notebooks byte-identical (clean diffs).
        cell["id"] = hashlib.sha1(f"{index}:{cell.source}".encode()).hexdigest()[:8]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main() -> None:
    OUT.mkdir(exist_ok=True)
    nbformat.write(summary_notebook(), OUT / "00_summary.ipynb")
    for name, (chapter, ja, en, sections, extra) in NOTEBOOKS.items():
        nbformat.write(section_notebook(chapter, ja, en, sections, extra), OUT / f"{name}.ipynb")


if __name__ == "__main__":
    main()
