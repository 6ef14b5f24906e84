"""2.3.1 ①②③④⑤⑦ beyond the basics: hand-built evidence for each verdict, collectors against moto."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import make_bundle, run_one, verdicts

from assess_lib import evidence as ev
from assess_lib.demo.seed_identity import saml_metadata
from assess_lib.evidence import Bundle, CollectionError, DatasetRecord, EvidenceStore
from assess_lib.params import parse_params
from assess_lib.pipeline import collect, evaluate

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
OWN = "123456789012"


def ago(days):
    return (NOW - dt.timedelta(days=days)).isoformat()


def role(name, trust, **extra):
    return {
        "entity_type": "role",
        "name": name,
        "arn": f"arn:aws:iam::{OWN}:role/{name}",
        "path": "/",
        "trust_policy": trust,
        "attached_policies": [],
        "inline_policies": [],
        **extra,
    }


def trust(principal, condition=None, action="sts:AssumeRole"):
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def authz(tmp_path, rows, more=None):
    return make_bundle(tmp_path, {("iam.authorization_details", "global"): rows, **(more or {})}, started_at=NOW.isoformat())


def test_external_trust(tmp_path):
    rows = [
        role("with-id", trust({"AWS": "arn:aws:iam::210987654321:root"}, {"StringEquals": {"sts:ExternalId": "x"}})),
        role("without-id", trust({"AWS": "210987654321"})),
        role("anyone", trust({"AWS": "*"})),
        role("own", trust({"AWS": f"arn:aws:iam::{OWN}:root"})),
        role("lambda", trust({"Service": "lambda.amazonaws.com"})),
    ]
    found = verdicts(run_one("iam_external_trust_without_external_id", authz(tmp_path, rows)))
    assert found == {"role/with-id": "pass", "role/without-id": "fail", "role/anyone": "fail"}


def test_external_trust_none_is_not_applicable(tmp_path):
    rows = [role("own", trust({"AWS": f"arn:aws:iam::{OWN}:root"}))]
    assert [f.verdict.value for f in run_one("iam_external_trust_without_external_id", authz(tmp_path, rows))] == [
        "not_applicable"
    ]


def test_unused_roles(tmp_path):
    rows = [
        role("busy", {}, last_used=ago(3), create_date=ago(500)),
        role("idle", {}, last_used=ago(200), create_date=ago(500)),
        role("never", {}, last_used=None, create_date=ago(120)),
        role("fresh", {}, last_used=None, create_date=ago(5)),
        {**role("AWSServiceRoleForSupport", {}, last_used=None, create_date=ago(900)), "path": "/aws-service-role/support/"},
    ]
    found = verdicts(run_one("iam_unused_roles", authz(tmp_path, rows)))
    assert found == {"role/busy": "pass", "role/idle": "fail", "role/never": "fail", "role/fresh": "pass"}


def test_a_role_made_while_the_collection_ran_is_zero_days_old(tmp_path):
    """Created after the assessment's reference time (when collection started): 0 days old, never "-1 days"."""
    rows = [role("made-during-the-run", {}, last_used=None, create_date=(NOW + dt.timedelta(minutes=3)).isoformat())]
    [finding] = run_one("iam_unused_roles", authz(tmp_path, rows))
    assert finding.verdict.value == "pass"
    assert "created 0 days ago" in finding.message_en and "-1" not in finding.message_en


def report_user(name, console=True):
    return {"user": name, "password_enabled": "true" if console else "false", "mfa_active": "true"}


def test_shared_accounts(tmp_path):
    users = [report_user("tanaka.taro"), report_user("shared-admin"), report_user("ope01"), report_user("batch", console=False)]
    bundle = make_bundle(
        tmp_path,
        {("iam.credential_report", "global"): users, ("iam.authorization_details", "global"): []},
    )
    assert verdicts(run_one("iam_shared_accounts", bundle)) == {"tanaka.taro": "pass", "shared-admin": "fail", "ope01": "fail"}


def test_identity_center(tmp_path):
    users = [report_user("tanaka.taro")]
    enabled = make_bundle(
        tmp_path / "a",
        {
            ("iam.credential_report", "global"): users,
            ("sso.instances", "ap-northeast-1"): [{"instance_arn": "arn:aws:sso:::instance/x"}],
        },
    )
    assert run_one("iam_identity_center_usage", enabled)[0].verdict.value == "pass"
    # The emulator always has an instance: "not enabled" can only be built by hand.
    absent = make_bundle(tmp_path / "b", {("iam.credential_report", "global"): users, ("sso.instances", "ap-northeast-1"): []})
    assert run_one("iam_identity_center_usage", absent)[0].verdict.value == "fail"


