"""The demo emulator's own parts that make it faster (assess_lib/demo/server.py, process.py): each must answer exactly
as moto does, only sooner. And the start-up every program of the kit shares (assess_lib/_child.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from moto.backends import get_backend
from moto.server import DomainDispatcherApplication, create_backend_app

from assess_lib.demo.process import DEMO_SERVICES
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


def test_every_service_warmed_for_the_demo_is_one_of_motos():
    """The warm-up passes over what fails (it is only a head start): a misspelt or removed name would be skipped
    silently there, so it is caught here."""
    assert len(DEMO_SERVICES) == len(set(DEMO_SERVICES))
    for service in DEMO_SERVICES:
        assert get_backend(service) is not None, service


def test_warming_up_draws_no_random_id_and_creates_no_backend():
    """The warm-up runs while the seeding's requests are answered: it must not draw from moto's random source (the
    demo's IDs come from a fixed seed, in the order the seeding creates its resources) nor create a backend (which
    draws them: a default VPC), once the modules that draw on import are imported. Checked in a fresh interpreter,
    where nothing else has touched moto."""
    probe = textwrap.dedent(
        """
        from moto.core.base_backend import BackendDict
        from moto.moto_api._internal import mock_random
        from assess_lib.demo.process import DEMO_SERVICES, DRAW_ON_IMPORT, _warm_up
        import importlib
        mock_random.seed(7)
        for module in DRAW_ON_IMPORT:  # as the emulator does before it serves
            importlib.import_module(module)
        before = mock_random.getstate()
        _warm_up(DEMO_SERVICES)
        assert mock_random.getstate() == before, "the warm-up drew random numbers"
        assert not BackendDict._instances, [b.service_name for b in BackendDict._instances]
        import sys
        assert "moto.ec2.models" in sys.modules and "moto.networkfirewall.urls" in sys.modules
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"


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
    regions of every service the demo uses, and the methods of a response class, are moto's own; the region lists
    read moto's parse of each model instead of parsing it again. Checked in a fresh interpreter."""
    probe = textwrap.dedent(
        """
        import json
        from moto.core.base_backend import AccountSpecificBackend
        from moto.core import responses, utils
        from moto.ec2.responses import EC2Response
        from moto.s3.responses import S3Response
        from assess_lib.demo.process import DEMO_SERVICES
        from assess_lib.demo.server import tune_moto

        def regions(session):
            return {s: sorted(session.get_available_regions(s, partition_name=p)) for s in DEMO_SERVICES
                    for p in ("aws", "aws-cn")}

        untuned = regions(AccountSpecificBackend.get_session())
        names = {c: responses.method_names_from_class(c) for c in (EC2Response, S3Response)}
        parsed = []
        original = json.loads
        json.loads = lambda *a, **k: parsed.append(1) or original(*a, **k)
        tune_moto()
        session = AccountSpecificBackend.get_session()
        assert session._session.get_service_data("ec2") is utils.get_service_model("ec2")._service_description
        for service in DEMO_SERVICES:
            utils.get_service_model(service)  # moto's own parse, which it makes to serve the service
        parsed.clear()
        assert regions(session) == untuned
        assert not parsed, f"{len(parsed)} files parsed again"
        for c, expected in names.items():
            assert responses.method_names_from_class(c) == expected
        assert utils.create_loader() is utils.create_loader()
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
