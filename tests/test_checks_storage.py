"""2.3.3 ② ⓐ data stores: S3 encryption and public access, access logging, data events on critical buckets,
DynamoDB and EFS encryption.

Pass and fail come from the shared demo run (``demo_cli_run``: moto in server mode, collected through the command
line), the collectors' finer points from the emulator directly (the ``aws`` fixture, one dataset at a time), and
nothing-to-assess, missing evidence and what the emulator cannot show from hand-built bundles.
"""

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from conftest import ACCOUNT, make_bundle, run_one, verdicts

from assess_lib.aws.collectors import AccountContext
from assess_lib.aws.collectors_storage import s3_data_events
from assess_lib.aws.session import ClientFactory
from assess_lib.checks import registry
from assess_lib.checks.runner import run_check
from assess_lib.evidence import ACCESS_DENIED, Bundle, CollectionError, EvidenceStore
from assess_lib.params import ParamsError, parse_params
from assess_lib.thresholds import DEFAULT_THRESHOLDS

TOKYO, OSAKA = "ap-northeast-1", "ap-northeast-3"
INFO = "345678901234"
BLOCK_ALL = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)


@pytest.fixture(scope="module")
def demo(demo_cli_run) -> Bundle:
    return Bundle.load(demo_cli_run)


def demo_verdicts(bundle: Bundle, check_id: str, account: str = ACCOUNT) -> dict[str, str]:
    findings = run_check(registry()[check_id], bundle, account, dict(DEFAULT_THRESHOLDS), None)
    return {f.resource: f.verdict.value for f in findings}


def bucket(name, **extra):
    return {"bucket": name, "region": TOKYO, "trail_bucket": False, "error_kind": None, "tags": {}, **extra}


def buckets_bundle(tmp_path, rows, account_block=None, **more):
    return make_bundle(
        tmp_path,
        {
            ("s3.buckets", "global"): rows,
            ("s3.account_public_access_block", "global"): [{"account_id": ACCOUNT, "account_block": account_block}],
            **more,
        },
    )


# --- the demo: collected from the emulator -----------------------------------------------------------------


def test_demo_collects_buckets_once_per_setting(demo):
    rows = {r["bucket"]: r for r in demo.rows("s3.buckets", ACCOUNT)}
    # A CloudTrail log bucket's exposure and protection are the trail datasets': not asked again.
    trail = rows["demo-bank-cloudtrail-logs"]
    assert trail["trail_bucket"] is True and "acl_public" not in trail and "object_lock" not in trail
    assert rows["demo-bank-dr-trail-logs"]["region"] == OSAKA
    site = rows["demo-bank-public-site"]
    assert site["website"] and site["policy_is_public"] and site["logging_target"] == "demo-bank-access-logs"
    assert rows["demo-bank-customer-data"]["encryption"] == "aws:kms"
    assert rows["demo-bank-customer-data"]["tags"] == {"DataClassification": "confidential", "Criticality": "critical"}
    assert rows["demo-bank-backup-exports"]["object_lock"] and rows["demo-bank-backup-exports"]["retention_mode"] == "COMPLIANCE"
    # One call per bucket and setting (S3 has no bulk call): 4 for a trail bucket, 10 for another (its policy
    # included, for the third-party register), one more for the region (the emulator's listing does not name it),
    # plus the listing.
    entry = demo.entry("s3.buckets", ACCOUNT)
    assert entry["calls"] == 1 + 5 * 2 + 11 * (len(rows) - 2)
    assert demo.rows("s3.account_public_access_block", ACCOUNT) == [{"account_id": ACCOUNT, "account_block": None}]
    assert demo.rows("s3.account_public_access_block", INFO)[0]["account_block"] == BLOCK_ALL


