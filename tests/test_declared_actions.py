"""The datasets' declarations (assess_lib/*/*datasets.yaml): validated at load, next to their collectors, and
true to the rows the collectors return. That each collector calls only (and every one of) the IAM actions its
dataset declares is shown against the emulator in tests/test_least_privilege.py, on its seeded demo estate.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from assess_lib import datasets as ds
from assess_lib.aws.collectors import COLLECTORS
from assess_lib.datasets import (
    AWS_SCOPES,
    DATASETS,
    DatasetDeclarationError,
    load_declarations,
    row_problems,
)
from assess_lib.evidence import Bundle


def _shape_problems(bundle: Bundle, names: set[str]) -> tuple[list[str], set[str]]:
    problems: list[str] = []
    seen: set[str] = set()
    for entry in bundle.entries():
        if entry["dataset"] in names and entry["status"] == "ok":
            rows = bundle.rows(entry["dataset"], entry["account_id"], entry["region"])
            seen |= {entry["dataset"]} if rows else set()
            problems += row_problems(entry["dataset"], rows)
    return problems, seen


def test_every_datasets_rows_have_the_declared_shape(demo_cli_run: Path):
    """The demo run's bundle (AWS through the emulator, DNS from a real DNS server, the attestation file): every
    dataset has rows somewhere, and every row has the declared columns and types."""
    problems, seen = _shape_problems(Bundle.load(demo_cli_run), set(DATASETS))
    assert problems == []
    assert seen == set(DATASETS)


def test_row_problems_name_what_departs():
    """The shape check itself can fail: a missing column, a wrong type, an undeclared column, a bool for an int."""
    good = {"region": "ap-northeast-1", "opt_in_status": "opted-in", "enabled": True, "in_scope": True}
    assert row_problems("ec2.regions", [good]) == []
    bad = [{**good, "enabled": "yes"}, {k: v for k, v in good.items() if k != "in_scope"}, {**good, "extra": 1}]
    assert row_problems("ec2.regions", bad) == [
        "ec2.regions row 0: column enabled is str, declared bool",
        "ec2.regions row 1: column in_scope is missing",
        "ec2.regions row 2: column extra is not declared",
    ]
    route = {
        "zone_id": "Z1",
        "name": "a.jp",
        "private": False,
        "record_count": True,
        "query_log_groups": [],
        "dnssec_status": None,
    }
    assert row_problems("route53.hosted_zones", [route]) == [
        "route53.hosted_zones row 0: column record_count is bool, declared int?"
    ]
    secret = {"name": "s", "arn": "a", "rotation_enabled": True, "rotation_days": None}
    assert (
        row_problems(
            "secretsmanager.secrets",
            [{**secret, "last_rotated": dt.datetime(2026, 1, 1), "last_accessed": None, "created": "2026-01-01"}],
        )
        == []
    )


BASE_FILE = """
collection_actions: {base: [sts:GetCallerIdentity], multi_account: [sts:AssumeRole]}
datasets:
  ec2.vpcs:
    scope: regional
    actions: [ec2:DescribeVpcs]
    description: {ja: VPC, en: VPCs}
    key: [vpc_id]
    columns: {vpc_id: str}
"""


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("actions: [ec2:DescribeVpcs]", "actions: [DescribeVpcs]"), "ec2.vpcs.actions: 'DescribeVpcs' is not an IAM action"),
        (("scope: regional", "scope: zonal"), "ec2.vpcs.scope: 'zonal' is not a scope"),
        (("key: [vpc_id]", "key: [id]"), "ec2.vpcs: key column 'id' is not among its columns"),
        (("{vpc_id: str}", "{vpc_id: string}"), "ec2.vpcs.columns.vpc_id: type 'string' is not one of"),
        (("{ja: VPC, en: VPCs}", "{en: VPCs}"), "ec2.vpcs.description: must be {ja, en}"),
        (("    key: [vpc_id]", "    keys: [vpc_id]"), "ec2.vpcs: unknown key(s) keys"),
        (("scope: regional", "scope: dns"), "looks like an IAM action in a dns dataset"),
        (("columns: {vpc_id: str}", "columns: {vpc_id: str"), "not valid YAML"),
    ],
)
def test_a_malformed_declaration_is_refused_naming_file_and_key(change, named):
    old, new = change
    assert old in BASE_FILE
    assert load_declarations([("x/collectors.datasets.yaml", BASE_FILE)]).datasets["ec2.vpcs"].key == ("vpc_id",)
    with pytest.raises(DatasetDeclarationError) as err:
        load_declarations([("x/collectors.datasets.yaml", BASE_FILE.replace(old, new))])
    assert str(err.value).startswith("x/collectors.datasets.yaml") and named in str(err.value) and "Fix:" in str(err.value)


def test_a_dataset_declared_twice_is_refused():
    with pytest.raises(DatasetDeclarationError, match=r"ec2\.vpcs: is declared in a/datasets\.yaml too"):
        load_declarations(
            [
                ("a/datasets.yaml", BASE_FILE),
                ("b/datasets.yaml", BASE_FILE.split("collection_actions")[0] + BASE_FILE.split("\n", 2)[2]),
            ]
        )


def test_declarations_live_next_to_their_collectors_and_load_without_boto3():
    import subprocess
    import sys

    sources = {info.source for info in DATASETS.values()}
    assert sources == {
        "assess_lib/attestations/datasets.yaml",
        "assess_lib/aws/collectors.datasets.yaml",
        "assess_lib/aws/collectors_compute.datasets.yaml",
        "assess_lib/aws/collectors_crypto.datasets.yaml",
        "assess_lib/aws/collectors_detection.datasets.yaml",
        "assess_lib/aws/collectors_hosts.datasets.yaml",
        "assess_lib/aws/collectors_identity.datasets.yaml",
        "assess_lib/aws/collectors_inventory.datasets.yaml",
        "assess_lib/aws/collectors_logging.datasets.yaml",
        "assess_lib/aws/collectors_network.datasets.yaml",
        "assess_lib/aws/collectors_recovery.datasets.yaml",
        "assess_lib/aws/collectors_storage.datasets.yaml",
        "assess_lib/aws/collectors_thirdparty.datasets.yaml",
        "assess_lib/aws/collectors_topology.datasets.yaml",
        "assess_lib/dns/datasets.yaml",
    }
    # Each AWS file declares exactly the datasets its module's collectors produce.
    for info in DATASETS.values():
        if info.scope in AWS_SCOPES:
            module = COLLECTORS[info.name].__module__.rsplit(".", 1)[-1]
            assert info.source == f"assess_lib/aws/{module}.datasets.yaml", info.name
    code = (
        "import sys, assess_lib.datasets as d; assert d.DATASETS and 'boto3' not in sys.modules and 'botocore' not in sys.modules"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60).returncode == 0
    assert ds.permission_rows("en", ["s3:GetBucketAcl", "sts:AssumeRole"]) == [
        {
            "action": "s3:GetBucketAcl",
            "datasets": ["s3.trail_bucket_exposure", "s3.buckets"],
            "evidence": [DATASETS["s3.trail_bucket_exposure"].description_en, DATASETS["s3.buckets"].description_en],
        },
        {"action": "sts:AssumeRole", "datasets": [], "evidence": []},
    ]
