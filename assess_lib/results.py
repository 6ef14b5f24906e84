"""A run's results on disk: ``findings.json`` and ``controls.json`` written once, read back as they are.

The pipeline writes them after evaluating (:func:`write_results`); the notebooks, and anything else that
shows a finished run, read them with its evidence bundle (:func:`read_results`) and never evaluate again: what
they show is what the run decided. Both files are contracts (DESIGN.md section 4); what is read is checked, so
that a file edited by hand or cut short is one paragraph naming the file and the fix, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from .bundle_check import MemberProblem, parse_json, read_member, recorded_problems, show
from .catalog import load_catalog
from .core.model import Assessment, Finding, ItemResult, Verdict
from .evidence import Bundle
from .redact import mask_secrets

FINDINGS = "findings.json"
CONTROLS = "controls.json"
# The largest results file read back (a large estate writes tens of MB of findings).
MAX_RESULTS_BYTES = 1 << 30


class ResultsError(ValueError):
    """A run's results cannot be read back; the message names the file, what is wrong and the fix."""


def write_results(run_dir: Path, assessment: Any) -> None:
    """``findings.json`` and ``controls.json`` of ``assessment`` into ``run_dir`` (contract files).

    Re-rendered from a saved bundle, every object also says whether that bundle verified (``evidence_verified``).
    Access-key IDs are masked.
    """
    problems = assessment.bundle.verification
    mark = {} if problems is None else {"evidence_verified": not problems}
    findings = [{**_masked(f.to_dict()), **mark} for f in assessment.findings]
    with open(run_dir / FINDINGS, "w", encoding="utf-8") as handle:
        json.dump(findings, handle, ensure_ascii=False, indent=1, default=str)
    items = [{**item.to_dict(), **mark} for item in assessment.items]
    with open(run_dir / CONTROLS, "w", encoding="utf-8") as handle:
        json.dump(items, handle, ensure_ascii=False, indent=1)


def _masked(record: dict[str, Any]) -> dict[str, Any]:
    return json.loads(mask_secrets(json.dumps(record, ensure_ascii=False, default=str)))


# --- reading back --------------------------------------------------------------------------------------------

_VERDICTS = frozenset(v.value for v in Verdict)


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _optional_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _verdict(value: Any) -> bool:
    return isinstance(value, str) and value in _VERDICTS


def _optional_verdict(value: Any) -> bool:
    return value is None or _verdict(value)


def _basis(value: Any) -> bool:
    return value is None or isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _counts(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, int) and not isinstance(v, bool) for v in value.values())


def _mapping(value: Any) -> bool:
    return isinstance(value, dict)


# field -> (is it valid, what it must be); a field missing from the record is an error too.
FINDING_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "check_id": (_text, "a text"),
    "control_id": (_text, "a text"),
    "verdict": (_verdict, f"one of {', '.join(sorted(_VERDICTS))}"),
    "account_id": (_text, "a text"),
    "region": (_text, "a text"),
    "resource": (_text, "a text"),
    "message_ja": (_text, "a text"),
    "message_en": (_text, "a text"),
    "details": (_mapping, "an object"),
    "severity": (_text, "a text"),
}
ITEM_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "control_id": (_text, "a text"),
    "verdict": (_verdict, f"one of {', '.join(sorted(_VERDICTS))}"),
    "title_ja": (_text, "a text"),
    "title_en": (_text, "a text"),
    "basis": (_basis, "null, a text or a list of texts"),
    "section": (_text, "a text"),
    "kind": (_text, "a text"),
    "mode": (_text, "a text"),
    "checks": (_texts, "a list of texts"),
    "automated_verdict": (_optional_verdict, f"null or one of {', '.join(sorted(_VERDICTS))}"),
    "rollup_rule": (_optional_text, "a text"),
    "finding_counts": (_counts, "an object of counts"),
}


def _fix(run_dir: Path) -> str:
    return (
        "Fix: these files are written by the kit and not meant to be edited; restore them from the run as the kit wrote "
        f"it, or write the results again from its evidence bundle, offline, into a new folder: python -m assess_lib report "
        f"--bundle {run_dir} --out NEW_FOLDER"
    )


def _problem(run_dir: Path, name: str, problem: str) -> ResultsError:
    return ResultsError(f"{run_dir / name}: {problem}. {_fix(run_dir)}")


def _records(run_dir: Path, name: str) -> list[dict[str, Any]]:
    """The list of objects in ``run_dir/name`` (read without following symbolic links, within bounds)."""
    return _records_read(run_dir, name)[0]


