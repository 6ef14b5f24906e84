"""Checks: pure functions over evidence, each with one metadata record (``checks/<module>.yaml``).

A check is a generator ``fn(ctx: CheckContext)`` decorated with ``@check("check_id")``, yielding
:class:`~.result.Result` objects (``passed``, ``failed``, ``not_applicable``, ``manual``) with the facts behind
them. It reads evidence only through ``ctx.rows(...)`` (never boto3, ``aws/`` or ``dns/``) and, for a composite
check, other checks' results through ``ctx.results(...)``. Its record (:mod:`.records`) says everything else: title,
severity, scope, datasets, parameters, messages, remediation, references. The runner (:mod:`.runner`) owns what is
generic: iterating the scope, turning missing evidence into ``error`` findings per account and region, "nothing to
assess", rendering messages, and containing a crash. Which guideline items a check serves is said by the catalogue
alone (``catalog/controls.yaml``, ``checks:``). Check modules are discovered: every module of this package with a
record file of the same name.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..core.text import render
from ..datasets import BASE_ACTIONS, actions_for
from .context import CheckContext
from .records import CheckRecord, load_records, read_order
from .result import Result, failed, manual, not_applicable, passed

CheckFn = Callable[[CheckContext], Iterable[Result] | None]

ACCOUNT_SCOPE = "account"  # once per AWS account of the bundle
REGION_SCOPE = "region"  # once per AWS account and region in scope (the runner iterates the regions)
DOMAIN_SCOPE = "domain"  # once per e-mail domain of the bundle (account_id "dns")
ORG_SCOPE = "organisation"  # once per assessment, on attested evidence (account_id "org")
AWS_SCOPES = (ACCOUNT_SCOPE, REGION_SCOPE)

# Modules of this package that hold the machinery, not checks.
_MACHINERY = frozenset({"answers", "context", "records", "result", "runner"})


def check(check_id: str) -> Callable[[CheckFn], CheckFn]:
    """Mark ``fn`` as the function of check ``check_id`` (its record says the rest)."""

    def mark(fn: CheckFn) -> CheckFn:
        fn.__check_id__ = check_id  # type: ignore[attr-defined]
        return fn

    return mark


@dataclass(frozen=True)
class CheckSpec:
    """A check: its record and its function."""

    record: CheckRecord
    fn: CheckFn

    @property
    def check_id(self) -> str:
        return self.record.check_id

    @property
    def datasets(self) -> tuple[str, ...]:
        return self.record.datasets

    @property
    def scope(self) -> str:
        return self.record.scope

    @property
    def severity(self) -> str:
        return self.record.severity

    @property
    def parameters(self) -> Mapping[str, Any]:
        return self.record.parameters

    @property
    def controls(self) -> tuple[str, ...]:
        """The guideline items the catalogue maps this check to."""
        return tuple(_controls_by_check().get(self.check_id, ()))

    @property
    def permissions(self) -> list[str]:
        """IAM actions behind the check's AWS datasets (DNS and attested datasets need none)."""
        return [a for a in actions_for(self.datasets) if ":" in a]

    def title(self, lang: str = "ja") -> str:
        return self.record.title["en" if lang == "en" else "ja"]

    def remediation(self, lang: str = "ja", parameters: Mapping[str, Any] | None = None) -> str:
        """The remediation, quoting the parameters in force (defaults unless ``parameters`` say otherwise)."""
        values = {**self.parameters, **{k: v for k, v in (parameters or {}).items() if k in self.parameters}}
        return render(self.record.remediation["en" if lang == "en" else "ja"], lang, values)

    def message(self, key: str, lang: str, values: Mapping[str, Any]) -> str:
        """The record's message ``key`` in ``lang``, filled with ``values`` (Phrases of this check's messages
        or of the catalogue rendered in the same language)."""
        return render(self.record.messages[key]["en" if lang == "en" else "ja"], lang, values, self._lookup)

    def _lookup(self, key: str) -> Mapping[str, str]:
        if "." in key:
            from ..core.text import entry

            return entry(key)
        return self.record.messages[key]


@lru_cache(maxsize=1)
def _controls_by_check() -> dict[str, list[str]]:
    from ..catalog import load_catalog

    out: dict[str, list[str]] = {}
    for control in load_catalog():
        for check_id in control.checks:
            out.setdefault(check_id, []).append(control.control_id)
    return out


def _check_modules() -> list[str]:
    return [m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_") and m.name not in _MACHINERY]


@lru_cache(maxsize=1)
def _discover() -> dict[str, CheckSpec]:
    records = load_records()
    found: dict[str, CheckSpec] = {}
    for module in _check_modules():
        loaded = importlib.import_module(f"{__name__}.{module}")
        for value in vars(loaded).values():
            check_id = getattr(value, "__check_id__", None)
            if check_id is None or getattr(value, "__module__", None) != loaded.__name__:
                continue
            if check_id in found:
                raise ValueError(f"check {check_id} has two functions ({found[check_id].record.module} and {module})")
            if check_id not in records:
                raise ValueError(f"check {check_id} (checks/{module}.py) has no record in checks/{module}.yaml")
            if records[check_id].module != module:
                raise ValueError(f"check {check_id}: its record is in checks/{records[check_id].module}.yaml, not {module}.yaml")
            found[check_id] = CheckSpec(records[check_id], value)
    orphans = sorted(set(records) - set(found))
    if orphans:
        raise ValueError(f"check record {orphans[0]} (checks/{records[orphans[0]].module}.yaml) has no function")
    order = read_order({c: s.record for c, s in found.items()})
    return {check_id: found[check_id] for check_id in order}


def registry() -> dict[str, CheckSpec]:
    """Every check, discovered, each after the checks whose results it reads."""
    return dict(_discover())


def required_actions() -> list[str]:
    """Every IAM action the checks need (the kit's read-only policy)."""
    return sorted({a for spec in registry().values() for a in spec.permissions} | set(BASE_ACTIONS))


__all__ = [
    "ACCOUNT_SCOPE",
    "AWS_SCOPES",
    "DOMAIN_SCOPE",
    "ORG_SCOPE",
    "REGION_SCOPE",
    "CheckContext",
    "CheckSpec",
    "Result",
    "check",
    "failed",
    "manual",
    "not_applicable",
    "passed",
    "registry",
    "required_actions",
]
