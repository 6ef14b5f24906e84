"""The consultant's working sheet: written for all 176 items, filled in by a script (hostile cells included), read
back as evidence, re-rendered into a bundle that still verifies, and generated again with the answers in it.

Real parts: the sheets are written and read with openpyxl, the run is the session's demo run (`demo_cli_run`), the
commands run as typed (relative paths, another working folder). `report --worksheet` is run in-process with the
presentation (notebooks, PDFs) left out: what is under test is the evidence and controls.json, which are written
before it; the report's rendering has its own tests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assess_lib import cli, pipeline
from assess_lib.attestations import collect_attestations, read_inputs
from assess_lib.attestations.schema import MAX_TEXT_CHARS
from assess_lib.attestations.third_parties import register_sheet
from assess_lib.attestations.worksheet import COL, EXCEPTION_COL, load_worksheet, sheet_name
from assess_lib.catalog import load_catalog
from assess_lib.demo import DEMO_PARAMS
from assess_lib.demo.worksheet import demo_answers, write_demo_worksheet
from assess_lib.evidence import EvidenceStore
from assess_lib.params import ParamsError, load_params
from assess_lib.report.worksheet import write_worksheet
from assess_lib.results import read_results

TODAY = dt.date(2026, 11, 30)
ROOT = Path(__file__).resolve().parents[1]
MATRIX, EXCEPTIONS = sheet_name("matrix", "ja"), sheet_name("exceptions", "ja")


def rows_by_id(ws) -> dict[str, int]:
    ids = {c.control_id for c in load_catalog()}
    return {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value in ids}


def fill(path: Path, values: dict[tuple[str, str], object], sheet: str = MATRIX) -> Path:
    """Type values into (control ID, column key) cells, as a consultant's script would."""
    wb = load_workbook(path)
    ws = wb[sheet]
    rows = rows_by_id(ws)
    for (control_id, key), value in values.items():
        ws.cell(row=rows[control_id], column=COL[key]).value = value
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    """The sheet before any run (from the catalogue alone), Japanese."""
    return write_worksheet(tmp_path_factory.mktemp("sheet") / "blank.xlsx", "ja")


def copy_of(blank: Path, tmp_path: Path, name: str = "sheet.xlsx") -> Path:
    target = tmp_path / name
    target.write_bytes(blank.read_bytes())
    return target


# --- writing -----------------------------------------------------------------------------------------------


