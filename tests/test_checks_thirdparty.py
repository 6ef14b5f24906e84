"""2.6 third parties: the external-access model, its collectors against the emulator, the checks both ways, the
register table.

One small estate in the emulator for the module (real collectors over HTTP); role dates are aged in the emulator's
process as the demo does. Hand-built evidence only for nothing to assess and missing evidence.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from conftest import ACCOUNT, make_bundle, run_one, verdicts

from assess_lib.aws.collectors import AccountContext
from assess_lib.aws.session import ClientFactory
from assess_lib.checks._external_access import external_grants, external_parties, external_parties_with_gaps
from assess_lib.demo.server import age_role, demo_credentials
from assess_lib.evidence import GLOBAL, Bundle, CollectionError, EvidenceStore
from assess_lib.report.third_parties import third_party_table

TOKYO = "ap-northeast-1"
VENDOR = "999988887777"
SISTER = "345678901234"  # another assessed account of the institution
OWN = {ACCOUNT, SISTER}
VENDOR_ISSUER = "https://oidc.eks.ap-northeast-1.amazonaws.com/id/0123456789ABCDEFVENDOR"
REGIONAL = [
    "kms.keys",
    "kms.key_policies",
    "sns.topic_policies",
    "sqs.queue_policies",
    "lambda.functions",
    "lambda.function_policies",
    "secretsmanager.secrets",
    "secretsmanager.secret_policies",
    "ecr.repositories",
    "ecr.repository_policies",
    "ram.resource_shares",
    "eks.clusters",
]
GLOBALS = [
    "organizations.accounts",
    "iam.authorization_details",
    "iam.saml_providers",
    "iam.oidc_providers",
    "s3.buckets",
    "organizations.delegated_administrators",
]


def _doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(principal, action, condition=None, **extra) -> dict:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*", **extra}
    if condition:
        statement["Condition"] = condition
    return statement


# --- the model ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statements", "org_id", "expected"),
    [
        # an outside account, with and without an external ID
        (
            [_allow({"AWS": f"arn:aws:iam::{VENDOR}:root"}, "sts:AssumeRole", {"StringEquals": {"sts:ExternalId": "x"}})],
            None,
            [(VENDOR, True)],
        ),
        ([_allow({"AWS": VENDOR}, "sts:AssumeRole")], None, [(VENDOR, False)]),
        # own accounts and AWS services are not third parties
        ([_allow({"AWS": f"arn:aws:iam::{SISTER}:role/ops"}, "sts:AssumeRole")], None, []),
        ([_allow({"Service": "lambda.amazonaws.com"}, "sts:AssumeRole")], None, []),
        # everyone: open, unless tied to the organisation, own accounts or the network
        ([_allow("*", "s3:GetObject")], None, [("*", False)]),
        ([_allow({"AWS": "*"}, "s3:GetObject", {"StringEquals": {"aws:PrincipalOrgID": "o-own"}})], "o-own", []),
        ([_allow("*", "s3:GetObject", {"StringEquals": {"aws:PrincipalOrgID": "o-other"}})], "o-own", [("o-other", False)]),
        ([_allow("*", "sns:Publish", {"StringEquals": {"AWS:SourceOwner": ACCOUNT}})], None, []),
        (
            [_allow("*", "sqs:SendMessage", {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:{TOKYO}:{VENDOR}:t"}})],
            None,
            [(VENDOR, False)],
        ),
        ([_allow("*", "s3:GetObject", {"StringEquals": {"aws:SourceVpce": "vpce-1"}})], None, []),
        ([_allow("*", "s3:GetObject", {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})], None, [("*", False)]),
        # Deny grants nothing; a Deny refusing everyone outside the organisation closes the Allow it covers
        ([{"Effect": "Deny", "Principal": {"AWS": VENDOR}, "Action": "s3:*", "Resource": "*"}], None, []),
        (
            [
                _allow("*", "s3:GetObject"),
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-own"}},
                },
            ],
            "o-own",
            [],
        ),
        # NotPrincipal with Allow lets in everyone but the named
        (
            [{"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}],
            None,
            [("*", False)],
        ),
    ],
)
def test_external_grants_read_policies_honestly(statements, org_id, expected):
    grants = external_grants({"Statement": statements}, OWN, org_id)
    assert [(g["party"], g["external_id_required"]) for g in grants] == expected


def test_external_grants_take_raw_and_broken_documents():
    assert external_grants(None, OWN) == [] and external_grants("not json", OWN) == []
    single = {"Statement": _allow({"AWS": [VENDOR, ACCOUNT]}, ["s3:PutObject", "s3:GetObject"])}
    assert [(g["party"], g["actions"]) for g in external_grants(single, OWN)] == [(VENDOR, ["s3:GetObject", "s3:PutObject"])]
    federated = external_grants(
        {"Statement": [_allow({"Federated": "accounts.google.com"}, "sts:AssumeRoleWithWebIdentity")]}, OWN
    )
    assert federated[0]["principal_type"] == "federated"


# --- the estate -------------------------------------------------------------------------------------------------


def _client(url: str, service: str, region: str = TOKYO):
    return boto3.client(service, region_name=region, endpoint_url=url, config=Config(retries={"max_attempts": 1}))


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def _seed(url: str) -> None:
    iam = _client(url, "iam", "us-east-1")
    vendor = {"AWS": f"arn:aws:iam::{VENDOR}:root"}
    iam.create_role(
        RoleName="vendor-ok",
        AssumeRolePolicyDocument=_doc(_allow(vendor, "sts:AssumeRole", {"StringEquals": {"sts:ExternalId": "e"}})),
    )
    iam.create_role(RoleName="vendor-stale", AssumeRolePolicyDocument=_doc(_allow(vendor, "sts:AssumeRole")))
    iam.create_role(RoleName="sister-ops", AssumeRolePolicyDocument=_doc(_allow({"AWS": SISTER}, "sts:AssumeRole")))
    lambda_role = iam.create_role(
        RoleName="fn", AssumeRolePolicyDocument=_doc(_allow({"Service": "lambda.amazonaws.com"}, "sts:AssumeRole"))
    )
    age_role(ACCOUNT, "vendor-ok", created_days_ago=300, last_used_days_ago=5)
    age_role(ACCOUNT, "vendor-stale", created_days_ago=400, last_used_days_ago=200)
    iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    # Pods of the institution's own EKS cluster assume a role through its OIDC issuer (not an outside party); a role
    # trusting another EKS cluster's issuer (a vendor's) is named by the whole issuer, not its last segment.
    eks = _client(url, "eks")
    eks.create_cluster(name="tp-core", roleArn=lambda_role["Role"]["Arn"], resourcesVpcConfig={})
    issuers = [eks.describe_cluster(name="tp-core")["cluster"]["identity"]["oidc"]["issuer"], VENDOR_ISSUER]
    for role, issuer in zip(("tp-pods", "tp-vendor-pods"), issuers, strict=True):
        provider = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["b" * 40])
        federated = {"Federated": provider["OpenIDConnectProviderArn"]}
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=_doc(_allow(federated, "sts:AssumeRoleWithWebIdentity")))

    s3 = _client(url, "s3")
    location = {"LocationConstraint": TOKYO}
    for bucket, principal in (("tp-shared", vendor), ("tp-internal", {"AWS": SISTER})):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration=location)
        s3.put_bucket_policy(
            Bucket=bucket, Policy=_doc({**_allow(principal, "s3:GetObject"), "Resource": f"arn:aws:s3:::{bucket}/*"})
        )
    s3.create_bucket(Bucket="tp-no-policy", CreateBucketConfiguration=location)

    kms = _client(url, "kms")
    shared_key = kms.create_key(Description="shared")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/tp-shared", TargetKeyId=shared_key)
    kms.put_key_policy(
        KeyId=shared_key,
        PolicyName="default",
        Policy=_doc(_allow({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "kms:*"), _allow(vendor, "kms:Decrypt")),
    )
    kms.create_key(Description="own only")  # moto's default policy: the account's root only

    _client(url, "sns").create_topic(Name="tp-topic")  # default policy: AWS:SourceOwner is the account
    queue = _client(url, "sqs").create_queue(QueueName="tp-open")["QueueUrl"]
    _client(url, "sqs").set_queue_attributes(QueueUrl=queue, Attributes={"Policy": _doc(_allow("*", "sqs:SendMessage"))})
    fn = _client(url, "lambda")
    fn.create_function(
        FunctionName="tp-fn",
        Runtime="python3.13",
        Role=lambda_role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": _zip()},
    )
    fn.add_permission(FunctionName="tp-fn", StatementId="vendor", Action="lambda:InvokeFunction", Principal=VENDOR)
    secret = _client(url, "secretsmanager").create_secret(Name="tp-secret", SecretString="x")["ARN"]
    _client(url, "secretsmanager").put_resource_policy(
        SecretId=secret, ResourcePolicy=_doc(_allow(vendor, "secretsmanager:GetSecretValue"))
    )
    _client(url, "ecr").create_repository(repositoryName="tp-repo")
    ram = _client(url, "ram")
    subnet_arn = f"arn:aws:ec2:{TOKYO}:{ACCOUNT}:subnet/subnet-12345678"
    ram.create_resource_share(name="to-vendor", principals=[VENDOR], allowExternalPrincipals=True)
    ram.create_resource_share(name="to-sister", principals=[SISTER])
    assert subnet_arn  # RAM shares need no resource in moto: the share itself is the resource named


@pytest.fixture(scope="module")
def estate(moto_server, tmp_path_factory) -> tuple[Bundle, Path]:
    """The estate collected once for the module through the real collectors."""
    moto_server.reset()
    folder = tmp_path_factory.mktemp("thirdparty") / "run"
    with demo_credentials():
        _seed(moto_server.url)
        store = EvidenceStore(run_id="thirdparty", started_at=dt.datetime.now(dt.UTC).isoformat())
        ctx = AccountContext(ACCOUNT, ClientFactory(boto3.Session(), moto_server.url, 2), store, [TOKYO])
        for name in GLOBALS:
            assert ctx.dataset(name).ok, name
        for name in REGIONAL:
            record = ctx.dataset(name, TOKYO)
            assert record.ok, (name, record.error_message)
    store.meta = {"accounts": [ACCOUNT, SISTER], "regions": {ACCOUNT: [TOKYO], SISTER: []}, "domains": []}
    store.save(folder, dt.datetime.now(dt.UTC).isoformat())
    return Bundle.load(folder), folder


def test_collected_policies_are_plain_facts(estate):
    bundle, _ = estate
    buckets = {b["bucket"]: b for b in bundle.rows("s3.buckets", ACCOUNT)}
    assert buckets["tp-no-policy"]["policy"] is None and buckets["tp-shared"]["policy"]["Statement"]
    keys = {k["aliases"][0] if k["aliases"] else k["key_id"]: k for k in bundle.rows("kms.key_policies", ACCOUNT, TOKYO)}
    assert "alias/tp-shared" in keys and len(keys) == 2
    assert bundle.rows("sqs.queue_policies", ACCOUNT, TOKYO)[0]["policy"]["Statement"][0]["Principal"] == "*"
    assert bundle.rows("ecr.repository_policies", ACCOUNT, TOKYO) == [
        {"repository_name": "tp-repo", "arn": f"arn:aws:ecr:{TOKYO}:{ACCOUNT}:repository/tp-repo", "policy": None}
    ]
    shares = {s["name"]: s for s in bundle.rows("ram.resource_shares", ACCOUNT, TOKYO)}
    assert [p["principal"] for p in shares["to-vendor"]["principals"]] == [VENDOR]
    assert bundle.rows("organizations.delegated_administrators", ACCOUNT) == [], "no organisation: nothing to list"


def test_unused_external_access_from_the_emulator(estate):
    bundle, _ = estate
    assert verdicts(run_one("thirdparty_access_unused", bundle)) == {"role/vendor-ok": "pass", "role/vendor-stale": "fail"}
    stale = next(f for f in run_one("thirdparty_access_unused", bundle) if f.resource == "role/vendor-stale")
    assert VENDOR in stale.message_en and "200 days" in stale.message_en and "90" in stale.message_en
    assert verdicts(run_one("thirdparty_access_unused", bundle, {"third_party_unused_days": 365}))["role/vendor-stale"] == "pass"


def test_resources_shared_outside_from_the_emulator(estate):
    bundle, _ = estate
    findings = run_one("thirdparty_resource_access", bundle)
    got = {f.resource: (f.verdict.value, f.severity) for f in findings}
    shared_key = next(k["key_id"] for k in bundle.rows("kms.key_policies", ACCOUNT, TOKYO) if k["aliases"])
    assert got == {
        f"S3: tp-shared / {VENDOR}": ("fail", "medium"),
        "S3: tp-internal": ("pass", "info"),
        f"KMS: alias/tp-shared ({shared_key}) / {VENDOR}": ("fail", "high"),
        "SNS: tp-topic": ("pass", "info"),
        "SQS: tp-open": ("fail", "high"),
        f"Lambda: tp-fn / {VENDOR}": ("fail", "medium"),
        f"Secrets Manager: tp-secret / {VENDOR}": ("fail", "high"),
        f"RAM: to-vendor / {VENDOR}": ("fail", "medium"),
        "RAM: to-sister": ("pass", "info"),
    }, "buckets and repositories without a policy, and the key whose policy grants only the account, are not listed"
    opened = next(f for f in findings if f.resource == "SQS: tp-open")
    assert "sqs:SendMessage" in opened.message_en and '"*"' in opened.message_ja


def test_register_of_external_parties(estate):
    bundle, _ = estate
    rows, gaps = external_parties_with_gaps(bundle)
    assert {g.account_id for g in gaps} == {SISTER}, "the other assessed account was not collected here: said, not hidden"
    by_kind = {(r["kind"], r["resource"]) for r in rows if r["party"] == VENDOR}
    assert ("role_trust", f"arn:aws:iam::{ACCOUNT}:role/vendor-stale") in by_kind and (
        "ram_share",
        next(s["share_arn"] for s in bundle.rows("ram.resource_shares", ACCOUNT, TOKYO) if s["name"] == "to-vendor"),
    ) in by_kind
    stale = next(r for r in rows if r["resource"].endswith("role/vendor-stale"))
    assert stale["external_id_required"] is False and stale["last_used"] is not None and stale["account"] == ACCOUNT
    vendor_cluster = VENDOR_ISSUER.removeprefix("https://")
    assert {r["party"] for r in rows} == {VENDOR, "*", "token.actions.githubusercontent.com", vendor_cluster}, (
        "own accounts and the institution's own EKS cluster are never listed"
    )
    assert {r["resource"] for r in rows if r["party"] == vendor_cluster} == {f"arn:aws:iam::{ACCOUNT}:role/tp-vendor-pods"}
    assert set(rows[0]) >= {
        "party",
        "kind",
        "account",
        "region",
        "resource",
        "resource_type",
        "external_id_required",
        "last_used",
        "actions_summary",
    }
    table = third_party_table(bundle, "en")
    assert list(table.columns) == ["Party", "How it gets in", "Account", "Resources reachable", "External ID", "Last used"]
    vendor_roles = table[(table["Party"] == VENDOR) & (table["How it gets in"] == "IAM role trust policy")].iloc[0]
    assert "vendor-stale" in vendor_roles["Resources reachable"] and vendor_roles["External ID"] == "None"
    assert "任意のプリンシパル（*）" in set(third_party_table(bundle, "ja")["当事者"])


# --- nothing to assess, missing evidence ------------------------------------------------------------------------


def test_nothing_to_assess_and_missing_evidence(tmp_path):
    role = {
        "entity_type": "role",
        "name": "own",
        "arn": f"arn:aws:iam::{ACCOUNT}:role/own",
        "trust_policy": {"Statement": [_allow({"AWS": ACCOUNT}, "sts:AssumeRole")]},
    }
    empty = {(name, TOKYO): [] for name in REGIONAL}
    bundle = make_bundle(
        tmp_path / "none",
        {
            ("iam.authorization_details", GLOBAL): [role],
            ("s3.buckets", GLOBAL): [],
            ("organizations.accounts", GLOBAL): [],
            **empty,
        },
    )
    for check_id in ("thirdparty_access_unused", "thirdparty_resource_access"):
        assert [f.verdict.value for f in run_one(check_id, bundle)] == ["not_applicable"], check_id
    assert external_parties(bundle) == []

    denied = CollectionError("access_denied", "AccessDenied", "no", 0)
    shared = {"bucket": "b", "region": TOKYO, "policy": {"Statement": [_allow({"AWS": VENDOR}, "s3:GetObject")]}}
    partial = make_bundle(
        tmp_path / "missing",
        {
            ("iam.authorization_details", GLOBAL): denied,
            ("s3.buckets", GLOBAL): [shared],
            ("kms.key_policies", TOKYO): denied,
            **{k: v for k, v in empty.items() if k[0] != "kms.key_policies"},
        },
    )
    unused = run_one("thirdparty_access_unused", partial)
    assert [(f.verdict.value, "missing_permission" in f.details) for f in unused] == [("error", True)]
    access = {f.resource: f.verdict.value for f in run_one("thirdparty_resource_access", partial)}
    assert access == {f"S3: b / {VENDOR}": "fail", "kms.key_policies": "error"}, "a gap in one source never hides the others"
    rows, gaps = external_parties_with_gaps(partial)
    assert [r["party"] for r in rows] == [VENDOR] and {g.dataset for g in gaps} >= {
        "iam.authorization_details",
        "kms.key_policies",
    }
    table = third_party_table(partial, "en")
    assert any("not collected: kms.key_policies" in p for p in table["Party"])


def test_an_eks_issuer_is_the_institutions_own_only_where_its_cluster_was_listed():
    """Hand-built evidence (the issuer's cluster in the same account): with the cluster listed the role its pods assume
    is no outside access; where the cluster listing is missing the provider is named, never assumed to be our own."""
    issuer = "oidc.eks.ap-northeast-1.amazonaws.com/id/OWNCLUSTER"
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer}"
    role = {
        "entity_type": "role",
        "name": "pods",
        "arn": f"arn:aws:iam::{ACCOUNT}:role/pods",
        "trust_policy": {"Statement": [_allow({"Federated": provider}, "sts:AssumeRoleWithWebIdentity")]},
    }
    tables = {
        ("iam.authorization_details", ACCOUNT, GLOBAL): [role],
        ("iam.oidc_providers", ACCOUNT, GLOBAL): [{"arn": provider, "url": issuer}],
        ("ram.resource_shares", ACCOUNT, TOKYO): [],
    }
    assert [(r["party"], r["kind"]) for r in external_parties(tables)] == [(issuer, "oidc")]
    listed = {**tables, ("eks.clusters", ACCOUNT, TOKYO): [{"name": "core", "oidc_issuer": f"https://{issuer}"}]}
    assert external_parties(listed) == []
