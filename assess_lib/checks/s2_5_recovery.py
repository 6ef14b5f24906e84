"""Checks for guideline section 2.5 (response and recovery) that evidence can answer: backups that survive a
compromise of the account (copies in another account), restores that are tested (2.5.2.6 ③), and the ability
to take and share disk snapshots for forensics (2.5.2.2 ①). Vault locks, log retention, the trail bucket's
immutability and GuardDuty's findings export are judged by the checks of 2.3.3, 2.3.4.2, 2.3.1 and 2.4, which the
catalogue maps to these items as well. Every sentence is a template in ``s2_5_recovery.yaml``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from . import check, failed, passed
from .context import CheckContext, parse_time
from .result import Result
from .s2_3_3_backup import AIR_GAPPED, _arn_parts, _as_list
from .s2_3_3_data import tag_value, values_of

# --- 2.5.2.6 (3): copies in another account -------------------------------------------------------------


@check("backup_copy_other_account")
def backup_copy_other_account(ctx: CheckContext) -> Iterator[Result]:
    """Every backup plan keeps a copy of its recovery points outside this account: in a vault of another account,
    or in a logically air-gapped vault. A copy to another region of the same account is not isolation: whoever
    controls the account reaches it too."""
    air_gapped = {v["name"] for v in ctx.rows("backup.vaults") if v.get("vault_type") == AIR_GAPPED}
    for plan in ctx.rows("backup.plans"):
        name = plan.get("name") or plan["plan_id"]
        outside, isolated, same_account = set(), set(), set()
        for rule in plan.get("rules") or []:
            if rule.get("target_vault") in air_gapped:
                isolated.add(rule["target_vault"])
            for arn in rule.get("copy_destinations") or []:
                _region, account, resource = _arn_parts(arn)
                vault = resource.removeprefix("backup-vault:")
                if account and account != ctx.account_id:
                    outside.add(arn)
                elif vault in air_gapped:
                    isolated.add(vault)
                else:
                    same_account.add(arn)
        if outside:
            yield passed(name, destinations=", ".join(sorted(outside)))
        elif isolated:
            yield passed(name, "air_gapped", vaults=", ".join(sorted(isolated)))
        elif same_account:
            yield failed(name, "same_account", destinations=", ".join(sorted(same_account)))
        else:
            yield failed(name)


# --- 2.5.2.6 (3): restores tested ----------------------------------------------------------------------------


@check("backup_restore_tested")
def backup_restore_tested(ctx: CheckContext) -> Iterator[Result]:
    """Where AWS Backup plans exist, restoring is tested: a restore testing plan ran, or a restore job completed,
    within ``restore_test_max_age_days``."""
    plans = ctx.rows("backup.plans")
    if not plans:
        return
    limit = int(ctx.params["restore_test_max_age_days"])
    resource = f"AWS Backup ({ctx.region})"
    testing = ctx.rows("backup.restore_testing_plans")
    ran = [(parse_time(p.get("last_execution")), p["name"]) for p in testing]
    recent = sorted((when, name) for when, name in ran if when is not None and (ctx.now - when).days <= limit)
    if recent:
        yield passed(resource, "testing_plan", plans=", ".join(n for _w, n in recent), last_run=recent[-1][0].date().isoformat())
        return
    jobs = [(parse_time(j.get("last_completed")), j) for j in ctx.rows("backup.restore_jobs")]
    done = sorted(((when, j) for when, j in jobs if when is not None and (ctx.now - when).days <= limit), key=lambda x: x[0])
    if done:
        kinds = ", ".join(sorted(str(j["resource_type"]) for _w, j in done))
        yield passed(resource, "restore_job", last_restore=done[-1][0].date().isoformat(), resource_types=kinds)
    elif testing:
        yield failed(resource, "testing_stale", plans=", ".join(sorted(p["name"] for p in testing)))
    else:
        yield failed(resource, backup_plans=", ".join(sorted(p.get("name") or p["plan_id"] for p in plans)))


# --- 2.5.2.2 (1): snapshots for forensics ----------------------------------------------------------------------

# What a forensic role must be able to do, each by any one of its actions: take a snapshot of a volume, copy it
# (into a forensic account's key or region) and share it with the forensic account.
FORENSIC_ABILITIES = {
    "create": ("ec2:CreateSnapshot", "ec2:CreateSnapshots"),
    "copy": ("ec2:CopySnapshot",),
    "share": ("ec2:ModifySnapshotAttribute",),
}
# AWS managed policies are not collected (over a thousand); these are known to allow every action above.
_AWS_MANAGED_ALLOWING = {
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/AmazonEC2FullAccess",
}


def _matches(patterns: Iterable[Any], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in patterns)


def allowed_actions(documents: Iterable[Any], actions: Iterable[str]) -> set[str]:
    """Which of ``actions`` the policy documents allow: named (wildcards included) by an Allow statement's
    ``Action`` and not by an unconditional Deny. ``NotAction`` statements are not counted (they rarely grant
    forensic rights on purpose); permission boundaries and SCPs are not evaluated."""
    allowed: set[str] = set()
    denied: set[str] = set()
    for document in documents:
        if not isinstance(document, Mapping):
            continue
        for statement in _as_list(document.get("Statement")):
            if not isinstance(statement, Mapping):
                continue
            named = {a for a in actions if _matches(_as_list(statement.get("Action")), a)}
            if statement.get("Effect") == "Allow":
                allowed |= named
            elif statement.get("Effect") == "Deny" and not statement.get("Condition"):
                denied |= named
    return allowed - denied


def _role_documents(role: Mapping[str, Any], managed: Mapping[str, Any]) -> list[Any]:
    documents = [p.get("document") for p in role.get("inline_policies") or [] if isinstance(p, Mapping)]
    for arn in role.get("attached_policies") or []:
        if arn in _AWS_MANAGED_ALLOWING:
            documents.append({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
        elif arn in managed:
            documents.append(managed[arn])
    return documents


def forensic_roles(ctx: CheckContext) -> list[dict[str, Any]]:
    """Roles designated for incident response: a name matching one of ``forensic_role_name_patterns``
    (case-insensitive wildcards) or the tag ``forensic_role_tag_key`` with one of ``forensic_role_tag_values``."""
    patterns = values_of(ctx.params["forensic_role_name_patterns"])
    key, wanted = ctx.params["forensic_role_tag_key"], values_of(ctx.params["forensic_role_tag_values"])
    return [
        r
        for r in ctx.rows("iam.authorization_details")
        if r["entity_type"] == "role"
        and (
            any(fnmatch.fnmatchcase(str(r["name"]).lower(), p) for p in patterns)
            or (tag_value(r.get("tags"), key) or "").strip().lower() in wanted
        )
    ]


@check("forensic_snapshot_role")
def forensic_snapshot_role(ctx: CheckContext) -> Iterator[Result]:
    """The account has a role designated for incident response whose policies allow taking, copying and sharing
    EBS snapshots, so that disks can be preserved as evidence before they change."""
    roles = forensic_roles(ctx)
    if not roles:
        yield failed(ctx.account_id, "no_role")
        return
    managed = {r["arn"]: r.get("document") for r in ctx.rows("iam.authorization_details") if r["entity_type"] == "policy"}
    wanted = [a for group in FORENSIC_ABILITIES.values() for a in group]
    gaps: list[str] = []
    capable: list[str] = []
    for role in sorted(roles, key=lambda r: r["name"]):
        allowed = {a.lower() for a in allowed_actions(_role_documents(role, managed), wanted)}
        missing = [group[0] for group in FORENSIC_ABILITIES.values() if not any(a.lower() in allowed for a in group)]
        if missing:
            gaps.append(f"{role['name']} ({', '.join(missing)})")
        else:
            capable.append(role["name"])
    if capable:
        yield passed(", ".join(capable))
    else:
        yield failed(", ".join(r["name"] for r in sorted(roles, key=lambda r: r["name"])), gaps="; ".join(gaps))
