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

from assess_lib.checks import registry
from assess_lib.core.model import ItemJudgment
from assess_lib.core.acceptance import accept_risks
from assess_lib.core.rollup import item_results
from assess_lib.evidence import Bundle
from assess_lib.pipeline import load_assessment
from assess_lib.report import document as doc_mod

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
    "2.1.1-6": ItemJudgment("2.1.1-6", verdict="pass", rationale=HOSTILE_RATIONALE),
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
INSTRUCTIONS = re.compile(
    r"確認事項|ご確認|確認してください|評価してください|ヒアリング|文書確認で|顧客への確認|お客様に確認|聴取"
    r"|質問してください|依頼してください|求めてください|入手し確認|再収集してください"
    r"|please|ask the customer|ask them|confirm with|questions? to ask|interview",
    re.IGNORECASE,
)


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
