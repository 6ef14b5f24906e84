"""2.6 ⑤: the customer's third-party register in the working sheet, read back and compared with the access the
estate grants.

Real parts: the sheet is written by the kit and filled and read with openpyxl; the comparison runs through the
runner on the session's demo run (`demo_cli_run`: its register omits one vendor the demo seeds). The
external-access rows of `compare` are hand-built: they are the model's output shape, whose collection from the
emulator is tested with the model (tests/test_checks_thirdparty.py); none and missing evidence come from
hand-built bundles (`make_bundle`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import make_bundle, run_one
from openpyxl import load_workbook

from assess_lib.attestations import attach_worksheet, collect_attestations
from assess_lib.attestations.third_parties import REGISTER_COL, register_sheet
from assess_lib.attestations.worksheet import load_worksheet
from assess_lib.catalog import load_catalog
from assess_lib.checks.s2_6_register import compare
from assess_lib.core.model import Verdict
from assess_lib.demo import DEMO_PARAMS
from assess_lib.evidence import Bundle, CollectionError, EvidenceStore
from assess_lib.params import ParamsError, load_params
from assess_lib.report.worksheet import write_worksheet

TODAY = dt.date(2026, 11, 30)
REGISTER = register_sheet("ja")
HOSTILE_FORMULA = '=HYPERLINK("http://evil.example/","click")'
CHECK = "third_party_register_coverage"


@pytest.fixture(scope="module")
def blank(tmp_path_factory) -> Path:
    return write_worksheet(tmp_path_factory.mktemp("register") / "blank.xlsx", "ja")


def filled(blank: Path, tmp_path: Path, rows: list[dict[str, object]], name: str = "sheet.xlsx", sheet: str = REGISTER) -> Path:
    """A copy of the blank sheet with ``rows`` typed into the register from row 2, as a consultant's script would."""
    path = tmp_path / name
    path.write_bytes(blank.read_bytes())
    wb = load_workbook(path)
    ws = wb[sheet]
    for number, row in enumerate(rows, start=2):
        for key, value in row.items():
            ws.cell(row=number, column=REGISTER_COL[key]).value = value
    wb.save(path)
    return path


VENDOR = {
    "party": "株式会社デモ運用サービス",
    "accounts": "111122223333\n000011112222",
    "identifiers": "https://token.example.com/\narn:aws:iam::444455556666:role/Auditor",
    "services": "AWS運用保守",
    "contract": "C-2024-118",
    "data": "システムログ",
    "owner": "情報システム部",
    "reviewed_on": dt.datetime(2026, 4, 1),
}


def test_register_written_read_back_stored_and_written_again(blank, tmp_path):
    wb = load_workbook(blank)
    ws = wb[REGISTER]
    assert [ws.cell(row=1, column=c).value for c in (1, 2, 8)] == [
        "委託先名",
        "AWSアカウントID（12桁、1行に1つ）",
        "最終見直し日",
    ]
    assert ws.protection.sheet and not ws.cell(row=2, column=1).protection.locked
    assert any(str(dv.sqref).startswith("H2:") and dv.type == "date" for dv in ws.data_validations.dataValidation)
    second = {"party": "Vendor B", "accounts": 22223333444, "services": HOSTILE_FORMULA}  # a number: leading zero lost
    path = filled(blank, tmp_path, [VENDOR, {}, second])
    data, content = load_worksheet(path, TODAY)
    assert content == path.read_bytes()
    first, other = data["third_parties"]
    assert first == {
        "party": "株式会社デモ運用サービス",
        "account_ids": ["111122223333", "000011112222"],
        "identifiers": ["https://token.example.com/", "arn:aws:iam::444455556666:role/Auditor"],
        "services": "AWS運用保守",
        "contract": "C-2024-118",
        "data": "システムログ",
        "owner": "情報システム部",
        "reviewed_on": "2026-04-01",
        "source": f"{REGISTER}!A2",
    }
    assert other["account_ids"] == ["022223333444"] and other["services"] == HOSTILE_FORMULA  # literal, never run
    assert other["source"] == f"{REGISTER}!A4"
    # Collected: the rows as dataset attestation.third_parties, the sheet byte for byte.
    params = dataclasses.replace(load_params(DEMO_PARAMS), attestations=None, exceptions=None, worksheet=path)
    store = EvidenceStore(run_id="t", started_at="2026-11-30T00:00:00+00:00")
    meta = collect_attestations(params, store)
    assert meta["worksheet"]["third_parties"] == 2
    assert store.records[("attestation.third_parties", "org", "global")].rows == data["third_parties"]
    assert store.files["attestations/sheet.xlsx"] == content
    # The sheet written again from a bundle holding the register shows it, formulas neutralised.
    store.save(tmp_path / "run", "2026-11-30T00:01:00+00:00")
    bundle = Bundle.load(tmp_path / "run")
    run = type("Run", (), {"bundle": bundle, "catalog": load_catalog(), "items": [], "findings": []})()  # results without items
    again = write_worksheet(tmp_path / "again.xlsx", "en", assessment=run)
    en = load_workbook(again)[register_sheet("en")]
    assert en.cell(row=2, column=2).value == "111122223333\n000011112222"
    assert en.cell(row=3, column=4).value == HOSTILE_FORMULA and en.cell(row=3, column=4).data_type == "s"
    back = load_worksheet(again, TODAY)[0]["third_parties"]
    assert [{**row, "source": None} for row in back] == [{**row, "source": None} for row in data["third_parties"]]


