"""The demo's emulator in a child process: moto serves there and デモ銀行 is seeded there; the kit collects from here.

In one process the emulator and the kit share one interpreter lock: while the emulator answers, the
kit can do nothing else. In a child process each has its own CPU. The child seeds the demo itself, through boto3
like a real account but handing each request to the emulator's application in its own process
(:class:`.server.InProcessTransport`): the seeding's 516 calls are one after the other, and each one over HTTP
cost a round trip between the two processes. Meanwhile the kit's process prepares the run. The child binds
127.0.0.1 only and stops when its standard input closes, so it never outlives the run, even one killed with -9.

    python -m assess_lib.demo.process      # prints "ready <url>" once seeded and serving; stops at end of input
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from .._child import child_env
from .server import DEMO_CREDENTIALS, MOTO_SETTINGS

SERVING = "serving"  # the child's first line: where it listens, before it is seeded
READY = "ready"  # then: seeded


class EmulatorProcess:
    """The seeded demo emulator in a child interpreter; :meth:`wait_ready` gives its URL once it is seeded."""

    PROGRAM = ("-m", "assess_lib.demo.process")  # the child's program: this module's _serve

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")  # noqa: SIM115 - kept open for the life of the object, closed by it
        self.url = ""  # once seeded
        self.serving_url = ""  # once it listens

    def start(self) -> EmulatorProcess:
        self._process = subprocess.Popen(
            [sys.executable, *self.PROGRAM],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            env=_emulator_env(),
        )
        return self

    def wait_serving(self) -> str:
        """Block until the child's emulator listens (it is seeded later); its URL. Raises with the child's error."""
        if not self.serving_url:
            self._read_until(SERVING)
        return self.serving_url

    def wait_ready(self) -> str:
        """Block until the child's emulator is seeded and serves; its URL. Raises with the child's error."""
        if not self.url:
            self._read_until(READY)
        return self.url

    def _read_until(self, word: str) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            said, _, url = line.strip().partition(" ")
            if said == SERVING:
                self.serving_url = url
            elif said == READY:
                self.url = self.serving_url = url
            if said in (word, READY):
                return
        self._process.wait()  # the end of its output without a URL: it ended, its error written in full
        self._stderr.seek(0)
        detail = self._stderr.read()[-2000:]
        self.stop()
        raise RuntimeError(f"the demo emulator stopped before it was seeded: {detail or 'no output'}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if not self.url:  # still seeding (a run that failed or was interrupted meanwhile): nothing to wait for
                process.kill()
            elif process.stdin:
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


def _serve() -> None:
    from moto.moto_api._internal import mock_random

    from .seed import seed_demo_bank
    from .server import MotoServer, seeding_through, tune_moto

    # The emulator's IDs (sg-..., vpc-..., hosted zones) drawn from a fixed seed: the same resources, created in the
    # same order by one seeding thread, get the same IDs in every demo run, so that its findings keep their IDs and
    # the comparison with the previous year holds.
    mock_random.seed(DEMO_RANDOM_SEED)
    tune_moto()
    # moto.eks draws from that source when imported (its fake OIDC issuer): imported here, as it always was, so that
    # the IDs the demo's previous assessment (demo/previous) was made with come out again.
    import moto.eks.models  # noqa: F401

    with MotoServer() as server:
        print(f"{SERVING} {server.url}", flush=True)
        with seeding_through(server.transport()):
            seed_demo_bank(server.url)
        print(f"{READY} {server.url}", flush=True)
        sys.stdin.read()  # until the parent closes it (or dies)
    sys.stdout.flush()
    os._exit(0)  # the emulator's state is thrown away: skip freeing it object by object


if __name__ == "__main__":
    from .._child import program_startup

    program_startup()
    _serve()


__all__ = ["EmulatorProcess"]
