"""Hostile and careless input files (issue 11, points 4 and 5): params, attestation YAML, the questionnaire.

Each case runs the command line as a user would (``run --params FILE --out DIR``) and must end, before any
collection, with exit code 2 and one paragraph that names the file and the fix: no traceback, no hang, bounded
time and memory, nothing written. Cases that on the old code blocked forever or ate gigabytes (a FIFO, /dev/zero,
alias bombs, a cell in the sheet's last row) run in a child process with a memory limit and an alarm, so the
suite stays safe on any code.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
import resource
from openpyxl import load_workbook

import assess_lib.report.questionnaire
import assess_lib.pipeline  # noqa: F401 - cmd_run imports it before reading the params
from assess_lib.attestations import load_attestations
from assess_lib.report.questionnaire import ANSWER_SHEET, COL, write_questionnaire
from assess_lib.cli import main
from assess_lib.params import ParamsError, load_params
from assess_lib.safe_input import shown

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date(2025, 7, 1)
# Valid except for what a case adds: an unreachable endpoint and no domains, so that the old code, which let
# some of these files through, failed at collection (no network) rather than passing the test.
BASE = "customer: テスト銀行\naws:\n  endpoint_url: http://127.0.0.1:9\n  regions: [ap-northeast-1]\ndns:\n  domains: []\n"
MAX_SECONDS = 2.0  # each case takes milliseconds; the margin is for a loaded CI machine
MAX_PEAK = 64 * 1024 * 1024  # growth of the process's peak resident memory in one case

BOMB = (
    "["
    + ", ".join(
        f"&{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]"
        for prev, name in zip([None, "a", "b", "c", "d", "e", "f", "g", "h"], "abcdefghi", strict=True)
    )
    + "]"
)  # one value, a list whose last element expands to 9**9 (387 million) strings; the old code rendered it in a message


@pytest.fixture(scope="module", autouse=True)
def _warm():
    """Packaged data the checks of any case read (catalogue, questions, regions) is loaded once, before timing."""
    from assess_lib.catalog.questions import question_bank
    from assess_lib.catalog import load_catalog
    from assess_lib.params import known_regions

    load_catalog(), question_bank(), known_regions()


def params_with(tmp_path: Path, extra: str = "", base: str = BASE, name: str = "params.yaml") -> Path:
    path = tmp_path / name
    path.write_text(base + extra, encoding="utf-8")
    return path


def run_cli(tmp_path: Path, params: Path, capsys) -> tuple[int, str, float, int]:
    """``run --params`` in-process: exit code, stderr, seconds, growth of the peak resident memory (bytes).

    The peak (ru_maxrss) only grows when a case needs more memory than anything before it in this process, so
    a bounded case shows ~0 and an unbounded one shows its size; it counts C allocations too (libyaml, zlib).
    """
    capsys.readouterr()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    code = main(["run", "--params", str(params), "--out", str(tmp_path / "out")])
    seconds = time.perf_counter() - started
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
    return code, capsys.readouterr().err, seconds, grown


def assert_one_paragraph(err: str, path: Path | str, fragments: tuple[str, ...]) -> str:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    message = lines[0]
    assert str(path) in message and "Fix:" in message, message
    assert len(message) < 700 + len(str(path)), message  # values are shown bounded
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


def assert_refused(tmp_path: Path, params: Path, capsys, named: Path | str, *fragments: str) -> str:
    code, err, seconds, peak = run_cli(tmp_path, params, capsys)
    assert code == 2, err
    message = assert_one_paragraph(err, named, fragments)
    assert seconds < MAX_SECONDS, seconds
    assert peak < MAX_PEAK, peak
    assert not (tmp_path / "out").exists()
    return message


# --- params files ----------------------------------------------------------------------------------------


def _write_bytes(data: bytes):
    def make(tmp_path: Path) -> Path:
        path = tmp_path / "params.yaml"
        path.write_bytes(data)
        return path

    return make


def _write_text(text: str):
    def make(tmp_path: Path) -> Path:
        return params_with(tmp_path, text, base="")

    return make


def _folder(tmp_path: Path) -> Path:
    path = tmp_path / "params.yaml"
    path.mkdir()
    (path / "inside.yaml").write_text(BASE, encoding="utf-8")
    return path


def _symlink_loop(tmp_path: Path) -> Path:
    path = tmp_path / "params.yaml"
    (tmp_path / "other.yaml").symlink_to(path)
    path.symlink_to(tmp_path / "other.yaml")
    return path


def _through_a_file(tmp_path: Path) -> Path:
    (tmp_path / "file").write_text(BASE, encoding="utf-8")
    return tmp_path / "file" / "params.yaml"


def _socket(tmp_path: Path) -> Path:
    import socket

    path = tmp_path / "params.yaml"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.close()  # the socket file stays
    return path


def _twenty_megabytes(tmp_path: Path) -> Path:
    path = tmp_path / "params.yaml"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(BASE)
        handle.write("# padding padding padding padding\n" * 600_000)
    return path


PARAMS_CASES = {
    # name: (make the file, fragments the message must hold)
    "folder": (_folder, ("folder",)),
    "symlink loop": (_symlink_loop, ("loop",)),
    "path through a file": (_through_a_file, ("not found",)),
    "socket": (_socket, ("socket",)),
    "empty": (_write_text(""), ("empty", "customer")),
    "binary": (_write_bytes(bytes(range(256)) * 64), ("binary",)),
    "shift_jis": (_write_bytes("customer: テスト銀行\n".encode("shift_jis")), ("not UTF-8", "save it as UTF-8")),
    "utf16": (_write_bytes(BASE.encode("utf-16")), ("UTF-16", "UTF-8")),
    "20 MB": (_twenty_megabytes, ("MB", "at most")),
    "deep nesting": (_write_text(BASE + "language: " + "[" * 10_000 + "\n"), ("nested",)),
    "deep mappings": (_write_text(BASE + "language: " + "{a: " * 5_000 + "\n"), ("nested",)),
    "5000-digit int": (
        _write_text(BASE + "thresholds:\n  password_min_length: " + "9" * 5000 + "\n"),
        ("line 8", "5000 characters"),
    ),
    "huge int": (
        _write_text(BASE + "thresholds:\n  access_key_max_age_days: 1000000000000\n"),
        ("'thresholds.access_key_max_age_days'", "from 0 to"),
    ),
    "1e400": (
        _write_text(BASE + "thresholds:\n  password_min_length: 1.0e+400\n"),
        ("'thresholds.password_min_length'", "inf", "write e.g. 14"),
    ),
    "nan": (_write_text(BASE + "thresholds:\n  password_min_length: .nan\n"), ("'thresholds.password_min_length'",)),
    "bool for int": (_write_text(BASE + "thresholds:\n  password_min_length: true\n"), ("'thresholds.password_min_length'",)),
    "negative threshold": (
        _write_text(BASE + "thresholds:\n  password_min_length: -1\n"),
        ("'thresholds.password_min_length'", "got -1"),
    ),
    "duplicate top-level key": (
        _write_text("customer: A\n" + BASE),
        ("'customer'", "twice", "line 1", "line 2"),
    ),
    "duplicated thresholds block": (
        _write_text(BASE + "thresholds:\n  access_key_max_age_days: 30\nthresholds:\n  access_key_max_age_days: 365\n"),
        ("'thresholds'", "twice", "line 7", "line 9"),
    ),
    "duplicate key in thresholds": (
        _write_text(BASE + "thresholds:\n  access_key_max_age_days: 30\n  access_key_max_age_days: 365\n"),
        ("'access_key_max_age_days'", "twice", "line 8", "line 9"),
    ),
    "top-level list": (_write_text("- customer: A\n"), ("mapping", "a list")),
    "top-level scalar": (_write_text("テスト銀行\n"), ("mapping", "text")),
    "top-level null": (_write_text("null\n"), ("empty",)),
    "two documents": (_write_text(BASE + "---\n" + BASE), ("more than one YAML document",)),
    "non-string key": (_write_text(BASE + "yes: 1\n"), ("true", "a key must be text")),
    "python tag": (_write_text(BASE + "language: !!python/object/apply:os.system [echo]\n"), ("line 7", "remove the '!' tag")),
    "control character": (_write_text("customer: 銀行\nlanguage: j\x07a\n"), ("line 2", "control character")),
    "bad timestamp": (_write_text(BASE + "language: !!timestamp soon\n"), ("line 7", "'soon' cannot be read")),
    "very long customer": (_write_text("customer: " + "銀" * 50_000 + "\n"), ("'customer'", "50000 characters")),
    "control characters": (_write_text('customer: "A\\u202eB\\x1b[31m"\n'), ("'customer'", "control characters")),
    "1000 regions": (
        _write_text("customer: A\naws:\n  regions: [" + ", ".join(["ap-northeast-1"] * 1000) + "]\n"),
        ("'aws.regions'", "1000 entries"),
    ),
    "region listed twice": (
        _write_text("customer: A\naws:\n  regions: [ap-northeast-1, ap-northeast-1]\n"),
        ("'aws.regions'", "listed twice"),
    ),
    "1000 domains": (
        _write_text("customer: A\ndns:\n  domains: [" + ", ".join(f"d{i}.jp" for i in range(1000)) + "]\n"),
        ("'dns.domains'", "1000 entries"),
    ),
    "aws as list": (_write_text("customer: A\naws: [ap-northeast-1]\n"), ("'aws'", "expected a mapping")),
    "attestations path with NUL": (_write_text(BASE + 'attestations: "a\\0b.yaml"\n'), ("'attestations'", "control characters")),
    "attestations path too long": (
        _write_text(BASE + "attestations: " + "a" * 5000 + ".yaml\n"),
        ("'attestations'", "5005 characters"),
    ),
}


@pytest.mark.parametrize("case", sorted(PARAMS_CASES))
def test_hostile_params_file(tmp_path, capsys, case):
    make, fragments = PARAMS_CASES[case]
    path = make(tmp_path)
    assert_refused(tmp_path, path, capsys, path, *fragments)


def test_missing_params_file_and_relative_path(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as users type: a relative path from their own folder
    assert_refused(tmp_path, Path("nope.yaml"), capsys, "nope.yaml", "not found")
    assert_refused(tmp_path, Path("nope.yaml"), capsys, "nope.yaml", "not found")  # twice in a row: the same


def test_bom_is_accepted_and_values_are_kept(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes("\ufeffcustomer: テスト銀行\nthresholds:\n  password_min_length: 16\n".encode())
    params = load_params(path)
    assert params.customer == "テスト銀行" and params.thresholds["password_min_length"] == 16


def test_a_long_value_is_shown_bounded(tmp_path):
    """A long value (10 MB where the file may be that large) would otherwise be copied whole into the error message."""
    path = params_with(tmp_path, 'language: "' + "x" * 200_000 + '"\n')
    with pytest.raises(ParamsError) as raised:
        load_params(path)
    assert len(str(raised.value)) < 400 + len(str(path)) and "…" in str(raised.value)


def test_shown_is_bounded_for_any_value():
    assert shown("x" * 10_000_000).endswith("…") and len(shown("x" * 10_000_000)) == 80
    assert len(shown(10**5000)) < 80  # repr() would raise ValueError (over 4300 digits)
    assert len(shown(list(range(1_000_000)))) <= 80
    assert shown("a\nb\x1b") == "a\\nb\\x1b"  # a message stays on one line
    nested: list = []
    for _ in range(10_000):
        nested = [nested]
    assert len(shown(nested)) <= 80


# --- attestation YAML --------------------------------------------------------------------------------------


def _att(tmp_path: Path, text: str | bytes, name: str = "att.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def _att_fifo(tmp_path: Path) -> Path:
    path = tmp_path / "att.yaml"
    os.mkfifo(path)
    return path


def _att_folder(tmp_path: Path) -> Path:
    path = tmp_path / "att.yaml"
    path.mkdir()
    return path


def _att_devzero(tmp_path: Path) -> Path:
    path = tmp_path / "att.yaml"
    path.symlink_to("/dev/zero")
    return path


ITEM = 'items:\n  "2.1.1-1":\n    answers:\n      policy_exists: true\n'
ATTESTATION_CASES = {
    "folder": (_att_folder, ("folder",)),
    "fifo": (_att_fifo, ("named pipe",)),
    "symlink to /dev/zero": (_att_devzero, ("device",)),
    "shift_jis": (lambda t: _att(t, ("organisation: テスト銀行\n" + ITEM).encode("shift_jis")), ("not UTF-8",)),
    "duplicate item": (
        lambda t: _att(t, ITEM + '  "2.1.1-1":\n    answers:\n      policy_exists: false\n'),
        ("'2.1.1-1'", "twice", "line 2", "line 5"),
    ),
    "duplicate answer": (
        lambda t: _att(t, ITEM + "      policy_exists: false\n"),
        ("'policy_exists'", "twice", "line 4", "line 5"),
    ),
    "deep nesting": (lambda t: _att(t, "organisation: " + "[" * 10_000 + "\n"), ("nested",)),
    "5000-digit int": (lambda t: _att(t, "version: " + "1" * 5000 + "\n"), ("5000 characters",)),
    "top-level list": (lambda t: _att(t, "- 2.1.1-1\n"), ("mapping",)),
    "bad explicit date": (lambda t: _att(t, "prepared_on: !!timestamp 2025-13-45\n"), ("line 1", "'2025-13-45' cannot be read")),
    "very long note": (
        lambda t: _att(t, 'items:\n  "2.1.1-1":\n    notes: "' + "x" * 100_000 + '"\n'),
        ("'2.1.1-1'", "'notes'", "100000 characters"),
    ),
    "anchor": (lambda t: _att(t, "organisation: &o テスト銀行\nprepared_by: *o\n"), ("anchors and aliases",)),
    "1000 documents": (
        lambda t: _att(t, 'items:\n  "2.1.1-1":\n    documents:\n' + "      - title: 規程\n" * 1000),
        ("'2.1.1-1'", "'documents'", "1000 documents"),
    ),
}


@pytest.mark.parametrize("case", sorted(ATTESTATION_CASES))
def test_hostile_attestation_yaml(tmp_path, capsys, case):
    make, fragments = ATTESTATION_CASES[case]
    attestation = make(tmp_path)
    params = params_with(tmp_path, f"attestations: {attestation.name}\n")
    assert_refused(tmp_path, params, capsys, attestation, *fragments)


def test_hostile_prefill_is_refused_like_an_attestation_file(tmp_path, capsys):
    attestation = _att_fifo(tmp_path)
    capsys.readouterr()
    started = time.perf_counter()
    code = main(["questionnaire", "--out", str(tmp_path / "q.xlsx"), "--prefill", str(attestation)])
    assert code == 2 and time.perf_counter() - started < MAX_SECONDS
    assert_one_paragraph(capsys.readouterr().err, attestation, ("named pipe",))
    assert not (tmp_path / "q.xlsx").exists()


# --- the Excel questionnaire -------------------------------------------------------------------------------


def _questionnaire(tmp_path: Path, fill=None, name: str = "q.xlsx") -> Path:
    path = write_questionnaire(tmp_path / name, "ja")
    if fill is not None:
        wb = load_workbook(path)
        fill(wb[ANSWER_SHEET])
        wb.save(path)
    return path


def _answer_row(ws, control_id: str, question_id: str) -> int:
    return next(
        r
        for r in range(2, ws.max_row + 1)
        if ws.cell(r, COL["control_id"]).value == control_id and ws.cell(r, COL["question_id"]).value == question_id
    )


def _zip_bomb(tmp_path: Path) -> Path:
    """The questionnaire plus a part that expands 1000-fold to 40 MB (more than the whole workbook may)."""
    good = _questionnaire(tmp_path, name="good.xlsx")
    path = tmp_path / "q.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bomb:
        for member in source.infolist():
            bomb.writestr(member, source.read(member))
        with bomb.open("xl/media/image1.png", "w", force_zip64=True) as part:
            block = b"\0" * (1024 * 1024)
            for _ in range(40):
                part.write(block)
    return path


def _not_a_zip(tmp_path: Path) -> Path:
    return _att(tmp_path, "項目ID,回答\n2.1.1-1,はい\n", "q.xlsx")


def _xls(tmp_path: Path) -> Path:
    return _att(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000, "q.xlsx")


def _xlsx_folder(tmp_path: Path) -> Path:
    path = tmp_path / "q.xlsx"
    path.mkdir()
    return path


def _xlsx_too_big(tmp_path: Path) -> Path:
    path = tmp_path / "q.xlsx"
    with open(path, "wb") as handle:
        handle.truncate(20 * 1024 * 1024)  # sparse: no 20 MB written
    return path


def _zip_not_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "q.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return path


def _many_parts(tmp_path: Path) -> Path:
    path = tmp_path / "q.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for number in range(2_000):
            archive.writestr(f"xl/{number}", b"")
    return path


def _formula_date(ws) -> None:
    ws.cell(_answer_row(ws, "2.1.1-2", "framework_last_review_date"), COL["answer"]).value = "=NOW()"


def _long_note(ws) -> None:
    ws.cell(_answer_row(ws, "2.1.1-1", "notes"), COL["answer"]).value = "長" * 30_000


XLSX_CASES = {
    "zip bomb": (_zip_bomb, ("expands",)),
    "not a zip": (_not_a_zip, ("not an Excel workbook",)),
    "xls or password-protected": (_xls, (".xls", "password")),
    "folder named .xlsx": (_xlsx_folder, ("folder",)),
    "20 MB": (_xlsx_too_big, ("MB", "at most")),
    "zip but no workbook": (_zip_not_workbook, ("not an Excel workbook",)),
    "2000 zip entries": (_many_parts, ("2000 parts",)),
    "formula in a date": (lambda t: _questionnaire(t, _formula_date), ("回答シート!F", "'=NOW()' is not a valid date")),
    "very long cell": (lambda t: _questionnaire(t, _long_note), ("回答シート!F", "30000 characters")),
}


@pytest.mark.parametrize("case", sorted(XLSX_CASES))
def test_hostile_questionnaire(tmp_path, capsys, case):
    make, fragments = XLSX_CASES[case]
    workbook = make(tmp_path)
    params = params_with(tmp_path, f"attestations: {workbook.name}\n")
    assert_refused(tmp_path, params, capsys, workbook, *fragments)


def test_questionnaire_formulas_are_text_and_the_read_is_bounded(tmp_path):
    """A formula is kept as its text, never evaluated; reading a filled questionnaire stays small."""

    def fill(ws) -> None:
        ws.cell(_answer_row(ws, "2.3-1", "host_ips_edr_product"), COL["answer"]).value = "=cmd|' /C calc'!A0"
        ws.cell(_answer_row(ws, "2.3-1", "notes"), COL["answer"]).value = '=HYPERLINK("http://x","y")'

    path = _questionnaire(tmp_path, fill)
    tracemalloc.start()
    data = load_attestations(path, TODAY)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert data["items"]["2.3-1"]["answers"]["host_ips_edr_product"] == "=cmd|' /C calc'!A0"
    assert data["items"]["2.3-1"]["notes"] == '=HYPERLINK("http://x","y")'
    assert peak < MAX_PEAK


# --- cases that hung or exhausted memory on the old code: in a child process with limits ---------------------

CHILD = textwrap.dedent(
    """
    import contextlib, io, json, resource, signal, sys, time
    from assess_lib.cli import main
    import assess_lib.attestations.xlsx, assess_lib.pipeline

    def alarm(*_):
        raise TimeoutError("still running after 20 s")

    signal.signal(signal.SIGALRM, alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        size = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (size + 768 * 1024 * 1024, hard))  # the old code took 1.2 GB
    for params, out in json.loads(sys.argv[1]):
        err = io.StringIO()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        signal.alarm(20)
        try:
            with contextlib.redirect_stderr(err):
                code = main(["run", "--params", params, "--out", out])
        except BaseException as exc:
            code = None
            err.write(f"Traceback: {type(exc).__name__}: {str(exc)[:300]}")
        finally:
            signal.alarm(0)
        seconds = time.perf_counter() - started
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(json.dumps({"code": code, "err": err.getvalue(), "seconds": seconds, "rss_kb": grown}), flush=True)
    """
)


def _last_row_cell(ws) -> None:
    ws["A1048576"] = "2.1.1-1"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the child's memory limit reads /proc/self/statm")
def test_cases_that_hung_or_exhausted_memory(tmp_path):
    """FIFO, /dev/zero (and a link to it), alias bombs, a cell in the sheet's last row: refused at once.

    The old code blocked forever on the FIFO, read /dev/zero without end, expanded the bombs while writing
    the message, and built a million rows for the last-row cell (1.2 GB). Here each case runs in one child
    process with an address-space limit and a 20 s alarm: a regression fails the test instead of the machine.
    """
    cases: list[tuple[Path, Path, tuple[str, ...]]] = []

    def case(name: str, params: Path, named: Path, *fragments: str) -> None:
        cases.append((params, named, fragments))

    folder = tmp_path / "fifo"
    folder.mkdir()
    os.mkfifo(folder / "params.yaml")
    case("fifo", folder / "params.yaml", folder / "params.yaml", "named pipe")
    case("/dev/zero", Path("/dev/zero"), Path("/dev/zero"), "device")
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    case("link to /dev/zero", link, link, "device")
    bomb = tmp_path / "bomb"
    bomb.mkdir()
    params = params_with(bomb, "language: " + BOMB + "\n")
    case("alias bomb in params", params, params, "anchors and aliases", "line 7")
    att = tmp_path / "attbomb"
    att.mkdir()
    (att / "att.yaml").write_text("version: " + BOMB + "\n", encoding="utf-8")
    case("alias bomb in attestations", params_with(att, "attestations: att.yaml\n"), att / "att.yaml", "anchors and aliases")
    last = tmp_path / "lastrow"
    last.mkdir()
    workbook = _questionnaire(last, _last_row_cell)
    case(
        "cell in the last row",
        params_with(last, "attestations: q.xlsx\n"),
        workbook,
        "回答シート!A1048576",
        "Fix: delete the cell",
    )

    argv = json.dumps([[str(p), str(p.parent / "out")] for p, _named, _f in cases])
    result = subprocess.run(
        [sys.executable, "-c", CHILD, argv], capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False
    )
    reports = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(reports) == len(cases), result.stderr[-2000:]
    for (params, named, fragments), report in zip(cases, reports, strict=True):
        assert report["code"] == 2, (params, report)
        assert_one_paragraph(report["err"], named, fragments)
        assert report["seconds"] < MAX_SECONDS, (params, report)
        assert report["rss_kb"] < 64 * 1024, (params, report)  # resident memory grew by less than 64 MB
        assert not (params.parent / "out").exists()


def test_python_m_assess_lib_prints_no_traceback(tmp_path):
    """The program as users start it: deep nesting raised RecursionError with a traceback on the old code."""
    (tmp_path / "p.yaml").write_text(BASE + "language: " + "[" * 10_000 + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "assess_lib", "run", "--params", "p.yaml", "--out", "out"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert_one_paragraph(result.stderr, "p.yaml", ("nested",))
    assert not (tmp_path / "out").exists()


def test_attestation_file_edited_during_the_run_is_kept_as_validated(tmp_path):
    """The bundle keeps the bytes that were validated: the file saved again after it was read (simulated here
    by editing it as the store takes it) changes neither the kept copy nor its SHA-256 (the old code read the
    file a second time and kept whatever was on disk then)."""
    import hashlib

    from assess_lib.attestations import collect_attestations
    from assess_lib.evidence import EvidenceStore

    path = tmp_path / "att.yaml"
    path.write_text(ITEM, encoding="utf-8")
    params = load_params(params_with(tmp_path, "attestations: att.yaml\n"))

    class EditedMeanwhile(EvidenceStore):
        def add_file(self, name, data, folder):
            path.write_text(ITEM.replace("true", "false"), encoding="utf-8")
            return super().add_file(name, data, folder)

    store = EditedMeanwhile(run_id="x", started_at="2025-07-01T01:00:00+00:00")
    meta = collect_attestations(params, store)
    kept = store.files[meta["attestations"]["kept_as"]]
    assert kept == ITEM.encode("utf-8")
    assert meta["attestations"]["sha256"] == hashlib.sha256(ITEM.encode("utf-8")).hexdigest()


def test_an_unknown_control_id_is_named_within_bounds(capsys):
    """`show` echoed the whole argument (5,000 characters, control characters and all) into its message."""
    from assess_lib.cli import main

    assert main(["show", "A" * 5000 + "\x1b[2J"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown control ID 'AAAA") and "Fix:" in err
    assert len(err) < 300 and "\x1b" not in err
