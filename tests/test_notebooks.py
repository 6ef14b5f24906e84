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
