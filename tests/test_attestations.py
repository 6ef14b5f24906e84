"""Attestations: loading and validation, the bundle datasets, the 2.1 checks, the Excel questionnaire, the CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from openpyxl import load_workbook

from assess_lib.attestations import (
    ANSWERS_DATASET,
    DOCUMENTS_DATASET,
    FILE_DATASET,
    ORG_ACCOUNT,
    collect_attestations,
    load_attestations,
)
from assess_lib.attestations.xlsx import read_questionnaire
from assess_lib.checks.answers import add_months, attested
from assess_lib.report.questionnaire import (
    ANSWER_SHEET,
    COL,
    GUIDE_SHEET,
    INFO_SHEET,
    write_questionnaire,
)
from assess_lib.checks import registry, required_actions
from assess_lib.checks import runner
from assess_lib.checks.context import CheckContext
from assess_lib.evidence import GLOBAL, Bundle, EvidenceStore
from assess_lib.params import ParamsError, Params, load_params
from assess_lib.pipeline import evaluate
from assess_lib.thresholds import DEFAULT_THRESHOLDS

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "params" / "attestations.example.yaml"
STARTED = "2025-07-01T01:00:00+00:00"  # the assessment (collection) time: 2025-07-01 in Japan
TODAY = dt.date(2025, 7, 1)

ALL_REGULATION_TOPICS = """\
        - information_asset_management
        - risk_assessment
        - vulnerability_management
        - vulnerability_assessment_pentest
        - exercises_drills
        - authentication_access_management
        - education_training
        - data_management
        - log_management
        - security_by_design
        - technical_measures
        - incident_response_recovery
        - third_party_risk_management
"""

GOOD = f"""\
version: 1
organisation: テスト銀行
prepared_by: 情報セキュリティ室
prepared_on: 2025-06-30
items:
  "2.1.1-1":
    documents:
      - title: サイバーセキュリティ基本方針
        approver: 取締役会
        approval_date: 2024-04-01
        location: https://example.jp/policy
    answers:
      policy_exists: true
      policy_topics: [objectives_direction, stakeholder_legal_requirements, management_commitment]
  "2.1.1-2":
    answers:
      framework_last_review_date: 2025-01-10
      review_body: 取締役会
  "2.1.2-1":
    documents:
      - title: 情報セキュリティスタンダード
        approver: 代表取締役
        approval_date: 2022-10-01
        last_review_date: 2025-04-01
    answers:
      regulation_topics:
{ALL_REGULATION_TOPICS}"""


def write(tmp_path: Path, text: str, name: str = "attestations.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def collect_bundle(tmp_path: Path, attestation: Path | None, started_at: str = STARTED) -> Bundle:
    """The real collection step for attestations, saved and loaded as a bundle (offline from here on)."""
    params = Params(customer="テスト銀行", attestations=attestation)
    store = EvidenceStore(run_id="att-test", started_at=started_at)
    meta = collect_attestations(params, store)
    store.meta = {"accounts": [], "regions": {}, "domains": [], **meta}
    run = tmp_path / "run"
    store.save(run, started_at)
    return Bundle.load(run)


def run_org(check_id: str, bundle: Bundle):
    """Findings of one organisation-scope check (through the runner, as the pipeline runs it)."""
    return runner.run_check(registry()[check_id], bundle, ORG_ACCOUNT, dict(DEFAULT_THRESHOLDS))


def only(findings):
    first = findings[0].control_id
    mine = [f for f in findings if f.control_id == first]
    assert len(mine) == 1, mine
    return mine[0]


def check_on(tmp_path: Path, check_id: str, text: str | None):
    path = write(tmp_path, text) if text is not None else None
    return only(run_org(check_id, collect_bundle(tmp_path, path)))


# --- loading -----------------------------------------------------------------------------------


def test_example_file_loads_and_demo_params_point_at_it():
    data = load_attestations(EXAMPLE, TODAY)
    assert data["organisation"] == "デモ銀行"
    assert {"2.1.1-1", "2.1.1-2", "2.1.2-1", "2.3-1", "2.3.1-2", "2.3.1-8"} <= set(data["items"])
    topics = data["items"]["2.1.2-1"]["answers"]["regulation_topics"]
    assert "security_by_design" not in topics and "third_party_risk_management" not in topics
    assert "technical_measures" in topics  # Japanese labels are normalised to topic ids
    from assess_lib.demo import DEMO_PARAMS

    params = load_params(DEMO_PARAMS)  # the demo's copy of the example, shipped in the package
    assert params.attestations is not None and params.attestations.read_bytes() == EXAMPLE.read_bytes()


def test_collection_stores_datasets_under_org_and_manifest_names_file(tmp_path):
    path = write(tmp_path, GOOD)
    bundle = collect_bundle(tmp_path, path)
    assert bundle.manifest["attestations"]["file"] == "attestations.yaml"
    assert len(bundle.manifest["attestations"]["sha256"]) == 64
    file_row = bundle.rows(FILE_DATASET, ORG_ACCOUNT, GLOBAL)[0]
    assert file_row["sha256"] == bundle.manifest["attestations"]["sha256"] and file_row["format"] == "yaml"
    docs = bundle.rows(DOCUMENTS_DATASET, ORG_ACCOUNT, GLOBAL)
    assert {"control_id": "2.1.1-1", "title": "サイバーセキュリティ基本方針", "approver": "取締役会"}.items() <= docs[0].items()
    answers = {(r["control_id"], r["question_id"]): r["answer"] for r in bundle.rows(ANSWERS_DATASET, ORG_ACCOUNT, GLOBAL)}
    assert answers[("2.1.1-2", "framework_last_review_date")] == "2025-01-10"
    # Evaluation needs no file: delete it and re-evaluate the saved bundle.
    path.unlink()
    assert only(run_org("attest_basic_policy", Bundle.load(tmp_path / "run"))).verdict.value == "pass"


@pytest.mark.parametrize("kind", ["yaml", "xlsx"])
def test_the_customers_file_is_kept_byte_for_byte_and_verified(tmp_path, kind):
    """The manifest named the file's SHA-256 but the bundle held only rows parsed from it."""
    if kind == "yaml":
        path = write(tmp_path, GOOD, "回答 2026.yaml")  # the customer's own name, kept as it is
    else:
        path = write_questionnaire(tmp_path / "questionnaire.xlsx", "ja", load_attestations(EXAMPLE, TODAY))
    original = path.read_bytes()
    bundle = collect_bundle(tmp_path, path)
    kept = bundle.path / "attestations" / path.name
    assert kept.read_bytes() == original
    listed = bundle.manifest["files"]
    assert listed == [
        {"file": f"attestations/{path.name}", "sha256": hashlib.sha256(original).hexdigest(), "size": len(original)}
    ]
    assert bundle.manifest["attestations"]["sha256"] == listed[0]["sha256"]
    assert bundle.manifest["attestations"]["kept_as"] == listed[0]["file"]
    assert bundle.verify() == []
    path.unlink()  # the bundle does not need the original any more
    kept.write_bytes(original.replace(b"2025" if kind == "yaml" else original[-8:], b"2024" if kind == "yaml" else b"\0" * 8))
    assert Bundle.load(tmp_path / "run").verify() == [f"changed: attestations/{path.name}"]
    kept.unlink()
    assert Bundle.load(tmp_path / "run").verify() == [f"missing: attestations/{path.name}"]


