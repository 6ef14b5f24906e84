"""The live walkthrough: `lab --run DIR` serves the run's own notebooks; the kit's notebook templates keep no outputs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from assess_lib.demo.server import free_port
from assess_lib.lab import HOOK, strip_repository_outputs

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "assess_lib" / "notebooks"


def executed_model() -> dict:
    """A notebook model as JupyterLab saves it after Run All: outputs and execution counts."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("kit.summary()", execution_count=3)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<p>suzuki.ichiro 不適合</p>"})]
    cell.metadata["execution"] = {"iopub.execute_input": "2026-11-30T10:00:00Z"}
    nb.cells = [nbformat.v4.new_markdown_cell("# summary"), cell]
    return {"type": "notebook", "format": "json", "content": json.loads(nbformat.writes(nb))}


def contents_manager(root: Path):
    from jupyter_server.services.contents.filemanager import FileContentsManager

    return FileContentsManager(root_dir=str(root), pre_save_hook=HOOK)


def test_saving_into_the_kits_notebook_templates_strips_outputs(tmp_path):
    model = executed_model()
    # The hook as the server runs it before writing (nothing is written into the repository here).
    contents_manager(ROOT).run_pre_save_hooks(model=model, path="assess_lib/notebooks/00_summary.ipynb")
    code = model["content"]["cells"][1]
    assert code["outputs"] == [] and code["execution_count"] is None and "execution" not in code["metadata"]
    assert "".join(code["source"]) == "kit.summary()" and "".join(model["content"]["cells"][0]["source"]) == "# summary"
    # Served from the templates folder itself, or through a symbolic link to it.
    model = executed_model()
    strip_repository_outputs(model, "00_summary.ipynb", contents_manager(TEMPLATES))
    assert model["content"]["cells"][1]["outputs"] == []
    link = tmp_path / "templates"
    link.symlink_to(TEMPLATES)
    model = executed_model()
    strip_repository_outputs(model, "00_summary.ipynb", contents_manager(link))
    assert model["content"]["cells"][1]["outputs"] == []


def test_saving_into_a_run_folder_keeps_outputs(tmp_path):
    run = tmp_path / "run"
    (run / "notebooks").mkdir(parents=True)
    manager = contents_manager(run)
    manager.save(executed_model(), "notebooks/00_summary.ipynb")
    saved = json.loads((run / "notebooks" / "00_summary.ipynb").read_text(encoding="utf-8"))
    assert saved["cells"][1]["outputs"] and saved["cells"][1]["execution_count"] == 3
    # A notebook of the same name outside the repository's notebooks/ is not touched either.
    model = executed_model()
    strip_repository_outputs(model, "00_summary.ipynb", contents_manager(run / "notebooks"))
    assert model["content"]["cells"][1]["outputs"]


