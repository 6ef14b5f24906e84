"""The embedded demo environment: a seeded emulator for デモ銀行, no credentials, no network."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any
from collections.abc import Iterator

# Light on purpose: a demo run starts the emulator's process (.process) first thing, and this package's heavier
# modules (the seeding, boto3, dnslib) are imported afterwards, while the child seeds.
from .process import EmulatorProcess

DEMO_PARAMS = Path(__file__).resolve().parent / "params.yaml"  # shipped in the package, with its attestation file


class DemoEndpoints:
    """Where the demo's emulated services listen (127.0.0.1 only)."""

    def __init__(self, emulator: EmulatorProcess, dns_nameservers: list[str], credentials: dict[str, str]) -> None:
        self._emulator = emulator
        self.dns_nameservers = dns_nameservers
        # The emulator's fake keys, for the collection's session (boto3 keywords): given, never put in the environment.
        self.credentials = credentials

    def aws_url(self) -> str:
        """The emulator's URL, once it is seeded: blocks until then."""
        return self._emulator.wait_ready()

    def serving_url(self) -> str:
        """The emulator's URL as soon as it listens, while it is still being seeded (:meth:`wait_seeded`)."""
        return self._emulator.wait_serving()

    def wait_seeded(self) -> None:
        """Block until the emulator is seeded (a run calls it when its collection is about to send its first call)."""
        self._emulator.wait_ready()


@contextlib.contextmanager
def demo_environment() -> Iterator[DemoEndpoints]:
    """Start the emulator and the DNS server on 127.0.0.1 and yield their endpoints; stop everything afterwards.

    The emulator runs in a child process (:mod:`.process`), on the other CPU, and seeds itself there: whatever the
    caller does in the block before it asks for :meth:`DemoEndpoints.aws_url` (or waits with
    :meth:`DemoEndpoints.wait_seeded`) runs meanwhile.
    """
    emulator = EmulatorProcess().start()
    try:
        from .dns_zone import ZoneServer, demo_zone
        from .server import demo_session_credentials

        # No credentials in this process's environment: the seeding's and the collection's clients are given the
        # demo's fake keys (DemoEndpoints.credentials), the emulator has them in its own.
        with ZoneServer(demo_zone()) as dns:
            yield DemoEndpoints(emulator, [dns.nameserver], demo_session_credentials())
    finally:
        emulator.stop()  # a child still seeding (the run failed or was interrupted meanwhile) is killed, not waited for


_LAZY = {
    "DEMO_ACCOUNT": "server",
    "DEMO_DOMAINS": "dns_zone",
    "DEMO_REGIONS": "seed",
    "MotoServer": "server",
    "demo_credentials": "server",
}


def __getattr__(name: str) -> Any:
    """The package's other names, imported from their modules when first asked for."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEMO_ACCOUNT",
    "DEMO_DOMAINS",
    "DEMO_PARAMS",
    "DEMO_REGIONS",
    "DemoEndpoints",
    "MotoServer",
    "demo_credentials",
    "demo_environment",
]
