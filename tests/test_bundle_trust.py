"""A bundle is verified before it is believed (issue 11, points 3 to 5).

`verify` and `report` as a consultant or an auditor types them, on bundles damaged or forged the ways a careless
user or an attacker would: an edited dataset, manifest paths out of the bundle, symbolic links to a secret, a FIFO,
an unlisted file, and a corpus of corrupt or hand-written manifests. Small bundles come from `make_bundle`; the one
rendered report (`--allow-unverified`) is made from a copy of the shared demo run, checked in every format.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from assess_lib.cli import main
from assess_lib.evidence import Bundle, EvidenceUnavailable

from conftest import ACCOUNT, make_bundle

ROOT = Path(__file__).resolve().parents[1]
SECRET = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYTRUSTTEST"
REGION = "ap-northeast-1"


def cli(*args: str, cwd: Path = ROOT, timeout: int = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "assess_lib", *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd
    )


def small_bundle(tmp_path: Path) -> Path:
    """A two-dataset bundle (run folder), as the kit writes it."""
    make_bundle(
        tmp_path,
        {
            ("ec2.security_groups", REGION): [{"GroupId": "sg-1", "IpPermissions": []}],
            ("iam.password_policy", "global"): [{"MinimumPasswordLength": 14}],
        },
    )
    return tmp_path / "run"


def manifest_of(run: Path) -> dict:
    return json.loads((run / "evidence" / "manifest.json").read_text(encoding="utf-8"))


def write_manifest(run: Path, manifest: dict) -> None:
    (run / "evidence" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def dataset_entry(manifest: dict, name: str) -> dict:
    return next(e for e in manifest["datasets"] if e["dataset"] == name)


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def secret_file(tmp_path: Path) -> Path:
    """Stands for ~/.aws/credentials: a file outside the bundle that must never reach an output."""
    folder = tmp_path / "home" / ".aws"
    folder.mkdir(parents=True)
    path = folder / "credentials"
    path.write_text(f"[default]\n{SECRET}\n", encoding="utf-8")
    return path


# --- paths out of the bundle ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["relative", "absolute"])
def test_manifest_path_out_of_the_bundle_is_refused_by_verify_and_report(tmp_path, capsys, where):
    run = small_bundle(tmp_path)
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"rows": [{"GroupId": "sg-forged"}]}), encoding="utf-8")
    manifest = manifest_of(run)
    entry = dataset_entry(manifest, "ec2.security_groups")
    # The SHA-256 and row count of the file outside: on main, verify said "all files match".
    entry["file"] = "../../outside.json" if where == "relative" else str(outside)
    entry["sha256"] = hashlib.sha256(outside.read_bytes()).hexdigest()
    entry["row_count"] = 1
    write_manifest(run, manifest)
    code, out, err = run_main(capsys, "verify", "--bundle", str(run))
    assert code == 2, out
    assert "manifest.json, datasets[" in err and ".file" in err and "Fix:" in err
    assert ("'..'" in err) if where == "relative" else ("absolute path" in err)
    out_dir = tmp_path / "report"
    code, out, err = run_main(capsys, "report", "--bundle", str(run), "--out", str(out_dir), "--allow-unverified")
    assert code == 2 and "manifest.json" in err and "Fix:" in err
    assert not out_dir.exists()


def test_symlinks_to_a_secret_are_never_followed_nor_copied(tmp_path, capsys):
    run = small_bundle(tmp_path)
    secret = secret_file(tmp_path)
    evidence = run / "evidence"
    manifest = manifest_of(run)
    # A listed dataset replaced by a link to a file with the very bytes the manifest lists (its hash matches).
    entry = dataset_entry(manifest, "iam.password_policy")
    listed = evidence / entry["file"]
    forged = tmp_path / "forged.json"
    forged.write_bytes(listed.read_bytes())
    listed.unlink()
    listed.symlink_to(forged)
    # An unlisted link to the credentials (today copytree copied its contents into the new output).
    (evidence / "credentials").symlink_to(secret)
    code, out, err = run_main(capsys, "verify", "--bundle", str(run))
    assert code == 1, out
    lines = [line.strip() for line in out.splitlines()]
    assert any(line.startswith(f"symbolic link (not followed): {entry['file']} (symbolic link to ") for line in lines), out
    assert "unlisted symbolic link: credentials" in lines, out
    out_dir = tmp_path / "out"
    code, out, err = run_main(capsys, "report", "--bundle", str(run), "--out", str(out_dir))
    assert code == 2
    assert "does not match its manifest" in err and "--allow-unverified" in err and entry["file"] in err
    assert not out_dir.exists()
    assert SECRET not in out + err


def test_symlinked_folder_inside_the_bundle_is_not_followed_by_the_reader(tmp_path):
    run = small_bundle(tmp_path)
    evidence = run / "evidence"
    region_dir = evidence / ACCOUNT / REGION
    elsewhere = tmp_path / "elsewhere"
    shutil.move(region_dir, elsewhere)
    region_dir.symlink_to(elsewhere, target_is_directory=True)
    bundle = Bundle.load(run)
    problems = bundle.verify()
    assert any(p.startswith("symbolic link (not followed): ") and REGION in p for p in problems), problems
    with pytest.raises(EvidenceUnavailable) as missing:
        bundle.rows("ec2.security_groups", ACCOUNT, REGION)
    assert "symbolic link" in missing.value.message


# --- special files and unlisted files ------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_fifo_listed_in_the_manifest_does_not_hang_verify(tmp_path):
    run = small_bundle(tmp_path)
    entry = dataset_entry(manifest_of(run), "iam.password_policy")
    listed = run / "evidence" / entry["file"]
    listed.unlink()
    os.mkfifo(listed)  # opening it for reading would wait for a writer forever
    (run / "evidence" / "pipe").parent.mkdir(exist_ok=True)
    os.mkfifo(run / "evidence" / "pipe")
    started = time.monotonic()
    result = cli("verify", "--bundle", "run/evidence", cwd=tmp_path, timeout=60)  # relative, from another folder
    assert time.monotonic() - started < 60
    assert result.returncode == 1, result.stderr
    assert f"not a regular file: {entry['file']} (a FIFO (named pipe); never opened)" in result.stdout
    assert "unlisted FIFO (named pipe): pipe" in result.stdout
    assert "Traceback" not in result.stderr


def test_unlisted_extra_file_is_reported(tmp_path, capsys):
    run = small_bundle(tmp_path)
    code, out, _ = run_main(capsys, "verify", "--bundle", str(run))
    assert code == 0 and "all 2 files match" in out
    (run / "evidence" / "notes.txt").write_text("added later", encoding="utf-8")
    (run / "evidence" / ACCOUNT / "extra").mkdir()
    for _ in range(2):  # twice in a row: verify changes nothing
        code, out, _ = run_main(capsys, "verify", "--bundle", str(run))
        assert code == 1
        assert "  unlisted: notes.txt" in out.splitlines()
        assert f"  unlisted folder: {ACCOUNT}/extra" in out.splitlines()


def test_row_count_and_size_are_compared(tmp_path, capsys):
    run = small_bundle(tmp_path)
    manifest = manifest_of(run)
    dataset_entry(manifest, "ec2.security_groups")["row_count"] = 5
    write_manifest(run, manifest)
    code, out, _ = run_main(capsys, "verify", "--bundle", str(run))
    assert code == 1
    assert "changed: " in out and "(1 rows; the manifest lists 5)" in out


def test_hard_link_to_a_file_outside_is_refused(tmp_path, capsys):
    run = small_bundle(tmp_path)
    entry = dataset_entry(manifest_of(run), "iam.password_policy")
    listed = run / "evidence" / entry["file"]
    outside = tmp_path / "outside.json"
    outside.write_bytes(listed.read_bytes())
    listed.unlink()
    os.link(outside, listed)  # same bytes, same hash: only the second name tells
    code, out, _ = run_main(capsys, "verify", "--bundle", str(run))
    assert code == 1
    assert f"  hard link: {entry['file']} (a file with 2 names; copy the bundle with cp -r or tar first)" in out.splitlines()


def test_evidence_link_in_a_run_folder_is_not_followed(tmp_path, capsys):
    run = small_bundle(tmp_path)
    shutil.move(run / "evidence", tmp_path / "elsewhere")
    (run / "evidence").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    code, _, err = run_main(capsys, "verify", "--bundle", str(run))
    assert code == 2 and "evidence is a symbolic link" in err and "Fix: point --bundle at the evidence folder itself" in err
    code, out, _ = run_main(capsys, "verify", "--bundle", str(tmp_path / "elsewhere"))
    assert code == 0, out


def test_unlisted_names_are_printed_escaped_one_per_line(tmp_path, capsys):
    run = small_bundle(tmp_path)
    (run / "evidence" / "a\nchanged: nothing\x1b[2J").write_text("x", encoding="utf-8")
    os.close(os.open(os.fsencode(run / "evidence") + b"/bad-\xff", os.O_CREAT | os.O_WRONLY, 0o600))
    code, out, _ = run_main(capsys, "verify", "--bundle", str(run))
    assert code == 1
    assert "  unlisted: a\\x0achanged: nothing\\x1b[2J" in out.splitlines()
    assert "  unlisted: bad-\\xff" in out.splitlines()
    assert "\x1b" not in out


def test_self_consistent_forgery_of_rows_is_refused_by_the_reader(tmp_path, capsys):
    """A dataset whose rows are not objects, with the manifest's hash and count updated to match."""
    run = small_bundle(tmp_path)
    manifest = manifest_of(run)
    entry = dataset_entry(manifest, "ec2.security_groups")
    path = run / "evidence" / entry["file"]
    path.write_text(json.dumps({"rows": [1, "x"]}), encoding="utf-8")
    entry.update(sha256=hashlib.sha256(path.read_bytes()).hexdigest(), row_count=2, size=path.stat().st_size)
    write_manifest(run, manifest)
    code, out, _ = run_main(capsys, "verify", "--bundle", str(run))
    assert code == 1 and f"  unreadable: {entry['file']} (not a dataset file (a row is not an object))" in out.splitlines()
    with pytest.raises(EvidenceUnavailable):
        Bundle.load(run).rows("ec2.security_groups", ACCOUNT, REGION)


