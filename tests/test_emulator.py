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
