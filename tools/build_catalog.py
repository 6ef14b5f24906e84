#!/usr/bin/env python3
"""Build / refresh ``assess_lib/catalog/controls.yaml`` from the reference texts.

One-off maintenance script (never imported by the package). It

1. extracts every item of chapter 2 of the FSA's English provisional translation
   (``/work/shared/reference/fsa-cybersecurity-guidelines-en.txt``, ``pdftotext -layout`` output):
   section, kind (fundamental / recommended), number and cleaned English text;
2. imports the consultant's matrix (``seed/000_*.txt``) for the items it covers, fixing the known
   transcription slips;
3. merges both into the existing ``controls.yaml``: extracted fields (``text_en``,
   ``section_title_en``, ``chapter_title_en``) and seed fields (``text_ja``,
   ``consultant_view_ja``, ``aws_realisation_ja``) are refreshed, hand-written fields (titles,
   ``*_ja`` section titles, English renderings of the seed, ``mode``, ``checks``) are kept.

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
SEED = SHARED / "seed" / "000_78c21afacc176695.txt"
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
    "consultant_view_ja",
    "consultant_view_en",
    "aws_realisation_ja",
    "aws_realisation_en",
    "mode",
    "checks",
]

# Official Japanese headings of chapter 2 (金融分野におけるサイバーセキュリティに関するガイドライン).
# 2.1, 2.1.1, 2.1.2, 2.3 and 2.3.1 are confirmed by the seed; the others are given to the best of our
# knowledge of the Japanese original (not available offline) and should be checked against it.
SECTION_TITLES_JA: dict[str, str] = {
    "2.1": "サイバーセキュリティ管理態勢の構築",
    "2.1.1": "基本方針、規程類の策定等",
    "2.1.2": "規程等及び業務プロセスの整備",
    "2.1.3": "態勢整備に必要な資源の確保・人材の育成",
    "2.1.4": "リスク管理部門による牽制",
    "2.1.5": "内部監査",
    "2.2": "サイバーセキュリティリスクの特定",
    "2.2.1": "情報資産管理",
    "2.2.1.1": "情報システム及び外部システムサービス",
    "2.2.1.2": "ハードウェア・ソフトウェア等",
    "2.2.1.3": "情報（データ）",
    "2.2.1.4": "データフロー図・ネットワーク構成図",
    "2.2.2": "リスク管理プロセス",
    "2.2.2.1": "脅威情報及び脆弱性情報の収集・分析",
    "2.2.2.2": "リスクの特定及び評価",
    "2.2.2.3": "リスク対応",
    "2.2.2.4": "継続的な改善に向けた取組み",
    "2.2.3": "ハードウェア・ソフトウェア等の脆弱性管理",
    "2.2.4": "脆弱性診断及びペネトレーションテスト",
    "2.2.5": "演習・訓練",
    "2.3": "サイバー攻撃の防御",
    "2.3.1": "認証・アクセス管理",
    "2.3.2": "教育・研修",
    "2.3.3": "データ保護",
    "2.3.4": "システムのセキュリティ対策",
    "2.3.4.1": "ハードウェア・ソフトウェアの管理",
    "2.3.4.2": "ログの取得・管理",
    "2.3.4.3": "セキュリティ・バイ・デザイン",
    "2.3.4.4": "ネットワーク等のインフラストラクチャの技術的対策",
    "2.3.4.5": "クラウドサービス利用時の対策",
    "2.4": "サイバー攻撃の検知",
    "2.4.1": "監視",
    "2.5": "サイバーインシデント対応及び復旧",
    "2.5.1": "インシデント対応計画及びコンティンジェンシープランの策定",
    "2.5.2": "インシデントへの対応及び復旧",
    "2.5.2.1": "初動対応（検知・受付・トリアージ）",
    "2.5.2.2": "分析",
    "2.5.2.3": "顧客対応、組織内外の連携、広報",
    "2.5.2.4": "封じ込め",
    "2.5.2.5": "根絶",
    "2.5.2.6": "復旧",
    "2.6": "サードパーティリスク管理",
}

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


def _clean_page(page: str) -> list[str]:
    """Return the body lines of one page: header, footnotes and page number removed,
    inline footnote reference numbers stripped."""
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
    for ln in lines:
        if not in_footnotes:
            m = FOOTNOTE_RE.match(ln)
            if m and not HEADING_RE.match(ln) and not re.match(r"^\d\.\s", ln):
                in_footnotes = True
        if in_footnotes:
            m = FOOTNOTE_RE.match(ln)
            if m:
                footnotes.add(m.group(1))
            continue
        body.append(ln)
    # Remove inline reference numbers of this page's footnotes ("per year 8 (with" -> "per year (with").
    for num in sorted(footnotes, key=int, reverse=True):
        ref = re.compile(rf"(?<=[^\d\s(])(\s?){num}(?!\d)(?=[\s,.;:)”\"]|[A-Za-z]|$)")

        def _sub(m: re.Match[str]) -> str:
            nxt = m.string[m.end() : m.end() + 1]
            return " " if nxt.isalpha() else ""

        body = [ref.sub(_sub, ln) for ln in body]
    # Tidy spaces left in front of punctuation by the removal ("cyberattack 38 ." -> "cyberattack.").
    body = [re.sub(r"(?<=\S)\s+([.,;)])(?=\s|$)", r"\1", ln) for ln in body]
    return body


def _chapter_lines(text: str) -> list[str]:
    """Body lines of chapter 2, page furniture removed."""
    lines: list[str] = []
    for page in text.split("\f"):
        lines.extend(_clean_page(page))
    start = next(i for i, ln in enumerate(lines) if CHAPTER_START_RE.match(ln))
    end = next(i for i in range(start, len(lines)) if CHAPTER_END_RE.match(lines[i]))
    return lines[start + 1 : end]


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


def parse_reference(path: Path = REFERENCE) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Parse chapter 2 of the English text.

    Returns ``(section_titles_en, items)``; each item has section, kind, number, text_en.
    """
    lines = _chapter_lines(path.read_text(encoding="utf-8"))
    titles: dict[str, str] = {}
    items: list[dict[str, str]] = []
    section: str | None = None
    kind: str | None = None
    current: dict[str, Any] | None = None
    lead_in: str | None = None
    prev_heading = False

    def flush() -> None:
        nonlocal current
        if current is not None:
            text = _join(current.pop("lines"))
            if lead_in and current["number"] in LEAD_IN_ITEMS.get(current["section"], ()):
                text = lead_in + "\n" + text
            current["text_en"] = text
            items.append(current)
        current = None

    for ln in lines:
        h = HEADING_RE.match(ln)
        if h:
            flush()
            section, kind, lead_in = h.group(1), None, None
            titles[section] = re.sub(r"\s{2,}", " ", h.group(2).strip())
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
# Seed (consultant's matrix, Japanese) import
# ---------------------------------------------------------------------------------------------

