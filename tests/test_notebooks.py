"""The notebooks: generated from the catalogue, shipped in the package, run in their own process, and reading the
run's written results (never evaluating, never collecting); the results files read back and checked."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from assess_lib._child import GC_YOUNG_THRESHOLD
from assess_lib._notebooks import NOTEBOOK_DIR
from assess_lib.kernels import KERNEL_PROGRAM

ROOT = Path(__file__).resolve().parents[1]
SECTION_CALL = re.compile(r'^kit\.section\("([^"]+)"\)$', re.MULTILINE)


def generator():
    """tools/make_notebooks.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "tools" / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def code_of(path: Path) -> str:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")


def test_committed_notebooks_are_what_the_generator_makes():
    """Edit the catalogue, the text catalogue or tools/make_notebooks.py, then `make notebooks`: this fails until then."""
    wanted = generator().build()
    committed = {p.name: p.read_text(encoding="utf-8") for p in NOTEBOOK_DIR.glob("*.ipynb")}
    assert sorted(committed) == sorted(wanted), "run: make notebooks"
    stale = [name for name, text in wanted.items() if committed[name] != text]
    assert not stale, f"run: make notebooks ({', '.join(stale)} differ from what tools/make_notebooks.py writes)"


def test_one_notebook_per_top_level_section_and_every_item_in_exactly_one():
    from assess_lib.catalog import load_catalog

    catalog = load_catalog()
    names = sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
    assert names == [
        "00_summary.ipynb",
        "2_1_governance.ipynb",
        "2_2_risk_identification.ipynb",
        "2_3_defense.ipynb",
        "2_4_detection.ipynb",
        "2_5_response_recovery.ipynb",
        "2_6_third_party.ipynb",
    ]
    shown: Counter[str] = Counter()
    for name in names[1:]:
        chapter = name[:3].replace("_", ".")
        sections = SECTION_CALL.findall(code_of(NOTEBOOK_DIR / name))
        items = [c.control_id for section in sections for c in catalog.by_section(section)]
        assert items and all(catalog.get(item).chapter == chapter for item in items), name
        assert items == [c.control_id for c in catalog if c.chapter == chapter], f"{name}: guideline order"
        shown.update(items)
    assert not SECTION_CALL.findall(code_of(NOTEBOOK_DIR / names[0]))
    assert shown == Counter(catalog.ids()), "every item of the catalogue exactly once"
    assert {"2.3.4.2-1", "2.3.4.4-a"} <= set(shown), "the two items with checks that no notebook showed"
    # Every subsection has its verdict table; those with checks their chart and findings; the special cells stay.
    defense = code_of(NOTEBOOK_DIR / "2_3_defense.ipynb")
    for section in ("2.3", "2.3.1", "2.3.2", "2.3.4.1", "2.3.4.5"):
        assert f'kit.header("{section}")' in defense
    assert 'kit.chart("2.3.4.2");' in defense and 'kit.findings("2.3.4.4")' in defense
    assert 'kit.chart("2.3.2");' not in defense, "no chart for a subsection without checks"
    assert "kit.layers()" in defense
    assert 'kit.evidence("attestation.file")' in code_of(NOTEBOOK_DIR / "2_1_governance.ipynb")
    summary = code_of(NOTEBOOK_DIR / "00_summary.ipynb")
    assert "kit.summary()" in summary and "kit.chart();" in summary and "kit.collection_errors()" in summary


def test_the_notebooks_japanese_has_no_space_from_folded_lines():
    """YAML folds a long line with a space: inside Japanese text it showed as a stray gap (示し、 項目)."""
    from assess_lib.core.text import entry, keys

    # A space after a kana, a kanji, 、 or 。 and before a kana or kanji (the ／ separators keep their spaces).
    folded = re.compile(r"[\u3001\u3002\u3040-\u30ff\u4e00-\u9fff] [\u3040-\u30ff\u4e00-\u9fff]")
    texts = {key: entry(key)["ja"] for key in keys("notebook")}
    assert len(texts) > 10 and not [key for key, text in texts.items() if folded.search(text)]


