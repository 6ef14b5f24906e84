"""Runs that always succeed: relative paths from any folder, twice in a row, and no process-wide side effects."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from collections.abc import Iterator
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]


def test_cli_run_from_another_folder_with_relative_params_and_out_twice(demo_cli_run, tmp_path):
    """`run --params p.yaml --out out` as a consultant types it, in their own folder, then again into the same out.

    The first run is the session's (conftest.demo_cli_run, typed exactly so); a copy of that consultant's folder
    runs it a second time here. The notebook threads used papermill's cwd= (os.chdir, process-wide): the run
    then looked for notebooks/outputs/demo/controls.json in about 40 % of runs.
    """
    work = tmp_path / "consultant"
    shutil.copytree(demo_cli_run.parents[1], work, symlinks=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_PROFILE"] = "no-such-profile"  # the demo's keys reach its clients explicitly, never through the environment
    out = work / "out" / "bank"
    run_ids = [json.loads((out / "evidence" / "manifest.json").read_text(encoding="utf-8"))["run_id"]]
    result = subprocess.run(
        # the second time without the PDFs (--no-pdf, the quick render): the first run has them
        [sys.executable, "-m", "assess_lib", "run", "--params", "params/bank.yaml", "--out", "out/bank", "--quiet", "--no-pdf"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"report: {out / 'report.html'}" in result.stdout
    for run in (demo_cli_run, out):
        for name in (
            "controls.json",
            "findings.json",
            "report.html",
            "report.en.html",
            "findings.xlsx",
            "notebooks/00_summary.ipynb",
        ):
            assert (run / name).is_file(), f"{run}: {name}"
    assert (demo_cli_run / "report.pdf").is_file() and (demo_cli_run / "report.en.pdf").is_file()
    assert not list(out.glob("*.pdf")), "--no-pdf writes no PDF"
    run_ids.append(json.loads((out / "evidence" / "manifest.json").read_text(encoding="utf-8"))["run_id"])
    assert run_ids[0] != run_ids[1], "the second run replaced the first"
    for folder in (demo_cli_run.parents[1], work):
        assert sorted(p.name for p in folder.iterdir()) == ["out", "params"]
        assert sorted(p.name for p in (folder / "out").iterdir()) == ["bank"], "no staging folder left behind"
    assert not (ROOT / "assess_lib" / "notebooks" / "out").exists() and not (work / "params" / "out").exists()


@contextlib.contextmanager
def no_process_wide_changes(*names: str) -> Iterator[None]:
    """os.chdir and environment writes raise inside the block (in every thread); the working folder is checked after."""
    cwd = os.getcwd()

    def refuse(*args, **kwargs):
        raise AssertionError(f"process-wide change during a run: {args!r}")

    with contextlib.ExitStack() as stack:
        for name in names or ("chdir", "putenv", "unsetenv"):
            stack.enter_context(mock.patch.object(os, name, refuse))
        yield
    assert os.getcwd() == cwd


def test_publishing_and_notebooks_never_change_the_working_folder_or_environment(demo_cli_run, tmp_path):
    """present() (notebooks in their kernels, report, PDFs) in this process, on the demo run's evaluated bundle."""
    from assess_lib.evidence import Bundle
    from assess_lib.pipeline import evaluate, preload, present, write_results

    preload()  # as the command line does: numpy, for one, sets an environment variable when first imported
    run = tmp_path / "run"
    shutil.copytree(demo_cli_run / "evidence", run / "evidence")
    assessment = evaluate(Bundle.load(run))
    write_results(run, assessment)
    with no_process_wide_changes():
        present(run, assessment, "en")
    assert (run / "report.html").is_file() and (run / "report.pdf").is_file()
    executed = sorted(p.name for p in (run / "notebooks").glob("*.ipynb"))
    assert executed == sorted(p.name for p in (ROOT / "assess_lib" / "notebooks").glob("*.ipynb"))
    assert '"output_type": "error"' not in (run / "notebooks" / "00_summary.ipynb").read_text(encoding="utf-8")


def test_demo_collection_gives_its_keys_to_the_clients_not_to_the_environment(tmp_path, monkeypatch):
    """The demo's fake keys used to be written into os.environ for the whole run, read by every thread."""
    from assess_lib.demo import DEMO_PARAMS, demo_environment
    from assess_lib.params import load_params
    from assess_lib.pipeline import collect

    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    before = dict(os.environ)
    params = load_params(DEMO_PARAMS)
    with no_process_wide_changes("putenv", "unsetenv"), demo_environment() as demo:
        bundle = collect(
            params,
            tmp_path / "run",
            endpoint_url=demo.aws_url(),
            dns_nameservers=demo.dns_nameservers,
            credentials=demo.credentials,
        )
    assert dict(os.environ) == before
    assert bundle.accounts == ["123456789012", "345678901234"]
    assert not bundle.errors(), bundle.errors()[:3]
