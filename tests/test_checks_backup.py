"""2.3.3 ⑤ backups: AWS Backup coverage, vault lock, copies elsewhere, vault policies denying deletion, DynamoDB
point-in-time recovery, Object Lock on the buckets holding backups and logs.

Pass and fail come from the shared demo run (``demo_cli_run``). moto serves Backup plans and vaults but neither
backup selections nor vault access policies: in the demo and below those answers are hand-written and served over
real HTTP by the emulator's unserved-API layer (``assess_lib.demo.unserved``). Rules the demo does not show, nothing
to assess and missing evidence come from hand-built bundles.
"""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from conftest import ACCOUNT, make_bundle, run_one, verdicts

from assess_lib.aws.collectors import AccountContext
from assess_lib.aws.session import ClientFactory
from assess_lib.checks import registry
from assess_lib.checks.runner import run_check
from assess_lib.checks.s2_3_3_backup import denies_deletion, selects
from assess_lib.demo import unserved
from assess_lib.evidence import ACCESS_DENIED, Bundle, CollectionError, EvidenceStore
from assess_lib.thresholds import DEFAULT_THRESHOLDS

TOKYO, OSAKA = "ap-northeast-1", "ap-northeast-3"
NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo(demo_cli_run) -> Bundle:
    return Bundle.load(demo_cli_run)


def demo_verdicts(bundle: Bundle, check_id: str) -> dict[tuple[str, str], str]:
    findings = run_check(registry()[check_id], bundle, ACCOUNT, dict(DEFAULT_THRESHOLDS), None)
    return {(f.region, f.resource): f.verdict.value for f in findings}


# --- the demo ------------------------------------------------------------------------------------------------------


def test_demo_backup_checks_pass_and_fail(demo):
    assert demo_verdicts(demo, "backup_plan_coverage") == {
        (TOKYO, "demo-bank-accounts"): "pass",  # named by ARN
        (TOKYO, "demo-bank-sessions"): "fail",
        (TOKYO, "demo-bank-shared"): "pass",  # selected by its tag backup=daily
        (OSAKA, "demo-bank-dr-share"): "fail",
    }
    assert demo_verdicts(demo, "backup_vault_lock") == {(TOKYO, "demo-bank-vault"): "pass", (OSAKA, "demo-bank-dr-vault"): "fail"}
    assert demo_verdicts(demo, "backup_copy_isolation") == {
        (TOKYO, "demo-bank-daily"): "pass",
        (OSAKA, "demo-bank-dr-weekly"): "fail",
    }
    assert demo_verdicts(demo, "backup_vault_deletion_policy") == {
        (TOKYO, "demo-bank-vault"): "pass",
        (OSAKA, "demo-bank-dr-vault"): "fail",
    }
    assert demo_verdicts(demo, "dynamodb_pitr") == {(TOKYO, "demo-bank-accounts"): "pass", (TOKYO, "demo-bank-sessions"): "fail"}
    assert demo_verdicts(demo, "s3_backup_bucket_protection") == {
        (TOKYO, "demo-bank-access-logs"): "fail",
        (TOKYO, "demo-bank-backup-exports"): "pass",
    }


def test_demo_vault_lock_says_when_it_becomes_immutable(demo):
    findings = run_check(registry()["backup_vault_lock"], demo, ACCOUNT, dict(DEFAULT_THRESHOLDS), None)
    tokyo = next(f for f in findings if f.region == TOKYO)
    assert "compliance mode" in tokyo.message_en and "becomes immutable on" in tokyo.message_en
    osaka = next(f for f in findings if f.region == OSAKA)
    assert osaka.severity == "high" and "not locked" in osaka.message_en


def test_demo_backup_evidence(demo):
    (plan,) = demo.rows("backup.plans", ACCOUNT, TOKYO)
    assert plan["rules"][0]["copy_destinations"] == [f"arn:aws:backup:{OSAKA}:{ACCOUNT}:backup-vault:demo-bank-dr-vault"]
    (selection,) = demo.rows("backup.selections", ACCOUNT, TOKYO)
    assert selection["plan_name"] == "demo-bank-daily" and selection["any_tags"] == [{"key": "backup", "value": "daily"}]
    assert demo.rows("backup.selections", ACCOUNT, OSAKA) == []
    policies = {
        p["name"]: p["policy"] for region in (TOKYO, OSAKA) for p in demo.rows("backup.vault_access_policies", ACCOUNT, region)
    }
    assert policies["demo-bank-dr-vault"] is None and denies_deletion(policies["demo-bank-vault"])


# --- collectors against the emulator ----------------------------------------------------------------------------------


