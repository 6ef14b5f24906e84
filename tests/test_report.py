"""The annotated assessment document: HTML, PDF and XLSX in both languages, from one real demo run.

One demo run per module (collection against the embedded emulator, evaluation, notebooks,
publishing), then assertions on what a CISO, an auditor or the FSA would open: the PDF's fonts,
pages, table of contents and running header; the workbook's layout and verdicts; the HTML's
self-containment; and what happens to hostile customer-controlled names.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from assess_lib.checks import registry
from assess_lib.core import VERDICT_COLOURS, Assessment, Finding, Verdict
from assess_lib.core.rollup import item_results
from assess_lib.evidence import Bundle
from assess_lib.pipeline import load_assessment
from assess_lib.report import document as doc_mod

from assess_lib.report.pdf import render_pdf
from assess_lib.report.publish import publish
from assess_lib.report.xlsx import HEADERS

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_FORMULA = '=HYPERLINK("http://x","y")'
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
HOSTILE_HIDDEN = {
    "invoice\u202eexe.pdf": "invoice\\u202eexe.pdf",
    "Admin\u200d": "Admin\\u200d",
    "tag\U000e0041": "tag\\U000e0041",
}


@pytest.fixture(scope="module")
def demo_run(demo_cli_run) -> Path:
    """A complete demo run through the command line (shared with the other end-to-end tests)."""
    return demo_cli_run


@pytest.fixture(scope="module")
def controls(demo_run) -> dict[str, dict]:
    return {c["control_id"]: c for c in json.loads((demo_run / "controls.json").read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def manifest(demo_run) -> dict:
    return json.loads((demo_run / "evidence" / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pdf(demo_run) -> PdfReader:
    return PdfReader(str(demo_run / "report.pdf"))


def font_names(reader: PdfReader) -> set[str]:
    """/BaseFont of every font used on every page."""
    names = set()
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object().get("/BaseFont")))
    return names


def embedded(reader: PdfReader) -> bool:
    """Every Type0 font's descendant carries its font program (FontFile2)."""
    for page in reader.pages[:3]:
        for ref in page.get("/Resources", {}).get("/Font", {}).values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if "/FontFile2" not in descriptor and "/FontFile3" not in descriptor:
                    return False
    return True


# --- outputs ------------------------------------------------------------------------------------


def test_every_output_in_both_languages(demo_run):
    for name in ("report.html", "report.pdf", "report.en.html", "report.en.pdf", "findings.xlsx", "findings.en.xlsx"):
        assert (demo_run / name).is_file() and (demo_run / name).stat().st_size > 1000, name
    assert sorted(p.name for p in (demo_run / "notebooks").glob("*.html")) == sorted(
        p.with_suffix(".html").name for p in (demo_run / "notebooks").glob("*.ipynb")
    )


# --- PDF ----------------------------------------------------------------------------------------


def test_pdf_embeds_ipaexgothic_only(pdf, demo_run):
    names = font_names(pdf)
    assert names and all("IPAex" in n for n in names), names
    assert embedded(pdf)
    assert all("IPAex" in n for n in font_names(PdfReader(str(demo_run / "report.en.pdf"))))


def test_pdf_is_a4_with_sane_page_count(pdf):
    assert len(pdf.pages) > 5
    box = pdf.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 1 and abs(float(box.height) - 841.9) < 1


def test_pdf_table_of_contents_lists_sections_with_page_numbers(pdf):
    toc = pdf.pages[1].extract_text()
    assert "目次" in toc
    for heading in ("エグゼクティブサマリー", "2.3.1 認証・アクセス管理", "2.6 サードパーティリスク管理", "付録A 証跡一覧"):
        assert heading in toc, heading
    match = re.search(r"2\.3\.1 認証・アクセス管理[ .…]*?(\d+)", toc)
    assert match, toc[:2000]
    page = int(match.group(1))
    assert 3 <= page <= len(pdf.pages)
    assert "認証・アクセス管理" in pdf.pages[page - 1].extract_text()


def test_pdf_running_header_names_customer_and_confidentiality(pdf, manifest):
    cover = pdf.pages[0].extract_text()
    assert manifest["customer"] in cover
    assert manifest["run_id"] in cover
    page = pdf.pages[2].extract_text()
    assert manifest["customer"] in page
    assert "社外秘" in page
    assert re.search(rf"\b3 / {len(pdf.pages)}\b", page)