def test_verify_on_the_command_line_checks_the_kept_file(tmp_path):
    bundle = collect_bundle(tmp_path, write(tmp_path, GOOD))
    verify = [sys.executable, "-m", "assess_lib", "verify", "--bundle", "run"]
    result = subprocess.run(verify, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0 and "all 4 files match" in result.stdout, result.stdout + result.stderr
    kept = bundle.path / "attestations" / "attestations.yaml"
    kept.write_bytes(kept.read_bytes() + b"\n")
    result = subprocess.run(verify, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1 and "changed: attestations/attestations.yaml" in result.stdout


def test_no_attestation_file_records_nothing(tmp_path):
    bundle = collect_bundle(tmp_path, None)
    assert bundle.manifest["attestations"] is None
    assert [e for e in bundle.entries() if e["account_id"] == ORG_ACCOUNT] == []


@pytest.mark.parametrize(
    "text, fragments",
    [
        ('items:\n  "2.1.1-1": [unclosed\n', ["attestations.yaml", "line", "malformed YAML"]),
        ('items:\n  "9.9-1":\n    notes: x\n', ["attestations.yaml", "item '9.9-1'", "unknown item ID", "Fix:"]),
        (
            'items:\n  "2.1.1-1":\n    documents:\n      - title: 方針\n        approval_date: 2025-13-01\n',
            ["item '2.1.1-1'", "field 'documents[1].approval_date'", "'2025-13-01' is not a valid date", "YYYY-MM-DD"],
        ),
        (
            'items:\n  "2.1.1-1":\n    documents:\n      - title: 方針\n        approval_date: 2025/04/01\n',
            ["documents[1].approval_date", "not a valid date"],
        ),
        (
            'items:\n  "2.1.1-1":\n    documents:\n      - title: 方針\n        approval_date: 2030-01-01\n',
            ["item '2.1.1-1'", "documents[1].approval_date", "approval date in the future", "2025-07-01"],
        ),
        (
            'items:\n  "2.1.1-2":\n    answers:\n      framework_last_review_date: 2031-04-01\n',
            ["answers.framework_last_review_date", "in the future"],
        ),
        (
            'items:\n  "2.1.1-1":\n    answers:\n      colour: blue\n',
            ["item '2.1.1-1'", "answers.colour", "unknown question", "policy_topics"],
        ),
        (
            'items:\n  "2.1.2-1":\n    answers:\n      regulation_topics: [宇宙開発]\n',
            ["regulation_topics", "'宇宙開発'", "security_by_design"],
        ),
        ('items:\n  "2.1.1-1":\n    answers:\n      policy_exists: maybe\n', ["policy_exists", "not yes or no"]),
        ('items:\n  "2.1.1-1":\n    documents:\n      - approver: 取締役会\n', ["documents[1].title", "missing"]),
        ('items:\n  "2.1.1-1":\n    documnets: []\n', ["item '2.1.1-1'", "'documnets'", "unknown key"]),
        ("customer: x\n", ["field 'customer'", "unknown key"]),
    ],
)
def test_bad_attestation_file_is_a_params_error_naming_file_item_and_field(tmp_path, text, fragments):
    path = write(tmp_path, text)
    with pytest.raises(ParamsError) as caught:
        load_attestations(path, TODAY)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "Fix:" in message


def test_bad_file_stops_collection_and_cli_prints_no_traceback(tmp_path):
    write(tmp_path, 'items:\n  "2.1.1-1":\n    documents:\n      - title: 方針\n        approval_date: 2025-02-30\n')
    params = tmp_path / "params.yaml"
    params.write_text(
        "customer: テスト銀行\nattestations: attestations.yaml\naws: {endpoint_url: 'http://127.0.0.1:9'}\n", encoding="utf-8"
    )
    with pytest.raises(ParamsError):
        collect_attestations(load_params(params), EvidenceStore(run_id="x", started_at=STARTED))
    result = subprocess.run(
        [sys.executable, "-m", "assess_lib", "run", "--params", str(params), "--out", str(tmp_path / "out"), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "documents[1].approval_date" in result.stderr


def test_other_extensions_are_rejected(tmp_path):
    path = write(tmp_path, GOOD, "attestations.txt")
    with pytest.raises(ParamsError, match=r"\.yaml/\.yml.*\.xlsx"):
        load_attestations(path, TODAY)


def test_add_months_clamps_to_month_end():
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 5, 24), 12) == dt.date(2025, 5, 24)
    assert add_months(dt.date(2024, 8, 31), 6) == dt.date(2025, 2, 28)


# --- 2.1.1-1 basic policy ----------------------------------------------------------------------


def policy(approver: str, topics: str = "[objectives_direction, stakeholder_legal_requirements, management_commitment]") -> str:
    return f"""\
items:
  "2.1.1-1":
    documents:
      - title: 情報セキュリティポリシー
        approver: {approver}
        approval_date: 2024-04-01
    answers:
      policy_topics: {topics}
"""


@pytest.mark.parametrize("approver", ["取締役会", "代表取締役社長", "Board of Directors", "理事会"])
def test_basic_policy_passes_when_board_or_representative_director_approved(tmp_path, approver):
    finding = check_on(tmp_path, "attest_basic_policy", policy(approver))
    assert finding.verdict.value == "pass", finding.message_en
    assert finding.resource == "情報セキュリティポリシー" and finding.control_id == "2.1.1-1"


@pytest.mark.parametrize("approver", ["最高情報セキュリティ責任者（CISO）", "取締役会長", "情報セキュリティ委員会"])
def test_basic_policy_fails_naming_another_approver(tmp_path, approver):
    finding = check_on(tmp_path, "attest_basic_policy", policy(approver))
    assert finding.verdict.value == "fail"
    assert approver in finding.message_ja and approver in finding.message_en
    assert "取締役会または代表取締役" in finding.message_ja and finding.severity == "high"


def test_basic_policy_fails_naming_the_missing_topic(tmp_path):
    finding = check_on(
        tmp_path, "attest_basic_policy", policy("取締役会", "[セキュリティ対策の目的や方向性, stakeholder_legal_requirements]")
    )
    assert finding.verdict.value == "fail"
    assert "経営陣によるコミットメント" in finding.message_ja
    assert "Commitment from senior management" in finding.message_en
    assert "目的や方向性" not in finding.message_ja


def test_basic_policy_fails_when_customer_says_there_is_none(tmp_path):
    text = 'items:\n  "2.1.1-1":\n    answers:\n      policy_exists: false\n'
    assert check_on(tmp_path, "attest_basic_policy", text).verdict.value == "fail"


def test_basic_policy_without_approver_is_manual(tmp_path):
    text = policy("null")
    finding = check_on(tmp_path, "attest_basic_policy", text)
    assert finding.verdict.value == "manual"
    assert "承認者が記載されていません" in finding.message_ja


@pytest.mark.parametrize("text", [None, 'items:\n  "2.3.1-8":\n    answers:\n      onprem_computer_rooms: false\n'])
@pytest.mark.parametrize(
    "check_id, control_id, ask",
    [
        ("attest_basic_policy", "2.1.1-1", "基本方針"),
        ("attest_framework_review", "2.1.1-2", "レビュー"),
        ("attest_regulations", "2.1.2-1", "セキュリティ・バイ・デザイン"),
    ],
)
def test_nothing_attested_is_manual_stated_as_a_fact_without_the_question(tmp_path, text, check_id, control_id, ask):
    """The finding states that the item is undecided; the question stays the consultant's (issue 13)."""
    finding = check_on(tmp_path, check_id, text)
    assert finding.verdict.value == "manual" and finding.control_id == control_id
    assert "判定は未了です" in finding.message_ja and "Not yet decided" in finding.message_en
    assert ask not in finding.message_ja and "確認事項" not in finding.message_ja and "Ask the customer" not in finding.message_en
    assert "question_ja" not in finding.details and "question_en" not in finding.details


# --- 2.1.1-2 framework review ------------------------------------------------------------------


def review(date_line: str) -> str:
    return f'items:\n  "2.1.1-2":\n    answers:\n      review_body: 取締役会\n{date_line}'


def test_framework_review_within_12_months_passes(tmp_path):
    finding = check_on(tmp_path, "attest_framework_review", review("      framework_last_review_date: 2024-07-01\n"))
    assert finding.verdict.value == "pass"  # due 2025-07-01 = the assessment date
    assert finding.details["due_date"] == "2025-07-01"


def test_framework_review_overdue_fails_with_the_due_date(tmp_path):
    finding = check_on(tmp_path, "attest_framework_review", review("      framework_last_review_date: 2024-05-24\n"))
    assert finding.verdict.value == "fail"
    assert "2025-05-24" in finding.message_ja and "2025-05-24" in finding.message_en
    assert "38" in finding.message_en  # days overdue at 2025-07-01
    assert finding.details["last_review_date"] == "2024-05-24"


def test_framework_review_falls_back_to_the_latest_document_date(tmp_path):
    text = 'items:\n  "2.1.1-2":\n    documents:\n      - title: 取締役会議事録\n        approval_date: 2023-06-01\n        last_review_date: 2025-02-01\n'
    finding = check_on(tmp_path, "attest_framework_review", text)
    assert finding.verdict.value == "pass" and finding.details["document"] == "取締役会議事録"


def test_framework_review_without_a_date_is_manual(tmp_path):
    finding = check_on(tmp_path, "attest_framework_review", review(""))
    assert finding.verdict.value == "manual"
    assert "レビュー日が記載されていません" in finding.message_ja


def test_review_is_judged_at_collection_time_not_today(tmp_path):
    """A bundle re-evaluated years later gives the same verdict (ctx.now = collection time)."""
    path = write(tmp_path, review("      framework_last_review_date: 2024-12-01\n"))
    bundle = collect_bundle(tmp_path, path)
    assert only(run_org("attest_framework_review", bundle)).verdict.value == "pass"


# --- 2.1.2-1 regulations -----------------------------------------------------------------------


def regulations(topics: str = ALL_REGULATION_TOPICS, review_date: str = "2025-04-01") -> str:
    return f"""\
items:
  "2.1.2-1":
    documents:
      - title: 情報セキュリティスタンダード
        approver: 代表取締役
        approval_date: 2021-10-01
        last_review_date: {review_date}
    answers:
      regulation_topics:
{topics}"""


def test_regulations_pass_when_reviewed_and_covering_all_13_topics(tmp_path):
    finding = check_on(tmp_path, "attest_regulations", regulations())
    assert finding.verdict.value == "pass", finding.message_en
    assert "13" in finding.message_ja


def test_regulations_fail_naming_missing_topics(tmp_path):
    topics = "".join(
        line + "\n"
        for line in ALL_REGULATION_TOPICS.splitlines()
        if "security_by_design" not in line and "third_party" not in line
    )
    finding = check_on(tmp_path, "attest_regulations", regulations(topics))
    assert finding.verdict.value == "fail"
    assert "セキュリティ・バイ・デザイン" in finding.message_ja and "サードパーティリスク管理" in finding.message_ja
    assert "Security by design" in finding.message_en and "Third-party risk management" in finding.message_en
    assert "ログ管理" not in finding.message_ja
    assert finding.details["missing_topics"] == ["security_by_design", "third_party_risk_management"]


def test_regulations_fail_naming_the_overdue_document_and_due_date(tmp_path):
    finding = check_on(tmp_path, "attest_regulations", regulations(review_date="2024-03-31"))
    assert finding.verdict.value == "fail"
    assert "情報セキュリティスタンダード" in finding.message_ja and "2025-03-31" in finding.message_ja


def test_regulations_without_topics_answer_are_manual(tmp_path):
    text = 'items:\n  "2.1.2-1":\n    documents:\n      - title: 規程集\n        last_review_date: 2025-05-01\n'
    finding = check_on(tmp_path, "attest_regulations", text)
    assert finding.verdict.value == "manual"
    assert "13事項" in finding.message_ja


# --- evaluation and the generic helper ---------------------------------------------------------


def test_pipeline_evaluate_on_the_example(tmp_path):
    assessment = evaluate(collect_bundle(tmp_path, EXAMPLE))
    controls = {c.control_id: c.to_dict() for c in assessment.items}
    assert controls["2.1.1-1"]["automated_verdict"] == "pass"
    assert controls["2.1.1-1"]["verdict"] == "pass"  # auto: the attestation check decides the item
    assert controls["2.1.1-2"]["verdict"] == "fail"
    assert controls["2.1.2-1"]["verdict"] == "fail"
    findings = [f for f in assessment.findings if f.control_id == "2.1.2-1"]
    assert "サードパーティリスク管理" in findings[0].message_ja
    assert all(f.account_id == ORG_ACCOUNT for f in assessment.findings if f.control_id.startswith("2.1"))


def test_pipeline_evaluate_without_attestations_gives_manual_never_pass_or_fail(tmp_path):
    assessment = evaluate(collect_bundle(tmp_path, None))
    for control_id in ("2.1.1-1", "2.1.1-2", "2.1.2-1"):
        row = assessment.item(control_id).to_dict()
        assert row["verdict"] == "manual" and row["automated_verdict"] == "manual"


def test_attested_helper_serves_other_items_from_the_bundle(tmp_path):
    bundle = collect_bundle(tmp_path, EXAMPLE)
    ctx = CheckContext("any", bundle, "123456789012", dict(DEFAULT_THRESHOLDS), dt.datetime(2025, 7, 1, tzinfo=dt.UTC))
    item = attested(ctx, "2.3-1")
    assert item.answer("host_ips_edr_product") == "Trend Micro Cloud One Workload Security"
    assert item.answer("egress_proxy") is True and item.answer("host_ips_edr_coverage") == "critical"
    assert attested(ctx, "2.3.1-2").answer("individual_accounts") is False
    assert attested(ctx, "2.3.1-8").answer("onprem_computer_rooms") is True
    assert attested(ctx, "2.1.1-2").answer("framework_last_review_date") == dt.date(2024, 5, 24)
    assert attested(ctx, "2.2.1-1") is None


def test_attestation_datasets_never_enter_the_iam_policy():
    assert not [a for a in required_actions() if "attestation" in a]


# --- Excel questionnaire -----------------------------------------------------------------------


def rows_by_key(ws):
    """(item, kind, question id) -> row number, for filling the sheet like a customer would."""
    out = {}
    for row in range(2, ws.max_row + 1):
        key = (
            ws.cell(row, COL["control_id"]).value,
            ws.cell(row, COL["kind"]).value.split(" / ")[0],
            str(ws.cell(row, COL["question_id"]).value),
        )
        out[key] = row
    return out


def test_questionnaire_layout(tmp_path):
    path = write_questionnaire(tmp_path / "q.xlsx", "ja")
    wb = load_workbook(path)
    assert wb.sheetnames == [GUIDE_SHEET, INFO_SHEET, ANSWER_SHEET]
    ws = wb[ANSWER_SHEET]
    assert ws.freeze_panes == "A2"
    assert [ws.cell(1, c).value for c in range(1, 12)][5:] == ["回答", "文書名", "承認者", "承認日", "最終見直し日", "保管場所"]
    ids = {ws.cell(r, 1).value for r in range(2, ws.max_row + 1)}
    assert {"2.1.1-1", "2.1.1-2", "2.1.2-1", "2.3-1", "2.3.1-2", "2.3.1-8", "2.3.4.5-2"} == ids
    guide = "\n".join(str(c.value) for c in wb[GUIDE_SHEET]["A"] if c.value)
    assert "記入してください" in guide and "Do not use formulas" not in guide
    en = load_workbook(write_questionnaire(tmp_path / "q_en.xlsx", "en"))
    guide_en = "\n".join(str(c.value) for c in en[GUIDE_SHEET]["A"] if c.value)
    assert "記入してください" in guide_en and "Do not use formulas" in guide_en
    assert "Answer" in en[ANSWER_SHEET].cell(1, COL["answer"]).value


def test_questionnaire_filled_with_openpyxl_reads_back_as_the_yaml(tmp_path):
    path = write_questionnaire(tmp_path / "q.xlsx", "ja")
    wb = load_workbook(path)
    ws = wb[ANSWER_SHEET]
    rows = rows_by_key(ws)
    info = wb[INFO_SHEET]
    info["C2"], info["C3"], info["C4"] = "テスト銀行", "情報セキュリティ室", dt.datetime(2025, 6, 30)
    ws.cell(rows[("2.1.1-1", "質問", "policy_exists")], COL["answer"]).value = "はい"
    ws.cell(rows[("2.1.1-1", "質問", "policy_topics")], COL["answer"]).value = "1、2、3"
    doc = rows[("2.1.1-1", "文書", "1")]
    for key, value in {
        "title": "サイバーセキュリティ基本方針",
        "approver": "取締役会",
        "approval_date": dt.datetime(2024, 4, 1),
        "location": "https://example.jp/policy",
    }.items():
        ws.cell(doc, COL[key]).value = value
    ws.cell(rows[("2.1.1-2", "質問", "framework_last_review_date")], COL["answer"]).value = "2025-01-10"
    ws.cell(rows[("2.1.1-2", "質問", "review_body")], COL["answer"]).value = "取締役会"
    doc = rows[("2.1.2-1", "文書", "1")]
    for key, value in {
        "title": "情報セキュリティスタンダード",
        "approver": "代表取締役",
        "approval_date": dt.datetime(2022, 10, 1),
        "last_review_date": dt.datetime(2025, 4, 1),
    }.items():
        ws.cell(doc, COL[key]).value = value
    ws.cell(rows[("2.1.2-1", "質問", "regulation_topics")], COL["answer"]).value = "、".join(str(n) for n in range(1, 14))
    wb.save(path)
    from_xlsx = load_attestations(path, TODAY)
    from_yaml = load_attestations(write(tmp_path, GOOD), TODAY)
    assert from_xlsx == from_yaml
    # and the bundle, hence the verdicts, are the same
    assert only(run_org("attest_basic_policy", collect_bundle(tmp_path / "x", path))).verdict.value == "pass"


def test_questionnaire_prefilled_from_the_example_round_trips(tmp_path):
    data = load_attestations(EXAMPLE, TODAY)
    for language in ("ja", "en"):
        path = write_questionnaire(tmp_path / f"q_{language}.xlsx", language, data)
        assert load_attestations(path, TODAY) == data


def test_questionnaire_formulas_are_neither_written_nor_evaluated(tmp_path):
    data = load_attestations(
        write(tmp_path, 'items:\n  "2.3-1":\n    answers:\n      internal_network_monitoring: "=cmd|\' /C calc\'!A0"\n'), TODAY
    )
    path = write_questionnaire(tmp_path / "q.xlsx", "ja", data)
    wb = load_workbook(path)
    assert not [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert load_attestations(path, TODAY)["items"]["2.3-1"]["answers"]["internal_network_monitoring"] == "=cmd|' /C calc'!A0"
    # A formula typed by the customer is read as its text, not evaluated.
    ws = wb[ANSWER_SHEET]
    rows = rows_by_key(ws)
    ws.cell(rows[("2.3-1", "質問", "host_ips_edr_product")], COL["answer"]).value = '=HYPERLINK("http://x","EDR")'
    wb.save(path)
    raw, _ = read_questionnaire(path)
    assert raw["items"]["2.3-1"]["answers"]["host_ips_edr_product"] == '=HYPERLINK("http://x","EDR")'


def test_questionnaire_errors_name_the_cell(tmp_path):
    path = write_questionnaire(tmp_path / "q.xlsx", "ja")
    wb = load_workbook(path)
    ws = wb[ANSWER_SHEET]
    rows = rows_by_key(ws)
    row = rows[("2.1.1-2", "質問", "framework_last_review_date")]
    ws.cell(row, COL["answer"]).value = "=TODAY()"
    wb.save(path)
    with pytest.raises(ParamsError) as caught:
        load_attestations(path, TODAY)
    message = str(caught.value)
    assert f"回答シート!F{row}" in message and "item '2.1.1-2'" in message and "'=TODAY()' is not a valid date" in message


def test_questionnaire_without_answer_sheet_is_a_params_error(tmp_path):
    from openpyxl import Workbook

    path = tmp_path / "other.xlsx"
    Workbook().save(path)
    with pytest.raises(ParamsError, match="回答シート"):
        load_attestations(path, TODAY)


def test_cli_questionnaire(tmp_path, capsys):
    out = tmp_path / "x.xlsx"
    result = subprocess.run(
        [sys.executable, "-m", "assess_lib", "questionnaire", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert load_workbook(out)[ANSWER_SHEET].max_row > 10
    from assess_lib.cli import main

    assert main(["questionnaire", "--out", str(tmp_path / "y.xlsx"), "--language", "en", "--prefill", str(EXAMPLE)]) == 0
    assert load_attestations(tmp_path / "y.xlsx")["items"] == load_attestations(EXAMPLE)["items"]
    assert main(["questionnaire", "--out", str(tmp_path / "x.csv")]) == 2
    assert ".xlsx" in capsys.readouterr().err


# --- 2.3.1 ⑧ physical security (AWS side not applicable, on-premises attested) -------------------------------


def physical(tmp_path: Path, answers: str | None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    text = None if answers is None else f'items:\n  "2.3.1-8":\n    answers:\n{answers}'
    path = write(tmp_path, text) if text is not None else None
    findings = run_org("physical_security", collect_bundle(tmp_path, path))
    return {f.resource: f.verdict.value for f in findings}, findings


def test_physical_security_verdicts(tmp_path):
    controlled = "      onprem_computer_rooms: true\n      physical_access_controls: ICカードと生体認証\n      access_records_reviewed: true\n"
    got, _ = physical(tmp_path / "a", controlled)
    assert got == {"AWS data centres": "not_applicable", "on-premises facilities": "pass"}
    unreviewed = controlled.replace("access_records_reviewed: true", "access_records_reviewed: false")
    got, findings = physical(tmp_path / "b", unreviewed)
    assert got["on-premises facilities"] == "fail" and "not reviewed" in findings[-1].message_en
    got, _ = physical(tmp_path / "c", "      onprem_computer_rooms: false\n")
    assert got["on-premises facilities"] == "not_applicable"
    got, findings = physical(tmp_path / "d", "      onprem_computer_rooms: true\n")
    assert got["on-premises facilities"] == "manual" and "Not yet decided" in findings[-1].message_en
    got, _ = physical(tmp_path / "e", None)
    assert got == {"AWS data centres": "not_applicable", "on-premises facilities": "manual"}


# --- the check contract: missing evidence, parameters, composed messages (issue 12) ----------------------------

ORG_CHECKS = ("attest_basic_policy", "attest_framework_review", "attest_regulations", "physical_security")


@pytest.mark.parametrize("check_id", ORG_CHECKS)
def test_unreadable_attestation_is_an_error_never_manual_or_a_verdict(tmp_path, check_id):
    """Hand-built evidence: the collector never records an attestation dataset as an error (it stops on a bad
    file), but a bundle may hold one; the checks then say ``error`` naming the dataset, never "nothing attested"."""
    from conftest import make_bundle

    from assess_lib.evidence import CollectionError

    answers = CollectionError("other", "Unreadable", "the rows could not be read")
    bundle = make_bundle(tmp_path, {(DOCUMENTS_DATASET, GLOBAL): [], (ANSWERS_DATASET, GLOBAL): answers}, started_at=STARTED)
    findings = run_org(check_id, bundle)
    verdicts = {f.resource: f.verdict.value for f in findings}
    assert verdicts[ANSWERS_DATASET] == "error", verdicts
    # The AWS side of physical security needs no answer and stays stated; nothing else concludes.
    assert set(verdicts.values()) <= {"error", "not_applicable"}
    assert [r for r, v in verdicts.items() if v == "not_applicable"] in ([], ["AWS data centres"])


def test_no_attestation_datasets_at_all_is_nothing_attested(tmp_path):
    """A bundle made without an attestation file holds no attestation dataset: manual, not error."""
    from conftest import make_bundle

    bundle = make_bundle(tmp_path, {}, started_at=STARTED)
    assert {f.verdict.value for f in run_org("attest_regulations", bundle)} == {"manual"}


def test_review_interval_is_a_parameter_quoted_from_its_value(tmp_path):
    """The review interval (12 months by default) is the checks' parameter, overridable by name and quoted as set."""
    bundle = collect_bundle(tmp_path, write(tmp_path, review("      framework_last_review_date: 2024-12-01\n")))
    spec = registry()["attest_framework_review"]
    assert spec.parameters == {"review_within_months": 12}
    assert only(run_org("attest_framework_review", bundle)).verdict.value == "pass"
    finding = only(runner.run_check(spec, bundle, ORG_ACCOUNT, {**DEFAULT_THRESHOLDS, "review_within_months": 6}))
    assert finding.verdict.value == "fail" and finding.details["due_date"] == "2025-06-01"
    assert "every 6 months" in finding.message_en and "6か月に1回" in finding.message_ja
    assert "every 6 months" in spec.remediation("en", {"review_within_months": 6})
    assert "every 12 months" in spec.remediation("en")
    regulations_spec = registry()["attest_regulations"]
    finding = only(
        runner.run_check(regulations_spec, bundle_of(tmp_path / "r", regulations()), ORG_ACCOUNT, {"review_within_months": 2})
    )
    assert finding.verdict.value == "fail" and "within 2 months" in finding.message_en


def bundle_of(tmp_path: Path, text: str) -> Bundle:
    tmp_path.mkdir(parents=True, exist_ok=True)
    return collect_bundle(tmp_path, write(tmp_path, text))


def test_basic_policy_gap_and_unanswered_point_are_both_stated_as_sentences(tmp_path):
    """Another approver, and the topics not answered: a failure naming the approver, then the open point."""
    text = 'items:\n  "2.1.1-1":\n    documents:\n      - title: 方針\n        approver: 情報セキュリティ委員会\n'
    finding = check_on(tmp_path, "attest_basic_policy", text)
    assert finding.verdict.value == "fail"
    assert finding.message_ja == (
        "基本方針「方針」の承認者は「情報セキュリティ委員会」であり、取締役会または代表取締役の承認がありません。"
        "基本方針の記載事項（目的・方向性、要求事項・法規制等への対応、経営陣のコミットメント）の回答がありません。"
    )
    assert finding.message_en == (
        'The basic policy "方針" was approved by 情報セキュリティ委員会, not by the board or the representative director. '
        "Which of the three topics the policy states is not answered."
    )


def test_basic_policy_pass_names_the_approver_as_written_and_without_a_date(tmp_path):
    text = policy("代表取締役社長").replace("        approval_date: 2024-04-01\n", "")
    finding = check_on(tmp_path, "attest_basic_policy", text)
    assert finding.verdict.value == "pass"
    assert "代表取締役（代表取締役社長）が承認しており" in finding.message_ja
    assert "approved by the representative director (代表取締役社長) and states" in finding.message_en


def test_regulations_undated_documents_are_manual_naming_them(tmp_path):
    text = regulations().replace("        last_review_date: 2025-04-01\n", "").replace("        approval_date: 2021-10-01\n", "")
    finding = check_on(tmp_path, "attest_regulations", text)
    assert finding.verdict.value == "manual"
    assert "見直し日の記載がない文書があります: 「情報セキュリティスタンダード」。" in finding.message_ja
    assert 'No review date is given for: "情報セキュリティスタンダード". Not yet decided:' in finding.message_en


def test_attestations_are_collection_only_and_checks_do_not_import_them():
    """Deliverable 9: the collector imports nothing from the checks or the report; the checks that judge answers
    import nothing from the collector; the questionnaire (presentation) lives in the report."""
    import ast

    def imports(path: Path) -> set[str]:
        out: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                out.add("." * node.level + (node.module or ""))
            elif isinstance(node, ast.Import):
                out.update(alias.name for alias in node.names)
        return out

    package = ROOT / "assess_lib"
    for path in (package / "attestations").glob("*.py"):
        wrong = {m for m in imports(path) if "checks" in m or "report" in m}
        assert not wrong, f"{path.name} imports {wrong}"
    for name in ("answers.py", "s2_1_governance.py", "s2_3_1_physical.py"):
        wrong = {m for m in imports(package / "checks" / name) if "attestations" in m}
        assert not wrong, f"checks/{name} imports {wrong}"
    assert not (package / "attestations" / "questionnaire.py").exists()


def test_no_japanese_in_the_python_of_attestations_and_their_checks():
    japanese = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u4e00-\u9fff\uff00-\uffef]")
    package = ROOT / "assess_lib"
    files = [
        *(package / "attestations").glob("*.py"),
        package / "catalog" / "questions.py",
        package / "checks" / "answers.py",
        package / "checks" / "s2_1_governance.py",
        package / "checks" / "s2_3_1_physical.py",
        package / "report" / "questionnaire.py",
    ]
    found = [
        f"{p.name}:{n}"
        for p in files
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if japanese.search(line)
    ]
    assert not found, found