def test_every_jupyter_server_of_the_venv_registers_the_hook():
    """`make setup` installs the server extension's config; a server started in the repository has the hook."""
    code = (
        "from jupyter_server.serverapp import ServerApp\n"
        "app = ServerApp()\n"
        f"app.initialize(argv=['--ServerApp.root_dir={ROOT}'], new_httpserver=False)\n"
        "print([f'{h.__module__}.{h.__name__}' for h in app.contents_manager._pre_save_hooks])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert HOOK in result.stdout, "run make setup (it installs assess_lib/jupyter_server_config.json into the venv)"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assess_lib", *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_lab_refuses_a_folder_without_a_bundle_or_with_notebooks_of_another_run(demo_cli_run, tmp_path):
    result = cli("lab", "--run", str(tmp_path / "nothing"), "--no-browser")
    assert result.returncode == 2 and "no evidence bundle" in result.stderr and "Fix:" in result.stderr
    assert "Traceback" not in result.stderr
    run = tmp_path / "old-run"
    shutil.copytree(demo_cli_run, run)
    notebook = run / "notebooks" / "00_summary.ipynb"
    data = json.loads(notebook.read_text(encoding="utf-8"))
    data["metadata"]["papermill"]["parameters"]["run_dir"] = str(tmp_path / ".run.partial-gone")  # as older kits recorded
    notebook.write_text(json.dumps(data), encoding="utf-8")
    result = cli("lab", "--run", str(run), "--no-browser")
    assert result.returncode == 2 and "00_summary.ipynb" in result.stderr
    assert f"report --bundle {run} --out NEW_FOLDER" in result.stderr
    assert cli("lab", "--run", str(run), "stray").returncode == 2, "only --options pass through to JupyterLab"


def api(port: int, token: str, path: str, method: str = "GET", body: dict | None = None, service: str = "contents"):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/{service}" + (f"/{path}" if path or service == "contents" else ""),
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


@pytest.fixture
def lab_server(demo_cli_run, tmp_path):
    """`python -m assess_lib lab --run DIR --no-browser` on a free port of 127.0.0.1 (stopped afterwards)."""
    run = tmp_path / "run"
    shutil.copytree(demo_cli_run, run)
    port, token = free_port(), "test-token-0123456789"
    log = open(tmp_path / "lab.log", "w+", encoding="utf-8")  # noqa: SIM115 - kept open for the life of the object, closed by it
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assess_lib",
            "lab",
            "--run",
            os.path.relpath(run, tmp_path),
            "--no-browser",
            "--port",
            str(port),
            f"--IdentityProvider.token={token}",
            *(["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []),  # test machines run as root
        ],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                api(port, token, "")
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"the lab did not answer: {log.read()[-3000:]}")
                time.sleep(0.5)
        yield run, port, token
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=30)
        log.close()


def test_lab_serves_the_run_folder_and_its_notebooks_point_at_it(lab_server):
    run, port, token = lab_server
    root = {item["name"] for item in api(port, token, "")["content"]}
    assert {"evidence", "notebooks", "report.html", "controls.json"} <= root, "the root is the run folder, not the repository"
    assert "assess_lib" not in root and "params" not in root
    summary = api(port, token, "notebooks/00_summary.ipynb")["content"]
    assert summary["metadata"]["papermill"]["parameters"]["run_dir"] == ".."
    assert any(cell.get("outputs") for cell in summary["cells"]), "the run's executed notebook, outputs included"
    # Saving (what autosave does) writes into the run's copy, outputs kept; the repository's notebooks are not reachable.
    model = executed_model()
    api(port, token, "notebooks/00_summary.ipynb", "PUT", model)
    saved = json.loads((run / "notebooks" / "00_summary.ipynb").read_text(encoding="utf-8"))
    assert saved["cells"][1]["outputs"]
    repository = json.loads((TEMPLATES / "00_summary.ipynb").read_text(encoding="utf-8"))
    assert not any(cell.get("outputs") for cell in repository["cells"])
    with pytest.raises(urllib.error.HTTPError):
        api(port, token, "../notebooks/00_summary.ipynb")
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/", timeout=10)
    assert denied.value.code == 403, "the token is required"


def test_the_labs_kernels_start_in_the_notebook_folder_without_history(lab_server):
    """Run All in the lab: the kernel of notebooks/x.ipynb starts in notebooks/ (so run_dir ".." is the run) and keeps no
    IPython history (whose shared database printed errors into cells)."""
    import psutil

    run, port, token = lab_server
    session = api(
        port,
        token,
        "",
        "POST",
        {"path": "notebooks/00_summary.ipynb", "type": "notebook", "name": "", "kernel": {"name": "python3"}},
        service="sessions",
    )
    pid = None
    deadline = time.monotonic() + 60
    while pid is None and time.monotonic() < deadline:
        for process in psutil.process_iter(["cmdline", "cwd"]):
            if session["kernel"]["id"] in " ".join(process.info["cmdline"] or []):
                pid, cmdline, cwd = process.pid, process.info["cmdline"], process.info["cwd"]
        time.sleep(0.2)
    assert pid is not None, "the kernel process"
    assert "--HistoryManager.enabled=False" in cmdline
    assert Path(cwd) == run / "notebooks"
    api(port, token, session["id"], "DELETE", service="sessions")
