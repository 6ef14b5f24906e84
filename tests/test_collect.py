"""Collectors against moto in server mode (real HTTP on 127.0.0.1, boto3 unchanged)."""

from __future__ import annotations

import json
import os

import pytest
from conftest import ACCOUNT, answer_unserved_as_empty

from assess_lib import evidence as ev
from assess_lib.aws.collect import CredentialsError, EndpointUnreachable
from assess_lib.aws.errors import classify
from assess_lib.demo.server import age_user, free_port
from assess_lib.evidence import Bundle
from assess_lib.params import parse_params
from assess_lib.pipeline import collect, evaluate

REGIONS = ["ap-northeast-1", "us-east-1"]


def params(**aws):
    return parse_params({"customer": "テスト銀行", "aws": {"regions": REGIONS, **aws}, "dns": {"domains": []}})


def seed_small(aws):
    answer_unserved_as_empty(aws.url)  # detection and restore listings moto does not serve (hand-built, empty)
    iam = aws.client("iam", "us-east-1")
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="x-Passw0rd!")
    iam.create_user(UserName="bot")
    iam.create_access_key(UserName="bot")
    iam.update_account_password_policy(MinimumPasswordLength=16, RequireSymbols=True)
    s3 = aws.client("s3", "ap-northeast-1")
    s3.create_bucket(Bucket="trail-logs", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    ct = aws.client("cloudtrail", "ap-northeast-1")
    ct.create_trail(Name="org-trail", S3BucketName="trail-logs", IsMultiRegionTrail=True, EnableLogFileValidation=True)
    ct.start_logging(Name="org-trail")


def test_collect_writes_bundle_with_manifest(aws, tmp_path):
    seed_small(aws)
    bundle = collect(params(), tmp_path / "run", endpoint_url=aws.url, max_attempts=2)
    manifest = bundle.manifest
    for key in ("run_id", "started_at", "finished_at", "caller", "accounts", "regions", "kit_version", "datasets", "api_calls"):
        assert key in manifest, key
    assert manifest["accounts"] == [ACCOUNT]
    assert manifest["regions"][ACCOUNT] == REGIONS
    keys = [(e["dataset"], e["account_id"], e["region"]) for e in manifest["datasets"]]
    assert len(keys) == len(set(keys)), "each dataset once per (account, region)"
    assert ("cloudtrail.trails", ACCOUNT, "us-east-1") in keys and ("iam.credential_report", ACCOUNT, "global") in keys
    for entry in manifest["datasets"]:
        assert entry["status"] == "ok", entry
        assert len(entry["sha256"]) == 64 and entry["row_count"] == len(bundle.rows(entry["dataset"], ACCOUNT, entry["region"]))
    assert bundle.verify() == []
    users = {r["user"] for r in bundle.rows("iam.credential_report", ACCOUNT)}
    assert users == {"alice", "bot"}
    # The multi-region trail is seen from every region; its status is asked in its home region only.
    assert [t["name"] for t in bundle.rows("cloudtrail.trails", ACCOUNT, "us-east-1")] == ["org-trail"]
    assert [s["is_logging"] for s in bundle.rows("cloudtrail.trail_status", ACCOUNT, "ap-northeast-1")] == [True]
    assert bundle.rows("cloudtrail.trail_status", ACCOUNT, "us-east-1") == []
    assert bundle.rows("s3.trail_bucket_exposure", ACCOUNT)[0]["bucket"] == "trail-logs"


def test_a_collection_told_to_wait_makes_its_clients_then_waits_then_collects(aws, tmp_path, monkeypatch):
    """With ``ready`` (the demo: its emulator is still being seeded), the collection makes the clients of every
    collected service in the params' regions and the home region, then waits, then calls: the estate made while it
    waited is what it collects, and no client is made twice."""
    from assess_lib.aws.collect import COLLECTED_SERVICES
    from assess_lib.aws.session import SharedClients

    made: list[tuple[str, str]] = []
    make = SharedClients.client

    def client(self, service, region):  # a spy: botocore's client is still made and used
        if (service, region) not in self._clients:
            made.append((service, region))
        return make(self, service, region)

    monkeypatch.setattr(SharedClients, "client", client)
    at_ready: list[set[tuple[str, str]]] = []

    def ready():
        at_ready.append(set(made))
        seed_small(aws)  # the estate exists only from now on

    bundle = collect(params(), tmp_path / "run", endpoint_url=aws.url, max_attempts=2, ready=ready)
    assert at_ready == [{(service, region) for service in COLLECTED_SERVICES for region in REGIONS}]
    assert len(made) == len(set(made))
    assert {r["user"] for r in bundle.rows("iam.credential_report", ACCOUNT)} == {"alice", "bot"}
    assert [t["name"] for t in bundle.rows("cloudtrail.trails", ACCOUNT, "ap-northeast-1")] == ["org-trail"]


def test_evaluation_runs_offline_from_saved_bundle(aws, tmp_path):
    seed_small(aws)
    collect(params(), tmp_path / "run", endpoint_url=aws.url, max_attempts=2)
    aws_url = aws.url
    # No endpoint, no credentials needed: the bundle alone.
    assessment = evaluate(Bundle.load(tmp_path / "run"))
    by_check = {(f.check_id, f.resource): f.verdict.value for f in assessment.findings}
    assert by_check[("cloudtrail_multiregion_logging", "org-trail")] == "pass"
    assert by_check[("iam_user_console_mfa", "alice")] == "fail"
    assert by_check[("cloudtrail_bucket_not_public", "trail-logs")] == "pass"
    assert aws_url  # the emulator was only used for collection


def test_aged_keys_from_server_process_fail_rotation(aws, tmp_path):
    seed_small(aws)
    age_user(ACCOUNT, "bot", key_ages={1: 200}, key_last_used={1: 150})
    assessment = evaluate(collect(params(), tmp_path / "run", endpoint_url=aws.url, max_attempts=2))
    by_check = {(f.check_id, f.resource): f for f in assessment.findings}
    assert by_check[("iam_access_key_age", "bot (key 1)")].verdict.value == "fail"
    assert by_check[("iam_access_key_age", "bot (key 1)")].details["age_days"] >= 200
    assert by_check[("iam_unused_credentials", "bot")].verdict.value == "fail"


def test_missing_password_policy_is_evidence_not_error(aws, tmp_path):
    bundle = collect(params(), tmp_path / "run", endpoint_url=aws.url, max_attempts=2)
    assert bundle.entry("iam.password_policy", ACCOUNT)["status"] == "ok"
    assert bundle.rows("iam.password_policy", ACCOUNT) == []


def _collect_as(aws, tmp_path, user, statements):
    iam = aws.client("iam", "us-east-1")
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements})
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    os.environ["AWS_ACCESS_KEY_ID"] = key["AccessKeyId"]  # restored by the aws fixture
    os.environ["AWS_SECRET_ACCESS_KEY"] = key["SecretAccessKey"]
    aws.server.set_auth(True)
    try:
        return collect(params(), tmp_path / user, endpoint_url=aws.url, max_attempts=1)
    finally:
        aws.server.set_auth(False)