def test_secrets_rotation(tmp_path):
    rows = [
        {"name": "rotating", "rotation_enabled": True, "rotation_days": 30, "last_rotated": ago(10)},
        {"name": "static", "rotation_enabled": False},
        {"name": "stuck", "rotation_enabled": True, "rotation_days": 30, "last_rotated": ago(200)},
    ]
    bundle = make_bundle(tmp_path, {("secretsmanager.secrets", "ap-northeast-1"): rows}, started_at=NOW.isoformat())
    assert verdicts(run_one("secrets_rotation", bundle)) == {"rotating": "pass", "static": "fail", "stuck": "fail"}


def trail(name, **extra):
    return {
        "name": name,
        "arn": f"arn:{name}",
        "home_region": "ap-northeast-1",
        "is_multi_region": True,
        "s3_bucket": "b",
        "log_file_validation": True,
        "kms_key_id": None,
        "cloudwatch_logs_group": None,
        **extra,
    }


def test_cloudwatch_and_kms(tmp_path):
    trails = [trail("full", kms_key_id="arn:aws:kms:k", cloudwatch_logs_group="arn:aws:logs:g"), trail("bare")]
    bundle = make_bundle(tmp_path, {("cloudtrail.trails", "ap-northeast-1"): trails})
    assert verdicts(run_one("cloudtrail_cloudwatch_logs", bundle)) == {"full": "pass", "bare": "fail"}
    assert verdicts(run_one("cloudtrail_kms_encryption", bundle)) == {"full": "pass", "bare": "fail"}


def test_bucket_tamper_resistance(tmp_path):
    rows = [
        {"bucket": "locked", "object_lock": True, "retention_mode": "COMPLIANCE", "retention_days": 2555, "mfa_delete": False},
        {"bucket": "mfa", "object_lock": False, "mfa_delete": True},
        {"bucket": "plain", "object_lock": False, "mfa_delete": False, "versioning": "Enabled"},
        {"bucket": "elsewhere", "error_kind": "access_denied", "error_code": "AccessDenied", "error_message": "no"},
    ]
    bundle = make_bundle(
        tmp_path, {("cloudtrail.trails", "ap-northeast-1"): [trail("t")], ("s3.trail_bucket_protection", "global"): rows}
    )
    assert verdicts(run_one("cloudtrail_bucket_tamper_resistance", bundle)) == {
        "locked": "pass",
        "mfa": "pass",
        "plain": "fail",
        "elsewhere": "error",
    }


def test_saml_certificates(tmp_path):
    rows = [
        {"name": "good", "certificate_expiries": [(NOW + dt.timedelta(days=300)).isoformat()]},
        {"name": "soon", "certificate_expiries": [(NOW + dt.timedelta(days=10)).isoformat()]},
        {"name": "expired", "certificate_expiries": [(NOW - dt.timedelta(days=1)).isoformat()]},
        {"name": "unreadable", "certificate_expiries": []},
    ]
    bundle = make_bundle(tmp_path, {("iam.saml_providers", "global"): rows}, started_at=NOW.isoformat())
    assert verdicts(run_one("iam_saml_provider_certificates", bundle)) == {
        "good": "pass",
        "soon": "fail",
        "expired": "fail",
        "unreadable": "manual",
    }


def test_federated_role_conditions(tmp_path):
    saml = f"arn:aws:iam::{OWN}:saml-provider/ADFS"
    gh = f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"
    rows = [
        role("saml-ok", trust({"Federated": saml}, {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}})),
        role("saml-open", trust({"Federated": saml})),
        role(
            "gh-ok",
            trust(
                {"Federated": gh},
                {
                    "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                    "StringLike": {"token.actions.githubusercontent.com:sub": "repo:bank/app:*"},
                },
            ),
        ),
        role(
            "gh-any-repo",
            trust({"Federated": gh}, {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}),
        ),
    ]
    oidc = [{"arn": gh, "url": "https://token.actions.githubusercontent.com", "client_ids": ["sts.amazonaws.com"]}]
    bundle = authz(tmp_path, rows, {("iam.oidc_providers", "global"): oidc})
    assert verdicts(run_one("iam_federated_role_conditions", bundle)) == {
        "role/saml-ok": "pass",
        "role/saml-open": "fail",
        "role/gh-ok": "pass",
        "role/gh-any-repo": "fail",
    }


