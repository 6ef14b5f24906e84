#!/usr/bin/env python3
"""Build / refresh ``assess_lib/catalog/controls.yaml`` from the reference texts.

One-off maintenance script (never imported by the package). It

1. extracts every item of chapter 2 of the FSA's English provisional translation
   (``/work/shared/reference/fsa-cybersecurity-guidelines-en.txt``, ``pdftotext -layout`` output):
   section, kind (fundamental / recommended), number, cleaned English text and the page-bottom
   footnotes the item refers to;
2. extracts the same items from the official Japanese text
   (``/work/shared/reference/fsa-cybersecurity-guidelines-ja.md``): every section heading, the item
   text word for word (sub-bullets included) and the footnotes the item (or its section heading) refers to;
3. merges both into the existing ``controls.yaml``: extracted fields (``text_en``, ``text_ja``,
   ``footnotes_en``, ``footnotes_ja``, ``section_title_*``, ``chapter_title_*``) are refreshed;
   hand-maintained fields (titles, the assessor's view ``consultant_view_*`` and ``aws_realisation_*``,
   ``mode``, ``checks``) are kept as they are. The assessor's view started from the consultant's matrix
   (``seed/``) but has been rewritten in a neutral register, so the seed is no longer imported.

Footnote reference marks are removed from the running text in both languages; the footnotes travel
with the item instead.

Usage::

    python tools/build_catalog.py                # rewrite controls.yaml in place
    python tools/build_catalog.py --check        # exit 1 if controls.yaml is out of date
    python tools/build_catalog.py --dump-items   # print the extracted items (debugging)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference" / "fsa-cybersecurity-guidelines-en.txt"
REFERENCE_JA = SHARED / "reference" / "fsa-cybersecurity-guidelines-ja.md"
CATALOG = REPO / "assess_lib" / "catalog" / "controls.yaml"

FIELD_ORDER = [
    "control_id",
    "section",
    "section_title_ja",
    "section_title_en",
    "chapter_title_ja",
    "chapter_title_en",
    "kind",
    "number",
    "title_ja",
    "title_en",
    "text_en",
    "text_ja",
    "footnotes_ja",
    "footnotes_en",
    "consultant_view_ja",
    "consultant_view_en",
    "aws_realisation_ja",
    "aws_realisation_en",
    "mode",
    "checks",
]

# Fields refreshed from the reference texts on every build; everything else is hand-maintained.
EXTRACTED = (
    "section_title_ja",
    "section_title_en",
    "chapter_title_ja",
    "chapter_title_en",
    "text_en",
    "text_ja",
    "footnotes_ja",
    "footnotes_en",
)

# Lead-in sentences that govern a run of items (the items are objects of the sentence); prepended to
# those items so that each record reads on its own.
LEAD_IN_ITEMS: dict[str, tuple[str, ...]] = {"2.4.1": ("1", "2", "3", "4")}

# ---------------------------------------------------------------------------------------------
# Reference (English) extraction
# ---------------------------------------------------------------------------------------------

HEADING_RE = re.compile(r"^(2(?:\.\d+)+)\.\s+(\S.*)$")
CHAPTER_START_RE = re.compile(r"^2\.\s+Cybersecurity Management Framework\s*$")
CHAPTER_END_RE = re.compile(r"^3\.\s+Strengthening Collaboration")
FOOTNOTE_RE = re.compile(r"^(\d{1,2})(?=[\s(A-Za-z]|$)")
PAGE_NUMBER_RE = re.compile(r"^\s*\d{1,3}\s*$")
PAGE_HEADER_RE = re.compile(r"^\s*\[Provisional [Tt]ranslation\]\s*$")
FUNDAMENTAL_RE = re.compile(r"^\s+Fundamental\s+response\s+measures\s*$")
RECOMMENDED_RE = re.compile(r"^\s+Recommended\s+measures\s*$")
ITEM_RE = re.compile(r"^\((\d+|[a-z])\)\s*(.*)$")
BULLET_RE = re.compile(r"^\s+[-•・]\s+(.*)$")
NOTE_RE = re.compile(r"^\s*\((Reference|Note)\)")


# An inline footnote reference is replaced by one private-use character (U+E100 + number) while the
# lines are parsed, so that each item knows which footnotes it cites; the marks are removed from the text.
MARK_BASE = 0xE100
MARK_RE = re.compile("[\ue100-\ue1ff]")


def _mark(num: str) -> str:
    return chr(MARK_BASE + int(num))


def _marks(text: str) -> tuple[str, list[str]]:
    """Remove footnote marks from ``text``; return the text and the cited footnote numbers in order."""
    nums = [str(ord(c) - MARK_BASE) for c in MARK_RE.findall(text)]
    return MARK_RE.sub("", text), list(dict.fromkeys(nums))


def _clean_page(page: str, notes: dict[str, list[str]]) -> list[str]:
    """Return the body lines of one page: header, footnotes and page number removed,
    inline footnote reference numbers replaced by marks. The page's footnotes are added to ``notes``
    (number -> physical lines)."""
    lines = page.split("\n")
    # Drop the running header and the page number (last non-empty line if numeric).
    lines = [ln for ln in lines if not PAGE_HEADER_RE.match(ln)]
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and PAGE_NUMBER_RE.match(lines[-1]):
        lines.pop()
    # Footnotes sit at the bottom of the page: from the first column-0 line that starts with a
    # footnote number (not a section heading) to the end of the page.
    footnotes: set[str] = set()
    body: list[str] = []
    in_footnotes = False
    current: list[str] | None = None
    for ln in lines:
        if not in_footnotes:
            m = FOOTNOTE_RE.match(ln)
            if m and not HEADING_RE.match(ln) and not re.match(r"^\d\.\s", ln):
                in_footnotes = True
        if in_footnotes:
            m = FOOTNOTE_RE.match(ln)
            # Footnotes are numbered through the document: a smaller number is a continuation line.
            if m and int(m.group(1)) > max(map(int, notes), default=0):
                footnotes.add(m.group(1))
                current = notes.setdefault(m.group(1), [])
                ln = ln[m.end() :]
            if current is not None:
                current.append(ln)
            continue
        body.append(ln)
    # Mark inline reference numbers of this page's footnotes ("per year 8 (with" -> "per year\ue108 (with").
    for num in sorted(footnotes, key=int, reverse=True):
        ref = re.compile(rf"(?<=[^\d\s(])(\s?){num}(?!\d)(?=[\s,.;:)”\"]|[A-Za-z]|$)")

        def _sub(m: re.Match[str], num: str = num) -> str:
            nxt = m.string[m.end() : m.end() + 1]
            return _mark(num) + (" " if nxt.isalpha() else "")

        body = [ref.sub(_sub, ln) for ln in body]
    # Tidy spaces left in front of punctuation by the removal ("cyberattack 38 ." -> "cyberattack.").
    body = [re.sub(r"(?<=\S)\s+([.,;)])(?=\s|$)", r"\1", ln) for ln in body]
    return body


def _chapter_lines(text: str) -> tuple[list[str], dict[str, str]]:
    """Body lines of chapter 2, page furniture removed, and every footnote of the text (number -> text)."""
    lines: list[str] = []
    notes: dict[str, list[str]] = {}
    for page in text.split("\f"):
        lines.extend(_clean_page(page, notes))
    start = next(i for i, ln in enumerate(lines) if CHAPTER_START_RE.match(ln))
    end = next(i for i in range(start, len(lines)) if CHAPTER_END_RE.match(lines[i]))
    return lines[start + 1 : end], {num: _join_note(parts) for num, parts in notes.items()}


def _join_note(parts: list[str]) -> str:
    """Join the physical lines of one footnote; its "・" list entries become "- " lines, as in item text."""
    out = ""
    for raw in parts:
        line = re.sub(r"\s{2,}", " ", raw.strip())
        if not line:
            continue
        if not out:
            out = line
        elif line.startswith("・"):
            out += "\n- " + line[1:].strip()
        elif re.search(r"[A-Za-z]-$", out) and line[0].islower():
            out += line
        else:
            out += " " + line
    return out


def _join(parts: list[str]) -> str:
    """Join the physical lines of one item into text; bullets become '\\n- '."""
    out = ""
    in_bullet = False
    for raw in parts:
        line = re.sub(r"\s{2,}", " ", raw.strip())
        if not line:
            continue
        b = BULLET_RE.match(raw)
        if not out:
            out = line
        elif b:
            out += "\n- " + re.sub(r"\s{2,}", " ", b.group(1).strip())
            in_bullet = True
            continue
        elif NOTE_RE.match(raw):
            out += "\n" + line
            in_bullet = False
        elif in_bullet and out.endswith(".") and line[0].isupper():
            # A paragraph that follows a bullet list, e.g. "Findings of significant importance ...".
            out += "\n" + line
            in_bullet = False
        elif re.search(r"[A-Za-z]-$", out) and line[0].islower():
            out += line  # hyphenated compound broken at the line end: "organization-wide"
        else:
            out += " " + line
    return out


def parse_reference(path: Path = REFERENCE) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Parse chapter 2 of the English text.

    Returns ``(section_titles_en, items)``; each item has section, kind, number, text_en and
    footnotes_en (the texts of the footnotes cited in the item or in its section heading).
    """
    lines, notes = _chapter_lines(path.read_text(encoding="utf-8"))
    titles: dict[str, str] = {}
    heading_notes: dict[str, list[str]] = {}
    items: list[dict[str, Any]] = []
    section: str | None = None
    kind: str | None = None
    current: dict[str, Any] | None = None
    lead_in: str | None = None
    prev_heading = False

    def flush() -> None:
        nonlocal current
        if current is not None:
            text, cited = _marks(_join(current.pop("lines")))
            text = re.sub(r" {2,}", " ", text)
            if lead_in and current["number"] in LEAD_IN_ITEMS.get(current["section"], ()):
                text = lead_in + "\n" + text
            current["text_en"] = text
            cited = heading_notes.get(current["section"], []) + cited
            current["footnotes_en"] = [notes[n] for n in cited]
            items.append(current)
        current = None

    for ln in lines:
        h = HEADING_RE.match(ln)
        if h:
            flush()
            section, kind, lead_in = h.group(1), None, None
            title, heading_notes[section] = _marks(h.group(2).strip())
            titles[section] = re.sub(r"\s{2,}", " ", title)
            prev_heading = True
            continue
        if prev_heading and ln.strip() and ln[0].isspace() and section:
            # Heading wrapped onto a second, indented line (2.5.2.3).
            titles[section] += " " + ln.strip()
            prev_heading = False
            continue
        prev_heading = False
        if FUNDAMENTAL_RE.match(ln):
            flush()
            kind = "fundamental"
            continue
        if RECOMMENDED_RE.match(ln):
            flush()
            kind = "recommended"
            continue
        m = ITEM_RE.match(ln)
        if m:
            flush()
            if section is None or kind is None:
                raise ValueError(f"item outside a measures block: {ln!r}")
            number = m.group(1)
            if (kind == "fundamental") != number.isdigit():
                raise ValueError(f"item {number} does not fit kind {kind} in {section}")
            current = {"section": section, "kind": kind, "number": number, "lines": [m.group(2)]}
            continue
        if ln.strip() and not ln[0].isspace():
            # Column-0 prose that is not an item: section intros, notes after the items, or a
            # lead-in sentence ("To detect signs of cyberattacks, continuously monitor the following:").
            flush()
            if kind is not None and not items_in(section, kind, items):
                lead_in = (lead_in + " " if lead_in else "") + ln.strip()
            continue
        if current is not None:
            current["lines"].append(ln)
    flush()
    return titles, items