# --- corrupt and hand-written manifests ----------------------------------------------------------------

SHA = "0" * 64


def _corpus() -> dict[str, object]:
    """name -> the manifest's bytes, or a function of the valid manifest returning the new one."""

    def edit(change):
        return change

    def ds(**fields):
        return edit(lambda m: {**m, "datasets": [{**m["datasets"][0], **fields}, *m["datasets"][1:]]})

    return {
        "empty": b"",
        "truncated": b'{"bundle_format": 1, "run_id": "x", "datasets": [',
        "a list": b"[]",
        "null": b"null",
        "a number": b"1e999999",
        "not utf-8": b'{"run_id": "\xff\xfe"}',
        "deep nesting": b"[" * 200_000 + b"]" * 200_000,
        "huge integer": b'{"bundle_format": 1' + b"0" * 5000 + b"}",
        "NaN": b'{"bundle_format": NaN}',
        "duplicate key": edit(lambda m: None),  # built below (JSON text with two "datasets")
        "format unknown": edit(lambda m: {**m, "bundle_format": 99}),
        "format as text": edit(lambda m: {**m, "bundle_format": "1"}),
        "format true": edit(lambda m: {**m, "bundle_format": True}),
        "no run_id": edit(lambda m: {k: v for k, v in m.items() if k != "run_id"}),
        "run_id null": edit(lambda m: {**m, "run_id": None}),
        "started_at garbage": edit(lambda m: {**m, "started_at": "yesterday"}),
        "datasets null": edit(lambda m: {**m, "datasets": None}),
        "datasets an object": edit(lambda m: {**m, "datasets": {}}),
        "dataset null": edit(lambda m: {**m, "datasets": [None]}),
        "dataset without name": ds(dataset=None),
        "status unknown": ds(status="maybe"),
        "file missing": ds(file=None),
        "file with backslash": ds(file="123456789012\\global\\x.json"),
        "file with NUL": ds(file="a\x00b.json"),
        "file not normal": ds(file="./123456789012/global/x.json"),
        "file empty component": ds(file="a//b.json"),
        "file is the manifest": ds(file="manifest.json"),
        "file windows drive": ds(file="C:/Windows/win.ini"),
        "sha256 short": ds(sha256="abc"),
        "sha256 null": ds(sha256=None),
        "row_count text": ds(row_count="3"),
        "row_count negative": ds(row_count=-1),
        "row_count float": ds(row_count=1.5),
        "row_count huge": ds(row_count=10**30),
        "calls huge float": ds(calls=1e308),
        "duplicate dataset": edit(lambda m: {**m, "datasets": [m["datasets"][0], m["datasets"][0]]}),
        "same file twice": edit(
            lambda m: {**m, "datasets": [m["datasets"][0], {**m["datasets"][1], "file": m["datasets"][0]["file"]}]}
        ),
        "file also a folder": edit(
            lambda m: {**m, "datasets": [m["datasets"][0], {**m["datasets"][1], "file": m["datasets"][0]["file"] + "/x"}]}
        ),
        "error entry with a file": ds(status="error"),
        "files not a list": edit(lambda m: {**m, "files": "attestations/a.yaml"}),
        "files entry without size": edit(lambda m: {**m, "files": [{"file": "a.yaml", "sha256": SHA}]}),
        "files entry absolute": edit(lambda m: {**m, "files": [{"file": "/etc/passwd", "sha256": SHA, "size": 1}]}),
        "regions a list": edit(lambda m: {**m, "regions": ["ap-northeast-1"]}),
        "accounts a text": edit(lambda m: {**m, "accounts": "123456789012"}),
        "accounts with null": edit(lambda m: {**m, "accounts": [None]}),
        "accounts null": edit(lambda m: {**m, "accounts": None}),
        "domains null": edit(lambda m: {**m, "domains": None}),
        "regions null": edit(lambda m: {**m, "regions": None}),
        "regions of an account null": edit(lambda m: {**m, "regions": {ACCOUNT: None}}),
        "params null": edit(lambda m: {**m, "params": None}),
        "language unknown": edit(lambda m: {**m, "params": {"language": "fr"}}),
        "threshold text": edit(lambda m: {**m, "params": {"thresholds": {"access_key_max_age_days": "90"}}}),
        "threshold unknown": edit(lambda m: {**m, "params": {"thresholds": {"nope": 1}}}),
    }


