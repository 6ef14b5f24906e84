"""2.3.1 ①②③④⑤⑦ beyond the basics: hand-built evidence for each verdict, collectors against moto."""

from __future__ import annotations

import datetime as dt
import json

from conftest import make_bundle, run_one, verdicts

from assess_lib import evidence as ev
from assess_lib.demo.seed_identity import saml_metadata
from assess_lib.evidence import Bundle, CollectionError, DatasetRecord, EvidenceStore
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