def test_identity_collectors_against_moto(aws, tmp_path):
    iam = aws.client("iam", "us-east-1")
    expiry = dt.datetime.now(dt.UTC) + dt.timedelta(days=200)
    iam.create_saml_provider(Name="ADFS", SAMLMetadataDocument=saml_metadata("adfs.example.jp", expiry))
    iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["b" * 40]
    )
    iam.create_role(RoleName="Vendor", AssumeRolePolicyDocument=json.dumps(trust({"AWS": "arn:aws:iam::210987654321:root"})))
    sm = aws.client("secretsmanager", "ap-northeast-1")
    sm.create_secret(Name="api-key", SecretString="x")
    s3 = aws.client("s3", "ap-northeast-1")
    s3.create_bucket(
        Bucket="locked-logs", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}, ObjectLockEnabledForBucket=True
    )
    s3.put_object_lock_configuration(
        Bucket="locked-logs",
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 400}},
        },
    )
    aws.client("cloudtrail", "ap-northeast-1").create_trail(Name="org-trail", S3BucketName="locked-logs", IsMultiRegionTrail=True)
    params = parse_params({"customer": "テスト", "aws": {"regions": ["ap-northeast-1"]}, "dns": {"domains": []}})
    bundle = collect(params, tmp_path / "run", endpoint_url=aws.url, max_attempts=2)
    saml = bundle.rows("iam.saml_providers", bundle.accounts[0])
    assert saml[0]["name"] == "ADFS" and saml[0]["certificate_expiries"][0][:10] == expiry.date().isoformat()
    assert bundle.rows("iam.oidc_providers", bundle.accounts[0])[0]["client_ids"] == ["sts.amazonaws.com"]
    protection = bundle.rows("s3.trail_bucket_protection", bundle.accounts[0])
    assert protection[0]["object_lock"] is True and protection[0]["retention_days"] == 400
    found = {(f.check_id, f.resource): f.verdict.value for f in evaluate(bundle).findings}
    assert found[("iam_saml_provider_certificates", "ADFS")] == "pass"
    assert found[("iam_external_trust_without_external_id", "role/Vendor")] == "fail"
    assert found[("secrets_rotation", "api-key")] == "fail"
    assert found[("cloudtrail_bucket_tamper_resistance", "locked-logs")] == "pass"


# --- contractor access: the institution's own accounts are not third parties (issue 10, point 11) ---------------

INFO = "345678901234"  # a second account of the institution, assessed in the same run
CONTRACTOR = "210987654321"  # an account outside the assessment: a third party


def in_account(aws, account_id, role_name):
    """boto3 clients inside another emulated account, through sts:AssumeRole as the kit itself enters it."""
    import boto3

    creds = aws.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role_name}", RoleSessionName="test")
    creds = creds["Credentials"]
    session = boto3.Session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    return lambda service, region="us-east-1": session.client(service, region_name=region, endpoint_url=aws.url)


def two_account_run(aws, tmp_path, info_roles):
    """Collect the caller's account and INFO through the role Audit; ``info_roles`` name -> trust policy in INFO."""
    iam = aws.client("iam", "us-east-1")
    iam.create_role(RoleName="Audit", AssumeRolePolicyDocument=json.dumps(trust({"AWS": f"arn:aws:iam::{OWN}:root"})))
    info_iam = in_account(aws, INFO, "Audit")("iam")
    for name, policy in info_roles.items():
        info_iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(policy))
    params = parse_params(
        {
            "customer": "テスト",
            "aws": {"regions": ["ap-northeast-1"], "accounts": [OWN, INFO], "role_name": "Audit"},
            "dns": {"domains": []},
        }
    )
    return collect(params, tmp_path / "run", endpoint_url=aws.url, max_attempts=2)


def trust_findings(bundle, account_id):
    return {
        f.resource: f
        for f in evaluate(bundle).findings
        if f.check_id == "iam_external_trust_without_external_id" and f.account_id == account_id
    }


def test_role_trusted_by_an_assessed_account_is_not_third_party_access(aws, tmp_path):
    """The demo's 情報系 account: the kit's own read-only role, trusted by the bank's assessing account, is no finding."""
    bundle = two_account_run(
        aws,
        tmp_path,
        {
            "Audit": trust({"AWS": f"arn:aws:iam::{OWN}:root"}),  # the kit's role, trusted by an assessed account
            "Vendor": trust({"AWS": f"arn:aws:iam::{CONTRACTOR}:root"}),
            "Mixed": trust({"AWS": [f"arn:aws:iam::{OWN}:root", CONTRACTOR]}),
        },
    )
    found = trust_findings(bundle, INFO)
    assert {name: f.verdict.value for name, f in found.items()} == {
        "role/Audit": "pass",
        "role/Vendor": "fail",
        "role/Mixed": "fail",
    }
    assert "not third-party access" in found["role/Audit"].message_en and "第三者" in found["role/Audit"].message_ja
    assert OWN in found["role/Audit"].message_en
    for name in ("role/Vendor", "role/Mixed"):
        # The finding names the account outside the institution's, and only that one.
        assert found[name].details["external_accounts"] == [CONTRACTOR]
        assert f"{CONTRACTOR}, outside the institution's own accounts ({OWN}, {INFO})" in found[name].message_en
        assert f"自組織外のアカウント（{CONTRACTOR}）" in found[name].message_ja
        assert found[name].severity == "high"
    # The caller's account: its role trusts only itself, so nothing crosses an account boundary.
    assert [f.verdict.value for f in trust_findings(bundle, OWN).values()] == ["not_applicable"]


