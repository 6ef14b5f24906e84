"""The bilingual text catalogue: every word a reader sees, ``key -> {ja, en}``, and its one lookup.

The catalogue is the YAML files of ``assess_lib/text/``. Each file holds top-level namespaces; a leaf is a
mapping with exactly ``ja`` and ``en`` (both non-empty strings), anything else is a namespace, and a key is
the dotted path to a leaf (``verdict.pass``, ``severity.critical.definition``). A key defined twice (in one
file or across files) is an error at load. Values are filled with :meth:`str.format` fields; a value that is
itself a :class:`Phrase` is rendered in the same language first, and a list of them is joined with the
language's list separator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from .._yaml import load_packaged_yaml

Lang = Literal["ja", "en"]
LANGS: tuple[str, str] = ("ja", "en")
TEXT_PACKAGE = "assess_lib.text"


class TextError(ValueError):
    """The text catalogue is malformed, or a key asked for is not in it."""


def lang_of(lang: str | None) -> str:
    """``ja`` or ``en`` (anything but ``en`` is Japanese, the kit's default)."""
    return "en" if lang == "en" else "ja"


@dataclass(frozen=True)
class Phrase:
    """A piece of text still to be rendered in the reader's language: a catalogue key (or, inside a check's
    messages, the key of another message of that check) with the values to fill it with."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, key: str, **values: Any) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "values", values)


def _flatten(node: Any, prefix: str, source: str, out: dict[str, dict[str, str]]) -> None:
    if not isinstance(node, Mapping) or not node:
        raise TextError(f"{source}: {prefix or 'the file'} must be a mapping of keys to {{ja, en}} texts")
    if set(node) <= set(LANGS) and set(node) & set(LANGS):
        missing = [lang for lang in LANGS if not isinstance(node.get(lang), str) or not node.get(lang)]
        if missing:
            raise TextError(f"{source}: {prefix} has no {' / '.join(missing)} text")
        if prefix in out:
            raise TextError(f"{source}: {prefix} is defined twice")
        out[prefix] = {"ja": node["ja"], "en": node["en"]}
        return
    for name, child in node.items():
        if not isinstance(name, str) or not name or "." in name:
            raise TextError(f"{source}: {prefix}: key {name!r} must be a name without dots")
        _flatten(child, f"{prefix}.{name}" if prefix else name, source, out)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    """Every text of the kit, by dotted key (loaded once; the files are packaged data)."""
    out: dict[str, dict[str, str]] = {}
    folder = resources.files(TEXT_PACKAGE)
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            _flatten(load_packaged_yaml(entry.read_text(encoding="utf-8")), "", f"text/{entry.name}", out)
    return out


def has(key: str) -> bool:
    return key in catalogue()


def entry(key: str) -> dict[str, str]:
    """``{ja, en}`` of ``key``."""
    try:
        return catalogue()[key]
    except KeyError:
        raise TextError(f"no text {key!r} in the catalogue (assess_lib/text/*.yaml)") from None


def keys(prefix: str) -> list[str]:
    """The keys directly or indirectly under ``prefix`` (in file order)."""
    start = prefix + "."
    return [k for k in catalogue() if k.startswith(start)]


def render(template: str, lang: str, values: Mapping[str, Any], lookup: Any = None) -> str:
    """``template`` filled with ``values``: Phrases rendered in ``lang`` (``lookup(key) -> {ja, en}``,
    default the catalogue), lists of Phrases joined with the language's list separator."""
    lang = lang_of(lang)
    find = lookup or entry
    shown = {name: _value(value, lang, find) for name, value in values.items()}
    return template.format(**shown)


def _value(value: Any, lang: str, find: Any) -> Any:
    if isinstance(value, Phrase):
        return render(find(value.key)[lang], lang, value.values, find)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Phrase) for v in value):
        return entry("value.list_separator")[lang].join(_value(v, lang, find) for v in value)
    return value


def t(key: str, lang: str = "ja", **values: Any) -> str:
    """The text of ``key`` in ``lang``, filled with ``values``: the kit's one lookup."""
    return render(entry(key)[lang_of(lang)], lang, values)


def both(key: str, **values: Any) -> tuple[str, str]:
    """(ja, en) of ``key``, filled with ``values``."""
    return t(key, "ja", **values), t(key, "en", **values)


__all__ = ["LANGS", "Lang", "Phrase", "TextError", "both", "catalogue", "entry", "has", "keys", "lang_of", "render", "t"]
