"""The kit's own processes (``python -m assess_lib...``): their environment, and their start-up."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])


def child_env() -> dict[str, str]:
    """This process's environment, with the kit importable whatever the child's working folder."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    return env


def program_startup() -> None:
    """First thing in a process the kit runs as a program (never on import: a library leaves ``sys.modules`` alone).

    jsonschema imports the optional ``rfc3987_syntax`` (pulled in by jupyter-events' jsonschema extras)
    to check the "iri" format, and that module compiles a Lark grammar at import: two to three seconds
    of CPU in every process that imports jsonschema (nbformat, moto). The kit's programs never validate
    IRIs, so there jsonschema is told the module is absent (it then skips that one format).
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
