"""The assessment pipeline: params -> collect -> evaluate -> present.

Collection needs AWS (or an emulator); everything after it reads only the
saved bundle, so ``evaluate`` and ``publish`` run offline.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import uuid
from pathlib import Path
from typing import Any
from collections.abc import Callable

from . import __version__
from .attestations import collect_attestations
from .catalog import load_catalog
from .checks import answers
from .checks.runner import evaluate as run_checks
from .evidence import Bundle, EvidenceStore
from .compare import compare, previous_side, side_of, with_first_seen
from .core.acceptance import accept_risks
from .core.model import Assessment
from .core.rollup import item_results
from .core.text import both

# Re-exported: the notebooks' runner (its own process) and the results files live in their own modules.
from ._notebooks import NOTEBOOK_DIR as NOTEBOOK_DIR
from ._notebooks import execute_notebooks as execute_notebooks
from ._notebooks import section_notebooks as section_notebooks
from ._notebooks import NotebookProcess
from ._notebooks import start as start_notebooks
from .outputs import staged_output
from .params import Params
from .results import read_results as read_results
from .results import write_results

log = logging.getLogger(__name__)


def _both(key: str) -> str:
    """A progress line in English and Japanese (the consultant's terminal)."""
    ja, en = both(key)
    return f"{en} / {ja}"


def utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:6]


def collect(
    params: Params,
    run_dir: Path,
    endpoint_url: str | None = None,
    max_attempts: int = 8,
    progress: Callable[[str], None] | None = None,
    dns_nameservers: list[str] | None = None,
    aws_timeout: float = 20.0,
    credentials: dict[str, str] | None = None,
    ready: Callable[[], None] | None = None,
) -> Bundle:
    """Gather all evidence into ``run_dir/evidence`` and return the loaded bundle.

    ``endpoint_url`` and ``dns_nameservers`` override the params (an emulator, a test server);
    ``credentials`` (boto3 keywords: the demo emulator's keys) replace the credential chain; ``ready`` blocks until
    the endpoint can be called (:func:`~assess_lib.aws.collect.collect_aws`).
    """
    # Imported here: the collectors pull in boto3 and checkdmarc, which evaluating a saved bundle
    # (each notebook kernel, the report command) does not need.
    from .aws.collect import collect_aws
    from .dns import collect_dns

    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = EvidenceStore(run_id=new_run_id(), started_at=utcnow())
    previous = _keep_previous(params, store)  # before collecting: a wrong folder is bad input, said at once
    store.staging = Path(tempfile.mkdtemp(prefix=".evidence-", dir=run_dir))
    meta = collect_aws(
        params,
        store,
        endpoint_url=endpoint_url,
        max_attempts=max_attempts,
        progress=progress,
        timeout=aws_timeout,
        credentials=credentials,
        ready=ready,
    )
    meta.update(collect_dns(params, store, nameservers=dns_nameservers, progress=progress))
    meta.update(collect_attestations(params, store))
    meta.update(previous)
    store.meta = {
        "kit_version": __version__,
        "customer": params.customer,
        "params": params.to_dict(),
        **meta,
        "api_calls": _call_counts(store),
    }
    store.save(run_dir, utcnow())
    return Bundle.load(run_dir)


def _keep_previous(params: Params, store: EvidenceStore) -> dict[str, Any]:
    """The previous assessment (params ``previous:``) kept in the bundle, so that the comparison is made offline."""
    from .compare import CompareError, keep_previous
    from .params import ParamsError

    if params.previous is None:
        return {"previous": None}
    try:
        return keep_previous(Path(params.previous), store, params.customer)
    except CompareError as err:
        raise ParamsError(f"{params.source or 'params'}: key 'previous': {err}") from None


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
    register = answers.exceptions(bundle)
    findings = accept_risks(run_checks(bundle, parameters), register, answers.collection_date(bundle))
    previous = previous_side(bundle)  # the previous assessment kept in the bundle (params previous:), if any
    if previous is not None:
        findings = with_first_seen(findings, previous, answers.collection_date(bundle))
    datasets = {check_id: spec.datasets for check_id, spec in registry().items()}
    sheet = answers.judgments(bundle)
    items = item_results(catalog, findings, datasets, sheet)
    assessment = Assessment(bundle, findings, items, catalog, parameters, judgments=sheet, exceptions=register)
    if previous is not None:
        assessment.previous = compare(previous, side_of(assessment), catalog)
    return assessment


