"""Attestations: the customer's manual evidence for organisational items.

Placeholder until the attestation module lands: records nothing.
"""

from __future__ import annotations

from typing import Any

from ..evidence import EvidenceStore
from ..params import Params


def collect_attestations(params: Params, store: EvidenceStore) -> dict[str, Any]:
    """Copy the attestation file (if any) into the bundle; return manifest metadata."""
    return {"attestations": None}
