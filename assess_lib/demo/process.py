"""The demo's emulator in a child process: moto serves there, the kit seeds it and collects from here.

In one process the emulator and the kit share one interpreter lock: while the emulator answers, the
kit can do nothing else, and the kit's boto3 clients and moto's handlers take turns. In a child
process each has its own CPU: the seeding's requests are made here while moto answers them there.
The child binds 127.0.0.1 only and stops when its standard input closes, so it never outlives the
run, even one killed with -9.

    python -m assess_lib.demo.process      # prints "ready <url>" once serving; stops at end of input
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading

from .._child import child_env
from .server import DEMO_CREDENTIALS, MOTO_SETTINGS

READY = "ready"


class EmulatorProcess:
    """The seeded demo emulator in a child interpreter; :meth:`wait_ready` gives its URL."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")  # noqa: SIM115 - kept open for the life of the object, closed by it
        self.url = ""

    def start(self) -> EmulatorProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "assess_lib.demo.process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=_emulator_env(),
        )
        return self

    def wait_ready(self) -> str:
        """Block until the child's emulator serves; its URL. Raises with the child's error."""
        if self.url:
            return self.url
        assert self._process is not None and self._process.stdout is not None
        line = self._process.stdout.readline().strip()
        if not line.startswith(f"{READY} "):
            self.stop()
            self._stderr.seek(0)
            detail = self._stderr.read()[-2000:]
            raise RuntimeError(f"the demo emulator did not start: {detail or line or 'no output'}")
        self.url = line.split(" ", 1)[1]
        return self.url

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin:
                process.stdin.close()
            process.wait(timeout=15)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        finally:
            if process.stdout:
                process.stdout.close()
            self._stderr.close()


def _emulator_env() -> dict[str, str]:
    """The child's environment: the fake demo keys and the emulator's settings, set before it starts.

    Given at start-up, so that neither process writes its environment while its threads run.
    """
    env = {k: v for k, v in child_env().items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
    return {**env, **DEMO_CREDENTIALS, **MOTO_SETTINGS}


DEMO_RANDOM_SEED = 20241004  # the guideline's date of issue


# The emulator's services the demo seeds and the kit reads, in the order the seeding first asks for them
# (moto's names for them; see _warm_up).
DEMO_SERVICES = (
    "iam", "s3", "logs", "cloudtrail", "kms", "ses", "secretsmanager", "ec2", "network-firewall", "wafv2", "elb",
    "elbv2", "apigateway", "guardduty", "cloudfront", "lambda", "rds", "eks", "elasticache", "es", "opensearch",
    "dynamodb", "efs", "backup", "acm", "shield", "inspector2", "ecr", "route53", "sts", "s3control", "sns",
    "cloudwatch", "securityhub", "organizations", "account", "events", "config", "sqs", "ram", "sso-admin",
    "resourcegroupstaggingapi",
)  # fmt: skip


# moto modules that draw from moto's random source when imported (moto.eks: its fake OIDC issuer). Imported before the
# emulator serves, at the same point of every run; the warm-up, which runs while the seeding is answered, then draws
# nothing (tests/test_emulator.py).
DRAW_ON_IMPORT = ("moto.eks.models",)


def _warm_up(services: tuple[str, ...]) -> None:
    """Do ahead, in a thread, what moto does on a service's first request and that draws no random ID: import its
    code and parse its AWS service models (most of what a service's first request cost the seeding). Its backends,
    which create resources with random IDs (a default VPC), are left to the requests, so that IDs come in the
    seeding's order."""
    import importlib

    from moto.backends import get_backend
    from moto.core.base_backend import AccountSpecificBackend
    from moto.core.utils import get_service_model

    regions = AccountSpecificBackend.get_session()
    for service in services:
        try:
            backends = get_backend(service)  # type: ignore[call-overload]
            importlib.import_module(f"moto.{backends.backend.__module__.split('.')[1]}.urls")
            regions.get_available_regions(service)
            get_service_model(service)
        except Exception:  # noqa: BLE001 - a warm-up only: the service's first request does it again, and says why
            continue


def _serve() -> None:
    import importlib

    from moto.moto_api._internal import mock_random

    from .server import MotoServer, tune_moto

    # The emulator's IDs (sg-..., vpc-..., hosted zones) drawn from a fixed seed: the same resources, created in the
    # same order by one seeding thread, get the same IDs in every demo run, so that its findings keep their IDs and
    # the comparison with the previous year holds.
    mock_random.seed(DEMO_RANDOM_SEED)
    tune_moto()
    for module in DRAW_ON_IMPORT:
        importlib.import_module(module)
    with MotoServer() as server:
        threading.Thread(target=_warm_up, args=(DEMO_SERVICES,), name="warm-up", daemon=True).start()
        print(f"{READY} {server.url}", flush=True)
        sys.stdin.read()  # until the parent closes it (or dies)
    sys.stdout.flush()
    os._exit(0)  # the emulator's state is thrown away: skip freeing it object by object


if __name__ == "__main__":
    from .._child import program_startup

    program_startup()
    _serve()


__all__ = ["EmulatorProcess"]
