"""PDF rendering of the assessment document with WeasyPrint (A4, IPAexGothic embedded).

The font is the IPAexGothic file shipped by matplotlib-fontja, referenced by a ``file://``
``@font-face`` resolved at run time, so the PDF never depends on the fonts of the machine
that renders it (a laptop without Japanese fonts would otherwise print boxes).
The URL fetcher serves only that font and ``data:`` URIs (the embedded chart): nothing in
the document can make the renderer read another file or reach the network.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .._child import child_env

log = logging.getLogger(__name__)

FONT_FILE = "ipaexg.ttf"


class FontMissing(RuntimeError):
    """The Japanese font file could not be found (matplotlib-fontja not installed)."""


def font_path() -> Path:
    """Path of IPAexGothic as shipped by matplotlib-fontja (found without importing matplotlib)."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise FontMissing("matplotlib-fontja is not installed; it ships the IPAexGothic font the PDF embeds")
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "fonts" / FONT_FILE
        if candidate.is_file():
            return candidate.resolve()
    raise FontMissing(f"{FONT_FILE} not found in matplotlib-fontja")


def _url_fetcher(allowed: Path) -> Any:
    from weasyprint.urls import URLFetcher

    allowed_uri = allowed.as_uri()

    class OnlyFontAndData(URLFetcher):
        """Serves data: URIs and the one font file; refuses everything else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if not (url.startswith("data:") or url == allowed_uri):
                raise ValueError(f"blocked resource in report: {url[:80]}")
            return super().fetch(url, headers)

    return OnlyFontAndData(allowed_protocols=("data", "file"), allow_redirects=False)


def render_pdf(html: str, target: Path, font: Path | None = None) -> Path:
    """Write ``html`` (rendered with ``for_pdf=True``) as an A4 PDF to ``target``."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    font = font or font_path()
    # WeasyPrint logs every unsupported CSS property at WARNING; keep the run's output clean.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    font_config = FontConfiguration()
    document = HTML(string=html, base_url=str(font.parent), url_fetcher=_url_fetcher(font))
    document.write_pdf(str(target), font_config=font_config, uncompressed_pdf=False)
    return target


class PdfJobs:
    """PDF renders started at once, each in a child process when there are two CPUs or more.

    WeasyPrint is pure Python and single-threaded, and a report PDF is the longest single task of a
    run; started first, in child interpreters (``python -m assess_lib.report.pdf``, not
    multiprocessing, so no ``__main__`` is re-imported), they overlap with everything the caller does
    before :meth:`wait`. With one CPU, or where a child fails, the PDF is rendered in-process.
    """

    def __init__(self, jobs: list[tuple[str, Path]], font: Path | None = None) -> None:
        self.font = font or font_path()
        self._jobs: list[tuple[subprocess.Popen | None, Path | None, str, Path]] = []
        in_children = (os.cpu_count() or 1) >= 2
        for html, target in jobs:
            process, source = self._start(html, target) if in_children else (None, None)
            self._jobs.append((process, source, html, target))

    def _start(self, html: str, target: Path) -> tuple[subprocess.Popen | None, Path | None]:
        handle, name = tempfile.mkstemp(suffix=".html", prefix=".report-", dir=str(target.parent))
        source = Path(name)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(html)
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "assess_lib.report.pdf", str(source), str(target), str(self.font)],
                env=child_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except OSError as err:
            log.warning("PDF child process not started (%s); rendering in-process", err)
            source.unlink(missing_ok=True)
            return None, None
        return process, source

    def cancel(self) -> None:
        """Stop every child still rendering and remove their temporary sources (the caller failed)."""
        for process, source, _, _ in self._jobs:
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
            if source is not None:
                source.unlink(missing_ok=True)
        self._jobs = []

    def wait(self) -> list[Path]:
        """Wait for every render (rendering in-process what no child did); the targets, in job order."""
        done = []
        for process, source, html, target in self._jobs:
            ok = False
            if process is not None:
                _, err = process.communicate()
                ok = process.returncode == 0 and target.exists()
                if not ok:
                    log.warning("PDF child process failed (%s); rendering in-process", err.decode("utf-8", "replace")[-500:])
            if source is not None:
                source.unlink(missing_ok=True)
            done.append(target if ok else render_pdf(html, target, self.font))
        self._jobs = []
        return done


def _main(argv: list[str]) -> int:
    source, target, font = argv
    render_pdf(Path(source).read_text(encoding="utf-8"), Path(target), Path(font))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))


__all__ = ["FontMissing", "PdfJobs", "font_path", "render_pdf"]
