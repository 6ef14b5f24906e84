"""Output folders and files: the kit writes only where it is told and replaces only what it made itself.

Before: ``--out .`` (or an unset ``$OUT``) deleted the working folder with its .git, ``--out notebooks``
the kit's notebooks, a linked ``--out`` emptied the link's target, an existing file was moved aside,
``report --out`` over its own bundle re-rendered it in place, the questionnaire overwrote a filled-in
workbook, and an unwritable folder ended in a traceback. Refusals happen before any collection, so
most cases here call the command line in this process; a few run it as a user types it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from collections.abc import Iterator

import pytest

from assess_lib.cli import main
from assess_lib.outputs import (
    RUN_MARKER,
    WORK_MARKER,
    OutputError,
    check_output_dir,
    staged_output,
)

from conftest import make_bundle

ROOT = Path(__file__).resolve().parents[1]
KIT = "assess_lib: FSA cybersecurity guideline assessment kit"


def tree(folder: Path) -> dict[str, object]:
    """Everything under ``folder`` (links as their targets, never followed), to compare before and after."""
    found: dict[str, object] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            rel = str(path.relative_to(folder))
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                found[rel] = "dir"
            elif path.is_file():
                found[rel] = path.read_bytes()
            else:
                found[rel] = "special"
    return found


def refused(capsys, *argv: str, code: int = 2) -> str:
    """Run the command line in this process; it must refuse with one paragraph and the fix."""
    assert main(list(argv)) == code
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and "Fix:" in err, err
    return err


def finished_run(out: Path, text: str = "first") -> None:
    """A finished run of the kit's own, written through the kit's staging (real files, real marker)."""
    with staged_output(out) as work:
        (work / "report.html").write_text(text, encoding="utf-8")
        (work / "evidence").mkdir()
        (work / "evidence" / "manifest.json").write_text("{}", encoding="utf-8")


def dead_pid() -> int:
    """The ID of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def work_folder(path: Path, pid: int, target: str) -> None:
    """A work folder as a run of the kit leaves it when killed outright."""
    import socket

    path.mkdir()
    (path / WORK_MARKER).write_text(json.dumps({"kit": KIT, "pid": pid, "host": socket.gethostname(), "target": target}))
    (path / "findings.json").write_text("[]")


# --- places the kit must never write over ---------------------------------------------------------------------


