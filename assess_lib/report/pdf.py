"""PDF rendering of the assessment document with Typst (A4, IPAexGothic embedded), from the document dict.

The template (``typst/report.typ``) is fixed markup; the document reaches it only as data: one JSON
string in ``sys.inputs``, decoded with ``json(...)`` and printed as strings. Typst never evaluates a
string as markup unless told to with ``eval`` (the template never does), so a resource named
``#read("/etc/passwd")`` or ``*bold*`` prints as those characters.

The font is the IPAexGothic file shipped by matplotlib-fontja; Typst is given that folder only (no
system font, not its own embedded fonts), so the PDF never depends on the fonts of the machine that
renders it and no glyph silently falls back to another face. The template's root is its own folder:
it can read nothing else.
"""

from __future__ import annotations

import base64
import html
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..redact import mask_secrets
from .measure import BREAKABLE_RUN, break_hints

FONT_FILE = "ipaexg.ttf"
TEMPLATE_DIR = Path(__file__).with_name("typst")
TEMPLATE = TEMPLATE_DIR / "report.typ"

# Values of these keys are images (SVG), passed through untouched (no masking, no break hints).
_IMAGE_KEYS = frozenset({"chart", "account_chart", "svg"})
# Values of these keys are HTML built by display.paragraphs (<p> and <ul><li>), turned back into blocks.
_PARAGRAPH_KEYS = frozenset({"text", "consultant", "aws"})
# Control and direction characters of a customer's string, shown escaped (never obeyed: an RTL override in a
# resource name would print it reversed). Newlines stay line breaks.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_BLOCK_RE = re.compile(r"<p>(.*?)</p>|<ul>(.*?)</ul>", re.DOTALL)
_ITEM_RE = re.compile(r"<li>(.*?)</li>", re.DOTALL)


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


def _text(value: str) -> str:
    """A string as the PDF prints it: access keys masked, control characters escaped, long runs breakable (a zero-width
    space where :func:`.measure.break_hints` allows a break, which the template's s() prints as an empty box: the line
    breaks there without a character that would be copied with the identifier)."""
    value = _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", mask_secrets(value))
    return BREAKABLE_RUN.sub(lambda m: break_hints(m.group()), value)


def _image(value: Any) -> str | None:
    """An SVG image as text: a ``data:image/svg+xml;base64,`` URL decoded, SVG text or bytes as they are."""
    if value is None or value == "":
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    value = str(value)
    prefix = "data:image/svg+xml;base64,"
    if value.startswith(prefix):
        value = base64.b64decode(value[len(prefix) :]).decode("utf-8")
    if not value.lstrip().startswith("<"):
        raise ValueError(f"the PDF takes SVG images only, not {value[:40]!r}")
    return _self_contained(value)


_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"


def _self_contained(svg: str) -> str:
    """``svg`` without what would reach outside it: scripts, foreign objects and links to anything but its own
    elements or ``data:`` URLs (Typst refuses to typeset an SVG naming a file, so one such link would cost the
    whole PDF). An SVG without any is returned as it is."""
    from defusedxml import ElementTree

    root = ElementTree.fromstring(svg)
    removed = False
    for parent in root.iter():
        for child in list(parent):
            tag = str(child.tag).rsplit("}", 1)[-1]
            href = str(child.get("href") or child.get(_XLINK_HREF) or "")
            if tag in ("script", "foreignObject") or (href and not href.startswith(("#", "data:"))):
                parent.remove(child)
                removed = True
    if not removed:
        return svg
    import xml.etree.ElementTree as ET

    return ET.tostring(root, encoding="unicode")


def _blocks(markup: str) -> list[dict[str, Any]]:
    """display.paragraphs' HTML back as data: paragraphs ``{"p": text}`` and lists ``{"ul": [text]}``."""
    blocks: list[dict[str, Any]] = []
    for match in _BLOCK_RE.finditer(str(markup)):
        if match.group(1) is not None:
            blocks.append({"p": _text(html.unescape(match.group(1)))})
        else:
            blocks.append({"ul": [_text(html.unescape(li)) for li in _ITEM_RE.findall(match.group(2))]})
    return blocks


def _data(value: Any, key: str = "") -> Any:
    """The document as plain JSON data for the template (see the module docstring)."""
    if key in _IMAGE_KEYS:
        return _image(value)
    if key in _PARAGRAPH_KEYS and isinstance(value, Markup):
        return _blocks(value)
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, dict):
        return {str(k): _data(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_data(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _text(str(value))


def _anchors(document: dict[str, Any]) -> dict[str, bool]:
    """Every anchor the template labels: a cross-reference links only to one of these (a link to a label
    that is not in the document would stop Typst)."""
    anchors = {"exec": True, "part-2": True, "toc": True}
    if document.get("comparison"):
        anchors["comparison"] = True
    for chapter in document.get("chapters") or []:
        anchors[chapter["anchor"]] = True
        for block in chapter["blocks"]:
            anchors[block["anchor"]] = True
    for name in ("evidence", "errors", "method", "thresholds", "checks"):
        anchors[f"app-{name}"] = True
    return anchors


def typst_input(document: dict[str, Any]) -> str:
    """The JSON string the template reads from ``sys.inputs.data``."""
    data = _data(document)
    data["anchors"] = _anchors(document)
    return json.dumps(data, ensure_ascii=False)


class Typesetter:
    """A Typst compiler for the report template. One compiler typesets one PDF at a time; a second PDF of the same
    compiler reuses the first one's parsed template and loaded font. Compilers of several threads typeset at once
    (Typst releases the GIL): :func:`~assess_lib.report.publish.publish` gives each language its own."""

    def __init__(self, font: Path | None = None) -> None:
        import typst

        font = font or font_path()
        fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(font.parent)])
        self._compiler = typst.Compiler(str(TEMPLATE), root=str(TEMPLATE_DIR), font_paths=fonts, ignore_system_fonts=True)

    def render(self, document: dict[str, Any], target: Path) -> Path:
        """Write ``document`` (from :func:`~assess_lib.report.document.build_document`) as an A4 PDF to ``target``."""
        # Untagged, like the WeasyPrint PDF it replaces: the structure tree would nearly triple the file's size.
        pdf = self._compiler.compile(format="pdf", sys_inputs={"data": typst_input(document)}, pdf_tags=False)
        assert isinstance(pdf, bytes)
        target.write_bytes(pdf)
        return target


def render_pdf(document: dict[str, Any], target: Path, font: Path | None = None) -> Path:
    """Write ``document`` as an A4 PDF to ``target``."""
    return Typesetter(font).render(document, target)


__all__ = ["FontMissing", "Typesetter", "font_path", "render_pdf", "typst_input"]