CORPUS = _corpus()


def _write_case(run: Path, name: str) -> None:
    case = CORPUS[name]
    path = run / "evidence" / "manifest.json"
    valid = json.loads(path.read_text(encoding="utf-8"))
    if name == "duplicate key":
        text = json.dumps(valid)
        path.write_text(text[:-1] + ', "datasets": []}', encoding="utf-8")
    elif isinstance(case, bytes):
        path.write_bytes(case)
    else:
        path.write_text(json.dumps(case(valid)), encoding="utf-8")


def test_corrupt_manifest_corpus_gives_one_paragraph_and_exit_2(tmp_path, capsys):
    run = small_bundle(tmp_path)
    pristine = (run / "evidence" / "manifest.json").read_bytes()
    failures = []
    for name in CORPUS:
        (run / "evidence" / "manifest.json").write_bytes(pristine)
        _write_case(run, name)
        try:
            code, _out, err = run_main(capsys, "verify", "--bundle", str(run))
        except BaseException as exc:  # noqa: BLE001 - a traceback is the failure being tested
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        message = err.strip()
        if code != 2 or not message.startswith("error: evidence bundle ") or "manifest.json" not in message:
            failures.append(f"{name}: exit {code}, {message[:300]!r}")
        elif "Fix:" not in message or "\n" in message or len(message) > 1200:
            failures.append(f"{name}: not one bounded paragraph with a fix: {message[:300]!r}")
    assert not failures, "\n".join(failures)


