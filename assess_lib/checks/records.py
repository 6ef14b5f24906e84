"""Check records: the metadata of every check, one YAML record per check beside its function.

A check module ``checks/<name>.py`` has a record file ``checks/<name>.yaml`` mapping each check ID to::

    title: {ja, en}
    severity: critical | high | medium | low        # of a failure, unless the result names another
    scope: account | region | domain | organisation # what the runner iterates the check over
    datasets: [iam.credential_report, ...]         # the evidence it reads (declared by the collectors)
    parameters: {access_key_max_age_days: 90}       # thresholds with defaults, overridable from params by name
    reads: [other_check, ...]                       # composite checks: results of these checks (an account's
                                                    # checks read an account's, a domain's a domain's)
    subject: security groups                        # the resource named by the runner's "nothing to assess"
    messages:                                       # templates per outcome, {ja, en}, filled with the result's
      pass: {ja, en}                                # facts, the parameters in force, {resource} {region} {account}
      fail: {ja, en}
      none: {ja, en}                                # nothing to assess (no result, complete evidence): required
    remediation: {ja, en}                           # may quote parameters: {access_key_max_age_days}
    references: {cis: ["1.14"], fsbp: ["IAM.3"]}    # optional
    always_applies: why there is always something to assess (e.g. every account has a password policy setting);
                    then ``none`` is not required, and the runner's "nothing to assess" would be a defect

Records are validated at load like Prowler's check metadata: an unknown or missing key, a dataset no collector
declares, a message without both languages, a template field that is neither a parameter nor a name the runner
provides (checked when rendered), or a parameter whose default differs between checks is an error naming the file,
the check and the key.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from .._yaml import load_packaged_yaml
from ..core.model import FAILURE_SEVERITIES
from ..core.text import LANGS

SCOPES: tuple[str, ...] = ("account", "region", "domain", "organisation")
REQUIRED = ("title", "severity", "scope", "datasets", "messages", "remediation")
OPTIONAL = ("parameters", "reads", "subject", "references", "always_applies")
# Names the runner fills into every message besides the result's facts and the parameters.
RUNNER_FIELDS = ("resource", "region", "account", "domain")
NOTHING_TO_ASSESS = "none"


class RecordError(ValueError):
    """A check record is invalid (names the file, the check and the key)."""


@dataclass(frozen=True)
class CheckRecord:
    check_id: str
    module: str
    title: Mapping[str, str]
    severity: str
    scope: str
    datasets: tuple[str, ...]
    messages: Mapping[str, Mapping[str, str]]
    remediation: Mapping[str, str]
    parameters: Mapping[str, Any] = field(default_factory=dict)
    reads: tuple[str, ...] = ()
    subject: str = ""
    references: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    always_applies: str = ""  # why "nothing to assess" cannot happen (then no "none" message)


def _bilingual(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or set(value) != set(LANGS):
        raise RecordError(f"{where}: expected {{ja: ..., en: ...}} (both languages, nothing else)")
    for lang in LANGS:
        if not isinstance(value[lang], str) or not value[lang].strip():
            raise RecordError(f"{where}.{lang}: expected a non-empty text")
        try:
            list(string.Formatter().parse(value[lang]))
        except ValueError as problem:
            raise RecordError(f"{where}.{lang}: not a valid template ({problem}); write {{{{ }}}} for a literal brace") from None
    return {lang: value[lang] for lang in LANGS}


def template_fields(template: str) -> set[str]:
    """The field names a template fills (``{name}``, ``{name:>3}`` -> ``name``)."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def parse_record(check_id: str, data: Any, source: str, module: str, known_datasets: Mapping[str, Any]) -> CheckRecord:
    """One validated record."""
    where = f"{source}: {check_id}"
    if not isinstance(data, Mapping):
        raise RecordError(f"{where}: expected a mapping of {', '.join(REQUIRED)}")
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise RecordError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(REQUIRED + OPTIONAL)})")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise RecordError(f"{where}: missing key {missing[0]!r}")
    if data["severity"] not in FAILURE_SEVERITIES:
        raise RecordError(f"{where}.severity: {data['severity']!r} is not one of {', '.join(FAILURE_SEVERITIES)}")
    if data["scope"] not in SCOPES:
        raise RecordError(f"{where}.scope: {data['scope']!r} is not one of {', '.join(SCOPES)}")
    datasets = data["datasets"]
    if not isinstance(datasets, list) or not all(isinstance(d, str) for d in datasets):
        raise RecordError(f"{where}.datasets: expected a list of dataset names")
    for name in datasets:
        if name not in known_datasets:
            raise RecordError(f"{where}.datasets: no collector declares the dataset {name!r}")
    always = data.get("always_applies", "")
    if not isinstance(always, str):
        raise RecordError(f"{where}.always_applies: expected the reason there is always something to assess")
    messages = data["messages"]
    if not isinstance(messages, Mapping) or not messages or (NOTHING_TO_ASSESS not in messages and not always):
        raise RecordError(
            f"{where}.messages: expected a mapping of message keys with {NOTHING_TO_ASSESS!r} (nothing to assess), "
            "or always_applies: <why there is always something to assess>"
        )
    parsed_messages = {str(key): _bilingual(text, f"{where}.messages.{key}") for key, text in messages.items()}
    parameters = data.get("parameters") or {}
    if not isinstance(parameters, Mapping) or not all(
        isinstance(k, str) and isinstance(v, (bool, int, float, str)) for k, v in parameters.items()
    ):
        raise RecordError(f"{where}.parameters: expected a mapping of parameter names to default values")
    reads = data.get("reads") or []
    if not isinstance(reads, list) or not all(isinstance(r, str) for r in reads):
        raise RecordError(f"{where}.reads: expected a list of check IDs")
    references = data.get("references") or {}
    if not isinstance(references, Mapping) or not all(isinstance(v, list) for v in references.values()):
        raise RecordError(f"{where}.references: expected e.g. {{cis: ['1.14'], fsbp: ['IAM.3']}}")
    subject = data.get("subject", "")
    if not isinstance(subject, str):
        raise RecordError(f"{where}.subject: expected a text")
    return CheckRecord(
        check_id=check_id,
        module=module,
        title=_bilingual(data["title"], f"{where}.title"),
        severity=data["severity"],
        scope=data["scope"],
        datasets=tuple(datasets),
        messages=parsed_messages,
        remediation=_bilingual(data["remediation"], f"{where}.remediation"),
        parameters=dict(parameters),
        reads=tuple(reads),
        subject=subject or check_id,
        references={str(k): tuple(str(x) for x in v) for k, v in references.items()},
        always_applies=always,
    )