CIRCLED = {c: str(i) for i, c in enumerate("①②③④⑤⑥⑦⑧⑨⑩", start=1)}

# Transcription slips in the seed and their corrections (order matters for overlapping strings).
SEED_FIXES: list[tuple[str, str]] = [
    # doubled words in 2.1.1 (1)'s guideline text
    (
        "からの要求事項への対応及び関係主体等（顧客、地域社会、株主、当局等）からの要求事項への対応及び",
        "からの要求事項への対応及び",
    ),
    ("法規制等法規制等", "法規制等"),
    ("経営経営陣", "経営陣"),
    ("人口対策", "入口対策"),
    ("コアスクリッチ", "コアスイッチ"),
    ("分組noneのもの", "未分類（カテゴリなし）のサイト"),
    ("出口策", "出口対策"),
    ("目新しき", "目新しさ"),
    ("時々は", "昨今は"),
    ("規定額", "規定"),
    ("多くないものと思われる", "多いものと思われる"),
    ("つかかき", "つき、"),
    ("環境を踏む", "環境に触れる"),
    ("本認証情報連携時", "本認証情報の漏洩時"),
    ("仮想通貨の発掘", "仮想通貨の採掘"),
    ("設計きめて", "設計において"),
    ("一読公開", "公開"),
    ("チェックがしている", "チェックしている"),
    # 2.3.1 (1): "regular account inventories" (定期的な棚卸し) mis-transcribed as 権限抑止
    ("アカウントの定期的な権限抑止", "アカウントの定期的な棚卸し"),
]