def test_external_trust_missing_evidence_is_error(tmp_path):
    denied = CollectionError(ev.ACCESS_DENIED, "AccessDenied", "not authorized to perform iam:GetAccountAuthorizationDetails")
    findings = run_one(
        "iam_external_trust_without_external_id", make_bundle(tmp_path, {("iam.authorization_details", "global"): denied})
    )
    assert [f.verdict.value for f in findings] == ["error"]
    assert findings[0].details["error_kind"] == ev.ACCESS_DENIED


def test_organisation_accounts_are_not_third_parties(tmp_path):
    """A bundle that lists the AWS Organization's accounts: a trust of one of them, even outside the scope, is internal.

    Hand-built: the emulator's organisation listing would put every account in scope, so the
    difference between scope and organisation can only be built by hand."""
    store = EvidenceStore(run_id="test-run", started_at=NOW.isoformat())
    sibling = "456789012345"  # the institution's, in its organisation, not assessed in this run
    store.meta = {"accounts": [OWN], "regions": {OWN: ["ap-northeast-1"]}, "organization_accounts": [OWN, sibling]}
    rows = [
        role("shared-services", trust({"AWS": f"arn:aws:iam::{sibling}:root"})),
        role("org-wide", trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}})),
        role("session", trust({"AWS": f"arn:aws:sts::{sibling}:assumed-role/Ops/alice"})),
        role("vendor", trust({"AWS": CONTRACTOR})),
    ]
    store.put(DatasetRecord("iam.authorization_details", OWN, "global", "ok", rows=rows))
    store.save(tmp_path / "run", NOW.isoformat())
    findings = run_one("iam_external_trust_without_external_id", Bundle.load(tmp_path / "run"))
    assert verdicts(findings) == {
        "role/shared-services": "pass",
        "role/org-wide": "pass",
        "role/session": "pass",
        "role/vendor": "fail",
    }
    vendor = next(f for f in findings if f.resource == "role/vendor")
    assert vendor.details["external_accounts"] == [CONTRACTOR] and sibling in vendor.message_en


# --- the new contract (issue 12): every check seen passing, failing, with nothing to assess, and without evidence ---

DENIED = CollectionError(ev.ACCESS_DENIED, "AccessDenied", "User is not authorized")
TOKYO, OSAKA = "ap-northeast-1", "ap-northeast-3"
IDENTITY_CHECKS = {
    "iam_external_trust_without_external_id": ["2.3.1-1", "2.6-9"],  # 2.6-9 since issue 15 (third parties)
    "iam_unused_roles": ["2.3.1-1"],
    "iam_shared_accounts": ["2.3.1-2"],
    "iam_identity_center_usage": ["2.3.1-2"],
    "secrets_rotation": ["2.3.1-3"],
    "cloudtrail_cloudwatch_logs": ["2.3.1-4"],
    "cloudtrail_kms_encryption": ["2.3.1-4"],
    "cloudtrail_bucket_tamper_resistance": ["2.3.1-4", "2.5.2.2-1"],  # 2.5.2.2-1 since issue 15 (evidence preservation)
    "iam_saml_provider_certificates": ["2.3.1-7"],
    "iam_federated_role_conditions": ["2.3.1-7"],
}


def test_the_catalogue_maps_each_check_to_the_items_its_decorator_named():
    """The catalogue alone says which items a check serves: exactly what the decorators said before the move."""
    from assess_lib.checks import registry

    specs = registry()
    assert {c: list(specs[c].controls) for c in IDENTITY_CHECKS} == IDENTITY_CHECKS
    assert all(specs[c].record.module == "s2_3_1_identity" for c in IDENTITY_CHECKS), "moved to a record file"


def test_record_parameters_keep_the_defaults_of_the_former_thresholds_file():
    """90 days (CIS AWS Foundations) and 30 days: the defaults thresholds.yaml gave, now the records' own."""
    from assess_lib.checks import registry
    from assess_lib.thresholds import DEFAULT_THRESHOLDS

    specs = registry()
    assert dict(specs["iam_unused_roles"].parameters) == {"unused_credential_days": 90}
    assert dict(specs["iam_saml_provider_certificates"].parameters) == {"certificate_expiry_warning_days": 30}
    assert DEFAULT_THRESHOLDS["unused_credential_days"] == 90 and DEFAULT_THRESHOLDS["certificate_expiry_warning_days"] == 30


