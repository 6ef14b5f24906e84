"""The notebooks of a run, executed in a process of their own: ``python -m assess_lib._notebooks RUN_DIR LANG``.

The publishing process starts this program first (:func:`start`) and writes the report meanwhile; the notebooks
read the run's written results (``findings.json``, ``controls.json``) and its bundle, so they need nothing of
the publisher's memory. Each executed copy goes to ``RUN_DIR/notebooks`` and is converted to HTML there. This
process prints one progress line per notebook on its standard output; a failure ends it with a non-zero status
and the reason on its standard error.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .kernels import KernelPool

NOTEBOOK_DIR = Path(__file__).resolve().parent / "notebooks"
PROGRAM = "assess_lib._notebooks"
# Started ahead of its run's results (``--wait``), the program starts its kernels with what every notebook imports,
# then waits for this line on its standard input; the end of its input instead ends it without running anything.
GO = "go"
# What every notebook imports, then frozen out of the collector's sight (gc.freeze): IPython's reset between two
# notebooks ends with a full collection, which would otherwise rescan pandas, IPython and the kit each time (about
# 0.1 s a notebook).
WARM_UP = "import assess_lib.notebook\nimport gc\ngc.freeze()\n"


class NotebooksFailed(RuntimeError):
    """The notebooks' process ended with an error (its message holds the end of what that process reported)."""


def section_notebooks() -> list[Path]:
    """The kit's notebook templates, summary first (shipped inside the package)."""
    return sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def execute_notebooks(
    run_dir: Path,
    language: str,
    progress: Callable[[str], None] | None = None,
    kernels: KernelPool | None = None,
    then: Callable[[Path], object] | None = None,
) -> list[Path]:
    """Run every notebook with papermill against ``run_dir`` (its results written already), in parallel kernels.

    The executed copies go to ``run_dir/notebooks`` and name their run as ``run_dir = ".."``, relative to
    themselves: reopened later (``python -m assess_lib lab``), copied or moved with their run folder, they show
    that run and never collect or evaluate. Their kernels start in that folder, as Jupyter starts a kernel in its
    notebook's folder. One kernel per worker thread, reused for that worker's notebooks (see
    :mod:`assess_lib.kernels`); ``kernels``: the pool to use (its owner can kill it), a new one by default.
    ``then`` is called with each executed copy in the thread that executed it (the others' kernels run meanwhile).
    A failure kills the kernels at once and is raised.
    """
    import nbformat
    import papermill

    from .kernels import KernelPool

    out_dir = run_dir / "notebooks"
    out_dir.mkdir(exist_ok=True)
    notebooks = section_notebooks()

    def execute(notebook: Path) -> Path:
        target = out_dir / notebook.name
        # papermill is given and returns notebook objects, and no working folder: both its working-folder argument
        # and its own file reads and writes go through os.chdir, which is process-wide (other threads resolved
        # paths in the wrong folder). The kernel starts in its own folder (KernelPool).
        executed = papermill.execute_notebook(
            nbformat.read(notebook, as_version=4),
            None,
            parameters={"run_dir": os.path.relpath(run_dir, out_dir), "language": language},
            progress_bar=False,
            log_output=False,
            km=kernels.kernel(),
        )
        # Where papermill would have recorded the paths (here it holds the input notebook itself).
        executed.metadata.papermill.update(input_path=notebook.name, output_path=target.name)
        nbformat.write(executed, target)
        if then is not None:
            then(target)
        return target

    executed = []
    # The kernels are processes of their own; threads here only wait for them.
    kernels = kernels or KernelPool(out_dir)
    pool = ThreadPoolExecutor(max_workers=notebook_workers())
    try:
        for done, target in enumerate(pool.map(execute, notebooks), start=1):
            executed.append(target)
            if progress:
                progress(f"[{done}/{len(notebooks)}] notebook {target.name}")
    except BaseException:
        # Stopped early (a failure): no notebook starts any more and the kernels are killed; the threads still
        # waiting for one are not waited for (the program ends without them, see main).
        pool.shutdown(wait=False, cancel_futures=True)
        kernels.kill()
        raise
    kernels.close()
    pool.shutdown(wait=True)
    return executed


def notebook_workers() -> int:
    """How many notebooks run at once (one kernel each): one CPU is left to the run's publishing, which typesets the
    PDFs meanwhile. On two CPUs a second kernel made the demo slower, not faster (its start-up and imports cost about
    two seconds of CPU the PDFs were waiting for)."""
    return max(1, min(len(section_notebooks()), (os.cpu_count() or 2) - 1))


