"""Data protection of databases and block storage (2.3.3 ② protect data by its importance, 2.3.3 ⑤ backups).

Encryption at rest (EBS encryption by default per region, EBS volumes and snapshots, RDS and Aurora storage),
data made public (EBS snapshots, manual RDS snapshots, AMIs: one check each, which the 2.3.4.5 consolidation
reads by ID) and the backups of databases (automated backup retention, deletion protection). Aurora and
Multi-AZ DB clusters hold storage, backups and deletion protection for their members: judged once, as the
cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..core.text import Phrase
from ..evidence import EvidenceUnavailable
from . import check, failed, passed
from .context import CheckContext
from .result import Result

MIN_RETENTION = "rds_backup_retention_min_days"


def _databases(ctx: CheckContext) -> list[tuple[str, str, dict[str, Any]]]:
    """(resource, "cluster" | "instance", row) for every DB cluster and every DB instance outside a cluster
    (both datasets read before anything is yielded, so a gap in one never leaves half a region assessed)."""
    clusters = ctx.rows("rds.db_clusters")
    instances = ctx.rows("rds.db_instances")
    found = [(c["cluster_id"], "cluster", c) for c in clusters]
    found += [(d["db_instance_id"], "instance", d) for d in instances if not d.get("cluster_id")]
    return found


@check("ebs_default_encryption")
def ebs_default_encryption(ctx: CheckContext) -> Iterator[Result]:
    """EBS encryption by default is on in the region, so every new volume and snapshot copy is encrypted."""
    for row in ctx.rows("ec2.ebs_encryption_default"):
        region = row.get("region") or ctx.region or ""
        yield (passed if row.get("enabled") else failed)(f"EBS {region}")


@check("ebs_volume_encryption")
def ebs_volume_encryption(ctx: CheckContext) -> Iterator[Result]:
    """Every EBS volume is encrypted."""
    for volume in ctx.rows("ec2.volumes"):
        ident, name, instances = volume["volume_id"], volume.get("name"), volume.get("instance_ids") or []
        where = Phrase("attached", instances=", ".join(instances)) if instances else Phrase("unattached")
        facts: dict[str, Any] = {"label": f"{ident} ({name})" if name else ident, "where": where}
        yield (passed if volume.get("encrypted") else failed)(ident, **facts)


@check("ebs_snapshot_encryption")
def ebs_snapshot_encryption(ctx: CheckContext) -> Iterator[Result]:
    """Every EBS snapshot the account owns is encrypted."""
    for snap in ctx.rows("ec2.snapshots"):
        facts: dict[str, Any] = {"volume": snap.get("volume_id") or "-"}
        yield (passed if snap.get("encrypted") else failed)(snap["snapshot_id"], **facts)


@check("rds_storage_encryption")
def rds_storage_encryption(ctx: CheckContext) -> Iterator[Result]:
    """Every DB cluster and standalone DB instance stores its data encrypted."""
    for ident, kind, row in _databases(ctx):
        outcome = "pass" if row.get("storage_encrypted") else "fail"
        yield (passed if outcome == "pass" else failed)(ident, f"{outcome}_{kind}", engine=row.get("engine") or "")


def _snapshot_sharing_blocked(ctx: CheckContext) -> bool:
    """Whether the region blocks all public sharing of EBS snapshots. Optional evidence (the emulator and some
    partitions do not serve it): when it is missing, each snapshot's own permission decides, as before."""
    try:
        rows = ctx.rows("ec2.snapshot_block_public_access")
    except EvidenceUnavailable:
        return False
    return any(row.get("state") == "block-all-sharing" for row in rows)


@check("ebs_snapshot_public")
def ebs_snapshot_public(ctx: CheckContext) -> Iterator[Result]:
    """No EBS snapshot the account owns can be restored by every AWS account (a snapshot shared with ``all`` in a
    region whose block public access blocks all sharing is not public, and is said so)."""
    snapshots = ctx.rows("ec2.snapshots")
    blocked = _snapshot_sharing_blocked(ctx)
    for snap in snapshots:
        facts: dict[str, Any] = {"volume": snap.get("volume_id") or "-", "encrypted": bool(snap.get("encrypted"))}
        if snap.get("public") and blocked:
            yield passed(snap["snapshot_id"], "blocked", **facts)
        else:
            yield (failed if snap.get("public") else passed)(snap["snapshot_id"], **facts)


@check("rds_snapshot_public")
def rds_snapshot_public(ctx: CheckContext) -> Iterator[Result]:
    """No manual RDS snapshot can be restored by every AWS account (automated snapshots cannot be shared)."""
    for snap in ctx.rows("rds.snapshots"):
        kind = "cluster" if snap.get("kind") == "cluster" else "instance"
        facts: dict[str, Any] = {"source": snap.get("source") or "-", "engine": snap.get("engine") or ""}
        if snap.get("public"):
            yield failed(snap["snapshot_id"], f"fail_{kind}", **facts)
        else:
            yield passed(snap["snapshot_id"], f"pass_{kind}", **facts)


@check("ami_public")
def ami_public(ctx: CheckContext) -> Iterator[Result]:
    """No AMI the account owns can be launched by every AWS account."""
    for image in ctx.rows("ec2.images"):
        yield (failed if image.get("public") else passed)(image["image_id"], name=image.get("name") or "-")


@check("rds_backup_retention")
def rds_backup_retention(ctx: CheckContext) -> Iterator[Result]:
    """Every DB cluster and standalone DB instance keeps automated backups at least the parameter's days."""
    minimum = int(ctx.params[MIN_RETENTION])
    for ident, kind, row in _databases(ctx):
        days = int(row.get("backup_retention_days") or 0)
        if days == 0:
            yield failed(ident, f"off_{kind}", severity="high", days=days)
        elif days < minimum:
            yield failed(ident, f"fail_{kind}", days=days)
        else:
            yield passed(ident, f"pass_{kind}", days=days)


@check("rds_deletion_protection")
def rds_deletion_protection(ctx: CheckContext) -> Iterator[Result]:
    """Every DB cluster and standalone DB instance has deletion protection on."""
    for ident, kind, row in _databases(ctx):
        outcome = "pass" if row.get("deletion_protection") else "fail"
        yield (passed if outcome == "pass" else failed)(ident, f"{outcome}_{kind}")