def test_demo_collects_tables_file_systems_and_data_events(demo):
    tables = {t["table_name"]: t for t in demo.rows("dynamodb.tables", ACCOUNT, TOKYO)}
    assert tables["demo-bank-accounts"]["sse_type"] == "KMS" and tables["demo-bank-accounts"]["pitr_enabled"]
    assert tables["demo-bank-sessions"]["sse_type"] == "AWS_OWNED" and not tables["demo-bank-sessions"]["pitr_enabled"]
    assert demo.entry("dynamodb.tables", ACCOUNT, TOKYO)["calls"] == 1 + 3 * len(tables)
    assert [f["encrypted"] for f in demo.rows("efs.file_systems", ACCOUNT, OSAKA)] == [False]
    assert demo.entry("efs.file_systems", ACCOUNT, OSAKA)["calls"] == 1
    selectors = demo.rows("cloudtrail.event_selectors", ACCOUNT, TOKYO)
    assert [s["s3_data_resources"] for s in selectors] == [["arn:aws:s3:::demo-bank-customer-data/"]]


def test_demo_data_checks_pass_and_fail(demo):
    assert demo_verdicts(demo, "s3_default_encryption") == {
        "demo-bank-cloudtrail-logs": "pass",
        "demo-bank-dr-trail-logs": "pass",
        "demo-bank-access-logs": "pass",
        "demo-bank-customer-data": "pass",
        "demo-bank-loan-archive": "fail",
        "demo-bank-public-site": "pass",
        "demo-bank-campaign-site": "pass",
        "demo-bank-backup-exports": "pass",
        # the other areas' buckets (load balancer and CloudFront logs, AWS Config): S3's default encryption
        "demo-bank-elb-logs": "pass",
        "demo-bank-cdn-logs": "pass",
        "demo-bank-config-123456789012": "pass",
    }
    public = demo_verdicts(demo, "s3_public_access")
    assert public["demo-bank-public-site"] == "fail" and public["demo-bank-customer-data"] == "pass"
    assert "demo-bank-cloudtrail-logs" not in public  # judged by cloudtrail_bucket_not_public
    assert "demo-bank-access-logs" not in public  # private, without its own Block Public Access: no result
    assert demo_verdicts(demo, "s3_public_access", INFO) == {"S3": "pass"}  # account-wide Block Public Access
    assert demo_verdicts(demo, "s3_access_logging") == {"demo-bank-public-site": "pass", "demo-bank-campaign-site": "fail"}
    assert demo_verdicts(demo, "s3_critical_data_events") == {"demo-bank-customer-data": "pass", "demo-bank-loan-archive": "fail"}
    assert demo_verdicts(demo, "dynamodb_encryption") == {"demo-bank-accounts": "pass", "demo-bank-sessions": "fail"}
    assert demo_verdicts(demo, "efs_encryption") == {"demo-bank-shared": "pass", "demo-bank-dr-share": "fail"}


def test_demo_findings_name_the_classification_and_the_region(demo):
    findings = run_check(registry()["s3_default_encryption"], demo, ACCOUNT, dict(DEFAULT_THRESHOLDS), None)
    loan = next(f for f in findings if f.resource == "demo-bank-loan-archive")
    assert loan.region == TOKYO and loan.severity == "high"
    assert "confidential" in loan.message_en and "DataClassification" in loan.message_ja
    public = next(
        f
        for f in run_check(registry()["s3_public_access"], demo, ACCOUNT, dict(DEFAULT_THRESHOLDS), None)
        if f.verdict.value == "fail"
    )
    assert public.resource == "demo-bank-public-site" and "policy" in public.message_en


# --- collectors against the emulator, one dataset at a time ------------------------------------------------------


def collect_one(aws, name, region="global"):
    store = EvidenceStore(run_id="storage", started_at=dt.datetime.now(dt.UTC).isoformat())
    ctx = AccountContext(ACCOUNT, ClientFactory(boto3.Session(), aws.url, 2), store, [TOKYO])
    return ctx.dataset(name, region)


