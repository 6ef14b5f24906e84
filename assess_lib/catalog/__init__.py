"""The guideline catalogue: one record per item of chapter 2 of the FSA guideline, in ja and en.

The data lives in ``controls.yaml`` next to this module and is validated against ``schema.json``
(JSON Schema draft 2020-12). Nothing is loaded at import time; :func:`load_catalog` caches the
packaged catalogue on first use.

    >>> from assess_lib.catalog import load_catalog
    >>> cat = load_catalog()
    >>> cat.get("2.3.1-5").title("en")
    'Multi-factor authentication for remote access to critical systems'
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from .._yaml import load_packaged_yaml

if TYPE_CHECKING:
    import jsonschema

__all__ = [
    "Catalog",
    "CatalogError",
    "Control",
    "Kind",
    "Lang",
    "Mode",
    "load_catalog",
    "schema",
]

Lang = Literal["ja", "en"]
Kind = Literal["fundamental", "recommended"]
Mode = Literal["auto", "hybrid", "manual"]

_LANGS = ("ja", "en")


class CatalogError(ValueError):
    """The catalogue file is unreadable or a record is invalid.

    ``control_id`` and ``field`` name the offending record and field where known.
    """

    def __init__(self, message: str, control_id: str | None = None, field: str | None = None):
        super().__init__(message)
        self.control_id = control_id
        self.field = field


def _check_lang(lang: str) -> None:
    if lang not in _LANGS:
        raise ValueError(f"unsupported language {lang!r}; expected 'ja' or 'en'")


def _pick(ja: str | None, en: str | None, lang: str) -> str | None:
    """Japanese when asked for and present, English otherwise (the English text is always there)."""
    _check_lang(lang)
    if lang == "ja" and ja:
        return ja
    return en


@dataclass(frozen=True)
class Control:
    """One guideline item (a fundamental measure, numbered, or a recommended one, lettered) and its assessment metadata."""

    control_id: str
    section: str
    section_title_ja: str
    section_title_en: str
    chapter_title_ja: str
    chapter_title_en: str
    kind: Kind
    number: str
    title_ja: str
    title_en: str
    text_en: str
    text_ja: str
    footnotes_ja: tuple[str, ...]
    footnotes_en: tuple[str, ...]
    consultant_view_ja: str | None
    consultant_view_en: str | None
    aws_realisation_ja: str | None
    aws_realisation_en: str | None
    mode: Mode
    checks: tuple[str, ...]

    @property
    def chapter(self) -> str:
        """The level-2 section (2.1 ... 2.6) this item belongs to."""
        return ".".join(self.section.split(".")[:2])

    @property
    def label_ja(self) -> str:
        """Item label as printed in the Japanese guideline: ① for fundamental, a for recommended."""
        if self.kind == "fundamental":
            n = int(self.number)
            return chr(0x245F + n) if 1 <= n <= 20 else f"({n})"
        return self.number

    @property
    def label_en(self) -> str:
        """Item label as printed in the English translation: (1) or (a)."""
        return f"({self.number})"

    def text(self, lang: str) -> str:
        """Official guideline text of the item in ``lang`` (both languages are always held)."""
        _check_lang(lang)
        return self.text_ja if lang == "ja" else self.text_en

    def footnotes(self, lang: str) -> tuple[str, ...]:
        """The guideline's footnotes that the item (or its section heading) cites, in ``lang``."""
        _check_lang(lang)
        return self.footnotes_ja if lang == "ja" else self.footnotes_en

    def title(self, lang: str) -> str:
        """Short title for report rows."""
        return _pick(self.title_ja, self.title_en, lang) or ""

    def section_title(self, lang: str) -> str:
        """Heading of the section the item belongs to."""
        return _pick(self.section_title_ja, self.section_title_en, lang) or ""

    def chapter_title(self, lang: str) -> str:
        """Heading of the level-2 section (2.1 ... 2.6)."""
        return _pick(self.chapter_title_ja, self.chapter_title_en, lang) or ""

    def consultant_view(self, lang: str) -> str | None:
        """The assessor's view of what the item generally calls for (the seed matrix's "generally expected measures"), or None."""
        return _pick(self.consultant_view_ja, self.consultant_view_en, lang)

    def aws_realisation(self, lang: str) -> str | None:
        """How the item can be realised with AWS services and features (the seed matrix's "what is realised on AWS"), or None."""
        return _pick(self.aws_realisation_ja, self.aws_realisation_en, lang)


_FIELDS = tuple(f.name for f in fields(Control))


