"""The demo emulator's own parts that make it faster (assess_lib/demo/server.py, process.py): each must answer exactly
as moto does, only sooner. And the start-up every program of the kit shares (assess_lib/_child.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from moto.server import DomainDispatcherApplication, create_backend_app

from assess_lib.demo.server import dispatcher_class

ROOT = Path(__file__).resolve().parents[1]

HOSTS = [
    None,
    "moto_api",
    "ec2",
    "awslambda",
    "ec2.ap-northeast-1.amazonaws.com",
    "s3.amazonaws.com",
    "demo-bucket.s3.ap-northeast-1.amazonaws.com",
    "iam.amazonaws.com",
    "sts.us-east-1.amazonaws.com",
    "logs.ap-northeast-3.amazonaws.com",
    "securityhub.us-east-1.amazonaws.com",
    "network-firewall.ap-northeast-1.amazonaws.com",
    "sso.ap-northeast-1.amazonaws.com",
    "tagging.us-east-1.amazonaws.com",
    "cloudfront.amazonaws.com",
    "example.com",
    "127.0.0.1:5000",
]


@pytest.mark.parametrize("host", HOSTS)
def test_dispatcher_names_the_service_moto_names_for_every_host(host):
    """The kept answer is moto's own, the first time and the next (read from what it kept)."""
    ours = dispatcher_class()(create_backend_app)
    expected = DomainDispatcherApplication(create_backend_app).get_backend_for_host(host)
    assert ours.get_backend_for_host(host) == expected
    assert ours.get_backend_for_host(host) == expected


def test_the_dispatcher_keeps_an_answer_per_host_and_nothing_for_moto_names():
    ours = dispatcher_class()(create_backend_app)
    for host in HOSTS:
        ours.get_backend_for_host(host)
    assert set(ours._backends) == {h for h in HOSTS if h is not None and h != "moto_api" and h not in ours.modules}


