"""The comparison with the previous assessment: stable finding IDs, new / resolved / still open (with age), verdict
changes, expired accepted risks, per-section counts; the ``diff`` command and the report's section.

The demo compares itself with ``assess_lib/demo/previous`` (its previous year, made by tools/make_demo_previous.py):
the shared demo run (``demo_cli_run``) and an offline re-evaluation of its bundle are used as they are. The edge
cases of the comparison are hand-built results files (findings.json, controls.json, run.json), the shape a run
writes: what no emulator needs to produce.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assess_lib.compare import CompareError, check_pair, compare, read_run
from assess_lib.core.model import finding_id

ROOT = Path(__file__).resolve().parents[1]
DEMO_PREVIOUS = ROOT / "assess_lib" / "demo" / "previous"
HOSTILE = "<script>alert(1)</script>&\"'"


def _finding(check: str, resource: str, verdict: str = "fail", control: str = "2.3.1-5", **extra: Any) -> dict[str, Any]:
    record = {
        "check_id": check,
        "control_id": control,
        "verdict": verdict,
        "account_id": "123456789012",
        "region": "global",
        "resource": resource,
        "message_ja": f"{resource} の指摘",
        "message_en": f"finding about {resource}",
        "details": {},
        "severity": "high",
        **extra,
    }
    record.setdefault("finding_id", finding_id(check, "123456789012", "global", resource))
    return record


def _write_run(folder: Path, started_at: str, findings: list[dict[str, Any]], verdicts: dict[str, str], run_id: str = "") -> Path:
    """A previous-run folder: findings.json, controls.json (the items named) and run.json."""
    folder.mkdir(parents=True)
    (folder / "findings.json").write_text(json.dumps(findings, ensure_ascii=False), encoding="utf-8")
    items = [{"control_id": c, "verdict": v, "title_ja": f"項目 {c}", "title_en": f"Item {c}"} for c, v in verdicts.items()]
    (folder / "controls.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    facts = {"run_id": run_id or f"run-{started_at[:10]}", "customer": "デモ銀行", "started_at": started_at}
    (folder / "run.json").write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    return folder


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    """Last year's and this year's results, one case of each kind."""
    accepted = {"status": "active", "reason": "移行中", "approver": "CISO", "approved_on": "2025-01-10", "expires": "2026-01-31"}
    expired = {**accepted, "status": "expired"}
    old = _write_run(
        tmp_path / "2025",
        "2025-11-30T01:00:00+00:00",
        [
            _finding("iam_root_mfa", "root", first_seen="2023-12-01"),  # open since the assessment before
            _finding("iam_user_console_mfa", "suzuki"),  # still open, first seen last year
            _finding("iam_user_console_mfa", "tanaka"),  # passes now
            _finding("iam_user_console_mfa", "sato"),  # gone now
            _finding("iam_user_console_mfa", "kato", accepted_risk=accepted),  # accepted then, failing now
            _finding("remote_admin_from_internet", "sg-1", control="2.3.1-5"),
            _finding("iam_user_console_mfa", "ito", verdict="pass"),  # passed then, fails now: new
        ],
        {"2.3.1-5": "fail", "2.3.1-7": "pass", "2.1.1-1": "manual"},
    )
    new = _write_run(
        tmp_path / "2026",
        "2026-12-01T01:00:00+00:00",
        [
            _finding("iam_root_mfa", "root"),
            _finding("iam_user_console_mfa", "suzuki"),
            _finding("iam_user_console_mfa", "tanaka", verdict="pass"),
            _finding("iam_user_console_mfa", "kato"),
            _finding("remote_admin_from_internet", "sg-1", accepted_risk=expired),
            _finding("iam_user_console_mfa", "ito"),
            _finding("iam_saml_provider_certificates", "OldIdP", control="2.3.1-7"),
            _finding("iam_saml_provider_certificates", "OldIdP", control="2.3.1-8"),  # one check, two items: one ID
        ],
        {"2.3.1-5": "fail", "2.3.1-7": "fail", "2.1.1-1": "pass"},
    )
    return old, new


def _ids(changes: list[Any]) -> dict[str, Any]:
    return {c.finding.resource: c for c in changes}


def test_new_resolved_still_open_with_age_verdict_changes_and_expired_risks(tmp_path):
    old, new = _pair(tmp_path)
    previous, _ = read_run(old)
    current, _ = read_run(new)
    check_pair(previous, current)
    result = compare(previous, current)

    assert set(_ids(result.new)) == {"ito", "OldIdP"}
    assert _ids(result.new)["ito"].before == "pass" and _ids(result.new)["OldIdP"].before is None
    assert _ids(result.new)["OldIdP"].controls == ("2.3.1-7", "2.3.1-8")  # one finding ID for both items
    resolved = _ids(result.resolved)
    assert {name: c.after for name, c in resolved.items()} == {"tanaka": "pass", "sato": None}
    still = _ids(result.still_open)
    assert set(still) == {"root", "suzuki", "kato", "sg-1"}
    # 2026-12-01 10:00 JST since 2023-12-01 (carried by last year's first_seen) and since 2025-11-30 10:00 JST.
    assert (still["root"].first_seen, still["root"].age_days) == ("2023-12-01", 1096)
    assert (still["suzuki"].first_seen, still["suzuki"].age_days) == ("2025-11-30", 366)
    assert result.oldest is not None and result.oldest.finding.resource == "root"
    expired = _ids(result.expired)
    assert set(expired) == {"kato", "sg-1"}
    assert expired["kato"].accepted_risk["status"] == "active"  # in force last year, none now
    assert expired["sg-1"].accepted_risk["status"] == "expired"
    assert [(c.control_id, c.before, c.after) for c in result.items] == [
        ("2.1.1-1", "manual", "pass"),
        ("2.3.1-7", "pass", "fail"),
    ]
    sections = {s.number: s for s in result.sections}
    assert [s.number for s in result.sections] == ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6"]
    assert sections["2.1"].delta("pass") == 1 and sections["2.1"].delta("manual") == -1
    assert sections["2.3"].before["pass"] == 1 and sections["2.3"].after["fail"] == 2


def test_a_run_of_an_older_kit_without_finding_ids_is_matched_by_the_four_fields(tmp_path):
    old, new = _pair(tmp_path)
    records = json.loads((old / "findings.json").read_text(encoding="utf-8"))
    for record in records:
        del record["finding_id"]
    (old / "findings.json").write_text(json.dumps(records), encoding="utf-8")
    previous, _ = read_run(old)
    result = compare(previous, read_run(new)[0])
    assert {c.finding.resource for c in result.still_open} == {"root", "suzuki", "kato", "sg-1"}
    assert {c.finding.resource for c in result.resolved} == {"tanaka", "sato"}


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda folder: (folder / "controls.json").unlink(), "no controls.json there"),
        (lambda folder: (folder / "findings.json").write_text("[{}]"), "has no 'check_id'"),
        (lambda folder: (folder / "run.json").write_text('{"customer": "x"}'), "has no 'run_id'"),
        (
            lambda folder: (folder / "findings.json").write_text(json.dumps([_finding("c", "r", finding_id="F-nothex")])),
            "'finding_id' is not F- and 16 hex digits",
        ),
        (lambda folder: [p.unlink() for p in folder.iterdir()], "not a run folder of the kit"),
    ],
)
def test_a_bad_previous_folder_is_one_paragraph_naming_it(tmp_path, damage, expected):
    old, _ = _pair(tmp_path)
    damage(old)
    with pytest.raises(CompareError) as caught:
        read_run(old)
    message = str(caught.value)
    assert expected in message and str(old) in message and "Fix:" in message and "\n" not in message


def test_pairs_that_cannot_be_compared_are_refused(tmp_path):
    old, new = _pair(tmp_path)
    previous, current = read_run(old)[0], read_run(new)[0]
    with pytest.raises(CompareError, match="not before the current one"):
        check_pair(current, previous)
    with pytest.raises(CompareError, match="the same run"):
        check_pair(previous, read_run(old)[0])
    other = json.loads((new / "run.json").read_text(encoding="utf-8"))
    (new / "run.json").write_text(json.dumps({**other, "customer": "別の銀行"}, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CompareError, match="same customer's previous one only"):
        check_pair(previous, read_run(new)[0])


def _diff(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "assess_lib", "diff", *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env
    )


def _collected_jst(run: Path) -> dt.date:
    """The day (Japan time) a run's evidence was collected, as its manifest records it."""
    manifest = json.loads((run / "evidence" / "manifest.json").read_text(encoding="utf-8"))
    return dt.datetime.fromisoformat(manifest["started_at"]).astimezone(dt.timezone(dt.timedelta(hours=9))).date()


