"""Data protection of databases and block storage (2.3.3): EBS and RDS encryption at rest, public EBS snapshots,
RDS snapshots and AMIs, RDS backup retention and deletion protection. Pass and fail from the demo's compute seed
on moto (server mode, real HTTP), collected once for the module; the rules a date or a number decides, nothing to
assess and missing evidence on hand-built evidence."""

from __future__ import annotations

import pytest
from conftest import ACCOUNT, make_bundle, run_one, verdicts
from test_checks_lifecycle import TOKYO, VIRGINIA, by_resource, collect_compute

from assess_lib import evidence as ev
from assess_lib.evidence import Bundle, CollectionError

RDS = ("rds.db_clusters", "rds.db_instances")
STORAGE = {
    "ebs_default_encryption": ("ec2.ebs_encryption_default",),
    "ebs_volume_encryption": ("ec2.volumes",),
    "ebs_snapshot_encryption": ("ec2.snapshots",),
    "rds_storage_encryption": RDS,
    "ebs_snapshot_public": ("ec2.snapshots",),
    "rds_snapshot_public": ("rds.snapshots",),
    "ami_public": ("ec2.images",),
    "rds_backup_retention": RDS,
    "rds_deletion_protection": RDS,
}


@pytest.fixture(scope="module")
def estate(moto_server, tmp_path_factory) -> Bundle:
    return collect_compute(moto_server, tmp_path_factory.mktemp("storage"))


def test_block_storage_rows_and_calls(estate):
    assert estate.rows("ec2.ebs_encryption_default", ACCOUNT, TOKYO) == [{"region": TOKYO, "enabled": True}]
    assert estate.rows("ec2.ebs_encryption_default", ACCOUNT, VIRGINIA) == [{"region": VIRGINIA, "enabled": False}]
    volumes = {r["name"]: r for r in estate.rows("ec2.volumes", ACCOUNT, TOKYO) if r["name"]}
    assert volumes["fileserver-data"]["encrypted"] is False and volumes["batch-work"]["encrypted"] is True
    snapshots = {r["volume_id"]: r for r in estate.rows("ec2.snapshots", ACCOUNT, TOKYO)}
    exposed = snapshots[volumes["fileserver-data"]["volume_id"]]
    assert exposed["public"] is True and exposed["encrypted"] is False
    assert snapshots[volumes["batch-work"]["volume_id"]]["public"] is False
    images = {r["name"]: r["public"] for r in estate.rows("ec2.images", ACCOUNT, TOKYO)}
    assert images == {"web-golden-2023": True, "web-golden-2026": False}
    rds_snaps = {r["snapshot_id"]: r for r in estate.rows("rds.snapshots", ACCOUNT, TOKYO)}
    assert (
        rds_snaps["legacy-info-before-migration"]["public"] is True
        and rds_snaps["legacy-info-before-migration"]["kind"] == "instance"
    )
    assert rds_snaps["core-banking-monthly"]["public"] is False and rds_snaps["core-banking-monthly"]["kind"] == "cluster"
    # Manual RDS snapshots have no bulk attribute call: two listings and one call per manual snapshot.
    assert estate.entry("rds.snapshots", ACCOUNT, TOKYO)["calls"] == 2 + 2
    assert estate.entry("ec2.volumes", ACCOUNT, TOKYO)["calls"] == estate.entry("ec2.images", ACCOUNT, TOKYO)["calls"] == 1
    # Snapshots: the listing, the public candidates (AWS filters them; the emulator does not, so here every owned
    # snapshot is confirmed), one attribute call per candidate.
    assert estate.entry("ec2.snapshots", ACCOUNT, TOKYO)["calls"] == 2 + len(snapshots)


def test_encryption_and_exposure_checks_pass_and_fail_on_the_demo_estate(estate):
    volumes = {r["name"]: r["volume_id"] for r in estate.rows("ec2.volumes", ACCOUNT, TOKYO) if r["name"]}
    default = by_resource(run_one("ebs_default_encryption", estate))
    assert default[f"EBS {TOKYO}"].verdict.value == "pass" and default[f"EBS {VIRGINIA}"].verdict.value == "fail"
    assert default[f"EBS {VIRGINIA}"].region == VIRGINIA and default[f"EBS {VIRGINIA}"].control_id == "2.3.3-2"
    found = by_resource(run_one("ebs_volume_encryption", estate))
    plain = found[volumes["fileserver-data"]]
    assert plain.verdict.value == "fail" and f"{volumes['fileserver-data']} (fileserver-data) (not attached)" in plain.message_en
    assert "未接続" in plain.message_ja
    assert found[volumes["batch-work"]].verdict.value == "pass"
    snaps = {r["volume_id"]: r["snapshot_id"] for r in estate.rows("ec2.snapshots", ACCOUNT, TOKYO)}
    exposed, sealed = snaps[volumes["fileserver-data"]], snaps[volumes["batch-work"]]
    encryption = verdicts(run_one("ebs_snapshot_encryption", estate))
    assert encryption[exposed] == "fail" and encryption[sealed] == "pass"
    public = by_resource(run_one("ebs_snapshot_public", estate))
    assert public[exposed].verdict.value == "fail" and public[exposed].severity == "critical"
    assert "every AWS account can create a volume from it" in public[exposed].message_en
    assert public[sealed].verdict.value == "pass"
    rds = by_resource(run_one("rds_snapshot_public", estate))
    assert rds["legacy-info-before-migration"].verdict.value == "fail" and rds["core-banking-monthly"].verdict.value == "pass"
    assert "DB cluster snapshot core-banking-monthly" in rds["core-banking-monthly"].message_en
    images = {r["name"]: r["image_id"] for r in estate.rows("ec2.images", ACCOUNT, TOKYO)}
    ami = verdicts(run_one("ami_public", estate))
    assert ami[images["web-golden-2023"]] == "fail" and ami[images["web-golden-2026"]] == "pass"
    storage = by_resource(run_one("rds_storage_encryption", estate))
    assert storage["core-banking"].verdict.value == "pass" and storage["legacy-info"].verdict.value == "fail"
    assert storage["legacy-info"].severity == "high" and "DB instance legacy-info (mysql)" in storage["legacy-info"].message_en


