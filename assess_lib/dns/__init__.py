"""E-mail authentication evidence (SPF, DMARC, DKIM, MTA-STS, TLS-RPT) from DNS.

Placeholder until the DNS collector lands: records the domains in scope and no datasets.
"""

from __future__ import annotations

from typing import Any, Callable

from ..evidence import EvidenceStore
from ..params import Params


def collect_dns(
    params: Params,
    store: EvidenceStore,
    nameservers: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Gather DNS evidence for every domain of the params into ``store``; return manifest metadata."""
    return {"domains": list(params.dns.domains)}