def items_in(section: str | None, kind: str, items: list[dict[str, str]]) -> bool:
    """True if ``items`` already holds an item of this section and kind."""
    return any(i["section"] == section and i["kind"] == kind for i in items)


# ---------------------------------------------------------------------------------------------
# Reference (Japanese) extraction
# ---------------------------------------------------------------------------------------------

JA_CHAPTER_START_RE = re.compile(r"^##\s+2\.\s")
JA_CHAPTER_END_RE = re.compile(r"^##\s+3\.\s")
JA_HEADING_RE = re.compile(r"^#+\s+(2(?:\.\d+)+)\.\s+(\S.*)$")
JA_FUNDAMENTAL_RE = re.compile(r"^#+\s*【基本的な対応事項】\s*$")
JA_RECOMMENDED_RE = re.compile(r"^#+\s*【対応が望ましい事項】\s*$")
JA_ITEM_RE = re.compile(r"^-\s+(?:([\u2460-\u2473])|([a-z])\.)\s*(.*)$")
JA_BULLET_RE = re.compile(r"^\s+-\s+(.*)$")
JA_FOOTNOTE_DEF_RE = re.compile(r"^\[\^(\d+)\]:\s*(.*)$")
JA_FOOTNOTE_REF_RE = re.compile(r"\[\^(\d+)\]")


