"""The kit's own least privilege: the generated read-only policy is enough, and nothing else is needed.

Runs the demo's collection as an IAM user holding exactly `python -m assess_lib iam-policy`,
with moto's IAM enforcement on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from assess_lib.checks import registry
from assess_lib.datasets import actions_for
from assess_lib.demo import DEMO_PARAMS
from assess_lib.demo.seed import seed_demo_bank
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
    assert policy["Statement"][0]["Effect"] == "Allow" and actions == sorted(actions)
    verbs = {a.split(":", 1)[1] for a in actions}
    assert all(v.startswith(("Get", "List", "Describe", "Generate", "Lookup", "Search")) or v == "GET" for v in verbs), verbs


def collect_as(aws, tmp_path, user: str, policy: dict | None):
    """Collect the demo as an IAM user holding ``policy``, with moto's IAM enforcement on."""
    iam = aws.client("iam", "us-east-1")
    iam.create_user(UserName=user)
    if policy:
        iam.put_user_policy(UserName=user, PolicyName="kit", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    os.environ["AWS_ACCESS_KEY_ID"] = key["AccessKeyId"]  # restored by the aws fixture
    os.environ["AWS_SECRET_ACCESS_KEY"] = key["SecretAccessKey"]
    aws.server.set_auth(True)
    try:
        return collect(load_params(DEMO_PARAMS), tmp_path / user, endpoint_url=aws.url, max_attempts=1, dns_nameservers=[])
    finally:
        aws.server.set_auth(False)


def aws_errors(bundle) -> set[tuple[str, str]]:
    return {(e["dataset"], e["region"]) for e in bundle.errors() if e["account_id"] not in ("dns", "org")}


def test_demo_under_exactly_the_generated_policy_has_no_error(aws, tmp_path):
    """Compared with an allow-everything user: moto cannot verify signatures of a few REST services
    (GuardDuty, API Gateway, CloudFront, S3 Control) under enforcement, whatever the policy; any
    error beyond that baseline would be a permission the generated policy lacks."""
    seed_demo_bank(aws.url)
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


def test_without_the_policy_every_aws_check_is_error_never_pass(aws, tmp_path):
    """A user with no permission at all: the run completes and nothing passes on evidence it could not read."""
    seed_demo_bank(aws.url)
    bundle = collect_as(aws, tmp_path, "nobody", None)
    aws_only = {
        c for c, spec in registry().items() if spec.permissions and len(spec.permissions) == len(actions_for(spec.datasets))
    }
    findings = [f for f in evaluate(bundle).findings if f.check_id in aws_only]
    assert findings
    assert [(f.check_id, f.resource) for f in findings if f.verdict.value != "error"] == []
    assert all("required permission" in f.message_en or "Required permissions" in f.message_en for f in findings)
