"""The notebook kernels' transport: Unix sockets in a private folder instead of TCP on loopback.

By default jupyter kernels listen on 127.0.0.1 TCP ports, reachable by every local user (the
messages are signed, not encrypted), and ipykernel says so on every start ("Kernel is running
over TCP without encryption"). The kit's kernels only ever talk to the kit, so they use IPC:
socket files in a folder only the kit's user can open, removed with the kernel.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from jupyter_client.manager import AsyncKernelManager


class PrivateKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel listens on IPC sockets in its own 0700 temporary folder."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transport = "ipc"
        # mkdtemp creates the folder readable by its owner only; short path (sockets are limited to ~100 bytes).
        self._socket_dir = tempfile.mkdtemp(prefix="fsa-k-")
        self.ip = os.path.join(self._socket_dir, "k")

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._socket_dir, ignore_errors=True)


KERNEL_MANAGER = f"{__name__}.PrivateKernelManager"

__all__ = ["KERNEL_MANAGER", "PrivateKernelManager"]
