"""2.5 recovery: the collectors against moto (server mode, real HTTP) on one account seeded once for the module,
every check passing and failing from that evidence, nothing to assess and missing evidence from hand-built bundles.

The emulator serves neither ListRestoreTestingPlans nor ListRestoreJobs: their answers are hand-built and served by
the unserved-API layer (``assess_lib.demo.unserved``), as AWS would send them on the wire."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest import ACCOUNT, make_bundle, run_one

from assess_lib.aws.collectors import AccountContext
from assess_lib.aws.session import ClientFactory
from assess_lib.checks.s2_5_recovery import allowed_actions
from assess_lib.datasets import DATASETS, GLOBAL_SCOPE
from assess_lib.demo import unserved
from assess_lib.demo.server import demo_credentials
from assess_lib.evidence import ACCESS_DENIED, GLOBAL, Bundle, CollectionError, EvidenceStore

TOKYO, OSAKA, VIRGINIA = "ap-northeast-1", "ap-northeast-3", "us-east-1"
REGIONS = [TOKYO, OSAKA, VIRGINIA]
OUTSIDE = "345678901234"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DATASETS_READ = (
    "backup.plans",
    "backup.vaults",
    "backup.restore_testing_plans",
    "backup.restore_jobs",
    "iam.authorization_details",
)
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def _stamp(days: int) -> str:
    return (NOW - dt.timedelta(days=days)).isoformat()


def _plan(client: Any, name: str, copy_to: str | None) -> None:
    rule: dict[str, Any] = {"RuleName": "r", "TargetBackupVaultName": "vault", "ScheduleExpression": "cron(0 18 * * ? *)"}
    if copy_to:
        rule["CopyActions"] = [{"DestinationBackupVaultArn": copy_to}]
    client.create_backup_plan(BackupPlan={"BackupPlanName": name, "Rules": [rule]})


def _seed(url: str) -> None:
    """Tokyo: a plan copying to another account, restore testing plan run 10 days ago. Osaka: a plan copying to Tokyo
    (same account), two restore jobs completed (the latest 30 days ago). Virginia: a plan copying nowhere, never
    restored. IAM: a role named for incident response with every snapshot right, one tagged for it without sharing."""
    for region, name, copy_to in (
        (TOKYO, "isolated", f"arn:aws:backup:{TOKYO}:{OUTSIDE}:backup-vault:vault"),
        (OSAKA, "same-account", f"arn:aws:backup:{TOKYO}:{ACCOUNT}:backup-vault:vault"),
        (VIRGINIA, "local", None),
    ):
        client = boto3.client("backup", region_name=region, endpoint_url=url)
        client.create_backup_vault(BackupVaultName="vault")
        _plan(client, name, copy_to)
    reg = unserved.register
    reg(url, "backup", "ListRestoreTestingPlans", {"RestoreTestingPlans": []})
    testing = {"RestoreTestingPlanName": "monthly", "ScheduleExpression": "cron(0 3 1 * ? *)", "LastExecutionTime": _stamp(10)}
    reg(url, "backup", "ListRestoreTestingPlans", {"RestoreTestingPlans": [testing]}, region=TOKYO)
    reg(url, "backup", "ListRestoreJobs", {"RestoreJobs": []})
    jobs = [
        {"RestoreJobId": "old", "ResourceType": "EBS", "Status": "COMPLETED", "CompletionDate": _stamp(90)},
        {"RestoreJobId": "new", "ResourceType": "EBS", "Status": "COMPLETED", "CompletionDate": _stamp(30)},
    ]
    reg(url, "backup", "ListRestoreJobs", {"RestoreJobs": jobs}, region=OSAKA)
    iam = boto3.client("iam", region_name=TOKYO, endpoint_url=url)
    iam.create_policy(
        PolicyName="snapshots",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["ec2:CreateSnapshot*", "ec2:CopySnapshot", "ec2:ModifySnapshotAttribute"],
                        "Resource": "*",
                    }
                ],
            }
        ),
    )
    iam.create_role(RoleName="Incident-Response-Team", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.attach_role_policy(RoleName="Incident-Response-Team", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/snapshots")
    iam.create_role(
        RoleName="soc-tools", AssumeRolePolicyDocument=json.dumps(TRUST), Tags=[{"Key": "purpose", "Value": "Forensics"}]
    )
    inline = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["ec2:CreateSnapshots", "ec2:CopySnapshot"], "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="soc-tools", PolicyName="inline", PolicyDocument=json.dumps(inline))


def _collect(url: str, run_dir: Path) -> Bundle:
    store = EvidenceStore(run_id="recovery-test", started_at=NOW.isoformat())
    store.meta = {"accounts": [ACCOUNT], "regions": {ACCOUNT: REGIONS}, "domains": []}
    ctx = AccountContext(ACCOUNT, ClientFactory(boto3.Session(), url, max_attempts=2), store, REGIONS)
    for name in DATASETS_READ:
        for region in [GLOBAL] if DATASETS[name].scope == GLOBAL_SCOPE else REGIONS:
            ctx.dataset(name, region)
    store.save(run_dir, NOW.isoformat())
    return Bundle.load(run_dir)


@pytest.fixture(scope="module")
def bundle(moto_server, tmp_path_factory) -> Bundle:
    moto_server.reset()
    with demo_credentials():
        _seed(moto_server.url)
        return _collect(moto_server.url, tmp_path_factory.mktemp("recovery") / "run")


def _verdicts(findings) -> dict[tuple[str, str], str]:
    return {(f.region, f.resource): f.verdict.value for f in findings}


# --- collectors ------------------------------------------------------------------------------------------


def test_collected_rows(bundle):
    for name in DATASETS_READ:
        for region in [GLOBAL] if DATASETS[name].scope == GLOBAL_SCOPE else REGIONS:
            assert bundle.entry(name, ACCOUNT, region)["status"] == "ok", (name, region)
    [testing] = bundle.rows("backup.restore_testing_plans", ACCOUNT, TOKYO)
    assert testing["name"] == "monthly" and testing["last_execution"]
    # Restore jobs are summarised per resource type: the count and the latest, in one listing call.
    [jobs] = bundle.rows("backup.restore_jobs", ACCOUNT, OSAKA)
    assert (jobs["resource_type"], jobs["completed_jobs"], jobs["last_job_id"]) == ("EBS", 2, "new")
    assert bundle.entry("backup.restore_jobs", ACCOUNT, OSAKA)["calls"] == 1
    roles = {r["name"]: r for r in bundle.rows("iam.authorization_details", ACCOUNT, GLOBAL) if r["entity_type"] == "role"}
    assert roles["soc-tools"]["tags"] == {"purpose": "Forensics"}


# --- checks from the emulator's evidence ------------------------------------------------------------------


def test_backup_copy_other_account(bundle):
    findings = run_one("backup_copy_other_account", bundle)
    assert _verdicts(findings) == {(TOKYO, "isolated"): "pass", (OSAKA, "same-account"): "fail", (VIRGINIA, "local"): "fail"}
    same = next(f for f in findings if f.resource == "same-account")
    assert "same account" in same.message_en and "同じアカウント" in same.message_ja
    # The 2.3.3 check accepts the Osaka plan's copy to another region: this one does not.
    assert {f.resource: f.verdict.value for f in run_one("backup_copy_isolation", bundle)}["same-account"] == "pass"


def test_backup_restore_tested(bundle):
    findings = {f.region: f for f in run_one("backup_restore_tested", bundle)}
    assert {r: f.verdict.value for r, f in findings.items()} == {TOKYO: "pass", OSAKA: "pass", VIRGINIA: "fail"}
    assert "monthly" in findings[TOKYO].message_en
    assert (NOW - dt.timedelta(days=30)).date().isoformat() in findings[OSAKA].message_en
    assert "local" in findings[VIRGINIA].message_en and "365" in findings[VIRGINIA].message_ja
    # The age is a parameter: at 20 days Osaka's restore is too old, Tokyo's testing plan still recent.
    strict = {f.region: f.verdict.value for f in run_one("backup_restore_tested", bundle, {"restore_test_max_age_days": 20})}
    assert strict == {TOKYO: "pass", OSAKA: "fail", VIRGINIA: "fail"}


def test_forensic_snapshot_role(bundle):
    [found] = run_one("forensic_snapshot_role", bundle)
    assert (found.verdict.value, found.resource) == ("pass", "Incident-Response-Team")
    # Only the tagged role left (the name patterns match nothing): it cannot share snapshots.
    [tagged] = run_one("forensic_snapshot_role", bundle, {"forensic_role_name_patterns": "nothing-*"})
    assert (tagged.verdict.value, tagged.resource) == ("fail", "soc-tools")
    assert "ec2:ModifySnapshotAttribute" in tagged.message_en and "CreateSnapshot " not in tagged.message_en
    [none] = run_one("forensic_snapshot_role", bundle, {"forensic_role_name_patterns": "x", "forensic_role_tag_key": "Owner"})
    assert (none.verdict.value, none.resource) == ("fail", ACCOUNT) and "no role designated" in none.message_en


def test_allowed_actions_rules():
    """Wildcards allow, an unconditional Deny removes, a conditional Deny and NotAction do not count."""
    wanted = ["ec2:CreateSnapshot", "ec2:CopySnapshot", "ec2:ModifySnapshotAttribute"]
    docs = [
        {"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]},
        {"Statement": {"Effect": "Deny", "Action": "ec2:modifysnapshotattribute", "Resource": "*"}},
        {"Statement": [{"Effect": "Deny", "Action": "ec2:CopySnapshot", "Resource": "*", "Condition": {"Bool": {"x": "y"}}}]},
    ]
    assert allowed_actions(docs, wanted) == {"ec2:CreateSnapshot", "ec2:CopySnapshot"}
    assert allowed_actions([{"Statement": [{"Effect": "Allow", "NotAction": "iam:*"}]}, "text"], wanted) == set()


# --- hand-built evidence: nothing to assess, missing evidence -------------------------------------------------


@pytest.mark.parametrize("check_id", ["backup_copy_other_account", "backup_restore_tested"])
def test_nothing_to_assess(tmp_path, check_id):
    datasets = {
        (name, TOKYO): [] for name in ("backup.plans", "backup.vaults", "backup.restore_testing_plans", "backup.restore_jobs")
    }
    assert [f.verdict.value for f in run_one(check_id, make_bundle(tmp_path, datasets))] == ["not_applicable"]


MISSING = {
    "backup_copy_other_account": ("backup.plans", TOKYO),
    "backup_restore_tested": ("backup.restore_jobs", TOKYO),
    "forensic_snapshot_role": ("iam.authorization_details", GLOBAL),
}


@pytest.mark.parametrize("check_id", sorted(MISSING))
def test_missing_evidence_is_an_error_never_a_verdict(tmp_path, check_id):
    plan = {"plan_id": "p", "name": "p", "rules": [{"target_vault": "v", "copy_destinations": []}]}
    datasets: dict[tuple[str, str], Any] = {
        ("backup.plans", TOKYO): [plan],
        ("backup.vaults", TOKYO): [],
        ("backup.restore_testing_plans", TOKYO): [],
        ("backup.restore_jobs", TOKYO): [],
        ("iam.authorization_details", GLOBAL): [],
        MISSING[check_id]: CollectionError(ACCESS_DENIED, "AccessDenied", "not allowed", 1),
    }
    findings = run_one(check_id, make_bundle(tmp_path, datasets))
    assert findings and {f.verdict.value for f in findings} == {"error"}
