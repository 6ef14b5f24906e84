"""2.3.1 ①②③④⑤⑦ beyond the basics: hand-built evidence for each verdict, collectors against moto."""

from __future__ import annotations

import datetime as dt
import json

from conftest import make_bundle, run_one, verdicts

from assess_lib.demo.seed_identity import saml_metadata
from assess_lib.params import parse_params
from assess_lib.pipeline import collect, evaluate

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
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
    expiry = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=200)
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
