"""Benchmark: the report of one run, document by document: the view model and document dict, the HTML, the PDF (Typst).

    .venv/bin/python bench/bench_pdf.py RUN_DIR [--repeat 3]      # RUN_DIR: a run's output folder (evidence/ inside)
    .venv/bin/python bench/bench_pdf.py --demo                     # makes a demo run first (python -m assess_lib demo)

Prints, per language, the time to build the document, render the HTML and typeset the PDF (the first PDF of
a process is cold: the template parsed, the font loaded; the others reuse the compiler, as publish does), the PDF's
pages and size; then the publish step as a run performs it (HTML, PDF and workbook in both languages, no notebooks; in a
fresh process each time, so that Typst's cache of an identical input does not flatter it), each figure the median of
``--repeat`` and with the process's CPU time beside the wall time (Typst lays pages out on
several threads). The load average is printed first: on a shared machine the wall times follow it.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(function, *args):
    """(result, wall seconds, CPU seconds) of one call."""
    wall, cpu = time.perf_counter(), _cpu()
    result = function(*args)
    return result, time.perf_counter() - wall, _cpu() - cpu


def main() -> int:
    from assess_lib._child import program_startup

    program_startup()  # as in the kit's own programs (python -m assess_lib)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", nargs="?", type=Path)
    parser.add_argument("--demo", action="store_true", help="make a demo run first and time its report")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--publish-once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publish_once:
        return publish_once(args.run)
    if args.demo:
        args.run = Path(tempfile.mkdtemp(prefix="fsa-bench-pdf-")) / "demo"
        subprocess.run(
            [sys.executable, "-m", "assess_lib", "demo", "--out", str(args.run), "--quiet", "--no-pdf"], cwd=ROOT, check=True
        )
    if args.run is None:
        parser.error("give a run folder or --demo")

    from pypdf import PdfReader

    from assess_lib.pipeline import load_assessment
    from assess_lib.report.document import build_document, render_html
    from assess_lib.report.pdf import Typesetter
    from assess_lib.report.view import ReportView

    def document_of(assessment, lang: str) -> dict:
        return build_document(assessment, lang, view=ReportView(assessment, lang))

    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    assessment = load_assessment(args.run.resolve())
    typesetter = Typesetter()
    out = Path(tempfile.mkdtemp(prefix="fsa-bench-pdf-out-"))
    for lang in ("ja", "en"):
        rows: dict[str, list[tuple[float, float]]] = {"document": [], "html": [], "pdf": []}
        for attempt in range(args.repeat):
            document, wall, cpu = timed(document_of, assessment, lang)
            rows["document"].append((wall, cpu))
            _, wall, cpu = timed(render_html, document)
            rows["html"].append((wall, cpu))
            target, wall, cpu = timed(typesetter.render, document, out / f"report.{lang}.pdf")
            if attempt == 0 and lang == "ja":
                print(f"first PDF of the process (cold): {wall:.2f} s wall, {cpu:.2f} s CPU")
            rows["pdf"].append((wall, cpu))
        pages, size = len(PdfReader(str(target)).pages), target.stat().st_size
        figures = ", ".join(
            f"{name} {statistics.median(w for w, _ in times):.2f} s ({statistics.median(c for _, c in times):.2f} s CPU)"
            for name, times in rows.items()
        )
        print(f"{lang}: {figures}; {pages} pages, {size / 1e6:.1f} MB")
    # The publish step each time in a fresh process, as a run does it: in this one Typst's cache of identical input
    # would make every repeat after the first cheaper than any run.
    walls = []
    for _ in range(args.repeat):
        once = subprocess.run(
            [sys.executable, __file__, str(args.run), "--publish-once"], cwd=ROOT, check=True, capture_output=True, text=True
        )
        wall, cpu = (float(x) for x in once.stdout.split())
        walls.append((wall, cpu))
    print(
        f"publish (html, pdf, xlsx; both languages; a fresh process each): {statistics.median(w for w, _ in walls):.2f} s "
        f"({statistics.median(c for _, c in walls):.2f} s CPU, both PDFs typeset at once), median of {args.repeat}"
    )
    return 0


def publish_once(run: Path) -> int:
    """One publish of ``run`` into a temporary folder; prints its wall and CPU seconds (the process's imports excluded)."""
    from assess_lib.pipeline import load_assessment
    from assess_lib.report.publish import publish

    assessment = load_assessment(run.resolve())
    out = Path(tempfile.mkdtemp(prefix="fsa-bench-publish-"))
    _, wall, cpu = timed(lambda: publish(out, assessment, "ja", formats=("html", "pdf", "xlsx")))
    print(f"{wall:.3f} {cpu:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