def test_access_denied_on_one_api_gives_error_only_where_needed(aws, tmp_path):
    """moto's IAM enforcement: a user allowed everything but GetAccountPasswordPolicy.

    An allow-everything user first gives the emulator's baseline (moto cannot verify signatures of a
    few REST services under enforcement); the denial must add exactly one error dataset."""
    seed_small(aws)
    allow_all = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    baseline = _collect_as(aws, tmp_path, "baseline", [allow_all])
    bundle = _collect_as(
        aws, tmp_path, "assessor", [allow_all, {"Effect": "Deny", "Action": "iam:GetAccountPasswordPolicy", "Resource": "*"}]
    )
    errors = {(e["dataset"], e["region"]) for e in bundle.errors()}
    assert errors - {(e["dataset"], e["region"]) for e in baseline.errors()} == {("iam.password_policy", "global")}
    entry = bundle.entry("iam.password_policy", ACCOUNT)
    assert entry["status"] == "error" and entry["error_kind"] == ev.ACCESS_DENIED
    first = {(f.check_id, f.resource): f.verdict.value for f in evaluate(baseline).findings}
    second = evaluate(bundle).findings
    policy = [f for f in second if f.check_id == "iam_password_policy"]
    assert [f.verdict.value for f in policy] == ["error"]
    assert "iam:GetAccountPasswordPolicy" in policy[0].message_en

    def comparable(items):  # the two assessing users themselves differ between the runs
        return {k: v for k, v in items if k[0] != "iam_password_policy" and not any(u in k[1] for u in ("baseline", "assessor"))}

    others = comparable(((f.check_id, f.resource), f.verdict.value) for f in second)
    assert others == comparable(first.items())
    assert others[("iam_user_console_mfa", "alice")] == "fail"


def test_unimplemented_api_is_classified(aws):
    """Access Analyzer is not served by moto: its failure must read as not implemented, not as a verdict."""
    client = aws.client("accessanalyzer", "ap-northeast-1")
    with pytest.raises(Exception) as raised:
        client.list_analyzers()
    assert classify(raised.value).kind == ev.NOT_IMPLEMENTED


