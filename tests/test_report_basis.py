"""The customer's report states every item's basis and the consultant's work on it (issue 13, points 2, 3, 5).

One real demo run (the shared command-line run) with what its working sheet and exceptions register would add,
built here by hand until the demo carries them: the customer's status and documents for three items, an
assessor's override of an automated verdict, owners and due dates (one hostile), and an exceptions register
with an accepted risk, an expired one and one that covers nothing. They go through the real roll-up
(core.rollup.item_results) and risk acceptance (core.acceptance.accept_risks), then the real view model,
HTML, PDF and workbook.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook
from markupsafe import escape

from assess_lib.checks import registry
from assess_lib.core import t
from assess_lib.core.model import ItemJudgment
from assess_lib.core.acceptance import accept_risks
from assess_lib.core.rollup import item_results
from assess_lib.evidence import Bundle
from assess_lib.pipeline import load_assessment
from assess_lib.report import document as doc_mod
from assess_lib.report.view import ReportView
from assess_lib.report.xlsx import sheet_name, write_workbook

NAMES = {"123456789012": "勘定系<b>", "345678901234": "情報系"}
HOSTILE_OWNER = "<script>alert(1)</script>"
HOSTILE_RATIONALE = '=HYPERLINK("http://evil.example/","x")'
OVERRIDE_RATIONALE = "NACLの管理ポートは閉域の保守用サブネットに限られ、セキュリティグループで遮断されていることを確認した。"

JUDGMENTS = {
    # no check: implemented by the customer's answer, with a document
    "2.1.1-3": ItemJudgment(
        "2.1.1-3",
        status="implemented",
        documents=(
            {
                "title": "サイバーセキュリティ基本規程",
                "location": "文書管理/規程/001",
                "approval_date": "2025-04-01",
                "approver": "取締役会",
            },
        ),
        source="worksheet!F12",
    ),
    # no check: not implemented, with owner and due date (the owner hostile)
    "2.1.1-4": ItemJudgment(
        "2.1.1-4", status="not_implemented", owner=HOSTILE_OWNER, due_date="2026-03-31", source="worksheet!F13"
    ),
    # no check: partially implemented, no owner
    "2.1.1-5": ItemJudgment("2.1.1-5", status="partial", source="worksheet!F14"),
    # failing checks: the assessor decides partially compliant (an override, the findings unchanged)
    "2.3-1": ItemJudgment("2.3-1", verdict="partial", rationale=OVERRIDE_RATIONALE, owner="インフラ部", due_date="2026-06-30"),
    # a decision with a hostile rationale
    "2.1.1-6": ItemJudgment("2.1.1-6", verdict="pass", rationale=HOSTILE_RATIONALE, owner=HOSTILE_RATIONALE),
}

EXCEPTIONS = [
    {
        "check_id": "route53_dnssec",
        "account_id": "123456789012",
        "region": "*",
        "resource": "*",
        "reason": "移行中のため",
        "approver": "CISO 山田",
        "approved_on": "2025-01-10",
        "expires": "2099-12-31",
        "source": "exceptions.yaml:1",
    },
    {
        "check_id": "route53_dnssec",
        "account_id": "345678901234",
        "region": "*",
        "resource": "*",
        "reason": "旧サイト",
        "approver": "CISO 山田",
        "approved_on": "2023-01-10",
        "expires": "2024-01-31",
        "source": "exceptions.yaml:9",
    },
    {
        "check_id": "iam_root_mfa",
        "account_id": "999999999999",
        "region": "*",
        "resource": "*",
        "reason": "none",
        "approver": "CISO",
        "approved_on": "2025-01-10",
        "expires": "2099-12-31",
        "source": "exceptions.yaml:17",
    },
]

# Words addressed to the consultant (or asking the reader to go and check): none may reach the customer's copy.
# Not among them: remediation advice to the customer ("…を有効にしてください"), the guideline's own text (its
# 顧客 are the institution's customers) and the questionnaire's questions quoted beside the answers given.
INSTRUCTION_PHRASES = (
    *("確認事項", "ご確認", "確認してください", "評価してください", "ヒアリング", "文書確認で", "顧客への確認", "お客様に確認"),
    *("聴取", "質問してください", "依頼してください", "求めてください", "入手し確認", "再収集してください"),
    *("please", "ask the customer", "ask them", "confirm with", "question to ask", "questions to ask", "interview"),
)
# Whitespace between words is optional: a PDF read back may break a phrase across lines or lose its spaces.
INSTRUCTIONS = re.compile("|".join(re.escape(p).replace(r"\ ", r"\s*") for p in INSTRUCTION_PHRASES), re.IGNORECASE)


def instructions(text: str) -> list[str]:
    """Each phrase of :data:`INSTRUCTIONS` in ``text``, with some context."""
    return [text[max(0, m.start() - 40) : m.end() + 20] for m in INSTRUCTIONS.finditer(text)]


def rich(base):
    """The demo's assessment with a working sheet, an exceptions register and account names (hand-built)."""
    manifest = dict(base.bundle.manifest)
    params = dict(manifest.get("params") or {})
    params["aws"] = dict(params.get("aws") or {}, account_names=NAMES)
    manifest["params"] = params
    bundle = Bundle(base.bundle.path, manifest)
    findings = accept_risks([replace(f, accepted_risk=None) for f in base.findings], EXCEPTIONS, dt.date(2026, 1, 15))
    datasets = {check_id: spec.datasets for check_id, spec in registry().items()}
    items = item_results(base.catalog, findings, datasets, JUDGMENTS)
    return replace(base, bundle=bundle, findings=findings, items=items, judgments=dict(JUDGMENTS), exceptions=list(EXCEPTIONS))


