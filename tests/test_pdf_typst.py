"""The PDF typeset by Typst: customer strings are data, never markup; bookmarks, links and the network diagrams' key.

Reuses the session's demo run (``demo_cli_run``): its two PDFs are read back for the outline and the links; the
hostile strings are findings added to its assessment (a real document built by ``build_document``, reduced to two
items so the render stays cheap) and typeset for real, then read back with pypdf.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from assess_lib.checks import registry
from assess_lib.core import Assessment, Finding, Verdict
from assess_lib.core.rollup import item_results
from assess_lib.evidence import Bundle
from assess_lib.pipeline import load_assessment
from assess_lib.report import pdf as pdf_mod
from assess_lib.report.document import build_document
from assess_lib.report.measure import SEPARATORS
from assess_lib.report.pdf import render_pdf

# Typst's own language (code, markup, math, labels, references, escapes), HTML, spreadsheet formulas.
HOSTILE = [
    "#sys.exit()",
    '#read("/etc/passwd")',
    '#eval("1+1")',
    '#set page(paper: "a5")',
    '];#panic("owned")[',
    "*bold* _em_ `raw` ```py x```",
    "$x^2$ $ sum $",
    "<label> @ref @item-2.3.1-5",
    "= Heading\n- list\n+ enum",
    "// comment /* block */",
    r"back\slash \n \u{41} \#",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
]
RTL = "invoice\u202eexe.pdf"
# Characters the embedded font has no glyph for would print as nothing: "Admin" and "Admin" + a zero-width joiner
# would look the same. The PDF shows each as its code point.
GLYPHLESS = {
    "bomb 💣 tag": "bomb \\U0001f4a3 tag",
    "관리자": "\\uad00\\ub9ac\\uc790",
    "مدير": "\\u0645\\u062f\\u064a\\u0631",
    "Admin\u200d": "Admin\\u200d",
    "Admin\u200b": "Admin\\u200b",
}
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60" viewBox="0 0 200 60">'
    '<rect x="5" y="5" width="80" height="40" fill="#eef1f5" stroke="#1a2b4c"/>'
    '<text x="12" y="30" font-family="IPAexGothic" font-size="12">VPC-ALPHA</text>'
    '<image href="file:///etc/passwd" x="100" y="5" width="40" height="40"/></svg>'
)


def squeeze(text: str) -> str:
    return re.sub(r"[\s\u200b]+", "", text)


def reduced(document: dict, keep: set[str]) -> dict:
    """The document with only the items ``keep`` (and their headings) in the results part."""
    chapters = []
    for chapter in document["chapters"]:
        blocks = [b for b in chapter["blocks"] if b["type"] == "item" and b["id"] in keep]
        if blocks:
            chapters.append(dict(chapter, blocks=blocks, toc=[]))
    return dict(document, chapters=chapters)


@pytest.fixture(scope="module")
def hostile_pdf(demo_cli_run, tmp_path_factory) -> PdfReader:
    base = load_assessment(demo_cli_run)
    manifest = dict(base.bundle.manifest, customer='#sys.exit() *株式会社* <b>悪意</b> "Co"')
    extra = [
        Finding("iam_root_mfa", "2.3.1-5", Verdict.FAIL, "123456789012", "global", text, text, text, severity="critical")
        for text in [*HOSTILE, RTL, *GLYPHLESS]
    ]
    findings = extra + list(base.findings)
    datasets = {check_id: spec.datasets for check_id, spec in registry().items()}
    assessment = Assessment(
        Bundle(base.bundle.path, manifest), findings, item_results(base.catalog, findings, datasets), base.catalog
    )
    document = reduced(build_document(assessment, "ja"), {"2.3.1-5", "2.2.1.4-1"})
    # The key the network-diagram helper adds (hand-built here: a small SVG, one with a file reference Typst must not follow).
    document["network_diagrams"] = [
        {
            "account": "123456789012",
            "account_label": "勘定系 (123456789012)",
            "region": "ap-northeast-1",
            "title": "ネットワーク構成図 #sys.exit() — 勘定系 (123456789012) / ap-northeast-1",  # the title names account and region
            "svg": SVG,
            "summary": "VPC 1 件 *要約*",
        }
    ]
    target = tmp_path_factory.mktemp("typst") / "hostile.pdf"
    return PdfReader(str(render_pdf(document, target)))


def test_hostile_strings_print_literally(hostile_pdf):
    text = squeeze("".join(page.extract_text() for page in hostile_pdf.pages))
    for hostile in HOSTILE:
        assert squeeze(hostile) in text, hostile
    assert squeeze('#sys.exit() *株式会社* <b>悪意</b> "Co"') in squeeze(hostile_pdf.pages[0].extract_text())  # the cover
    assert "root:x:0" not in text  # nothing read /etc/passwd
    # A direction override is shown, not obeyed (it would print the name reversed).
    assert "invoice\\u202eexe.pdf" in text and "\u202e" not in text
    for shown in GLYPHLESS.values():  # a character the font lacks is shown as its code point
        assert squeeze(shown) in text, shown
    box = hostile_pdf.pages[-1].mediabox  # "#set page(paper: "a5")" changed nothing: still A4
    assert abs(float(box.width) - 595.3) < 1 and abs(float(box.height) - 841.9) < 1


def test_network_diagrams_are_drawn_under_their_item(hostile_pdf):
    pages = [squeeze(page.extract_text()) for page in hostile_pdf.pages]
    at = next(n for n, p in enumerate(pages) if "ネットワーク構成図" in p)
    # Under its item: on the item's page or the one after (a long findings table may push it over).
    item = max(n for n in range(at + 1) if "2.2.1.4-1" in pages[n])
    assert at - item <= 1 and not any("2.3.1-5" in p for p in pages[item + 1 : at]), (item, at)
    page = pages[at]
    assert squeeze("ネットワーク構成図 #sys.exit() — 勘定系 (123456789012) / ap-northeast-1") in page
    assert "VPC-ALPHA" in page  # the SVG's own text, typeset as vector text
    assert squeeze("VPC 1 件 *要約*") in page


def test_the_fonts_characters_are_read_from_its_cmap():
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(pdf_mod.font_path()), lazy=True).getBestCmap()
    covered = {code for first, last in pdf_mod.font_ranges(pdf_mod.font_path()) for code in range(first, last + 1)}
    assert covered == set(cmap) and len(covered) > 10_000


def test_only_ipaexgothic_is_embedded_in_the_hostile_pdf(hostile_pdf):
    for page in hostile_pdf.pages:
        for ref in page.get("/Resources", {}).get("/Font", {}).values():
            font = ref.get_object()
            assert "IPAexGothic" in str(font["/BaseFont"])
            for descendant in font.get("/DescendantFonts", []):
                assert "/FontFile2" in descendant.get_object()["/FontDescriptor"].get_object() or (
                    "/FontFile3" in descendant.get_object()["/FontDescriptor"].get_object()
                )


def test_template_never_evaluates_strings():
    template = (Path(pdf_mod.__file__).parent / "typst" / "report.typ").read_text(encoding="utf-8")
    code = "\n".join(line for line in template.splitlines() if not line.lstrip().startswith("//"))
    assert not re.search(r"\beval\s*\(", code)
    assert not re.search(r"\b(read|include|import)\b", code)  # no file but the data reaches the page
    assert "json(bytes(sys.inputs.data))" in code


@pytest.mark.parametrize("name", ["report.pdf", "report.en.pdf"])
def test_bookmarks_and_cross_references(demo_cli_run, name):
    reader = PdfReader(str(demo_cli_run / name))

    def titles(outline) -> list[str]:
        out = []
        for entry in outline:
            out.extend(titles(entry) if isinstance(entry, list) else [entry.title])
        return out

    bookmarks = titles(reader.outline)
    ja = name == "report.pdf"
    for wanted in ("エグゼクティブサマリー", "付録A 証跡一覧") if ja else ("Executive summary", "Appendix A. Evidence inventory"):
        assert wanted in bookmarks
    assert len(bookmarks) > 176  # every item has its bookmark, under its section
    assert len(reader.outline) < 15  # nested: parts and appendices at the top
    # The table of contents and the item references are links to places in the document.
    links = [
        annot.get_object()
        for page in reader.pages[1:4]
        for annot in page.get("/Annots", []) or []
        if annot.get_object().get("/Subtype") == "/Link"
    ]
    assert len(links) > 40 and all("/Dest" in a or "/GoTo" in str(a.get("/A", {}).get("/S")) for a in links)


@pytest.mark.parametrize(
    "value",
    [
        "0f" * 32,  # a SHA-256 of the evidence inventory
        "arn:aws:iam::123456789012:role/AVeryLongRoleNameWithoutAnySeparatorsAtAllInIt",
        "evidence/123456789012/ap-northeast-1/ec2.instances.json",
    ],
)
def test_long_identifiers_may_break_every_eight_characters_and_at_separators(value):
    """A long run gets a break mark after each separator and at least every 8 characters (an empty box in the PDF,
    nothing in the copied text); a mark after every character made the report about half again as slow to typeset."""
    pieces = pdf_mod._text(value).split("\u200b")
    assert "".join(pieces) == value
    assert all(1 <= len(piece.rstrip("".join(SEPARATORS))) <= 8 and len(piece) <= 12 for piece in pieces)
    assert all(len(piece) == 8 or piece[-1] in SEPARATORS for piece in pieces[:-1])
    assert len(pieces) >= len(value) / 8


def test_values_under_sixteen_characters_get_no_break_marks_and_under_24_one():
    assert pdf_mod._text("ap-northeast-1") == "ap-northeast-1"
    assert pdf_mod._text("勘定系のバケット demo-bank-logs") == "勘定系のバケット demo-bank-logs"
    assert pdf_mod._text("demo-bank-core-logs") == "demo-bank-\u200bcore-logs"
    assert pdf_mod._text("sg-0123456789abcdef0") == "sg-0123456\u200b789abcdef0"
