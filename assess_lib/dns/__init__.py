"""E-mail authentication evidence (SPF, DMARC, DKIM, MTA-STS, TLS-RPT) from DNS.

``query`` asks DNS (and tells a missing record from a failure to ask), ``parse`` reads
record text, ``collect`` turns both into evidence datasets under account ``"dns"``.
"""

from __future__ import annotations

from typing import Any, Callable

from ..evidence import EvidenceStore
from ..params import Params
from .collect import DNS_ACCOUNT, collect
from .query import DEFAULT_TIMEOUT


def collect_dns(
    params: Params,
    store: EvidenceStore,
    nameservers: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """Gather DNS evidence for every domain of the params into ``store``; return manifest metadata.

    ``nameservers`` ("IP" or "IP:PORT") overrides ``params.dns.nameservers``; empty means the
    system resolver. ``demo`` in the params without an override raises :class:`ParamsError`
    (a ``ValueError``), as does a malformed entry. ``timeout`` is seconds per DNS question.
    """
    return collect(params, store, nameservers=nameservers, progress=progress, timeout=timeout)


__all__ = ["DEFAULT_TIMEOUT", "DNS_ACCOUNT", "collect_dns"]
