"""The end-of-support table (``catalog/end_of_support.yaml``): loaded and validated once, and looked up.

The table is data, so that an update is one file: per product, the versions AWS supports with their end of
standard support and, where AWS offers it, end of extended support. A bad date or an unknown key stops the
kit with one message naming the file and the key. A version the table does not list is never judged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .._yaml import load_packaged_yaml

SOURCE = "catalog/end_of_support.yaml"
SERVICES = ("lambda", "rds", "eks", "elasticache", "opensearch")
_TOP_KEYS = {"compiled", "products"}
_PRODUCT_KEYS = {"service", "engines", "sources", "versions"}
_VERSION_KEYS = {"standard_end", "extended_end"}

# What a resource's version is, against the table at the assessment time.
ENDED = "ended"  # past end of support (standard, or extended where AWS offers it)
EXTENDED = "extended"  # past end of standard support, within paid extended support
NEAR = "near"  # standard support ends within the warning window
SUPPORTED = "supported"
NO_END = "no_end"  # listed, and no end of support announced when the table was compiled


class EndOfSupportTableError(ValueError):
    """The table is invalid (the message names the file and the key)."""


@dataclass(frozen=True)
class VersionEntry:
    product: str
    version: str
    standard_end: dt.date | None
    extended_end: dt.date | None = None


@dataclass(frozen=True)
class Product:
    name: str
    service: str
    engines: tuple[str, ...]
    sources: tuple[str, ...]
    versions: Mapping[str, VersionEntry]


@dataclass(frozen=True)
class Table:
    compiled: dt.date
    products: Mapping[str, Product]

    def find(self, service: str, version: str | None, engine: str | None = None) -> tuple[Product, VersionEntry] | None:
        """The entry for ``version`` of ``engine`` (RDS, ElastiCache) on ``service``: the longest listed version
        that equals it or prefixes it up to a dot; None when the table does not list it."""
        if not version:
            return None
        best: tuple[Product, VersionEntry] | None = None
        for product in self.products.values():
            if product.service != service or (product.engines and engine not in product.engines):
                continue
            for listed, entry in product.versions.items():
                if (version == listed or version.startswith(listed + ".")) and (
                    best is None or len(listed) > len(best[1].version)
                ):
                    best = (product, entry)
        return best


def status(entry: VersionEntry, today: dt.date, warning_days: int) -> tuple[str, dt.date | None]:
    """(state, the date that state refers to) of a listed version on ``today``."""
    if entry.standard_end is None:
        return NO_END, None
    if today >= entry.standard_end:
        if entry.extended_end is not None and today < entry.extended_end:
            return EXTENDED, entry.extended_end
        return ENDED, entry.extended_end or entry.standard_end
    if (entry.standard_end - today).days <= warning_days:
        return NEAR, entry.standard_end
    return SUPPORTED, entry.standard_end


def _fail(key: str, problem: str, fix: str) -> EndOfSupportTableError:
    return EndOfSupportTableError(f"{SOURCE}: key '{key}': {problem}. Fix: {fix}")


def _date(value: Any, key: str, optional: bool = False) -> dt.date | None:
    if value is None and optional:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _fail(
        key, f"{value!r} is not a date", "write the date as YYYY-MM-DD" + (" (or null: none announced)" if optional else "")
    )


def _mapping(value: Any, key: str, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(key, f"expected {what}", f"write {key} as a mapping")
    return value


def _unknown(data: Mapping[str, Any], allowed: set[str], key: str) -> None:
    extra = sorted(str(k) for k in data if k not in allowed)
    if extra:
        where = f"{key}.{extra[0]}" if key else extra[0]
        raise _fail(where, "unknown key", f"use only {', '.join(sorted(allowed))}")


def parse_table(data: Any) -> Table:
    """A validated table from the parsed YAML."""
    top = _mapping(data, "(top)", "a mapping with compiled and products")
    _unknown(top, _TOP_KEYS, "")
    if "compiled" not in top:
        raise _fail("compiled", "missing", "add compiled: YYYY-MM-DD, the day the dates were checked")
    compiled = _date(top["compiled"], "compiled")
    assert compiled is not None
    products: dict[str, Product] = {}
    for name, raw in _mapping(top.get("products"), "products", "a mapping of products").items():
        key = f"products.{name}"
        spec = _mapping(raw, key, "a mapping of service, engines, sources and versions")
        _unknown(spec, _PRODUCT_KEYS, key)
        service = spec.get("service")
        if service not in SERVICES:
            raise _fail(f"{key}.service", f"{service!r} is not one of {', '.join(SERVICES)}", "name the service")
        engines = spec.get("engines") or []
        if not isinstance(engines, list) or not all(isinstance(e, str) for e in engines):
            raise _fail(f"{key}.engines", "expected a list of engine names", "write e.g. engines: [mysql]")
        sources = spec.get("sources")
        if (
            not isinstance(sources, list)
            or not sources
            or not all(isinstance(s, str) and s.startswith("https://") for s in sources)
        ):
            raise _fail(f"{key}.sources", "expected a list of https URLs", "name the pages the dates come from")
        versions: dict[str, VersionEntry] = {}
        for version, dates in _mapping(spec.get("versions"), f"{key}.versions", "a mapping of versions").items():
            where = f"{key}.versions.{version}"
            entry = _mapping(dates, where, "a mapping with standard_end (and extended_end)")
            _unknown(entry, _VERSION_KEYS, where)
            if "standard_end" not in entry:
                raise _fail(f"{where}.standard_end", "missing", "add standard_end: YYYY-MM-DD (or null: none announced)")
            standard = _date(entry["standard_end"], f"{where}.standard_end", optional=True)
            extended = _date(entry.get("extended_end"), f"{where}.extended_end", optional=True)
            if extended is not None and (standard is None or extended < standard):
                raise _fail(f"{where}.extended_end", "extended support ends before standard support", "check the dates")
            versions[str(version)] = VersionEntry(str(name), str(version), standard, extended)
        products[str(name)] = Product(str(name), str(service), tuple(engines), tuple(sources), versions)
    return Table(compiled, products)


@lru_cache(maxsize=1)
def load_table() -> Table:
    """The kit's table, validated (cached: it is packaged data)."""
    text = (resources.files("assess_lib.catalog") / "end_of_support.yaml").read_text(encoding="utf-8")
    return parse_table(load_packaged_yaml(text))


__all__ = [
    "ENDED",
    "EXTENDED",
    "NEAR",
    "NO_END",
    "SUPPORTED",
    "EndOfSupportTableError",
    "Product",
    "Table",
    "VersionEntry",
    "load_table",
    "parse_table",
    "status",
]
