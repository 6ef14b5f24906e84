"""JupyterLab for a live walkthrough of a finished run, and the guard on the repository's notebooks.

``python -m assess_lib lab --run DIR`` serves the run folder itself (on 127.0.0.1): its own executed
notebooks in ``DIR/notebooks`` name their run as ``run_dir = ".."``, so *Run All* shows that run
again and collects nothing. What the consultant saves stays in the run folder.

The kit's own notebooks (``assess_lib/notebooks/``) are templates, committed without outputs:
:func:`strip_repository_outputs` is a Jupyter server pre-save hook that saves them without outputs whoever opens them. Every Jupyter
server of the venv registers it, this module being a server extension enabled by
``jupyter_server_config.json`` (which ``make setup`` installs into the venv's
``etc/jupyter/jupyter_server_config.d/``); the ``lab`` command sets it too.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

from ._notebooks import NOTEBOOK_DIR

REPO_NOTEBOOKS = NOTEBOOK_DIR  # the templates, inside the package
HOOK = "assess_lib.lab.strip_repository_outputs"
FIRST_NOTEBOOK = "notebooks/00_summary.ipynb"


class LabError(Exception):
    """A run folder the walkthrough cannot open; the message names the folder and the fix."""


def strip_outputs(notebook: dict[str, Any]) -> None:
    """Remove every code cell's outputs and execution count (and papermill's timing) in place."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
            cell.get("metadata", {}).pop("execution", None)


def in_repository_notebooks(os_path: str | Path) -> bool:
    """Whether a file lies in the kit's notebook templates folder, ``assess_lib/notebooks/`` (symbolic links followed)."""
    return Path(os.path.realpath(os_path)).is_relative_to(REPO_NOTEBOOKS.resolve())


def strip_repository_outputs(model: dict[str, Any], path: str, contents_manager: Any, **kwargs: Any) -> None:
    """Jupyter server pre-save hook: a notebook saved into the kit's ``assess_lib/notebooks/`` loses its outputs.

    Autosave in JupyterLab would otherwise write one customer's results into the templates the next
    customer opens. Notebooks anywhere else (a run folder) are saved as they are.
    """
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    if in_repository_notebooks(os.path.join(contents_manager.root_dir, path.strip("/"))):
        strip_outputs(model["content"])


@functools.cache
def _no_history_kernel_manager() -> type:
    from jupyter_server.services.kernels.kernelmanager import ServerKernelManager

    from .kernels import NO_HISTORY

    class NoHistoryKernelManager(ServerKernelManager):
        """The lab's kernels, like the kit's own, keep no IPython history (see :data:`assess_lib.kernels.NO_HISTORY`)."""

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            return super().format_kernel_cmd(extra_arguments=[*NO_HISTORY, *(extra_arguments or [])])

    return NoHistoryKernelManager


def __getattr__(name: str) -> Any:
    # Built on first use: importing this module (the pre-save hook) must not import jupyter_server.
    if name == "NoHistoryKernelManager":
        return _no_history_kernel_manager()
    raise AttributeError(name)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "assess_lib.lab"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    serverapp.contents_manager.register_pre_save_hook(strip_repository_outputs)


def check_run(run: Path) -> None:
    """Raise :class:`LabError` unless ``run`` is a run folder whose notebooks point at it."""
    if not (run / "evidence" / "manifest.json").is_file():
        raise LabError(
            f"--run {run}: no evidence bundle there (expected {run / 'evidence' / 'manifest.json'}). "
            "Fix: point --run at a folder written by 'python -m assess_lib run' or 'demo'"
        )
    notebooks = sorted((run / "notebooks").glob("*.ipynb"))
    stale = [nb.name for nb in notebooks if _recorded_run_dir(nb) != ".."]
    if not notebooks or stale:
        problem = (
            "holds no executed notebooks" if not notebooks else f"has notebooks that do not point at it ({', '.join(stale)})"
        )
        raise LabError(
            f"--run {run}: the run folder {problem}. Fix: execute them again from its bundle, offline, into a new "
            f"folder: python -m assess_lib report --bundle {run} --out NEW_FOLDER, then lab --run NEW_FOLDER"
        )


def _recorded_run_dir(notebook: Path) -> Any:
    """The ``run_dir`` papermill injected into an executed notebook (None when it holds none)."""
    try:
        metadata = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError):
        return None
    return metadata.get("papermill", {}).get("parameters", {}).get("run_dir")


def lab_command(run: Path, port: int | None = None, browser: bool = True, extra: list[str] | None = None) -> list[str]:
    """The JupyterLab command serving ``run`` on 127.0.0.1 and opening its summary notebook."""
    command = [
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={run}",
        "--ServerApp.ip=127.0.0.1",
        f"--ContentsManager.pre_save_hook={HOOK}",
        "--AsyncMappingKernelManager.kernel_manager_class=assess_lib.lab.NoHistoryKernelManager",
        f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}",
    ]
    if port is not None:
        command += [f"--ServerApp.port={port}", "--ServerApp.port_retries=0"]  # that port or a clear failure
    if not browser:
        command.append("--no-browser")
    return command + list(extra or [])


__all__ = ["HOOK", "LabError", "check_run", "in_repository_notebooks", "lab_command", "strip_outputs", "strip_repository_outputs"]
