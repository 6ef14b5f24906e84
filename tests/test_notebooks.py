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
