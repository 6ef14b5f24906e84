"""Checks: pure functions over evidence, registered with their controls and datasets.

A check is ``fn(ctx: CheckContext) -> list[Finding]``. It reads evidence only
through ``ctx.rows(...)`` (never boto3, ``aws/`` or ``dns/``), and the IAM
actions it needs follow from the datasets it declares. Missing evidence becomes
an ``error`` finding naming the cause and the missing permission, once per
dataset and region, beside the findings the rest of the evidence gives: regional
datasets are read through ``ctx.regional_rows``/``ctx.per_region``, which skip an
unreadable region and go on, and the runner turns any other
:class:`EvidenceUnavailable` into an ``error`` while keeping what was found before.
A check concludes "there is none" only when ``ctx.complete``. When an account's regions in scope are unknown
(``regions: all`` and the region list could not be had), every check reading a regional dataset is an ``error``
naming the cause and the permission, keeps only failures, and passes nothing (runner.run_check, context.py).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from .._yaml import load_packaged_yaml
from ..datasets import BASE_ACTIONS, DATASETS, actions_for
from .context import CheckContext

CheckFn = Callable[[CheckContext], list]

# Modules holding checks, one per guideline section.
CHECK_MODULES = (
    "s2_3_1_access",
    "s2_3_1_identity",
    "s2_3_1_email",
    "s2_1_governance",
    "s2_3_defense",
    "s2_3_1_remote",
    "s2_3_1_physical",
    "s2_3_4_dns",
)


ACCOUNT_SCOPE = "account"  # run once per AWS account of the bundle
DOMAIN_SCOPE = "domain"  # run once per e-mail domain of the bundle (account_id "dns")
ORG_SCOPE = "organisation"  # run once per assessment, on attested evidence (account_id "org")


@dataclass(frozen=True)
class CheckSpec:
    check_id: str
    controls: tuple[str, ...]
    datasets: tuple[str, ...]
    fn: CheckFn
    scope: str = ACCOUNT_SCOPE

    @property
    def permissions(self) -> list[str]:
        """IAM actions behind the check's AWS datasets (DNS datasets need none)."""
        return [a for a in actions_for(self.datasets) if ":" in a]

    @property
    def meta(self) -> dict[str, Any]:
        return check_metadata()[self.check_id]

    def title(self, lang: str = "ja") -> str:
        return self.meta[f"title_{lang}"]

    def remediation(self, lang: str = "ja") -> str:
        return self.meta[f"remediation_{lang}"]


_REGISTRY: dict[str, CheckSpec] = {}


def check(check_id: str, controls: list[str], datasets: list[str], scope: str = ACCOUNT_SCOPE) -> Callable[[CheckFn], CheckFn]:
    """Register a check for ``controls`` reading ``datasets`` (per account, or per domain)."""
    for name in datasets:
        if name not in DATASETS:
            raise ValueError(f"check {check_id}: unknown dataset {name}")

    def register(fn: CheckFn) -> CheckFn:
        if check_id in _REGISTRY:
            raise ValueError(f"check {check_id} registered twice")
        _REGISTRY[check_id] = CheckSpec(check_id, tuple(controls), tuple(datasets), fn, scope)
        return fn

    return register


def registry() -> dict[str, CheckSpec]:
    """Every registered check (importing the check modules on first use)."""
    for module in CHECK_MODULES:
        importlib.import_module(f"{__name__}.{module}")
    return dict(_REGISTRY)


@lru_cache(maxsize=1)
def check_metadata() -> dict[str, dict[str, Any]]:
    """Titles, severities and remediation per check (checks.yaml)."""
    with open(Path(__file__).with_name("checks.yaml"), encoding="utf-8") as handle:
        return load_packaged_yaml(handle)


def required_actions() -> list[str]:
    """Every IAM action the registered checks need (the kit's read-only policy)."""
    return sorted({a for spec in registry().values() for a in spec.permissions} | set(BASE_ACTIONS))


__all__ = [
    "ACCOUNT_SCOPE",
    "DOMAIN_SCOPE",
    "ORG_SCOPE",
    "CheckContext",
    "CheckSpec",
    "check",
    "check_metadata",
    "registry",
    "required_actions",
]
