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


def write_pdf(assessment: Any, lang: str, target: Path, document: dict[str, Any] | None = None) -> Path:
    """Build (unless given), render and write the PDF document in ``lang``."""
    from .document import build_document, render_html

    font = font_path()
    document = document or build_document(assessment, lang)
    html = render_html(document, for_pdf=True, font_url=font.as_uri())
    return render_pdf(html, target, font)


def render_many(jobs: list[tuple[str, Path]], font: Path | None = None) -> list[Path]:
    """Render several ``(html, target)`` jobs; with two CPUs or more, all but the first in child processes.

    WeasyPrint is pure Python and single-threaded, so the second language's PDF costs a full
    render again; a child interpreter (``python -m assess_lib.report.pdf``, not multiprocessing,
    so no ``__main__`` is re-imported) does it meanwhile. A child that fails is redone in-process.
    """
    font = font or font_path()
    if len(jobs) < 2 or (os.cpu_count() or 1) < 2:
        return [render_pdf(html, target, font) for html, target in jobs]
    children = []
    for html, target in jobs[1:]:
        handle, source = tempfile.mkstemp(suffix=".html", prefix=".report-", dir=str(target.parent))
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(html)
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "assess_lib.report.pdf", source, str(target), str(font)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except OSError as err:
            log.warning("PDF child process not started (%s); rendering in-process", err)
            process = None
        children.append((process, Path(source), html, target))
    done = [render_pdf(jobs[0][0], jobs[0][1], font)]
    for process, source, html, target in children:
        ok = False
        if process is not None:
            _, err = process.communicate()
            ok = process.returncode == 0 and target.exists()
            if not ok:
                log.warning("PDF child process failed (%s); rendering in-process", err.decode("utf-8", "replace")[-500:])
        source.unlink(missing_ok=True)
        done.append(target if ok else render_pdf(html, target, font))
    return done


def _main(argv: list[str]) -> int:
    source, target, font = argv
    render_pdf(Path(source).read_text(encoding="utf-8"), Path(target), Path(font))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))


__all__ = ["FontMissing", "font_path", "render_many", "render_pdf", "write_pdf"]
