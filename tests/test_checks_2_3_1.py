"""Every 2.3.1 check on hand-built evidence: at least one pass and one fail, and error on missing evidence.

Hand-built evidence is used for what the emulator cannot produce (the root row of the credential
report, root MFA, CloudTrail shadow trails); the collectors are tested against moto in test_collect.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import make_bundle, run_all_items, run_one, verdicts

from assess_lib.evidence import CollectionError

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


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
    findings = run_all_items("iam_root_access_keys", iam_bundle(tmp_path / "b", [], root=bad_root))
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


# --- nothing to assess: the runner's "none" message, only on complete evidence -------------------------


@pytest.mark.parametrize(
    "check_id, resource, fragment",
    [
        ("iam_access_key_age", "access keys", "No IAM user has an active access key."),
        ("iam_multiple_active_keys", "access keys", "No IAM user has an active access key."),
        ("iam_unused_credentials", "IAM users", "No IAM user has an active credential."),
    ],
)
def test_users_without_credentials_are_not_applicable(tmp_path, check_id, resource, fragment):
    # "idle" has neither a console password nor an active key; the root row is never assessed as a user.
    findings = run_one(check_id, iam_bundle(tmp_path, [user("idle", access_key_1_last_rotated=ago(900))]))
    assert [(f.resource, f.verdict.value) for f in findings] == [(resource, "not_applicable")]
    assert findings[0].message_en == fragment and findings[0].message_ja


def test_admin_privileges_without_principals_is_not_applicable(tmp_path):
    rows = [entity("role", "AWSServiceRoleForX", inline=[("all", STAR)], path="/aws-service-role/x/")]
    findings = run_one("iam_admin_privileges", make_bundle(tmp_path, {("iam.authorization_details", "global"): rows}))
    assert [(f.resource, f.verdict.value) for f in findings] == [("IAM principals", "not_applicable")]
    assert "no IAM users, groups or roles" in findings[0].message_en


def test_trail_bucket_without_trails_is_not_applicable(tmp_path):
    bundle = trail_bundle(tmp_path, {}, {}, {("s3.trail_bucket_exposure", "global"): []})
    findings = run_one("cloudtrail_bucket_not_public", bundle)
    assert [(f.resource, f.verdict.value) for f in findings] == [("CloudTrail", "not_applicable")]
    assert findings[0].message_en == "There is no trail, so no log bucket."


def test_trail_bucket_with_an_unreadable_region_is_error_not_not_applicable(tmp_path):
    # A trail may be listed in the region that could not be read: "no log bucket" would be a guess.
    denied = CollectionError("access_denied", "AccessDenied", "User is not authorized")
    bundle = trail_bundle(
        tmp_path, {}, {}, {("cloudtrail.trails", "ap-northeast-1"): denied, ("s3.trail_bucket_exposure", "global"): []}
    )
    findings = run_one("cloudtrail_bucket_not_public", bundle)
    assert [(f.resource, f.verdict.value) for f in findings] == [("cloudtrail.trails", "error")]


def test_unreadable_log_bucket_names_the_cause_and_permissions_in_both_languages(tmp_path):
    t = trail("main", "ap-northeast-1", bucket="central")
    rows = [{"bucket": "central", "error_kind": "access_denied", "error_code": "AccessDenied", "error_message": "denied"}]
    bundle = trail_bundle(tmp_path, {"ap-northeast-1": [t]}, {}, {("s3.trail_bucket_exposure", "global"): rows})
    [finding] = run_one("cloudtrail_bucket_not_public", bundle)
    assert finding.verdict.value == "error" and finding.severity == "info"
    assert finding.message_en.startswith("The public exposure of log bucket central could not be read (AccessDenied: denied)")
    assert "s3:GetBucketAcl" in finding.message_en and "s3:GetBucketAcl" in finding.message_ja
    assert "公開設定を取得できませんでした" in finding.message_ja
    # Like any missing evidence: its kind, code and the permissions behind it (the report's permission appendix).
    assert finding.details["error_kind"] == "access_denied" and finding.details["error_code"] == "AccessDenied"
    assert finding.details["missing_permission"].split(", ") == [
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketAcl",
        "s3:GetAccountPublicAccessBlock",
    ]


# --- parameters: thresholds overridable by name and quoted from their values in force ---------------------


def test_parameter_defaults_are_the_documented_thresholds():
    from assess_lib.checks import registry
    from assess_lib.thresholds import DEFAULT_THRESHOLDS

    for check_id in ALL_CHECKS:
        for name, default in registry()[check_id].parameters.items():
            assert DEFAULT_THRESHOLDS[name] == default, (check_id, name)
    assert registry()["iam_access_key_age"].parameters == {"access_key_max_age_days": 90}
    assert registry()["iam_unused_credentials"].parameters == {"unused_credential_days": 90}


def test_thresholds_in_force_are_quoted_in_messages(tmp_path):
    old = user(
        "old",
        password_enabled="true",
        password_last_used=ago(40),
        access_key_1_active="true",
        access_key_1_last_rotated=ago(40),
        access_key_1_last_used_date=ago(1),
    )
    bundle = iam_bundle(tmp_path, [old])
    [age] = run_one("iam_access_key_age", bundle, {"access_key_max_age_days": 30})
    assert age.verdict.value == "fail" and "(limit 30)" in age.message_en and "上限 30日" in age.message_ja
    assert age.details["age_days"] == 40
    [unused] = run_one("iam_unused_credentials", bundle, {"unused_credential_days": 30})
    assert unused.verdict.value == "fail"
    assert "unused for more than 30 days: password (unused for 40 days)." in unused.message_en
    assert "30日を超えて使われていない" in unused.message_ja and "パスワード（40日間未使用）" in unused.message_ja
    # The defaults (90 days) pass the same credentials, and say so with their own numbers.
    [age] = run_one("iam_access_key_age", bundle)
    assert age.verdict.value == "pass" and "(limit 90)" in age.message_en
    [unused] = run_one("iam_unused_credentials", bundle)
    assert unused.verdict.value == "pass" and "more than 90 days" in unused.message_en


def test_remediation_quotes_the_parameters_in_force():
    from assess_lib.checks import registry

    key_age = registry()["iam_access_key_age"]
    assert "90日を超えた" in key_age.remediation("ja") and "older than 90 days" in key_age.remediation("en")
    assert "30日を超えた" in key_age.remediation("ja", {"access_key_max_age_days": 30})
    assert "90" not in key_age.remediation("en", {"access_key_max_age_days": 30})
    unused = registry()["iam_unused_credentials"].remediation("ja", {"unused_credential_days": 45})
    assert "45日を超えて" in unused and "90" not in unused
    policy = registry()["iam_password_policy"]
    assert "最小14文字" in policy.remediation("ja") and "24世代" in policy.remediation("ja")
    custom = policy.remediation("en", {"password_min_length": 12, "password_reuse_prevention": 5, "password_max_age_days": 60})
    assert "12+ characters" in custom and "5 remembered passwords" in custom and "60 days" in custom
    assert "14" not in custom and "24" not in custom


STRONG = {
    "MinimumPasswordLength": 14,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "PasswordReusePrevention": 24,
}


def test_password_policy_pass_quotes_the_requirements_and_expiry_can_be_waived(tmp_path):
    bundle = make_bundle(tmp_path, {("iam.password_policy", "global"): [STRONG]})  # no MaxPasswordAge
    [finding] = run_one("iam_password_policy", bundle)
    assert finding.verdict.value == "fail" and finding.details["gaps"] == ["max_age"]
    assert finding.message_en == "The password policy falls short: maximum age none (needs 90 days or less)."
    assert finding.message_ja == "パスワードポリシーが要件を満たしていません: 有効期限 なし（90日以内が必要）。"
    [finding] = run_one("iam_password_policy", bundle, {"require_password_max_age": False, "password_min_length": 12})
    assert finding.verdict.value == "pass"
    assert "at least 12 characters" in finding.message_en and "maximum age is not required" in finding.message_en
    assert "最小12文字" in finding.message_ja


def test_password_policy_names_every_gap_in_each_language(tmp_path):
    weak = {"MinimumPasswordLength": 8, "RequireNumbers": True, "PasswordReusePrevention": 3, "MaxPasswordAge": 365}
    [finding] = run_one("iam_password_policy", make_bundle(tmp_path, {("iam.password_policy", "global"): [weak]}))
    assert finding.details["gaps"] == [
        "min_length",
        "uppercase_not_required",
        "lowercase_not_required",
        "symbols_not_required",
        "reuse_prevention",
        "max_age",
    ]
    assert finding.details["MinimumPasswordLength"] == 8  # the policy itself stays in the details
    assert finding.message_ja == (
        "パスワードポリシーが要件を満たしていません: 最小文字数 8（14以上が必要）、大文字を必須としていない、"
        "小文字を必須としていない、記号を必須としていない、再利用禁止 3世代（24世代以上が必要）、有効期限 365（90日以内が必要）。"
    )
    assert "minimum length 8 (needs 14 or more), upper-case letters not required" in finding.message_en
    assert "maximum age 365 (needs 90 days or less)." in finding.message_en


def test_password_policy_missing_is_a_high_failure(tmp_path):
    [finding] = run_one("iam_password_policy", make_bundle(tmp_path, {("iam.password_policy", "global"): []}))
    assert (finding.verdict.value, finding.severity) == ("fail", "high")


# --- messages read in the reader's language ------------------------------------------------------------------


def test_stale_credentials_are_listed_in_each_language(tmp_path):
    both = user(
        "both",
        password_enabled="true",
        password_last_used=ago(200),
        access_key_1_active="true",
        access_key_1_last_rotated=ago(300),
    )
    [finding] = run_one("iam_unused_credentials", iam_bundle(tmp_path, [both]))
    assert finding.details["stale"] == ["password_unused", "access_key_never_used"]
    assert "password (unused for 200 days), access key 1 (never used in 300 days). Disable them." in finding.message_en
    assert "パスワード（200日間未使用）、アクセスキー1（発行後300日間一度も未使用）。無効化してください。" in finding.message_ja


def test_public_log_bucket_names_how_in_the_readers_language(tmp_path):
    # The Japanese message said "（ACL, bucket policy）" in English before the move to the record.
    t = trail("main", "ap-northeast-1", bucket="open")
    rows = [{"bucket": "open", "account_block": None, "bucket_block": None, "acl_public": True, "policy_is_public": True}]
    bundle = trail_bundle(tmp_path, {"ap-northeast-1": [t]}, {}, {("s3.trail_bucket_exposure", "global"): rows})
    [finding] = run_one("cloudtrail_bucket_not_public", bundle)
    assert (finding.verdict.value, finding.severity) == ("fail", "critical")
    assert finding.message_ja == "CloudTrailログ保存先バケット open が公開されています（ACL、バケットポリシー）。"
    assert finding.message_en == "CloudTrail log bucket open is public (via ACL, bucket policy)."
    assert finding.details["via"] == ["acl", "bucket_policy"]


def test_admin_privileges_kind_and_severity(tmp_path):
    rows = [
        entity("group", "Admins", attached=["arn:aws:iam::aws:policy/AdministratorAccess"]),
        entity("role", "Ops", inline=[("all", STAR)], trust_policy=OPEN_TRUST, path="/"),
    ]
    findings = {
        f.resource: f
        for f in run_one("iam_admin_privileges", make_bundle(tmp_path, {("iam.authorization_details", "global"): rows}))
    }
    group, role = findings["group/Admins"], findings["role/Ops"]
    assert (group.severity, role.severity) == ("high", "medium")
    assert group.message_en.startswith("IAM group Admins has full administrator rights (AdministratorAccess)")
    assert group.message_ja.startswith("IAMグループ Admins に全リソースへの全操作を許可する管理者権限（AdministratorAccess）")
    assert role.message_ja.startswith("IAMロール Ops に") and group.details["policies"] == ["AdministratorAccess"]
    assert "IAM principals" not in findings  # no summary pass beside a failure


def test_every_region_covered_by_single_region_trails_still_fails_without_naming_regions(tmp_path):
    a, b = trail("a", "ap-northeast-1"), trail("b", "us-east-1")
    bundle = trail_bundle(
        tmp_path, {"ap-northeast-1": [a], "us-east-1": [b]}, {"ap-northeast-1": [status(a)], "us-east-1": [status(b)]}
    )
    [finding] = run_one("cloudtrail_multiregion_logging", bundle)
    assert finding.verdict.value == "fail" and finding.details["regions_without_logging"] == []
    assert finding.message_en == "No trail records API activity in every region: there is no multi-region trail."
    assert finding.message_ja == "全リージョンのAPI操作を記録する証跡がありません: マルチリージョン証跡がありません。"


def test_log_validation_without_trails_is_high(tmp_path):
    [finding] = run_one("cloudtrail_log_validation", trail_bundle(tmp_path, {}, {}))
    assert (finding.resource, finding.severity, finding.message_en) == ("CloudTrail", "high", "There is no CloudTrail trail.")


def test_access_key_of_unknown_age_fails_and_says_so(tmp_path):
    users = [user("mystery", access_key_1_active="true", access_key_1_last_rotated="N/A")]
    [finding] = run_one("iam_access_key_age", iam_bundle(tmp_path, users))
    assert (finding.resource, finding.verdict.value, finding.severity) == ("mystery (key 1)", "fail", "medium")
    assert finding.message_en == "The creation date of mystery (key 1) is unknown."
    assert finding.message_ja == "mystery (key 1) の作成日が不明です。"
    assert finding.details == {"age_days": None}