@pytest.fixture(scope="module")
def run(demo_cli_run) -> Path:
    return demo_cli_run


@pytest.fixture(scope="module")
def assessment(run):
    return rich(load_assessment(run))


@pytest.fixture(scope="module")
def models(assessment):
    return {lang: doc_mod.build_document(assessment, lang) for lang in ("ja", "en")}


@pytest.fixture(scope="module")
def html(models):
    return {lang: doc_mod.render_html(model) for lang, model in models.items()}


def block(model, control_id):
    return next(b for ch in model["chapters"] for b in ch["blocks"] if b.get("id") == control_id)


def text_of(html_text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html_text))


# --- 1: every item's basis, the customer's status and documents, the assessor's verdict and override ----------


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_items_show_basis_status_documents_and_the_assessors_verdict(models, html, lang):
    model, page = models[lang], html[lang]
    answered = block(model, "2.1.1-3")
    assert answered["verdict"] == "pass" and answered["basis"] == ["answer"] and answered["compact"]
    assert answered["answer_label"] == t("status.implemented", lang)
    assert answered["documents"] == [
        {"title": "サイバーセキュリティ基本規程", "location": "文書管理/規程/001", "date": "2025-04-01", "approver": "取締役会"}
    ]
    article = page[page.index('id="item-2.1.1-3"') : page.index('id="item-2.1.1-4"')]
    for words in (answered["basis_label"], answered["answer_label"], "文書管理/規程/001", t("basis.answer_only_note", lang)):
        assert str(escape(words)) in article, words
    assert t("report.item.pending", lang) not in article
    # not implemented, by the customer's answer: owner and due date as given (the owner escaped)
    missing = block(model, "2.1.1-4")
    assert missing["verdict"] == "fail" and missing["owner"] == HOSTILE_OWNER and missing["due_date"] == "2026-03-31"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and HOSTILE_OWNER not in page
    # partially implemented, no owner: "not set"
    assert block(model, "2.1.1-5")["owner"] == t("report.plan.not_set", lang) == block(model, "2.1.1-5")["due_date"]
    # the assessor's verdict with its rationale (customer-controlled: escaped)
    judged = block(model, "2.1.1-6")
    assert judged["judgment"]["verdict"] == "pass" and judged["basis"] == ["judgment"]
    assert "=HYPERLINK(&#34;http://evil.example/&#34;,&#34;x&#34;)" in page or "=HYPERLINK(&quot;" in page
    # nothing received: stated as a fact
    pending = block(model, "2.1.1-7")
    assert pending["verdict"] == "manual" and pending["pending_note"] == t("report.item.pending", lang)
    assert str(escape(pending["pending_note"])) in page


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_an_override_is_shown_beside_the_automated_verdict_with_the_findings_unchanged(run, assessment, models, html, lang):
    item = block(models[lang], "2.3-1")
    assert item["verdict"] == "partial" and item["automated_verdict"] == "fail"
    expected = t(
        "report.item.override_text",
        lang,
        before=t("verdict.fail.label", lang),
        after=t("verdict.partial.label", lang),
        rationale=OVERRIDE_RATIONALE,
    )
    assert item["override"]["text"] == expected
    if lang == "ja":
        assert expected.startswith("評価者による判定変更: 不適合 → 一部適合（理由: NACLの管理ポート")
    page = html[lang]
    article = page[page.index('id="item-2.3-1"') : page.index("<article", page.index('id="item-2.3-1"') + 1)]
    assert str(escape(expected)) in article and str(escape(t("report.item.override_findings", lang))) in article
    # the findings are those of the evaluation without the sheet, in the same order and with the same verdicts
    base = doc_mod.build_document(load_assessment(run), lang)
    assert [(f["check_id"], f["resource"], f["verdict"]) for f in item["findings"]] == [
        (f["check_id"], f["resource"], f["verdict"]) for f in block(base, "2.3-1")["findings"]
    ]
    # (accepted risks apart or not: this test's register replaces the demo's own, the failures are the same)
    failing = ("fail", "accepted_risk")
    assert sum(c["n"] for c in item["counts"] if c["verdict"] in failing) == sum(
        c["n"] for c in block(base, "2.3-1")["counts"] if c["verdict"] in failing
    )
    assert item["owner"] == "インフラ部" and item["due_date"] == "2026-06-30"


