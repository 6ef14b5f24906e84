"""The kit's own least privilege: the generated read-only policy is enough, nothing else is needed, and
every action in it is one a collector really calls.

The policy and the README's permission list are generated from the datasets' declarations
(assess_lib/*/*datasets.yaml). The demo estate is seeded once for the module's collections against moto in
server mode (real HTTP, boto3 unchanged): one recording every API call per dataset, then collections as IAM
users holding exactly `python -m assess_lib iam-policy`, everything, or nothing, with moto's IAM enforcement on.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from conftest import Aws

from assess_lib.aws import collect as aws_collect
from assess_lib.aws import session as aws_session
from assess_lib.aws.collectors import COLLECTORS
from assess_lib.checks import registry
from assess_lib.datasets import (
    AWS_SCOPES,
    BASE_ACTIONS,
    DATASETS,
    MULTI_ACCOUNT_ACTIONS,
    OPERATION_ACTIONS,
    actions_for,
    policy_actions,
)
from assess_lib.demo import DEMO_PARAMS
from assess_lib.demo.seed import seed_demo_bank
from assess_lib.demo.server import demo_credentials, demo_session_credentials
from assess_lib.evidence import EvidenceStore
from assess_lib.params import load_params
from assess_lib.pipeline import collect, evaluate

ROOT = Path(__file__).resolve().parents[1]


def generated_policy(*flags: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "assess_lib", "iam-policy", *flags], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_policy_is_read_only_json():
    policy = generated_policy()
    actions = policy["Statement"][0]["Action"]
    assert policy["Statement"][0]["Effect"] == "Allow" and actions == sorted(actions) and len(policy["Statement"]) == 1
    verbs = {a.split(":", 1)[1] for a in actions}
    assert all(
        v.startswith(("Get", "BatchGet", "List", "Describe", "Generate", "Lookup", "Search")) or v == "GET" for v in verbs
    ), verbs


def test_policy_is_every_declared_aws_action_and_covers_every_check():
    """The policy is the declarations' actions (the collection's own and every AWS dataset's), nothing else."""
    policy = generated_policy("--multi-account")
    assert policy["Statement"][0]["Action"] == policy_actions()
    declared = {a for info in DATASETS.values() if info.scope in AWS_SCOPES for a in info.actions}
    assert set(policy_actions()) == declared | set(BASE_ACTIONS)
    assert policy["Statement"][1]["Action"] == sorted(MULTI_ACCOUNT_ACTIONS) == ["organizations:ListAccounts", "sts:AssumeRole"]
    for check_id, spec in registry().items():
        needed = {a for a in actions_for(spec.datasets) if ":" in a}
        assert needed <= set(policy_actions()), check_id


def readme_tool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "readme_permissions.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def test_readme_permission_list_is_the_generated_one():
    """The README's list is what the generator writes: a drift fails here (fix: python tools/readme_permissions.py)."""
    result = readme_tool("--check")
    assert result.returncode == 0, result.stderr
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- permissions:begin", 1)[1].split("<!-- permissions:end -->", 1)[0]
    assert [a.strip() for a in block.split("```")[1].replace("\n", " ").split(",")] == policy_actions()


