"""2.2.1 inventory and 2.3.4.4 (b) production/development separation: collectors on moto (server mode, real HTTP),
every check passing and failing on one emulated estate, nothing to assess and missing evidence on hand-built
bundles, the report's inventory tables, and the demo run's findings.

One estate is seeded and collected once for the module (the suite is at its time budget). moto does not serve
DescribeDeliveryChannelStatus: its answers are hand-written and served through the emulator's unserved-API layer
(assess_lib/demo/unserved.py); everything else is moto's.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from conftest import ACCOUNT, make_bundle, run_one

from assess_lib import evidence as ev
from assess_lib.demo import unserved
from assess_lib.demo.server import demo_credentials
from assess_lib.evidence import GLOBAL, Bundle, CollectionError, DatasetRecord, EvidenceStore
from assess_lib.params import ParamsError, parse_params
from assess_lib.report.inventory import inventory_table, organization_table

TOKYO, OSAKA, VIRGINIA = "ap-northeast-1", "ap-northeast-3", "us-east-1"
REGIONS = [TOKYO, OSAKA, VIRGINIA]
ROLE = "OrganizationAccountAccessRole"  # made by moto in every account the organisation creates
DATASET_NAMES = ("config.recorders", "config.delivery_channels", "tagging.resources", "organizations.accounts")
CHECKS = ("config_recorder_all_regions", "inventory_required_tags", "organization_account_owner", "environment_separation")


def _client(url: str, service: str, region: str = TOKYO) -> Any:
    return boto3.client(service, region_name=region, endpoint_url=url, config=Config(retries={"max_attempts": 1}))


def _tags(**tags: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _channel_status(url: str, region: str, status: str, code: str | None = None) -> None:
    """Hand-written: moto does not serve DescribeDeliveryChannelStatus."""
    info = {"lastStatus": status, **({"lastErrorCode": code} if code else {})}
    answer = {
        "DeliveryChannelsStatus": [{"name": "default", "configHistoryDeliveryInfo": info, "configSnapshotDeliveryInfo": info}]
    }
    unserved.register(url, "config", "DescribeDeliveryChannelStatus", answer, account=ACCOUNT, region=region)


def _config(url: str, region: str, include_global: bool) -> None:
    config = _client(url, "config", region)
    group = {"allSupported": True, "includeGlobalResourceTypes": include_global}
    config.put_configuration_recorder(
        ConfigurationRecorder={"name": "default", "roleARN": "arn:aws:iam::1:role/c", "recordingGroup": group}
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "inventory-config-logs"})
    config.start_configuration_recorder(ConfigurationRecorderName="default")


@pytest.fixture(scope="module")
def estate(moto_server, tmp_path_factory) -> dict[str, Any]:
    """A management account with Config complete in Tokyo, failing delivery in Osaka and no recorder in
    Virginia; tagged queues of both environments; an organisation with a production account misplaced in the
    Development OU and a development account without an owner. Collected once, with the development account
    through the role moto makes for the organisation."""
    url = moto_server.url
    moto_server.reset()
    with demo_credentials():
        _client(url, "s3").create_bucket(Bucket="inventory-config-logs", CreateBucketConfiguration={"LocationConstraint": TOKYO})
        _config(url, TOKYO, include_global=True)
        _channel_status(url, TOKYO, "SUCCESS")
        _config(url, OSAKA, include_global=False)
        _channel_status(url, OSAKA, "FAILURE", "AccessDenied")
        sqs = _client(url, "sqs")
        full = {"Owner": "payments", "DataClassification": "confidential"}
        sqs.create_queue(QueueName="payments-prod", tags={**full, "Environment": "Production"})
        sqs.create_queue(QueueName="payments-dev", tags={"Environment": "dev", "Owner": "payments"})  # no classification
        _client(url, "sqs", OSAKA).create_queue(QueueName="payments-dr", tags={**full, "environment": "prod"})

        org = _client(url, "organizations", VIRGINIA)
        org.create_organization(FeatureSet="ALL")
        root = org.list_roots()["Roots"][0]["Id"]
        units = {
            n: org.create_organizational_unit(ParentId=root, Name=n)["OrganizationalUnit"]["Id"] for n in ("Prod", "DevTest")
        }
        org.tag_resource(ResourceId=ACCOUNT, Tags=_tags(Owner="platform"))
        accounts = {}
        for name, unit, tags in (
            ("ledger", "DevTest", _tags(Owner="ledger team", Environment="production")),  # production in a dev OU
            ("sandbox", "DevTest", _tags(Environment="development")),  # no owner
            ("web", "Prod", _tags(Owner="web team", Environment="production")),
        ):
            org.create_account(AccountName=name, Email=f"{name}@example.com", Tags=tags)
            account_id = next(a["Id"] for a in org.list_accounts()["Accounts"] if a["Name"] == name)
            org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=units[unit])
            accounts[name] = account_id

        bundle = _collect(url, [ACCOUNT, accounts["sandbox"]], tmp_path_factory.mktemp("inventory") / "run")
    return {"bundle": bundle, "accounts": accounts}


def _collect(url: str, accounts: list[str], folder: Path) -> Bundle:
    """This module's datasets only, through the kit's own collectors and sessions (the member account through
    the role): the full collection of every dataset would cost the suite far more and show nothing more here."""
    from assess_lib.aws.collectors import AccountContext
    from assess_lib.aws.session import ClientFactory, assume_role_factory, base_session
    from assess_lib.datasets import DATASETS, GLOBAL_SCOPE

    params = parse_params({"customer": "テスト銀行", "aws": {"regions": REGIONS, "role_name": ROLE}, "dns": {"domains": []}})
    store = EvidenceStore(run_id="inventory", started_at=dt.datetime.now(dt.UTC).isoformat())
    base = ClientFactory(base_session(params.aws), url, max_attempts=2)
    for account in accounts:
        factory = base if account == ACCOUNT else assume_role_factory(base, account, ROLE, store.run_id)
        ctx = AccountContext(account, factory, store, REGIONS)
        for name in DATASET_NAMES:
            for region in [GLOBAL] if DATASETS[name].scope == GLOBAL_SCOPE else REGIONS:
                ctx.dataset(name, region)
    store.meta = {"accounts": accounts, "regions": {a: REGIONS for a in accounts}, "domains": [], "params": params.to_dict()}
    store.save(folder, dt.datetime.now(dt.UTC).isoformat())
    return Bundle.load(folder)


def _findings(check_id: str, bundle: Bundle, account: str = ACCOUNT, thresholds: dict[str, Any] | None = None):
    from assess_lib.checks import registry
    from assess_lib.checks.runner import run_check
    from assess_lib.thresholds import DEFAULT_THRESHOLDS

    spec = registry()[check_id]
    found = run_check(spec, bundle, account, {**DEFAULT_THRESHOLDS, **(thresholds or {})})
    return [f for f in found if f.control_id == spec.controls[0]]


def _by(findings) -> dict[tuple[str, str], Any]:
    return {(f.region, f.resource): f for f in findings}


# --- collectors --------------------------------------------------------------------------------------


def test_collectors_record_config_tags_and_the_organisation(estate):
    bundle = estate["bundle"]
    tokyo = bundle.rows("config.recorders", ACCOUNT, TOKYO)
    assert [(r["name"], r["all_supported"], r["include_global_resource_types"], r["recording"]) for r in tokyo] == [
        ("default", True, True, True)
    ]
    assert bundle.rows("config.recorders", ACCOUNT, VIRGINIA) == []
    # No delivery channel in Virginia: the status call is not made (one call, not two).
    assert bundle.entry("config.delivery_channels", ACCOUNT, VIRGINIA)["calls"] == 1
    osaka = bundle.rows("config.delivery_channels", ACCOUNT, OSAKA)
    assert osaka[0]["history_last_status"] == "FAILURE" and osaka[0]["history_last_error_code"] == "AccessDenied"

    queues = {r["arn"].rsplit(":", 1)[1]: r for r in bundle.rows("tagging.resources", ACCOUNT, TOKYO)}
    assert queues["payments-prod"]["service"] == "sqs" and queues["payments-prod"]["resource_type"] == "queue"
    assert queues["payments-dev"]["tags"] == {"Environment": "dev", "Owner": "payments"}

    org = {r["account_id"]: r for r in bundle.rows("organizations.accounts", ACCOUNT)}
    ledger = org[estate["accounts"]["ledger"]]
    assert ledger["view"] == "management" and ledger["ou_path"] == "Root/DevTest" and ledger["tags"]["Owner"] == "ledger team"
    assert org[ACCOUNT]["ou_path"] == "Root" and org[ACCOUNT]["management_account_id"] == ACCOUNT
    # The member sees only its own membership (moto lists nothing for it; AWS denies the listing).
    member = bundle.rows("organizations.accounts", estate["accounts"]["sandbox"])
    assert [(r["view"], r["management_account_id"]) for r in member] == [("member", ACCOUNT)]


def test_api_calls_grow_with_regions_and_organisational_units_not_resources(estate):
    bundle = estate["bundle"]
    assert bundle.entry("tagging.resources", ACCOUNT, TOKYO)["calls"] == 1  # one page of 100 for three queues
    assert bundle.entry("config.recorders", ACCOUNT, TOKYO)["calls"] == 2
    # describe + list accounts + roots, then per parent (root and two OUs) two listings, one tag call per account.
    assert bundle.entry("organizations.accounts", ACCOUNT)["calls"] == 3 + 3 * 2 + 4


# --- the checks on the emulated estate -------------------------------------------------------------------


def test_config_recorder_passes_and_fails_per_region(estate):
    found = _by(_findings("config_recorder_all_regions", estate["bundle"]))
    assert found[(TOKYO, f"AWS Config ({TOKYO})")].verdict.value == "pass"
    osaka = found[(OSAKA, f"AWS Config ({OSAKA})")]
    assert osaka.verdict.value == "fail"
    assert "the last delivery of channel default failed (AccessDenied)" in osaka.message_en
    assert "配信チャネル default の直近の配信が失敗しています" in osaka.message_ja
    virginia = found[(VIRGINIA, f"AWS Config ({VIRGINIA})")]
    assert virginia.verdict.value == "fail" and "there is no configuration recorder" in virginia.message_en
    assert found[(GLOBAL, "AWS Config (IAM)")].verdict.value == "pass"
    # The designated region for global types is a parameter.
    elsewhere = _by(_findings("config_recorder_all_regions", estate["bundle"], thresholds={"config_global_region": VIRGINIA}))
    assert elsewhere[(GLOBAL, "AWS Config (IAM)")].verdict.value == "fail"
    assert f"not in the designated region {VIRGINIA}" in elsewhere[(GLOBAL, "AWS Config (IAM)")].message_en


def test_required_tags_one_finding_per_region_naming_the_resources(estate):
    found = _findings("inventory_required_tags", estate["bundle"])
    assert [(f.region, f.verdict.value) for f in found] == [(TOKYO, "fail"), (OSAKA, "pass")]
    tokyo = found[0]
    assert tokyo.details["missing_count"] == 1 and tokyo.details["total"] == 2
    assert "payments-dev (DataClassification)" in tokyo.message_en and "payments-prod" not in tokyo.message_en
    # Tag keys are a parameter; keys are compared without case ("environment" is the Environment tag).
    by_env = _findings("inventory_required_tags", estate["bundle"], thresholds={"required_tag_keys": "Environment"})
    assert [f.verdict.value for f in by_env] == ["pass", "pass"]


def test_account_owners_from_the_management_account(estate):
    accounts = estate["accounts"]
    found = {f.resource: f for f in _findings("organization_account_owner", estate["bundle"])}
    assert found[accounts["sandbox"]].verdict.value == "fail"
    assert "has no tag Owner naming its owner" in found[accounts["sandbox"]].message_en
    summary = found["AWS Organizations"]
    assert summary.verdict.value == "pass" and summary.details["count"] == 3 and summary.details["total"] == 4
    # The member account defers to the management account, assessed too: nothing more to say there.
    member = _findings("organization_account_owner", estate["bundle"], account=accounts["sandbox"])
    assert [(f.verdict.value, f.details.get("management")) for f in member] == [("not_applicable", ACCOUNT)]


def test_environment_separation_mixed_account_and_misplaced_account(estate):
    accounts = estate["accounts"]
    found = {f.resource: f for f in _findings("environment_separation", estate["bundle"])}
    mixed = found[ACCOUNT]
    assert mixed.verdict.value == "fail" and mixed.details["production_count"] == 2 and mixed.details["development_count"] == 1
    assert "payments-dev" in mixed.message_en
    misplaced = found[accounts["ledger"]]
    assert misplaced.verdict.value == "fail" and "Root/DevTest" in misplaced.message_en
    assert "本番環境ですが、開発・テスト環境の組織単位" in misplaced.message_ja
    separate = found["AWS Organizations"]
    assert separate.verdict.value == "pass" and accounts["web"] in separate.message_en
    # The words that mean production are a parameter: without "prod", the Osaka queue and the Prod OU say nothing.
    narrower = _findings("environment_separation", estate["bundle"], thresholds={"production_values": "production"})
    assert {f.resource: f for f in narrower}[ACCOUNT].details["production_count"] == 1


def test_single_environment_account_passes(tmp_path):
    rows = [{"arn": "arn:aws:sqs:ap-northeast-1:1:q", "service": "sqs", "resource_type": "queue", "tags": {"Environment": "prd"}}]
    bundle = make_bundle(tmp_path, {("tagging.resources", TOKYO): rows, ("organizations.accounts", GLOBAL): []})
    found = run_one("environment_separation", bundle)
    assert [f.verdict.value for f in found if f.control_id == found[0].control_id] == ["pass"]
    assert "all belong to the production environment" in found[0].message_en


# --- nothing to assess and missing evidence (hand-built) ----------------------------------------------------

DENIED = CollectionError(ev.ACCESS_DENIED, "AccessDeniedException", "not authorized")


@pytest.mark.parametrize(
    ("check_id", "datasets"),
    [
        ("config_recorder_all_regions", {("config.recorders", TOKYO): DENIED, ("config.delivery_channels", TOKYO): []}),
        ("inventory_required_tags", {("tagging.resources", TOKYO): DENIED}),
        ("organization_account_owner", {("organizations.accounts", GLOBAL): DENIED}),
        ("environment_separation", {("tagging.resources", TOKYO): [], ("organizations.accounts", GLOBAL): DENIED}),
    ],
)
def test_missing_evidence_is_never_a_verdict(tmp_path, check_id, datasets):
    found = run_one(check_id, make_bundle(tmp_path, datasets))
    assert found and {f.verdict.value for f in found} == {"error"}
    assert any(f.details.get("missing_permission") for f in found)


@pytest.mark.parametrize(
    ("check_id", "datasets"),
    [
        ("inventory_required_tags", {("tagging.resources", TOKYO): []}),
        ("environment_separation", {("tagging.resources", TOKYO): [], ("organizations.accounts", GLOBAL): []}),
    ],
)
def test_nothing_to_assess(tmp_path, check_id, datasets):
    found = run_one(check_id, make_bundle(tmp_path, datasets))
    assert {f.verdict.value for f in found} == {"not_applicable"}


def test_no_region_in_scope_and_no_organisation_are_not_applicable(tmp_path):
    bundle = make_bundle(tmp_path, {("organizations.accounts", GLOBAL): []})
    found = run_one("organization_account_owner", bundle)
    assert [f.verdict.value for f in found] == ["not_applicable"] and "belongs to no AWS Organizations" in found[0].message_en


def _recorder(**over: Any) -> dict[str, Any]:
    row = {
        "name": "default",
        "service_linked": False,
        "all_supported": True,
        "include_global_resource_types": False,
        "excluded_resource_types": [],
        "resource_types": [],
        "recording": True,
        "last_status": "SUCCESS",
    }
    return {**row, **over}


CHANNEL = {"name": "default", "history_last_status": "SUCCESS", "snapshot_last_status": "SUCCESS"}


def test_global_types_recorded_twice_or_nowhere_and_partial_recording(tmp_path):
    twice = make_bundle(
        tmp_path / "twice",
        {
            **{("config.recorders", r): [_recorder(include_global_resource_types=True)] for r in (TOKYO, VIRGINIA)},
            **{("config.delivery_channels", r): [CHANNEL] for r in (TOKYO, VIRGINIA)},
        },
        regions=[TOKYO, VIRGINIA],
    )
    found = _by(run_one("config_recorder_all_regions", twice))
    assert found[(GLOBAL, "AWS Config (IAM)")].verdict.value == "fail" and found[(GLOBAL, "AWS Config (IAM)")].severity == "low"
    nowhere = make_bundle(
        tmp_path / "nowhere",
        {
            ("config.recorders", TOKYO): [_recorder(all_supported=False, excluded_resource_types=["AWS::EC2::Volume"])],
            ("config.delivery_channels", TOKYO): [CHANNEL],
        },
    )
    found = _by(run_one("config_recorder_all_regions", nowhere))
    assert "some resource types (AWS::EC2::Volume) are excluded" in found[(TOKYO, f"AWS Config ({TOKYO})")].message_en
    assert found[(GLOBAL, "AWS Config (IAM)")].verdict.value == "fail"
    # A region unread: "recorded nowhere" cannot be concluded from the others.
    unread = make_bundle(
        tmp_path / "unread",
        {
            ("config.recorders", TOKYO): [_recorder()],
            ("config.delivery_channels", TOKYO): [CHANNEL],
            ("config.recorders", VIRGINIA): DENIED,
        },
        regions=[TOKYO, VIRGINIA],
    )
    found = _by(run_one("config_recorder_all_regions", unread))
    assert (GLOBAL, "AWS Config (IAM)") not in found and found[(TOKYO, f"AWS Config ({TOKYO})")].verdict.value == "pass"
    assert any(f.verdict.value == "error" and f.region == VIRGINIA for f in found.values())


def _multi_bundle(tmp_path: Path, accounts: list[str], datasets: dict[tuple[str, str, str], list[dict[str, Any]]]) -> Bundle:
    """A bundle of several accounts (conftest.make_bundle holds one)."""
    store = EvidenceStore(run_id="test-run", started_at=dt.datetime.now(dt.UTC).isoformat())
    store.meta = {"accounts": accounts, "regions": {a: [TOKYO] for a in accounts}, "domains": []}
    for (name, account, region), rows in datasets.items():
        store.put(DatasetRecord(name, account, region, "ok", rows=rows))
    store.save(tmp_path / "run", dt.datetime.now(dt.UTC).isoformat())
    return Bundle.load(tmp_path / "run")


def _org_row(account: str, view: str = "management", **over: Any) -> dict[str, Any]:
    row = {
        "account_id": account,
        "name": f"acct-{account[-2:]}",
        "status": "ACTIVE",
        "organization_id": "o-example",
        "management_account_id": ACCOUNT,
        "view": view,
        "view_reason": None,
        "tags": {"Owner": "x"},
        "parent_id": "r-1",
        "ou_path": "Root",
    }
    return {**row, **over}


def test_assessed_account_outside_the_organisation_is_named(tmp_path):
    outsider = "999999999999"
    bundle = _multi_bundle(
        tmp_path,
        [ACCOUNT, outsider],
        {("organizations.accounts", ACCOUNT, GLOBAL): [_org_row(ACCOUNT)], ("organizations.accounts", outsider, GLOBAL): []},
    )
    found = {f.resource: f for f in _findings("organization_account_owner", bundle)}
    assert (
        found[outsider].verdict.value == "fail" and "does not belong to the organisation o-example" in found[outsider].message_en
    )


def test_member_without_its_management_account_is_missing_evidence(tmp_path):
    member = "222222222222"
    row = _org_row(member, view="member", tags=None, management_account_id="111111111111")
    bundle = _multi_bundle(tmp_path, [member], {("organizations.accounts", member, GLOBAL): [row]})
    found = _findings("organization_account_owner", bundle, account=member)
    assert [f.verdict.value for f in found] == ["error"] and found[0].details[
        "missing_permission"
    ] == "organizations:ListAccounts"


# --- text thresholds ------------------------------------------------------------------------------------


def test_tag_keys_in_params_as_text_or_list_and_bad_values_named():
    base = {"customer": "x", "dns": {"domains": []}}
    assert parse_params({**base, "thresholds": {"required_tag_keys": ["Owner", "CostCenter"]}}).thresholds[
        "required_tag_keys"
    ] == ("Owner, CostCenter")
    assert parse_params({**base, "thresholds": {"owner_tag_key": "owner"}}).thresholds["owner_tag_key"] == "owner"
    with pytest.raises(ParamsError, match=r"thresholds\.required_tag_keys"):
        parse_params({**base, "thresholds": {"required_tag_keys": {"a": 1}}})
    with pytest.raises(ParamsError, match=r"thresholds\.owner_tag_key"):
        parse_params({**base, "thresholds": {"owner_tag_key": "Owner\u2028=HYPERLINK()"}})


def test_a_bundle_with_text_thresholds_verifies(estate):
    """The bundle keeps the text thresholds in force and loads again (the bundle check accepts text)."""
    assert estate["bundle"].manifest["params"]["thresholds"]["required_tag_keys"] == "Owner, DataClassification"


# --- the report's tables ------------------------------------------------------------------------------------


def test_inventory_and_organisation_tables(estate):
    bundle = estate["bundle"]
    table = inventory_table(bundle, "en")
    assert list(table.columns) == [
        "Account",
        "Region",
        "Service",
        "Resources",
        "Lacking a required tag (Owner, DataClassification)",
    ]
    tokyo = table[(table["Account"] == ACCOUNT) & (table["Region"] == TOKYO)]
    assert tokyo[["Service", "Resources"]].values.tolist() == [["sqs", 2]] and tokyo.iloc[0, 4] == 1
    org = organization_table(bundle, "ja")
    assert "オーナー（Owner）" in org.columns and len(org) == 4
    sandbox = org[org["アカウント"] == estate["accounts"]["sandbox"]].iloc[0]
    assert sandbox["オーナー（Owner）"] == "" and bool(sandbox["評価対象"]) is True


def test_inventory_table_says_when_a_region_is_missing(tmp_path):
    bundle = make_bundle(tmp_path, {("tagging.resources", TOKYO): DENIED})
    table = inventory_table(bundle, "en")
    assert table.values.tolist()[0][:3] == [ACCOUNT, TOKYO, "(not collected)"]
    assert organization_table(bundle, "en").empty


# --- the demo --------------------------------------------------------------------------------------------------


def test_the_demo_shows_each_check_passing_and_failing(demo_cli_run):
    findings = json.loads((demo_cli_run / "findings.json").read_text(encoding="utf-8"))
    for check_id in CHECKS:
        verdicts = {f["verdict"] for f in findings if f["check_id"] == check_id}
        assert {"pass", "fail"} <= verdicts, (check_id, verdicts)
    assert not [f for f in findings if f["check_id"] in CHECKS and f["verdict"] == "error"]


def test_tag_keys_and_environment_words_as_institutions_write_them(tmp_path):
    """owner / data-classification are the required tags; "non-prod" and "Pre-Prod" are not production."""
    rows = [
        {
            "arn": "arn:aws:sqs:ap-northeast-1:1:a",
            "service": "sqs",
            "resource_type": "queue",
            "tags": {"owner": "x", "data-classification": "y", "env": "z", "Environment": "non-prod"},
        },
        {
            "arn": "arn:aws:sqs:ap-northeast-1:1:b",
            "service": "sqs",
            "resource_type": "queue",
            "tags": {"OWNER": "x", "Data_Classification": "y", "Environment": "Pre-Prod"},
        },
    ]
    bundle = make_bundle(tmp_path, {("tagging.resources", TOKYO): rows, ("organizations.accounts", GLOBAL): []})
    assert [f.verdict.value for f in run_one("inventory_required_tags", bundle)][:1] == ["pass"]
    separation = run_one("environment_separation", bundle)
    assert separation[0].verdict.value == "pass" and "development and test environment" in separation[0].message_en
