"""Shared fixtures: a real moto server on 127.0.0.1 and hand-built evidence bundles."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config

from assess_lib.demo.server import MotoServer, demo_credentials
from assess_lib.evidence import GLOBAL, Bundle, DatasetRecord, EvidenceStore
from assess_lib.thresholds import DEFAULT_THRESHOLDS

ACCOUNT = "123456789012"


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One moto server for the session (state is reset per test by `aws`)."""
    server = MotoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Aws:
    """boto3 clients against the test emulator (few retries: unimplemented calls answer 500)."""

    def __init__(self, server: MotoServer) -> None:
        self.server = server
        self.url = server.url

    def client(self, service: str, region: str = "ap-northeast-1") -> Any:
        return boto3.client(service, region_name=region, endpoint_url=self.url, config=Config(retries={"max_attempts": 1}))


def answer_unserved_as_empty(url: str) -> None:
    """The listings moto does not serve answered as empty (hand-built: demo/unserved.py EMPTY_ANSWERS), for estates
    seeded by the tests themselves, where those datasets are not the subject: nothing to report, no error."""
    from assess_lib.demo import unserved

    unserved.answer_as_empty(url)


@pytest.fixture
def aws(moto_server: MotoServer) -> Iterator[Aws]:
    """A clean emulator with fake credentials in the environment."""
    moto_server.reset()
    with demo_credentials():
        yield Aws(moto_server)
    moto_server.set_auth(False)


def make_bundle(
    tmp_path: Path,
    datasets: dict[tuple[str, str], list[dict[str, Any]] | Exception],
    regions: list[str] | None = None,
    started_at: str | None = None,
    account: str = ACCOUNT,
    domains: list[str] | None = None,
) -> Bundle:
    """A bundle from hand-built evidence: {(dataset, region): rows or CollectionError}."""
    from assess_lib.evidence import CollectionError

    store = EvidenceStore(run_id="test-run", started_at=started_at or dt.datetime.now(dt.UTC).isoformat())
    store.meta = {"accounts": [account], "regions": {account: regions or ["ap-northeast-1"]}, "domains": domains or []}
    for (name, region), rows in datasets.items():
        owner = "dns" if name.startswith("dns.") else "org" if name.startswith("attestation.") else account
        if isinstance(rows, CollectionError):
            store.put(
                DatasetRecord(
                    name,
                    owner,
                    region,
                    "error",
                    error_kind=rows.kind,
                    error_code=rows.code,
                    error_message=rows.message,
                    action="x:Y",
                )
            )
        else:
            store.put(DatasetRecord(name, owner, region, "ok", rows=list(rows)))
    store.save(tmp_path / "run", dt.datetime.now(dt.UTC).isoformat())
    return Bundle.load(tmp_path / "run")


def run_one(check_id: str, bundle: Bundle, thresholds: dict[str, Any] | None = None, domain: str | None = None):
    """Findings of one registered check on a bundle, under the first item it serves (the runner repeats each
    finding for every item of the check; `run_all_items` keeps them all)."""
    findings = run_all_items(check_id, bundle, thresholds, domain)
    first = findings[0].control_id if findings else None
    return [f for f in findings if f.control_id == first]


def run_all_items(check_id: str, bundle: Bundle, thresholds: dict[str, Any] | None = None, domain: str | None = None):
    """Findings of one registered check on a bundle, repeated for every item it serves."""
    from assess_lib.checks import registry
    from assess_lib.checks.runner import run_check

    spec = registry()[check_id]
    owner = "dns" if domain else bundle.accounts[0]
    return run_check(spec, bundle, owner, {**DEFAULT_THRESHOLDS, **(thresholds or {})}, domain)


def verdicts(findings) -> dict[str, str]:
    """resource -> verdict (first control only)."""
    first = findings[0].control_id if findings else None
    return {f.resource: f.verdict.value for f in findings if f.control_id == first}


__all__ = ["ACCOUNT", "GLOBAL", "Aws", "make_bundle", "run_all_items", "run_one", "verdicts"]


# --- meta: every check must be seen in each of its outcomes somewhere in the suite ----------------------