# Header sentence of the sheet that leaked into 2.1.2 (1)'s consultant view (with stray spaces).
LEAKED_HEADER_RE = re.compile(r"\s*ま\s*た\s*客\s*観\s*的\s*な\s*見\s*直\s*し.*?り\s*ま\s*す\s*。")


def _fix_seed(text: str) -> str:
    text = LEAKED_HEADER_RE.sub("", text)
    for wrong, right in SEED_FIXES:
        text = text.replace(wrong, right)
    text = text.strip()
    # Cell line breaks were flattened to spaces: restore them after sentences and before bullets.
    text = re.sub(r"。\s+", "。\n", text)
    text = re.sub(r"\s+・", "\n・", text)
    text = re.sub(r"。\s*$", "。", text)
    return text


def parse_seed(path: Path = SEED) -> dict[str, dict[str, str]]:
    """Items of the consultant's matrix by control_id, slips fixed."""
    out: dict[str, dict[str, str]] = {}
    section: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) < 4:
            continue
        if re.fullmatch(r"2(\.\d+)*", cols[0].strip()):
            section = cols[0].strip()
            continue
        number = CIRCLED.get(cols[1].strip())
        if number is None or section is None:
            continue
        cols += [""] * (6 - len(cols))
        out[f"{section}-{number}"] = {
            "kind": "fundamental" if "基本的" in cols[2] else "recommended",
            "text_ja": _fix_seed(cols[3]),
            "consultant_view_ja": _fix_seed(cols[4]),
            "aws_realisation_ja": _fix_seed(cols[5]),
        }
    return out


# ---------------------------------------------------------------------------------------------
# Merge and write
# ---------------------------------------------------------------------------------------------


def chapter_of(section: str) -> str:
    """The level-2 heading (2.1 ... 2.6) a section belongs to."""
    return ".".join(section.split(".")[:2])


def build(existing: list[dict[str, Any]], reference: Path = REFERENCE, seed_path: Path = SEED) -> list[dict[str, Any]]:
    """Merge extracted and seed data into the existing records (keyed by control_id)."""
    titles_en, items = parse_reference(reference)
    seed = parse_seed(seed_path)
    old = {r["control_id"]: r for r in existing}
    records: list[dict[str, Any]] = []
    for it in items:
        cid = f"{it['section']}-{it['number']}"
        rec: dict[str, Any] = {k: None for k in FIELD_ORDER}
        rec.update({"mode": "manual", "checks": []})
        rec.update(old.get(cid, {}))
        chap = chapter_of(it["section"])
        rec.update(
            control_id=cid,
            section=it["section"],
            section_title_ja=SECTION_TITLES_JA[it["section"]],
            section_title_en=titles_en[it["section"]],
            chapter_title_ja=SECTION_TITLES_JA[chap],
            chapter_title_en=titles_en[chap],
            kind=it["kind"],
            number=it["number"],
            text_en=it["text_en"],
        )
        if cid in seed:
            if seed[cid]["kind"] != it["kind"]:
                raise ValueError(f"{cid}: seed kind differs from the reference")
            rec.update({k: v for k, v in seed[cid].items() if k != "kind"})
        records.append({k: rec.get(k) for k in FIELD_ORDER})
    missing = set(seed) - {r["control_id"] for r in records}
    if missing:
        raise ValueError(f"seed items not found in the reference: {sorted(missing)}")
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
        "# text_en: official provisional English translation (extracted by tools/build_catalog.py).\n"
        "# text_ja / consultant_view_ja / aws_realisation_ja: consultant's matrix (seed), slips fixed.\n"
        "# Titles, Japanese section headings, English renderings, mode and checks are hand-written.\n"
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
    parser.add_argument("--seed", type=Path, default=SEED, help="consultant's matrix (text)")
    args = parser.parse_args(argv)
    if args.dump_items:
        titles, items = parse_reference(args.reference)
        for it in items:
            print(f"== {it['section']}-{it['number']} [{it['kind']}] {titles[it['section']]}")
            print(it["text_en"])
        return 0
    existing = yaml.safe_load(CATALOG.read_text(encoding="utf-8")) if CATALOG.exists() else []
    text = dump(build(existing or [], args.reference, args.seed))
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
