"""Command line: ``python -m assess_lib {run,demo,report,verify,show,iam-policy,questionnaire,worksheet,lab,diff}``.

Bad input ends with a one-paragraph message and a non-zero exit, never a traceback. Every path the
user gives is made absolute here, once, before any work starts: nothing later depends on the
process's working folder.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from collections.abc import Callable

from . import __version__
from .core.text import both, t
from .redact import mask_secrets

if TYPE_CHECKING:
    from .params import Params

EXIT_BAD_INPUT = 2
EXIT_FAILED = 3


class UserError(Exception):
    """A problem the user can fix; printed as one paragraph."""


class Progress:
    """Progress of a run: bars on a terminal, plain log lines otherwise (CI, batch logs).

    Stages report ``[done/total] what`` messages; anything else is a stage heading.
    """

    _STEP = re.compile(r"^\[(\d+)/(\d+)\] (.*)$")

    def __init__(self, quiet: bool = False, stream=None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._bar = None

    def __call__(self, message: str) -> None:
        if self.quiet:
            return
        message = mask_secrets(message)  # stages may name an endpoint or quote an error message
        step = self._STEP.match(message)
        if step and self.tty:
            from tqdm import tqdm

            done, total = int(step.group(1)), int(step.group(2))
            if self._bar is None or self._bar.total != total or done == 1:
                self.close()
                self._bar = tqdm(total=total, file=self.stream, leave=True, dynamic_ncols=True)
            self._bar.set_postfix_str(step.group(3)[-60:], refresh=False)
            self._bar.update(done - self._bar.n)
            return
        self.close()
        print(message, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def absolute(path: str | Path) -> Path:
    """A user's path made absolute against the working folder (without resolving symbolic links)."""
    return Path(os.path.abspath(Path(path).expanduser()))


def _progress(quiet: bool) -> Callable[[str], None]:
    return Progress(quiet)


def _summary(out: Path) -> str:
    controls = json.loads((out / "controls.json").read_text(encoding="utf-8"))
    counts: dict[str, int] = {}
    for control in controls:
        counts[control["verdict"]] = counts.get(control["verdict"], 0) + 1
    shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    return f"report: {out / 'report.html'}\ncontrols: {shown}"


def _read_inputs(params: Params) -> None:
    """Fail fast: a bad attestation file, working sheet or exceptions file is found before the collection starts."""
    if params.attestations is not None or params.worksheet is not None or params.exceptions is not None:
        from .attestations import read_inputs

        read_inputs(params)


def cmd_run(args: argparse.Namespace) -> int:
    import dataclasses

    from .outputs import check_output_dir, output_path
    from .params import DEMO, load_params
    from .pipeline import preload, run

    out_dir = output_path(args.out)
    check_output_dir(out_dir)  # refused before anything starts; checked again under a lock when the run writes
    params = load_params(absolute(args.params))
    if getattr(args, "worksheet", None):
        params = dataclasses.replace(params, worksheet=absolute(args.worksheet))
    if params.aws.endpoint_url == DEMO:
        import tempfile

        from .demo import demo_environment

        # The demo's emulator starts first: it seeds itself in its own process while this one checks the inputs,
        # imports and prepares what the run needs, and writes the demo customer's working sheet.
        with demo_environment() as demo, tempfile.TemporaryDirectory(prefix="fsa-demo-sheet-") as folder:
            _read_inputs(params)
            preload()
            if getattr(args, "demo_worksheet", False):  # the demo customer's answers, typed into the kit's own sheet
                from .demo.worksheet import DEMO_SHEET_NAME, write_demo_worksheet

                sheet = write_demo_worksheet(Path(folder) / DEMO_SHEET_NAME, params.language)
                params = dataclasses.replace(params, worksheet=sheet)
            out = run(
                params,
                out_dir,
                endpoint_url=demo.serving_url(),  # where it listens, while it is being seeded
                dns_nameservers=demo.dns_nameservers,
                progress=_progress(args.quiet),
                credentials=demo.credentials,
                pdf=not getattr(args, "no_pdf", False),
                ready=demo.wait_seeded,  # the collection's clients are made and the notebooks get ready meanwhile
            )
    else:
        _read_inputs(params)
        out = run(params, out_dir, progress=_progress(args.quiet), pdf=not getattr(args, "no_pdf", False))
    print(_summary(out))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import DEMO_PARAMS

    args.params = str(DEMO_PARAMS)
    # The demo carries the demo customer's filled working sheet, read through the real reader, unless one is given.
    args.demo_worksheet = not getattr(args, "worksheet", None)
    return cmd_run(args)


