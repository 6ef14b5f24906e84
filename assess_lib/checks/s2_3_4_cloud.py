"""Checks for guideline section 2.3.4.5 (measures when using cloud services).

- 2.3.4.5 ② the shared responsibility split per service, as the customer attests it (an organisational fact:
  nothing attested is ``manual``).
- 2.3.4.5 ③ a service that detects misconfiguration automatically: AWS Security Hub with the AWS Foundational
  Security Best Practices standard in every region in scope (one result per account naming the regions without it).
- 2.3.4.5 ⑤ stakeholders and incident response: the account's security contact is registered, so that AWS can reach
  the institution's security team about an incident on the account.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import check, failed, manual, passed
from .answers import attested
from .context import CheckContext
from .result import Result

SHARED_RESPONSIBILITY = "2.3.4.5-2"
FSBP = "/aws-foundational-security-best-practices/"
_STANDARD_OFF = ("FAILED", "DELETING")  # a subscription in these states does not run its controls


@check("account_security_contact")
def account_security_contact(ctx: CheckContext) -> Iterator[Result]:
    """The account's alternate security contact is registered."""
    for contact in ctx.rows("account.security_contact"):
        if contact["registered"]:
            yield passed("security contact", name=contact.get("name") or "", email=contact.get("email") or "")
        else:
            yield failed("security contact")


@check("securityhub_fsbp")
def securityhub_fsbp(ctx: CheckContext) -> Iterator[Result]:
    """Security Hub runs the AWS Foundational Security Best Practices standard in every region in scope."""
    off: list[str] = []
    without: list[str] = []
    good: list[str] = []
    for region, rows in ctx.regional_rows("securityhub.hub"):
        hub: dict[str, Any] = rows[0] if rows else {"enabled": False}
        standards: list[dict[str, Any]] = hub.get("standards") or []
        if not hub["enabled"]:
            off.append(region)
        elif any(FSBP in str(s.get("arn")) and s.get("status") not in _STANDARD_OFF for s in standards):
            good.append(region)
        else:
            without.append(region)
    if off or without:
        yield failed(
            "Security Hub",
            regions_off=", ".join(off) or "-",
            regions_without_standard=", ".join(without) or "-",
            regions_ok=", ".join(good) or "-",
        )
    elif good and ctx.complete:
        yield passed("Security Hub", regions_ok=", ".join(good))


@check("attest_shared_responsibility")
def shared_responsibility(ctx: CheckContext) -> Iterator[Result]:
    """The split of responsibilities with the provider is defined for each cloud service in use (attested)."""
    item = attested(ctx, SHARED_RESPONSIBILITY)
    if item is None:
        yield manual(f"attestation {SHARED_RESPONSIBILITY}", "nothing_attested")
        return
    defined = item.answer("responsibility_split_defined")
    services = str(item.answer("responsibility_services") or "").strip()
    document = item.documents[0].title if item.documents else ""
    if defined is False:
        yield failed("shared responsibility")
    elif defined is True and services:
        yield passed("shared responsibility", services=services, document=document or "-")
    else:
        yield manual("shared responsibility", "incomplete")
