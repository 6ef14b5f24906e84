"""Every 2.3.1 check on hand-built evidence: at least one pass and one fail, and error on missing evidence.

Hand-built evidence is used for what the emulator cannot produce (the root row of the credential
report, root MFA, CloudTrail shadow trails); the collectors are tested against moto in test_collect.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_bundle, run_one, verdicts

from assess_lib.evidence import CollectionError

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


def ago(days: int) -> str:
    return (NOW - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def user(name: str, **fields) -> dict:
    row = {
        "user": name,
        "arn": f"arn:aws:iam::123456789012:user/{name}",
        "user_creation_time": ago(400),
        "password_enabled": "false",
        "password_last_used": "not_supported",
        "password_last_changed": "N/A",
        "mfa_active": "false",
        "access_key_1_active": "false",
        "access_key_1_last_rotated": "N/A",
        "access_key_1_last_used_date": "N/A",
        "access_key_2_active": "false",
        "access_key_2_last_rotated": "N/A",
        "access_key_2_last_used_date": "N/A",
    }
    row.update(fields)
    return row


ROOT_OK = user("<root_account>", password_enabled="not_supported", mfa_active="true")
SUMMARY_OK = {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0}


def iam_bundle(tmp_path, users, summary=SUMMARY_OK, root=ROOT_OK):
    rows = ([root] if root else []) + users
    return make_bundle(
        tmp_path,
        {("iam.credential_report", "global"): rows, ("iam.account_summary", "global"): [summary]},
        started_at=NOW.isoformat(),
    )


# --- root ---------------------------------------------------------------------------------


def test_root_mfa_pass_and_fail(tmp_path):
    assert verdicts(run_one("iam_root_mfa", iam_bundle(tmp_path / "a", [])))["root"] == "pass"
    bad = iam_bundle(
        tmp_path / "b", [], summary={"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 0}, root=user("<root_account>")
    )
    findings = run_one("iam_root_mfa", bad)
    assert verdicts(findings)["root"] == "fail"
    assert findings[0].severity == "critical"
    assert findings[0].control_id == "2.3.1-5"


def test_root_access_keys_pass_and_fail(tmp_path):
    assert verdicts(run_one("iam_root_access_keys", iam_bundle(tmp_path / "a", [])))["root"] == "pass"
    bad_root = user("<root_account>", mfa_active="true", access_key_1_active="true")
    findings = run_one("iam_root_access_keys", iam_bundle(tmp_path / "b", [], root=bad_root))
    assert {f.control_id for f in findings} == {"2.3.1-1", "2.3.1-3"}
    assert all(f.verdict.value == "fail" for f in findings)
    # The account summary alone is enough evidence when the report has no root row.
    findings = run_one(
        "iam_root_access_keys",
        iam_bundle(tmp_path / "c", [], summary={"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 1}, root=None),
    )
    assert verdicts(findings)["root"] == "fail"


# --- users ----------------------------------------------------------------------------------


def test_console_mfa(tmp_path):
    users = [
        user("alice", password_enabled="true", mfa_active="true"),
        user("bob", password_enabled="true", mfa_active="false"),
        user("svc", access_key_1_active="true"),
    ]
    found = verdicts(run_one("iam_user_console_mfa", iam_bundle(tmp_path, users)))
    assert found == {"alice": "pass", "bob": "fail"}


def test_console_mfa_no_console_users_is_not_applicable(tmp_path):
    found = run_one("iam_user_console_mfa", iam_bundle(tmp_path, [user("svc")]))
    assert [f.verdict.value for f in found] == ["not_applicable"]


@pytest.mark.parametrize(
    "policy, expected, fragment",
    [
        (
            {
                "MinimumPasswordLength": 14,
                "RequireUppercaseCharacters": True,
                "RequireLowercaseCharacters": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
                "PasswordReusePrevention": 24,
                "MaxPasswordAge": 90,
            },
            "pass",
            "meets",
        ),
        ({"MinimumPasswordLength": 8, "RequireNumbers": True}, "fail", "minimum length 8"),
        (
            {
                "MinimumPasswordLength": 16,
                "RequireUppercaseCharacters": True,
                "RequireLowercaseCharacters": True,
                "RequireNumbers": True,
                "RequireSymbols": True,
                "PasswordReusePrevention": 5,
                "MaxPasswordAge": 90,
            },
            "fail",
            "reuse prevention 5",
        ),
        (None, "fail", "no password policy"),
    ],
)
def test_password_policy(tmp_path, policy, expected, fragment):
    bundle = make_bundle(tmp_path, {("iam.password_policy", "global"): [policy] if policy else []})
    findings = run_one("iam_password_policy", bundle)
    assert findings[0].verdict.value == expected
    assert fragment in findings[0].message_en


def test_password_policy_thresholds_are_configurable(tmp_path):
    policy = {
        "MinimumPasswordLength": 12,
        "RequireUppercaseCharacters": True,
        "RequireLowercaseCharacters": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "PasswordReusePrevention": 24,
        "MaxPasswordAge": 60,
    }
    bundle = make_bundle(tmp_path, {("iam.password_policy", "global"): [policy]})
    assert run_one("iam_password_policy", bundle)[0].verdict.value == "fail"
    assert run_one("iam_password_policy", bundle, {"password_min_length": 12})[0].verdict.value == "pass"


def test_access_key_age(tmp_path):
    users = [
        user("old", access_key_1_active="true", access_key_1_last_rotated=ago(120), access_key_1_last_used_date=ago(1)),
        user("new", access_key_1_active="true", access_key_1_last_rotated=ago(10), access_key_1_last_used_date=ago(1)),
        user("inactive", access_key_1_active="false", access_key_1_last_rotated=ago(900)),
    ]
    found = verdicts(run_one("iam_access_key_age", iam_bundle(tmp_path, users)))
    assert found == {"old (key 1)": "fail", "new (key 1)": "pass"}


def test_unused_credentials(tmp_path):
    users = [
        user("active", password_enabled="true", password_last_used=ago(5)),
        user("leaver", password_enabled="true", password_last_used=ago(200)),
        user("never", password_enabled="true", password_last_used="no_information", password_last_changed=ago(150)),
        user("stale-key", access_key_1_active="true", access_key_1_last_rotated=ago(300), access_key_1_last_used_date=ago(120)),
        user("unused-new-key", access_key_1_active="true", access_key_1_last_rotated=ago(20)),
    ]
    findings = run_one("iam_unused_credentials", iam_bundle(tmp_path, users))
    found = verdicts(findings)
    assert found == {"active": "pass", "leaver": "fail", "never": "fail", "stale-key": "fail", "unused-new-key": "pass"}
    never = next(f for f in findings if f.resource == "never")
    assert "never used" in never.message_en


def test_multiple_active_keys(tmp_path):
    users = [
        user(
            "two",
            access_key_1_active="true",
            access_key_2_active="true",
            access_key_1_last_rotated=ago(1),
            access_key_2_last_rotated=ago(1),
        ),
        user("one", access_key_1_active="true", access_key_1_last_rotated=ago(1)),
    ]
    assert verdicts(run_one("iam_multiple_active_keys", iam_bundle(tmp_path, users))) == {"two": "fail", "one": "pass"}


# --- privileges -------------------------------------------------------------------------------

STAR = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}
MFA_TRUST = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        }
    ]
}
OPEN_TRUST = {
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]
}


def entity(kind, name, attached=(), inline=(), **extra):
    return {
        "entity_type": kind,
        "name": name,
        "arn": f"arn:aws:iam::123456789012:{kind}/{name}",
        "attached_policies": list(attached),
        "inline_policies": [{"name": n, "document": d} for n, d in inline],
        **extra,
    }


def test_admin_privileges(tmp_path):
    rows = [
        entity("user", "admin-user", attached=["arn:aws:iam::aws:policy/AdministratorAccess"]),
        entity("user", "inline-star", inline=[("all", STAR)]),
        entity("user", "reader", inline=[("read", READ)]),
        entity("group", "custom-admins", attached=["arn:aws:iam::123456789012:policy/FullAccess"]),
        entity("role", "BreakGlass", attached=["arn:aws:iam::aws:policy/AdministratorAccess"], trust_policy=MFA_TRUST, path="/"),
        entity("role", "OpenAdmin", attached=["arn:aws:iam::aws:policy/AdministratorAccess"], trust_policy=OPEN_TRUST, path="/"),
        entity("role", "AWSServiceRoleForX", inline=[("all", STAR)], path="/aws-service-role/x/"),
        {"entity_type": "policy", "name": "FullAccess", "arn": "arn:aws:iam::123456789012:policy/FullAccess", "document": STAR},
    ]
    bundle = make_bundle(tmp_path, {("iam.authorization_details", "global"): rows})
    found = verdicts(run_one("iam_admin_privileges", bundle))
    assert found == {
        "user/admin-user": "fail",
        "user/inline-star": "fail",
        "group/custom-admins": "fail",
        "role/BreakGlass": "pass",
        "role/OpenAdmin": "fail",
    }


def test_admin_privileges_clean_account_passes(tmp_path):
    rows = [entity("user", "reader", inline=[("read", READ)]), entity("role", "app", attached=[], trust_policy=OPEN_TRUST)]
    findings = run_one("iam_admin_privileges", make_bundle(tmp_path, {("iam.authorization_details", "global"): rows}))
    assert [f.verdict.value for f in findings] == ["pass"]
    assert "None of 2" in findings[0].message_en


# --- CloudTrail ---------------------------------------------------------------------------------


def trail(name, home, multi=False, validation=True, bucket="logs"):
    return {
        "name": name,
        "arn": f"arn:aws:cloudtrail:{home}:123456789012:trail/{name}",
        "home_region": home,
        "is_multi_region": multi,
        "is_organization_trail": False,
        "include_global_events": True,
        "log_file_validation": validation,
        "s3_bucket": bucket,
        "kms_key_id": None,
        "cloudwatch_logs_group": None,
    }


def status(t, logging=True):
    return {"arn": t["arn"], "name": t["name"], "is_logging": logging}


def trail_bundle(tmp_path, trails_by_region, statuses_by_region, extra=None):
    data = {}
    for region in ("ap-northeast-1", "us-east-1"):
        data[("cloudtrail.trails", region)] = trails_by_region.get(region, [])
        data[("cloudtrail.trail_status", region)] = statuses_by_region.get(region, [])
    data.update(extra or {})
    return make_bundle(tmp_path, data, regions=["ap-northeast-1", "us-east-1"])


def test_multiregion_trail_logging_passes(tmp_path):
    org = trail("org", "us-east-1", multi=True)
    bundle = trail_bundle(tmp_path, {"ap-northeast-1": [org], "us-east-1": [org]}, {"us-east-1": [status(org)]})
    findings = run_one("cloudtrail_multiregion_logging", bundle)
    assert [f.verdict.value for f in findings] == ["pass"]


def test_single_region_trail_fails_and_names_uncovered_regions(tmp_path):
    local = trail("local", "ap-northeast-1")
    bundle = trail_bundle(tmp_path, {"ap-northeast-1": [local]}, {"ap-northeast-1": [status(local)]})
    findings = run_one("cloudtrail_multiregion_logging", bundle)
    assert findings[0].verdict.value == "fail"
    assert findings[0].details["regions_without_logging"] == ["us-east-1"]


def test_multiregion_trail_not_logging_fails(tmp_path):
    org = trail("org", "us-east-1", multi=True)
    bundle = trail_bundle(tmp_path, {"ap-northeast-1": [org], "us-east-1": [org]}, {"us-east-1": [status(org, logging=False)]})
    findings = run_one("cloudtrail_multiregion_logging", bundle)
    assert findings[0].verdict.value == "fail"
    assert "not logging" in findings[0].message_en


def test_log_validation(tmp_path):
    good, bad = trail("good", "ap-northeast-1"), trail("bad", "us-east-1", validation=False)
    bundle = trail_bundle(tmp_path, {"ap-northeast-1": [good], "us-east-1": [bad]}, {})
    assert verdicts(run_one("cloudtrail_log_validation", bundle)) == {"good": "pass", "bad": "fail"}


def test_log_validation_without_trails_fails(tmp_path):
    assert run_one("cloudtrail_log_validation", trail_bundle(tmp_path, {}, {}))[0].verdict.value == "fail"


BLOCK_ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def test_trail_bucket_exposure(tmp_path):
    t = trail("main", "ap-northeast-1", bucket="a")
    rows = [
        {"bucket": "public-acl", "account_block": None, "bucket_block": None, "acl_public": True, "policy_is_public": False},
        {"bucket": "blocked", "account_block": None, "bucket_block": BLOCK_ALL, "acl_public": True, "policy_is_public": False},
        {"bucket": "private", "account_block": None, "bucket_block": None, "acl_public": False, "policy_is_public": False},
        {
            "bucket": "public-policy",
            "account_block": {**BLOCK_ALL, "RestrictPublicBuckets": False},
            "bucket_block": None,
            "acl_public": False,
            "policy_is_public": True,
        },
        {"bucket": "other-account", "error_kind": "access_denied", "error_code": "AccessDenied", "error_message": "denied"},
    ]
    bundle = trail_bundle(tmp_path, {"ap-northeast-1": [t]}, {}, {("s3.trail_bucket_exposure", "global"): rows})
    found = verdicts(run_one("cloudtrail_bucket_not_public", bundle))
    assert found == {
        "public-acl": "fail",
        "blocked": "pass",
        "private": "pass",
        "public-policy": "fail",
        "other-account": "error",
    }


# --- missing evidence is never a verdict -----------------------------------------------------------

ALL_CHECKS = [
    "iam_root_mfa",
    "iam_root_access_keys",
    "iam_user_console_mfa",
    "iam_password_policy",
    "iam_access_key_age",
    "iam_unused_credentials",
    "iam_multiple_active_keys",
    "iam_admin_privileges",
    "cloudtrail_multiregion_logging",
    "cloudtrail_log_validation",
    "cloudtrail_bucket_not_public",
]


@pytest.mark.parametrize("check_id", ALL_CHECKS)
def test_missing_evidence_gives_error_with_cause(tmp_path, check_id):
    from assess_lib.checks import registry

    spec = registry()[check_id]
    denied = CollectionError("access_denied", "AccessDenied", "User is not authorized")
    bundle = make_bundle(
        tmp_path,
        {(name, "global"): denied for name in spec.datasets} | {(name, "ap-northeast-1"): denied for name in spec.datasets},
    )
    findings = run_one(check_id, bundle)
    assert findings and all(f.verdict.value == "error" for f in findings)
    assert "access denied" in findings[0].message_en and "AccessDenied" in findings[0].message_en


def test_evidence_never_collected_is_error(tmp_path):
    findings = run_one("iam_password_policy", make_bundle(tmp_path, {}))
    assert [f.verdict.value for f in findings] == ["error"]
    assert "not collected" in findings[0].message_en