# Evidence complete and holding nothing a check applies to: (datasets, resource and English message of the finding).
NOTHING = {
    "iam_external_trust_without_external_id": (
        {("iam.authorization_details", "global"): [role("svc", trust({"Service": "ec2.amazonaws.com"}))]},
        "IAM roles",
        "No IAM role can be assumed from another account.",
    ),
    "iam_unused_roles": (
        {("iam.authorization_details", "global"): [{**role("AWSServiceRoleForSupport", {}), "path": "/aws-service-role/x/"}]},
        "IAM roles",
        "There are no IAM roles.",
    ),
    "iam_shared_accounts": (
        {
            ("iam.credential_report", "global"): [report_user("<root_account>"), report_user("batch", console=False)],
            ("iam.authorization_details", "global"): [],
        },
        "IAM users",
        "No IAM user has a console password.",
    ),
    "iam_identity_center_usage": (
        {("iam.credential_report", "global"): [report_user("batch", console=False)], ("sso.instances", TOKYO): []},
        "IAM Identity Center",
        "No IAM user signs in to the console and IAM Identity Center is not enabled (no human access).",
    ),
    "secrets_rotation": ({("secretsmanager.secrets", TOKYO): []}, "Secrets Manager", "There are no Secrets Manager secrets."),
    "cloudtrail_bucket_tamper_resistance": (
        {("cloudtrail.trails", TOKYO): [], ("s3.trail_bucket_protection", "global"): []},
        "CloudTrail",
        "There is no trail, so no log bucket.",
    ),
    "iam_saml_provider_certificates": (
        {("iam.saml_providers", "global"): []},
        "SAML providers",
        "There are no SAML identity providers.",
    ),
    "iam_federated_role_conditions": (
        {
            ("iam.authorization_details", "global"): [role("own", trust({"AWS": f"arn:aws:iam::{OWN}:root"}))],
            ("iam.oidc_providers", "global"): [],
        },
        "federated roles",
        "No IAM role trusts an external identity provider.",
    ),
}


@pytest.mark.parametrize("check_id", sorted(NOTHING))
def test_nothing_to_assess_is_one_not_applicable_finding(tmp_path, check_id):
    data, resource, message = NOTHING[check_id]
    findings = run_one(check_id, make_bundle(tmp_path, data, started_at=NOW.isoformat()))
    assert [(f.verdict.value, f.resource, f.region, f.message_en) for f in findings] == [
        ("not_applicable", resource, "global", message)
    ]
    assert findings[0].message_ja and findings[0].severity == "info"


@pytest.mark.parametrize("check_id", ["cloudtrail_cloudwatch_logs", "cloudtrail_kms_encryption"])
def test_no_trail_at_all_fails(tmp_path, check_id):
    """These two always apply: an account without a trail fails, once every region was read."""
    findings = run_one(check_id, make_bundle(tmp_path, {("cloudtrail.trails", TOKYO): []}))
    assert [(f.verdict.value, f.resource, f.severity, f.message_en) for f in findings] == [
        ("fail", "CloudTrail", "high", "There is no CloudTrail trail.")
    ]


@pytest.mark.parametrize("check_id", sorted(IDENTITY_CHECKS))
def test_missing_evidence_is_an_error_and_never_a_verdict(tmp_path, check_id):
    """Every dataset of the check refused (in both regions for a regional one): errors naming it, nothing else."""
    from assess_lib.checks import registry
    from assess_lib.datasets import DATASETS, REGIONAL_SCOPE

    data = {
        (name, region): DENIED
        for name in registry()[check_id].datasets
        for region in ([TOKYO, OSAKA] if DATASETS[name].scope == REGIONAL_SCOPE else ["global"])
    }
    findings = run_one(check_id, make_bundle(tmp_path, data, regions=[TOKYO, OSAKA]))
    assert findings and {f.verdict.value for f in findings} == {"error"}
    assert {f.resource for f in findings} <= set(registry()[check_id].datasets)
    assert all(f.details["error_kind"] == ev.ACCESS_DENIED for f in findings)