def _records_read(run_dir: Path, name: str) -> tuple[list[dict[str, Any]], bytes]:
    """:func:`_records` and the very bytes they were parsed from."""
    try:
        content = read_member(run_dir, name, MAX_RESULTS_BYTES)
        data = parse_json(content)
    except MemberProblem as err:
        text = str(err)
        if text.startswith("missing:"):
            raise ResultsError(
                f"{run_dir}: no {name} there, so no results to show (a run folder holds findings.json and controls.json "
                f"beside evidence/). Fix: point at a folder written by 'python -m assess_lib run' or 'demo' (e.g. "
                f"python -m assess_lib demo --out outputs/demo), or write the results of this bundle into a new folder: "
                f"python -m assess_lib report --bundle {run_dir} --out NEW_FOLDER"
            ) from None
        raise _problem(run_dir, name, text) from None
    except ValueError as err:
        raise _problem(run_dir, name, str(err)) from None
    if not isinstance(data, list):
        raise _problem(run_dir, name, f"expected a list of objects, found {type(data).__name__}")
    return data, content


def _checked(run_dir: Path, name: str, records: list[Any], fields: Mapping[str, tuple[Callable[[Any], bool], str]]) -> None:
    for index, record in enumerate(records, start=1):
        where = f"entry {index}"
        if not isinstance(record, dict):
            raise _problem(run_dir, name, f"{where} is {type(record).__name__}, not an object")
        if isinstance(record.get("control_id"), str):
            where += f" ({show(record['control_id'])})"
        for field, (valid, expected) in fields.items():
            if field not in record:
                raise _problem(run_dir, name, f"{where} has no {field!r}")
            if not valid(record[field]):
                raise _problem(run_dir, name, f"{where}: {field!r} is {show(record[field])}, expected {expected}")


def read_records(
    run_dir: Path, name: str, fields: Mapping[str, tuple[Callable[[Any], bool], str]]
) -> tuple[list[dict[str, Any]], bytes]:
    """The objects of ``run_dir/name`` checked for ``fields`` only (a previous run, perhaps of an older kit, is
    compared on the fields it shares with this one), and the bytes read: :class:`ResultsError` otherwise."""
    records, content = _records_read(run_dir, name)
    _checked(run_dir, name, records, fields)
    return records, content


def read_findings(run_dir: Path) -> list[Finding]:
    """The findings of ``run_dir/findings.json``, checked field by field (:class:`ResultsError` otherwise)."""
    records = _records(run_dir, FINDINGS)
    _checked(run_dir, FINDINGS, records, FINDING_FIELDS)
    return [Finding.from_dict(record) for record in records]


def read_items(run_dir: Path, catalog: Any) -> list[ItemResult]:
    """The item results of ``run_dir/controls.json``: one per catalogue item, in catalogue order."""
    records = _records(run_dir, CONTROLS)
    _checked(run_dir, CONTROLS, records, ITEM_FIELDS)
    by_id: dict[str, dict[str, Any]] = {}
    for record in records:
        control_id = record["control_id"]
        if control_id not in catalog:
            raise _problem(run_dir, CONTROLS, f"item {show(control_id)} is not in the guideline catalogue of this kit")
        if control_id in by_id:
            raise _problem(run_dir, CONTROLS, f"item {show(control_id)} appears twice")
        by_id[control_id] = record
    missing = [control_id for control_id in catalog.ids() if control_id not in by_id]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise _problem(run_dir, CONTROLS, f"{len(missing)} item(s) of the catalogue missing ({shown}; cut short?)")
    return [ItemResult.from_dict(by_id[control_id]) for control_id in catalog.ids()]


def read_results(run_dir: Path) -> Assessment:
    """The assessment a run wrote: its findings, its item results and its evidence bundle, never evaluated again.

    The bundle is checked against its manifest (a run folder reopened later may have been edited since): what does
    not match, or a re-render recorded as made from a bundle that did not verify, is in ``bundle.verification``.
    Raises :class:`ResultsError` for results that cannot be read and
    :class:`~assess_lib.bundle_check.BundleError` for a missing or malformed bundle, both one paragraph with the fix.
    """
    run_dir = Path(run_dir)
    bundle = Bundle.load(run_dir)
    catalog = load_catalog()
    findings = read_findings(run_dir)
    for finding in findings:
        if finding.control_id not in catalog:
            raise _problem(
                run_dir,
                FINDINGS,
                f"a finding of {show(finding.check_id)} names item {show(finding.control_id)}, which is not in the "
                "guideline catalogue of this kit",
            )
    items = read_items(run_dir, catalog)
    # [] once verified clean; the differences otherwise, or those recorded when this output was rendered unverified.
    bundle.verification = bundle.verify() or recorded_problems(bundle) or []
    return Assessment(bundle=bundle, findings=findings, items=items, catalog=catalog)


__all__ = [
    "CONTROLS",
    "FINDINGS",
    "FINDING_FIELDS",
    "ITEM_FIELDS",
    "ResultsError",
    "read_findings",
    "read_items",
    "read_records",
    "read_results",
    "write_results",
]
