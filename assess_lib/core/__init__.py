"""The kit's core: the model every other layer shares, its roll-up, and the bilingual text catalogue.

The core imports nothing of the kit above it (collection, checks, presentation).
"""

from .model import (
    BLOCKING_SEVERITIES,
    SEVERITY_ORDER,
    VERDICT_COLOURS,
    VERDICT_ORDER,
    Assessment,
    ErrorKind,
    Finding,
    ItemResult,
    Severity,
    Verdict,
    error_kind_label,
    finding_order,
    most_serious_first,
    severity_label,
    severity_rank,
    verdict_rank,
)
from .text import Phrase, both, t

__all__ = [
    "BLOCKING_SEVERITIES",
    "SEVERITY_ORDER",
    "VERDICT_COLOURS",
    "VERDICT_ORDER",
    "Assessment",
    "ErrorKind",
    "Finding",
    "ItemResult",
    "Phrase",
    "Severity",
    "Verdict",
    "both",
    "error_kind_label",
    "finding_order",
    "most_serious_first",
    "severity_label",
    "severity_rank",
    "t",
    "verdict_rank",
]