def test_secrets_a_denied_region_is_an_error_beside_the_other_regions_verdicts(tmp_path):
    """Region by region: Osaka refused is an error in Osaka; Tokyo's secrets are judged all the same."""
    rows = [{"name": "static", "rotation_enabled": False}]
    bundle = make_bundle(
        tmp_path,
        {("secretsmanager.secrets", TOKYO): rows, ("secretsmanager.secrets", OSAKA): DENIED},
        regions=[TOKYO, OSAKA],
    )
    found = [(f.verdict.value, f.resource, f.region) for f in run_one("secrets_rotation", bundle)]
    assert found == [("fail", "static", TOKYO), ("error", "secretsmanager.secrets", OSAKA)]
    # Both regions empty but one unread: never "there are no secrets".
    empty = make_bundle(
        tmp_path / "b", {("secretsmanager.secrets", TOKYO): [], ("secretsmanager.secrets", OSAKA): DENIED}, regions=[TOKYO, OSAKA]
    )
    assert [f.verdict.value for f in run_one("secrets_rotation", empty)] == ["error"]


def test_secrets_messages_name_the_interval(tmp_path):
    rows = [
        {"name": "rotating", "rotation_enabled": True, "rotation_days": 30, "last_rotated": ago(10)},
        {"name": "stuck", "rotation_enabled": True, "rotation_days": 30, "last_rotated": ago(200)},
        {"name": "scheduled", "rotation_enabled": True, "rotation_days": None, "last_rotated": ago(10)},
    ]
    bundle = make_bundle(tmp_path, {("secretsmanager.secrets", TOKYO): rows}, started_at=NOW.isoformat())
    found = {f.resource: f for f in run_one("secrets_rotation", bundle)}
    assert found["rotating"].message_en == "Secret rotating rotates automatically (every 30 days)."
    assert found["stuck"].message_en == "Secret stuck should rotate every 30 days but was last rotated 200 days ago."
    assert (
        found["stuck"].message_ja
        == "シークレット stuck はローテーション設定（30日）がありますが、200日間ローテーションされていません。"
    )
    assert found["scheduled"].verdict.value == "pass" and "-" not in found["scheduled"].message_en
    assert all(f.region == TOKYO for f in found.values())


def test_unused_credential_days_is_a_parameter_quoted_from_its_value(tmp_path):
    """The params file's thresholds override the record's default by name; messages and remediation quote it."""
    from assess_lib.checks import registry

    rows = [role("monthly", {}, last_used=ago(45), create_date=ago(500))]
    default = run_one("iam_unused_roles", authz(tmp_path / "a", rows))
    assert [(f.verdict.value, f.message_en) for f in default] == [
        ("pass", "IAM role monthly was used 45 days ago (limit 90 days).")
    ]
    strict = run_one("iam_unused_roles", authz(tmp_path / "b", rows), {"unused_credential_days": 30})
    assert [(f.verdict.value, f.severity) for f in strict] == [("fail", "low")]
    assert strict[0].message_en == (
        "IAM role monthly has not been used for 45 days (limit 30 days). Delete it if it is no longer needed."
    )
    assert "（上限 30日）" in strict[0].message_ja and "90" not in strict[0].message_ja
    spec = registry()["iam_unused_roles"]
    assert "30日を超えて" in spec.remediation("ja", {"unused_credential_days": 30})
    assert "unused for more than 90 days" in spec.remediation("en")


def test_unused_roles_messages_per_case(tmp_path):
    rows = [
        role("never", {}, last_used=None, create_date=ago(120)),
        role("fresh", {}, last_used=None, create_date=ago(5)),
        role("undated", {}, last_used=None, create_date=None),
    ]
    found = {f.resource: f for f in run_one("iam_unused_roles", authz(tmp_path, rows))}
    assert found["role/never"].message_en == (
        "IAM role never has never been used in the 120 days since it was created (limit 90 days). "
        "Delete it if it is no longer needed."
    )
    assert found["role/fresh"].message_en == "IAM role fresh was created 5 days ago, within the 90-day limit."
    assert found["role/undated"].verdict.value == "fail" and "None" not in found["role/undated"].message_en


def test_a_role_used_during_the_collection_is_not_used_a_negative_number_of_days_ago(tmp_path):
    """Fixed: the kit's own role, used after collection started, read "was used -1 days ago"."""
    rows = [role("FsaAssessmentReadOnly", {}, last_used=(NOW + dt.timedelta(minutes=3)).isoformat(), create_date=ago(400))]
    [finding] = run_one("iam_unused_roles", authz(tmp_path, rows))
    assert finding.verdict.value == "pass" and finding.details["last_used_days"] == 0
    assert finding.message_en == "IAM role FsaAssessmentReadOnly was used within the last day."
    assert finding.message_ja == "IAMロール FsaAssessmentReadOnly は過去1日以内に使用されています。"