# check_id -> outcomes seen in this process: pass, fail, not_applicable, missing (an error finding for missing
# evidence, not a crash). Checks run in subprocesses (the CLI) are not seen: each check needs in-process tests.
OBSERVED: dict[str, set[str]] = {}
OUTCOMES = ("pass", "fail", "not_applicable", "missing")


def _outcome(finding) -> str:
    if finding.verdict.value == "error":
        return "missing" if "missing_permission" in finding.details else "crash"
    return finding.verdict.value


def _record_outcomes() -> None:
    from assess_lib.checks import runner

    original = runner.check_findings

    def recording(spec, *args, **kwargs):
        findings = original(spec, *args, **kwargs)
        OBSERVED.setdefault(spec.check_id, set()).update(_outcome(f) for f in findings)
        return findings

    runner.check_findings = recording


_record_outcomes()


def expected_outcomes(spec) -> set[str]:
    """What the suite must show of a check: pass, fail, missing evidence, and nothing to assess unless its
    record says it always applies."""
    wanted = set(OUTCOMES)
    if spec.record.always_applies:
        wanted.discard("not_applicable")
    return wanted


def whole_suite(config) -> bool:
    """True when pytest runs its configured test paths unfiltered (the meta-test judges only whole runs)."""
    default = config.args_source == pytest.Config.ArgsSource.TESTPATHS or [Path(a).name for a in config.args] == ["tests"]
    return default and not config.option.keyword and not config.option.markexpr and not config.option.deselect


def pytest_testnodedown(node, error):
    """pytest-xdist: a worker finished; add what it saw to this (the controller's) record."""
    for check_id, outcomes in (getattr(node, "workeroutput", {}) or {}).get("observed", {}).items():
        OBSERVED.setdefault(check_id, set()).update(outcomes)


def pytest_sessionfinish(session, exitstatus):
    """When the whole suite ran, fail it if a check was never seen in one of its outcomes (under pytest-xdist
    the workers hand what they saw to the controller, which judges)."""
    config = session.config
    if hasattr(config, "workeroutput"):  # an xdist worker: report, do not judge
        config.workeroutput["observed"] = {k: sorted(v) for k, v in OBSERVED.items()}
        return
    if not whole_suite(config) or exitstatus != 0:
        return
    from assess_lib.checks import registry

    missing = {
        check_id: sorted(expected_outcomes(spec) - OBSERVED.get(check_id, set()))
        for check_id, spec in registry().items()
        if expected_outcomes(spec) - OBSERVED.get(check_id, set())
    }
    if missing:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(f"META-TEST FAILED: checks never seen (in this process) with these outcomes: {missing}", red=True)
        session.exitstatus = 1


# --- one demo run through the command line, shared by the tests that only read it ------------------


@pytest.fixture(scope="session")
def demo_cli_run(tmp_path_factory) -> Path:
    """The demo run as a consultant types it, once per session (read-only for tests): in their own folder,
    `python -m assess_lib run --params params/bank.yaml --out out/bank --worksheet params/worksheet.xlsx` with relative
    paths, the demo's params, exceptions, previous assessment and filled working sheet there, and an AWS profile in the environment that does not exist (the demo's keys reach its clients
    explicitly, never through the environment). tests/test_runs.py runs it once more into the same folder."""
    import os
    import shutil
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    work = tmp_path_factory.mktemp("demo-cli") / "consultant"
    (work / "params").mkdir(parents=True)
    from assess_lib.demo import DEMO_PARAMS

    shutil.copy(DEMO_PARAMS, work / "params" / "bank.yaml")
    shutil.copy(root / "params" / "attestations.example.yaml", work / "params")
    shutil.copy(DEMO_PARAMS.parent / "exceptions.yaml", work / "params")  # the demo's approved exceptions
    shutil.copytree(DEMO_PARAMS.parent / "previous", work / "params" / "previous")  # the demo's previous assessment
    from assess_lib.demo.worksheet import write_demo_worksheet

    write_demo_worksheet(work / "params" / "worksheet.xlsx")  # the demo customer's filled working sheet
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_PROFILE"] = "no-such-profile"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "assess_lib", "run", "--params", "params/bank.yaml", "--out", "out/bank", "--quiet"),
            *("--worksheet", "params/worksheet.xlsx"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=work,
    )
    out = work / "out" / "bank"
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"report: {out / 'report.html'}" in result.stdout
    return out
