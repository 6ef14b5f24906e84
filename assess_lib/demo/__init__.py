"""The embedded demo environment: a seeded emulator for デモ銀行, no credentials, no network."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .dns_zone import DEMO_DOMAINS, ZoneServer, demo_zone
from .seed import DEMO_REGIONS, seed_demo_bank
from .server import DEMO_ACCOUNT, MotoServer, demo_credentials

DEMO_PARAMS = Path(__file__).resolve().parents[2] / "params" / "demo.yaml"


@dataclass(frozen=True)
class DemoEndpoints:
    """Where the demo's emulated services listen (127.0.0.1 only)."""

    aws_url: str
    dns_nameservers: list[str] | None = None


@contextlib.contextmanager
def demo_environment() -> Iterator[DemoEndpoints]:
    """Start the emulator and the DNS server on 127.0.0.1, seed デモ銀行, yield the endpoints; stop everything afterwards."""
    with MotoServer() as server, demo_credentials(), ZoneServer(demo_zone()) as dns:
        seed_demo_bank(server.url)
        yield DemoEndpoints(server.url, [dns.nameserver])


__all__ = [
    "DemoEndpoints",
    "DEMO_ACCOUNT",
    "DEMO_DOMAINS",
    "DEMO_PARAMS",
    "DEMO_REGIONS",
    "MotoServer",
    "demo_credentials",
    "demo_environment",
]
