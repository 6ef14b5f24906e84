"""Compute, database and block storage collectors: what runs on which version (end of support, 2.2.1.2 ①
and 2.3.4.1 ③) and how databases and block storage keep their data (2.3.3: encryption at rest, public
snapshots and images, database backups).

Rows are plain, normalised facts (no verdicts), declared with their IAM actions in
``collectors_compute.datasets.yaml``. Every listing is paginated or described in bulk; the only calls made per
resource are those AWS offers no bulk form of, each said on its collector (EKS clusters, the sharing attributes
of manual RDS snapshots, and of EBS snapshots that AWS reports as restorable by everyone).
"""

from __future__ import annotations

from typing import Any

from .collectors import AccountContext, Calls, collector


def _name_tag(resource: dict[str, Any]) -> str | None:
    return next((t["Value"] for t in resource.get("Tags") or [] if t.get("Key") == "Name"), None)


# --- Lambda -----------------------------------------------------------------------------------------


@collector("lambda.functions")
def collect_lambda_functions(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per function (``runtime`` is None for container image functions, which bring their own)."""
    rows = []
    for page in calls.paginate("lambda", "list_functions"):
        for fn in page.get("Functions", []):
            rows.append(
                {
                    "function_name": fn["FunctionName"],
                    "arn": fn.get("FunctionArn"),
                    "runtime": fn.get("Runtime") or None,
                    "package_type": fn.get("PackageType") or "Zip",
                    "last_modified": fn.get("LastModified"),
                }
            )
    return rows


# --- RDS and Aurora -----------------------------------------------------------------------------------


@collector("rds.db_instances")
def collect_db_instances(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per DB instance; ``cluster_id`` is set for members of an Aurora or Multi-AZ DB cluster, whose
    storage, backups and deletion protection are the cluster's."""
    rows = []
    for page in calls.paginate("rds", "describe_db_instances"):
        for db in page.get("DBInstances", []):
            rows.append(
                {
                    "db_instance_id": db["DBInstanceIdentifier"],
                    "arn": db.get("DBInstanceArn"),
                    "engine": db.get("Engine"),
                    "engine_version": db.get("EngineVersion"),
                    "cluster_id": db.get("DBClusterIdentifier") or None,
                    "status": db.get("DBInstanceStatus"),
                    "storage_encrypted": bool(db.get("StorageEncrypted")),
                    "kms_key_id": db.get("KmsKeyId") or None,
                    "backup_retention_days": int(db.get("BackupRetentionPeriod") or 0),
                    "deletion_protection": bool(db.get("DeletionProtection")),
                    "publicly_accessible": bool(db.get("PubliclyAccessible")),
                }
            )
    return rows


@collector("rds.db_clusters")
def collect_db_clusters(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per DB cluster (Aurora and Multi-AZ DB clusters)."""
    rows = []
    for page in calls.paginate("rds", "describe_db_clusters"):
        for cluster in page.get("DBClusters", []):
            rows.append(
                {
                    "cluster_id": cluster["DBClusterIdentifier"],
                    "arn": cluster.get("DBClusterArn"),
                    "engine": cluster.get("Engine"),
                    "engine_version": cluster.get("EngineVersion"),
                    "engine_mode": cluster.get("EngineMode"),
                    "status": cluster.get("Status"),
                    "storage_encrypted": bool(cluster.get("StorageEncrypted")),
                    "kms_key_id": cluster.get("KmsKeyId") or None,
                    "backup_retention_days": int(cluster.get("BackupRetentionPeriod") or 0),
                    "deletion_protection": bool(cluster.get("DeletionProtection")),
                    "members": [
                        m["DBInstanceIdentifier"] for m in cluster.get("DBClusterMembers", []) if m.get("DBInstanceIdentifier")
                    ],
                }
            )
    return rows


def _restore_attribute(result: dict[str, Any]) -> list[str]:
    """Who may restore a snapshot (the ``restore`` attribute): account IDs, or ``all`` when it is public."""
    for attribute in result.get("DBSnapshotAttributes") or result.get("DBClusterSnapshotAttributes") or []:
        if attribute.get("AttributeName") == "restore":
            return [str(v) for v in attribute.get("AttributeValues") or []]
    return []


@collector("rds.snapshots")
def collect_db_snapshots(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per manual DB snapshot and manual DB cluster snapshot, with who may restore it.

    Only manual snapshots can be shared, so only they are asked for their attributes; AWS has no bulk form of
    DescribeDBSnapshotAttributes / DescribeDBClusterSnapshotAttributes, so that is one call per manual snapshot.
    """
    rows = []
    for page in calls.paginate("rds", "describe_db_snapshots", SnapshotType="manual"):
        for snap in page.get("DBSnapshots", []):
            ident = snap["DBSnapshotIdentifier"]
            result = calls.call("rds", "describe_db_snapshot_attributes", DBSnapshotIdentifier=ident)
            shared = _restore_attribute(result.get("DBSnapshotAttributesResult") or {})
            rows.append(
                {
                    "snapshot_id": ident,
                    "arn": snap.get("DBSnapshotArn"),
                    "kind": "instance",
                    "source": snap.get("DBInstanceIdentifier"),
                    "engine": snap.get("Engine"),
                    "encrypted": bool(snap.get("Encrypted")),
                    "public": "all" in shared,
                    "shared_with": sorted(v for v in shared if v != "all"),
                    "created": snap.get("SnapshotCreateTime"),
                }
            )
    for page in calls.paginate("rds", "describe_db_cluster_snapshots", SnapshotType="manual"):
        for snap in page.get("DBClusterSnapshots", []):
            ident = snap["DBClusterSnapshotIdentifier"]
            result = calls.call("rds", "describe_db_cluster_snapshot_attributes", DBClusterSnapshotIdentifier=ident)
            shared = _restore_attribute(result.get("DBClusterSnapshotAttributesResult") or {})
            rows.append(
                {
                    "snapshot_id": ident,
                    "arn": snap.get("DBClusterSnapshotArn"),
                    "kind": "cluster",
                    "source": snap.get("DBClusterIdentifier"),
                    "engine": snap.get("Engine"),
                    "encrypted": bool(snap.get("StorageEncrypted")),
                    "public": "all" in shared,
                    "shared_with": sorted(v for v in shared if v != "all"),
                    "created": snap.get("SnapshotCreateTime"),
                }
            )
    return rows


# --- EKS, ElastiCache, OpenSearch ---------------------------------------------------------------------


@collector("eks.clusters")
def collect_eks_clusters(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per EKS cluster. EKS has no bulk describe: one DescribeCluster call per cluster."""
    rows = []
    for page in calls.paginate("eks", "list_clusters"):
        for name in page.get("clusters", []):
            cluster = calls.call("eks", "describe_cluster", name=name).get("cluster") or {}
            rows.append(
                {
                    "name": name,
                    "arn": cluster.get("arn"),
                    "version": cluster.get("version"),
                    "platform_version": cluster.get("platformVersion"),
                    "status": cluster.get("status"),
                    "oidc_issuer": ((cluster.get("identity") or {}).get("oidc") or {}).get("issuer"),
                }
            )
    return rows


@collector("elasticache.cache_clusters")
def collect_cache_clusters(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per cache cluster (node group); members of a replication group name it, so a check can speak
    of the replication group once."""
    rows = []
    for page in calls.paginate("elasticache", "describe_cache_clusters"):
        for cluster in page.get("CacheClusters", []):
            rows.append(
                {
                    "cache_cluster_id": cluster["CacheClusterId"],
                    "arn": cluster.get("ARN"),
                    "engine": cluster.get("Engine"),
                    "engine_version": cluster.get("EngineVersion"),
                    "replication_group_id": cluster.get("ReplicationGroupId") or None,
                    "status": cluster.get("CacheClusterStatus"),
                }
            )
    return rows


_DOMAINS_PER_CALL = 5  # DescribeDomains accepts at most five names


@collector("opensearch.domains")
def collect_opensearch_domains(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per OpenSearch Service domain (OpenSearch or legacy Elasticsearch), described five at a time;
    ``engine_version`` is AWS's own form, e.g. ``OpenSearch_2.11`` or ``Elasticsearch_7.10``."""
    names = [d["DomainName"] for d in calls.call("opensearch", "list_domain_names").get("DomainNames", []) if d.get("DomainName")]
    rows = []
    for start in range(0, len(names), _DOMAINS_PER_CALL):
        batch = names[start : start + _DOMAINS_PER_CALL]
        for domain in calls.call("opensearch", "describe_domains", DomainNames=batch).get("DomainStatusList", []):
            rows.append(
                {
                    "domain_name": domain["DomainName"],
                    "arn": domain.get("ARN"),
                    "engine_version": domain.get("EngineVersion"),
                    "encrypted": bool((domain.get("EncryptionAtRestOptions") or {}).get("Enabled")),
                }
            )
    return rows


# --- EC2: EBS and AMIs --------------------------------------------------------------------------------


@collector("ec2.ebs_encryption_default")
def collect_ebs_encryption_default(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The region's EBS encryption by default setting (one row)."""
    enabled = calls.call("ec2", "get_ebs_encryption_by_default").get("EbsEncryptionByDefault")
    return [{"region": region, "enabled": bool(enabled)}]


@collector("ec2.volumes")
def collect_volumes(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    rows = []
    for page in calls.paginate("ec2", "describe_volumes"):
        for volume in page.get("Volumes", []):
            rows.append(
                {
                    "volume_id": volume["VolumeId"],
                    "name": _name_tag(volume),
                    "encrypted": bool(volume.get("Encrypted")),
                    "kms_key_id": volume.get("KmsKeyId") or None,
                    "state": volume.get("State"),
                    "size_gib": volume.get("Size"),
                    "instance_ids": [a["InstanceId"] for a in volume.get("Attachments", []) if a.get("InstanceId")],
                }
            )
    return rows


@collector("ec2.snapshots")
def collect_snapshots(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per EBS snapshot the account owns, with whether anyone may create a volume from it.

    The public ones are found in bulk (DescribeSnapshots restorable by ``all``); each of those is confirmed
    with DescribeSnapshotAttribute (createVolumePermission), so the per-snapshot calls grow only with the
    snapshots AWS reports as public.
    """
    rows = []
    for page in calls.paginate("ec2", "describe_snapshots", OwnerIds=["self"]):
        for snap in page.get("Snapshots", []):
            rows.append(
                {
                    "snapshot_id": snap["SnapshotId"],
                    "name": _name_tag(snap),
                    "volume_id": snap.get("VolumeId"),
                    "encrypted": bool(snap.get("Encrypted")),
                    "state": snap.get("State"),
                    "started": snap.get("StartTime"),
                    "description": snap.get("Description") or None,
                    "public": False,
                }
            )
    candidates = {
        snap["SnapshotId"]
        for page in calls.paginate("ec2", "describe_snapshots", OwnerIds=["self"], RestorableByUserIds=["all"])
        for snap in page.get("Snapshots", [])
    }
    for row in rows:
        if row["snapshot_id"] not in candidates:
            continue
        result = calls.call(
            "ec2", "describe_snapshot_attribute", SnapshotId=row["snapshot_id"], Attribute="createVolumePermission"
        )
        row["public"] = any(p.get("Group") == "all" for p in result.get("CreateVolumePermissions", []))
    return rows


@collector("ec2.snapshot_block_public_access")
def collect_snapshot_block_public_access(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """The region's block public access for EBS snapshots (one row): ``block-all-sharing`` makes every snapshot
    private whatever its own permission says; ``block-new-sharing`` only stops new public sharing. Asked only
    where the account owns snapshots (no row, and no call, in a region without any: nothing for it to decide)."""
    if not ctx.rows_or_raise("ec2.snapshots", region):
        return []
    state = calls.call("ec2", "get_snapshot_block_public_access_state").get("State")
    return [{"region": region, "state": state}]


@collector("ec2.images")
def collect_images(ctx: AccountContext, calls: Calls, region: str) -> list[dict[str, Any]]:
    """One row per AMI the account owns (``public``: launchable by every AWS account)."""
    rows = []
    for page in calls.paginate("ec2", "describe_images", Owners=["self"]):
        for image in page.get("Images", []):
            rows.append(
                {
                    "image_id": image["ImageId"],
                    "name": image.get("Name"),
                    "public": bool(image.get("Public")),
                    "state": image.get("State"),
                    "created": image.get("CreationDate"),
                }
            )
    return rows
