"""E-mail authentication evidence (SPF, DMARC, DKIM, MTA-STS, TLS-RPT) from DNS.

``query`` asks DNS (and tells a missing record from a failure to ask), ``parse`` reads
record text, ``collect`` turns both into evidence datasets under account ``"dns"``.
"""

from __future__ import annotations

from .collect import DNS_ACCOUNT
from .collect import collect as collect_dns
from .query import DEFAULT_TIMEOUT

__all__ = ["DEFAULT_TIMEOUT", "DNS_ACCOUNT", "collect_dns"]