def _ja_refs(text: str) -> tuple[str, list[str]]:
    """Remove ``[^n]`` marks from ``text``; return the text and the cited footnote numbers in order."""
    nums = JA_FOOTNOTE_REF_RE.findall(text)
    return JA_FOOTNOTE_REF_RE.sub("", text).strip(), list(dict.fromkeys(nums))


def parse_reference_ja(path: Path = REFERENCE_JA) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Parse chapter 2 of the Japanese Markdown text.

    Returns ``(section_titles_ja, items)``; each item has section, kind, number, text_ja and
    footnotes_ja. Item text is taken word for word: the first paragraph, then each sub-bullet on a
    line of its own starting with "・", then any note line (（参考）...) that follows the item.
    """
    all_lines = path.read_text(encoding="utf-8").splitlines()
    notes = {m.group(1): m.group(2).strip() for ln in all_lines if (m := JA_FOOTNOTE_DEF_RE.match(ln))}
    start = next(i for i, ln in enumerate(all_lines) if JA_CHAPTER_START_RE.match(ln))
    end = next(i for i in range(start, len(all_lines)) if JA_CHAPTER_END_RE.match(all_lines[i]))
    titles: dict[str, str] = {}
    heading_notes: dict[str, list[str]] = {}
    items: list[dict[str, Any]] = []
    section: str | None = None
    kind: str | None = None
    current: dict[str, Any] | None = None
    lead_in: str | None = None
    prev_blank = True

    def flush() -> None:
        nonlocal current
        if current is not None:
            text, cited = _ja_refs("\n".join(current.pop("lines")))
            if lead_in and current["number"] in LEAD_IN_ITEMS.get(current["section"], ()):
                text = lead_in + "\n" + text
            current["text_ja"] = text
            current["footnotes_ja"] = [notes[n] for n in heading_notes.get(current["section"], []) + cited]
            items.append(current)
        current = None

    for ln in all_lines[start + 1 : end]:
        blank = not ln.strip()
        h = JA_HEADING_RE.match(ln)
        if h:
            flush()
            section, kind, lead_in = h.group(1), None, None
            titles[section], heading_notes[section] = _ja_refs(h.group(2))
        elif JA_FUNDAMENTAL_RE.match(ln) or JA_RECOMMENDED_RE.match(ln):
            flush()
            kind = "fundamental" if JA_FUNDAMENTAL_RE.match(ln) else "recommended"
        elif m := JA_ITEM_RE.match(ln):
            flush()
            if section is None or kind is None:
                raise ValueError(f"item outside a measures block: {ln!r}")
            number = CIRCLED[m.group(1)] if m.group(1) else m.group(2)
            if (kind == "fundamental") != number.isdigit():
                raise ValueError(f"item {number} does not fit kind {kind} in {section}")
            current = {"section": section, "kind": kind, "number": number, "lines": [m.group(3).strip()]}
        elif (b := JA_BULLET_RE.match(ln)) and current is not None:
            current["lines"].append("・" + b.group(1).strip())
        elif blank or JA_FOOTNOTE_DEF_RE.match(ln) or ln.startswith(">"):
            # Blank lines separate items; footnote definitions and block-quoted notes that follow a
            # block of items ("なお、情報資産管理については…") belong to the section, not to an item.
            if not blank:
                flush()
        elif current is not None and not prev_blank:
            current["lines"].append(ln.strip())  # a note line directly under the item: （参考）...
        else:
            # Column-0 prose: a section intro, or the lead-in sentence of a block of items.
            flush()
            if kind is not None and not items_in(section, kind, items):
                lead_in = _ja_refs(ln)[0]
        prev_blank = blank
    flush()
    return titles, items


CIRCLED = {chr(0x2460 + i): str(i + 1) for i in range(20)}


# ---------------------------------------------------------------------------------------------
# Merge and write
# ---------------------------------------------------------------------------------------------


def chapter_of(section: str) -> str:
    """The level-2 heading (2.1 ... 2.6) a section belongs to."""
    return ".".join(section.split(".")[:2])


def build(existing: list[dict[str, Any]], reference: Path = REFERENCE, reference_ja: Path = REFERENCE_JA) -> list[dict[str, Any]]:
    """Merge the items extracted from both reference texts into the existing records (keyed by
    control_id): extracted fields are refreshed, hand-maintained fields kept."""
    titles_en, items = parse_reference(reference)
    titles_ja, items_ja = parse_reference_ja(reference_ja)
    keys_en = [(i["section"], i["kind"], i["number"]) for i in items]
    keys_ja = [(i["section"], i["kind"], i["number"]) for i in items_ja]
    if keys_en != keys_ja:
        diff = sorted(set(keys_en) ^ set(keys_ja)) or "same items, different order"
        raise ValueError(f"the English and Japanese texts do not hold the same items: {diff}")
    old = {r["control_id"]: r for r in existing}
    records: list[dict[str, Any]] = []
    for it, ja in zip(items, items_ja, strict=True):
        cid = f"{it['section']}-{it['number']}"
        rec: dict[str, Any] = {k: None for k in FIELD_ORDER}
        rec.update({"mode": "manual", "checks": []})
        rec.update({k: v for k, v in old.get(cid, {}).items() if k in FIELD_ORDER})
        chap = chapter_of(it["section"])
        rec.update(
            control_id=cid,
            section=it["section"],
            section_title_ja=titles_ja[it["section"]],
            section_title_en=titles_en[it["section"]],
            chapter_title_ja=titles_ja[chap],
            chapter_title_en=titles_en[chap],
            kind=it["kind"],
            number=it["number"],
            text_en=it["text_en"],
            text_ja=ja["text_ja"],
            footnotes_ja=ja["footnotes_ja"],
            footnotes_en=it["footnotes_en"],
        )
        records.append({k: rec.get(k) for k in FIELD_ORDER})
    return records


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line strings as literal blocks."""