def test_committed_notebooks_have_no_outputs_and_no_logic():
    for path in NOTEBOOK_DIR.glob("*.ipynb"):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs") and not cell.get("execution_count"), path.name
        code = code_of(path)
        assert "boto3" not in code and "for " not in code and "params_file" not in code, f"logic in {path.name}"
        assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in notebook["cells"])
        assert "run_dir = None" in code, "a template names no run"


def test_notebooks_and_demo_params_ship_in_the_wheel(tmp_path):
    """A non-editable install has the notebooks, the demo's params and its attestation file, the notebooks' words."""
    source = tmp_path / "src"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    shutil.copytree(ROOT / "assess_lib", source / "assess_lib", ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    notebooks = {f"assess_lib/notebooks/{p.name}" for p in NOTEBOOK_DIR.glob("*.ipynb")}
    assert len(notebooks) == 7 and notebooks <= names
    assert {"assess_lib/demo/params.yaml", "assess_lib/demo/attestations.example.yaml", "assess_lib/text/notebooks.yaml"} <= names


def test_the_demo_params_are_the_packages_and_its_attestations_the_example():
    from assess_lib.demo import DEMO_PARAMS
    from assess_lib.params import load_params

    assert DEMO_PARAMS.is_relative_to(ROOT / "assess_lib")
    params = load_params(DEMO_PARAMS)
    assert params.attestations is not None and params.attestations.parent == DEMO_PARAMS.parent
    # The demo's copy of the users' example: the same file, so that the two never drift apart.
    assert params.attestations.read_bytes() == (ROOT / "params" / "attestations.example.yaml").read_bytes()
    assert not (ROOT / "params" / "demo.yaml").exists()


def test_the_chart_is_svg_with_each_verdict_counted_and_its_words_escaped():
    import xml.etree.ElementTree as ET

    from assess_lib.core import Finding, Verdict
    from assess_lib.report.display import chart_html, verdict_chart

    def finding(control: str, verdict: Verdict, resource: str) -> Finding:
        return Finding("iam_root_mfa", control, verdict, "1", "global", resource, "ルート", "root")

    findings = [finding("2.3.1-5", Verdict.FAIL, f"r{n}") for n in range(3)] + [finding("2.3.1-5", Verdict.PASS, "ok")]
    items = [SimpleNamespace(control_id="2.3.1-5"), SimpleNamespace(control_id="2.3.1-6")]
    svg = verdict_chart(items, findings, "ja", "認証・<script>アクセス")
    root = ET.fromstring(svg)  # well-formed: every text escaped
    ns = "{http://www.w3.org/2000/svg}"
    tips = sorted(e.text for e in root.iter(f"{ns}title"))
    assert tips == ["2.3.1-5: 不適合 3", "2.3.1-5: 適合 1"], tips
    texts = [e.text for e in root.iter(f"{ns}text")]
    assert "認証・<script>アクセス" in texts and "2.3.1-6" in texts and "検出事項なし" in texts
    html = chart_html(svg, "alt <b>")
    assert "<script>" not in html and 'aria-label="alt &lt;b&gt;"' in html
    assert verdict_chart([], findings, "en") == "" and chart_html("", "x") == ""


def test_layer_table_reads_the_layer_states():
    from assess_lib.core import Finding, Verdict
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
    from assess_lib.core import Finding, Verdict
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


def test_executed_notebooks_name_their_run_relative_to_themselves_and_nothing_else(demo_cli_run):
    executed = sorted(p.name for p in (demo_cli_run / "notebooks").glob("*.ipynb"))
    assert executed == sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb"))
    for name in executed:
        parameters = json.loads((demo_cli_run / "notebooks" / name).read_text(encoding="utf-8"))["metadata"]["papermill"][
            "parameters"
        ]
        assert parameters == {"run_dir": "..", "language": "ja"}, name


def manifest_run_id(run: Path) -> str:
    return json.loads((run / "evidence" / "manifest.json").read_text(encoding="utf-8"))["run_id"]


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def papermill_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "papermill", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def outputs_of(path: Path) -> str:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return json.dumps([c.get("outputs", []) for c in cells if c["cell_type"] == "code"], ensure_ascii=False)


def test_a_template_run_by_papermill_shows_the_run_it_is_given(demo_cli_run, tmp_path):
    """Batch: the shipped template, the run folder given relative to the working folder, in English."""
    out = tmp_path / "summary.ipynb"
    run_dir = os.path.relpath(demo_cli_run, tmp_path)
    result = papermill_cli(
        tmp_path, str(NOTEBOOK_DIR / "00_summary.ipynb"), str(out), "-p", "run_dir", run_dir, "-p", "language", "en"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outputs = outputs_of(out)
    assert '"output_type": "error"' not in outputs
    assert manifest_run_id(demo_cli_run) in outputs and "Non-compliant" in outputs and "Needs review" in outputs
    assert "<svg" in outputs and "Verdicts per item" in outputs  # the chart


def test_a_copied_run_folder_notebook_shows_what_that_run_wrote_and_collects_nothing(demo_cli_run, tmp_path):
    """An auditor copies the run folder elsewhere and presses Run All on one of its notebooks (Jupyter starts the
    kernel in the notebook's folder; papermill without parameters keeps the recorded ones). The notebook shows the
    run's written results: a message changed in findings.json is what it shows (it used to evaluate again)."""
    copy = tmp_path / "elsewhere" / "bank-2026"
    shutil.copytree(demo_cli_run, copy)
    findings = json.loads((copy / "findings.json").read_text(encoding="utf-8"))
    marked = [f for f in findings if f["control_id"] == "2.3-1"]
    assert marked
    for finding in marked:
        finding["message_ja"] = "MARK-FROM-FINDINGS-JSON"
    (copy / "findings.json").write_text(json.dumps(findings, ensure_ascii=False), encoding="utf-8")
    before = tree(copy)
    out = tmp_path / "rerun.ipynb"
    notebooks = copy / "notebooks"
    result = papermill_cli(tmp_path, str(notebooks / "2_3_defense.ipynb"), str(out), "--cwd", str(notebooks))
    assert result.returncode == 0, result.stderr[-3000:]
    outputs = outputs_of(out)
    assert manifest_run_id(copy) in outputs, "the copied run's bundle, not a new collection"
    assert "MARK-FROM-FINDINGS-JSON" in outputs, "the run's written findings, not a new evaluation"
    assert "suzuki.ichiro" in outputs and "不適合" in outputs
    assert '"output_type": "error"' not in outputs
    assert tree(copy) == before, "nothing written into the copied run"


def test_a_run_dir_without_a_bundle_is_a_clear_error_and_collects_nothing(tmp_path):
    """`papermill … -p run_dir outputs/my-bank` with no such folder assessed デモ銀行 and wrote a demo bundle there."""
    out = tmp_path / "out.ipynb"
    result = papermill_cli(tmp_path, str(NOTEBOOK_DIR / "00_summary.ipynb"), str(out), "-p", "run_dir", "outputs/my-bank")
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
    assert str(tmp_path / "outputs" / "my-bank") in errors[0]["evalue"] and "assess_lib demo --out" in errors[0]["evalue"]
    assert len(errors[0]["traceback"]) == 1, "the message alone, no frames of the kit"
    assert "デモ銀行" not in json.dumps(errors, ensure_ascii=False)


def test_a_template_without_a_run_says_how_to_make_one(tmp_path):
    """Run All on a template as shipped (run_dir = None): a message, never a collection of the demo."""
    from assess_lib.notebook import NotebookInputError, open_assessment

    with pytest.raises(NotebookInputError) as raised:
        open_assessment(None, None)
    message = str(raised.value)
    assert "python -m assess_lib demo --out outputs/demo" in message and "lab --run" in message and "Fix:" in message
    assert "\n" not in message


def test_notebooks_executed_by_earlier_kits_still_open_their_run(demo_cli_run):
    """Their cell reads open_assessment(params_file, run_dir, language); the params file is not used."""
    from assess_lib.notebook import open_assessment

    kit = open_assessment(None, str(demo_cli_run), "en")
    assert kit.language == "en" and kit.assessment.bundle.run_id == manifest_run_id(demo_cli_run)
    assert open_assessment(str(demo_cli_run)).language == "ja", "the run's language by default"


def corrupt_run(demo_cli_run: Path, tmp_path: Path) -> Path:
    """A copy of the demo run (evidence and results only) whose findings.json was cut short."""
    run = tmp_path / "run"
    shutil.copytree(demo_cli_run / "evidence", run / "evidence")
    shutil.copy(demo_cli_run / "controls.json", run)
    text = (demo_cli_run / "findings.json").read_text(encoding="utf-8")
    (run / "findings.json").write_text(text[: len(text) // 2], encoding="utf-8")
    return run


def test_notebooks_run_in_a_process_of_their_own_whose_failure_is_reported(demo_cli_run, tmp_path):
    from assess_lib._notebooks import NotebooksFailed, start

    run = corrupt_run(demo_cli_run, tmp_path)
    lines: list[str] = []
    notebooks = start(run, "en", lines.append)
    assert notebooks.process.pid != os.getpid()
    with pytest.raises(NotebooksFailed) as failed:
        notebooks.wait()
    assert "findings.json" in str(failed.value) and "not valid JSON" in str(failed.value)
    assert not lines, "no notebook completed"


def cmdline(process) -> list[str]:
    import psutil

    try:
        return process.cmdline()
    except psutil.Error:  # ended meanwhile
        return []


def test_stopping_the_notebooks_process_shuts_its_kernels_down(demo_cli_run, tmp_path):
    """The publisher failed (or was interrupted): the notebooks' process ends and leaves no kernel behind."""
    import psutil

    from assess_lib._notebooks import start

    run = tmp_path / "run"
    shutil.copytree(demo_cli_run / "evidence", run / "evidence")
    for name in ("findings.json", "controls.json"):
        shutil.copy(demo_cli_run / name, run)
    notebooks = start(run, "ja")
    child = psutil.Process(notebooks.process.pid)
    deadline = time.monotonic() + 120
    kernels: list[psutil.Process] = []
    while not kernels and time.monotonic() < deadline and notebooks.process.poll() is None:
        kernels = [p for p in child.children(recursive=True) if KERNEL_PROGRAM in cmdline(p)]
        time.sleep(0.1)
    assert kernels, "a kernel started"
    notebooks.stop()
    assert notebooks.process.returncode is not None
    _gone, alive = psutil.wait_procs(kernels, timeout=30)
    assert not alive, "no kernel left running"


def test_a_kernel_started_ahead_is_taken_by_the_first_notebook_without_what_its_start_up_defined(tmp_path):
    import nbformat
    import papermill

    from assess_lib.kernels import KernelPool

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import gc, json, sys; print(json.dumps(['warm' in globals(), 'json' in sys.modules, gc.get_threshold()[0]]))"
        )
    ]
    nbformat.write(nb, tmp_path / "n.ipynb")
    with KernelPool(tmp_path) as pool:
        pool.prestart(1, "import json\nwarm = 1\n")
        assert len(pool._idle) == 1, "one kernel started and waiting"
        manager = pool.kernel()
        assert not pool._idle and pool.kernel() is manager, "the waiting kernel became this thread's"
        done = papermill.execute_notebook(str(tmp_path / "n.ipynb"), None, km=manager, progress_bar=False)
    warm, imported, young = json.loads(done.cells[0].outputs[0]["text"])
    assert (warm, imported) == (False, True), "its start-up imports stay, its names go"
    assert young == GC_YOUNG_THRESHOLD, "the kernel started as the kit's programs start (assess_lib._kernel)"
    assert done.cells[0].execution_count == 1


def test_a_notebooks_process_started_ahead_ends_without_running_anything_when_the_run_stops(tmp_path):
    """A run starts its notebooks' process before collecting; a run that fails then stops it: nothing executes."""
    import psutil

    from assess_lib._notebooks import start

    run = tmp_path / "run"
    run.mkdir()
    lines: list[str] = []
    notebooks = start(run, "ja", lines.append, wait=True)
    child = psutil.Process(notebooks.process.pid)
    deadline = time.monotonic() + 120
    kernels: list[psutil.Process] = []
    while len(kernels) < 2 and time.monotonic() < deadline and notebooks.process.poll() is None:
        kernels = [p for p in child.children(recursive=True) if KERNEL_PROGRAM in cmdline(p)]
        time.sleep(0.1)
    assert kernels, "its kernels start while it waits"
    notebooks.stop()
    _gone, alive = psutil.wait_procs(kernels, timeout=30)
    assert not alive, "no kernel left running"
    assert not list(run.rglob("*.ipynb")) and not lines, "no notebook ran"


def test_notebook_html_is_nbconverts_without_its_beautifulsoup_pass(demo_cli_run):
    """The kit's exporter skips nbconvert's last pass (BeautifulSoup parsing and writing the page again, most of the
    conversion's time) and does its two edits itself: the same text, outputs reachable by keyboard, images named."""
    import html as html_lib

    from nbconvert import HTMLExporter

    from assess_lib.report.notebook_html import notebook_exporter, notebooks_html

    notebook = demo_cli_run / "notebooks" / "2_3_defense.ipynb"
    ours = notebooks_html([notebook], "t", notebook_exporter())
    theirs = notebooks_html(
        [notebook],
        "t",
        HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True),
    )

    def text(page: str) -> str:
        return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", page)))

    assert text(ours) == text(theirs)
    assert ours.count('tabindex="0"') == theirs.count('tabindex="0"') > 10
    assert ours.count("<svg") == theirs.count("<svg") > 0


def test_the_notebook_pages_images_get_a_text_and_outputs_a_tab_stop():
    from assess_lib.report.notebook_html import NO_ALT_TEXT, _accessible

    page = (
        '<img src="a.png"><img alt="chart" src="b.png"><IMG SRC="c.png">'
        '<div class="jp-OutputArea-output jp-RenderedHTMLCommon">x</div><div class="jp-Cell-inputWrapper">y</div>'
        '<div class="jp-OutputArea-child">z</div><div class="not-jp-OutputArea-output-x">w</div>'
    )
    done = _accessible(page)
    assert done.count(f'alt="{NO_ALT_TEXT}"') == 2 and 'alt="chart"' in done
    assert done.count('tabindex="0"') == 2
    assert '<div class="jp-OutputArea-child">z</div>' in done and '<div class="not-jp-OutputArea-output-x">w</div>' in done


@pytest.mark.parametrize(("cpus", "workers"), [(1, 1), (None, 1), (2, 1), (4, 3), (64, 7)])
def test_the_notebooks_leave_one_cpu_to_the_publishing(monkeypatch, cpus, workers):
    """One kernel per CPU but one (the run typesets its PDFs meanwhile), at least one, at most one per notebook."""
    from assess_lib import _notebooks

    monkeypatch.setattr(_notebooks.os, "cpu_count", lambda: cpus)
    assert len(_notebooks.section_notebooks()) == 7
    assert _notebooks.notebook_workers() == workers


def test_the_notebooks_process_and_the_demo_start_without_the_report_or_the_seeding():
    """What the notebooks' process imports to run and convert notebooks leaves out pandas, the report's view model and
    the typesetter; what a demo run imports to start its emulator leaves out boto3, the demo's seeding and dnslib.
    Each would cost CPU the collection and the seeding need. Fresh interpreters, as the programs start."""

    def imported(code: str, heavy: tuple[str, ...]) -> list[str]:
        probe = f"import sys\n{code}\nprint(sorted(m for m in {heavy!r} if m in sys.modules))\n"
        result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
        return json.loads(result.stdout.strip().splitlines()[-1].replace("'", '"'))

    notebooks = "import assess_lib._notebooks\nassess_lib._notebooks.Exporters().prepare(1)"  # as the process does
    assert imported(notebooks, ("pandas", "assess_lib.report.view", "assess_lib.report.pdf", "typst")) == []
    demo = "from assess_lib.demo import DEMO_PARAMS, demo_environment"
    assert imported(demo, ("boto3", "assess_lib.demo.seed", "dnslib", "pandas")) == []
    # The package's other names are still there, imported when asked for.
    later = "from assess_lib.demo import DEMO_REGIONS, MotoServer\nassert DEMO_REGIONS[0] == 'ap-northeast-1'"
    assert imported(later, ("assess_lib.demo.seed", "assess_lib.demo.server")) == [
        "assess_lib.demo.seed",
        "assess_lib.demo.server",
    ]
