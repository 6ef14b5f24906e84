"""Notebooks as batch users run them: the papermill command line on the demo params."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_papermill_command_line_runs_section_notebook(tmp_path):
    out = tmp_path / "out.ipynb"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            "notebooks/2_3_1_authentication.ipynb",
            str(out),
            "-p",
            "params_file",
            "params/demo.yaml",
            "-p",
            "language",
            "en",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    notebook = json.loads(out.read_text(encoding="utf-8"))
    outputs = json.dumps([c.get("outputs", []) for c in notebook["cells"] if c["cell_type"] == "code"], ensure_ascii=False)
    assert '"output_type": "error"' not in outputs
    assert "suzuki.ichiro" in outputs and "Non-compliant" in outputs
    assert "image/png" in outputs  # the chart


def test_committed_notebooks_have_no_outputs():
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and not cell.get("execution_count"), path.name
        code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
        assert "boto3" not in code and "for " not in code, f"logic in {path.name}"
        assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in notebook["cells"])


def test_chart_has_no_missing_glyph_warnings():
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    from assess_lib.findings import Finding, Verdict
    from assess_lib.report.display import verdict_chart

    finding = Finding("iam_root_mfa", "2.3.1-5", Verdict.FAIL, "1", "global", "root", "ルート", "root")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = verdict_chart([{"control_id": "2.3.1-5"}], [finding], "ja", "認証・アクセス管理")
        fig.savefig(Path("/dev/null"), format="png")
    assert not [w for w in caught if "missing from font" in str(w.message) or "Glyph" in str(w.message)]


def test_layer_table_reads_the_layer_states():
    from assess_lib.findings import Finding, Verdict
    from assess_lib.report.display import layers_frame

    details = {"entrance": "present", "internal": "partial", "exit": "missing", "layers": {"entrance": {"state": "present"}}}
    finding = Finding(
        "defense_in_depth_layers", "2.3-1", Verdict.FAIL, "123456789012", "global", "123456789012", "ja", "en", details
    )
    frame = layers_frame([finding, finding], "ja")
    assert frame.to_dict("records") == [
        {"アカウント": "123456789012", "入口対策": "対策あり", "内部対策": "一部", "出口対策": "対策なし", "判定": "不適合"}
    ]
    assert layers_frame([finding], "en").iloc[0]["Exit"] == "missing"


def test_a_reused_kernel_starts_each_notebook_from_an_empty_namespace(tmp_path):
    """The run's kernel pool: the same kernel process, but nothing of one notebook left for the next."""
    import nbformat
    import papermill

    from assess_lib.kernels import KernelPool

    def notebook(name: str, *sources: str) -> Path:
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
        path = tmp_path / name
        nbformat.write(nb, path)
        return path

    first = notebook("first.ipynb", "leak = 42", "import os; print(os.getpid())")
    second = notebook("second.ipynb", "print('leak' in globals())", "import os; print(os.getpid())")
    with KernelPool(tmp_path) as pool:
        first_manager = pool.kernel()
        socket_dir = Path(first_manager.ip).parent
        assert first_manager.transport == "ipc" and oct(socket_dir.stat().st_mode & 0o777) == "0o700"
        done_first = papermill.execute_notebook(str(first), str(tmp_path / "a.ipynb"), km=first_manager, progress_bar=False)
        assert pool.kernel() is first_manager, "the thread's kernel is reused"
        done_second = papermill.execute_notebook(str(second), str(tmp_path / "b.ipynb"), km=first_manager, progress_bar=False)
    outputs = [c.outputs[0]["text"].strip() for c in done_second.cells]
    assert outputs[0] == "False", "a variable of the previous notebook is gone"
    assert outputs[1] == done_first.cells[1].outputs[0]["text"].strip(), "same kernel process"
    assert [c.execution_count for c in done_second.cells] == [1, 2], "execution counts start again at 1"
    assert not socket_dir.exists(), "the private socket folder is removed with the kernel"


def test_item_findings_are_bounded_in_notebooks_with_the_rest_counted():
    """Thousands of findings per item (a large estate) must not become a notebook output of megabytes."""
    from assess_lib.findings import Finding, Verdict
    from assess_lib.report.display import findings_html

    findings = [
        Finding(
            "iam_user_console_mfa", "2.3.1-5", Verdict.FAIL if i % 2 else Verdict.PASS, "1", "global", f"user{i:04d}", "ja", "en"
        )
        for i in range(1200)
    ]
    html = findings_html(findings, "ja", limit=50, item="2.3.1-5")
    assert html.count("<tr>") == 51  # header and 50 rows
    assert "ほか 1150 件" in html and "kit.findings(&quot;2.3.1-5&quot;)" in html
    assert "user0001" in html and "user0000" not in html, "the failing ones first"
    assert findings_html(findings[:10], "en", limit=50).count("<tr>") == 11 and "more" not in findings_html(
        findings[:10], "en", limit=50
    )