@pytest.mark.parametrize(
    "program", ["assess_lib/__main__.py", "assess_lib/_notebooks.py", "assess_lib/_kernel.py", "assess_lib/demo/process.py"]
)
def test_every_program_of_the_kit_starts_with_the_kits_collector_thresholds(program):
    """The kit's programs collect garbage cycles every GC_YOUNG_THRESHOLD new objects, not Python's 700 (full
    collections rescanning the service models and the emulator's state cost seconds); the older generations' ratios
    stay Python's. Checked in a fresh interpreter, and each program's entry point is checked to call the start-up."""
    probe = textwrap.dedent(
        """
        import gc
        default = gc.get_threshold()
        from assess_lib._child import GC_YOUNG_THRESHOLD, program_startup
        program_startup()
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, *default[1:]), (gc.get_threshold(), default)
        assert gc.isenabled()
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
    assert "program_startup()" in (ROOT / program).read_text(encoding="utf-8")


def _sqs_call(action: str, **params: str) -> bytes:
    from urllib.parse import urlencode

    return urlencode({"Action": action, "Version": "2012-11-05", **params}).encode()


_SQS_HEADERS = {
    "Host": "sqs.ap-northeast-1.amazonaws.com",
    "Content-Type": "application/x-www-form-urlencoded",
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIADEMODEMODEMO0000/20261201/ap-northeast-1/sqs/aws4_request, "
    "SignedHeaders=host, Signature=0",
}


def test_the_emulator_keeps_a_connection_open_and_reads_each_request_whole():
    """One connection serves a client's next calls (werkzeug alone closes every one), each request's body read whole
    whether its length is given or it comes in chunks, so that no byte of a body is taken for the next request; a
    client asking to close is answered and closed; stopping the emulator closes the connections it kept open, even
    an idle one, and does not wait for them."""
    import http.client
    import threading

    from assess_lib.demo.server import MotoServer

    server = MotoServer().start()
    stopped = False
    try:
        host, port = server.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("POST", "/", body=_sqs_call("CreateQueue", QueueName="kept-open"), headers=_SQS_HEADERS)
        first = conn.getresponse()
        assert first.status == 200 and b"kept-open" in first.read()
        assert first.getheader("Connection") != "close"
        sock = conn.sock
        # The next body in chunks, on the same connection.
        chunks = iter(
            [_sqs_call("CreateQueue", QueueName="in-chunks")[:20], _sqs_call("CreateQueue", QueueName="in-chunks")[20:]]
        )
        conn.request("POST", "/", body=chunks, headers=_SQS_HEADERS, encode_chunked=True)
        second = conn.getresponse()
        assert second.status == 200 and b"in-chunks" in second.read()
        assert conn.sock is sock, "the connection was closed and opened again"
        conn.request("POST", "/", body=_sqs_call("ListQueues"), headers=_SQS_HEADERS)
        listed = conn.getresponse().read()
        assert b"kept-open" in listed and b"in-chunks" in listed
        assert conn.sock is sock

        closing = http.client.HTTPConnection(host, int(port), timeout=30)
        closing.request("POST", "/", body=_sqs_call("ListQueues"), headers={**_SQS_HEADERS, "Connection": "close"})
        answer = closing.getresponse()
        assert answer.status == 200 and answer.getheader("Connection") == "close"
        answer.read()
        closing.close()

        stopping = threading.Thread(target=server.stop)
        stopping.start()
        stopping.join(timeout=20)
        assert not stopping.is_alive(), "stopping waited for an idle connection"
        stopped = True
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            conn.request("POST", "/", body=_sqs_call("ListQueues"), headers=_SQS_HEADERS)
            conn.getresponse().read()
        conn.close()
    finally:
        if not stopped:
            server.stop()


def test_the_tuned_emulator_answers_as_moto_does_and_parses_each_model_once():
    """tune_moto (the emulator's programs only) changes where moto finds what it needs, never what it finds: the
    regions of every service the kit reads, and the methods of a response class, are moto's own; the region lists
    read moto's parse of each model instead of parsing it again. Checked in a fresh interpreter."""
    probe = textwrap.dedent(
        """
        import json
        from moto.core.base_backend import AccountSpecificBackend
        from moto.core import responses, utils
        from moto.ec2.responses import EC2Response
        from moto.s3.responses import S3Response
        from assess_lib.aws.collect import COLLECTED_SERVICES as SERVICES
        from assess_lib.demo.server import tune_moto

        def regions(session):
            return {s: sorted(session.get_available_regions(s, partition_name=p)) for s in SERVICES
                    for p in ("aws", "aws-cn")}

        untuned = regions(AccountSpecificBackend.get_session())
        from werkzeug.routing import Map, Rule
        def url(values):
            urls = Map([Rule("/2015-03-31/functions/<path:name>/policy", endpoint="policy")]).bind("lambda.amazonaws.com")
            return urls.build("policy", values), urls.match("/2015-03-31/functions/f%201/policy")
        built = url({"name": "f 1", "Qualifier": "$LATEST"})
        names = {c: responses.method_names_from_class(c) for c in (EC2Response, S3Response)}
        parsed = []
        original = json.loads
        json.loads = lambda *a, **k: parsed.append(1) or original(*a, **k)
        tune_moto()
        session = AccountSpecificBackend.get_session()
        assert session._session.get_service_data("ec2") is utils.get_service_model("ec2")._service_description
        for service in SERVICES:
            utils.get_service_model(service)  # moto's own parse, which it makes to serve the service
        parsed.clear()
        assert regions(session) == untuned
        assert not parsed, f"{len(parsed)} files parsed again"
        for c, expected in names.items():
            assert responses.method_names_from_class(c) == expected
        assert utils.create_loader() is utils.create_loader()
        assert url({"name": "f 1", "Qualifier": "$LATEST"}) == built  # werkzeug's URL builders, compiled when used
        import botocore.session
        fresh = botocore.session.Session
        assert fresh().get_component("data_loader") is fresh().get_component("data_loader")
        # KMS keys get their key pair when first used, and sign and verify as before.
        from moto.backends import get_backend
        from assess_lib.demo.server import LazyPrivateKey
        kms = get_backend("kms")["123456789012"]["us-east-1"]
        key = kms.create_key(None, "SIGN_VERIFY", "RSA_2048", "", None)
        assert isinstance(key.private_key, LazyPrivateKey) and key.private_key._key is None
        import copy
        assert copy.copy(key).private_key._key_spec == "RSA_2048"  # moto copies keys (ReplicateKey)
        _, signature, _ = kms.sign(key.id, b"message", "RSASSA_PSS_SHA_256")
        assert kms.verify(key.id, b"message", signature, "RSASSA_PSS_SHA_256")[1]
        assert not kms.verify(key.id, b"other", signature, "RSASSA_PSS_SHA_256")[1]
        from cryptography.hazmat.primitives.serialization import load_der_public_key
        assert load_der_public_key(kms.get_public_key(key.id)[1]).key_size == 2048
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


def test_clients_through_the_in_process_transport_get_what_clients_over_http_get(aws, moto_server):
    """The demo's emulator process seeds itself through InProcessTransport: what those clients create, HTTP clients
    read, and the other way round, for each protocol (query, EC2, JSON, REST-XML with an empty and a binary body and a
    non-ASCII key, REST-JSON), errors included; the emulator's registered answers too. Sessions made outside
    seeding_through speak HTTP."""
    from botocore.config import Config
    from botocore.exceptions import ClientError

    from assess_lib.demo import unserved
    from assess_lib.demo.server import InProcessTransport, demo_session_credentials, seeding_session, seeding_through

    carried: list[str] = []

    class Counting(InProcessTransport):
        def __call__(self, request, **kwargs):
            carried.append(request.url)
            return super().__call__(request, **kwargs)

    with seeding_through(Counting(moto_server._server.app)):
        session = seeding_session(demo_session_credentials())
    outside = seeding_session(demo_session_credentials())

    def direct(service, region="ap-northeast-1"):
        return session.client(service, region_name=region, endpoint_url=aws.url, config=Config(retries={"max_attempts": 1}))

    http = aws.client
    direct("iam").create_user(UserName="in-process", Tags=[{"Key": "部署", "Value": "システム部"}])
    assert http("iam").list_user_tags(UserName="in-process")["Tags"] == [{"Key": "部署", "Value": "システム部"}]
    http("iam").create_user(UserName="over-http")
    assert {u["UserName"] for u in direct("iam").list_users()["Users"]} == {"in-process", "over-http"}
    with pytest.raises(ClientError) as missing:
        direct("iam").get_user(UserName="nobody")
    assert missing.value.response["Error"]["Code"] == "NoSuchEntity"
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    vpc = direct("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    assert http("ec2").describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"] == "10.9.0.0/16"

    s3 = direct("s3")
    s3.create_bucket(Bucket="in-process", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
    s3.put_bucket_acl(Bucket="in-process", ACL="public-read")  # a PUT without a body
    body = bytes(range(256)) * 4
    s3.put_object(Bucket="in-process", Key="報告/a b+c.bin", Body=body)
    assert http("s3").get_object(Bucket="in-process", Key="報告/a b+c.bin")["Body"].read() == body
    assert s3.get_object(Bucket="in-process", Key="報告/a b+c.bin")["Body"].read() == body
    grants = http("s3").get_bucket_acl(Bucket="in-process")["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/global/AllUsers") for g in grants)

    direct("logs").create_log_group(logGroupName="/in/process")
    assert [g["logGroupName"] for g in http("logs").describe_log_groups()["logGroups"]] == ["/in/process"]
    api = direct("apigateway").create_rest_api(name="in-process")["id"]
    assert http("apigateway").get_rest_api(restApiId=api)["name"] == "in-process"

    unserved.register(aws.url, "ssm", "DescribeInstanceInformation", {"InstanceInformationList": [{"InstanceId": "i-1"}]})
    assert direct("ssm").describe_instance_information()["InstanceInformationList"] == [{"InstanceId": "i-1"}]

    served = len(carried)
    assert served == 11 and all(url.startswith(aws.url) for url in carried)
    outside.client("iam", region_name="us-east-1", endpoint_url=aws.url).list_users()
    assert len(carried) == served, "a session made outside seeding_through used the transport"


def _stand_in(code: str):
    """An EmulatorProcess running a stand-in child program (hand-built: the real child seeds the demo), started."""
    from assess_lib.demo.process import EmulatorProcess

    class StandIn(EmulatorProcess):
        PROGRAM = ("-c", code)

    return StandIn().start()


def test_the_emulator_process_gives_its_url_after_any_other_output_and_says_why_it_failed():
    """The URL is the line the child prints once seeded, whatever it printed before (and where it listens, the line it
    prints before seeding); a child that ends without one is reported with the end of its error output; a child still
    seeding when the run stops is not waited for."""
    import time

    ready = _stand_in("print('a warning of some library'); print('ready http://127.0.0.1:1', flush=True); input()")
    try:
        assert ready.wait_ready() == "http://127.0.0.1:1"
        assert ready.wait_serving() == "http://127.0.0.1:1"  # seeded: it listens, of course
    finally:
        ready.stop()

    # Where it listens is known as soon as it says so, before it is seeded; the URL once seeded comes later.
    seeding = _stand_in(
        "import sys; print('serving http://127.0.0.1:2', flush=True); sys.stdin.readline();"
        "print('ready http://127.0.0.1:2', flush=True); input()"
    )
    try:
        assert seeding.wait_serving() == "http://127.0.0.1:2" and seeding.url == ""
        assert seeding._process is not None and seeding._process.stdin is not None
        seeding._process.stdin.write("seeded\n")  # the stand-in's seeding ends when told
        seeding._process.stdin.flush()
        assert seeding.wait_ready() == "http://127.0.0.1:2" and seeding.wait_serving() == "http://127.0.0.1:2"
    finally:
        seeding.stop()

    failed = _stand_in("import sys; sys.stderr.write('Traceback ...\\nValueError: seeding went wrong'); sys.exit(3)")
    with pytest.raises(RuntimeError, match=r"(?s)the demo emulator stopped before it was seeded: Traceback .*seeding went wrong"):
        failed.wait_ready()

    seeding = _stand_in("import time; time.sleep(120)")
    started = time.monotonic()
    seeding.stop()
    assert time.monotonic() - started < 10
