"""The assessment pipeline: params -> collect -> evaluate -> present.

Collection needs AWS (or an emulator); everything after it reads only the
saved bundle, so ``evaluate`` and ``publish`` run offline.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .attestations import collect_attestations
from .catalog import load_catalog
from .checks.runner import evaluate as run_checks
from .evidence import Bundle, EvidenceStore
from .core.model import Assessment
from .core.rollup import item_results
from .outputs import staged_output
from .params import Params
from .report.export import write_findings_json

log = logging.getLogger(__name__)

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"


def utcnow() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def new_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def collect(
    params: Params,
    run_dir: Path,
    endpoint_url: str | None = None,
    max_attempts: int = 8,
    progress: Callable[[str], None] | None = None,
    dns_nameservers: list[str] | None = None,
    aws_timeout: float = 20.0,
    credentials: dict[str, str] | None = None,
) -> Bundle:
    """Gather all evidence into ``run_dir/evidence`` and return the loaded bundle.

    ``endpoint_url`` and ``dns_nameservers`` override the params (an emulator, a test server);
    ``credentials`` (boto3 keywords: the demo emulator's keys) replace the credential chain.
    """
    # Imported here: the collectors pull in boto3 and checkdmarc, which evaluating a saved bundle
    # (each notebook kernel, the report command) does not need.
    from .aws.collect import collect_aws
    from .dns import collect_dns

    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = EvidenceStore(run_id=new_run_id(), started_at=utcnow())
    store.staging = Path(tempfile.mkdtemp(prefix=".evidence-", dir=run_dir))
    meta = collect_aws(
        params,
        store,
        endpoint_url=endpoint_url,
        max_attempts=max_attempts,
        progress=progress,
        timeout=aws_timeout,
        credentials=credentials,
    )
    meta.update(collect_dns(params, store, nameservers=dns_nameservers, progress=progress))
    meta.update(collect_attestations(params, store))
    store.meta = {
        "kit_version": __version__,
        "customer": params.customer,
        "params": params.to_dict(),
        **meta,
        "api_calls": _call_counts(store),
    }
    store.save(run_dir, utcnow())
    return Bundle.load(run_dir)


def _call_counts(store: EvidenceStore) -> dict[str, Any]:
    """API calls and seconds per account and service (from the dataset records)."""
    counts: dict[str, dict[str, dict[str, float]]] = {}
    for record in store.records.values():
        service = record.dataset.split(".", 1)[0]
        entry = counts.setdefault(record.account_id, {}).setdefault(service, {"calls": 0, "seconds": 0.0})
        entry["calls"] += record.calls
        entry["seconds"] = round(entry["seconds"] + record.seconds, 4)
    return counts


def evaluate(bundle: Bundle, thresholds: dict[str, Any] | None = None) -> Assessment:
    """Run every check over the bundle and roll findings up to every catalogue item.

    ``thresholds`` (the params file's) override the checks' parameters by name; by default those the bundle
    was collected with.
    """
    from .checks import registry
    from .thresholds import DEFAULT_THRESHOLDS

    if thresholds is None:
        thresholds = bundle.manifest.get("params", {}).get("thresholds") or {}
    parameters = {**DEFAULT_THRESHOLDS, **thresholds}
    catalog = load_catalog()
    findings = run_checks(bundle, parameters)
    datasets = {check_id: spec.datasets for check_id, spec in registry().items()}
    return Assessment(bundle, findings, item_results(catalog, findings, datasets), catalog, parameters)


def write_results(run_dir: Path, assessment: Assessment) -> None:
    """findings.json and controls.json (contract files).

    Re-rendered from a saved bundle, every object also says whether that bundle verified (``evidence_verified``).
    """
    problems = assessment.bundle.verification
    mark = {} if problems is None else {"evidence_verified": not problems}
    write_findings_json(run_dir / "findings.json", assessment.findings, mark)
    with open(run_dir / "controls.json", "w", encoding="utf-8") as handle:
        json.dump([{**control, **mark} for control in assessment.controls], handle, ensure_ascii=False, indent=1)


def load_assessment(run_dir: Path) -> Assessment:
    """Re-evaluate a run directory's bundle (offline)."""
    return evaluate(Bundle.load(run_dir))


def section_notebooks() -> list[Path]:
    """The kit's notebooks, summary first."""
    return sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def execute_notebooks(run_dir: Path, language: str, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Run every notebook with papermill against ``run_dir`` (already evaluated), in parallel kernels.

    The executed copies go to ``run_dir/notebooks`` and name their run as ``run_dir = ".."``, relative
    to themselves, with no params file: reopened later (``python -m assess_lib lab``), copied or moved
    with their run folder, they show that run and never collect again. Their kernels start in that
    folder, as Jupyter starts a kernel in its notebook's folder. One kernel per worker thread, reused
    for that worker's notebooks (see :mod:`assess_lib.kernels`).
    """
    import nbformat
    import papermill

    from .kernels import KernelPool

    out_dir = run_dir / "notebooks"
    out_dir.mkdir(exist_ok=True)
    notebooks = section_notebooks()

    def execute(notebook: Path) -> Path:
        target = out_dir / notebook.name
        # papermill is given and returns notebook objects, and no working folder: both its working-folder
        # argument and its own file reads and writes go through os.chdir, which is process-wide (other
        # threads resolved paths in the wrong folder). The kernel starts in its own folder (KernelPool).
        executed = papermill.execute_notebook(
            nbformat.read(notebook, as_version=4),
            None,
            parameters={"params_file": None, "run_dir": os.path.relpath(run_dir, out_dir), "language": language},
            progress_bar=False,
            log_output=False,
            km=kernels.kernel(),
        )
        # Where papermill would have recorded the paths (here it holds the input notebook itself).
        executed.metadata.papermill.update(input_path=notebook.name, output_path=target.name)
        nbformat.write(executed, target)
        return target

    executed = []
    # The kernels are processes of their own; threads here only wait for them.
    with (
        KernelPool(out_dir) as kernels,
        ThreadPoolExecutor(max_workers=max(1, min(len(notebooks), os.cpu_count() or 2))) as pool,
    ):
        for done, target in enumerate(pool.map(execute, notebooks), start=1):
            executed.append(target)
            if progress:
                progress(f"[{done}/{len(notebooks)}] notebook {target.name}")
    return executed


def present(run_dir: Path, assessment: Assessment, language: str, progress: Callable[[str], None] | None = None) -> None:
    """Execute the notebooks and publish the report into ``run_dir`` (evaluated already).

    The notebooks run in their own kernels (and are converted to HTML) while this process writes
    the report, whose PDFs render in child processes: all of it overlaps.
    """
    from .report.publish import publish

    # Import IPython here, before the threads: executing a notebook imports it in the notebook
    # thread, while matplotlib (the report's chart, this thread) looks IPython up in sys.modules
    # and breaks on a half-imported module.
    import IPython  # noqa: F401

    def notebooks() -> None:
        execute_notebooks(run_dir, language, progress)
        publish(run_dir, assessment, language, formats=("notebooks",))

    with ThreadPoolExecutor(max_workers=1) as pool:
        notebooks_done = pool.submit(notebooks)
        publish(run_dir, assessment, language, formats=("html", "pdf", "xlsx"))
        notebooks_done.result()


def preload() -> None:
    """Import what a run needs, ahead of time (the CLI does it while the demo emulator seeds).

    Each of these imports would otherwise happen later, while the report's PDFs and the notebooks
    already keep both CPUs busy.
    """
    import matplotlib_fontja  # noqa: F401
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401
    import papermill  # noqa: F401
    from matplotlib.backends import backend_agg  # noqa: F401
    from nbconvert import HTMLExporter  # noqa: F401

    from .aws import collect as _aws  # noqa: F401
    from .checks import registry
    from .dns import collect as _dns  # noqa: F401
    from .report import publish as _publish  # noqa: F401

    registry()
    load_catalog()


def run(
    params: Params,
    out_dir: Path,
    endpoint_url: str | None = None,
    progress: Callable[[str], None] | None = None,
    max_attempts: int = 8,
    dns_nameservers: list[str] | None = None,
    credentials: dict[str, str] | None = None,
) -> Path:
    """Collect, evaluate, execute the notebooks and publish into ``out_dir``.

    Everything is written to a work folder first and swapped into place at the end
    (:func:`outputs.staged_output`), so a run that dies leaves earlier results untouched, and a
    folder the kit did not write is refused. ``out_dir`` is made absolute here, once (the command
    line passes it absolute already).
    """
    out_dir = Path(os.path.abspath(out_dir))
    say = progress or (lambda message: None)
    with staged_output(out_dir) as work:
        say("collecting evidence / 証跡を収集しています")
        bundle = collect(
            params,
            work,
            endpoint_url=endpoint_url,
            max_attempts=max_attempts,
            progress=progress,
            dns_nameservers=dns_nameservers,
            credentials=credentials,
        )
        say("evaluating / 評価しています")
        assessment = evaluate(bundle, params.thresholds)
        write_results(work, assessment)
        say("running notebooks and publishing / ノートブック実行とレポート出力")
        present(work, assessment, params.language, progress)
    return out_dir
