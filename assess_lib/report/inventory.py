"""The estate's inventory as tables for the notebooks and the report (guideline 2.2.1): resources per account,
region and service from the tagging API, with how many lack a required tag; the organisation's accounts with
their owner, environment and organisational unit.

Read from a saved bundle (no credentials, no network), with the thresholds in force at collection (the required
tag keys, the owner and environment tag keys). Column labels come from the text catalogue (``inventory.*``);
cell values are the customer's own strings (secret-looking ones masked), escaped by pandas when rendered to HTML.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..checks.s2_2_1_inventory import ORG, TAGGED, first_sighting, parameter_words, tag_value
from ..core.text import t
from ..evidence import GLOBAL, Bundle
from ..redact import mask_secrets
from ..thresholds import DEFAULT_THRESHOLDS


def _threshold(bundle: Bundle, name: str) -> Any:
    """A parameter as it was in force for the bundle's run (the default when the run did not set it)."""
    params = bundle.manifest.get("params") or {}
    return ((params.get("thresholds") if isinstance(params, dict) else None) or {}).get(name, DEFAULT_THRESHOLDS[name])


def _masked(frame: pd.DataFrame) -> pd.DataFrame:
    """Customer strings as every evidence table shows them: anything that looks like a secret masked."""
    return frame.map(lambda v: mask_secrets(v) if isinstance(v, str) else v)


def _ok(bundle: Bundle, dataset: str, account: str, region: str) -> bool:
    entry = bundle.entry(dataset, account, region)
    return bool(entry) and entry.get("status") == "ok"


def inventory_table(bundle: Bundle, lang: str = "ja") -> pd.DataFrame:
    """One row per account, region and service: the resources the tagging API lists (each counted once) and
    how many lack a required tag. A region whose evidence is missing is one row saying so, never a zero."""
    required = parameter_words(_threshold(bundle, "required_tag_keys"))
    column = {
        "account": t("inventory.column.account", lang),
        "region": t("inventory.column.region", lang),
        "service": t("inventory.column.service", lang),
        "resources": t("inventory.column.resources", lang),
        "lacking": t("inventory.column.lacking", lang, required=", ".join(required)),
    }
    rows: list[dict[str, Any]] = []
    for account in bundle.accounts:
        regional = []
        for region in bundle.regions(account):
            if _ok(bundle, TAGGED, account, region):
                regional.append((region, bundle.rows(TAGGED, account, region)))
            else:
                rows.append(
                    {
                        "account": account,
                        "region": region,
                        "service": t("inventory.missing", lang),
                        "resources": None,
                        "lacking": None,
                    }
                )
        for region, resources in first_sighting(regional).items():
            services: dict[str, list[int]] = {}
            for resource in resources:
                counts = services.setdefault(str(resource.get("service") or "-"), [0, 0])
                counts[0] += 1
                counts[1] += any(not tag_value(resource.get("tags"), key) for key in required)
            for service, (count, lacking) in sorted(services.items()):
                rows.append({"account": account, "region": region, "service": service, "resources": count, "lacking": lacking})
    frame = _masked(pd.DataFrame(rows, columns=list(column)))
    return frame.sort_values(["account", "region", "service"], kind="stable").reset_index(drop=True).rename(columns=column)


def organization_table(bundle: Bundle, lang: str = "ja") -> pd.DataFrame:
    """The organisation's accounts as its management account (or a delegated administrator) lists them: name,
    organisational unit, owner and environment tags, status, and whether the assessment covers the account.
    Assessed accounts the organisation does not list are added, marked so. Empty when no assessed account
    could list the organisation."""
    owner_key = str(_threshold(bundle, "owner_tag_key"))
    environment_key = str(_threshold(bundle, "environment_tag_key"))
    column = {
        "account": t("inventory.column.account", lang),
        "name": t("inventory.column.name", lang),
        "ou_path": t("inventory.column.ou_path", lang),
        "owner": t("inventory.column.owner", lang, tag=owner_key),
        "environment": t("inventory.column.environment", lang, tag=environment_key),
        "status": t("inventory.column.status", lang),
        "assessed": t("inventory.column.assessed", lang),
    }
    listed: dict[str, dict[str, Any]] = {}
    for account in bundle.accounts:
        if not _ok(bundle, ORG, account, GLOBAL):
            continue
        for row in bundle.rows(ORG, account, GLOBAL):
            if row.get("view") in ("management", "delegated"):
                listed.setdefault(str(row.get("account_id")), row)
    rows = [
        {
            "account": account_id,
            "name": row.get("name") or "",
            "ou_path": row.get("ou_path") or "",
            "owner": tag_value(row.get("tags"), owner_key),
            "environment": tag_value(row.get("tags"), environment_key),
            "status": row.get("status") or "",
            "assessed": account_id in bundle.accounts,
        }
        for account_id, row in sorted(listed.items())
    ]
    if listed:
        rows += [
            {
                "account": a,
                "name": "",
                "ou_path": t("inventory.not_listed", lang),
                "owner": "",
                "environment": "",
                "status": "",
                "assessed": True,
            }
            for a in sorted(set(bundle.accounts) - set(listed))
        ]
    return _masked(pd.DataFrame(rows, columns=list(column))).rename(columns=column)


__all__ = ["inventory_table", "organization_table"]
