"""The register of third-party access the estate grants, built from evidence (2.6), as a table for the notebooks and
the report: one row per party, way in and account, with the resources it can reach, whether an external ID is
required and when it last used the access.

Read from a saved bundle (no credentials, no network) through :func:`assess_lib.checks._external_access.external_parties`.
Column labels come from the text catalogue (``third_parties.*``); cell values are the customer's own strings (secret-looking
ones masked), escaped by pandas when rendered to HTML. Evidence that could not be read is one row saying so: the table is
never a proof of absence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from ..checks._external_access import ANY, external_parties_with_gaps
from ..core.text import t
from ..evidence import Bundle
from ..redact import mask_secrets

_SHOWN = 5  # resources named per row (the count is always complete)


def _resources(names: list[str], lang: str) -> str:
    listed = sorted(set(names))
    more = len(listed) - _SHOWN
    text = ", ".join(listed[:_SHOWN])
    return f"{text} ({t('third_parties.more', lang, count=more)})" if more > 0 else text


def _external_id(values: list[bool | None], lang: str) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "-"
    return t("third_parties.required" if all(known) else "third_parties.not_required", lang)


def _last_used(values: list[dt.datetime | None], lang: str) -> str:
    known = [v for v in values if v is not None]
    return max(known).strftime("%Y-%m-%d") if known else t("third_parties.never", lang)


def third_party_table(bundle: Bundle, lang: str = "ja") -> pd.DataFrame:
    """One row per party, way in and account: the register of access that parties outside the organisation hold."""
    column = {
        key: t(f"third_parties.column.{key}", lang)
        for key in ("party", "way_in", "account", "resources", "external_id", "last_used")
    }
    rows, gaps = external_parties_with_gaps(bundle)
    grouped: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault((row["party"], row["kind"], row["account"]), []).append(row)
    table: list[dict[str, Any]] = []
    for (party, kind, account), found in sorted(grouped.items()):
        uses_dates = kind in ("role_trust", "saml", "oidc") and any(r["resource_type"] == "iam_role" for r in found)
        table.append(
            {
                "party": t("third_parties.anyone", lang) if party == ANY else party,
                "way_in": t(f"third_parties.kind.{kind}", lang),
                "account": account,
                "resources": _resources([r["resource"] for r in found], lang),
                "external_id": _external_id([r["external_id_required"] for r in found], lang),
                "last_used": _last_used([r["last_used"] for r in found], lang) if uses_dates else "-",
            }
        )
    for gap in gaps:
        table.append(
            {
                "party": t("third_parties.missing", lang, dataset=gap.dataset),
                "way_in": "-",
                "account": gap.account_id,
                "resources": gap.region,
                "external_id": "-",
                "last_used": "-",
            }
        )
    frame = pd.DataFrame(table, columns=list(column))
    frame = frame.map(lambda v: mask_secrets(v) if isinstance(v, str) else v)
    return frame.rename(columns=column)
