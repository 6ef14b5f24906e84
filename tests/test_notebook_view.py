"""The consultant's notebook view (kit.item, kit.findings / kit.items filters, kit.todo) and risk acceptance in the demo.

Everything reads the session's one demo run (``demo_cli_run``) in-process: no new demo run, no notebook executed.
The working sheet's rows (customer's status, consultant's verdict, documents) are given here as the
:class:`ItemJudgment` objects its reader produces, then rolled up by the real ``item_results``: the demo run
carries no working sheet of its own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from assess_lib.attestations.exceptions import load_exceptions
from assess_lib.catalog.checklist import checklist
from assess_lib.checks import answers, registry
from assess_lib.core.acceptance import accept_risks
from assess_lib.core.model import Assessment, ItemJudgment
from assess_lib.core.rollup import item_results
from assess_lib.core.text import t
from assess_lib.notebook import FilterError, Walkthrough, open_assessment
from assess_lib.params import ParamsError
from assess_lib.results import read_results

ROOT = Path(__file__).resolve().parents[1]
DEMO_EXCEPTIONS = ROOT / "assess_lib" / "demo" / "exceptions.yaml"
HOSTILE = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def written(demo_cli_run):
    return read_results(demo_cli_run)


@pytest.fixture(scope="module")
def kit(written):
    return Walkthrough(written, "ja")


@pytest.fixture(scope="module")
def sheet_kit(written):
    """The demo's results with a filled working sheet: an answer, a consultant's verdict against the evidence, and
    hostile strings in every free cell."""
    judgments = {
        "2.6-8": ItemJudgment(
            "2.6-8",
            status="implemented",
            notes=HOSTILE,
            owner="購買部 <img src=x onerror=alert(1)>",
            due_date="2027-03-31",
            documents=({"title": f"委託契約書ひな形 {HOSTILE}", "location": '=HYPERLINK("http://x")', "approver": "法務部"},),
            source="2.6!N12",
        ),
        "2.3.1-5": ItemJudgment(
            "2.3.1-5", verdict="pass", rationale=f"代替統制で十分 {HOSTILE}", owner="情報システム部", source="2.3.1!P7"
        ),
    }
    datasets = {check_id: spec.datasets for check_id, spec in registry().items()}
    items = item_results(written.catalog, written.findings, datasets, judgments)
    assessment = Assessment(written.bundle, written.findings, items, written.catalog, judgments=judgments)
    return Walkthrough(assessment, "ja")


def test_item_shows_answer_judgment_override_documents_and_points_escaped(sheet_kit):
    card = sheet_kit.item("2.6-8")
    html, text = card._repr_html_(), repr(card)
    assert "実施済" in html and "実施済" in text  # the customer's status
    assert "購買部" in text and "2027-03-31" in text  # owner and due date
    assert "委託契約書ひな形" in html and "法務部" in html  # the documents
    for point in ("監査権限", "再委託手続", "契約終了の条件及び契約終了時の取決め"):  # 2.6 (8)'s contract clauses
        assert point in html and point in text
    assert t("basis.answer.label", "ja") in text
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert "<table" not in text and "<h" not in text and HOSTILE in text  # text, not markup

    card = sheet_kit.item("2.3.1-5")  # fails by evidence; the consultant says compliant
    html, text = card.html, str(card)
    assert "上書き" in text and "不適合 → 適合" in text and "代替統制で十分" in text
    assert "<script" not in html and "代替統制で十分 &lt;script&gt;" in html
    assert re.search(r"自動チェックの判定: 不適合", text) and re.search(r"^判定: 適合$", text, re.MULTILINE)
    assert t("basis.judgment.label", "ja") in text
    # the item's own view follows: its findings are still there (the override hides no evidence)
    assert "iam_root_mfa" in html or "ルートユーザー" in html


def test_item_without_sheet_says_not_given_and_unknown_item_is_named(kit):
    text = str(kit.item("2.6-9"))  # an item the demo's working sheet leaves empty
    assert "お客様の回答（実施状況）: 未記入" in text and "評価者の判定: 未記入" in text
    assert "登録された文書はありません" in text
    attested = str(kit.item("2.1.1-1"))  # the attestation file's documents when no sheet lists them
    assert "サイバーセキュリティ基本方針" in attested and "取締役会" in attested
    with pytest.raises(ValueError, match=r"'2\.6-99' is not an item.*2\.6-9"):
        kit.item("2.6-99")


def test_findings_filter_by_account_name_or_id_verdict_severity_and_basis(kit, written):
    by_name = kit.findings(account="勘定系", verdict="fail", severity="high", basis="evidence")
    by_id = kit.findings(account="123456789012", verdict="不適合", severity="高", basis="証跡")
    assert len(by_name) > 0 and by_name.equals(by_id)
    assert set(by_name["アカウント"]) == {"123456789012"} and set(by_name["アカウント名"]) == {"勘定系"}
    assert set(by_name["判定"]) == {"不適合"} and set(by_name["重要度"]) == {"高"}
    expected = [
        f for f in written.findings if f.account_id == "123456789012" and f.verdict.value == "fail" and f.severity == "high"
    ]
    assert len(by_name) == len(expected)
    other = kit.findings(account=["情報系"], verdict="Non-compliant")  # a list, an English word
    assert len(other) and set(other["アカウント"]) == {"345678901234"}
    answered = kit.findings(basis="answer")
    org = [f for f in written.findings if f.account_id == "org"]
    assert org and (answered["アカウント"] == "org").sum() == len(org)
    assert not (kit.findings(basis="evidence")["アカウント"] == "org").any()
    assert kit.findings("2.3.1-5", verdict="fail").shape[0] == sum(
        1 for f in written.findings if f.control_id == "2.3.1-5" and f.verdict.value == "fail"
    )


def test_filters_name_a_bad_value_and_the_allowed_ones(kit):
    with pytest.raises(ValueError) as bad:
        kit.findings(verdict="合格")
    assert "verdict='合格'" in str(bad.value) and "fail (不適合 / Non-compliant)" in str(bad.value)
    with pytest.raises(FilterError) as bad:
        kit.findings(account="基幹系")
    assert "account='基幹系'" in str(bad.value) and "123456789012 (勘定系)" in str(bad.value)
    with pytest.raises(ValueError, match=r"severity='urgent'.*critical \(緊急 / Critical\)"):
        kit.findings(severity="urgent")
    with pytest.raises(ValueError, match=r"basis='hearing'.*answer"):
        kit.items(basis="hearing")
    with pytest.raises(ValueError, match=r"section='2\.7'.*Sections: 2\.1\.1"):
        kit.items(section="2.7")
    # shown as the message alone in a notebook
    assert FilterError("x")._render_traceback_() == ["FilterError: x"]


def test_items_filter_by_verdict_basis_and_section(kit, written, demo_cli_run):
    manual = kit.items(verdict="manual", section="2.6")
    expected = [r.control_id for r in written.items if r.verdict == "manual" and r.section == "2.6"]
    assert list(manual["項目ID"]) == expected and expected
    answered = kit.items(basis="answer")
    assert "2.1.1-1" in set(answered["項目ID"]) and "2.3.1-5" not in set(answered["項目ID"])
    english = open_assessment(demo_cli_run, "en").items(verdict="要確認", section="2.6")
    assert list(english["Item"]) == expected and set(english["Verdict"]) == {"Needs review"}
    assert kit.items(verdict="manual", basis="answer").empty  # an undecided item has no basis


def test_todo_lists_every_undecided_item_with_its_points(kit, written):
    todo = kit.todo()
    manual = [r.control_id for r in written.items if r.verdict == "manual"]
    frame = todo.frame
    assert list(dict.fromkeys(frame["項目ID"])) == manual
    for control_id in ("2.6-7", "2.1.2-2"):  # items the demo's working sheet leaves open
        control = written.catalog.get(control_id)
        assert list(frame.loc[frame["項目ID"] == control_id, "確認事項"]) == [p.text for p in checklist(control, "ja")]
    assert t("consultant.todo.intro", "ja", n=len(manual)) in todo.html
    assert todo.html.index(f"<h4>{manual[0]} ") < todo.html.index("<h4>2.6-7 ")  # guideline order, grouped by section
    due_diligence = "過去のインシデントの発生状況"  # a sub-bullet of 2.6-7, the due diligence before contracting
    assert "<h3>2.6 " in todo.html and due_diligence in todo.html and due_diligence in str(todo)
    assert set(kit.todo("2.6").frame["項目ID"]) == {c for c in manual if c.startswith("2.6-")}


def test_summary_notebook_has_the_todo_cell_and_the_report_no_question(demo_cli_run):
    cells = json.loads((ROOT / "assess_lib" / "notebooks" / "00_summary.ipynb").read_text(encoding="utf-8"))["cells"]
    assert any("".join(c["source"]) == "kit.todo()" for c in cells if c["cell_type"] == "code")
    report = (demo_cli_run / "report.html").read_text(encoding="utf-8")
    for key in ("consultant.todo.heading", "consultant.points"):
        assert t(key, "ja") not in report


def test_exceptions_example_validates():
    rows, content = load_exceptions(ROOT / "params" / "exceptions.example.yaml", dt.date(2026, 11, 30))
    assert len(rows) == 2 and content.startswith(b"# Approved exceptions")
    assert all(r["approver"] and r["expires"] and r["approved_on"] for r in rows)


def test_demo_accepts_one_risk_and_one_acceptance_has_expired(written, demo_cli_run):
    accepted = [f for f in written.findings if f.accepted_risk]
    # the demo's exceptions file (WAF sandbox in force, DNSSEC expired) and its working sheet's accepted-risks sheet
    # (Route 53 query logs in force, security group egress expired: the four security groups of Tokyo it covers)
    assert sorted((f.check_id, f.accepted_risk["status"]) for f in accepted) == [
        ("route53_dnssec", "expired"),
        ("route53_query_logging", "active"),
        *[("sg_egress_unrestricted", "expired")] * 4,
        ("waf_internet_endpoints", "active"),
    ]
    active = next(f for f in accepted if f.accepted and f.check_id == "waf_internet_endpoints")
    assert active.resource == "demo-bank-open-api/sandbox" and active.accepted_risk["expires"] == "2099-03-31"
    expired = next(f for f in accepted if not f.accepted and f.check_id == "route53_dnssec")
    assert expired.resource.startswith("demo-bank-news.example.jp (") and expired.verdict.value == "fail"
    assert written.item("2.3-1").finding_counts["accepted_risk"] == 1
    # the same decided again from the bundle at its collection date
    bundle = written.bundle
    on = answers.collection_date(bundle)
    plain = [dataclasses.replace(f, accepted_risk=None) for f in written.findings]
    again = accept_risks(plain, answers.exceptions(bundle), on)
    assert [f.accepted_risk for f in again] == [f.accepted_risk for f in written.findings]
    # the consultant sees it: the card and the filter
    kit = Walkthrough(written, "ja")
    text = str(kit.item("2.3-1"))
    assert "承認済みリスク: 承認者 最高情報セキュリティ責任者（CISO） 佐藤 一郎" in text and "2099-03-31" in text
    waf = kit.findings(account="勘定系", verdict="fail")
    assert waf.loc[waf["リソース"] == "demo-bank-open-api/sandbox", "承認済みリスク"].str.startswith("承認済みリスク:").all()
    news = kit.findings(account="情報系", verdict="fail")
    assert news.loc[news["リソース"] == expired.resource, "承認済みリスク"].str.startswith("承認済みリスク（期限切れ）").all()
    manifest = json.loads((demo_cli_run / "evidence" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["params"]["aws"]["account_names"] == {"123456789012": "勘定系", "345678901234": "情報系"}


@pytest.mark.parametrize(("field", "line"), [("approver", 10), ("expires", 18)])
def test_an_exception_without_approver_or_expiry_names_its_line(tmp_path, field, line):
    lines = DEMO_EXCEPTIONS.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i in range(line - 1, len(lines)) if lines[i].strip().startswith(f"{field}:"))
    del lines[start]
    broken = tmp_path / "exceptions.yaml"
    broken.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ParamsError) as error:
        load_exceptions(broken, dt.date(2026, 11, 30))
    assert f"line {line}:" in str(error.value) and f"'{field}' is missing" in str(error.value)