# --- 2: accepted risks counted apart, expired ones as non-compliant -----------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_accepted_and_expired_risks_are_counted_apart_everywhere(assessment, models, html, lang):
    view = ReportView(assessment, lang)
    accepted, expired = view.risk_rows("accepted"), view.risk_rows("expired")
    assert [(r["account"], r["approver"], r["expires"]) for r in accepted] == [("123456789012", "CISO 山田", "2099-12-31")] * 2
    assert [(r["account"], r["expires"]) for r in expired] == [("345678901234", "2024-01-31")]
    # per item: the expired acceptance stays non-compliant beside 2 accepted risks; the item is partial (medium and low
    # failures beside passes)
    item = block(models[lang], "2.3.4.4-a")
    counts = {c["verdict"]: c["n"] for c in item["counts"]}
    # fail: the expired DNSSEC acceptance, and the demo's three DDoS gaps (a CloudFront web ACL without a rate-based
    # rule, an ALB and a distribution not registered with Shield Advanced) and a VPN connection with a tunnel down
    assert counts["accepted_risk"] == 2 and counts["fail"] == 1 + 3 + 1
    assert item["verdict"] == "partial", "medium and low failures beside the item's passes"
    assert item["expired_notes"] and "2024-01-31" in item["expired_notes"][0]
    # per account and in the summary: the accepted ones never among the failures
    rows = {r["account"]: r for r in models[lang]["accounts"]}
    assert rows["123456789012"]["accepted"] == 2 and rows["345678901234"]["accepted"] == 0
    assert sum(r["fail"] for r in rows.values()) == len(view.failures())
    assert all(f.risk != "accepted" for f in view.failures())
    assert not any(r["risk"] == "accepted" for r in models[lang]["key_findings"])
    dnssec = next(r for r in models[lang]["themes"] + view.themes() if r["check_id"] == "route53_dnssec")
    assert dnssec["n"] == 1 and dnssec["expired"] == 1
    assert models[lang]["posture"][-1] == t("report.summary.risks", lang, accepted=2, expired=1)
    # in the page: the accepted label with approver, approval date, expiry and reason; the expiry of the lapsed one
    page = html[lang]
    note = t(
        "report.risk.accepted", lang, approver="CISO 山田", approved_on="2025-01-10", expires="2099-12-31", reason="移行中のため"
    )
    assert str(escape(note)) in page and t("accepted_risk.label", lang) in page
    assert str(escape(t("report.risk.expired", lang, approver="CISO 山田", expires="2024-01-31", reason="旧サイト"))) in page
    # an exception that covers nothing is listed in the appendix
    assert [e["source"] for e in models[lang]["unused_exceptions"]] == ["exceptions.yaml:17"]
    assert "exceptions.yaml:17" in page


