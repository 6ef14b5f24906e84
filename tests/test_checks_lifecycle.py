"""End of support (2.2.1.2 ①, 2.3.4.1 ③): the compute collectors on moto (server mode, real HTTP) with the demo's
own seed, the five checks passing and failing from that evidence, and the table's rules (matching, the warning
window, extended support, versions it does not list, validation) on hand-built evidence where a date must be
chosen. One seeded estate per module: tests/test_checks_storage_db.py collects it the same way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import boto3
import pytest
from conftest import ACCOUNT, make_bundle, run_all_items, run_one, verdicts

from assess_lib import evidence as ev
from assess_lib.aws.collectors import AccountContext
from assess_lib.aws.session import ClientFactory
from assess_lib.checks._end_of_support import EndOfSupportTableError, load_table, parse_table
from assess_lib.demo.seed import DemoClients
from assess_lib.demo.seed_compute import seed_compute
from assess_lib.demo.server import demo_credentials
from assess_lib.evidence import Bundle, CollectionError, EvidenceStore

TOKYO, VIRGINIA = "ap-northeast-1", "us-east-1"
COMPUTE_DATASETS = (
    "lambda.functions",
    "rds.db_instances",
    "rds.db_clusters",
    "rds.snapshots",
    "eks.clusters",
    "elasticache.cache_clusters",
    "opensearch.domains",
    "ec2.ebs_encryption_default",
    "ec2.volumes",
    "ec2.snapshots",
    "ec2.snapshot_block_public_access",
    "ec2.images",
)
LIFECYCLE = {
    "lambda_runtime_support": "lambda.functions",
    "rds_engine_support": "rds.db_instances",
    "eks_version_support": "eks.clusters",
    "elasticache_engine_support": "elasticache.cache_clusters",
    "opensearch_version_support": "opensearch.domains",
}


def collect_compute(server, folder: Path) -> Bundle:
    """A clean emulator seeded with the demo's compute estate, and this area's datasets collected from it as a run
    collects them (Tokyo holds everything; us-east-1 is empty but for its EBS setting)."""
    server.reset()
    with demo_credentials():
        seed_compute(DemoClients(server.url))
        store = EvidenceStore(run_id="compute", started_at=dt.datetime.now(dt.UTC).isoformat())
        ctx = AccountContext(ACCOUNT, ClientFactory(boto3.Session(), server.url, 2), store, [TOKYO, VIRGINIA])
        for region in (TOKYO, VIRGINIA):
            for name in COMPUTE_DATASETS:
                ctx.dataset(name, region)
    store.meta = {"accounts": [ACCOUNT], "regions": {ACCOUNT: [TOKYO, VIRGINIA]}}
    store.save(folder / "run", dt.datetime.now(dt.UTC).isoformat())
    return Bundle.load(folder / "run")


@pytest.fixture(scope="module")
def estate(moto_server, tmp_path_factory) -> Bundle:
    return collect_compute(moto_server, tmp_path_factory.mktemp("compute"))


def by_resource(findings) -> dict:
    first = findings[0].control_id if findings else None
    return {f.resource: f for f in findings if f.control_id == first}


# --- collectors on the emulator -------------------------------------------------------------------------


def test_compute_collectors_read_versions_in_bulk(estate):
    for name in COMPUTE_DATASETS:
        for region in (TOKYO, VIRGINIA):
            assert estate.entry(name, ACCOUNT, region)["status"] == "ok", (name, region)
    functions = {r["function_name"]: r for r in estate.rows("lambda.functions", ACCOUNT, TOKYO)}
    assert {n: r["runtime"] for n, r in functions.items()} == {
        "batch-interest-calc": "python3.8",
        "api-balance-inquiry": "python3.13",
    }
    instances = {r["db_instance_id"]: r for r in estate.rows("rds.db_instances", ACCOUNT, TOKYO)}
    assert instances["legacy-info"]["engine"] == "mysql" and instances["legacy-info"]["engine_version"] == "5.7.44"
    cluster = next(r for r in estate.rows("rds.db_clusters", ACCOUNT, TOKYO) if r["cluster_id"] == "core-banking")
    assert (cluster["engine"], cluster["engine_version"], cluster["storage_encrypted"]) == ("aurora-postgresql", "16.4", True)
    assert {r["name"]: r["version"] for r in estate.rows("eks.clusters", ACCOUNT, TOKYO)} == {
        "channel-apps-old": "1.29",
        "channel-apps": "1.35",
    }
    caches = {
        r["cache_cluster_id"]: (r["engine"], r["engine_version"])
        for r in estate.rows("elasticache.cache_clusters", ACCOUNT, TOKYO)
    }
    assert caches == {"session-old": ("redis", "5.0.6"), "session": ("valkey", "8.0")}
    domains = {r["domain_name"]: r["engine_version"] for r in estate.rows("opensearch.domains", ACCOUNT, TOKYO)}
    assert domains == {"audit-search-old": "Elasticsearch_6.5", "audit-search": "Elasticsearch_7.10"}
    # Calls grow with services, not resources: one listing each, OpenSearch described five domains a call;
    # EKS alone has no bulk describe (one call per cluster, said in its collector).
    calls = {name: estate.entry(name, ACCOUNT, TOKYO)["calls"] for name in COMPUTE_DATASETS}
    assert calls["lambda.functions"] == calls["rds.db_instances"] == calls["elasticache.cache_clusters"] == 1
    assert calls["opensearch.domains"] == 2
    assert calls["eks.clusters"] == 1 + 2
    assert estate.rows("lambda.functions", ACCOUNT, VIRGINIA) == []


# --- the five checks on the emulator's evidence -----------------------------------------------------------


def test_lifecycle_checks_pass_and_fail_on_the_demo_estate(estate):
    lam = by_resource(run_one("lambda_runtime_support", estate))
    assert lam["batch-interest-calc"].verdict.value == "fail" and lam["batch-interest-calc"].severity == "high"
    assert "python3.8, whose support ended on 2024-10-14" in lam["batch-interest-calc"].message_en
    assert "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html" in lam["batch-interest-calc"].message_en
    assert "2024-10-14 にサポートが終了" in lam["batch-interest-calc"].message_ja
    assert lam["api-balance-inquiry"].verdict.value == "pass" and "until 2029-06-30" in lam["api-balance-inquiry"].message_en
    rds = by_resource(run_one("rds_engine_support", estate))
    assert set(rds) == {"core-banking", "legacy-info"}
    assert rds["core-banking"].verdict.value == "pass"
    legacy = rds["legacy-info"]
    assert legacy.verdict.value == "fail" and legacy.severity == "medium", "MySQL 5.7 is on paid extended support"
    assert "standard support ended on 2024-02-29" in legacy.message_en and "ends on 2027-02-28" in legacy.message_en
    assert verdicts(run_one("eks_version_support", estate)) == {"channel-apps-old": "fail", "channel-apps": "pass"}
    cache = by_resource(run_one("elasticache_engine_support", estate))
    assert cache["session-old"].verdict.value == "fail" and cache["session-old"].severity == "medium"
    assert cache["session"].verdict.value == "pass" and "no end of support" in cache["session"].message_en
    search = by_resource(run_one("opensearch_version_support", estate))
    assert search["audit-search-old"].verdict.value == "fail" and search["audit-search"].verdict.value == "pass"
    # Each check answers both items: the ledger (2.2.1.2 ①) and end of support (2.3.4.1 ③).
    assert {f.control_id for f in run_all_items("lambda_runtime_support", estate)} == {"2.2.1.2-1", "2.3.4.1-3"}
    # us-east-1 has none of these, and says nothing (one finding per resource).
    assert not [f for f in run_one("eks_version_support", estate) if f.region == VIRGINIA]


# --- the table's rules on hand-built evidence (the date decides) ------------------------------------------


def _lambda(name: str, runtime: str | None, package: str = "Zip") -> dict:
    return {"function_name": name, "arn": None, "runtime": runtime, "package_type": package, "last_modified": None}


def test_warning_window_extended_support_and_versions_not_listed(tmp_path):
    rows = [
        _lambda("soon", "nodejs22.x"),  # ends 2027-04-30
        _lambda("later", "python3.13"),
        _lambda("unknown", "python3.99"),
        _lambda("image", None, "Image"),  # brings its own runtime: not judged
    ]
    at = "2027-03-01T00:00:00+00:00"
    bundle = make_bundle(tmp_path / "a", {("lambda.functions", TOKYO): rows}, started_at=at)
    found = by_resource(run_one("lambda_runtime_support", bundle))
    assert set(found) == {"soon", "later", "unknown"}
    assert found["soon"].verdict.value == "fail" and found["soon"].severity == "low"
    assert "ends on 2027-04-30, in 60 days (within the 90-day planning window)" in found["soon"].message_en
    assert found["later"].verdict.value == "pass"
    assert found["unknown"].verdict.value == "not_applicable"
    assert "does not list: its support is not judged here" in found["unknown"].message_en
    assert f"compiled {load_table().compiled.isoformat()}" in found["unknown"].message_en
    # The window is a parameter: 30 days and the same runtime passes.
    narrow = by_resource(run_one("lambda_runtime_support", bundle, {"end_of_support_warning_days": 30}))
    assert narrow["soon"].verdict.value == "pass"
    # The day the evidence was collected decides, not the day it is evaluated.
    before = make_bundle(tmp_path / "b", {("lambda.functions", TOKYO): rows}, started_at="2026-01-01T00:00:00+00:00")
    assert by_resource(run_one("lambda_runtime_support", before))["soon"].verdict.value == "pass"


def test_clusters_are_judged_once_and_past_extended_support_is_ended(tmp_path):
    cluster = {
        "cluster_id": "aurora-old",
        "arn": None,
        "engine": "aurora-mysql",
        "engine_version": "5.7.mysql_aurora.2.11.2",
        "engine_mode": "provisioned",
        "status": "available",
        "storage_encrypted": True,
        "kms_key_id": None,
        "backup_retention_days": 7,
        "deletion_protection": True,
        "members": ["aurora-old-1"],
    }
    member = {
        "db_instance_id": "aurora-old-1",
        "arn": None,
        "engine": "aurora-mysql",
        "engine_version": "5.7.mysql_aurora.2.11.2",
        "cluster_id": "aurora-old",
        "status": "available",
        "storage_encrypted": True,
        "kms_key_id": None,
        "backup_retention_days": 7,
        "deletion_protection": False,
        "publicly_accessible": False,
    }
    sqlserver = {
        **member,
        "db_instance_id": "reports",
        "engine": "sqlserver-se",
        "engine_version": "13.00.6435.1.v1",
        "cluster_id": None,
    }
    groups = [
        {
            "cache_cluster_id": f"sess-00{i}",
            "arn": None,
            "engine": "redis",
            "engine_version": "3.2.10",
            "replication_group_id": "sess",
            "status": "available",
        }
        for i in (1, 2)
    ]
    datasets = {
        ("rds.db_clusters", TOKYO): [cluster],
        ("rds.db_instances", TOKYO): [member, sqlserver],
        ("elasticache.cache_clusters", TOKYO): groups,
    }
    bundle = make_bundle(tmp_path, datasets, started_at="2027-06-01T00:00:00+00:00")
    rds = by_resource(run_one("rds_engine_support", bundle))
    assert set(rds) == {"aurora-old", "reports"}, "a cluster's members run its version: judged once"
    assert rds["aurora-old"].verdict.value == "fail" and rds["aurora-old"].severity == "high"
    assert "support ended on 2027-02-28" in rds["aurora-old"].message_en, "past the end of extended support"
    assert rds["reports"].verdict.value == "fail" and "2026-07-14" in rds["reports"].message_en  # SQL Server 2016
    cache = by_resource(run_one("elasticache_engine_support", bundle))
    assert list(cache) == ["sess"] and cache["sess"].verdict.value == "fail"


@pytest.mark.parametrize("check_id", sorted(LIFECYCLE))
def test_nothing_to_assess_and_missing_evidence(tmp_path, check_id):
    needed = ("rds.db_clusters", "rds.db_instances") if check_id == "rds_engine_support" else (LIFECYCLE[check_id],)
    empty = make_bundle(tmp_path / "empty", {(name, TOKYO): [] for name in needed})
    assert {f.verdict.value for f in run_one(check_id, empty)} == {"not_applicable"}
    denied = CollectionError(ev.ACCESS_DENIED, "AccessDenied", "not authorized")
    missing = make_bundle(tmp_path / "missing", {(name, TOKYO): denied for name in needed})
    findings = run_one(check_id, missing)
    assert findings and {f.verdict.value for f in findings} == {"error"}
    assert all("missing_permission" in f.details for f in findings)


# --- the table ---------------------------------------------------------------------------------------------


def test_the_table_loads_and_matches_versions_on_dot_boundaries():
    table = load_table()
    assert table.compiled <= dt.date.today()
    assert all(product.sources for product in table.products.values())
    assert table.find("lambda", "python3.1") is None and table.find("lambda", "python3.10")[1].version == "python3.10"
    assert table.find("rds", "130.1", "postgres") is None and table.find("rds", "13.12", "postgres")[1].version == "13"
    assert table.find("rds", "13.12", "mysql") is None, "an engine's versions are its own"
    assert table.find("opensearch", "Elasticsearch_7.10")[1].version == "Elasticsearch_7.10"
    assert table.find("opensearch", "Elasticsearch_7.1")[1].version == "Elasticsearch_7.1"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda d: d["products"]["eks"]["versions"]["1.29"].update(standard_end="2025-02-30"),
            "products.eks.versions.1.29.standard_end",
        ),
        (lambda d: d["products"]["eks"]["versions"]["1.29"].update(end="2025-03-23"), "products.eks.versions.1.29.end"),
        (lambda d: d["products"]["eks"].update(owner="x"), "products.eks.owner"),
        (lambda d: d.update(compiled="last week"), "compiled"),
        (lambda d: d["products"]["eks"].update(service="ecs"), "products.eks.service"),
    ],
)
def test_a_bad_table_is_one_message_naming_file_and_key(change, named):
    import copy

    from assess_lib._yaml import load_packaged_yaml

    data = load_packaged_yaml((Path(__file__).parents[1] / "assess_lib/catalog/end_of_support.yaml").read_text(encoding="utf-8"))
    broken = copy.deepcopy(data)
    change(broken)
    with pytest.raises(EndOfSupportTableError) as raised:
        parse_table(broken)
    message = str(raised.value)
    assert message.startswith(f"catalog/end_of_support.yaml: key '{named}'") and "Fix:" in message and "\n" not in message
    assert parse_table(data).products.keys() == load_table().products.keys()


def test_a_bad_table_in_a_run_is_an_error_naming_it_never_a_verdict(tmp_path, monkeypatch):
    from assess_lib.checks import s2_2_1_lifecycle

    def broken():
        raise EndOfSupportTableError(
            "catalog/end_of_support.yaml: key 'compiled': 'last week' is not a date. Fix: write YYYY-MM-DD"
        )

    monkeypatch.setattr(s2_2_1_lifecycle, "load_table", broken)
    bundle = make_bundle(tmp_path, {("lambda.functions", TOKYO): [_lambda("fn", "python3.8")]})
    findings = run_one("lambda_runtime_support", bundle)
    assert {f.verdict.value for f in findings} == {"error"}
    assert "catalog/end_of_support.yaml: key 'compiled'" in findings[0].message_en