class _Quoted(str):
    """A string always written double-quoted (IDs such as "2.3.1-5", numbers such as "1")."""


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


def _quoted_representer(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style='"')


_Dumper.add_representer(str, _str_representer)
_Dumper.add_representer(_Quoted, _quoted_representer)


def dump(records: list[dict[str, Any]]) -> str:
    """Serialise the records, one blank line between them."""
    header = (
        "# FSA 金融分野におけるサイバーセキュリティに関するガイドライン: chapter 2 items as data.\n"
        "# text_en / footnotes_en / *_title_en: official provisional English translation.\n"
        "# text_ja / footnotes_ja / *_title_ja: official Japanese text (word for word, footnote marks removed).\n"
        "# Both are extracted by tools/build_catalog.py from ../shared/reference; do not edit them by hand.\n"
        "# Titles, the assessor's view (consultant_view_*, aws_realisation_*), mode and checks are hand-written.\n"
    )
    chunks = []
    for rec in records:
        rec = dict(rec)
        for key in ("control_id", "section", "number"):
            rec[key] = _Quoted(rec[key])
        chunks.append(yaml.dump([rec], Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000))
    return header + "\n" + "\n".join(chunks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if controls.yaml is stale")
    parser.add_argument("--dump-items", action="store_true", help="print extracted items")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="English guideline text")
    parser.add_argument("--reference-ja", type=Path, default=REFERENCE_JA, help="Japanese guideline text (Markdown)")
    args = parser.parse_args(argv)
    if args.dump_items:
        titles, items = parse_reference(args.reference)
        titles_ja, items_ja = parse_reference_ja(args.reference_ja)
        for it, ja in zip(items, items_ja, strict=False):
            print(f"== {it['section']}-{it['number']} [{it['kind']}] {titles[it['section']]} / {titles_ja[ja['section']]}")
            print(it["text_en"], *(f"[note] {n}" for n in it["footnotes_en"]), sep="\n")
            print(ja["text_ja"], *(f"[注] {n}" for n in ja["footnotes_ja"]), sep="\n")
        return 0
    existing = yaml.safe_load(CATALOG.read_text(encoding="utf-8")) if CATALOG.exists() else []
    text = dump(build(existing or [], args.reference, args.reference_ja))
    if args.check:
        current = CATALOG.read_text(encoding="utf-8") if CATALOG.exists() else ""
        if current != text:
            print("controls.yaml is out of date; run tools/build_catalog.py", file=sys.stderr)
            return 1
        return 0
    CATALOG.parent.mkdir(parents=True, exist_ok=True)
    CATALOG.write_text(text, encoding="utf-8")
    print(f"wrote {len(existing or [])} -> {text.count(chr(10) + '- control_id')} records to {CATALOG}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