def test_snapshot_block_public_access_is_optional_evidence(estate, tmp_path):
    # The emulator does not serve it: the demo seed registers a hand-written answer (unblocked) in the unserved layer.
    assert estate.rows("ec2.snapshot_block_public_access", ACCOUNT, TOKYO) == [{"region": TOKYO, "state": "unblocked"}]
    snapshot = {"snapshot_id": "snap-1", "name": None, "volume_id": "vol-1", "encrypted": True}
    snapshot |= {"state": "completed", "started": None, "description": None, "public": True}
    denied = CollectionError(ev.NOT_IMPLEMENTED, "500", "")
    cases = {"block-all-sharing": "pass", "block-new-sharing": "fail", None: "fail"}
    for number, (state, verdict) in enumerate(cases.items()):
        setting = [{"region": TOKYO, "state": state}] if state else denied
        datasets = {("ec2.snapshots", TOKYO): [snapshot], ("ec2.snapshot_block_public_access", TOKYO): setting}
        findings = run_one("ebs_snapshot_public", make_bundle(tmp_path / str(number), datasets))
        assert [f.verdict.value for f in findings if f.control_id == "2.3.3-2"] == [verdict], state
        if state == "block-all-sharing":
            assert "blocks all public sharing, so it is not public" in findings[0].message_en


def test_database_backup_checks_pass_and_fail_on_the_demo_estate(estate):
    retention = by_resource(run_one("rds_backup_retention", estate))
    assert retention["core-banking"].verdict.value == "pass" and retention["core-banking"].control_id == "2.3.3-5"
    assert retention["legacy-info"].verdict.value == "fail" and retention["legacy-info"].severity == "medium"
    assert "1 day(s), fewer than the 7 days required" in retention["legacy-info"].message_en
    assert verdicts(run_one("rds_deletion_protection", estate)) == {"core-banking": "pass", "legacy-info": "fail"}


def _instance(ident: str, **overrides) -> dict:
    row = {
        "db_instance_id": ident,
        "arn": None,
        "engine": "postgres",
        "engine_version": "16.4",
        "cluster_id": None,
        "status": "available",
        "storage_encrypted": True,
        "kms_key_id": None,
        "backup_retention_days": 7,
        "deletion_protection": True,
        "publicly_accessible": False,
    }
    return {**row, **overrides}


def test_backup_retention_threshold_and_cluster_members(tmp_path):
    rows = [
        _instance("off", backup_retention_days=0),
        _instance("short", backup_retention_days=3),
        _instance("week", backup_retention_days=7),
        _instance("member", backup_retention_days=0, storage_encrypted=False, cluster_id="aurora"),
    ]
    bundle = make_bundle(tmp_path, {("rds.db_instances", TOKYO): rows, ("rds.db_clusters", TOKYO): []})
    found = by_resource(run_one("rds_backup_retention", bundle))
    assert set(found) == {"off", "short", "week"}, "a cluster member's backups are the cluster's"
    assert found["off"].verdict.value == "fail" and found["off"].severity == "high"
    assert "Automated backups are off for DB instance off" in found["off"].message_en
    assert found["short"].verdict.value == "fail" and found["week"].verdict.value == "pass"
    stricter = verdicts(run_one("rds_backup_retention", bundle, {"rds_backup_retention_min_days": 14}))
    assert stricter == {"off": "fail", "short": "fail", "week": "fail"}
    assert "member" not in verdicts(run_one("rds_storage_encryption", bundle))


@pytest.mark.parametrize("check_id", sorted(STORAGE))
def test_nothing_to_assess_and_missing_evidence(tmp_path, check_id):
    needed = STORAGE[check_id]
    if check_id != "ebs_default_encryption":  # every region has the setting: always something to assess
        empty = make_bundle(tmp_path / "empty", {(name, TOKYO): [] for name in needed})
        assert {f.verdict.value for f in run_one(check_id, empty)} == {"not_applicable"}
    denied = CollectionError(ev.ACCESS_DENIED, "UnauthorizedOperation", "not authorized")
    missing = make_bundle(tmp_path / "missing", {(name, TOKYO): denied for name in needed})
    findings = run_one(check_id, missing)
    assert findings and {f.verdict.value for f in findings} == {"error"}
    assert all("missing_permission" in f.details for f in findings)


def test_a_region_without_evidence_never_hides_another_regions_failure(tmp_path):
    denied = CollectionError(ev.ACCESS_DENIED, "UnauthorizedOperation", "not authorized")
    datasets = {
        ("ec2.ebs_encryption_default", TOKYO): denied,
        ("ec2.ebs_encryption_default", VIRGINIA): [{"region": VIRGINIA, "enabled": False}],
    }
    bundle = make_bundle(tmp_path, datasets, regions=[TOKYO, VIRGINIA])
    found = {(f.region, f.verdict.value) for f in run_one("ebs_default_encryption", bundle) if f.control_id == "2.3.3-2"}
    assert found == {(TOKYO, "error"), (VIRGINIA, "fail")}
