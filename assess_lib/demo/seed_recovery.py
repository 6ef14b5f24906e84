"""デモ銀行's recovery (2.5): a passing and a failing case for each check, on the vaults and plans already seeded.

- Copies in another account: 情報系 (345678901234) backs up in Tokyo to a vault under a compliance lock and copies
  to a vault of a dedicated backup account (passes backup_copy_other_account, and backup_vault_lock,
  backup_copy_isolation and backup_vault_deletion_policy there); 勘定系's daily plan copies only to Osaka in the same
  account and its weekly Osaka plan nowhere (both fail).
- Restore tests (hand-built: the emulator serves neither ListRestoreTestingPlans nor ListRestoreJobs): Tokyo has a
  restore testing plan that ran twelve days ago and the restore job it ran (passes backup_restore_tested); Osaka has
  a backup plan but neither a testing plan nor a restore job (fails); 情報系 has no testing plan but restored a
  recovery point 40 days ago (passes). Every other account and region answers with empty lists.
- Forensics: 勘定系 has the role demo-bank-incident-response allowed to take, copy and share snapshots (passes
  forensic_snapshot_role); 情報系 has no incident response role (fails).

Runs after seed_storage and seed_information_account.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from . import unserved
from .seed_second import INFO_ACCOUNT, AccountClients
from .server import DEMO_ACCOUNT

TOKYO = "ap-northeast-1"
_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEMO_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}],
}
# The institution's dedicated backup account (outside the assessment's scope: only its vault's ARN appears).
BACKUP_ACCOUNT_VAULT = f"arn:aws:backup:{TOKYO}:456789012345:backup-vault:backup-archive"
_DENY_DELETION = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "backup:DeleteRecoveryPoint", "Resource": "*"}],
}
_FORENSICS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["ec2:CreateSnapshot", "ec2:CreateSnapshots", "ec2:CopySnapshot", "ec2:ModifySnapshotAttribute"],
            "Resource": "*",
        }
    ],
}


def _information_backup(endpoint_url: str) -> None:
    """情報系's backup in Tokyo: a locked vault denying deletion and a plan copying to the backup account. Its
    selections and vault access policy are hand-built (the emulator serves neither)."""
    backup = AccountClients(endpoint_url, INFO_ACCOUNT)("backup", TOKYO)
    backup.create_backup_vault(BackupVaultName="info-sys-vault")
    backup.put_backup_vault_lock_configuration(BackupVaultName="info-sys-vault", MinRetentionDays=35, ChangeableForDays=3)
    backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "info-sys-daily",
            "Rules": [
                {
                    "RuleName": "daily-35d",
                    "TargetBackupVaultName": "info-sys-vault",
                    "ScheduleExpression": "cron(0 18 * * ? *)",
                    "Lifecycle": {"DeleteAfterDays": 35},
                    "CopyActions": [{"DestinationBackupVaultArn": BACKUP_ACCOUNT_VAULT, "Lifecycle": {"DeleteAfterDays": 35}}],
                }
            ],
        }
    )
    reg = unserved.register
    reg(endpoint_url, "backup", "ListBackupSelections", {"BackupSelectionsList": []}, account=INFO_ACCOUNT, region=TOKYO)
    policy = {"BackupVaultName": "info-sys-vault", "Policy": json.dumps(_DENY_DELETION)}
    reg(endpoint_url, "backup", "GetBackupVaultAccessPolicy", policy, account=INFO_ACCOUNT, region=TOKYO)


def seed_recovery(endpoint_url: str, clients: Any) -> None:
    """Seed the recovery cases (情報系's backup, 勘定系's incident response role) and the hand-built restore tests."""
    _information_backup(endpoint_url)
    iam = clients("iam")
    iam.create_role(RoleName="demo-bank-incident-response", AssumeRolePolicyDocument=json.dumps(_TRUST))
    iam.put_role_policy(
        RoleName="demo-bank-incident-response", PolicyName="forensic-snapshots", PolicyDocument=json.dumps(_FORENSICS)
    )

    ran = (dt.datetime.now(dt.UTC) - dt.timedelta(days=12)).replace(microsecond=0).isoformat()
    plan = {
        "RestoreTestingPlanName": "demo_bank_monthly_restore_test",
        "RestoreTestingPlanArn": f"arn:aws:backup:{TOKYO}:{DEMO_ACCOUNT}:restore-testing-plan:demo_bank_monthly_restore_test",
        "ScheduleExpression": "cron(0 3 1 * ? *)",
        "CreationTime": ran,
        "LastExecutionTime": ran,
    }
    unserved.register(endpoint_url, "backup", "ListRestoreTestingPlans", {"RestoreTestingPlans": []})
    unserved.register(
        endpoint_url, "backup", "ListRestoreTestingPlans", {"RestoreTestingPlans": [plan]}, account=DEMO_ACCOUNT, region=TOKYO
    )
    unserved.register(endpoint_url, "backup", "ListRestoreJobs", {"RestoreJobs": []})
    # The job the testing plan ran (restore testing restores a recovery point to a new resource, validates it, deletes it).
    job = {
        "RestoreJobId": "demo-bank-restore-test-1",
        "ResourceType": "DynamoDB",
        "Status": "COMPLETED",
        "CreationDate": ran,
        "CompletionDate": ran,
        "CreatedBy": {"RestoreTestingPlanArn": plan["RestoreTestingPlanArn"]},
    }
    unserved.register(endpoint_url, "backup", "ListRestoreJobs", {"RestoreJobs": [job]}, account=DEMO_ACCOUNT, region=TOKYO)
    restored = (dt.datetime.now(dt.UTC) - dt.timedelta(days=40)).replace(microsecond=0).isoformat()
    manual = {"RestoreJobId": "info-sys-restore-1", "ResourceType": "EBS", "Status": "COMPLETED", "CompletionDate": restored}
    unserved.register(endpoint_url, "backup", "ListRestoreJobs", {"RestoreJobs": [manual]}, account=INFO_ACCOUNT, region=TOKYO)
