"""デモ銀行's recovery (2.5): a passing and a failing case for each check, on the vaults and plans already seeded.

- Copies in another account: a monthly plan in Tokyo copies to a vault of 情報系 (345678901234) (passes
  backup_copy_other_account); the daily plan copies only to Osaka in the same account and the weekly Osaka plan
  nowhere (both fail).
- Restore tests (hand-built: the emulator serves neither ListRestoreTestingPlans nor ListRestoreJobs): Tokyo has a
  restore testing plan that ran twelve days ago (passes backup_restore_tested); Osaka has a backup plan but neither a
  testing plan nor a restore job (fails). Every other account and region answers with empty lists.
- Forensics: 勘定系 has the role demo-bank-incident-response allowed to take, copy and share snapshots (passes
  forensic_snapshot_role); 情報系 has no incident response role (fails).

Runs after seed_storage (it adds a plan to its Tokyo vault).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from . import unserved
from .seed_second import INFO_ACCOUNT
from .server import DEMO_ACCOUNT

TOKYO = "ap-northeast-1"
_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEMO_ACCOUNT}:root"}, "Action": "sts:AssumeRole"}],
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


def seed_recovery(endpoint_url: str, clients: Any) -> None:
    """Seed the recovery cases of 勘定系 (one plan, one role) and the hand-built restore test answers."""
    isolated = f"arn:aws:backup:{TOKYO}:{INFO_ACCOUNT}:backup-vault:demo-bank-isolated-vault"
    clients("backup", TOKYO).create_backup_plan(
        BackupPlan={
            "BackupPlanName": "demo-bank-monthly",
            "Rules": [
                {
                    "RuleName": "monthly-1y",
                    "TargetBackupVaultName": "demo-bank-vault",
                    "ScheduleExpression": "cron(0 18 1 * ? *)",
                    "Lifecycle": {"DeleteAfterDays": 365},
                    "CopyActions": [{"DestinationBackupVaultArn": isolated, "Lifecycle": {"DeleteAfterDays": 365}}],
                }
            ],
        }
    )
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