class NotebookProcess:
    """The child process executing a run's notebooks; :meth:`wait` for it, :meth:`stop` it on failure."""

    def __init__(self, run_dir: Path, language: str, progress: Callable[[str], None] | None = None, wait: bool = False) -> None:
        from ._child import child_env

        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - kept open for the life of the object, closed by it
        # IPython's folder for the child (finding the kernel, starting kernels): a private one, removed with it, so that
        # nothing is written into the user's home (each kernel then gets a folder of its own: kernels.py).
        self._ipython = tempfile.TemporaryDirectory(prefix="fsa-ipython-")
        self.process = subprocess.Popen(
            [sys.executable, "-m", PROGRAM, os.path.abspath(run_dir), language, *(["--wait"] if wait else [])],
            stdin=subprocess.PIPE if wait else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**child_env(), "IPYTHONDIR": self._ipython.name},
            text=True,
            encoding="utf-8",
        )
        # Progress lines are passed on as they come (this thread only reads the pipe).
        self._reader = threading.Thread(target=self._forward, args=(progress,), name="notebooks-progress", daemon=True)
        self._reader.start()

    def _forward(self, progress: Callable[[str], None] | None) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if progress and line.strip():
                progress(line.rstrip("\n"))

    def go(self) -> None:
        """Tell a process started with ``wait`` that the run's results are written: the notebooks start."""
        stdin = self.process.stdin
        if stdin is not None and not stdin.closed:
            with contextlib.suppress(OSError):  # the child is gone already: wait() reports why
                stdin.write(f"{GO}\n")
                stdin.close()

    def wait(self) -> None:
        """Wait for the notebooks; :class:`NotebooksFailed` with the child's last words if it failed."""
        try:
            status = self.process.wait()
            self._reader.join()
            if status != 0:
                self._stderr.seek(0)
                reason = self._stderr.read().decode("utf-8", "replace").strip()[-3000:]
                raise NotebooksFailed(f"executing the notebooks failed (exit status {status}):\n{reason}")
        finally:
            self._close()

    def stop(self) -> None:
        """End the child (it shuts its kernels down first), waiting at most half a minute before killing it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        self._close()

    def _close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):  # the child is gone already
                self.process.stdin.close()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()
        self._ipython.cleanup()


def start(run_dir: Path, language: str, progress: Callable[[str], None] | None = None, wait: bool = False) -> NotebookProcess:
    """Start executing the notebooks of ``run_dir`` in a child process (see the module's docstring).

    With ``wait`` the child starts its kernels and waits for :meth:`NotebookProcess.go`, so that a run can start
    it before its results exist; :meth:`NotebookProcess.stop` ends it without running anything.
    """
    return NotebookProcess(run_dir, language, progress, wait)


class Exporters:
    """HTML exporters for the executed notebooks, one per worker at a time (an exporter compiles its templates once)."""

    def __init__(self) -> None:
        self._free: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def prepare(self, count: int) -> None:
        """Make ``count`` exporters ready, their templates compiled (on an empty notebook), and papermill imported
        with nbformat's validator built: what the first notebooks would otherwise do."""
        import nbformat
        import papermill  # noqa: F401 - imported ahead

        from .report.notebook_html import notebook_exporter

        empty = nbformat.v4.new_notebook()
        nbformat.validate(empty)
        for _ in range(count):
            exporter = notebook_exporter()
            exporter.from_notebook_node(empty)
            self._free.put(exporter)

    def publish(self, notebook: Path, customer: str) -> None:
        """``notebook``'s HTML page beside it."""
        from .report.notebook_html import notebook_exporter, publish_notebook

        try:
            exporter = self._free.get_nowait()
        except queue.Empty:
            exporter = notebook_exporter()
        try:
            publish_notebook(notebook, customer, exporter)
        finally:
            self._free.put(exporter)


def main(argv: list[str] | None = None) -> int:
    from ._child import program_startup

    program_startup()
    args = sys.argv[1:] if argv is None else argv
    wait = args[2:] == ["--wait"]
    if len(args) not in (2, 3) or args[1] not in ("ja", "en") or (len(args) == 3 and not wait):
        print(f"usage: python -m {PROGRAM} RUN_DIR ja|en [--wait]", file=sys.stderr)
        return 2
    run_dir = Path(os.path.abspath(args[0]))
    from .kernels import KernelPool

    (run_dir / "notebooks").mkdir(exist_ok=True)
    kernels = KernelPool(run_dir / "notebooks")

    def stop(signum: int, frame: Any) -> None:
        # Stopped by the publisher (its own failure, Ctrl-C): the kernels are killed and the program ends at once.
        kernels.kill()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def say(message: str) -> None:
        print(message, flush=True)

    try:
        from .evidence import Bundle

        exporters = Exporters()
        if wait:
            kernels.prestart(notebook_workers(), WARM_UP)
            exporters.prepare(notebook_workers())  # while the run collects: the notebooks' phase has no CPU to spare
            if sys.stdin.readline().strip() != GO:  # the run ended before its results were written
                kernels.close()
                return 0

        customer = str(Bundle.load(run_dir).manifest.get("customer") or "")

        def to_html(notebook: Path) -> None:
            exporters.publish(notebook, customer)

        execute_notebooks(run_dir, args[1], say, kernels, then=to_html)
    except BaseException:  # noqa: BLE001 - reported below, and the process ends at once
        # Its kernels are killed already; a thread still waiting for one of them must not hold the process (the
        # interpreter would join it at exit), so the program ends here, its error reported.
        traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
