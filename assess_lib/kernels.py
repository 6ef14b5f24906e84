"""The notebook kernels: Unix sockets in a private folder instead of TCP, one kernel per worker.

By default jupyter kernels listen on 127.0.0.1 TCP ports, reachable by every local user (the
messages are signed, not encrypted), and ipykernel says so on every start ("Kernel is running
over TCP without encryption"). The kit's kernels only ever talk to the kit, so they use IPC:
socket files in a folder only the kit's user can open, removed with the kernel.

Starting a kernel and importing the kit in it costs a second or two of CPU per notebook. A
:class:`KernelPool` keeps one kernel per worker thread and runs that worker's notebooks in it one
after the other, with the user namespace and the execution count reset in between: each notebook
still starts from an empty namespace, only the imported modules are kept. The kernels keep no
IPython history (see :data:`NO_HISTORY`).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager

log = logging.getLogger(__name__)

# Run silently (no history, no output) between two notebooks in the same kernel.
RESET = "get_ipython().run_line_magic('reset', '-f')\nget_ipython().execution_count = 1\n"

# The kit's kernels keep no input history: IPython's history is one SQLite file shared by every
# kernel of the user, and kernels starting together collide in it ("Session/line number was not
# unique in database", printed into a cell's output, i.e. into the customer's notebook).
NO_HISTORY = ["--HistoryManager.enabled=False"]

# ipykernel's launcher in the kernel's command is replaced by the kit's (python -m assess_lib._kernel), which is the
# same after the start-up every program of the kit has.
IPYKERNEL_LAUNCHER = "ipykernel_launcher"
KERNEL_PROGRAM = "assess_lib._kernel"


class PrivateKernelManager(KernelManager):
    """A kernel manager whose kernel listens on IPC sockets in its own 0700 temporary folder."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.transport = "ipc"
        # mkdtemp makes the folder readable by its owner only; short path (socket paths are limited to ~100 bytes).
        self._socket_dir = tempfile.mkdtemp(prefix="fsa-k-")
        self.ip = os.path.join(self._socket_dir, "k")
        self._clients: list[Any] = []

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments=[*NO_HISTORY, *(extra_arguments or [])])
        return [
            KERNEL_PROGRAM if n > 0 and command[n - 1] == "-m" and part == IPYKERNEL_LAUNCHER else part
            for n, part in enumerate(command)
        ]

    def client(self, **kwargs: Any) -> Any:
        # Remembered, because papermill leaves open the client of a kernel it did not start (and an
        # open client warns when garbage-collected): stop_clients closes them.
        client = super().client(**kwargs)
        self._clients.append(client)
        return client

    def stop_clients(self) -> None:
        """Close the channels of every client made for this kernel so far."""
        clients, self._clients = self._clients, []
        for client in clients:
            if client.channels_running:
                client.stop_channels()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            shutil.rmtree(self._socket_dir, ignore_errors=True)


def _shutdown(manager: PrivateKernelManager) -> None:
    """Shut a kernel down (best effort) and remove its sockets.

    At once (``now``): its notebooks are written, it holds nothing to save, and a graceful shutdown
    waits a second or more per kernel for the kernel to exit by itself.
    """
    manager.stop_clients()
    try:
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
    except Exception as err:  # noqa: BLE001 - shutting down is best effort
        log.debug("kernel shutdown: %s", err)


def _run_silently(manager: PrivateKernelManager, code: str) -> None:
    """Run ``code`` in the kernel without output or history, waiting for it to finish."""
    manager.stop_clients()  # the previous notebook's
    client = manager.client()
    client.start_channels()
    try:
        client.execute(code, silent=True, store_history=False, reply=True, timeout=60)
    finally:
        client.stop_channels()


class KernelPool:
    """One kernel per calling thread, started in ``cwd`` on first use and reset before each reuse."""

    def __init__(self, cwd: Path, kernel_name: str = "python3") -> None:
        self.cwd = cwd
        self.kernel_name = kernel_name
        self._local = threading.local()
        self._lock = threading.Lock()
        self._managers: list[PrivateKernelManager] = []
        self._idle: list[PrivateKernelManager] = []  # started ahead (prestart), not yet any thread's
        self._closed = False

    def prestart(self, count: int, code: str = "") -> None:
        """Start ``count`` kernels now, together, each running ``code`` (imports, say), for threads to take later.

        A run starts its kernels while its evidence is still being collected: the notebooks then begin at once.
        """

        def start() -> None:
            try:
                manager = self._start()
                if code:
                    _run_silently(manager, code)
            except Exception as err:  # noqa: BLE001 - a notebook's thread starts its own kernel then, and reports its failure
                log.debug("kernel prestart: %s", err)
                return
            with self._lock:
                if not self._closed:
                    self._idle.append(manager)

        threads = [threading.Thread(target=start, name=f"kernel-prestart-{n}") for n in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _start(self) -> PrivateKernelManager:
        manager = PrivateKernelManager(kernel_name=self.kernel_name)
        with self._lock:
            if self._closed:
                raise RuntimeError("the kernel pool is closed")
            self._managers.append(manager)  # before it starts: kill() finds a kernel that is starting
        # IPython's own folder in the kernel's private folder: the kit's kernels run no start-up file of the user's
        # IPython profile and write nothing into the user's home (a run that fails early leaves nothing behind).
        ipython_dir = os.path.join(manager._socket_dir, "ipython")
        manager.start_kernel(cwd=str(self.cwd), env={**os.environ, "IPYTHONDIR": ipython_dir})
        with self._lock:
            closed = self._closed and manager not in self._managers
        if closed:  # closed while this kernel started: it is not left running
            _shutdown(manager)
            raise RuntimeError("the kernel pool is closed")
        return manager

    def kernel(self) -> PrivateKernelManager:
        """This thread's kernel, with an empty namespace and its execution count back at 1.

        After :meth:`close` (the run stopping) no kernel starts: RuntimeError.
        """
        if self._closed:
            raise RuntimeError("the kernel pool is closed")
        manager = getattr(self._local, "manager", None)
        if manager is not None and manager.is_alive():
            _run_silently(manager, RESET)  # the previous notebook's namespace goes
            return manager
        with self._lock:
            manager = self._idle.pop() if self._idle else None
        if manager is not None and manager.is_alive():
            _run_silently(manager, RESET)  # what the start-up code defined goes too
        else:
            manager = self._start()
        self._local.manager = manager
        return manager

    def close(self) -> None:
        """Shut every kernel down (best effort)."""
        with self._lock:
            self._closed = True
            managers, self._managers, self._idle = self._managers, [], []
        for manager in managers:
            _shutdown(manager)

    def kill(self) -> None:
        """Kill every kernel at once, the run stopping: no message, no waiting (safe from a signal handler).

        A kernel still starting meanwhile ends by itself when its parent process is gone (ipykernel polls the
        ``JPY_PARENT_PID`` that jupyter_client gives it).
        """
        with self._lock:
            self._closed = True
            managers, self._managers, self._idle = self._managers, [], []
        for manager in managers:
            provisioner = getattr(manager, "provisioner", None)
            process = getattr(provisioner, "process", None)
            if process is not None and process.poll() is None:
                process.kill()
            shutil.rmtree(manager._socket_dir, ignore_errors=True)

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["NO_HISTORY", "RESET", "KernelPool", "PrivateKernelManager"]