def _load_bundle(path: str):
    """The bundle named by --bundle, its manifest validated (a bad one is a one-paragraph UserError)."""
    from .bundle_check import BundleError
    from .evidence import Bundle

    try:
        return Bundle.load(absolute(path))
    except BundleError as err:
        raise UserError(str(err)) from None


def _problem_lines(problems: list[str], limit: int = 200) -> str:
    shown = [f"  {problem}" for problem in problems[:limit]]
    if len(problems) > limit:
        shown.append(f"  ... and {len(problems) - limit} more (python -m assess_lib verify lists them all)")
    return "\n".join(shown)


def cmd_report(args: argparse.Namespace) -> int:
    """Re-evaluate and re-render a saved bundle offline, from a verified copy of it."""
    from .bundle_check import BundleError, verified_copy, write_verification
    from .outputs import bundle_inputs, check_output_dir, output_path, staged_output
    from .pipeline import evaluate, present, write_results

    out = output_path(args.out)
    bundle = _load_bundle(args.bundle)
    # Never into (or over) the bundle or the run folder holding it: the new run replaces its folder as a whole.
    inputs = bundle_inputs(absolute(args.bundle), bundle.path)
    check_output_dir(out, inputs)
    language = args.language or bundle.manifest.get("params", {}).get("language", "ja")
    # Staged like a run: the earlier folder stays until the new one is complete.
    with staged_output(out, inputs) as work:
        # Only the manifest and the files it lists are copied (as regular files), and the copy is verified:
        # what is rendered is what was verified. A bundle that does not verify is refused unless asked for.
        try:
            copy, unlisted = verified_copy(bundle, work / "evidence")
        except BundleError as err:
            raise UserError(str(err)) from None
        if unlisted:
            print(
                f"note: not copied, as the manifest does not list them ({len(unlisted)} in {bundle.path}):\n"
                f"{_problem_lines(unlisted)}",
                file=sys.stderr,
            )
        if copy.verification and not args.allow_unverified:
            raise UserError(
                f"evidence bundle {bundle.path} does not match its manifest ({len(copy.verification)} problem(s)); "
                "nothing was rendered:\n"
                f"{_problem_lines(copy.verification)}\n"
                "Fix: re-render from the bundle as the kit wrote it (the original run folder or archive), or collect "
                "the evidence again; to render this bundle anyway, with every page marked as unverified, add "
                "--allow-unverified"
            )
        if copy.verification:
            print(
                f"warning: bundle {bundle.path} does not match its manifest; every page of the report is marked "
                f"as unverified:\n{_problem_lines(copy.verification)}",
                file=sys.stderr,
            )
        if args.worksheet:
            from .attestations import attach_worksheet

            # The sheet joins the copy (kept byte for byte, its datasets replaced, the manifest listing them).
            copy = attach_worksheet(copy, absolute(args.worksheet))
        write_verification(work, copy)  # read by the notebooks, which load the output folder themselves
        assessment = evaluate(copy)
        write_results(work, assessment)
        present(work, assessment, language, pdf=not getattr(args, "no_pdf", False))
    print(_summary(out))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    bundle = _load_bundle(args.bundle)
    problems = bundle.verify()
    if problems:
        print(f"bundle {bundle.run_id} ({bundle.path}): {len(problems)} problem(s); the bundle does not match its manifest:")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(f"bundle {bundle.run_id}: all {len(bundle.files())} files match the manifest, and it holds no other file")
    return 0