def _root_mfa_open_since(run: Path) -> tuple[dt.date, int]:
    """When the demo's previous assessment says 情報系's root user without MFA was first reported (the year before
    that assessment: tools/make_demo_previous.py), and for how many days the finding is open in ``run``. Read from the
    files, so that the demo's tests hold on any day, not only the day its previous assessment was made."""
    previous = json.loads((DEMO_PREVIOUS / "findings.json").read_text(encoding="utf-8"))
    made = json.loads((DEMO_PREVIOUS / "run.json").read_text(encoding="utf-8"))["started_at"]
    first = next(f["first_seen"] for f in previous if f["check_id"] == "iam_root_mfa" and f.get("first_seen"))
    since = dt.date.fromisoformat(first)
    made_on = dt.datetime.fromisoformat(made).astimezone(dt.timezone(dt.timedelta(hours=9))).date()
    assert since == made_on.replace(year=made_on.year - 1)
    return since, (_collected_jst(run) - since).days


def test_diff_command_from_another_folder_with_relative_paths_twice(demo_cli_run, tmp_path, monkeypatch, capsys):
    """As a consultant types it: relative paths from their own folder; the same text twice; English on request; bad
    folders are one paragraph (those in this process, the command's own function, to keep the suite fast)."""
    from assess_lib.cli import main

    previous = demo_cli_run.parent.parent / "params" / "previous"  # the demo's previous assessment, beside the params
    run = os.path.relpath(demo_cli_run, tmp_path)
    old = os.path.relpath(previous, tmp_path)
    first = _diff(tmp_path, "--previous", old, "--run", run)
    second = _diff(tmp_path, "--previous", old, "--run", run)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout and not first.stderr
    for heading in ("前回評価との比較: デモ銀行", "新規の指摘", "解消した指摘", "継続している指摘", "評価結果が変わった項目"):
        assert heading in first.stdout
    since, days = _root_mfa_open_since(demo_cli_run)
    assert "2.3.1-7" in first.stdout  # the verdict change
    assert f"{since.year}年{since.month}月{since.day}日から {days} 日間" in first.stdout  # root MFA, the oldest

    monkeypatch.chdir(tmp_path)
    assert main(["diff", "--previous", old, "--run", run, "--language", "en"]) == 0
    english = capsys.readouterr().out
    assert "Findings still open" in english and "Accepted risks whose approval expired" in english
    for args, expected in (
        ((run, run), "same folder"),
        ((run, old), "not before the current one"),
        (("no-such-run", run), "no such folder"),
        ((".", run), "not a run folder of the kit"),
    ):
        assert main(["diff", "--previous", args[0], "--run", args[1]]) == 2
        err = capsys.readouterr().err
        assert expected in err and err.startswith("error: ") and err.count("\n") == 1, err