def test_bucket_acl_and_account_block_from_the_emulator(aws):
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="open-acl", CreateBucketConfiguration={"LocationConstraint": TOKYO}, ACL="public-read")
    record = collect_one(aws, "s3.buckets")
    assert record.ok, record
    (row,) = record.rows
    assert row["acl_public"] and row["region"] == TOKYO and row["encryption"] is None and row["versioning"] == "Disabled"
    assert collect_one(aws, "s3.account_public_access_block").rows[0]["account_block"] is None
    # s3control names the account in its host name; the kit's clients reach the emulator all the same.
    control = ClientFactory(boto3.Session(), aws.url, 2).client("s3control", "us-east-1")
    control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=BLOCK_ALL)
    assert collect_one(aws, "s3.account_public_access_block").rows[0]["account_block"] == BLOCK_ALL


def test_advanced_data_event_selectors_from_the_emulator(aws):
    aws.client("s3").create_bucket(Bucket="trail-logs", CreateBucketConfiguration={"LocationConstraint": TOKYO})
    trail = aws.client("cloudtrail")
    trail.create_trail(Name="data", S3BucketName="trail-logs")
    trail.put_event_selectors(
        TrailName="data",
        AdvancedEventSelectors=[
            {
                "Name": "vault objects",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::vault/"]},
                ],
            }
        ],
    )
    record = collect_one(aws, "cloudtrail.event_selectors", TOKYO)
    assert record.ok, record
    (row,) = record.rows
    assert row["advanced"] and row["s3_data_resources"] == ["arn:aws:s3:::vault/"]
    assert row["s3_data_events"] == [{"include": ["arn:aws:s3:::vault/"], "exclude": [], "read": True, "write": True}]