# --- workbook -----------------------------------------------------------------------------------


def test_workbook_matrix_layout_and_verdicts(demo_run, controls):
    wb = load_workbook(demo_run / "findings.xlsx")
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers[:6] == [
        "項目",
        "小番号",
        "分類",
        "タイトル・内容",
        "一般的に考えられる対応内容 (評価者の見解)",
        "AWS環境での実現方法",
    ]
    assert headers[6:9] == ["判定", "証跡サマリー", "改善策"]
    assert ws.freeze_panes == "A2"
    rows = {r[9].value: r for r in ws.iter_rows(min_row=2) if r[9].value}
    assert len(rows) == len(controls) == 176
    item = rows["2.3.1-5"]
    expected = controls["2.3.1-5"]["verdict"]
    assert item[6].value == Verdict(expected).label("ja")
    assert item[6].fill.start_color.rgb.endswith(VERDICT_COLOURS[expected].lstrip("#").upper())
    assert item[1].value == "⑤" and item[2].value == "基本的な対応事項"
    assert "検出事項" in item[7].value
    recommended = next(r for cid, r in rows.items() if re.fullmatch(r"2\.1\.1-[a-z]", cid))
    assert recommended[1].value == recommended[9].value.split("-")[1] and recommended[2].value == "対応が望ましい事項"
    # chapter / section header rows like the seed: "2.3.1 | | | 認証・アクセス管理"
    header_rows = {r[0].value: r[3].value for r in ws.iter_rows(min_row=2) if r[0].value}
    assert header_rows["2"] == "サイバーセキュリティ管理態勢"
    assert header_rows["2.3.1"] == "認証・アクセス管理"


def test_workbook_findings_and_errors_sheets(demo_run):
    findings = json.loads((demo_run / "findings.json").read_text(encoding="utf-8"))
    wb = load_workbook(demo_run / "findings.xlsx")
    assert [ws.title for ws in wb.worksheets][:4] == ["対応状況", "改善計画", "検出事項", "取得不可の証跡"]
    sheet = wb["検出事項"]
    assert sheet.max_row - 1 == len(findings)
    values = {c.value for c in sheet[1]}
    assert {"項目ID", "チェックID", "判定", "アカウント", "リージョン", "リソース", "内容（日本語）", "内容（英語）"} <= values
    en = load_workbook(demo_run / "findings.en.xlsx")
    assert [c.value for c in en.worksheets[0][1]][:3] == HEADERS["en"][:3] == ["Section", "No.", "Category"]
    assert [ws.title for ws in en.worksheets][1:3] == ["Remediation plan", "Findings"]


# --- HTML ---------------------------------------------------------------------------------------