def test_the_demo_run_keeps_its_previous_assessment_and_dates_its_open_findings(demo_cli_run):
    from assess_lib.evidence import Bundle

    bundle = Bundle.load(demo_cli_run)
    assert bundle.verify() == []
    kept = {entry["file"] for entry in bundle.files()}
    assert {"previous/findings.json", "previous/controls.json", "previous/run.json"} <= kept
    assert (bundle.path / "previous" / "findings.json").read_bytes() == (DEMO_PREVIOUS / "findings.json").read_bytes()
    findings = json.loads((demo_cli_run / "findings.json").read_text(encoding="utf-8"))
    collected = _collected_jst(demo_cli_run)
    for record in findings:
        assert ("first_seen" in record) == (record["verdict"] in ("fail", "error")), record["check_id"]
    root_mfa = next(r for r in findings if r["check_id"] == "iam_root_mfa" and r["account_id"] == "345678901234")
    assert root_mfa["first_seen"] == _root_mfa_open_since(demo_cli_run)[0].isoformat()  # the age chains across years
    new_key = next(r for r in findings if r["check_id"] == "iam_access_key_age" and r["verdict"] == "fail")
    assert new_key["first_seen"] == collected.isoformat()


def test_the_demo_emulator_draws_the_resource_ids_its_previous_assessment_was_made_with(demo_cli_run):
    """The demo's emulator draws resource IDs from a fixed seed, in the seeding's order: every finding of the previous
    year that names such an ID (a VPC, a security group, an instance...) is found again by its finding ID. A change in
    how the emulator starts or seeds that moves the draws would show every one of them as resolved and new."""
    import re

    drawn = re.compile(r"\b(?:vpc|sg|subnet|i|vol|snap|igw|nat|rtb|tgw|eni|acl)-[0-9a-f]{8,}\b")
    previous = json.loads((DEMO_PREVIOUS / "findings.json").read_text(encoding="utf-8"))
    naming = [f for f in previous if drawn.search(json.dumps(f, ensure_ascii=False))]
    current = {f["finding_id"] for f in json.loads((demo_cli_run / "findings.json").read_text(encoding="utf-8"))}
    assert len(naming) >= 40
    assert [f["resource"] for f in naming if f["finding_id"] not in current] == []


