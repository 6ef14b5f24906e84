"""The embedded demo environment: a seeded emulator for デモ銀行, no credentials, no network."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from .seed import DEMO_REGIONS, seed_demo_bank
from .server import DEMO_ACCOUNT, MotoServer, demo_credentials

DEMO_PARAMS = Path(__file__).resolve().parents[2] / "params" / "demo.yaml"


@contextlib.contextmanager
def demo_environment() -> Iterator[str]:
    """Start the emulator on 127.0.0.1, seed デモ銀行, yield its endpoint URL; stop it afterwards."""
    with MotoServer() as server, demo_credentials():
        seed_demo_bank(server.url)
        yield server.url


__all__ = ["DEMO_ACCOUNT", "DEMO_PARAMS", "DEMO_REGIONS", "MotoServer", "demo_credentials", "demo_environment"]