# --- 4: the executive summary -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_summary_groups_risks_into_themes_and_names_accounts(assessment, models, html, lang):
    model, page = models[lang], html[lang]
    view = ReportView(assessment, lang)
    themes = view.themes()
    checks = [r["check_id"] for r in themes]
    assert len(checks) == len(set(checks))  # one row per check
    nacl = next(r for r in themes if r["check_id"] == "nacl_admin_ports")
    failing = {
        (f.account_id, f.region, f.resource)
        for f in assessment.findings
        if f.check_id == "nacl_admin_ports" and f.verdict.value == "fail"
    }
    assert nacl["n"] == len(failing) > 1 and nacl["severity"] == "high"
    ranks = [view_rank(r["severity"]) for r in themes]
    assert ranks == sorted(ranks)
    assert model["themes"] == themes[: doc_mod.THEMES] and (model["themes_more"] != "") == (len(themes) > doc_mod.THEMES)
    # accounts by the params' names, escaped, on the cover, in the tables and under findings
    named = "勘定系&lt;b&gt; (123456789012)"
    assert page.count(named) > 10 and "勘定系<b>" not in page
    assert "情報系 (345678901234)" in page
    assert [r["label"] for r in model["accounts"]][:2] == ["勘定系<b> (123456789012)", "情報系 (345678901234)"]
    assert model["account_chart"].startswith("data:image/svg+xml;base64,")
    # the posture: two or three sentences with the numbers of the results
    assert 2 <= len(model["posture"]) <= 3
    serious = [f for f in view.failures() if f.severity in ("critical", "high")]
    assert str(len(serious)) in model["posture"][0]
    for sentence in model["posture"]:
        assert str(escape(sentence)) in page


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_what_to_fix_first_by_severity_with_owner_and_due_date(models, lang):
    rows = models[lang]["fix_first"]
    assert {r["verdict"] for r in rows} <= {"fail", "partial"}
    ranks = [r["rank"] for r in rows]
    assert ranks == sorted(ranks)
    by_id = {r["id"]: r for r in rows}
    assert by_id["2.3-1"]["owner"] == "インフラ部" and by_id["2.3-1"]["due_date"] == "2026-06-30"
    assert by_id["2.1.1-4"]["owner"] == HOSTILE_OWNER and by_id["2.1.1-4"]["severity"] == ""
    assert by_id["2.3.1-5"]["owner"] == t("report.plan.not_set", lang) and by_id["2.3.1-5"]["severity"] == "critical"


def view_rank(severity: str) -> int:
    from assess_lib.core import severity_rank

    return severity_rank(severity)


# --- 5: the remediation plan sheet --------------------------------------------------------------------------------