def load_assessment(run_dir: Path) -> Assessment:
    """Re-evaluate a run directory's bundle (offline). To show what a run decided, read it: :func:`read_results`."""
    return evaluate(Bundle.load(run_dir))


def present(
    run_dir: Path,
    assessment: Assessment,
    language: str,
    progress: Callable[[str], None] | None = None,
    pdf: bool = True,
    notebooks: NotebookProcess | None = None,
) -> None:
    """Execute the notebooks and publish the report into ``run_dir`` (its results written already: :func:`write_results`).

    The notebooks run first, in a process of their own (:mod:`assess_lib._notebooks`: they read the written results
    and the bundle, and are converted to HTML there) while this process writes the report, whose PDFs render in
    child processes of their own: all of it overlaps. ``notebooks``: that process, started waiting by the run
    (its kernels ready); a new one by default. A failure here stops the notebooks' process too.
    """
    from .report.publish import publish

    if notebooks is None:
        notebooks = start_notebooks(run_dir, language, progress)
    else:
        notebooks.go()
    try:
        publish(run_dir, assessment, language, formats=("html", "pdf", "xlsx") if pdf else ("html", "xlsx"))
    except BaseException:
        notebooks.stop()
        raise
    notebooks.wait()


def preload() -> None:
    """Import what a run needs, compile the report's HTML template and parse the AWS service models the collection
    reads, ahead of time (the CLI does it while the demo emulator seeds).

    Each of these would otherwise happen later, on the run's critical path: the models while the collection's threads
    wait for the interpreter, the rest while the report's PDFs and the notebooks keep both CPUs busy (the notebooks,
    papermill and nbconvert are imported in their own process).
    """
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401

    from .aws.collect import COLLECTED_SERVICES
    from .aws.session import preload_models
    from .checks import registry
    from .dns import collect as _dns  # noqa: F401
    from .report import publish as _publish  # noqa: F401
    from .report.document import prepare_html

    registry()
    load_catalog()
    prepare_html()
    preload_models(COLLECTED_SERVICES)


def run(
    params: Params,
    out_dir: Path,
    endpoint_url: str | None = None,
    progress: Callable[[str], None] | None = None,
    max_attempts: int = 8,
    dns_nameservers: list[str] | None = None,
    credentials: dict[str, str] | None = None,
    pdf: bool = True,
    ready: Callable[[], None] | None = None,
) -> Path:
    """Collect, evaluate, execute the notebooks and publish into ``out_dir`` (without the PDFs when ``pdf`` is False).

    Everything is written to a work folder first and swapped into place at the end
    (:func:`outputs.staged_output`), so a run that dies leaves earlier results untouched, and a
    folder the kit did not write is refused. ``out_dir`` is made absolute here, once (the command
    line passes it absolute already). The notebooks' process starts first and readies its kernels while the
    evidence is collected. ``ready`` blocks until ``endpoint_url`` can be called, and is called once the collection's
    clients are made: the demo's emulator is still being seeded meanwhile.
    """
    out_dir = Path(os.path.abspath(out_dir))
    say = progress or (lambda message: None)
    with staged_output(out_dir) as work:
        notebooks = start_notebooks(work, params.language, progress, wait=True)
        try:
            say(_both("cli.progress.collecting"))
            bundle = collect(
                params,
                work,
                endpoint_url=endpoint_url,
                max_attempts=max_attempts,
                progress=progress,
                dns_nameservers=dns_nameservers,
                credentials=credentials,
                ready=ready,
            )
            say(_both("cli.progress.evaluating"))
            assessment = evaluate(bundle, params.thresholds)
            write_results(work, assessment)
        except BaseException:
            notebooks.stop()
            raise
        say(_both("cli.progress.presenting"))
        present(work, assessment, params.language, progress, pdf=pdf, notebooks=notebooks)
    return out_dir
