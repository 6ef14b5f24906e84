"""2.3.1 ⑤: remote administration (SSH/RDP) reachable from the internet, i.e. without MFA.

SSH or RDP open to the whole internet is remote access authenticated by a key or a password alone. What
"open to the internet" means is modelled once, in :mod:`._exposure`, and shared with 2.3 ① (security group
ingress and the defense-in-depth layers).
"""

from __future__ import annotations

from collections.abc import Iterator

from . import check, failed, passed
from ._exposure import REMOTE_ADMIN_PORTS, remote_admin_exposed
from .context import CheckContext
from .result import Phrase, Result

SG = "ec2.security_groups"


@check("remote_admin_from_internet")
def remote_admin_from_internet(ctx: CheckContext) -> Iterator[Result]:
    """SSH/RDP open to the internet is remote access authenticated by key or password alone, without MFA."""
    exposed = 0
    groups = 0
    for region, rows in ctx.regional_rows(SG):
        for group in rows:
            groups += 1
            ports = remote_admin_exposed(group)
            if not ports:
                continue
            exposed += 1
            attached = group.get("attached")
            yield failed(
                f"{group.get('group_id')} ({group.get('group_name')})",
                region=region,
                severity="high" if attached else "medium",
                ports=ports,
                attached=attached,
                names=", ".join(f"{REMOTE_ADMIN_PORTS[p]}({p})" for p in ports),
                state=Phrase("in_use" if attached else "unused"),
            )
    if groups and not exposed:
        # One finding for the account: no group it could read exposes them (a region it could not read
        # is an error beside it).
        yield passed("security groups", groups_checked=groups)