def test_unreachable_endpoint_stops_before_any_work_as_a_connection_problem(aws, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(CredentialsError) as raised:  # the command line prints it as one paragraph
        collect(params(), tmp_path / "run", endpoint_url=url, max_attempts=1)
    assert isinstance(raised.value, EndpointUnreachable) and url in str(raised.value)
    assert "Fix:" in str(raised.value)
    assert not (tmp_path / "run" / "evidence").exists()


def test_role_assumption_per_account_and_failure_isolated(aws, tmp_path):
    """A listed account whose role cannot be assumed is recorded as error; the others are collected."""
    iam = aws.client("iam", "us-east-1")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="Audit", AssumeRolePolicyDocument=json.dumps(trust))
    bundle = collect(
        params(accounts=[ACCOUNT, "210987654321"], role_name="Audit"), tmp_path / "run", endpoint_url=aws.url, max_attempts=1
    )
    assert bundle.accounts == [ACCOUNT, "210987654321"]
    assert bundle.entry("iam.credential_report", ACCOUNT)["status"] == "ok"
    assert bundle.entry("iam.credential_report", "210987654321")["status"] in ("ok", "error")


def test_api_calls_per_account_do_not_grow_with_iam_users(aws, tmp_path):
    """Credential report and authorization details, not per-user calls: 5 users or 400 cost the same."""
    from moto.backends import get_backend

    iam = get_backend("iam")[ACCOUNT]["global"]  # the emulator runs in this process: seed it directly

    def calls_with(users: int, name: str) -> int:
        for i in range(len(iam.users), users):
            iam.create_user("us-east-1", f"user{i:04d}")
            iam.create_login_profile(f"user{i:04d}", "x-Passw0rd!")
        bundle = collect(params(), tmp_path / name, endpoint_url=aws.url, max_attempts=2)
        assert len(bundle.rows("iam.credential_report", ACCOUNT)) == users
        # The credential report's generate/poll loop depends on timing, not on users: at most 3 calls.
        assert bundle.entry("iam.credential_report", ACCOUNT)["calls"] <= 3
        return {e["dataset"]: e["calls"] for e in bundle.entries() if e["dataset"] != "iam.credential_report"}

    few, many = calls_with(5, "few"), calls_with(400, "many")
    assert few == many and few["iam.authorization_details"] == 1


def test_accounts_share_clients_and_every_request_is_signed_as_its_own_account(aws):
    """One client per service and region serves every account (creating clients cost more than most of their calls):
    each request is signed as the account whose factory made the call, also with both accounts' threads on the same
    client at once and through a paginator's later pages (the same paginator for both); a request made outside any
    account is refused, never sent with some account's keys."""
    import threading

    import botocore.exceptions

    from assess_lib.aws.session import ClientFactory, assume_role_factory, base_session

    other = "210987654321"
    # The other account is seeded through a role the emulator lets the test assume.
    keys = aws.client("sts").assume_role(RoleArn=f"arn:aws:iam::{other}:role/Seed", RoleSessionName="seed")["Credentials"]
    iam_of = {ACCOUNT: aws.client("iam", "us-east-1"), other: iam_client(aws.url, keys)}
    for account, iam in iam_of.items():
        for i in range(7):
            iam.create_user(UserName=f"{account}-user{i}")
    base = ClientFactory(base_session(params().aws), aws.url, max_attempts=1)
    try:
        member = assume_role_factory(base, other, "Audit", "test")
        assert member.shared is base.shared
        seen: dict[str, list[set[str]]] = {ACCOUNT: [], other: []}

        def users_of(account: str, factory: ClientFactory) -> None:
            for _ in range(5):
                client = factory.client("iam", "us-east-1")
                pages = client.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2})
                seen[account].append({u["UserName"] for page in pages for u in page["Users"]})

        threads = [threading.Thread(target=users_of, args=pair) for pair in [(ACCOUNT, base), (other, member)] * 3]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for account in (ACCOUNT, other):
            assert seen[account] == [{f"{account}-user{i}" for i in range(7)}] * 15  # four pages each, all its own
        assert base.client("iam", "us-east-1")._client is member.client("iam", "us-east-1")._client
        # and one paginator per operation (botocore makes a class at each get_paginator), shared by the accounts too
        paginators = [f.client("iam", "us-east-1").get_paginator("list_users")._paginator for f in (base, member, base)]
        assert paginators[0] is paginators[1] is paginators[2]
        with pytest.raises(botocore.exceptions.NoCredentialsError):
            base.shared.client("iam", "us-east-1").list_users()  # no account: nothing is signed
    finally:
        base.close()


def iam_client(url: str, keys: dict):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "iam",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id=keys["AccessKeyId"],
        aws_secret_access_key=keys["SecretAccessKey"],
        aws_session_token=keys["SessionToken"],
        config=Config(retries={"max_attempts": 1}),
    )