def external_references(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']?\s*((?:https?:)?//[^"'\s>]*)""", html, flags=re.IGNORECASE)


@pytest.mark.parametrize("name", ["report.html", "report.en.html"])
def test_html_is_self_contained(demo_run, name):
    html = (demo_run / name).read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert not external_references(html)
    assert "file://" not in html and "@import" not in html
    assert 'src="data:image/svg+xml;base64,' in html  # the charts, vector
    assert html.count('class="item') >= 176
    assert "<built-in" not in html and "bound method" not in html and "Undefined" not in html


def test_both_languages_rendered(demo_run):
    ja = (demo_run / "report.html").read_text(encoding="utf-8")
    en = (demo_run / "report.en.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in ja and "エグゼクティブサマリー" in ja and "認証・アクセス管理" in ja
    assert '<html lang="en">' in en and "Executive summary" in en and "Authentication and Access Management" in en
    assert "Appendix A. Evidence inventory" in en
    assert "Verdicts per section" in en


def test_cover_states_scope_and_bundle_identity(demo_run, manifest):
    html = (demo_run / "report.html").read_text(encoding="utf-8")
    bundle = Bundle.load(demo_run)
    assert bundle.manifest_sha256() in html
    assert manifest["run_id"] in html
    for account in manifest["accounts"]:
        assert account in html
        for region in manifest["regions"][account]:
            assert region in html
    for domain in manifest.get("domains", []):
        assert domain in html
    assert doc_mod.DEFAULT_ASSESSOR["ja"] in html


# --- hostile names ------------------------------------------------------------------------------


def hostile_assessment(run_dir: Path) -> Assessment:
    base = load_assessment(run_dir)
    manifest = dict(base.bundle.manifest, customer='<b>悪意</b> & "Co" =cmd|calc')
    bundle = Bundle(base.bundle.path, manifest)
    extra = [
        Finding(
            "iam_root_mfa",
            "2.3.1-5",
            Verdict.FAIL,
            "123456789012",
            "global",
            HOSTILE_SCRIPT,
            f"不正な名前 {HOSTILE_SCRIPT} のキー {ACCESS_KEY}",
            f"hostile name {HOSTILE_SCRIPT} with key {ACCESS_KEY}",
            severity="critical",
        ),
        Finding(
            "iam_root_mfa",
            "2.3.1-5",
            Verdict.FAIL,
            "123456789012",
            "global",
            HOSTILE_FORMULA,
            HOSTILE_FORMULA,
            HOSTILE_FORMULA,
            severity="critical",
        ),
        # Names that would read as others: reversed by a direction override, "Admin" with a zero-width joiner.
        *(
            Finding("iam_root_mfa", "2.3.1-5", Verdict.FAIL, "123456789012", "global", name, name, name, severity="critical")
            for name in HOSTILE_HIDDEN
        ),
    ]
    findings = extra + list(base.findings)
    datasets = {check_id: spec.datasets for check_id, spec in registry().items()}
    return Assessment(bundle, findings, item_results(base.catalog, findings, datasets), base.catalog)


def test_hostile_names_are_escaped_and_neutralised(demo_run, tmp_path):
    assessment = hostile_assessment(demo_run)
    written = publish(tmp_path, assessment, "ja", formats=("html", "xlsx"), languages=("ja",))
    assert {p.name for p in written} == {"report.html", "findings.xlsx"}

    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;悪意&lt;/b&gt; &amp; &#34;Co&#34;" in html or "&lt;b&gt;悪意&lt;/b&gt; &amp; &quot;Co&quot;" in html
    assert ACCESS_KEY not in html and "AKIA…MPLE" in html
    assert not external_references(html)
    for name, shown in HOSTILE_HIDDEN.items():  # shown escaped, neither obeyed nor unseen
        assert shown in html and name not in html, shown
    assert not re.search("[\u200b-\u200f\u202a-\u202e\u2066-\u2069]", html)

    # The PDF's cover and running header show the name as text, the item shows the hostile resource. (Only that
    # item is rendered: the whole document's PDF is exercised by the demo run above, this is about the strings.)
    model = doc_mod.build_document(assessment, "ja")
    chapter = next(c for c in model["chapters"] if c["number"] == "2.3")
    chapter["blocks"], chapter["toc"] = [b for b in chapter["blocks"] if b.get("id") == "2.3.1-5"], []
    model["chapters"] = [chapter]
    reader = PdfReader(str(render_pdf(model, tmp_path / "hostile.pdf")))
    assert "<b>悪意</b>" in reader.pages[0].extract_text()
    assert "<b>悪意</b>" in reader.pages[2].extract_text()
    assert "<script>alert(1)</script>" in "".join(p.extract_text() for p in reader.pages)

    wb = load_workbook(tmp_path / "findings.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    formula = [c for c in cells if "HYPERLINK" in c.value and c.value.lstrip("'").startswith("=")]
    assert formula, "the hostile resource should be in the workbook"
    for cell in formula:
        assert cell.data_type != "f"
        assert cell.value.startswith("'")
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    assert not any(ACCESS_KEY in c.value for c in cells)
    assert any(c.value.startswith("'=cmd") or "=cmd|calc" in c.value for c in cells)  # the customer name, as text


# --- document model -----------------------------------------------------------------------------


def test_missing_evidence_lists_missing_permissions(demo_run):
    base = load_assessment(demo_run)
    manifest = json.loads(json.dumps(base.bundle.manifest))
    manifest["datasets"].append(
        {
            "dataset": "iam.password_policy",
            "account_id": "210987654321",
            "region": "global",
            "status": "error",
            "error_kind": "access_denied",
            "error_code": "AccessDenied",
            "error_message": "not authorized",
            "action": "iam:GetAccountPasswordPolicy",
        }
    )
    assessment = replace(base, bundle=Bundle(base.bundle.path, manifest))
    model = doc_mod.build_document(assessment, "en")
    refused = {row["action"]: row for row in model["missing_permissions"]}
    # Each refused action names the evidence it would have given (from the datasets' declarations).
    assert refused["iam:GetAccountPasswordPolicy"]["datasets"] == ["iam.password_policy"]
    assert refused["iam:GetAccountPasswordPolicy"]["evidence"] == ["Account password policy"]
    assert any(r["dataset"] == "iam.password_policy" and not r["ok"] for r in model["inventory"])
    html = doc_mod.render_html(model)
    assert "Missing permissions (IAM actions)" in html and "210987654321" in html


def test_every_item_in_guideline_order_and_key_findings_by_severity(demo_run):
    assessment = load_assessment(demo_run)
    model = doc_mod.build_document(assessment, "ja")
    items = [b["id"] for ch in model["chapters"] for b in ch["blocks"] if b["type"] == "item"]
    assert items == assessment.catalog.ids()
    headings = [b["number"] for ch in model["chapters"] for b in ch["blocks"] if b["type"] == "heading"]
    assert "2.2.2" in headings and headings.index("2.2.2") < headings.index("2.2.2.1")
    key = model["key_findings"]
    assert len(key) <= doc_mod.KEY_FINDINGS
    order = [(r["verdict"] != "fail", doc_mod.SEVERITY_ORDER.index(r["severity"]) if r["verdict"] == "fail" else 0) for r in key]
    assert order == sorted(order)
    for block in (b for ch in model["chapters"] for b in ch["blocks"] if b["type"] == "item"):
        # every failure first (up to FAILS_PER_ITEM), then the rest up to FINDINGS_PER_ITEM rows
        assert len(block["findings"]) <= max(doc_mod.FINDINGS_PER_ITEM, doc_mod.FAILS_PER_ITEM)
        listed_fails = sum(1 for f in block["findings"] if f["verdict"] == "fail")
        all_fails = sum(c["n"] for c in block["counts"] if c["verdict"] in ("fail", "accepted_risk"))  # accepted: failing
        assert listed_fails == min(all_fails, doc_mod.FAILS_PER_ITEM)
        if not block["checks"] and not block["n_findings"]:
            # no check: decided on the customer's answer or the assessor's judgment, or not yet decided
            assert block["compact"] and (block["verdict"] == "manual") != bool(block["basis"])
            assert bool(block["pending_note"]) == (block["verdict"] == "manual")


def test_assessor_from_environment(monkeypatch):
    monkeypatch.delenv(doc_mod.ASSESSOR_ENV, raising=False)
    assert doc_mod.assessor("en") == "AWS Partner (assessor)"
    monkeypatch.setenv(doc_mod.ASSESSOR_ENV, "株式会社サンプル / Sample K.K.")
    assert doc_mod.assessor("ja") == "株式会社サンプル" and doc_mod.assessor("en") == "Sample K.K."


def test_no_japanese_in_the_report_code():
    """Customer text lives in the catalogue (assess_lib/text/*.yaml), not in the report's Python."""
    import assess_lib.report

    japanese = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
    files = sorted(Path(assess_lib.report.__file__).parent.glob("*.py"))
    assert files
    for path in files:
        found = japanese.search(path.read_text(encoding="utf-8"))
        assert not found, f"{path.name}: {found.group()!r}"


def test_the_second_language_reuses_the_evidence_selection_and_shows_the_same(demo_run):
    """The evidence rows an item rests on are the same in both languages: the second view takes the first one's
    selection (publish does), and its document is the one it would have built alone."""
    from assess_lib.report.view import ReportView

    assessment = load_assessment(demo_run)
    ja = ReportView(assessment, "ja")
    alone = doc_mod.build_document(assessment, "en", view=ReportView(assessment, "en"))
    shared_view = ReportView(assessment, "en", share=ja)
    assert shared_view._evidence is ja._evidence
    assert doc_mod.build_document(assessment, "en", view=shared_view) == alone
    other = load_assessment(demo_run)  # another assessment's view shares nothing
    assert ReportView(other, "en", share=ja)._evidence is not ja._evidence
