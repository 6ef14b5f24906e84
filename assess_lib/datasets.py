"""The evidence datasets: loaded from the declarations next to their collectors, validated at load.

Each collector package declares the datasets it produces in a ``*datasets.yaml`` file beside its code
(``aws/collectors.datasets.yaml``, ``dns/datasets.yaml``, ``attestations/datasets.yaml``...): scope, the
read-only IAM actions behind it, a description in ja and en, the columns of its rows with their types,
and the columns naming a row's resource. This module is the registry built from them: the contract
between collectors (which produce datasets) and checks (which consume them). The kit's IAM policy, the
README's permission list and the report's missing-permission appendix are derived from it.

It imports nothing from ``aws/`` or ``checks/`` (and never boto3): offline evaluation and notebook
kernels load it, and both sides can depend on it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import yaml

from ._yaml import load_packaged_yaml

GLOBAL_SCOPE = "global"  # once per account
REGIONAL_SCOPE = "regional"  # once per account and enabled region
DNS_SCOPE = "dns"  # once per domain, no AWS account
ORG_SCOPE_DATA = "organisation"  # once per assessment: the attestation file (account "org"), no AWS account
SCOPES = (GLOBAL_SCOPE, REGIONAL_SCOPE, DNS_SCOPE, ORG_SCOPE_DATA)
AWS_SCOPES = (GLOBAL_SCOPE, REGIONAL_SCOPE)

PACKAGE = "assess_lib"
DECLARATION_SUFFIX = "datasets.yaml"  # datasets.yaml or <collector module>.datasets.yaml in a subpackage

# Column types of the declarations and what a row's value may be (``datetime``: boto3 hands out datetime
# objects, a saved bundle ISO strings; attested dates may be dates).
COLUMN_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "number": (int, float),
    "bool": (bool,),
    "datetime": (str, dt.date),
    "list": (list, tuple),
    "dict": (dict,),
    "any": (object,),
}
_ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")  # service:Action, as IAM writes them
_OPERATION = re.compile(r"^[a-z0-9-]+\.[A-Za-z0-9]+$")  # botocore service name . API operation
_NAME = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")
_COLUMN_TYPE = re.compile(r"^(optional )?([a-z]+)(\?)?$")
_DATASET_KEYS = {"scope", "actions", "description", "key", "item_key", "columns", "extra_columns"}
_FILE_KEYS = {"datasets", "operation_actions", "collection_actions"}


class DatasetDeclarationError(ValueError):
    """A dataset declaration file is malformed (raised at import, naming the file, the key and the fix)."""


@dataclass(frozen=True)
class Column:
    """One column of a dataset's rows: its type, whether it may be null and whether it may be absent."""

    name: str
    type: str
    nullable: bool = False
    optional: bool = False

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.nullable
        if self.type in ("int", "number") and isinstance(value, bool):
            return False  # bool is an int to Python, never to a reader
        return isinstance(value, COLUMN_TYPES[self.type])

    @property
    def spec(self) -> str:
        """The column as declared (``optional str?``)."""
        return f"{'optional ' if self.optional else ''}{self.type}{'?' if self.nullable else ''}"


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    scope: str
    actions: tuple[str, ...]
    description_en: str
    description_ja: str
    # Fields that name a row's resource (matched against a finding's ``resource``), so that the evidence
    # shown under an item is the rows its findings refer to; empty for one-row-per-scope datasets.
    key: tuple[str, ...] = ()
    # For datasets holding every item's rows (the attestation): the field that names the item.
    item_key: str | None = None
    columns: tuple[Column, ...] = ()
    extra_columns: bool = False  # rows may hold columns beyond ``columns`` (AWS's own keys passed through)
    source: str = ""  # the declaration file, package-relative (assess_lib/aws/collectors.datasets.yaml)

    def description(self, lang: str = "ja") -> str:
        return self.description_en if lang == "en" else self.description_ja

    @property
    def iam_actions(self) -> tuple[str, ...]:
        """The IAM actions (DNS and attested datasets name a query or a file, never an IAM action)."""
        return tuple(a for a in self.actions if ":" in a)

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass
class Declarations:
    """Every declaration file's contents, merged: datasets, operations' IAM actions, the collection's own actions."""

    datasets: dict[str, DatasetInfo] = field(default_factory=dict)
    operation_actions: dict[str, str] = field(default_factory=dict)
    collection_actions: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _fail(source: str, where: str, problem: str, fix: str) -> DatasetDeclarationError:
    return DatasetDeclarationError(f"{source}: {where}: {problem}. Fix: {fix}")


