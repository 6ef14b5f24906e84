"""Faults on the wire between boto3 and the emulator, via a real proxy on 127.0.0.1: a throttling storm,
a hung service, a denial in one region only."""

from __future__ import annotations

import http.client
import http.server
import threading
import time
import urllib.parse
from pathlib import Path

from assess_lib.core.model import Verdict
from assess_lib.core.rollup import rollup
from assess_lib.params import parse_params
from assess_lib.pipeline import collect, evaluate
from conftest import answer_unserved_as_empty

THROTTLE_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>'
    b"<Message>Rate exceeded</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
)
THROTTLE_JSON = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
# AccessDenied as AWS words it for a JSON-protocol service (Secrets Manager...) and for EC2's query protocol.
DENIED_JSON = b'{"__type":"AccessDeniedException","message":"User is not authorized to perform this action in this region"}'
DENIED_EC2 = (
    b'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>UnauthorizedOperation</Code>'
    b"<Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>proxy</RequestID></Response>"
)
DENIED_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>'
    b"<Message>User is not authorized to perform this action</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
)


class ThrottlingProxy:
    """Forwards to the emulator, answering a throttling error instead for chosen requests.

    ``throttle(n, service)`` decides for the n-th request of a query- or JSON-protocol service;
    ``stall(service)`` makes the proxy wait before answering (a slow or hung endpoint);
    ``deny(service, region)`` answers AccessDenied instead, as a policy denying one region would
    (the region is the one the request is signed for).
    """

    def __init__(self, target: str, throttle, stall=lambda service: 0.0, deny=lambda service, region: False) -> None:
        self.target = urllib.parse.urlsplit(target)
        self.throttle = throttle
        self.stall = stall
        self.deny = deny
        self.count = 0
        self.throttled = 0
        self.denied = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                self.forward()

            do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

            def forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target")
                auth = self.headers.get("Authorization", "")
                service = auth.split("/")[3] if auth.count("/") >= 4 else ""
                region = auth.split("/")[2] if auth.count("/") >= 4 else ""
                query = body.startswith(b"Action=") or b"&Action=" in body
                if (query or target) and proxy.deny(service, region):
                    with proxy.lock:
                        proxy.denied += 1
                    payload = DENIED_JSON if target else DENIED_EC2 if service == "ec2" else DENIED_XML
                    self.send_response(400 if target else 403)
                    self.send_header("Content-Type", "application/x-amz-json-1.1" if target else "text/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                delay = proxy.stall(service)
                if delay:
                    time.sleep(delay)
                if query or target:
                    with proxy.lock:
                        proxy.count += 1
                        hit = proxy.throttle(proxy.count, service)
                        proxy.throttled += hit
                    if hit:
                        payload, kind = (THROTTLE_JSON, "application/x-amz-json-1.1") if target else (THROTTLE_XML, "text/xml")
                        self.send_response(400)
                        self.send_header("Content-Type", kind)
                        self.send_header("Content-Length", str(len(payload)))
                        self.end_headers()
                        self.wfile.write(payload)
                        return
                conn = http.client.HTTPConnection(proxy.target.hostname, proxy.target.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                headers["Host"] = self.headers.get("Host", proxy.target.netloc)
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # a client that gave up on a stalled answer
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def params():
    return parse_params({"customer": "テスト銀行", "aws": {"regions": ["ap-northeast-1"]}, "dns": {"domains": []}})


def seed(aws):
    answer_unserved_as_empty(aws.url)  # detection and restore listings moto does not serve (hand-built, empty)
    iam = aws.client("iam", "us-east-1")
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="x-Passw0rd!")
    aws.client("s3").create_bucket(Bucket="trail-logs", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    aws.client("cloudtrail").create_trail(Name="org-trail", S3BucketName="trail-logs", IsMultiRegionTrail=True)


def test_throttling_storm_is_retried_and_the_run_completes(aws, tmp_path: Path):
    seed(aws)
    # Every other query/JSON request throttled for the first 80: botocore's adaptive retries absorb it.
    with ThrottlingProxy(aws.url, lambda n, service: n <= 80 and n % 2 == 0) as proxy:
        bundle = collect(params(), tmp_path / "run", endpoint_url=proxy.url, max_attempts=8)
    assert proxy.throttled >= 10
    assert bundle.errors() == []
    found = {(f.check_id, f.resource): f.verdict.value for f in evaluate(bundle).findings}
    assert found[("iam_user_console_mfa", "alice")] == "fail"


def test_endless_throttling_of_one_service_is_error_named_throttled(aws, tmp_path: Path):
    seed(aws)
    with ThrottlingProxy(aws.url, lambda n, service: service == "cloudtrail") as proxy:
        bundle = collect(params(), tmp_path / "run", endpoint_url=proxy.url, max_attempts=2)
    assert proxy.throttled >= 2
    failed = {e["dataset"]: e for e in bundle.errors()}
    assert failed["cloudtrail.trails"]["error_kind"] == "throttled"
    assert {name for name in failed} <= {
        "cloudtrail.trails",
        "cloudtrail.trail_status",
        "s3.trail_bucket_exposure",
        "s3.trail_bucket_protection",
        "cloudtrail.event_selectors",  # the trails' data-event selectors: CloudTrail too
        "logs.trail_subscription_filters",  # read for the trails' log groups: unknown without the trails
    }
    findings = evaluate(bundle).findings
    trail = [f for f in findings if f.check_id == "cloudtrail_multiregion_logging"]
    # One error per missing dataset (the trails, and so their status), never a verdict.
    assert {f.verdict.value for f in trail} == {"error"} and "throttled" in trail[0].message_en
    assert any(f.check_id == "iam_user_console_mfa" and f.verdict.value == "fail" for f in findings)


def test_hung_endpoint_is_error_named_time_out(aws, tmp_path: Path):
    """GuardDuty answers after the client's read time-out: its datasets are `error` (time-out), the rest fine."""
    seed(aws)
    with ThrottlingProxy(
        aws.url, lambda n, service: False, stall=lambda service: 3.0 if service == "guardduty" else 0.0
    ) as proxy:
        bundle = collect(params(), tmp_path / "run", endpoint_url=proxy.url, max_attempts=1, aws_timeout=1.0)
    failed = {e["dataset"]: e for e in bundle.errors()}
    # The detectors, and what is read per detector (unknown without them).
    assert set(failed) <= {"guardduty.detectors", "guardduty.high_findings", "guardduty.publishing_destinations"}
    assert failed["guardduty.detectors"]["error_kind"] == "timeout"
    findings = evaluate(bundle).findings
    guard = [f for f in findings if f.check_id == "internal_threat_detection" and f.resource == "guardduty.detectors"]
    assert guard and guard[0].verdict.value == "error" and "time-out" in guard[0].message_en


# --- a denial in one region never hides a failure in another (issue 10, point 12) -------------------------

TOKYO, VIRGINIA = "ap-northeast-1", "us-east-1"


def two_region_params():
    return parse_params({"customer": "テスト銀行", "aws": {"regions": [TOKYO, VIRGINIA]}, "dns": {"domains": []}})


def test_denied_region_is_error_beside_the_other_regions_failures(aws, tmp_path: Path):
    """Secrets Manager and EC2 denied in us-east-1 only: Tokyo's rotation-disabled secret and its security group
    open to SSH stay failures, and us-east-1 is an error naming the missing permission, for each check."""
    aws.client("secretsmanager", TOKYO).create_secret(Name="db-password", SecretString="x")  # no rotation
    aws.client("secretsmanager", VIRGINIA).create_secret(Name="hidden", SecretString="x")
    ec2 = aws.client("ec2", TOKYO)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName="bastion", Description="ssh", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    deny = lambda service, region: service in ("secretsmanager", "ec2") and region == VIRGINIA
    with ThrottlingProxy(aws.url, lambda n, service: False, deny=deny) as proxy:
        bundle = collect(two_region_params(), tmp_path / "run", endpoint_url=proxy.url, max_attempts=1)
    assert proxy.denied >= 2
    assessment = evaluate(bundle)
    findings = assessment.findings

    secrets = [f for f in findings if f.check_id == "secrets_rotation" and f.control_id == "2.3.1-3"]
    assert sorted((f.verdict.value, f.region, f.resource) for f in secrets) == [
        ("error", VIRGINIA, "secretsmanager.secrets"),
        ("fail", TOKYO, "db-password"),
    ]
    error = next(f for f in secrets if f.verdict.value == "error")
    assert error.details["error_kind"] == "access_denied" and error.details["missing_permission"] == "secretsmanager:ListSecrets"
    assert "secretsmanager:ListSecrets" in error.message_en and "hidden" not in error.message_en

    remote = [f for f in findings if f.check_id == "remote_admin_from_internet" and f.control_id == "2.3.1-5"]
    assert {(f.verdict.value, f.region) for f in remote} == {("error", VIRGINIA), ("fail", TOKYO)}
    assert any(f.verdict.value == "fail" and group in f.resource for f in remote)

    # The same for a 2.3 check built on per-region results: Tokyo's open group fails beside Virginia's error.
    ingress = [f for f in findings if f.check_id == "sg_ingress_internet"]
    assert ("fail", TOKYO) in {(f.verdict.value, f.region) for f in ingress}
    assert ("error", VIRGINIA) in {(f.verdict.value, f.region) for f in ingress}
    assert not [f for f in ingress if f.verdict.value == "pass" and f.region == VIRGINIA]

    # Nothing concludes "none" from a region it could not read.
    assert not [f for f in secrets + remote if f.verdict.value == "not_applicable"]
    # The control's roll-up of these findings is a failure with the error listed, not 取得不可.
    assert rollup(f.verdict for f in secrets) == Verdict.FAIL