def cmd_questionnaire(args: argparse.Namespace) -> int:
    """Generate the Excel questionnaire (optionally prefilled from an existing attestation file)."""
    from .attestations import load_attestations
    from .report.questionnaire import write_questionnaire
    from .outputs import check_output_file, output_path, write_new_file

    out = output_path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise UserError(f"--out {out}: the questionnaire is an Excel workbook. Fix: name it with .xlsx, e.g. questionnaire.xlsx")
    check_output_file(out)  # a new file only: an existing one may hold the customer's answers
    prefill = load_attestations(absolute(args.prefill)) if args.prefill else None
    write_new_file(out, lambda path: write_questionnaire(path, args.language, prefill))
    print(f"questionnaire: {out}")
    return 0


def cmd_worksheet(args: argparse.Namespace) -> int:
    """The consultant's working sheet for every item: from a run (automated columns and earlier answers filled in)
    or from a params file (before any run)."""
    from .outputs import check_output_file, output_path, write_new_file
    from .report.worksheet import write_worksheet

    out = output_path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise UserError(f"--out {out}: the working sheet is an Excel workbook. Fix: name it with .xlsx, e.g. worksheet.xlsx")
    check_output_file(out)  # a new file only: an existing one may hold the consultant's answers
    assessment = None
    if args.run:
        from .results import ResultsError, read_results

        try:
            assessment = read_results(absolute(args.run))
        except ResultsError as err:
            raise UserError(str(err)) from None
        if assessment.bundle.verification:
            print(
                f"warning: the bundle of {absolute(args.run)} does not match its manifest "
                f"({len(assessment.bundle.verification)} problem(s)); check it with python -m assess_lib verify",
                file=sys.stderr,
            )
        manifest = assessment.bundle.manifest
        language = args.language or manifest.get("params", {}).get("language") or "ja"
        customer = str(manifest.get("customer") or "")
    else:
        from .params import load_params

        params = load_params(absolute(args.params))
        language = args.language or params.language
        customer = params.customer
    write_new_file(out, lambda path: write_worksheet(path, language, assessment, customer))
    print(f"worksheet: {out}")
    return 0


def cmd_iam_policy(args: argparse.Namespace) -> int:
    """The read-only IAM policy, made from the datasets' declarations (assess_lib/*/*datasets.yaml)."""
    from .datasets import iam_policy

    print(json.dumps(iam_policy(multi_account=args.multi_account), indent=2))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """Where everything about one guideline item lives: text, checks, datasets, permissions."""
    from .catalog import load_catalog
    from .checks import registry
    from .datasets import DATASETS

    catalog = load_catalog()
    try:
        control = catalog.get(args.control_id)
    except KeyError:
        from .safe_input import shown

        raise UserError(
            f"unknown control ID '{shown(args.control_id, 40)}'. Fix: use <section>-<item>, e.g. 2.3.1-5 or 2.1.1-b"
        ) from None
    lang = args.language
    specs = registry()
    print(f"{control.control_id}  {control.title(lang)}  [{control.kind}, mode {control.mode}]")
    print(f"section {control.section} {control.section_title(lang)}  (assess_lib/catalog/controls.yaml)")
    print()
    print(control.text(lang))
    for check_id in control.checks:
        spec = specs[check_id]
        module = spec.fn.__module__.replace(".", "/") + ".py"
        print(
            f"\ncheck {check_id}: {spec.title(lang)}  ({module}:{spec.fn.__name__}, record assess_lib/checks/{spec.record.module}.yaml)"
        )
        for dataset in spec.datasets:
            print(f"  evidence {dataset}: {', '.join(DATASETS[dataset].actions)}")
    if not control.checks:
        print("\n" + t("cli.no_checks", lang))
    print(f"\nreport row: controls.json / findings.xlsx row {control.control_id}; notebook section {control.section}")
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    """JupyterLab on a finished run's own notebooks (127.0.0.1), for a live walkthrough; collects nothing."""
    from ._child import child_env
    from .lab import LabError, check_run, lab_command

    run = absolute(args.run)
    try:
        check_run(run)
    except LabError as err:
        raise UserError(str(err)) from None
    command = lab_command(run, port=args.port, browser=not args.no_browser, extra=args.jupyter_options)
    print(f"JupyterLab on {run} (its notebooks show this run; Ctrl-C twice stops the server)", file=sys.stderr, flush=True)
    sys.stdout.flush()
    # This process becomes the server: signals and the exit status are JupyterLab's own.
    os.execve(sys.executable, [sys.executable, *command], child_env())
    return 0  # not reached