def test_readme_generator_rewrites_a_stale_list(tmp_path):
    """Typed from another folder with a relative path, twice: the stale list is replaced, then left alone."""
    readme = tmp_path / "docs" / "README.md"
    readme.parent.mkdir()
    shutil.copy(ROOT / "README.md", readme)
    original = readme.read_text(encoding="utf-8")
    readme.write_text(original.replace("sts:GetCallerIdentity, ", "iam:ListUsers, "), encoding="utf-8")
    stale = readme_tool("--check", "--readme", "docs/README.md", cwd=tmp_path)
    assert stale.returncode == 1 and "out of date" in stale.stderr and "readme_permissions.py" in stale.stderr
    assert readme_tool("--readme", "docs/README.md", cwd=tmp_path).returncode == 0
    assert readme.read_text(encoding="utf-8") == original
    again = readme_tool("--readme", "docs/README.md", cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == "" and readme.read_text(encoding="utf-8") == original
    readme.write_text("# no block\n", encoding="utf-8")
    missing = readme_tool("--check", "--readme", "docs/README.md", cwd=tmp_path)
    assert missing.returncode == 2 and "permissions:begin" in missing.stderr


def aws_only_params():
    """The demo's params without its e-mail domains: they would be asked of the machine's resolver (seconds of
    time-outs without network), and DNS evidence needs no IAM permission."""
    params = load_params(DEMO_PARAMS)
    return dataclasses.replace(params, dns=dataclasses.replace(params.dns, domains=()))


@pytest.fixture(scope="module")
def demo_estate(moto_server) -> Any:
    """デモ銀行's estate, seeded once for every collection of this module (seeding costs more than collecting)."""
    moto_server.reset()
    with demo_credentials():
        seed_demo_bank(moto_server.url)
    yield Aws(moto_server)
    moto_server.set_auth(False)


def collect_as(aws, tmp_path, user: str, policy: dict | None):
    """Collect the demo as an IAM user holding ``policy``, with moto's IAM enforcement on."""
    with demo_credentials():
        iam = aws.client("iam", "us-east-1")
        iam.create_user(UserName=user)
        if policy:
            iam.put_user_policy(UserName=user, PolicyName="kit", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=user)["AccessKey"]
    keys = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    aws.server.set_auth(True)
    try:
        return collect(
            aws_only_params(), tmp_path / user, endpoint_url=aws.url, max_attempts=1, dns_nameservers=[], credentials=keys
        )
    finally:
        aws.server.set_auth(False)


def aws_errors(bundle) -> set[tuple[str, str]]:
    return {(e["dataset"], e["region"]) for e in bundle.errors() if e["account_id"] not in ("dns", "org")}


def test_demo_under_exactly_the_generated_policy_has_no_error(demo_estate, tmp_path):
    """Compared with an allow-everything user: moto cannot verify signatures of a few REST services
    (GuardDuty, API Gateway, CloudFront, S3 Control) under enforcement, whatever the policy; any
    error beyond that baseline would be a permission the generated policy lacks."""
    aws = demo_estate
    admin = collect_as(
        aws,
        tmp_path,
        "emulator-baseline",
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    )
    policy = generated_policy("--multi-account")  # the demo assesses two accounts through a role
    # moto authorises the bucket-level GetPublicAccessBlock as "s3:GetPublicAccessBlock"; AWS's name is
    # s3:GetBucketPublicAccessBlock (already in the policy). Add the emulator's alias, nothing else.
    policy["Statement"][0]["Action"].append("s3:GetPublicAccessBlock")
    kit = collect_as(aws, tmp_path, "fsa-assessor", policy)
    baseline = aws_errors(admin)
    assert len(baseline) < len(list(admin.entries())) / 2, "the emulator should authenticate most services"
    extra = sorted(aws_errors(kit) - baseline)
    assert not extra, f"datasets denied under the generated policy: {extra}"
    assert {e["dataset"] for e in kit.entries() if e["status"] == "ok"} >= {
        "iam.credential_report",
        "cloudtrail.trails",
        "iam.authorization_details",
    }


def test_without_the_policy_every_aws_check_is_error_never_pass(demo_estate, tmp_path):
    """A user with no permission at all: the run completes and nothing passes on evidence it could not read."""
    bundle = collect_as(demo_estate, tmp_path, "nobody", None)
    aws_only = {
        c for c, spec in registry().items() if spec.datasets and all(DATASETS[d].scope in AWS_SCOPES for d in spec.datasets)
    }
    findings = [f for f in evaluate(bundle).findings if f.check_id in aws_only]
    assert findings
    assert [(f.check_id, f.resource) for f in findings if f.verdict.value != "error"] == []
    assert all("required permission" in f.message_en or "Required permissions" in f.message_en for f in findings)


# --- every API call a collector makes is declared for its dataset, and every declared action is called ------

COLLECTION = "(collection itself)"  # calls made outside any collector: caller identity, regions, roles


class CallRecorder:
    """IAM actions called, per dataset being collected (a thread-local stack of the running collectors: a
    dependency gathered from inside another collector is attributed to itself)."""

    def __init__(self) -> None:
        self.calls: dict[str, set[str]] = defaultdict(set)
        self._local = threading.local()
        self._lock = threading.Lock()

    def running(self, name: str, collector: Any) -> Any:
        def run(ctx: Any, calls: Any, region: str) -> Any:
            stack = self._local.__dict__.setdefault("stack", [])
            stack.append(name)
            try:
                return collector(ctx, calls, region)
            finally:
                stack.pop()

        return run

    def before_call(self, model: Any, **_: Any) -> None:
        """botocore's ``before-call`` event: once per API call (each page of a listing), retries excluded."""
        service = model.service_model
        operation = f"{service.service_name}.{model.name}"
        action = OPERATION_ACTIONS.get(operation) or f"{service.signing_name}:{model.name}"
        stack = getattr(self._local, "stack", [])
        with self._lock:
            self.calls[stack[-1] if stack else COLLECTION].add(action)


@pytest.fixture(scope="module")
def recorded(demo_estate) -> CallRecorder:
    """The demo estate's AWS evidence collected once (as the emulator's root, enforcement off), every call recorded
    through botocore's event system on the session of the collection's clients (shared by its accounts)."""
    recorder = CallRecorder()

    class RecordingClients(aws_session.SharedClients):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.session.events.register("before-call", recorder.before_call)  # its clients copy the session's handlers

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aws_session, "SharedClients", RecordingClients)
        for name, collector in list(COLLECTORS.items()):
            patch.setitem(COLLECTORS, name, recorder.running(name, collector))
        store = EvidenceStore(run_id="declared-actions", started_at="2026-01-01T00:00:00+00:00")
        aws_collect.collect_aws(
            aws_only_params(), store, endpoint_url=demo_estate.url, max_attempts=1, credentials=demo_session_credentials()
        )
    failed = sorted({r.dataset for r in store.records.values() if not r.ok})
    assert failed == [], f"the demo estate should be gathered whole: {failed}"
    return recorder