def test_identity_center_counts_console_users_in_good_english(tmp_path):
    """Fixed: one console user read "(1 IAM users still sign in to the console)"."""
    sso = {("sso.instances", TOKYO): [{"instance_arn": "arn:aws:sso:::instance/x"}]}
    one = make_bundle(tmp_path / "a", {("iam.credential_report", "global"): [report_user("kato.misaki")], **sso})
    [finding] = run_one("iam_identity_center_usage", one)
    assert finding.message_en.endswith("(1 IAM user still signs in to the console).")
    assert finding.details["console_users"] == ["kato.misaki"]
    two = make_bundle(tmp_path / "b", {("iam.credential_report", "global"): [report_user("a.b"), report_user("c.d")], **sso})
    assert run_one("iam_identity_center_usage", two)[0].message_en.endswith("(2 IAM users still sign in to the console).")
    alone = make_bundle(tmp_path / "c", {("iam.credential_report", "global"): [report_user("a.b")], ("sso.instances", TOKYO): []})
    [failing] = run_one("iam_identity_center_usage", alone)
    assert failing.verdict.value == "fail" and "1 IAM user signs in with long-lived credentials" in failing.message_en


def test_identity_center_in_a_readable_region_passes_beside_the_unreadable_one(tmp_path):
    users = [report_user("tanaka.taro")]
    bundle = make_bundle(
        tmp_path,
        {
            ("iam.credential_report", "global"): users,
            ("sso.instances", TOKYO): [{"instance_arn": "arn:aws:sso:::instance/x"}],
            ("sso.instances", OSAKA): DENIED,
        },
        regions=[TOKYO, OSAKA],
    )
    assert [(f.verdict.value, f.region) for f in run_one("iam_identity_center_usage", bundle)] == [
        ("error", OSAKA),
        ("pass", "global"),
    ]
    # Not found in Tokyo, Osaka unread: whether it is enabled is unknown, so no verdict at all.
    unknown = make_bundle(
        tmp_path / "b",
        {("iam.credential_report", "global"): users, ("sso.instances", TOKYO): [], ("sso.instances", OSAKA): DENIED},
        regions=[TOKYO, OSAKA],
    )
    assert [f.verdict.value for f in run_one("iam_identity_center_usage", unknown)] == ["error"]


def test_an_unreadable_log_bucket_names_the_permissions_for_the_appendix(tmp_path):
    """Fixed: the error for a log bucket whose settings were refused carried no error kind or permission, so the
    report's missing-permission appendix did not list the actions to grant."""
    rows = [{"bucket": "central-logs", "error_kind": "access_denied", "error_code": "AccessDenied", "error_message": "no"}]
    bundle = make_bundle(tmp_path, {("cloudtrail.trails", TOKYO): [trail("t")], ("s3.trail_bucket_protection", "global"): rows})
    [finding] = run_one("cloudtrail_bucket_tamper_resistance", bundle)
    assert finding.verdict.value == "error" and finding.severity == "info"
    assert finding.details["error_kind"] == "access_denied"
    assert (
        finding.details["missing_permission"]
        == "s3:GetBucketVersioning, s3:GetBucketObjectLockConfiguration, s3:GetLifecycleConfiguration"
    )
    assert finding.message_en == (
        "The tamper protection of log bucket central-logs could not be read (AccessDenied: no). "
        "Required permissions: s3:GetBucketVersioning, s3:GetBucketObjectLockConfiguration, s3:GetLifecycleConfiguration"
    )


def test_bucket_protection_unread_is_an_error_beside_nothing_else(tmp_path):
    bundle = make_bundle(tmp_path, {("cloudtrail.trails", TOKYO): [trail("t")], ("s3.trail_bucket_protection", "global"): DENIED})
    findings = run_one("cloudtrail_bucket_tamper_resistance", bundle)
    assert [(f.verdict.value, f.resource) for f in findings] == [("error", "s3.trail_bucket_protection")]


def test_bucket_tamper_messages(tmp_path):
    rows = [
        {"bucket": "locked", "object_lock": True, "retention_mode": "COMPLIANCE", "retention_days": 2555, "mfa_delete": False},
        {"bucket": "plain", "object_lock": False, "mfa_delete": False, "versioning": "Disabled"},
        {"bucket": "no-default", "object_lock": True, "retention_mode": None, "retention_days": None, "mfa_delete": False},
    ]
    bundle = make_bundle(tmp_path, {("cloudtrail.trails", TOKYO): [trail("t")], ("s3.trail_bucket_protection", "global"): rows})
    found = {f.resource: f for f in run_one("cloudtrail_bucket_tamper_resistance", bundle)}
    assert found["locked"].message_en == "Log bucket locked has S3 Object Lock (mode COMPLIANCE, retention 2555 days)."
    assert found["plain"].details["versioning"] == "Disabled" and found["plain"].severity == "high"
    # Object Lock without a default retention: a pass as before, without "mode -, retention - days".
    assert found["no-default"].verdict.value == "pass" and "mode -" not in found["no-default"].message_en
    assert found["no-default"].message_ja == (
        "ログ保存先バケット no-default はオブジェクトロックが有効です（既定の保持期間は設定されていません）。"
    )