def cmd_diff(args: argparse.Namespace) -> int:
    """The comparison of two runs (new, resolved and still open findings, verdict changes, expired accepted risks)."""
    from .catalog import load_catalog
    from .compare import CompareError, check_pair, compare, read_run
    from .report.comparison import comparison_text

    previous_dir, run_dir = absolute(args.previous), absolute(args.run)
    if os.path.realpath(previous_dir) == os.path.realpath(run_dir):
        raise UserError(
            f"--previous and --run name the same folder ({run_dir}). Fix: give the earlier assessment's run folder as "
            "--previous and this one's as --run"
        )
    try:
        previous, _ = read_run(previous_dir)
        current, _ = read_run(run_dir)
        check_pair(previous, current)
    except CompareError as err:
        raise UserError(str(err)) from None
    catalog = load_catalog()
    language = args.language or "ja"
    print(comparison_text(compare(previous, current, catalog), catalog, language))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assess_lib",
        description=" / ".join(reversed(both("cli.description"))),
    )
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="collect, evaluate, run the notebooks and publish")
    run.add_argument("--params", required=True, help="params YAML file")
    run.add_argument("--out", required=True, help="output folder: new, empty or an earlier run of the kit (replaced atomically)")
    run.add_argument("--quiet", action="store_true")
    run.add_argument(
        "--no-pdf",
        action="store_true",
        help="skip the two PDFs (a quick render, e.g. in the meeting): HTML, workbooks and notebooks as always",
    )
    run.add_argument("--worksheet", help="the consultant's filled working sheet (.xlsx), read beside the params' attestations")
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="the same on the embedded demo environment (no credentials)")
    demo.add_argument("--out", required=True)
    demo.add_argument("--quiet", action="store_true")
    demo.add_argument(
        "--no-pdf",
        action="store_true",
        help="skip the two PDFs (a quick render, e.g. in the meeting): HTML, workbooks and notebooks as always",
    )
    demo.add_argument("--worksheet", help="a filled working sheet (.xlsx) in place of the demo customer's own")
    demo.set_defaults(func=cmd_demo)
    report = sub.add_parser("report", help="re-render a saved evidence bundle offline")
    report.add_argument("--bundle", required=True)
    report.add_argument("--out", required=True)
    report.add_argument("--language", choices=["ja", "en"])
    report.add_argument(
        "--no-pdf",
        action="store_true",
        help="skip the two PDFs (a quick render, e.g. in the meeting): HTML, workbooks and notebooks as always",
    )
    report.add_argument(
        "--allow-unverified",
        action="store_true",
        help="render a bundle that does not match its manifest, every page marked as unverified",
    )
    report.add_argument(
        "--worksheet", help="a filled working sheet (.xlsx) to assess with: kept in the new output's bundle, which then verifies"
    )
    report.set_defaults(func=cmd_report)
    verify = sub.add_parser(
        "verify", help="check a bundle's files against its manifest (size, SHA-256, rows) and list files it does not name"
    )
    verify.add_argument("--bundle", required=True)
    verify.set_defaults(func=cmd_verify)
    show = sub.add_parser("show", help="show a guideline item: text, checks, evidence, permissions")
    show.add_argument("control_id")
    show.add_argument("--language", choices=["ja", "en"], default="ja")
    show.set_defaults(func=cmd_show)
    policy = sub.add_parser("iam-policy", help="print the read-only IAM policy the kit needs")
    policy.add_argument(
        "--multi-account", action="store_true", help="add sts:AssumeRole and organizations:ListAccounts for the caller"
    )
    policy.set_defaults(func=cmd_iam_policy)
    questionnaire = sub.add_parser("questionnaire", help="generate the Excel questionnaire for attested (organisational) items")
    questionnaire.add_argument("--out", required=True, help="the .xlsx file to write")
    questionnaire.add_argument("--language", choices=["ja", "en"], default="ja", help="ja: Japanese; en: English alongside")
    questionnaire.add_argument("--prefill", help="an attestation file (.yaml or .xlsx) whose answers to fill in")
    questionnaire.set_defaults(func=cmd_questionnaire)
    worksheet = sub.add_parser("worksheet", help="the consultant's working sheet (.xlsx) for every guideline item")
    source = worksheet.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="a run folder: its automated verdicts, findings and earlier answers filled in")
    source.add_argument("--params", help="a params file: the sheet before any run (no automated columns)")
    worksheet.add_argument("--out", required=True, help="the .xlsx file to write (a new file)")
    worksheet.add_argument("--language", choices=["ja", "en"], help="default: the run's or the params' language")
    worksheet.set_defaults(func=cmd_worksheet)
    diff = sub.add_parser("diff", help="compare a run with the previous assessment's run (findings and verdicts)")
    diff.add_argument("--previous", required=True, help="the previous assessment's run folder")
    diff.add_argument("--run", required=True, help="the current run folder")
    diff.add_argument("--language", choices=["ja", "en"], help="ja (default) or en")
    diff.set_defaults(func=cmd_diff)
    lab = sub.add_parser(
        "lab",
        help="open JupyterLab (127.0.0.1) on a finished run's own notebooks, for a walkthrough; collects nothing",
        description="Further --Class.option=value arguments go to JupyterLab as they are, e.g. --IdentityProvider.token=...",
    )
    lab.add_argument("--run", required=True, help="a run folder written by run or demo")
    lab.add_argument("--port", type=int, help="port on 127.0.0.1 (default: JupyterLab's, 8888 or the next free one)")
    lab.add_argument("--no-browser", action="store_true", help="print the URL instead of opening a browser")
    lab.set_defaults(func=cmd_lab, jupyter_options=[])
    return parser


