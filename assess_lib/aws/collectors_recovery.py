"""Recovery collectors for guideline section 2.5 (response and recovery): whether restores from AWS Backup are
tested, by restore testing plans or by restore jobs that completed.

Rows are plain, normalised facts (no verdicts), declared with their IAM actions in
``collectors_recovery.datasets.yaml``. Vault locks, copy destinations, trails, log groups and GuardDuty's findings
export are collected elsewhere and only read here. Calls grow with services, not resources: one paginated listing
per region each.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .collectors import AccountContext, Calls, collector

# Restore jobs are listed from this many days back (ByCreatedAfter): the longest age a check may accept
# (restore_test_max_age_days) cannot exceed it.
RESTORE_JOB_WINDOW_DAYS = 400


@collector("backup.restore_testing_plans")
def collect_restore_testing_plans(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per restore testing plan of the region (one paginated listing).

    Skipped (no rows, no call) where the region has no backup plan: the check reads restores only where backups
    are planned. The same holds for the restore jobs below.
    """
    if not ctx.rows_or_raise("backup.plans", region):
        return []
    return [
        {
            "name": plan["RestoreTestingPlanName"],
            "arn": plan.get("RestoreTestingPlanArn"),
            "schedule": plan.get("ScheduleExpression"),
            "created": plan.get("CreationTime"),
            "last_execution": plan.get("LastExecutionTime"),
        }
        for page in calls.paginate("backup", "list_restore_testing_plans")
        for plan in page.get("RestoreTestingPlans", [])
    ]


@collector("backup.restore_jobs")
def collect_restore_jobs(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The restore jobs of the region that completed within the window, summarised per resource type: how many
    and the latest (a year of jobs can be thousands: one paginated listing, one row per resource type)."""
    if not ctx.rows_or_raise("backup.plans", region):
        return []
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=RESTORE_JOB_WINDOW_DAYS)
    latest: dict[str, dict[str, Any]] = {}
    for page in calls.paginate("backup", "list_restore_jobs", ByCreatedAfter=since, ByStatus="COMPLETED"):
        for job in page.get("RestoreJobs", []):
            kind = job.get("ResourceType") or "-"
            done = job.get("CompletionDate") or job.get("CreationDate")
            row = latest.setdefault(kind, {"resource_type": kind, "completed_jobs": 0, "last_completed": None})
            row["completed_jobs"] += 1
            if done is not None and (row["last_completed"] is None or done > row["last_completed"]):
                row["last_completed"] = done
                row["last_job_id"] = job.get("RestoreJobId")
                row["by_testing_plan"] = bool((job.get("CreatedBy") or {}).get("RestoreTestingPlanArn"))
    return sorted(latest.values(), key=lambda r: r["resource_type"])
