"""A run's results read back (findings.json, controls.json and the bundle), checked, never evaluated again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assess_lib.core import Assessment, Finding, ItemResult
from assess_lib.results import ResultsError, read_results, write_results


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def copy_run(demo_cli_run: Path, tmp_path: Path) -> Path:
    """The demo run's evidence and results (the parts read back), in a folder of the test's own."""
    run = tmp_path / "run"
    shutil.copytree(demo_cli_run / "evidence", run / "evidence")
    for name in ("findings.json", "controls.json"):
        shutil.copy(demo_cli_run / name, run)
    return run


def test_read_results_is_what_the_run_wrote(demo_cli_run):
    assessment = read_results(demo_cli_run)
    assert isinstance(assessment, Assessment)
    assert [f.to_dict() for f in assessment.findings] == load(demo_cli_run / "findings.json")
    assert [i.to_dict() for i in assessment.items] == load(demo_cli_run / "controls.json")
    assert all(isinstance(f, Finding) for f in assessment.findings) and all(isinstance(i, ItemResult) for i in assessment.items)
    assert [i.control_id for i in assessment.items] == assessment.catalog.ids()
    assert assessment.bundle.verification == [], "the bundle is verified as it is read"


def test_written_again_the_results_are_the_same_marked_as_verified(demo_cli_run, tmp_path):
    """Read back and written again (a re-render): the same records, each saying its bundle verified."""
    assessment = read_results(demo_cli_run)
    write_results(tmp_path, assessment)
    for name in ("findings.json", "controls.json"):
        again = load(tmp_path / name)
        assert all(record.pop("evidence_verified") is True for record in again)
        assert again == load(demo_cli_run / name), name


def test_what_is_shown_is_what_was_written_not_a_new_evaluation(demo_cli_run, tmp_path):
    run = copy_run(demo_cli_run, tmp_path)
    controls = load(run / "controls.json")
    item = next(c for c in controls if c["control_id"] == "2.3.1-5")
    assert item["verdict"] == "fail"
    item["verdict"] = "manual"  # an edit the checks would not make: reading must not evaluate again
    (run / "controls.json").write_text(json.dumps(controls, ensure_ascii=False), encoding="utf-8")
    assert read_results(run).item("2.3.1-5").verdict == "manual"


def cut_short(text: str) -> str:
    return text[: len(text) // 2]


def drop_field(field: str):
    def edit(text: str) -> str:
        records = json.loads(text)
        del records[3][field]
        return json.dumps(records)

    return edit


def set_field(field: str, value, index: int = 0):
    def edit(text: str) -> str:
        records = json.loads(text)
        records[index][field] = value
        return json.dumps(records)

    return edit


def drop_item(text: str) -> str:
    return json.dumps([r for r in json.loads(text) if r["control_id"] != "2.3.4.4-a"])


def twice(text: str) -> str:
    records = json.loads(text)
    return json.dumps([*records, records[0]])


@pytest.mark.parametrize(
    ("name", "edit", "expected"),
    [
        ("findings.json", cut_short, "not valid JSON"),
        ("findings.json", lambda text: "{}", "expected a list of objects"),
        ("findings.json", lambda text: "[1]", "entry 1 is int, not an object"),
        ("findings.json", drop_field("verdict"), "entry 4 ("),
        ("findings.json", set_field("verdict", "compliant"), "'verdict' is 'compliant', expected one of"),
        ("findings.json", set_field("control_id", "9.9-9"), "'9.9-9', which is not in the guideline catalogue"),
        ("findings.json", set_field("details", "x"), "'details' is 'x', expected an object"),
        ("controls.json", cut_short, "not valid JSON"),
        ("controls.json", drop_item, "1 item(s) of the catalogue missing (2.3.4.4-a"),
        ("controls.json", twice, "appears twice"),
        ("controls.json", set_field("basis", 3, 5), "'basis' is 3"),
    ],
    ids=[
        "findings-truncated",
        "findings-not-a-list",
        "findings-not-objects",
        "finding-missing-field",
        "finding-bad-verdict",
        "finding-unknown-item",
        "finding-details",
        "controls-truncated",
        "controls-missing-item",
        "controls-twice",
        "controls-basis",
    ],
)
def test_edited_or_truncated_results_are_one_paragraph_naming_the_file_and_the_fix(demo_cli_run, tmp_path, name, edit, expected):
    run = copy_run(demo_cli_run, tmp_path)
    (run / name).write_text(edit((run / name).read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(ResultsError) as raised:
        read_results(run)
    message = str(raised.value)
    assert str(run / name) in message and expected in message
    assert "Fix: " in message and f"python -m assess_lib report --bundle {run} --out NEW_FOLDER" in message
    assert "\n" not in message


def test_missing_or_linked_results_are_refused_with_the_fix(demo_cli_run, tmp_path):
    run = copy_run(demo_cli_run, tmp_path)
    (run / "controls.json").unlink()
    with pytest.raises(ResultsError, match=r"no controls\.json there.*Fix: .*assess_lib demo --out"):
        read_results(run)
    # A symbolic link in place of a results file is not followed (it could name any file of the machine).
    (run / "controls.json").symlink_to(demo_cli_run / "controls.json")
    with pytest.raises(ResultsError, match=r"controls\.json.*symbolic link"):
        read_results(run)