def test_worksheet_from_a_run_has_every_item_drop_downs_protection_and_questions(demo_cli_run: Path, tmp_path: Path):
    """`worksheet --run` as typed, from another folder with relative paths: 176 item rows in catalogue order, under
    the seed's headings; the automated columns from the run; input cells unlocked, the rest locked; drop-downs."""
    work = tmp_path / "consultant"
    work.mkdir()
    run = os.path.relpath(demo_cli_run, work)
    result = subprocess.run(
        [sys.executable, "-m", "assess_lib", "worksheet", "--run", run, "--out", "sheets/bank.xlsx"],
        capture_output=True,
        text=True,
        cwd=work,
        timeout=120,
    )
    assert result.returncode != 0 and "sheets" in result.stderr  # the folder does not exist: refused, no traceback
    (work / "sheets").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "assess_lib", "worksheet", "--run", run, "--out", "sheets/bank.xlsx"],
        capture_output=True,
        text=True,
        cwd=work,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    wb = load_workbook(work / "sheets" / "bank.xlsx")
    guide, matrix, exceptions, findings = (sheet_name(s, "ja") for s in ("guide", "matrix", "exceptions", "findings"))
    assert wb.sheetnames == [guide, matrix, exceptions, register_sheet("ja"), findings]
    ws = wb[MATRIX]
    rows = rows_by_id(ws)
    assert list(rows) == [c.control_id for c in load_catalog()] and len(rows) == 176
    assert [ws.cell(row=1, column=c).value for c in (2, 3, 4)] == ["小番号", "分類", "タイトル・内容"]  # the seed's columns
    assert ws.cell(row=2, column=1).value == "2" and ws.cell(row=3, column=1).value == "2.1"  # chapter headings
    # Points to confirm: 2.1.2 (1)'s thirteen topics as sub-lines.
    checklist = ws.cell(row=rows["2.1.2-1"], column=COL["checklist"]).value
    assert checklist.startswith("□ ") and checklist.count("\n　・") == 13
    # The automated verdict and the findings summary of the run.
    controls = {c["control_id"]: c for c in json.loads((demo_cli_run / "controls.json").read_text(encoding="utf-8"))}
    assert controls["2.3.1-5"]["automated_verdict"] == "fail"
    assert ws.cell(row=rows["2.3.1-5"], column=COL["automated"]).value == "不適合"
    summary = ws.cell(row=rows["2.3.1-5"], column=COL["summary"]).value
    assert f"検出事項{sum(controls['2.3.1-5']['finding_counts'].values())}件" in summary and "root" in summary
    assert "自動チェックなし" in ws.cell(row=rows["2.6-8"], column=COL["summary"]).value
    # Protection: on, no password; input cells unlocked, the kit's cells locked.
    assert ws.protection.sheet and not ws.protection.password
    assert wb.security.lockStructure and not wb.security.workbookPassword  # sheets cannot be renamed or deleted
    row = rows["2.1.1-3"]
    assert all(not ws.cell(row=row, column=COL[k]).protection.locked for k in ("status", "verdict", "rationale", "due_date"))
    assert all(ws.cell(row=row, column=COL[k]).protection.locked for k in ("control_id", "title_text", "checklist", "summary"))
    assert wb[EXCEPTIONS].protection.sheet and not wb[EXCEPTIONS].cell(row=2, column=1).protection.locked
    validations = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert validations['"実施済,一部実施,未実施,対象外"'].startswith("J")
    assert validations['"適合,一部適合,不適合,対象外"'].startswith("P")
    assert any(dv.type == "date" and str(dv.sqref).startswith("S") for dv in ws.data_validations.dataValidation)
    assert any(dv.type == "date" for dv in wb[EXCEPTIONS].data_validations.dataValidation)
    # The run's failing findings, for the accepted risks (read-only).
    reference = wb[sheet_name("findings", "ja")]
    assert reference.protection.sheet and reference.max_row > 10
    assert "iam_root_mfa" in {reference.cell(row=r, column=2).value for r in range(2, reference.max_row + 1)}
    # A second time into the same file: refused (it may hold answers), the file untouched.
    before = (work / "sheets" / "bank.xlsx").read_bytes()
    again = subprocess.run(
        [sys.executable, "-m", "assess_lib", "worksheet", "--run", run, "--out", "sheets/bank.xlsx"],
        capture_output=True,
        text=True,
        cwd=work,
        timeout=120,
    )
    assert again.returncode != 0 and "Traceback" not in again.stderr
    assert (work / "sheets" / "bank.xlsx").read_bytes() == before


def test_worksheet_from_params_has_no_automated_columns(tmp_path: Path, capsys):
    assert cli.main(["worksheet", "--params", str(DEMO_PARAMS), "--out", str(tmp_path / "s.xlsx"), "--language", "en"]) == 0
    wb = load_workbook(tmp_path / "s.xlsx")
    assert sheet_name("findings", "en") not in wb.sheetnames
    ws = wb[sheet_name("matrix", "en")]
    row = rows_by_id(ws)["2.3.1-5"]
    assert ws.cell(row=row, column=COL["automated"]).value is None
    assert "no results" in ws.cell(row=row, column=COL["summary"]).value
    assert ws.cell(row=1, column=COL["status"]).value == "[Input] Customer's status"
    assert cli.main(["worksheet", "--params", str(DEMO_PARAMS), "--out", str(tmp_path / "s.txt")]) == 2
    assert "xlsx" in capsys.readouterr().err


# --- reading -----------------------------------------------------------------------------------------------

HOSTILE_FORMULA = '=HYPERLINK("http://evil.example/","click")'
HTML = "<script>alert(1)</script><img src=x onerror=alert(2)>"
RTL = "承認者\u202etxt.exe"
LONG = "長" * 20_000