def test_an_empty_register_is_no_register_and_a_new_sheet_replaces_the_old_one(blank, tmp_path):
    data, _content = load_worksheet(blank, TODAY)
    assert data["third_parties"] == []
    bundle = make_bundle(
        tmp_path,
        {("attestation.third_parties", "global"): [{"party": "Old", "account_ids": [], "identifiers": [], "source": "x!A2"}]},
    )
    updated = attach_worksheet(bundle, blank)
    assert not updated.verification
    assert updated.entry("attestation.third_parties", "org", "global") is None  # the new sheet has no register
    manifest = json.loads((updated.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["worksheet"]["third_parties"] == 0


def _move_columns(path: Path) -> None:
    wb = load_workbook(path)
    ws = wb[REGISTER]
    ws.cell(row=1, column=2).value, ws.cell(row=1, column=3).value = (
        ws.cell(row=1, column=3).value,
        ws.cell(row=1, column=2).value,
    )
    wb.save(path)


@pytest.mark.parametrize(
    ("rows", "edit", "expected"),
    [
        ([{"party": "A社", "accounts": "12345"}], None, ["B2", "'12345' is not a 12-digit AWS account ID", "leading zeros"]),
        ([{"party": "A社", "accounts": "=B9"}], None, ["B2", "'=B9' is not a 12-digit"]),
        ([{"party": HOSTILE_FORMULA}], None, ["A2", "is a formula", "type the name itself"]),
        ([{"party": "A社", "identifiers": HOSTILE_FORMULA}], None, ["C2", "is not an identifier"]),
        ([{"party": "A社"}, {"party": "Ａ社 "}], None, ["A3", "appears twice", f"{REGISTER}!A2", "one row per party"]),
        (
            [{"party": "A社", "accounts": "111122223333"}, {"party": "B社", "accounts": "111122223333"}],
            None,
            ["B3", "also listed for 'A社'"],
        ),
        ([{"party": "A社", "reviewed_on": "2099-01-01"}], None, ["H2", "after the assessment date 2026-11-30"]),
        ([{"party": "A社", "reviewed_on": "先月"}], None, ["H2", "'先月' is not a date", "YYYY-MM-DD"]),
        ([{"services": "保守"}], None, ["D2", "without the party's name", f"{REGISTER}!A2"]),
        ([], _move_columns, [f"{REGISTER}!B1", "AWSアカウントID", "do not move, rename"]),
    ],
    ids=[
        "account",
        "account-formula",
        "party-formula",
        "identifier-formula",
        "duplicate-party",
        "account-of-two",
        "future-review",
        "review-date",
        "no-name",
        "moved-column",
    ],
)
def test_a_bad_register_is_one_paragraph_naming_the_cell(blank, tmp_path, rows, edit, expected):
    path = filled(blank, tmp_path, rows)
    if edit:
        edit(path)
    with pytest.raises(ParamsError) as err:
        load_worksheet(path, TODAY)
    message = str(err.value)
    assert "\n" not in message and str(path) in message and "Fix:" in message
    for part in expected:
        if len(part) <= 3:  # a bare cell: named with its sheet
            part = f"{REGISTER}!{part}"
        assert part in message, message


# --- the comparison ----------------------------------------------------------------------------------------------


def access(party: str, kind: str = "role_trust", resource: str = "arn:aws:iam::123456789012:role/VendorOps", **more) -> dict:
    """A row of the external-access model (hand-built: its collection is tested with the model)."""
    return {
        "party": party,
        "kind": kind,
        "account": "123456789012",
        "region": "global",
        "resource": resource,
        "resource_type": "AWS::IAM::Role",
        "external_id_required": True,
        "last_used": None,
        "actions_summary": "sts:AssumeRole",
        **more,
    }


ENTRIES = [
    {"party": "運用ベンダー", "account_ids": ["111122223333"], "identifiers": [], "source": "r!A2"},
    {"party": "IdP社", "account_ids": [], "identifiers": ["VendorIdP", "https://token.example.com"], "source": "r!A3"},
    {"party": "監査法人", "account_ids": [], "identifiers": ["arn:aws:iam::444455556666:role/Auditor"], "source": "r!A4"},
    {"party": "終了済みベンダー", "account_ids": ["777788889999"], "identifiers": [], "source": "r!A5"},
    {"party": "印刷会社", "account_ids": [], "identifiers": [], "source": "r!A6"},  # no AWS identifiers: never "unseen"
]


def test_compare_names_each_unregistered_party_once_with_what_it_reaches():
    rows = [
        access("111122223333"),
        access("arn:aws:iam::111122223333:root", "resource_policy", "arn:aws:s3:::demo-share"),
        access("arn:aws:iam::123456789012:saml-provider/VendorIdP", "saml", "arn:aws:iam::123456789012:saml-provider/VendorIdP"),
        access("token.example.com/", "oidc", "arn:aws:iam::123456789012:oidc-provider/token.example.com"),
        access("444455556666", resource="arn:aws:iam::123456789012:role/Audit"),
        access("999900001111", "resource_policy", "arn:aws:s3:::vendor-drop"),
        access("arn:aws:iam::999900001111:role/Sync", "ram_share", "arn:aws:ram:ap-northeast-1:123456789012:resource-share/x"),
    ]
    results = list(compare(rows, ENTRIES))
    verdicts = {r.resource: r.verdict for r in results}
    assert verdicts == {
        "111122223333": Verdict.PASS,
        "444455556666": Verdict.PASS,
        "999900001111": Verdict.FAIL,
        "arn:aws:iam::123456789012:saml-provider/VendorIdP": Verdict.PASS,
        "token.example.com/": Verdict.PASS,
        "third-party register": Verdict.NOT_APPLICABLE,
    }
    [fail] = [r for r in results if r.verdict == Verdict.FAIL]
    assert fail.facts["resources"] == ["arn:aws:ram:ap-northeast-1:123456789012:resource-share/x", "arn:aws:s3:::vendor-drop"]
    assert [p.key for p in fail.facts["kinds"]] == ["kind_ram_share", "kind_resource_policy"]
    ops = next(r for r in results if r.resource == "111122223333")
    assert ops.facts["entry"] == "運用ベンダー" and ops.facts["resource_count"] == 2
    [unseen] = [r for r in results if r.verdict == Verdict.NOT_APPLICABLE]
    assert unseen.facts["entries"] == "終了済みベンダー"  # the printer has no AWS identifier to be seen by
    # On incomplete evidence no entry is called unseen; a party with no register entry at all still fails.
    assert [r.verdict for r in compare(rows[5:6], ENTRIES, complete=False)] == [Verdict.FAIL]
    assert list(compare([], [ENTRIES[4]])) == []  # nothing to compare: the runner's "none"
    # Not parties: everyone (exposure, judged by the public-access checks) and a member account as delegated admin.
    others = [access("*", "resource_policy"), access("210987654321", "delegated_admin", in_organisation=True)]
    assert list(compare(others, [])) == []
    # A SAML provider nobody registered may be the institution's own: stated as undetermined, not failed.
    [saml] = compare([access("CorporateADFS", "saml", "arn:aws:iam::123456789012:role/SSO")], ENTRIES[4:])
    assert saml.verdict == Verdict.MANUAL and saml.message == "saml_unregistered"
    # A provider no role trusts reaches nothing yet: said so, registered or not.
    idle = access(
        "arn:aws:iam::123456789012:oidc-provider/idp.other.example",
        "oidc",
        "arn:aws:iam::123456789012:oidc-provider/idp.other.example",
        resource_type="oidc_provider",
    )
    assert [(r.verdict, r.message) for r in compare([idle], ENTRIES[4:])] == [(Verdict.FAIL, "fail_provider_only")]


def _findings(tmp_path: Path, register, **changed):
    """The check on a hand-built bundle: every dataset it reads empty unless ``changed`` (name with "_" for ".")."""
    from assess_lib.checks import registry
    from assess_lib.checks._external_access import REGIONAL_DATASETS

    datasets = {}
    for name in registry()[CHECK].datasets:
        if name != "attestation.third_parties":
            datasets[(name, "ap-northeast-1" if name in REGIONAL_DATASETS else "global")] = changed.get(
                name.replace(".", "_"), []
            )
    if register is not None:
        datasets[("attestation.third_parties", "global")] = register
    return run_one(CHECK, make_bundle(tmp_path, datasets))


def test_no_register_is_missing_evidence_and_no_access_is_nothing_to_assess(tmp_path):
    [missing] = _findings(tmp_path / "a", None)
    assert missing.verdict == Verdict.ERROR and missing.resource == "attestation.third_parties"
    denied = CollectionError("access_denied", "AccessDenied", "no")
    findings = _findings(tmp_path / "b", ENTRIES, iam_authorization_details=denied)
    assert [(f.verdict, f.resource) for f in findings] == [(Verdict.ERROR, "iam.authorization_details")]  # no "unseen"
    [none] = _findings(tmp_path / "c", [ENTRIES[4]])
    assert none.verdict == Verdict.NOT_APPLICABLE and none.resource == "external access"
    [unseen] = _findings(tmp_path / "d", ENTRIES[:1])
    assert unseen.verdict == Verdict.NOT_APPLICABLE and "運用ベンダー" in unseen.message_ja


def _role(name: str, account: str) -> dict:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}],
    }
    return {"entity_type": "role", "name": name, "arn": f"arn:aws:iam::123456789012:role/{name}", "trust_policy": trust}


