"""The kit's notebook kernel: ipykernel's own launcher, started as every program of the kit starts.

    python -m assess_lib._kernel -f CONNECTION_FILE      # what kernels.PrivateKernelManager runs

The same as ``python -m ipykernel_launcher`` after :func:`~assess_lib._child.program_startup` (its collector
thresholds: the kernel imports pandas and IPython before any notebook runs, with about a second of full
collections under Python's defaults).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    # As ipykernel_launcher: the working folder is not importable while the kernel loads (IPython puts it back).
    if sys.path[0] == "" or Path(sys.path[0]) == Path.cwd():
        del sys.path[0]

    from assess_lib._child import program_startup

    program_startup()

    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