def _redact_log_record(record: logging.LogRecord) -> bool:
    """Log lines are printed redacted like everything else (a library may log the endpoint URL)."""
    record.msg, record.args = mask_secrets(record.getMessage()), None
    if record.exc_info and not record.exc_text:
        import traceback

        record.exc_text = mask_secrets("".join(traceback.format_exception(*record.exc_info)).rstrip())
    return True


def main(argv: list[str] | None = None) -> int:
    from .aws.collect import CredentialsError
    from .bundle_check import BundleError
    from .outputs import OutputError, last_resort
    from .params import ParamsError

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_redact_log_record)
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # Only `lab` passes options on (to JupyterLab), and only options: --Class.trait=value.
        if args.command != "lab" or not all(option.startswith("--") for option in unknown):
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        args.jupyter_options = unknown
    try:
        return args.func(args)
    except (ParamsError, UserError, CredentialsError, BundleError) as err:
        print(f"error: {mask_secrets(str(err))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OutputError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except OSError as err:
        # Last resort: the expected cases (output folders and files) have their own messages at their cause.
        print(f"error: {last_resort(err)}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted; earlier results are untouched", file=sys.stderr)
        return 130


def console_main() -> None:
    """The ``fsa-assess`` console script: the same program as ``python -m assess_lib``."""
    from ._child import program_startup

    program_startup()
    sys.exit(main())