def test_a_service_is_offered_where_botocore_lists_it_and_everywhere_on_an_emulator():
    """SES and Network Firewall are asked only in regions where AWS offers them (botocore's endpoint data, read from the
    shared clients' session, no request made); an emulator serves every region."""
    from assess_lib.aws.session import ClientFactory, explicit_session

    keys = {"aws_access_key_id": "AKIAOFFEREDTEST00000", "aws_secret_access_key": "not-a-real-key"}
    aws_side = ClientFactory(explicit_session(keys))
    assert aws_side.offers("ses", "ap-northeast-1") and aws_side.offers("network-firewall", "ap-northeast-3")
    assert not aws_side.offers("ses", "ap-east-1")  # no SES in Hong Kong
    assert aws_side.offers("ses", "xx-nowhere-1")  # a region botocore does not know: asked, the call then says why
    assert ClientFactory(explicit_session(keys), "http://127.0.0.1:9").offers("ses", "ap-east-1")


def test_the_collected_services_are_the_ones_the_collectors_call():
    """COLLECTED_SERVICES (parsed ahead by preload) names every service the collectors call and no other: read from
    the collectors' source, where each call names its service and operation as string literals."""
    import re
    from pathlib import Path

    from assess_lib.aws.collect import COLLECTED_SERVICES
    from assess_lib.aws.session import service_models

    botocore_services = set(service_models().list_available_services("service-2"))
    named = re.compile(r'"([a-z0-9-]+)",\s*"[a-z]+_[a-z0-9_]+"|\bclient\(\s*"([a-z0-9-]+)"')
    called: set[str] = set()
    for source in (Path(__file__).resolve().parents[1] / "assess_lib" / "aws").glob("*.py"):
        called |= {a or b for a, b in named.findall(source.read_text(encoding="utf-8"))}
    assert len(COLLECTED_SERVICES) == len(set(COLLECTED_SERVICES))
    assert set(COLLECTED_SERVICES) == called & botocore_services


def test_the_kits_loader_parses_botocores_files_as_botocore_does_into_plain_dicts():
    """The process's loader (service_models) reads botocore's files with PlainJsonFiles: for every collected service,
    its model, endpoint rules and paginators come out equal to botocore's own parse, keys in the same order, only as
    dicts rather than OrderedDicts; a file botocore does not have is None for both."""
    import json
    import os
    from collections import OrderedDict

    import botocore
    from botocore.loaders import JSONFileLoader

    from assess_lib.aws.collect import COLLECTED_SERVICES
    from assess_lib.aws.session import PlainJsonFiles, service_models

    loader = service_models()
    assert isinstance(loader.file_loader, PlainJsonFiles)
    ours, botocores = PlainJsonFiles(), JSONFileLoader()
    compared = 0
    for service in COLLECTED_SERVICES:
        version = loader.determine_latest_version(service, "service-2")
        folder = os.path.join(os.path.dirname(botocore.__file__), "data", service, version)
        for name in ("service-2", "endpoint-rule-set-1", "paginators-1"):
            theirs = botocores.load_file(os.path.join(folder, name))
            if theirs is None:
                assert ours.load_file(os.path.join(folder, name)) is None
                continue
            mine = ours.load_file(os.path.join(folder, name))
            assert type(theirs) is OrderedDict and type(mine) is dict
            assert mine == theirs and json.dumps(mine) == json.dumps(theirs), (service, name)
            compared += 1
    assert compared >= 2 * len(COLLECTED_SERVICES)
    assert ours.load_file(os.path.join(folder, "no-such-file")) is None


def test_clients_of_the_preloaded_services_are_made_without_parsing_a_file():
    """preload_models asks botocore's loader for each file as a client asks for it: afterwards, a client of every
    collected service is made, and its paginators looked up, without a file parsed. Checked in a fresh interpreter."""
    import subprocess
    import sys
    import textwrap
    from pathlib import Path

    probe = textwrap.dedent(
        """
        import json
        from assess_lib.aws.collect import COLLECTED_SERVICES
        from assess_lib.aws.session import explicit_session, preload_models
        session = explicit_session({"aws_access_key_id": "AKIAPROBEPROBEPROBE0", "aws_secret_access_key": "x"})
        preload_models(COLLECTED_SERVICES)
        session.client("sts", region_name="ap-northeast-1")  # the files every client reads (partitions, retries)
        parsed = []
        original = json.loads
        json.loads = lambda *a, **k: parsed.append(1) or original(*a, **k)
        for service in COLLECTED_SERVICES:
            client = session.client(service, region_name="ap-northeast-1")
            client.can_paginate(next(iter(client.meta.method_to_api_mapping)))  # reads its paginators
        assert not parsed, f"{len(parsed)} files parsed"
        print("ok")
        """
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=root)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