def test_bundle_folder_that_is_not_one(tmp_path, capsys, monkeypatch):
    (tmp_path / "empty").mkdir()
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # relative paths, as typed
    for given, problem in (("nope", "no such folder"), ("a-file", "not a folder"), ("empty", "no evidence bundle here")):
        for command in (["verify", "--bundle", given], ["report", "--bundle", given, "--out", "out"]):
            code, _, err = run_main(capsys, *command)
            assert code == 2 and problem in err and "Fix: point --bundle at a run folder" in err, (command, err)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["fifo", "folder", "symlink to /dev/zero"])
def test_manifest_that_is_not_a_regular_file(tmp_path, kind):
    run = small_bundle(tmp_path)
    manifest = run / "evidence" / "manifest.json"
    manifest.unlink()
    if kind == "fifo":
        if not hasattr(os, "mkfifo"):
            pytest.skip("named pipes are POSIX")
        os.mkfifo(manifest)
    elif kind == "folder":
        manifest.mkdir()
    else:
        manifest.symlink_to("/dev/zero")
    result = cli("verify", "--bundle", str(run), timeout=60)
    assert result.returncode == 2, result.stdout
    assert "manifest.json cannot be used" in result.stderr and "Fix:" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_of_a_corrupt_manifest_is_refused_without_traceback(tmp_path):
    run = small_bundle(tmp_path)
    _write_case(run, "truncated")
    out = tmp_path / "out"
    result = cli("report", "--bundle", "run", "--out", "out", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "not valid JSON" in result.stderr and "Fix:" in result.stderr
    assert not out.exists()


# --- report: refused, or rendered with every page marked ------------------------------------------------


@pytest.fixture(scope="module")
def forged_run(demo_cli_run, tmp_path_factory) -> Path:
    """A copy of the demo run whose credential report was edited after collection (a fail becomes a pass)."""
    run = tmp_path_factory.mktemp("forged") / "run"
    shutil.copytree(demo_cli_run / "evidence", run / "evidence", symlinks=True)
    manifest = json.loads((run / "evidence" / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["datasets"] if e["dataset"] == "iam.credential_report" and e["status"] == "ok")
    path = run / "evidence" / entry["file"]
    data = json.loads(path.read_text(encoding="utf-8"))
    for row in data["rows"]:  # every console user now has MFA
        if row.get("password_enabled") in (True, "true"):
            row["mfa_active"] = "true"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return run


def test_report_refuses_an_edited_dataset(forged_run, tmp_path):
    out = tmp_path / "out"
    result = cli("report", "--bundle", str(forged_run), "--out", str(out))
    assert result.returncode == 2, result.stdout
    assert "does not match its manifest" in result.stderr
    assert "changed: " in result.stderr and "iam.credential_report.json" in result.stderr
    assert "Fix:" in result.stderr and "--allow-unverified" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


def test_verified_rerender_says_so(demo_cli_run, tmp_path):
    """The cover of a re-render whose bundle verified says so (document level: no PDF needed)."""
    from assess_lib.bundle_check import verified_copy
    from assess_lib.pipeline import evaluate
    from assess_lib.report.document import build_document, render_html

    copy, unlisted = verified_copy(Bundle.load(demo_cli_run), tmp_path / "evidence")
    assert copy.verification == [] and unlisted == []
    html = render_html(build_document(evaluate(copy), "en"))
    assert "Verified: when this report was rendered, all" in html and "the report rests on those files only" in html
    assert "UNVERIFIED" not in html and "(not verified)" not in html


def _xlsx_sheets(path: Path) -> dict[str, list[tuple]]:
    book = load_workbook(path, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book}


def test_allow_unverified_marks_every_page_of_every_output(forged_run, tmp_path):
    evidence = forged_run / "evidence"
    (evidence / "credentials").symlink_to(secret_file(tmp_path))  # unlisted: reported, never copied
    out = tmp_path / "out"
    result = cli("report", "--bundle", str(forged_run), "--out", str(out), "--language", "en", "--allow-unverified", timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "every page of the report is marked as unverified" in result.stderr
    assert "  unlisted symbolic link: credentials" in result.stderr.splitlines()  # noted, not copied
    header = {"en": "UNVERIFIED EVIDENCE: the evidence bundle does not match its manifest", "ja": "未検証の証跡に基づく報告書"}
    # HTML: a banner on the cover and every part; the cover does not present the SHA-256 as verified.
    for lang, name in (("en", "report.html"), ("ja", "report.ja.html")):
        html = (out / name).read_text(encoding="utf-8")
        assert html.count(header[lang]) >= 10, name
        cover = html.split('<nav class="toc"')[0]
        assert header[lang] in cover
        assert ("Manifest SHA-256 (not verified)" if lang == "en" else "マニフェストSHA-256（未検証）") in cover
        assert "iam.credential_report.json" in html  # the difference is listed
    # PDF: every page, the cover too, carries the running header.
    for lang, name in (("en", "report.pdf"), ("ja", "report.ja.pdf")):
        pages = [page.extract_text() for page in PdfReader(str(out / name)).pages]
        token = "UNVERIFIED EVIDENCE" if lang == "en" else "未検証の証跡"
        unmarked = [number for number, text in enumerate(pages, start=1) if token not in text.replace("\n", "")]
        assert len(pages) > 20 and not unmarked, (name, unmarked)
    # Both workbooks: every sheet starts with the banner; the About sheet names the bundle as not verified.
    for lang, name in (("en", "findings.xlsx"), ("ja", "findings.ja.xlsx")):
        sheets = _xlsx_sheets(out / name)
        assert len(sheets) >= 5
        for title, rows in sheets.items():
            assert str(rows[0][0]).startswith(header[lang]), (name, title)
        about = [row for rows in sheets.values() for row in rows if row and row[0] and "SHA-256" in str(row[0])]
        assert about and all(("not verified" in str(row[0])) or ("未検証" in str(row[0])) for row in about), about
    # Machine-readable results say it too, and the executed notebooks show it above everything they display.
    for name in ("controls.json", "findings.json"):
        records = json.loads((out / name).read_text(encoding="utf-8"))
        assert records and all(record["evidence_verified"] is False for record in records), name
    record = json.loads((out / "verification.json").read_text(encoding="utf-8"))
    assert record["evidence_verified"] is False and any("iam.credential_report.json" in p for p in record["problems"])
    notebooks = sorted((out / "notebooks").glob("*.html"))
    assert notebooks and all(header["en"] in path.read_text(encoding="utf-8") for path in notebooks)
    # What was rendered is the copy: listed files only, regular files, no secret anywhere.
    copied = out / "evidence"
    assert not (copied / "credentials").exists()
    for path in out.rglob("*"):
        assert not path.is_symlink(), path
        if path.is_file() and path.suffix != ".xlsx":
            assert "wJalrXUtnFEMI" not in path.read_text(encoding="utf-8", errors="ignore"), path
    assert cli("verify", "--bundle", str(out)).returncode == 1, "the copy keeps the forged bytes and says so"


def test_a_notebook_opening_an_edited_run_folder_shows_it_unverified(tmp_path):
    """A run folder reopened later (python -m assess_lib lab) is checked again when a notebook opens it:
    an edited dataset puts the unverified line above everything the notebook shows."""
    from assess_lib.notebook import open_assessment
    from assess_lib.pipeline import evaluate, write_results

    run = small_bundle(tmp_path)
    write_results(run, evaluate(Bundle.load(run)))  # a notebook shows a run's written results
    assert open_assessment(run_dir=str(run))._unverified() == ""
    path = run / "evidence" / dataset_entry(manifest_of(run), "ec2.security_groups")["file"]
    path.write_text(path.read_text(encoding="utf-8").replace("sg-1", "sg-2"), encoding="utf-8")
    walkthrough = open_assessment(run_dir=str(run), language="en")
    assert walkthrough.assessment.bundle.verification == [f"changed: {path.relative_to(run / 'evidence').as_posix()}"]
    assert "UNVERIFIED EVIDENCE" in walkthrough._unverified()