@lru_cache(maxsize=1)
def load_records() -> dict[str, CheckRecord]:
    """Every check record of the package (``checks/*.yaml``), validated."""
    from ..datasets import DATASETS

    records: dict[str, CheckRecord] = {}
    folder = resources.files(__package__)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        source = f"checks/{entry.name}"
        data = load_packaged_yaml(entry.read_text(encoding="utf-8")) or {}
        if not isinstance(data, Mapping):
            raise RecordError(f"{source}: expected a mapping of check IDs to records")
        for check_id, record in data.items():
            if check_id in records:
                raise RecordError(f"{source}: {check_id} is also recorded in checks/{records[check_id].module}.yaml")
            records[check_id] = parse_record(check_id, record, source, entry.name[: -len(".yaml")], DATASETS)
    _check_consistency(records)
    return records


def _check_consistency(records: Mapping[str, CheckRecord]) -> None:
    defaults: dict[str, tuple[Any, str]] = {}
    for record in records.values():
        for name, value in record.parameters.items():
            seen = defaults.setdefault(name, (value, record.check_id))
            if seen[0] != value or type(seen[0]) is not type(value):
                raise RecordError(
                    f"checks/{record.module}.yaml: {record.check_id}.parameters.{name} defaults to {value!r} "
                    f"but {seen[1]} to {seen[0]!r}: one parameter has one default"
                )
        for other in record.reads:
            if other not in records:
                raise RecordError(f"checks/{record.module}.yaml: {record.check_id}.reads names no check {other!r}")
            if _scope_family(records[other].scope) != _scope_family(record.scope):
                raise RecordError(f"checks/{record.module}.yaml: {record.check_id} reads {other}, of another scope")
    order = read_order(records)  # raises on a cycle
    del order


def _scope_family(scope: str) -> str:
    """Checks run together: an account's (account and region scope), a domain's, the organisation's."""
    return "account" if scope in ("account", "region") else scope


def read_order(records: Mapping[str, CheckRecord]) -> list[str]:
    """Check IDs in an order where every check comes after the checks whose results it reads."""
    done: list[str] = []
    state: dict[str, int] = {}

    def visit(check_id: str, path: tuple[str, ...]) -> None:
        if state.get(check_id) == 2:
            return
        if state.get(check_id) == 1:
            raise RecordError(f"checks read each other's results in a cycle: {' -> '.join((*path, check_id))}")
        state[check_id] = 1
        for other in records[check_id].reads:
            visit(other, (*path, check_id))
        state[check_id] = 2
        done.append(check_id)

    for check_id in records:
        visit(check_id, ())
    return done


def parameter_defaults(records: Mapping[str, CheckRecord] | None = None) -> dict[str, Any]:
    """Every check parameter with its default (the params file's ``thresholds:`` override them by name)."""
    out: dict[str, Any] = {}
    for record in (records or load_records()).values():
        out.update(record.parameters)
    return dict(sorted(out.items()))


__all__ = [
    "NOTHING_TO_ASSESS",
    "RUNNER_FIELDS",
    "SCOPES",
    "CheckRecord",
    "RecordError",
    "load_records",
    "parameter_defaults",
    "parse_record",
    "read_order",
    "template_fields",
]
