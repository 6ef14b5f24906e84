"""Resilience: credentials problems before any work, and nothing lost when a run is killed."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def cli(args, env=None, timeout=120):
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base["HOME"] = str(Path(args[-1]).parent)  # no ~/.aws of the machine
    return subprocess.run(
        [sys.executable, "-m", "assess_lib", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**base, **(env or {})},
    )


def params_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(
        f"customer: テスト銀行\naws:\n  endpoint_url: {url}\n  regions: [ap-northeast-1]\ndns:\n  domains: []\n", encoding="utf-8"
    )
    return path


def test_no_credentials_is_a_clear_message_before_any_work(moto_server, tmp_path):
    result = cli(["run", "--params", str(params_file(tmp_path, moto_server.url)), "--out", str(tmp_path / "out")])
    assert result.returncode == 2
    assert "credentials" in result.stderr and "Fix:" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_invalid_credentials_are_a_clear_message(aws, tmp_path):
    aws.server.set_auth(True)
    try:
        result = cli(
            ["run", "--params", str(params_file(tmp_path, aws.url)), "--out", str(tmp_path / "out")],
            env={"AWS_ACCESS_KEY_ID": "AKIAINVALIDINVALID00", "AWS_SECRET_ACCESS_KEY": "wrong-secret-value"},
        )
    finally:
        aws.server.set_auth(False)
    assert result.returncode == 2
    assert "invalid or expired" in result.stderr and "Traceback" not in result.stderr
    assert "wrong-secret-value" not in result.stderr + result.stdout


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens: bound, read, closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_endpoint_is_a_connection_problem_naming_the_url(moto_server, tmp_path):
    """Before the fix this read "AWS credentials are missing, invalid or expired (EndpointConnectionError ...)"."""
    from assess_lib.aws.collect import CredentialsError, EndpointUnreachable
    from assess_lib.demo.server import demo_credentials
    from assess_lib.params import load_params
    from assess_lib.pipeline import collect

    url = f"http://127.0.0.1:{closed_port()}"
    params = load_params(params_file(tmp_path, url))
    with demo_credentials(), pytest.raises(CredentialsError) as raised:  # valid credentials: only the network fails
        collect(params, tmp_path / "run", max_attempts=1)  # retries capped: a refused connection is not retried for long
    message = str(raised.value)
    assert isinstance(raised.value, EndpointUnreachable)
    assert message.startswith("Connection problem:") and url in message
    assert "not a credentials problem" in message and "credentials are missing" not in message
    assert "aws.endpoint_url" in message and "Fix:" in message and "\n" not in message
    assert not (tmp_path / "run" / "evidence").exists()


def digest(folder: Path) -> dict[str, str]:
    """The run folder's own files (a killed run's work folder inside it is not part of the earlier run)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.relative_to(folder).parts[0].startswith(".assess-kit-partial-")
    }


def kill_during(out: Path, stage: str, env: dict) -> None:
    """Start a demo run into ``out`` and SIGKILL it once its progress names ``stage``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "assess_lib", "demo", "--out", str(out)], stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )
    deadline = time.monotonic() + 240
    for line in proc.stderr:  # progress lines name the stage
        if stage in line or time.monotonic() > deadline:
            break
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def test_kill_9_leaves_the_earlier_run_intact_and_a_rerun_works(demo_cli_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(demo_cli_run, out)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    before = digest(out)
    for stage in ("collecting", "publishing"):
        kill_during(out, stage, env)
        assert digest(out) == before, f"the earlier run changed when killed while {stage}"
    stale = list(out.glob(".assess-kit-partial-*"))
    assert stale, "a killed run leaves its work folder (nothing could remove it), inside the output folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"], "and nothing beside it"
    again = subprocess.run(
        [sys.executable, "-m", "assess_lib", "demo", "--out", str(out), "--quiet", "--no-pdf"],  # the rerun's PDFs add nothing
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert (out / "findings.json").is_file() and digest(out) != before
    assert not [p for p in stale if p.exists()], "the next run removes work folders whose process is gone"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