def test_filled_by_script_with_hostile_cells_reads_back_literally(blank: Path, tmp_path: Path):
    path = fill(
        copy_of(blank, tmp_path),
        {
            ("2.1.1-3", "status"): "実施済",
            ("2.1.1-3", "notes"): HOSTILE_FORMULA,  # typed by openpyxl: a real formula cell
            ("2.1.1-3", "doc_title"): "CSIRT設置要綱\n" + HTML,
            ("2.1.1-3", "doc_location"): "規程集\n=cmd|' /C calc'!A0",
            ("2.1.1-3", "doc_date"): "2024-04-01\n2025/3/31",
            ("2.1.1-3", "doc_approver"): f"経営会議\n{RTL}",
            ("2.1.2-1", "verdict"): "一部適合",
            ("2.1.2-1", "rationale"): HTML,
            ("2.1.2-1", "owner"): RTL,
            ("2.1.2-1", "due_date"): dt.datetime(2027, 3, 31),
            ("2.2.4-1", "status"): "未実施",
            ("2.2.4-1", "notes"): LONG,
            ("2.2.4-1", "due_date"): "2027-09-30",
            ("2.6-e", "status"): "Not Applicable",  # English words in a Japanese sheet, any case
            ("2.5.2.4-1", "verdict"): "ＦＡＩＬ",  # an id, full width
            ("2.5.2.4-1", "rationale"): "ヒアリングで確認",
        },
    )
    wb = load_workbook(path)
    ws = wb[EXCEPTIONS]
    for key, value in {
        "check": "route53_query_logging",
        "resource": "demo-bank-card.example.jp*",
        "account": 123456789012,  # typed as a number
        "reason": HOSTILE_FORMULA,
        "approver": "CISO",
        "approved_on": dt.datetime(2026, 4, 15),
        "expires": "2027-09-30",
    }.items():
        ws.cell(row=2, column=EXCEPTION_COL[key]).value = value
    wb.save(path)
    data, content = load_worksheet(path, TODAY)
    assert content == path.read_bytes()
    items = {row["control_id"]: row for row in data["worksheet"]}
    assert set(items) == {"2.1.1-3", "2.1.2-1", "2.2.4-1", "2.6-e", "2.5.2.4-1"}
    assert items["2.1.1-3"]["status"] == "implemented" and items["2.1.1-3"]["notes"] == HOSTILE_FORMULA
    assert items["2.1.1-3"]["source"] == f"{MATRIX}!A{rows_by_id(wb[MATRIX])['2.1.1-3']}"
    assert items["2.1.2-1"] == {
        **items["2.1.2-1"],
        "verdict": "partial",
        "rationale": HTML,
        "owner": RTL,
        "due_date": "2027-03-31",
        "status": None,
    }
    assert items["2.2.4-1"]["status"] == "not_implemented" and items["2.2.4-1"]["due_date"] == "2027-09-30"
    notes = items["2.2.4-1"]["notes"]
    assert len(notes) == MAX_TEXT_CHARS and notes.endswith("\u2026") and notes.startswith("長" * 100)  # bounded
    assert items["2.6-e"]["status"] == "not_applicable" and items["2.5.2.4-1"]["verdict"] == "fail"
    docs = [d for d in data["documents"] if d["control_id"] == "2.1.1-3"]
    assert [(d["title"], d["location"], d["approval_date"], d["approver"]) for d in docs] == [
        ("CSIRT設置要綱", "規程集", "2024-04-01", "経営会議"),
        (HTML, "=cmd|' /C calc'!A0", "2025-03-31", RTL),
    ]
    [exception] = data["exceptions"]
    assert exception["account_id"] == "123456789012" and exception["reason"] == HOSTILE_FORMULA
    assert exception["approved_on"] == "2026-04-15" and exception["source"] == f"{EXCEPTIONS}!A2"


def _delete_status_column(path: Path) -> None:
    wb = load_workbook(path)
    wb[MATRIX].delete_cols(COL["status"])
    wb.save(path)


def _rename_exceptions(path: Path) -> None:
    wb = load_workbook(path)
    del wb[EXCEPTIONS]
    wb.save(path)


def _duplicate_row(path: Path) -> None:
    wb = load_workbook(path)
    ws = wb[MATRIX]
    rows = rows_by_id(ws)
    ws.cell(row=rows["2.1.1-4"], column=1).value = "2.1.1-3"
    wb.save(path)


