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
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..redact import mask_secrets
from .measure import BREAKABLE_RUN, break_hints
from .visible import HIDDEN, escape

FONT_FILE = "ipaexg.ttf"
TEMPLATE_DIR = Path(__file__).with_name("typst")
TEMPLATE = TEMPLATE_DIR / "report.typ"

# Values of these keys are images (SVG), passed through untouched (no masking, no break hints).
_IMAGE_KEYS = frozenset({"chart", "account_chart", "svg"})
# Values of these keys are HTML built by display.paragraphs (<p> and <ul><li>), turned back into blocks.
_PARAGRAPH_KEYS = frozenset({"text", "consultant", "aws"})
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


def font_ranges(font: Path) -> list[tuple[int, int]]:
    """The characters ``font`` (a TrueType file) has glyphs for, as sorted ranges of code points (first, last), read
    from its Unicode cmap (platform 3, encoding 10, format 12, or else encoding 1, format 4)."""
    data = font.read_bytes()
    (tables,) = struct.unpack_from(">H", data, 4)
    offsets = {data[12 + 16 * i : 16 + 16 * i]: struct.unpack_from(">I", data, 20 + 16 * i)[0] for i in range(tables)}
    cmap = offsets[b"cmap"]
    (encodings,) = struct.unpack_from(">H", data, cmap + 2)
    subtables = {}
    for i in range(encodings):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
        subtables[platform, encoding] = cmap + offset
    if (3, 10) in subtables and struct.unpack_from(">H", data, subtables[3, 10])[0] == 12:
        at = subtables[3, 10]
        (groups,) = struct.unpack_from(">I", data, at + 12)
        return sorted((first, last) for first, last, _glyph in struct.iter_unpack(">III", data[at + 16 : at + 16 + 12 * groups]))
    at = subtables[3, 1]  # format 4: segments of the Basic Multilingual Plane
    (doubled,) = struct.unpack_from(">H", data, at + 6)
    ends = struct.unpack_from(f">{doubled // 2}H", data, at + 14)
    starts = struct.unpack_from(f">{doubled // 2}H", data, at + 16 + doubled)
    return sorted((first, last) for first, last in zip(starts, ends, strict=True) if first != 0xFFFF)


@lru_cache(maxsize=1)
def _shown() -> frozenset[str]:
    """The characters of a customer's string the PDF prints as they are: those its font has a glyph for, but for
    the hidden ones (:mod:`.visible`); and newlines (line breaks)."""
    shown = {chr(code) for first, last in font_ranges(font_path()) for code in range(first, last + 1)}
    return frozenset({char for char in shown if not HIDDEN.match(char)} | {"\n"})


def _text(value: str) -> str:
    """A string as the PDF prints it: access keys masked, escaped (``\\u202e``) where a character would not show as it
    is (a hidden one, :mod:`.visible`, would be obeyed or unseen; one the font lacks, an emoji or Hangul, would print
    as nothing and make two names look the same), long runs breakable (a zero-width space where
    :func:`.measure.break_hints` allows a break, which the template's s() prints as an empty box: the line breaks
    there without a character that would be copied with the identifier)."""
    value = mask_secrets(value)
    hidden = set(value).difference(_shown())
    if hidden:
        value = value.translate({ord(char): escape(char) for char in hidden})
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

    def __init__(self) -> None:
        import typst

        font = font_path()
        fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(font.parent)])
        self._compiler = typst.Compiler(str(TEMPLATE), root=str(TEMPLATE_DIR), font_paths=fonts, ignore_system_fonts=True)

    def render(self, document: dict[str, Any], target: Path) -> Path:
        """Write ``document`` (from :func:`~assess_lib.report.document.build_document`) as an A4 PDF to ``target``."""
        # Untagged, like the WeasyPrint PDF it replaces: the structure tree would nearly triple the file's size.
        pdf = self._compiler.compile(format="pdf", sys_inputs={"data": typst_input(document)}, pdf_tags=False)
        assert isinstance(pdf, bytes)
        target.write_bytes(pdf)
        return target


def render_pdf(document: dict[str, Any], target: Path) -> Path:
    """Write ``document`` as an A4 PDF to ``target``."""
    return Typesetter().render(document, target)


__all__ = ["FontMissing", "Typesetter", "font_path", "render_pdf", "typst_input"]