def test_every_api_call_is_declared_for_its_dataset(recorded):
    undeclared = {
        name: sorted(actions - set(DATASETS[name].actions)) for name, actions in recorded.calls.items() if name != COLLECTION
    }
    undeclared = {name: actions for name, actions in undeclared.items() if actions}
    files = sorted({DATASETS[name].source for name in undeclared})
    assert undeclared == {}, (
        f"collectors call actions their dataset does not declare: add them to its actions in {', '.join(files)} "
        "(or name the operation's IAM action under operation_actions)"
    )
    outside = recorded.calls.get(COLLECTION, set()) - set(BASE_ACTIONS) - set(MULTI_ACCOUNT_ACTIONS)
    assert not outside, f"the collection itself calls {sorted(outside)}, not in collection_actions"


def test_every_declared_action_is_needed_and_every_aws_dataset_collected(recorded):
    aws = {info.name for info in DATASETS.values() if info.scope in AWS_SCOPES}
    assert set(recorded.calls) - {COLLECTION} == aws, "every AWS dataset's collector ran, and only those"
    unused = {name: sorted(set(DATASETS[name].actions) - recorded.calls[name]) for name in aws}
    assert {name: actions for name, actions in unused.items() if actions} == {}, "declared actions the demo never needed"
    # The collection's own: the caller's identity and each account's role (the demo lists its regions and accounts,
    # so it asks for neither the enabled regions nor the organisation here).
    assert recorded.calls[COLLECTION] == {"sts:GetCallerIdentity", "sts:AssumeRole"}


def test_the_recorder_attributes_calls_to_the_running_collector():
    """The recording itself can fail: an operation is named by its IAM action, inside the innermost collector."""
    recorder = CallRecorder()

    class Model:
        def __init__(self, service: str, signing: str, name: str) -> None:
            self.name = name
            self.service_model = type("S", (), {"service_name": service, "signing_name": signing})()

    def outer(ctx: Any, calls: Any, region: str) -> None:
        recorder.before_call(Model("elbv2", "elasticloadbalancing", "DescribeLoadBalancers"))
        recorder.running("inner", lambda *a: recorder.before_call(Model("s3control", "s3", "GetPublicAccessBlock")))(
            ctx, calls, region
        )
        recorder.before_call(Model("apigateway", "apigateway", "GetStages"))

    recorder.running("outer", outer)(None, None, "r")
    recorder.before_call(Model("sts", "sts", "GetCallerIdentity"))
    assert dict(recorder.calls) == {
        "outer": {"elasticloadbalancing:DescribeLoadBalancers", "apigateway:GET"},
        "inner": {"s3:GetAccountPublicAccessBlock"},
        COLLECTION: {"sts:GetCallerIdentity"},
    }