@pytest.mark.parametrize(
    ("values", "edit", "expected"),
    [
        ({("2.1.1-3", "status"): "たぶん"}, None, ["J{2.1.1-3}", "'たぶん' is not one of the choices", "実施済"]),
        ({("2.1.1-3", "verdict"): "適合"}, None, ["Q{2.1.1-3}", "without a rationale", "Fix: write why"]),
        ({("2.1.1-3", "due_date"): "来年3月"}, None, ["S{2.1.1-3}", "'来年3月' is not a date", "YYYY-MM-DD"]),
        (
            {("2.1.1-3", "doc_title"): "A\nB", ("2.1.1-3", "doc_date"): "2024-01-01\n2099-01-01"},
            None,
            ["M{2.1.1-3}, line 2", "after the assessment date"],
        ),
        ({("2.1.1-3", "doc_location"): "x\ny", ("2.1.1-3", "doc_title"): "A"}, None, ["L{2.1.1-3}", "line 2 names no document"]),
        ({("2.1.1-3", "status"): "実施済"}, _duplicate_row, ["A{2.1.1-4}", "2.1.1-3 appears twice", "A{2.1.1-3}"]),
        ({}, _delete_status_column, [f"{MATRIX}!J1", "【入力】お客様の実施状況", "do not move, rename"]),
        ({}, _rename_exceptions, ["no sheet '承認済みリスク'"]),
    ],
    ids=[
        "status-word",
        "verdict-no-rationale",
        "due-date",
        "document-date",
        "document-line",
        "duplicate",
        "deleted-column",
        "missing-sheet",
    ],
)
def test_a_malformed_sheet_is_one_paragraph_naming_the_cell(blank, tmp_path, values, edit, expected):
    path = fill(copy_of(blank, tmp_path), values)
    if edit:
        edit(path)
    rows = rows_by_id(load_workbook(path, read_only=False)[MATRIX])
    with pytest.raises(ParamsError) as err:
        load_worksheet(path, TODAY)
    message = str(err.value)
    assert "\n" not in message and str(path) in message and "Fix:" in message
    for part in expected:
        for control_id in ("2.1.1-3", "2.1.1-4"):
            part = part.replace("{" + control_id + "}", str(rows.get(control_id, "")))
        assert part in message, message


def test_unknown_item_id_not_an_xlsx_and_oversized(blank, tmp_path):
    path = copy_of(blank, tmp_path)
    wb = load_workbook(path)
    ws = wb[MATRIX]
    row = rows_by_id(ws)["2.6-e"]
    ws.cell(row=row, column=1).value = "2.6-z"
    wb.save(path)
    with pytest.raises(ParamsError, match=rf"{MATRIX}!A{row}\): '2.6-z' is not an item ID"):
        load_worksheet(path, TODAY)
    text = tmp_path / "notes.xlsx"
    text.write_text("status: done\n", encoding="utf-8")
    with pytest.raises(ParamsError, match=r"not an Excel workbook.*worksheet"):
        load_worksheet(text, TODAY)
    big = tmp_path / "big.xlsx"
    with open(big, "wb") as handle:
        handle.truncate(11 * 1024 * 1024)
    with pytest.raises(ParamsError, match=r"big\.xlsx"):
        load_worksheet(big, TODAY)


def test_an_exception_without_expiry_names_its_row(blank, tmp_path):
    path = copy_of(blank, tmp_path)
    wb = load_workbook(path)
    ws = wb[EXCEPTIONS]
    for key, value in {
        "check": "iam_root_mfa",
        "resource": "root",
        "reason": "r",
        "approver": "CISO",
        "approved_on": "2026-01-01",
    }.items():
        ws.cell(row=4, column=EXCEPTION_COL[key]).value = value
    wb.save(path)
    with pytest.raises(ParamsError, match=rf"{EXCEPTIONS}!A4: 'expires' is missing"):
        load_worksheet(path, TODAY)


def test_english_sheet_reads_back(blank, tmp_path):
    path = write_worksheet(tmp_path / "en.xlsx", "en")
    wb = load_workbook(path)
    ws = wb[sheet_name("matrix", "en")]
    rows = rows_by_id(ws)
    validations = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert '"Implemented,Partially implemented,Not implemented,Not applicable"' in validations
    ws.cell(row=rows["2.4.1-b"], column=COL["status"]).value = "Partially implemented"
    ws.cell(row=rows["2.4.1-b"], column=COL["verdict"]).value = "Non-compliant"
    ws.cell(row=rows["2.4.1-b"], column=COL["rationale"]).value = "No night-time monitoring."
    ws.cell(row=rows["2.4.1-b"], column=COL["owner"]).value = "IT operations"
    wb.save(path)
    data, _ = load_worksheet(path, TODAY)
    assert data["language"] == "en"
    [row] = data["worksheet"]
    assert (row["status"], row["verdict"], row["owner"]) == ("partial", "fail", "IT operations")
    assert row["source"] == f"{sheet_name('matrix', 'en')}!A{rows['2.4.1-b']}"