def _string_list(source: str, where: str, value: Any, fix: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise _fail(source, where, f"must be a non-empty list of names, not {value!r}", fix)
    if len(set(value)) != len(value):
        raise _fail(source, where, "names a value twice", "list each once")
    return tuple(value)


def _columns(source: str, name: str, value: Any) -> tuple[Column, ...]:
    where = f"{name}.columns"
    if not isinstance(value, Mapping) or not value:
        raise _fail(source, where, "must map each column to its type", "write e.g. 'columns: {bucket: str}'")
    columns = []
    for column, spec in value.items():
        match = _COLUMN_TYPE.match(spec) if isinstance(spec, str) else None
        if not isinstance(column, str) or not column or match is None or match.group(2) not in COLUMN_TYPES:
            raise _fail(
                source,
                f"{where}.{column}",
                f"type {spec!r} is not one of {', '.join(COLUMN_TYPES)}",
                "write the type, with '?' after it if the value may be null and 'optional ' before it if the "
                "column may be absent (e.g. 'optional str?')",
            )
        columns.append(Column(column, match.group(2), nullable=bool(match.group(3)), optional=bool(match.group(1))))
    return tuple(columns)


def _dataset(source: str, name: Any, body: Any) -> DatasetInfo:
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(source, f"datasets.{name}", "a dataset name is <source>.<what>", "write e.g. 'ec2.vpcs'")
    if not isinstance(body, Mapping):
        raise _fail(source, name, "must be a mapping", "give scope, actions, description and columns")
    unknown = sorted(set(body) - _DATASET_KEYS)
    if unknown:
        raise _fail(
            source, name, f"unknown key(s) {', '.join(map(str, unknown))}", f"use only {', '.join(sorted(_DATASET_KEYS))}"
        )
    scope = body.get("scope")
    if scope not in SCOPES:
        raise _fail(source, f"{name}.scope", f"{scope!r} is not a scope", f"use one of {', '.join(SCOPES)}")
    actions = _string_list(source, f"{name}.actions", body.get("actions"), "list what the collector needs")
    for action in actions:
        if scope in AWS_SCOPES and not _ACTION.match(action):
            raise _fail(
                source, f"{name}.actions", f"{action!r} is not an IAM action", "write service:Action, e.g. ec2:DescribeVpcs"
            )
        if scope not in AWS_SCOPES and ":" in action:
            raise _fail(
                source,
                f"{name}.actions",
                f"{action!r} looks like an IAM action in a {scope} dataset",
                "name the query or file read",
            )
    description = body.get("description")
    if (
        not isinstance(description, Mapping)
        or set(description) != {"ja", "en"}
        or not all(isinstance(v, str) and v.strip() for v in description.values())
    ):
        raise _fail(source, f"{name}.description", "must be {ja, en}, both non-empty", "write both languages")
    columns = _columns(source, name, body.get("columns"))
    names = {c.name for c in columns}
    key = _string_list(source, f"{name}.key", body["key"], "list the columns naming a row") if "key" in body else ()
    item_key = body.get("item_key")
    for column in [*key, *([item_key] if item_key is not None else [])]:
        if column not in names:
            raise _fail(source, name, f"key column {column!r} is not among its columns", "declare it under columns")
    extra = body.get("extra_columns", False)
    if not isinstance(extra, bool):
        raise _fail(source, f"{name}.extra_columns", f"{extra!r} is not true or false", "write true or leave it out")
    return DatasetInfo(name, scope, actions, description["en"], description["ja"], key, item_key, columns, extra, source)


def _load_file(source: str, data: Any, into: Declarations) -> None:
    if not isinstance(data, Mapping) or not isinstance(data.get("datasets"), Mapping) or not data["datasets"]:
        raise _fail(source, "the file", "has no 'datasets:' mapping", "declare the datasets under 'datasets:'")
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise _fail(
            source, "the file", f"unknown key(s) {', '.join(map(str, unknown))}", f"use only {', '.join(sorted(_FILE_KEYS))}"
        )
    for name, body in data["datasets"].items():
        info = _dataset(source, name, body)
        if name in into.datasets:
            raise _fail(source, name, f"is declared in {into.datasets[name].source} too", "declare each dataset once")
        into.datasets[name] = info
    for operation, action in (data.get("operation_actions") or {}).items():
        if (
            not isinstance(operation, str)
            or not _OPERATION.match(operation)
            or not isinstance(action, str)
            or not _ACTION.match(action)
        ):
            raise _fail(
                source,
                f"operation_actions.{operation}",
                f"{operation!r}: {action!r} is not service.Operation: service:Action",
                "write e.g. 's3.GetPublicAccessBlock: s3:GetBucketPublicAccessBlock'",
            )
        if into.operation_actions.get(operation, action) != action:
            raise _fail(source, f"operation_actions.{operation}", "is mapped to two actions", "map it once")
        into.operation_actions[operation] = action
    for group, actions in (data.get("collection_actions") or {}).items():
        listed = _string_list(source, f"collection_actions.{group}", actions, "list IAM actions")
        bad = [a for a in listed if not _ACTION.match(a)]
        if bad:
            raise _fail(source, f"collection_actions.{group}", f"{bad} are not IAM actions", "write service:Action names")
        if group in into.collection_actions:
            raise _fail(source, f"collection_actions.{group}", "is declared in another file too", "declare it once")
        into.collection_actions[group] = listed


def declaration_files() -> list[tuple[str, Traversable]]:
    """Every dataset declaration of the package, ``(package-relative path, file)``: ``*datasets.yaml`` in its
    subpackages, in path order."""
    root = resources.files(PACKAGE)
    found = []
    for folder in sorted((e for e in root.iterdir() if e.is_dir()), key=lambda e: e.name):
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(DECLARATION_SUFFIX) and entry.is_file():
                found.append((f"{PACKAGE}/{folder.name}/{entry.name}", entry))
    return found


def load_declarations(files: Iterable[tuple[str, str]] | None = None) -> Declarations:
    """Declarations from ``files`` (``(source, yaml text)``; default: the package's), validated."""
    if files is None:
        files = [(source, entry.read_text(encoding="utf-8")) for source, entry in declaration_files()]
    out = Declarations()
    for source, text in files:
        try:
            data = load_packaged_yaml(text)
        except yaml.YAMLError as err:
            raise DatasetDeclarationError(f"{source}: not valid YAML ({err}). Fix: correct the line named") from None
        _load_file(source, data, out)
    for group in ("base", "multi_account"):
        if group not in out.collection_actions:
            raise DatasetDeclarationError(
                f"no dataset declaration lists collection_actions.{group}. Fix: declare it in "
                "assess_lib/aws/collectors.datasets.yaml"
            )
    return out


_DECLARED = load_declarations()

DATASETS: dict[str, DatasetInfo] = _DECLARED.datasets
# API operations whose IAM action is not <signing name>:<Operation> ("s3.GetPublicAccessBlock" -> ...).
OPERATION_ACTIONS: dict[str, str] = _DECLARED.operation_actions
# Actions the collection itself needs, whatever the checks: identify the caller, list enabled regions.
BASE_ACTIONS: tuple[str, ...] = _DECLARED.collection_actions["base"]
# Only for multi-account runs, on the caller's side: list the organisation, assume the audit role.
MULTI_ACCOUNT_ACTIONS: tuple[str, ...] = _DECLARED.collection_actions["multi_account"]


def actions_for(datasets: tuple[str, ...] | list[str]) -> list[str]:
    """Sorted IAM actions needed to gather ``datasets``."""
    return sorted({action for name in datasets for action in DATASETS[name].actions})


def aws_datasets() -> list[DatasetInfo]:
    """The datasets gathered from AWS (global or regional scope), in declaration order."""
    return [info for info in DATASETS.values() if info.scope in AWS_SCOPES]


def policy_actions() -> list[str]:
    """Every IAM action of the kit's read-only policy: the collection's own and every AWS dataset's, sorted."""
    return sorted({a for info in aws_datasets() for a in info.iam_actions} | set(BASE_ACTIONS))


def iam_policy(multi_account: bool = False) -> dict[str, Any]:
    """The kit's read-only IAM policy document (``python -m assess_lib iam-policy``)."""
    statements = [{"Sid": "FsaAssessmentReadOnly", "Effect": "Allow", "Action": policy_actions(), "Resource": "*"}]
    if multi_account:
        # For the caller of a multi-account run: list the organisation, assume the read-only role.
        statements.append(
            {"Sid": "FsaAssessmentAccounts", "Effect": "Allow", "Action": sorted(MULTI_ACCOUNT_ACTIONS), "Resource": "*"}
        )
    return {"Version": "2012-10-17", "Statement": statements}


def datasets_needing(action: str) -> list[DatasetInfo]:
    """The datasets whose collection needs ``action``."""
    return [info for info in DATASETS.values() if action in info.actions]


def permission_rows(lang: str = "ja", actions: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """One row per IAM action, sorted: ``action``, ``datasets`` (names) and ``evidence`` (their
    descriptions in ``lang``, joined) -- the missing-permission appendix for the refused ``actions``
    (default: every action of the policy). An action no dataset declares (the collection's own, or a
    name from an older bundle) has no datasets and an empty ``evidence``."""
    wanted = sorted(set(actions) if actions is not None else set(policy_actions()))
    rows = []
    for action in wanted:
        needing = datasets_needing(action)
        rows.append(
            {
                "action": action,
                "datasets": [info.name for info in needing],
                "evidence": [info.description(lang) for info in needing],
            }
        )
    return rows


def row_problems(name: str, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """How ``rows`` depart from the declared shape of dataset ``name`` (empty: they match), one line each."""
    info = DATASETS[name]
    declared = {c.name: c for c in info.columns}
    problems: list[str] = []
    for index, row in enumerate(rows):
        for column in info.columns:
            if column.name not in row:
                if not column.optional:
                    problems.append(f"{name} row {index}: column {column.name} is missing")
            elif not column.accepts(row[column.name]):
                problems.append(
                    f"{name} row {index}: column {column.name} is {type(row[column.name]).__name__}, declared {column.spec}"
                )
        if not info.extra_columns:
            problems += [f"{name} row {index}: column {c} is not declared" for c in row if c not in declared]
    return problems


__all__ = [
    "AWS_SCOPES",
    "BASE_ACTIONS",
    "COLUMN_TYPES",
    "DATASETS",
    "DNS_SCOPE",
    "GLOBAL_SCOPE",
    "MULTI_ACCOUNT_ACTIONS",
    "OPERATION_ACTIONS",
    "ORG_SCOPE_DATA",
    "REGIONAL_SCOPE",
    "SCOPES",
    "Column",
    "DatasetDeclarationError",
    "DatasetInfo",
    "Declarations",
    "actions_for",
    "aws_datasets",
    "datasets_needing",
    "declaration_files",
    "iam_policy",
    "load_declarations",
    "permission_rows",
    "policy_actions",
    "row_problems",
]