def test_registered_party_passes_and_unregistered_one_fails_through_the_runner(tmp_path):
    """Hand-built roles (the emulator's trust policies are the model's tests): one trusting the registered
    vendor's account, one an account nobody registered."""
    roles = [_role("VendorOps", "111122223333"), _role("Unknown", "999900001111")]
    findings = {f.resource: f for f in _findings(tmp_path, ENTRIES[:1], iam_authorization_details=roles)}
    assert {r: f.verdict for r, f in findings.items()} == {"111122223333": Verdict.PASS, "999900001111": Verdict.FAIL}
    assert findings["999900001111"].severity == "high"
    assert "arn:aws:iam::123456789012:role/Unknown" in findings["999900001111"].message_en
    assert "「運用ベンダー」" in findings["111122223333"].message_ja


def test_demo_register_omits_the_seeded_vendor(demo_cli_run: Path):
    """The demo's register lists GitHub and omits the system vendor its roles, bucket, key and share let in."""
    from assess_lib.demo.seed_identity import CONTRACTOR_ACCOUNT

    findings = json.loads((demo_cli_run / "findings.json").read_text(encoding="utf-8"))
    rows = {(f["account_id"], f["resource"]): f for f in findings if f["check_id"] == CHECK and f["control_id"] == "2.6-5"}
    github = rows[("123456789012", "token.actions.githubusercontent.com")]
    assert github["verdict"] == "pass" and "GitHub, Inc." in github["message_ja"]
    vendor = rows[("123456789012", CONTRACTOR_ACCOUNT)]
    assert vendor["verdict"] == "fail" and "委託先台帳に記載がありません" in vendor["message_ja"]
    assert "demo-bank-loan-archive" in vendor["details"]["resources"]  # the bucket shared with it (seed_thirdparty)
    unseen = rows[("123456789012", "third-party register")]
    assert unseen["verdict"] == "not_applicable" and "旧データ分析委託先株式会社" in unseen["message_ja"]
    assert "デモ印刷株式会社" not in unseen["message_ja"]  # no AWS identifier: nothing to see it by