def test_kernels_the_kit_starts_keep_no_history(tmp_path):
    """IPython's history is one SQLite file for every kernel of the user: kernels started together collided in it
    ("Session/line number was not unique in database" in a cell's output). The kit's kernels keep none."""
    import nbformat
    import papermill

    from assess_lib.kernels import KernelPool

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("print(get_ipython().history_manager.enabled)")]
    source = tmp_path / "history.ipynb"
    nbformat.write(nb, source)
    with KernelPool(tmp_path) as pool:
        for name in ("a", "b"):  # a fresh kernel, then the same one reused
            done = papermill.execute_notebook(str(source), str(tmp_path / f"{name}.ipynb"), km=pool.kernel(), progress_bar=False)
            assert done.cells[0].outputs[0]["text"].strip() == "False"


HISTORY_ERRORS = ("Session/line number was not unique", "ERROR! ", "HistoryManager", "sqlite3")


def test_executed_notebooks_of_a_run_hold_no_kernel_history_error_nor_any_error(demo_cli_run):
    for path in (demo_cli_run / "notebooks").glob("*.ipynb"):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        outputs = json.dumps([c.get("outputs", []) for c in notebook["cells"] if c["cell_type"] == "code"], ensure_ascii=False)
        assert not [text for text in HISTORY_ERRORS if text in outputs], path.name
        assert '"output_type": "error"' not in outputs and '"name": "stderr"' not in outputs, path.name


def test_executed_notebooks_name_their_run_relative_to_themselves_with_no_params_file(demo_cli_run):
    for path in (demo_cli_run / "notebooks").glob("*.ipynb"):
        parameters = json.loads(path.read_text(encoding="utf-8"))["metadata"]["papermill"]["parameters"]
        assert parameters["run_dir"] == ".." and parameters["params_file"] is None, path.name


def manifest_run_id(run: Path) -> str:
    return json.loads((run / "evidence" / "manifest.json").read_text(encoding="utf-8"))["run_id"]


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def papermill_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "papermill", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_a_copied_run_folder_notebook_shows_that_run_and_collects_nothing(demo_cli_run, tmp_path):
    """An auditor copies the run folder elsewhere and presses Run All on one of its notebooks (Jupyter starts the
    kernel in the notebook's folder; papermill without parameters keeps the recorded ones)."""
    import shutil

    copy = tmp_path / "elsewhere" / "bank-2026"
    shutil.copytree(demo_cli_run, copy)
    before = tree(copy)
    out = tmp_path / "rerun.ipynb"
    notebooks = copy / "notebooks"
    result = papermill_cli(tmp_path, str(notebooks / "2_3_1_authentication.ipynb"), str(out), "--cwd", str(notebooks))
    assert result.returncode == 0, result.stderr[-3000:]
    outputs = json.dumps([c.get("outputs", []) for c in json.loads(out.read_text(encoding="utf-8"))["cells"]], ensure_ascii=False)
    assert manifest_run_id(copy) in outputs, "the copied run's bundle, not a new collection"
    assert '"output_type": "error"' not in outputs
    assert tree(copy) == before, "nothing written into the copied run"


def test_a_run_dir_without_a_bundle_is_a_clear_error_and_collects_nothing(tmp_path):
    """`papermill … -p run_dir outputs/my-bank` with no such folder assessed デモ銀行 and wrote a demo bundle there."""
    out = tmp_path / "out.ipynb"
    result = papermill_cli(tmp_path, str(ROOT / "notebooks" / "00_summary.ipynb"), str(out), "-p", "run_dir", "outputs/my-bank")
    assert result.returncode != 0
    assert not (tmp_path / "outputs").exists() and not (ROOT / "outputs" / "my-bank").exists(), "nothing collected"
    assert "NotebookInputError" in result.stderr and "outputs/my-bank" in result.stderr and "Fix:" in result.stderr
    errors = [
        o
        for c in json.loads(out.read_text(encoding="utf-8"))["cells"]
        for o in c.get("outputs", [])
        if o["output_type"] == "error"
    ]
    assert len(errors) == 1 and errors[0]["ename"] == "NotebookInputError"
    assert str(tmp_path / "outputs" / "my-bank") in errors[0]["evalue"] and "run_dir = None" in errors[0]["evalue"]
    assert len(errors[0]["traceback"]) == 1, "the message alone, no frames of the kit"
    assert "デモ銀行" not in json.dumps(errors, ensure_ascii=False)