def test_selection_conditions_through_the_unserved_layer(aws):
    """moto has no backup selections: the answer below is hand-written, served over HTTP by the unserved-API layer."""
    backup = aws.client("backup")
    backup.create_backup_vault(BackupVaultName="v")
    plan = backup.create_backup_plan(
        BackupPlan={"BackupPlanName": "p", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "v"}]}
    )["BackupPlanId"]
    unserved.register(
        aws.url, "backup", "ListBackupSelections", {"BackupSelectionsList": [{"SelectionId": "s1", "SelectionName": "tagged"}]}
    )
    detail = {
        "SelectionName": "tagged",
        "IamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/backup",
        "Resources": ["*"],
        "NotResources": [f"arn:aws:dynamodb:{TOKYO}:{ACCOUNT}:table/scratch-*"],
        "Conditions": {"StringEquals": [{"ConditionKey": "aws:ResourceTag/backup", "ConditionValue": "yes"}]},
    }
    unserved.register(
        aws.url, "backup", "GetBackupSelection", {"BackupPlanId": plan, "SelectionId": "s1", "BackupSelection": detail}
    )
    store = EvidenceStore(run_id="backup", started_at=dt.datetime.now(dt.UTC).isoformat())
    ctx = AccountContext(ACCOUNT, ClientFactory(boto3.Session(), aws.url, 2), store, [TOKYO])
    record = ctx.dataset("backup.selections", TOKYO)
    assert record.ok, record
    (row,) = record.rows
    assert row["conditions"] == [{"test": "StringEquals", "key": "aws:ResourceTag/backup", "value": "yes"}]
    table = f"arn:aws:dynamodb:{TOKYO}:{ACCOUNT}:table/"
    assert selects(row, table + "ledger", {"backup": "yes"})
    assert not selects(row, table + "ledger", {"backup": "no"})
    assert not selects(row, table + "scratch-1", {"backup": "yes"})
    # No access policy on the vault (moto does not serve the call: a hand-written "not found").
    unserved.register(
        aws.url,
        "backup",
        "GetBackupVaultAccessPolicy",
        error={"status": 404, "code": "ResourceNotFoundException", "message": "none"},
    )
    policies = ctx.dataset("backup.vault_access_policies", TOKYO)
    assert policies.ok and policies.rows[0]["policy"] is None


# --- hand-built evidence ---------------------------------------------------------------------------------------------------


def plan(name, target="v", copies=()):
    return {
        "plan_id": f"id-{name}",
        "name": name,
        "rules": [{"name": "r", "target_vault": target, "copy_destinations": list(copies)}],
    }


def vault(name, **extra):
    return {
        "name": name,
        "arn": f"arn:aws:backup:{TOKYO}:{ACCOUNT}:backup-vault:{name}",
        "vault_type": "BACKUP_VAULT",
        "locked": False,
        **extra,
    }


def test_vault_lock_rules(tmp_path):
    plans = [plan("a", "open"), plan("b", "governed"), plan("c", "short"), plan("d", "sealed"), plan("e", "air")]
    vaults = [
        vault("open"),
        vault("governed", locked=True, min_retention_days=30),
        vault("short", locked=True, lock_date="2026-01-01T00:00:00+00:00", min_retention_days=1),
        vault("sealed", locked=True, lock_date="2026-01-01T00:00:00+00:00", min_retention_days=30),
        vault("air", vault_type="LOGICALLY_AIR_GAPPED_BACKUP_VAULT", locked=True),
        vault("unused"),  # no plan uses it: not judged
    ]
    bundle = make_bundle(tmp_path, {("backup.plans", TOKYO): plans, ("backup.vaults", TOKYO): vaults}, started_at=NOW.isoformat())
    expected = {"open": "fail", "governed": "fail", "short": "fail", "sealed": "pass", "air": "pass"}
    assert verdicts(run_one("backup_vault_lock", bundle)) == expected
    # Governance mode accepted when the parameter says so; the retention threshold is a parameter too.
    relaxed = {"backup_vault_lock_mode": "governance", "backup_vault_min_retention_days": 1}
    assert verdicts(run_one("backup_vault_lock", bundle, relaxed)) == {**expected, "governed": "pass", "short": "pass"}


def test_copy_isolation_rules(tmp_path):
    plans = [
        plan("same-region", copies=[f"arn:aws:backup:{TOKYO}:{ACCOUNT}:backup-vault:other"]),
        plan("other-account", copies=[f"arn:aws:backup:{TOKYO}:999999999999:backup-vault:central"]),
        plan("none"),
        plan("air-copy", copies=[f"arn:aws:backup:{TOKYO}:{ACCOUNT}:backup-vault:lag"]),
    ]
    vaults = [vault("v"), vault("other"), vault("lag", vault_type="LOGICALLY_AIR_GAPPED_BACKUP_VAULT", locked=True)]
    bundle = make_bundle(tmp_path, {("backup.plans", TOKYO): plans, ("backup.vaults", TOKYO): vaults})
    found = verdicts(run_one("backup_copy_isolation", bundle))
    assert found == {"same-region": "fail", "other-account": "pass", "none": "fail", "air-copy": "pass"}


def test_deletion_policy_forms():
    deny = {"Effect": "Deny", "Principal": "*", "Resource": "*"}
    assert denies_deletion({"Statement": [{**deny, "Action": "backup:Delete*"}]})
    assert denies_deletion({"Statement": {**deny, "Action": "backup:*"}})
    assert not denies_deletion({"Statement": [{**deny, "Action": "backup:StartBackupJob"}]})
    assert not denies_deletion({"Statement": [{**deny, "Effect": "Allow", "Action": "backup:DeleteRecoveryPoint"}]})
    assert not denies_deletion("not a policy")