def test_offline_re_evaluation_gives_the_same_ids_and_comparison(demo_cli_run):
    """Stable IDs across two evaluations of the same evidence, and the comparison made from the bundle alone equals
    the one made from the two folders (what `diff` reads)."""
    from assess_lib.evidence import Bundle
    from assess_lib.pipeline import evaluate

    assessment = evaluate(Bundle.load(demo_cli_run))
    written = json.loads((demo_cli_run / "findings.json").read_text(encoding="utf-8"))
    assert sorted(f.finding_id for f in assessment.findings) == sorted(r["finding_id"] for r in written)
    assert [f.first_seen for f in assessment.findings] == [r.get("first_seen") for r in written]
    made = assessment.previous
    folders = compare(read_run(DEMO_PREVIOUS)[0], read_run(demo_cli_run)[0])
    for name in ("new", "resolved", "still_open", "expired"):
        assert [c.finding_id for c in getattr(made, name)] == [c.finding_id for c in getattr(folders, name)], name
    assert len(made.resolved) >= 3 and len(made.new) >= 3 and len(made.expired) >= 1
    assert ("2.3.1-7", "pass", "fail") in [(c.control_id, c.before, c.after) for c in made.items]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_report_section_in_both_languages_escapes_customer_strings(demo_cli_run, tmp_path, lang):
    """The section of the demo's report, and a previous run whose resolved finding names a hostile resource."""
    from assess_lib.compare import side_of
    from assess_lib.report.document import build_document, render_html
    from assess_lib.results import read_results

    html = (demo_cli_run / ("report.html" if lang == "ja" else "report.en.html")).read_text(encoding="utf-8")
    title = "前回評価との比較" if lang == "ja" else "Comparison with the previous assessment"
    assert f'<h1 class="part" id="comparison">{title}</h1>' in html
    assert 'href="#comparison"' in html and "data:image/svg+xml;base64," in html

    assessment = read_results(demo_cli_run)
    hostile = _finding("iam_user_console_mfa", HOSTILE, message_ja=HOSTILE, message_en=HOSTILE)
    old = _write_run(tmp_path / "old", "2024-01-05T00:00:00+00:00", [hostile], {"2.3.1-5": "fail"}, run_id="old-run")
    assessment.previous = compare(read_run(old)[0], side_of(assessment), assessment.catalog)
    page = render_html(build_document(assessment, lang))
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    resolved = "解消した指摘 (1)" if lang == "ja" else "Resolved findings (1)"
    assert resolved in page


def test_diff_shows_a_hostile_resource_as_text_on_the_terminal(tmp_path, monkeypatch, capsys):
    from assess_lib.cli import main

    hostile = "sg-1\x1b[2J\x1b]0;owned\x07\u202e"
    _write_run(tmp_path / "old", "2025-01-05T00:00:00+00:00", [_finding("sg_ingress_internet", hostile)], {"2.3-1": "fail"})
    _write_run(tmp_path / "new", "2026-01-05T00:00:00+00:00", [], {"2.3-1": "pass"})
    monkeypatch.chdir(tmp_path)
    assert main(["diff", "--previous", "old", "--run", "new"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "sg-1\\x1b[2J\\x1b]0;owned\\x07\\u202e" in out


def test_previous_in_the_params_that_cannot_be_compared_stops_the_run_before_collecting(tmp_path):
    """One paragraph naming the params key, before any AWS call (no emulator is running here)."""
    from assess_lib.params import ParamsError, parse_params
    from assess_lib.pipeline import collect

    other = _write_run(tmp_path / "other", "2025-01-05T00:00:00+00:00", [], {"2.3-1": "pass"})
    facts = json.loads((other / "run.json").read_text(encoding="utf-8"))
    (other / "run.json").write_text(json.dumps({**facts, "customer": "別の銀行"}, ensure_ascii=False), encoding="utf-8")
    for folder, expected in ((other, "same customer's previous one only"), (tmp_path, "not a run folder of the kit")):
        params = parse_params({"customer": "デモ銀行", "previous": str(folder)}, str(tmp_path / "params.yaml"), tmp_path)
        with pytest.raises(ParamsError) as caught:
            collect(params, tmp_path / "run")
        message = str(caught.value)
        assert "key 'previous'" in message and expected in message and "\n" not in message
    assert not (tmp_path / "run" / "evidence").exists()
