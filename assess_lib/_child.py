"""The kit's own processes (``python -m assess_lib...``): their environment, and their start-up."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])

# New container objects between two young collections in the kit's programs (Python's default: 700). See
# program_startup.
GC_YOUNG_THRESHOLD = 100_000


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

    The kit's programs are batch runs that build millions of long-lived objects (botocore's service models,
    the emulator's resources, the evidence bundle). With Python's default thresholds the cyclic collector runs
    every 700 new objects and, each time the heap has grown by a quarter, rescans all of them: in the demo about
    4 s of CPU in the kit's process and 3.7 s in the emulator's, most of it in about twenty full collections.
    A young collection every :data:`GC_YOUNG_THRESHOLD` objects leaves about 1 s in each, and no full collection
    in the demo; garbage cycles are still collected, only in larger batches. Reference counting, which frees
    everything else at once, is unchanged. The price is memory: cyclic garbage (dead botocore clients above all)
    waits longer to be freed: collecting 50 accounts × 3 regions, the kit's process peaks at about 690 MiB
    instead of 350 MiB. (Rare full collections with Python's young threshold would cost far more: 1.5 GiB there.)
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