def test_data_events_read_every_selector_form():
    basic = {
        "EventSelectors": [
            {
                "ReadWriteType": "WriteOnly",
                "DataResources": [
                    {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]},
                    {"Type": "AWS::Lambda::Function", "Values": ["x"]},
                ],
            }
        ]
    }
    assert s3_data_events(basic) == [{"include": ["arn:aws:s3"], "exclude": [], "read": False, "write": True}]
    data = [{"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}]
    but = [
        *data,
        {"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::scratch/"]},
        {"Field": "readOnly", "Equals": ["true"]},
    ]
    every = {"AdvancedEventSelectors": [{"FieldSelectors": data}, {"FieldSelectors": but}]}
    assert s3_data_events(every) == [
        {"include": ["arn:aws:s3"], "exclude": [], "read": True, "write": True},
        {"include": ["arn:aws:s3"], "exclude": ["arn:aws:s3:::scratch/"], "read": True, "write": False},
    ]
    management = {"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]}
    assert s3_data_events(management) == []


# --- hand-built evidence: rules the demo does not show, nothing to assess, missing evidence --------------------


def test_encryption_rules(tmp_path):
    rows = [
        bucket("plain"),
        bucket("sse-s3", encryption="AES256"),
        bucket("secret-s3", encryption="AES256", tags={"dataclassification": "Restricted"}),
        bucket("secret-kms", encryption="aws:kms:dsse", tags={"DataClassification": "restricted"}),
        {
            "bucket": "elsewhere",
            "region": None,
            "trail_bucket": False,
            "error_kind": ACCESS_DENIED,
            "error_code": "AccessDenied",
            "error_message": "no",
        },
    ]
    found = run_one("s3_default_encryption", buckets_bundle(tmp_path, rows))
    assert verdicts(found) == {"plain": "fail", "sse-s3": "pass", "secret-s3": "fail", "secret-kms": "pass", "elsewhere": "error"}
    unreadable = next(f for f in found if f.resource == "elsewhere")
    assert "s3:GetEncryptionConfiguration" in unreadable.details["missing_permission"]
    # The classification values are a parameter: "restricted" no longer asks for KMS.
    relaxed = verdicts(
        run_one("s3_default_encryption", buckets_bundle(tmp_path / "b", rows), {"kms_required_classifications": "secret"})
    )
    assert relaxed["secret-s3"] == "pass"


def test_public_access_rules(tmp_path):
    rows = [
        bucket("by-acl", acl_public=True, policy_is_public=False, bucket_block=None),
        bucket("acl-ignored", acl_public=True, bucket_block={**dict.fromkeys(BLOCK_ALL, False), "IgnorePublicAcls": True}),
        bucket("private", acl_public=False, policy_is_public=False, bucket_block=None),
        bucket("trail", trail_bucket=True),
    ]
    assert verdicts(run_one("s3_public_access", buckets_bundle(tmp_path, rows))) == {"by-acl": "fail"}
    # Account-wide RestrictPublicBuckets and IgnorePublicAcls stop a public policy and ACL: nothing is public,
    # but Block Public Access is not fully on, which is one lower-severity finding for the account.
    partial = {**dict.fromkeys(BLOCK_ALL, True), "BlockPublicPolicy": False}
    findings = run_one(
        "s3_public_access", buckets_bundle(tmp_path / "b", [bucket("p", policy_is_public=True, acl_public=True)], partial)
    )
    assert [(f.resource, f.verdict.value, f.severity) for f in findings] == [("S3", "fail", "medium")]
    assert verdicts(run_one("s3_public_access", buckets_bundle(tmp_path / "c", rows, BLOCK_ALL))) == {"S3": "pass"}


def events(include, exclude=(), read=True, write=True):
    return {"include": list(include), "exclude": list(exclude), "read": read, "write": write}


def test_critical_data_events_rules(tmp_path):
    rows = [
        bucket("crit-all", tags={"Criticality": "critical"}),
        bucket("crit-prefix", tags={"Criticality": "critical"}),
        bucket("crit-osaka", region=OSAKA, tags={"Criticality": "high"}),
        bucket("crit-writes", tags={"criticality": "Critical"}),
        bucket("crit-excluded", tags={"Criticality": "critical"}),
        bucket("ordinary"),
    ]
    trail = {"name": "t", "arn": "arn:t", "home_region": TOKYO, "is_multi_region": False}
    selected = [
        events(["arn:aws:s3:::crit-all/", "arn:aws:s3:::crit-prefix/only/"]),
        events(["arn:aws:s3:::crit-writes/"], read=False),
        events(["arn:aws:s3"], exclude=["arn:aws:s3:::crit-excluded/"]),
    ]
    selectors = [{"name": "t", "arn": "arn:t", "advanced": True, "s3_data_resources": [], "s3_data_events": selected}]

    def bundle(folder, status=True, buckets=rows):
        return make_bundle(
            tmp_path / folder,
            {
                ("s3.buckets", "global"): buckets,
                ("cloudtrail.trails", TOKYO): [trail],
                ("cloudtrail.trail_status", TOKYO): [{"name": "t", "arn": "arn:t", "is_logging": status}],
                ("cloudtrail.event_selectors", TOKYO): selectors,
            },
        )

    # The third selector takes in every bucket but one, so crit-prefix is whole after all; a single-region
    # trail does not see Osaka; write events alone are part of the access.
    findings = run_one("s3_critical_data_events", bundle("a"))
    assert verdicts(findings) == {
        "crit-all": "pass",
        "crit-prefix": "pass",
        "crit-osaka": "fail",
        "crit-writes": "pass",
        "crit-excluded": "fail",
    }
    selectors[0]["s3_data_events"] = selected[:2]
    findings = run_one("s3_critical_data_events", bundle("b"))
    assert verdicts(findings) == {
        "crit-all": "pass",
        "crit-prefix": "fail",
        "crit-osaka": "fail",
        "crit-writes": "fail",
        "crit-excluded": "fail",
    }
    partial = next(f for f in findings if f.resource == "crit-writes")
    assert "only the write" in partial.message_en and "書き込みイベント" in partial.message_ja
    # A stopped trail records nothing.
    assert verdicts(run_one("s3_critical_data_events", bundle("c", status=False, buckets=rows[:1]))) == {"crit-all": "fail"}


def test_access_logging_on_public_buckets(tmp_path):
    rows = [bucket("open", policy_is_public=True, logging_target=None), bucket("closed", policy_is_public=False)]
    findings = run_one("s3_access_logging", buckets_bundle(tmp_path, rows))
    assert verdicts(findings) == {"open": "fail"} and "public" in findings[0].message_en


def test_dynamodb_encryption_follows_the_classification(tmp_path):
    tables = [
        {"table_name": "open", "sse_type": "AWS_OWNED", "tags": {}},
        {"table_name": "secret", "sse_type": "AWS_OWNED", "tags": {"DataClassification": "Confidential"}},
        {"table_name": "keyed", "sse_type": "KMS", "tags": {"DataClassification": "confidential"}},
    ]
    bundle = make_bundle(tmp_path, {("dynamodb.tables", TOKYO): tables})
    assert verdicts(run_one("dynamodb_encryption", bundle)) == {"open": "pass", "secret": "fail", "keyed": "pass"}
    custom = {"classification_tag_key": "Sensitivity", "kms_required_classifications": "high"}
    assert verdicts(run_one("dynamodb_encryption", bundle, custom))["secret"] == "pass"


NONE_CASES = {
    "s3_default_encryption": {("s3.buckets", "global"): []},
    "s3_access_logging": {
        ("s3.buckets", "global"): [bucket("quiet")],
        ("s3.account_public_access_block", "global"): [{"account_id": ACCOUNT, "account_block": None}],
    },
    "s3_critical_data_events": {("s3.buckets", "global"): [bucket("quiet")]},
    "dynamodb_encryption": {("dynamodb.tables", TOKYO): []},
    "efs_encryption": {("efs.file_systems", TOKYO): []},
}


@pytest.mark.parametrize("check_id", sorted(NONE_CASES))
def test_nothing_to_assess(tmp_path, check_id):
    findings = run_one(check_id, make_bundle(tmp_path, NONE_CASES[check_id]))
    assert [f.verdict.value for f in findings] == ["not_applicable"]


MISSING = {
    "s3_default_encryption": "s3.buckets",
    "s3_public_access": "s3.account_public_access_block",
    "s3_access_logging": "s3.buckets",
    "s3_critical_data_events": "s3.buckets",
    "dynamodb_encryption": "dynamodb.tables",
    "efs_encryption": "efs.file_systems",
}


@pytest.mark.parametrize("check_id", sorted(MISSING))
def test_missing_evidence_is_an_error_never_a_verdict(tmp_path, check_id):
    dataset = MISSING[check_id]
    region = TOKYO if dataset in ("dynamodb.tables", "efs.file_systems") else "global"
    denied = CollectionError(ACCESS_DENIED, "AccessDenied", "not allowed", 1)
    datasets = {
        **NONE_CASES.get(check_id, {}),
        ("s3.buckets", "global"): [bucket("b", policy_is_public=True)],
        (dataset, region): denied,
    }
    findings = run_one(check_id, make_bundle(tmp_path, datasets))
    assert findings and {f.verdict.value for f in findings} == {"error"}


def test_critical_bucket_with_unread_trails_has_no_verdict(tmp_path):
    denied = CollectionError(ACCESS_DENIED, "AccessDenied", "not allowed", 1)
    bundle = make_bundle(
        tmp_path,
        {
            ("s3.buckets", "global"): [bucket("crit", tags={"Criticality": "critical"})],
            ("cloudtrail.trails", TOKYO): [],
            ("cloudtrail.trail_status", TOKYO): [],
            ("cloudtrail.event_selectors", TOKYO): denied,
        },
    )
    assert [f.verdict.value for f in run_one("s3_critical_data_events", bundle)] == ["error"]


def test_text_parameters_in_the_params_file():
    base = {"customer": "テスト銀行", "aws": {"regions": [TOKYO]}, "dns": {"domains": []}}
    params = parse_params({**base, "thresholds": {"classification_tag_key": "Sensitivity"}})
    assert params.thresholds["classification_tag_key"] == "Sensitivity"
    with pytest.raises(ParamsError, match=r"thresholds\.classification_tag_key"):
        parse_params({**base, "thresholds": {"classification_tag_key": 3}})
    with pytest.raises(ParamsError, match=r"thresholds\.critical_tag_values"):
        parse_params({**base, "thresholds": {"critical_tag_values": "x" * 1001}})