# --- wiring: params, --worksheet, report --worksheet, round trip ------------------------------------------------


def test_attestation_file_and_working_sheet_combine(blank, tmp_path):
    """attestations: names the YAML file, --worksheet adds a sheet: both kept byte for byte, documents combined;
    attestations: naming the working sheet itself is read as one."""
    import dataclasses

    sheet = fill(
        copy_of(blank, tmp_path),
        {("2.1.1-1", "status"): "実施済", ("2.1.1-1", "doc_title"): "議事録", ("2.1.1-1", "doc_date"): "2025-01-01"},
    )
    params = dataclasses.replace(load_params(DEMO_PARAMS), worksheet=sheet)
    store = EvidenceStore(run_id="t", started_at="2026-11-30T00:00:00+00:00")
    meta = collect_attestations(params, store)
    assert meta["attestations"]["format"] == "yaml" and meta["worksheet"]["items"] == ["2.1.1-1"]
    assert store.files["attestations/sheet.xlsx"] == sheet.read_bytes()
    documents = store.records[("attestation.documents", "org", "global")].rows
    yaml_docs = [d for d in documents if not d.get("source")]
    assert yaml_docs and any(d["title"] == "議事録" and d["source"] for d in documents)
    assert [r["format"] for r in store.records[("attestation.file", "org", "global")].rows] == ["yaml", "worksheet"]
    # The sheet named by attestations: in the params file (relative to it).
    (tmp_path / "p.yaml").write_text("customer: X\nattestations: sheet.xlsx\n", encoding="utf-8")
    inputs = read_inputs(load_params(tmp_path / "p.yaml"), TODAY)
    assert inputs.attestation is None and inputs.sheet[1]["worksheet"][0]["status"] == "implemented"
    with pytest.raises(ParamsError, match="a second working sheet"):
        read_inputs(dataclasses.replace(load_params(tmp_path / "p.yaml"), worksheet=sheet), TODAY)