class Catalog(Sequence[Control]):
    """The catalogue items in guideline order, with look-ups by ID and section."""

    def __init__(self, controls: Sequence[Control]):
        self._controls: tuple[Control, ...] = tuple(controls)
        self._by_id: dict[str, Control] = {c.control_id: c for c in self._controls}
        if len(self._by_id) != len(self._controls):
            raise CatalogError("duplicate control_id in catalogue")

    def __iter__(self) -> Iterator[Control]:
        return iter(self._controls)

    def __len__(self) -> int:
        return len(self._controls)

    def __getitem__(self, index: Any) -> Any:  # Sequence protocol: int or slice
        return self._controls[index]

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return item in self._by_id
        return item in self._controls

    def __repr__(self) -> str:
        return f"Catalog({len(self)} controls)"

    def get(self, control_id: str) -> Control:
        """The item with this ID; KeyError naming the ID if there is none."""
        try:
            return self._by_id[control_id]
        except KeyError:
            raise KeyError(f"unknown control_id {control_id!r}") from None

    def ids(self) -> list[str]:
        """All control IDs in guideline order."""
        return [c.control_id for c in self._controls]

    def sections(self) -> list[str]:
        """Section numbers that hold items, in guideline order."""
        return list(dict.fromkeys(c.section for c in self._controls))

    def by_section(self, section: str) -> list[Control]:
        """Items of exactly this section (not of its sub-sections), in order."""
        return [c for c in self._controls if c.section == section]

    def check_ids(self) -> list[str]:
        """Every check ID referenced by some item, first-mention order, without duplicates."""
        return list(dict.fromkeys(cid for c in self._controls for cid in c.checks))

    def controls_for_check(self, check_id: str) -> list[Control]:
        """Items that list ``check_id`` among their checks."""
        return [c for c in self._controls if check_id in c.checks]


def _package_file(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for one catalogue record."""
    return json.loads(_package_file("schema.json"))


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    return jsonschema.Draft202012Validator(schema())


def _error_field(err: jsonschema.ValidationError) -> str | None:
    """Name the record field a schema error is about."""
    if err.absolute_path:
        return str(err.absolute_path[0])
    if err.validator == "required":
        # Message form: "'kind' is a required property"
        return str(err.message).split("'")[1] if "'" in err.message else None
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return ", ".join(extra) or None
    return None


def _record_id(record: Any, index: int) -> str:
    if isinstance(record, Mapping) and isinstance(record.get("control_id"), str):
        return record["control_id"]
    return f"<record #{index + 1}>"


def _validate(record: Any, index: int, against_schema: bool = True) -> Control:
    cid = _record_id(record, index)
    errors = sorted(_validator().iter_errors(record), key=lambda e: (list(e.absolute_path), e.message)) if against_schema else []
    if errors:
        # Report the most specific error (deepest path), naming record and field.
        err = max(errors, key=lambda e: len(e.absolute_path))
        field = _error_field(err)
        where = f" field {field!r}" if field else ""
        raise CatalogError(f"catalogue record {cid}:{where} {err.message}", control_id=cid, field=field)
    expected = f"{record['section']}-{record['number']}"
    if record["control_id"] != expected:
        raise CatalogError(
            f"catalogue record {cid}: field 'control_id' must be {expected!r} (section-number)",
            control_id=cid,
            field="control_id",
        )
    values = {name: record[name] for name in _FIELDS}
    for name in ("checks", "footnotes_ja", "footnotes_en"):
        values[name] = tuple(record[name])
    return Control(**values)


def _parse(text: str, source: str, against_schema: bool = True) -> Catalog:
    try:
        data = load_packaged_yaml(text)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise CatalogError(f"{source}: expected a list of records at the top level")
    controls: list[Control] = []
    seen: set[str] = set()
    for index, record in enumerate(data):
        control = _validate(record, index, against_schema)
        if control.control_id in seen:
            raise CatalogError(
                f"catalogue record {control.control_id}: field 'control_id' is duplicated",
                control_id=control.control_id,
                field="control_id",
            )
        seen.add(control.control_id)
        controls.append(control)
    return Catalog(controls)


@lru_cache(maxsize=1)
def _default_catalog() -> Catalog:
    # The packaged file is checked against the schema by the test suite (test_every_record_is_schema_valid);
    # every process (each notebook kernel too) loads it, so the run-time load skips that second pass.
    return _parse(_package_file("controls.yaml"), "assess_lib/catalog/controls.yaml", against_schema=False)


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load and validate the catalogue.

    Without ``path`` the packaged ``controls.yaml`` is loaded once and cached. Raises
    :class:`CatalogError` naming the control ID and field of the first invalid record.
    """
    if path is None:
        return _default_catalog()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read catalogue {p}: {exc}") from exc
    return _parse(text, str(p))
