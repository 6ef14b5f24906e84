"""Faults on the wire: a throttling storm between boto3 and the emulator, via a real proxy on 127.0.0.1."""

from __future__ import annotations

import http.client
import http.server
import threading
import time
import urllib.parse
from pathlib import Path

from assess_lib.params import parse_params
from assess_lib.pipeline import collect, evaluate

THROTTLE_XML = (
    b'<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>'
    b"<Message>Rate exceeded</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
)
THROTTLE_JSON = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'


class ThrottlingProxy:
    """Forwards to the emulator, answering a throttling error instead for chosen requests.

    ``throttle(n, service)`` decides for the n-th request of a query- or JSON-protocol service;
    ``stall(service)`` makes the proxy wait before answering (a slow or hung endpoint).
    """

    def __init__(self, target: str, throttle, stall=lambda service: 0.0) -> None:
        self.target = urllib.parse.urlsplit(target)
        self.throttle = throttle
        self.stall = stall
        self.count = 0
        self.throttled = 0
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
                query = body.startswith(b"Action=") or b"&Action=" in body
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
    }
    findings = evaluate(bundle).findings
    trail = [f for f in findings if f.check_id == "cloudtrail_multiregion_logging"]
    assert [f.verdict.value for f in trail] == ["error"] and "throttled" in trail[0].message_en
    assert any(f.check_id == "iam_user_console_mfa" and f.verdict.value == "fail" for f in findings)


def test_hung_endpoint_is_error_named_time_out(aws, tmp_path: Path):
    """GuardDuty answers after the client's read time-out: its datasets are `error` (time-out), the rest fine."""
    seed(aws)
    with ThrottlingProxy(
        aws.url, lambda n, service: False, stall=lambda service: 3.0 if service == "guardduty" else 0.0
    ) as proxy:
        bundle = collect(params(), tmp_path / "run", endpoint_url=proxy.url, max_attempts=1, aws_timeout=1.0)
    failed = {e["dataset"]: e for e in bundle.errors()}
    assert set(failed) == {"guardduty.detectors"} and failed["guardduty.detectors"]["error_kind"] == "timeout"
    findings = evaluate(bundle).findings
    guard = [f for f in findings if f.check_id == "internal_threat_detection" and f.resource == "guardduty.detectors"]
    assert guard and guard[0].verdict.value == "error" and "time-out" in guard[0].message_en