def test_certificate_expiry_warning_days_is_a_parameter_quoted_from_its_value(tmp_path):
    rows = [{"name": "idp", "certificate_expiries": [(NOW + dt.timedelta(days=45, hours=1)).isoformat()]}]
    bundle = make_bundle(tmp_path, {("iam.saml_providers", "global"): rows}, started_at=NOW.isoformat())
    [default] = run_one("iam_saml_provider_certificates", bundle)
    assert default.verdict.value == "pass"
    assert default.message_en == "SAML provider idp's signing certificate is valid until 2026-12-16."
    [early] = run_one("iam_saml_provider_certificates", bundle, {"certificate_expiry_warning_days": 60})
    assert (early.verdict.value, early.severity) == ("fail", "medium")
    assert early.message_en == (
        "SAML provider idp's signing certificate expires in 45 days (2026-12-16), within the 60-day warning period; renew it."
    )
    assert "残り60日以内" in early.message_ja and early.details["expires"].startswith("2026-12-16T")


def test_saml_expired_and_unreadable_messages(tmp_path):
    rows = [
        {"name": "expired", "certificate_expiries": [(NOW - dt.timedelta(days=1)).isoformat()]},
        {"name": "unreadable", "certificate_expiries": ["not a date"]},
    ]
    bundle = make_bundle(tmp_path, {("iam.saml_providers", "global"): rows}, started_at=NOW.isoformat())
    found = {f.resource: f for f in run_one("iam_saml_provider_certificates", bundle)}
    assert (found["expired"].severity, found["expired"].message_en) == (
        "high",
        "SAML provider expired's signing certificate expired on 2026-10-31.",
    )
    assert (
        found["unreadable"].verdict.value == "manual"
        and "有効期限はメタデータからは判断できません" in found["unreadable"].message_ja
    )


def test_federated_failure_names_the_missing_conditions(tmp_path):
    gh = f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"
    rows = [role("gh-open", trust({"Federated": gh}))]
    oidc = [{"arn": gh, "url": "https://token.actions.githubusercontent.com", "client_ids": ["sts.amazonaws.com"]}]
    [finding] = run_one("iam_federated_role_conditions", authz(tmp_path, rows, {("iam.oidc_providers", "global"): oidc}))
    assert finding.details["missing_conditions"] == (
        "token.actions.githubusercontent.com:aud, token.actions.githubusercontent.com:sub"
    )
    assert finding.message_en.startswith(
        "IAM role gh-open trusts an external identity provider without the condition(s) token.actions.githubusercontent.com:aud, "
    )
    assert finding.details["providers"] == [gh] and finding.severity == "high"


def test_external_trust_any_account_is_critical(tmp_path):
    [finding] = run_one("iam_external_trust_without_external_id", authz(tmp_path, [role("anyone", trust({"AWS": "*"}))]))
    assert (finding.verdict.value, finding.severity) == ("fail", "critical")
    assert finding.message_en == 'IAM role anyone can be assumed by any AWS account (Principal "*").'


def test_federated_trust_in_an_unregistered_provider_fails_in_the_readers_language(tmp_path):
    """A role trusting an OIDC provider the account does not have fails (as before); the Japanese sentence
    says so in Japanese (it quoted an English "(unknown provider ...)" fragment)."""
    other = f"arn:aws:iam::{OWN}:oidc-provider/oidc.example.jp"
    gh = f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"
    rows = [
        role("stale", trust({"Federated": other}, {"StringEquals": {"oidc.example.jp:aud": "bank"}})),
        role("stale-open", trust({"Federated": other})),
    ]
    oidc = [{"arn": gh, "url": "https://token.actions.githubusercontent.com", "client_ids": ["sts.amazonaws.com"]}]
    found = {
        f.resource: f
        for f in run_one("iam_federated_role_conditions", authz(tmp_path, rows, {("iam.oidc_providers", "global"): oidc}))
    }
    assert {r: f.verdict.value for r, f in found.items()} == {"role/stale": "fail", "role/stale-open": "fail"}
    stale, both = found["role/stale"], found["role/stale-open"]
    assert stale.details["unknown_providers"] == "oidc.example.jp" and "missing_conditions" not in stale.details
    assert (
        "not registered in this account" in stale.message_en and "登録されていないOpenID Connectプロバイダー" in stale.message_ja
    )
    assert both.details["missing_conditions"] == "oidc.example.jp:aud"
    assert "without the condition(s) oidc.example.jp:aud" in both.message_en and "oidc.example.jp" in both.message_ja
    assert all("unknown provider" not in f.message_ja for f in found.values())