def test_remediation_plan_sheet_and_the_matrix_carry_the_sheets_decisions(assessment, tmp_path):
    target = write_workbook(assessment, tmp_path / "findings.xlsx", "ja")
    wb = load_workbook(target)
    assert wb.sheetnames[:3] == [sheet_name("matrix", "ja"), sheet_name("plan", "ja"), sheet_name("findings", "ja")]
    plan = wb[sheet_name("plan", "ja")]
    header = [c.value for c in plan[1]]
    assert header == [
        t(f"report.column.{k}", "ja")
        for k in (
            "item_id",
            "title",
            "verdict",
            "theme",
            "severity",
            "affected",
            "remediation",
            "owner",
            "due_date",
            "accepted_status",
        )
    ]
    rows = [dict(zip(header, r, strict=True)) for r in plan.iter_rows(min_row=2, values_only=True)]
    col = {
        k: t(f"report.column.{k}", "ja")
        for k in ("item_id", "theme", "affected", "owner", "due_date", "accepted_status", "remediation")
    }
    nacl = next(
        r
        for r in rows
        if r[col["item_id"]] == "2.3-1" and r[col["theme"]] == ReportView(assessment, "ja").check("nacl_admin_ports").title
    )
    assert nacl[col["affected"]] == 8 and nacl[col["owner"]] == "インフラ部" and nacl[col["remediation"]]
    dnssec = next(r for r in rows if r[col["item_id"]] == "2.3.4.4-a")
    assert dnssec[col["affected"]] == 1
    assert dnssec[col["accepted_status"]] == "、".join(
        [t("report.plan.accepted", "ja", n=2, expires="2099-12-31"), t("report.plan.expired", "ja", n=1, expires="2024-01-31")]
    )
    by_answer = next(r for r in rows if r[col["item_id"]] == "2.1.1-4")
    assert (
        by_answer[col["owner"]] == HOSTILE_OWNER
        and by_answer[col["due_date"]] == "2026-03-31"
        and by_answer[col["affected"]] == 0
    )
    assert {r[col["item_id"]] for r in rows} >= {r["id"] for r in ReportView(assessment, "ja").fix_first()}
    # the matrix: the customer's status, the assessor's verdict or override, owner and due date; formulas stay text
    matrix = wb[sheet_name("matrix", "ja")]
    head = [c.value for c in matrix[1]]
    at = {k: head.index(t(f"report.column.{k}", "ja")) for k in ("item_id", "customer_status", "assessor_verdict", "owner")}
    items = {r[at["item_id"]].value: r for r in matrix.iter_rows(min_row=2) if r[at["item_id"]].value}
    assert items["2.1.1-3"][at["customer_status"]].value == "実施済"
    assert items["2.3-1"][at["assessor_verdict"]].value.startswith("評価者による判定変更: 不適合 → 一部適合（理由: ")
    hostile = items["2.1.1-6"][at["owner"]]
    assert hostile.data_type == "s" and hostile.value == "'" + HOSTILE_RATIONALE
    # the findings sheet: an accepted risk is not 不適合
    findings = wb[sheet_name("findings", "ja")]
    fhead = [c.value for c in findings[1]]
    verdicts = [
        r[fhead.index(t("report.column.verdict", "ja"))]
        for r in findings.iter_rows(min_row=2, values_only=True)
        if r[fhead.index(t("report.column.check_id", "ja"))] == "route53_dnssec"
    ]
    assert sorted(verdicts) == sorted(["承認済みリスク", "承認済みリスク", "不適合"])


# --- 3: nothing addressed to the consultant ------------------------------------------------------------------------


def test_the_customers_report_tells_the_consultant_nothing(run, html):
    """The demo's report and workbooks (both languages; its PDFs: test_report_truth) and the report with a working
    sheet hold no instruction to the consultant."""
    texts = {name: text_of((run / name).read_text(encoding="utf-8")) for name in ("report.html", "report.en.html")}
    texts.update({f"with sheet ({lang})": text_of(page) for lang, page in html.items()})
    for name in ("findings.xlsx", "findings.en.xlsx"):
        wb = load_workbook(run / name, read_only=True)
        texts[name] = "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v)
    for name, text in texts.items():
        assert len(text) > 10_000, name
        assert not instructions(text), f"{name}: {instructions(text)[:5]}"


def test_the_scan_finds_an_instruction():
    """The scan is not blind: the wording the report used before issue 13 is caught in both languages."""
    assert instructions("判定には、責任者へのヒアリングと文書による確認を要します。")
    assert instructions("顧客への確認事項: 基本方針を提示してください")
    assert instructions("Nothing was attested. Ask the customer: Please show the policy.")
    assert not instructions("ルートユーザーのアクセスキーを削除してください。本項目の判定は未了です。")