def test_deletion_policy_judges_only_the_vaults_in_use(tmp_path):
    policies = [
        {"name": "v", "arn": "a", "policy": {"Statement": [{"Effect": "Allow", "Action": "backup:*"}]}},
        {"name": "idle", "policy": None},
    ]
    bundle = make_bundle(
        tmp_path,
        {
            ("backup.plans", TOKYO): [plan("p", "v")],
            ("backup.vaults", TOKYO): [vault("v"), vault("idle")],
            ("backup.vault_access_policies", TOKYO): policies,
        },
    )
    assert verdicts(run_one("backup_vault_deletion_policy", bundle)) == {"v": "fail"}


def test_backup_bucket_rules(tmp_path):
    def bucket(name, **extra):
        return {
            "bucket": name,
            "region": TOKYO,
            "trail_bucket": False,
            "error_kind": None,
            "tags": {},
            "logging_target": None,
            **extra,
        }

    rows = [
        bucket("exports", tags={"purpose": "Backup"}, versioning="Enabled", object_lock=False),
        bucket("site", logging_target="weblogs"),
        bucket("weblogs", versioning="Enabled", object_lock=True, retention_mode="GOVERNANCE", retention_days=90),
        bucket(
            "bare-lock",
            tags={"Purpose": "logs"},
            versioning="Enabled",
            object_lock=True,
            retention_mode=None,
            retention_days=None,
        ),
        bucket("trail", trail_bucket=True, tags={"Purpose": "logs"}),  # judged by cloudtrail_bucket_tamper_resistance
        bucket("plain"),
    ]
    findings = run_one("s3_backup_bucket_protection", make_bundle(tmp_path, {("s3.buckets", "global"): rows}))
    assert verdicts(findings) == {"exports": "fail", "weblogs": "pass", "bare-lock": "pass"}
    assert "no default retention" in next(f for f in findings if f.resource == "bare-lock").message_en
    assert "versioning Enabled" in next(f for f in findings if f.resource == "exports").message_en


def test_coverage_without_any_plan(tmp_path):
    bundle = make_bundle(
        tmp_path,
        {
            ("dynamodb.tables", TOKYO): [{"table_name": "t", "arn": f"arn:aws:dynamodb:{TOKYO}:{ACCOUNT}:table/t", "tags": {}}],
            ("efs.file_systems", TOKYO): [],
            ("backup.selections", TOKYO): [],
        },
    )
    assert verdicts(run_one("backup_plan_coverage", bundle)) == {"t": "fail"}


NONE_CASES = {
    "backup_plan_coverage": {("dynamodb.tables", TOKYO): [], ("efs.file_systems", TOKYO): [], ("backup.selections", TOKYO): []},
    "backup_vault_lock": {("backup.plans", TOKYO): [], ("backup.vaults", TOKYO): [vault("idle")]},
    "backup_copy_isolation": {("backup.plans", TOKYO): [], ("backup.vaults", TOKYO): []},
    "backup_vault_deletion_policy": {
        ("backup.plans", TOKYO): [],
        ("backup.vaults", TOKYO): [],
        ("backup.vault_access_policies", TOKYO): [],
    },
    "dynamodb_pitr": {("dynamodb.tables", TOKYO): []},
    "s3_backup_bucket_protection": {("s3.buckets", "global"): []},
}


@pytest.mark.parametrize("check_id", sorted(NONE_CASES))
def test_nothing_to_assess(tmp_path, check_id):
    assert [f.verdict.value for f in run_one(check_id, make_bundle(tmp_path, NONE_CASES[check_id]))] == ["not_applicable"]


MISSING = {
    "backup_plan_coverage": ("backup.selections", TOKYO),
    "backup_vault_lock": ("backup.vaults", TOKYO),
    "backup_copy_isolation": ("backup.plans", TOKYO),
    "backup_vault_deletion_policy": ("backup.vault_access_policies", TOKYO),
    "dynamodb_pitr": ("dynamodb.tables", TOKYO),
    "s3_backup_bucket_protection": ("s3.buckets", "global"),
}


@pytest.mark.parametrize("check_id", sorted(MISSING))
def test_missing_evidence_is_an_error_never_a_verdict(tmp_path, check_id):
    table = {"table_name": "t", "arn": f"arn:aws:dynamodb:{TOKYO}:{ACCOUNT}:table/t", "tags": {}, "pitr_enabled": False}
    datasets = {
        ("backup.plans", TOKYO): [plan("p", "v")],
        ("backup.vaults", TOKYO): [vault("v")],
        ("dynamodb.tables", TOKYO): [table],
        ("efs.file_systems", TOKYO): [],
        MISSING[check_id]: CollectionError(ACCESS_DENIED, "AccessDenied", "not allowed", 1),
    }
    findings = run_one(check_id, make_bundle(tmp_path, datasets))
    assert findings and {f.verdict.value for f in findings} == {"error"}