def test_run_refuses_a_bad_sheet_before_collecting(blank, tmp_path, capsys):
    bad = fill(copy_of(blank, tmp_path), {("2.2.4-1", "status"): "済"})
    code = cli.main(["run", "--params", str(DEMO_PARAMS), "--out", str(tmp_path / "out"), "--worksheet", str(bad), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "'済' is not one of the choices" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def _report(bundle: Path, out: Path, sheet: Path, monkeypatch) -> None:
    monkeypatch.setattr(pipeline, "present", lambda *args, **kwargs: None)
    assert cli.main(["report", "--bundle", str(bundle), "--out", str(out), "--worksheet", str(sheet)]) == 0


def test_report_with_the_demo_sheet_verdicts_verify_and_round_trip(demo_cli_run: Path, tmp_path: Path, monkeypatch, capsys):
    sheet = fill(write_demo_worksheet(tmp_path / "demo-sheet.xlsx"), {("2.6-5", "notes"): HOSTILE_FORMULA})
    out = tmp_path / "with-sheet"
    monkeypatch.chdir(tmp_path)  # as typed in the consultant's folder: relative paths
    _report(Path(os.path.relpath(demo_cli_run, tmp_path)), Path("with-sheet"), Path("demo-sheet.xlsx"), monkeypatch)
    controls = {c["control_id"]: c for c in json.loads((out / "controls.json").read_text(encoding="utf-8"))}
    answers = demo_answers()["items"]
    # An automated failure judged partially compliant: an override with its rationale, the findings unchanged.
    override = controls["2.1.2-1"]
    assert override["verdict"] == "partial" and override["automated_verdict"] == "fail" and override["basis"] == "judgment"
    assert override["override"] == {"from": "fail", "to": "partial", "rationale": answers["2.1.2-1"]["rationale"]}
    # The consultant's judgment on an item without checks; answers; remediation owner and due date.
    assert controls["2.5.2.4-1"]["verdict"] == "partial" and controls["2.5.2.4-1"]["basis"] == "judgment"
    assert controls["2.1.1-3"]["verdict"] == "pass" and controls["2.1.1-3"]["basis"] == "answer"
    assert controls["2.2.4-1"]["verdict"] == "fail" and controls["2.2.4-1"]["due_date"] == "2027-03-31"
    assert controls["2.2.4-1"]["owner"] == "情報システム部 基盤グループ"
    assert controls["2.6-e"]["verdict"] == "not_applicable"
    assert controls["2.1.1-1"]["basis"] == "answer"  # the YAML attestation still decides its items
    # Accepted risks: one in force (counted apart), one expired (back to a failure).
    assert controls["2.3.4.2-1"]["finding_counts"]["accepted_risk"] == 1 and controls["2.3.4.2-1"]["verdict"] == "partial"
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    egress = [f for f in findings if f["check_id"] == "sg_egress_unrestricted" and f["verdict"] == "fail"]
    covered = [f for f in egress if f["account_id"] == "123456789012" and f["region"] == "ap-northeast-1"]  # its scope
    assert covered and all(f["accepted_risk"]["status"] == "expired" for f in covered)
    assert all(f["accepted_risk"] is None for f in egress if f not in covered)
    # The new bundle holds the sheet byte for byte and verifies.
    manifest = json.loads((out / "evidence" / "manifest.json").read_text(encoding="utf-8"))
    kept = manifest["worksheet"]["kept_as"]
    assert (out / "evidence" / kept).read_bytes() == sheet.read_bytes()
    assert any(f["file"] == kept for f in manifest["files"])
    capsys.readouterr()
    assert cli.main(["verify", "--bundle", str(out)]) == 0, capsys.readouterr().out
    # Round trip: the sheet generated from this output shows the answers, and reads back to the same rows.
    again = tmp_path / "again.xlsx"
    assert cli.main(["worksheet", "--run", str(out), "--out", str(again)]) == 0
    wb = load_workbook(again)
    ws = wb[MATRIX]
    rows = rows_by_id(ws)
    assert ws.cell(row=rows["2.1.1-3"], column=COL["status"]).value == "実施済"
    assert ws.cell(row=rows["2.1.2-1"], column=COL["verdict"]).value == "一部適合"
    assert ws.cell(row=rows["2.1.1-3"], column=COL["doc_title"]).value == "CSIRT設置要綱\nSOC運用委託契約書"
    assert "実行時の判定: 一部適合" in ws.cell(row=rows["2.1.2-1"], column=COL["summary"]).value
    assert wb[EXCEPTIONS].cell(row=2, column=1).value == "route53_query_logging"
    formula = ws.cell(row=rows["2.6-5"], column=COL["notes"])  # the customer's formula, written back as text
    assert formula.value == HOSTILE_FORMULA and formula.data_type == "s" and formula.quotePrefix
    first, _ = load_worksheet(sheet, TODAY)
    second, _ = load_worksheet(again, TODAY)
    for key in ("worksheet", "documents", "exceptions"):
        assert [{k: v for k, v in r.items() if k != "source"} for r in second[key]] == [
            {k: v for k, v in r.items() if k != "source"} for r in first[key]
        ], key
    # Re-rendered again with the new sheet: the earlier sheet and its rows are replaced, the bundle still verifies.
    out2 = tmp_path / "again-out"
    _report(out, out2, again, monkeypatch)
    manifest2 = json.loads((out2 / "evidence" / "manifest.json").read_text(encoding="utf-8"))
    kept_files = [f["file"] for f in manifest2["files"]]
    # the customer's answer files: the sheet replaced (only the latest kept), the YAML attestation file beside it
    assert [f for f in kept_files if f.startswith("attestations/")] == [
        "attestations/again.xlsx",
        "attestations/attestations.example.yaml",
    ]
    assert "exceptions/exceptions.yaml" in kept_files and "previous/findings.json" in kept_files  # kept as they were
    assert not (out2 / "evidence" / kept).exists()
    assert read_results(out2).bundle.verification == []
    assert cli.main(["verify", "--bundle", str(out2)]) == 0