def test_out_dot_or_empty_in_a_project_folder_is_refused_as_users_type_it(tmp_path):
    """`demo --out .` deleted the working folder with its .git and an uncommitted file (exit 0)."""
    work = tmp_path / "project"
    (work / ".git").mkdir(parents=True)
    (work / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (work / "uncommitted.txt").write_text("draft")
    before = tree(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    for out in (".", ""):  # "" as `--out "$OUT"` with OUT unset
        result = subprocess.run(
            [sys.executable, "-m", "assess_lib", "demo", "--out", out, "--quiet"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert result.returncode == 2, (out, result.stderr[-2000:])
        assert "Traceback" not in result.stderr and "Fix:" in result.stderr
        assert result.stderr.count("\n") == 1, result.stderr
        if out:
            assert str(work) in result.stderr and "working in" in result.stderr
        else:
            assert "--out is empty" in result.stderr
    assert tree(tmp_path) == before


def test_a_name_with_a_control_character_is_refused(capsys, tmp_path):
    """A line break pasted into --out made a folder named so (and a message of two paragraphs)."""
    err = refused(capsys, "demo", "--out", str(tmp_path / "bank\nrun"))
    assert "control character" in err and "bank\\nrun" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "out",
    [
        ROOT,
        ROOT / "assess_lib" / "notebooks",
        ROOT / "assess_lib",
        ROOT / "assess_lib" / "notebooks" / "new-run",
        ROOT / "params",
        ROOT / "outputs",  # the folder of every run, not a run
        ROOT.parent,
        Path("/"),
    ],
    ids=["kit", "notebooks", "assess_lib", "inside-notebooks", "params", "outputs", "kit-parent", "root"],
)
def test_the_kit_its_source_and_their_ancestors_are_refused(capsys, out):
    """`--out notebooks` deleted the kit's notebooks; every later run then made no notebook and exited 0."""
    notebooks = sorted(p.name for p in (ROOT / "assess_lib" / "notebooks").iterdir())
    err = refused(capsys, "demo", "--out", str(out))
    assert str(out) in err
    assert sorted(p.name for p in (ROOT / "assess_lib" / "notebooks").iterdir()) == notebooks
    assert not (ROOT / "assess_lib" / "notebooks" / "new-run").exists()


def test_home_and_folders_holding_it_are_refused(capsys, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents" / "other-customer.xlsx").write_bytes(b"x")
    monkeypatch.setenv("HOME", str(home))
    before = tree(tmp_path)
    assert "home folder" in refused(capsys, "demo", "--out", "~")
    assert "home folder" in refused(capsys, "demo", "--out", str(tmp_path))
    assert tree(tmp_path) == before


def test_a_linked_out_is_refused_and_its_target_kept(capsys, tmp_path):
    """A symbolic link as --out had its target emptied."""
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    (tmp_path / "link").symlink_to(target)
    (tmp_path / "empty-target").mkdir()
    (tmp_path / "link-to-empty").symlink_to(tmp_path / "empty-target")
    before = tree(tmp_path)
    for link in ("link", "link-to-empty"):
        err = refused(capsys, "demo", "--out", str(tmp_path / link))
        assert "symbolic link" in err and str(tmp_path / link) in err
    assert tree(tmp_path) == before


def test_a_file_a_pipe_or_a_path_through_a_file_is_refused(capsys, tmp_path):
    """An existing file as --out was silently moved aside."""
    (tmp_path / "report.pdf").write_bytes(b"%PDF")
    os.mkfifo(tmp_path / "pipe")
    before = tree(tmp_path)
    assert "is a file" in refused(capsys, "demo", "--out", str(tmp_path / "report.pdf"))
    assert "pipe" in refused(capsys, "demo", "--out", str(tmp_path / "pipe"))
    assert "report.pdf is not a folder" in refused(capsys, "demo", "--out", str(tmp_path / "report.pdf" / "run"))
    assert tree(tmp_path) == before


def test_a_folder_the_kit_did_not_write_is_refused(capsys, tmp_path):
    """A non-empty folder without the kit's run marker, and look-alikes of the kit's own work folders."""
    other = tmp_path / "other-customer"
    other.mkdir()
    (other / "notes.md").write_text("notes")
    fake = tmp_path / "fake-partial"
    (fake / ".assess-kit-partial-123").mkdir(parents=True)  # the kit's name, but no marker: not the kit's
    (fake / ".assess-kit-partial-123" / "thesis.docx").write_bytes(b"x")
    linked = tmp_path / "linked-partial"
    linked.mkdir()
    work_folder(tmp_path / "victim", dead_pid(), "linked-partial")  # a valid marker, reached only through a link
    (linked / ".assess-kit-partial-456").symlink_to(tmp_path / "victim")
    before = tree(tmp_path)
    err = refused(capsys, "demo", "--out", str(other))
    assert "not a finished run of this kit" in err and "notes.md" in err and str(other) in err
    for folder in (fake, linked):
        err = refused(capsys, "demo", "--out", str(folder))
        assert ".assess-kit-partial-" in err and "did not write" in err
    assert tree(tmp_path) == before


def test_report_never_writes_into_over_or_around_its_bundle(capsys, tmp_path):
    """`report --bundle RUN --out RUN` re-rendered the bundle's own folder in place."""
    bundle = make_bundle(tmp_path, {("ec2.security_groups", "ap-northeast-1"): []})
    run = bundle.path.parent
    (run / "controls.json").write_text("[]")  # a run folder: its outputs beside the bundle
    before = tree(tmp_path)
    for given in (run, bundle.path):
        for out in (run, bundle.path, run / "again", bundle.path / "again", tmp_path):
            err = refused(capsys, "report", "--bundle", str(given), "--out", str(out))
            assert str(out) in err and "input" in err
    assert tree(tmp_path) == before


def test_out_inside_a_finished_run_is_refused(capsys, tmp_path):
    finished_run(tmp_path / "run")
    before = tree(tmp_path)
    assert "inside the kit's run folder" in refused(capsys, "demo", "--out", str(tmp_path / "run" / "evidence" / "x"))
    assert tree(tmp_path) == before


# --- replacing a run of the kit's own ----------------------------------------------------------------------------------


def test_a_finished_run_is_replaced_only_while_it_holds_just_what_the_kit_wrote(tmp_path):
    out = tmp_path / "runs" / "bank"
    finished_run(out)
    marker = json.loads((out / RUN_MARKER).read_text())
    assert marker["kit"] == KIT and set(marker["files"]) == {"report.html", "evidence/manifest.json"}
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["bank"], "nothing beside the folder"
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    # A consultant's note, a notebook saved in JupyterLab, an edited report, a link: kept, and the run refused.
    additions = {
        "notes.txt": lambda: (out / "notes.txt").write_text("call the CISO"),
        "evidence/mine.json": lambda: (out / "evidence" / "mine.json").write_text("{}"),
        "report.html (changed": lambda: (out / "report.html").write_text("first, with my comments"),
        "shortcut (a symbolic link)": lambda: (out / "shortcut").symlink_to(tmp_path),
    }
    for named, add in additions.items():
        (out / "report.html").write_text("first")
        add()
        before = tree(tmp_path)
        with pytest.raises(OutputError, match="did not write") as raised:
            finished_run(out, "second")
        assert named in str(raised.value) and str(out) in str(raised.value)
        assert tree(tmp_path) == before
        for extra in ("notes.txt", "evidence/mine.json", "shortcut"):
            if os.path.lexists(out / extra):
                os.unlink(out / extra)
    (out / "report.html").write_text("first")
    finished_run(out, "second")  # unchanged since the kit wrote it: replaced
    assert (out / "report.html").read_text() == "second"
    assert sorted(p.name for p in out.iterdir()) == [RUN_MARKER, "evidence", "report.html"]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["bank"]


def test_an_empty_folder_may_be_used(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    finished_run(out)
    assert (out / "report.html").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty"]


@pytest.mark.parametrize("failure", [RuntimeError("collection failed"), KeyboardInterrupt()])
def test_a_failed_or_interrupted_run_leaves_the_earlier_one_and_nothing_beside(tmp_path, failure):
    out = tmp_path / "bank"
    finished_run(out)
    before = tree(tmp_path)
    with pytest.raises(type(failure)), staged_output(out) as work:
        (work / "report.html").write_text("half")
        raise failure
    assert tree(tmp_path) == before
    new = tmp_path / "new" / "deeper" / "bank"
    with pytest.raises(type(failure)), staged_output(new) as work:
        raise failure
    assert tree(tmp_path) == before, "the folders a failed run created are gone again"


def test_leftovers_of_a_killed_run_are_removed_only_with_the_kits_marker(tmp_path):
    out = tmp_path / "bank"
    finished_run(out)
    work_folder(out / ".assess-kit-partial-dead", dead_pid(), "bank")
    finished_run(out, "second")
    assert not (out / ".assess-kit-partial-dead").exists()
    assert (out / "report.html").read_text() == "second"
    # A live process's work folder is another run at work: refused, kept.
    with subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE) as alive:
        try:
            work_folder(out / ".assess-kit-partial-alive", alive.pid, "bank")
            with pytest.raises(OutputError, match="another run"):
                finished_run(out, "third")
            assert (out / ".assess-kit-partial-alive" / "findings.json").is_file()
        finally:
            alive.stdin.close()


def test_a_swap_cut_short_beside_the_folder_is_finished_or_undone(tmp_path):
    """Killed between the two renames of the swap: the finished run waits beside the folder."""
    out = tmp_path / "bank"
    finished_run(tmp_path / "staged", "new")
    swap = tmp_path / ".assess-kit-swap-1"
    os.rename(tmp_path / "staged", swap)
    work_folder(swap / ".assess-kit-old-1", dead_pid(), "bank")
    (swap / WORK_MARKER).write_text((swap / ".assess-kit-old-1" / WORK_MARKER).read_text())
    with pytest.raises(RuntimeError), staged_output(out):
        raise RuntimeError("stop")
    assert (out / "report.html").read_text() == "new", "the finished run went where it was headed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank"]
    # A look-alike beside the folder, without the kit's marker, is never touched.
    (tmp_path / ".assess-kit-swap-2").mkdir()
    (tmp_path / ".assess-kit-swap-2" / "thesis.docx").write_bytes(b"x")
    finished_run(out, "again")
    assert (tmp_path / ".assess-kit-swap-2" / "thesis.docx").is_file()


def test_two_runs_into_one_folder_never_interleave(tmp_path, capsys):
    out = tmp_path / "bank"
    first = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from assess_lib.outputs import staged_output\n"
            "with staged_output(Path(sys.argv[1])) as work:\n"
            "    (work / 'report.html').write_text('first')\n"
            "    print('ready', flush=True); sys.stdin.read()\n",
            str(out),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert first.stdout.readline().strip() == "ready"
        with pytest.raises(OutputError, match="another run"), staged_output(out) as work:
            (work / "report.html").write_text("second")
        assert "another run" in refused(capsys, "demo", "--out", str(out))
    finally:
        first.stdin.close()
        assert first.wait(timeout=60) == 0
    assert (out / "report.html").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bank"]
    assert sorted(p.name for p in out.iterdir()) == [RUN_MARKER, "report.html"]


def test_the_demo_run_is_marked_with_exactly_what_it_wrote(demo_cli_run, tmp_path):
    """The run marker lists every file the run wrote (none written after it); a checkpoint saved later is foreign."""
    marker = json.loads((demo_cli_run / RUN_MARKER).read_text())
    listed = set(marker["files"])
    on_disk = {str(p.relative_to(demo_cli_run)) for p in demo_cli_run.rglob("*") if p.is_file()} - {RUN_MARKER}
    assert listed == on_disk
    copy = tmp_path / "run"
    shutil.copytree(demo_cli_run, copy)
    check_output_dir(copy)  # replaceable as it is
    (copy / "notebooks" / ".ipynb_checkpoints").mkdir()
    with pytest.raises(OutputError, match=r"notebooks/\.ipynb_checkpoints/"):
        check_output_dir(copy)


# --- the questionnaire: a new file only -------------------------------------------------------------------------------


def test_questionnaire_writes_a_new_file_only_and_atomically(capsys, tmp_path):
    """An existing (perhaps filled-in) questionnaire was overwritten; a folder as --out gave a traceback."""
    out = tmp_path / "answers.xlsx"
    assert main(["questionnaire", "--out", str(out)]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.xlsx"], "no temporary file left beside it"
    out.write_bytes(out.read_bytes() + b"")  # the customer's copy, as it came back
    (tmp_path / "folder.xlsx").mkdir()
    (tmp_path / "real.xlsx").write_bytes(b"keep")
    (tmp_path / "link.xlsx").symlink_to(tmp_path / "real.xlsx")
    before = tree(tmp_path)
    assert "an existing file" in refused(capsys, "questionnaire", "--out", str(out))
    assert "a folder" in refused(capsys, "questionnaire", "--out", str(tmp_path / "folder.xlsx"))
    assert "symbolic link" in refused(capsys, "questionnaire", "--out", str(tmp_path / "link.xlsx"))
    assert "does not exist" in refused(capsys, "questionnaire", "--out", str(tmp_path / "missing" / "q.xlsx"))
    assert "kit's own folder" in refused(capsys, "questionnaire", "--out", str(ROOT / "assess_lib" / "notebooks" / "q.xlsx"))
    assert tree(tmp_path) == before


# --- folders that cannot be written ------------------------------------------------------------------------------


@pytest.fixture
def locked() -> Iterator[tuple[Path, list[str]]]:
    """A folder this test's commands cannot write to, and the prefix that runs them (as root: as 'nobody')."""
    folder = Path(tempfile.mkdtemp(prefix="fsa-locked-"))
    prefix: list[str] = []
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv: no way to run a command without write permission")
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        os.chmod(folder, 0o755)
    else:
        os.chmod(folder, 0o555)
    try:
        yield folder, prefix
    finally:
        os.chmod(folder, 0o755)
        shutil.rmtree(folder, ignore_errors=True)


def test_an_unwritable_folder_is_one_paragraph_naming_it(locked):
    """A folder without write permission ended in a PermissionError traceback."""
    folder, prefix = locked
    os.chmod(folder, 0o755)
    (folder / "empty").mkdir(mode=0o555)
    os.chmod(folder, 0o755 if prefix else 0o555)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"HOME": str(folder)}
    cases = {
        ("demo", "--out", str(folder / "run")): str(folder),
        ("demo", "--out", str(folder / "new" / "run")): str(folder),
        ("demo", "--out", str(folder / "empty")): str(folder / "empty"),
        ("questionnaire", "--out", str(folder / "q.xlsx")): str(folder),
    }
    for argv, named in cases.items():
        result = subprocess.run(
            [*prefix, sys.executable, "-m", "assess_lib", *argv],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert result.returncode == 2, (argv, result.stderr[-2000:])
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
        assert "Permission denied" in result.stderr and named in result.stderr and "Fix:" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["empty"] and not list((folder / "empty").iterdir())


def test_a_full_disk_is_one_paragraph_and_leaves_nothing(tmp_path, capsys):
    """A disk that fills up during the run: exit 3, the folder named, nothing left behind."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("a small file system cannot be mounted here (needs root)")
    try:
        bundle = make_bundle(tmp_path, {("ec2.security_groups", "ap-northeast-1"): []})
        err = refused(capsys, "report", "--bundle", str(bundle.path), "--out", str(disk / "run"), code=3)
        assert str(disk / "run") in err and os.strerror(errno.ENOSPC) in err
        err = refused(capsys, "questionnaire", "--out", str(disk / "q.xlsx"), code=3)
        assert str(disk / "q.xlsx") in err and os.strerror(errno.ENOSPC) in err
        assert list(disk.iterdir()) == []
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_run_folder_in_a_read_only_parent_is_replaced_in_place(locked):
    """Where the folder itself cannot be renamed (read-only parent, a mount point) its entries are swapped one by one."""
    folder, prefix = locked
    out = folder / "bank"
    os.chmod(folder, 0o755)
    out.mkdir(mode=0o700)
    if prefix:
        os.chown(out, 65534, 65534)
    else:
        os.chmod(folder, 0o555)
    script = (
        "import sys; from pathlib import Path; from assess_lib.outputs import staged_output\n"
        "with staged_output(Path(sys.argv[1])) as work:\n"
        "    (work / 'report.html').write_text(sys.argv[2])\n"
        "    (work / 'notebooks').mkdir(); (work / 'notebooks' / sys.argv[2]).write_text('x')\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    inode = out.stat().st_ino
    for text in ("first", "second"):
        result = subprocess.run([*prefix, sys.executable, "-c", script, str(out), text], capture_output=True, text=True, env=env)
        assert result.returncode == 0, result.stderr[-2000:]
        assert (out / "report.html").read_text() == text
    assert sorted(p.name for p in out.iterdir()) == [RUN_MARKER, "notebooks", "report.html"]
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == ["second"]
    assert sorted(p.name for p in folder.iterdir()) == ["bank"]
    assert out.stat().st_ino == inode, "swapped in place, not renamed"


def test_an_unexpected_os_error_is_one_paragraph_not_a_traceback(capsys, tmp_path):
    """The command line's last resort: a bundle whose manifest is a folder ended in an IsADirectoryError traceback."""
    (tmp_path / "run" / "evidence" / "manifest.json").mkdir(parents=True)
    assert main(["report", "--bundle", str(tmp_path / "run"), "--out", str(tmp_path / "out")]) != 0
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert "manifest.json" in err and "Fix:" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
