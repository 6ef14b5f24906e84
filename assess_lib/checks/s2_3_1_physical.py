"""2.3.1 (8) physical security: AWS's data centres are AWS's responsibility; on-premises rooms by attestation.

The AWS side is always stated (not applicable, with where AWS's audit reports are). On-premises computer
rooms and data storage facilities are judged on the customer's answers: access controlled, recorded and the
records reviewed passes; records not reviewed fails; no such rooms is not applicable; anything unanswered is
manual (not yet decided; the questions to ask are the consultant's, in catalog/checklist.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from . import check, failed, manual, not_applicable, passed
from .answers import attested
from .context import CheckContext
from .result import Result

CONTROL = "2.3.1-8"
ON_PREMISES = "on-premises facilities"


@check("physical_security")
def physical_security(ctx: CheckContext) -> Iterator[Result]:
    """On-premises facilities: physical access controlled and recorded, the records reviewed."""
    # The AWS estate: physical security of AWS data centres is AWS's side of the shared responsibility model.
    yield not_applicable("AWS data centres", "aws_side")
    item = attested(ctx, CONTROL)
    if item is None:
        yield manual(ON_PREMISES, "nothing_attested")
        return
    rooms = item.answer("onprem_computer_rooms")
    if rooms is False:
        yield not_applicable(ON_PREMISES, "no_rooms")
        return
    controls = (item.answer("physical_access_controls") or "").strip()
    reviewed = item.answer("access_records_reviewed")
    if rooms is None or reviewed is None or not controls:
        yield manual(ON_PREMISES, "incomplete")
    elif reviewed is True:
        yield passed(ON_PREMISES, "pass", controls=controls)
    else:
        yield failed(ON_PREMISES, "fail", controls=controls)
