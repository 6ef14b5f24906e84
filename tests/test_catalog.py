"""Tests for the guideline catalogue (assess_lib/catalog): data, schema and loader."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from assess_lib.catalog import Catalog, CatalogError, Control, load_catalog, schema

REPO = Path(__file__).resolve().parents[1]
CONTROLS_YAML = REPO / "assess_lib" / "catalog" / "controls.yaml"
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "fsa-cybersecurity-guidelines-en.txt"
REFERENCE_JA = REFERENCE.with_name("fsa-cybersecurity-guidelines-ja.md")
BUILD_SCRIPT = REPO / "tools" / "build_catalog.py"

# Items that carry the assessor's view (started from the consultant's matrix, rewritten neutrally).
VIEW_IDS = ["2.1.1-1", "2.1.1-2", "2.1.2-1", "2.3-1"] + [f"2.3.1-{n}" for n in range(1, 7)]
VIEW_FIELDS = ("consultant_view_ja", "consultant_view_en", "aws_realisation_ja", "aws_realisation_en")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def raw_records() -> list[dict]:
    return yaml.safe_load(CONTROLS_YAML.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# Counts against the reference text
# --------------------------------------------------------------------------------------------


def _reference_counts(path: Path) -> Counter[tuple[str, str]]:
    """Count (section, kind) items in chapter 2 of the English text, independently of the build
    script: an item is a column-0 "(1) " or "(a) " line; it belongs to the last section heading."""
    lines = path.read_text(encoding="utf-8").splitlines()
    # Body headings have no dot leaders (the table of contents does).
    start = next(i for i, ln in enumerate(lines) if re.match(r"^2\.\s+Cybersecurity Management Framework\s*$", ln))
    end = next(i for i in range(start, len(lines)) if re.match(r"^3\.\s+Strengthening Collaboration", lines[i]))
    counts: Counter[tuple[str, str]] = Counter()
    section = None
    for ln in lines[start:end]:
        heading = re.match(r"^(2(?:\.\d+)+)\.\s+\S", ln)
        if heading:
            section = heading.group(1)
        elif re.match(r"^\(\d+\)\s", ln):
            counts[(section, "fundamental")] += 1
        elif re.match(r"^\([a-z]\)\s", ln):
            counts[(section, "recommended")] += 1
    return counts


def _catalog_counts(catalog: Catalog) -> Counter[tuple[str, str]]:
    return Counter((c.section, c.kind) for c in catalog)


def test_counts_per_section_match_reference(catalog: Catalog) -> None:
    if not REFERENCE.exists():
        pytest.skip(f"reference text not found at {REFERENCE}; cannot cross-check item counts")
    expected = _reference_counts(REFERENCE)
    assert sum(expected.values()) > 0
    assert _catalog_counts(catalog) == expected


def test_known_counts(catalog: Catalog) -> None:
    counts = _catalog_counts(catalog)
    assert counts[("2.3.1", "fundamental")] == 8
    assert counts[("2.3.1", "recommended")] == 0
    assert counts[("2.6", "fundamental")] == 10
    assert counts[("2.6", "recommended")] == 5
    assert counts[("2.3", "fundamental")] == 1
    assert sum(1 for c in catalog if c.kind == "fundamental") == 126
    assert sum(1 for c in catalog if c.kind == "recommended") == 50
    assert len(catalog) == 176


def test_numbering_is_contiguous(catalog: Catalog) -> None:
    """Within a section, fundamental items run 1..n and recommended items a..m without gaps."""
    for section in catalog.sections():
        items = catalog.by_section(section)
        nums = [c.number for c in items if c.kind == "fundamental"]
        letters = [c.number for c in items if c.kind == "recommended"]
        assert nums == [str(i) for i in range(1, len(nums) + 1)], section
        assert letters == [chr(ord("a") + i) for i in range(len(letters))], section


def test_section_order_and_chapters(catalog: Catalog) -> None:
    sections = catalog.sections()
    assert sections[0] == "2.1.1"
    assert sections[-1] == "2.6"
    assert {"2.2.1.1", "2.3.4.5", "2.5.2.3", "2.2.1", "2.3", "2.4"} <= set(sections)
    for c in catalog:
        assert c.section.startswith(c.chapter)
        assert c.chapter_title_en == catalog.by_section(c.section)[0].chapter_title_en
    assert catalog.get("2.3.1-5").chapter_title("ja") == "サイバー攻撃の防御"
    assert catalog.get("2.3.1-5").chapter_title("en") == "Cyberattack Defense"
    assert catalog.get("2.3-1").chapter_title("en") == "Cyberattack Defense"
    assert catalog.get("2.1.1-1").section_title("ja") == "基本方針、規程類の策定等"
    assert catalog.get("2.1.2-1").section_title("ja") == "規程等及び業務プロセスの整備"
    assert catalog.get("2.1.2-1").chapter_title("ja") == "サイバーセキュリティ管理態勢の構築"
    assert catalog.get("2.3.1-1").section_title("en") == "Authentication and Access Management"


# --------------------------------------------------------------------------------------------
# English text quality
# --------------------------------------------------------------------------------------------


def test_english_text_has_no_extraction_artefacts(catalog: Catalog) -> None:
    # Standalone numbers that legitimately occur in the official text.
    allowed = re.compile(r"SOC 2\)|\(\d+\)|Appendix 1:|March 8, 2023|[Ss]ections? 2(?:\.\d+)*\.?")
    for c in catalog:
        for field in ("text_en", "section_title_en", "chapter_title_en"):
            text = getattr(c, field)
            assert "[Provisional" not in text, c.control_id
            assert "Provisional translation" not in text, c.control_id
            assert "\f" not in text and "  " not in text, c.control_id
            assert not re.search(r"^\s*\d+\s*$", text, re.M), f"page number in {c.control_id}"
            assert not re.search(r"\s[.,;)]", text), f"stray space before punctuation in {c.control_id}"
            # "medium- to long-term" is genuine; "organization- wide" would be a broken line join.
            assert not re.search(r"[a-z]- (?!to )[a-z]", text), f"broken hyphenation in {c.control_id}"
            cleaned = allowed.sub("", text)
            stray = re.search(r"(?<![\d.,/])\b\d{1,2}\b(?![\d/]|\.\d)", cleaned)
            assert stray is None, f"footnote reference left in {c.control_id}: {cleaned[stray.start() - 20 : stray.end() + 5]!r}"


def test_known_english_texts(catalog: Catalog) -> None:
    t = catalog.get("2.1.1-2").text_en
    assert "at least once per year (with external expert reviews as necessary)." in t
    assert catalog.get("2.3.1-5").text_en.endswith("Use multi-factor authentication for remote access to critical systems.")
    assert "\n- Monitoring systems such as Security Operations Center (SOC), etc., including use of external resources\n" in (
        catalog.get("2.1.1-3").text_en
    )
    # Item continuing across a page break, footnotes in between.
    t = catalog.get("2.2.1.2-1").text_en
    assert "(including network devices and appliance products) and software" in t
    assert t.endswith("- For software, version information")
    assert catalog.get("2.3.3-a").text_en.startswith("Implement Data Loss Prevention (DLP) solutions")
    assert catalog.get("2.4.1-2").text_en.startswith(
        "To detect signs of cyberattacks, continuously monitor the following:\nNetworks"
    )
    assert "file-sharing services" in catalog.get("2.4.1-2").text_en
    assert catalog.get("2.5.2.3-1").section_title_en == (
        "Customer Response, Internal and External Coordination, Public Communication"
    )
    assert catalog.get("2.3.4.5-1").section_title_en == "Measures When Using Cloud Services"
    assert catalog.get("2.2.1-1").section_title_en == "Information Assets Management"


def test_bullets_kept_as_lines(catalog: Catalog) -> None:
    assert catalog.get("2.1.2-1").text_en.count("\n- ") == 13
    assert catalog.get("2.6-8").text_en.count("\n- ") == 12
    assert catalog.get("2.3.1-1").text_en.count("\n- ") == 4


# --------------------------------------------------------------------------------------------
# Japanese text and footnotes against the official Japanese original
# --------------------------------------------------------------------------------------------

_JA_HEADING = re.compile(r"^#+\s+(2(?:\.\d+)+)\.\s+(.*)$")
_JA_NOTE_MARK = re.compile(r"\[\^(\d+)\]")


def _ja_reference() -> tuple[dict[str, str], dict[str, list[str]], dict[str, list[str]], dict[str, str]]:
    """Chapter 2 of the Japanese Markdown, read independently of the build script.

    Returns (section title with its note marks, section -> its lines, section -> marks in its heading,
    footnote number -> text)."""
    lines = REFERENCE_JA.read_text(encoding="utf-8").splitlines()
    notes = {m.group(1): m.group(2).strip() for ln in lines if (m := re.match(r"^\[\^(\d+)\]:\s*(.*)$", ln))}
    start = next(i for i, ln in enumerate(lines) if ln.startswith("## 2. "))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("## 3. "))
    titles: dict[str, str] = {}
    body: dict[str, list[str]] = {}
    heading_marks: dict[str, list[str]] = {}
    section = None
    for ln in lines[start + 1 : end]:
        if m := _JA_HEADING.match(ln):
            section = m.group(1)
            titles[section] = _JA_NOTE_MARK.sub("", m.group(2)).strip()
            heading_marks[section] = _JA_NOTE_MARK.findall(m.group(2))
            body[section] = []
        elif section:
            body[section].append(ln)
    return titles, body, heading_marks, notes


def _ja_item_block(section_lines: list[str], control: Control) -> list[str]:
    """The Markdown lines of one item: its list entry, its sub-bullets and a note line right under it."""
    prefix = f"- {control.label_ja} " if control.kind == "fundamental" else f"- {control.number}. "
    starts = [i for i, ln in enumerate(section_lines) if ln.startswith(prefix)]
    assert len(starts) == 1, f"{control.control_id}: {len(starts)} lines start with {prefix!r} in the reference"
    block = [section_lines[starts[0]][len(prefix) :].strip()]
    for ln in section_lines[starts[0] + 1 :]:
        if not ln.strip() or ln.startswith(("- ", "#", "[^", ">")):
            break
        block.append("・" + ln.strip()[2:].strip() if ln.startswith(" ") and ln.strip().startswith("- ") else ln.strip())
    return block


@pytest.fixture(scope="module")
def ja_reference() -> tuple[dict[str, str], dict[str, list[str]], dict[str, list[str]], dict[str, str]]:
    if not REFERENCE_JA.exists():
        pytest.skip(f"Japanese reference text not found at {REFERENCE_JA}; cannot cross-check the Japanese text")
    return _ja_reference()


def test_japanese_text_matches_the_official_original(catalog: Catalog, ja_reference) -> None:
    """Every item's text_ja is the official Japanese word for word (sub-bullets included, footnote
    marks removed); a lead-in sentence that governs a run of items may precede it."""
    _titles, body, _marks, _notes = ja_reference
    wrong = []
    for c in catalog:
        expected = _JA_NOTE_MARK.sub("", "\n".join(_ja_item_block(body[c.section], c)))
        text = c.text_ja or ""
        if text != expected and "\n" in text:
            lead_in, rest = text.split("\n", 1)
            # The lead-in must be a paragraph of the section itself ("サイバー攻撃の端緒を検知するために、…").
            if lead_in in (ln.strip() for ln in body[c.section] if ln and not ln.startswith(("- ", " ", "#"))):
                text = rest
        if text != expected:
            wrong.append(c.control_id)
    assert not wrong, f"{len(wrong)} items differ from the official Japanese text: {wrong}"


def test_japanese_section_titles_match_the_official_original(catalog: Catalog, ja_reference) -> None:
    titles = ja_reference[0]
    for c in catalog:
        assert c.section_title_ja == titles[c.section], c.control_id
        assert c.chapter_title_ja == titles[c.chapter], c.control_id
    # The headings the seed had wrong.
    assert catalog.get("2.1.3-1").section_title("ja") == "経営資源の確保、人材の育成"
    assert catalog.get("2.2.1.4-1").section_title("ja") == "データフロー図・ネットワーク図"
    assert catalog.get("2.2.2.2-1").section_title("ja") == "リスクの特定・評価"
    assert catalog.get("2.2.2.4-1").section_title("ja") == "継続的な改善活動"
    assert catalog.get("2.3.4.1-1").section_title("ja") == "ハードウェア・ソフトウェア管理"
    assert catalog.get("2.3.4.2-1").section_title("ja") == "ログ管理"
    assert catalog.get("2.3.4.4-1").section_title("ja") == "インフラストラクチャ（ネットワーク等）の技術的対策"
    assert catalog.get("2.5.2.1-1").section_title("ja") == "初動対応（検知・受付、トリアージ）"
    assert catalog.get("2.2.1-1").section_title("ja") == "情報資産管理"  # footnote mark removed


def test_footnotes_travel_with_their_items(catalog: Catalog, ja_reference) -> None:
    """footnotes_ja holds exactly the footnotes the item (or its section heading) cites, in order."""
    _titles, body, heading_marks, notes = ja_reference
    for c in catalog:
        marks = heading_marks[c.section] + _JA_NOTE_MARK.findall("\n".join(_ja_item_block(body[c.section], c)))
        assert list(c.footnotes_ja) == [notes[n] for n in dict.fromkeys(marks)], c.control_id
    cited = {n for c in catalog for n in _JA_NOTE_MARK.findall("".join(c.footnotes_ja))}
    assert not cited
    assert catalog.get("2.1.1-3").footnotes("ja") == (notes["9"],)
    assert catalog.get("2.1.1-3").footnotes("en")[0].startswith("A Security Operations Center (SOC) is an organization")
    assert catalog.get("2.2.3-6").footnotes("en") == (
        '"Important third parties" refers to third-party entities that the organization recognizes as critical to its '
        "business operations.",
    )
    # A footnote on a section heading belongs to every item of that section.
    for c in catalog.by_section("2.2.1"):
        assert c.footnotes("ja")[0].startswith("情報資産とは") and c.footnotes("en")[0].startswith("Information assets refer to")
    # Where the English renders the note inline (RPO/RTO, fourth parties) only the Japanese has it.
    assert len(catalog.get("2.2.5-a").footnotes_ja) == 2 and not catalog.get("2.2.5-a").footnotes_en
    for c in catalog:
        if c.control_id not in {"2.2.5-a", "2.6-b"}:
            assert len(c.footnotes_ja) == len(c.footnotes_en), c.control_id
        for note in c.footnotes_en:
            assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", note), c.control_id
            assert "  " not in note and "[Provisional" not in note, c.control_id


def test_every_item_has_japanese_text(catalog: Catalog) -> None:
    """No item falls back to the English text in the Japanese report."""
    for c in catalog:
        assert c.text("ja") == c.text_ja, c.control_id
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", c.text_ja), c.control_id
        assert c.text("en") == c.text_en
        for field in ("text_ja", "section_title_ja", "chapter_title_ja", "text_en", "section_title_en"):
            assert "[^" not in getattr(c, field), f"footnote mark left in {c.control_id}.{field}"
    assert catalog.get("2.1.1-2").text("ja").startswith("取締役会等は、サイバー攻撃が高度化・巧妙化していることを踏まえ、")
    # The clause the consultant's matrix dropped from 2.1.1 (2).
    assert "組織の経営目標にとってのサイバーセキュリティの確保の重要性を認識し、" in catalog.get("2.1.1-2").text_ja
    assert catalog.get("2.3.1-1").text_ja.count("\n・") == 4
    assert catalog.get("2.4.1-1").text_ja.startswith(
        "サイバー攻撃の端緒を検知するために、以下について継続的な監視を実施すること。\n"
    )


# --------------------------------------------------------------------------------------------
# English text against the official English translation
# --------------------------------------------------------------------------------------------


def _en_reference_words(path: Path) -> str:
    """The words of chapter 2 of the English text, page headers and page-bottom footnotes removed,
    as one space-separated string (independently of the build script)."""
    kept: list[str] = []
    for page in path.read_text(encoding="utf-8").split("\f"):
        for ln in page.splitlines():
            if re.match(r"^\d{1,2}(\s|$)", ln):
                break  # the footnotes at the bottom of the page
            if "[Provisional translation]" not in ln:
                kept.append(re.sub(r"^\((?:\d+|[a-z])\)\s", " ", ln))  # item labels "(1)", "(b)" are not text
    start = next(i for i, ln in enumerate(kept) if re.match(r"^2\.\s+Cybersecurity Management Framework\s*$", ln))
    end = next(i for i in range(start, len(kept)) if re.match(r"^3\.\s+Strengthening Collaboration", kept[i]))
    return " " + " ".join(re.findall(r"[A-Za-z]+", " ".join(kept[start:end]))) + " "


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[A-Za-z]+", text)) + " "


def test_english_text_matches_the_official_translation(catalog: Catalog) -> None:
    """Every item's words are a run of the official text, in guideline order, and consecutive items of
    one block follow each other with nothing dropped in between."""
    if not REFERENCE.exists():
        pytest.skip(f"reference text not found at {REFERENCE}; cannot cross-check the English text")
    reference = _en_reference_words(REFERENCE)
    pos, previous = 0, None
    for c in catalog:
        words = _words(c.text_en)
        at = reference.find(words, pos)
        if at < 0 and "\n" in c.text_en:  # a lead-in sentence from above the first item of the run
            lead_in, rest = c.text_en.split("\n", 1)
            assert _words(lead_in) in reference, c.control_id
            words = _words(rest)
            at = reference.find(words, pos)
        assert at >= 0, f"{c.control_id}: text_en is not a run of the official English text"
        if previous is not None and (previous[0].section, previous[0].kind) == (c.section, c.kind):
            assert previous[1] == at, f"text between {previous[0].control_id} and {c.control_id} is missing"
        pos, previous = at, (c, at + len(words) - 1)


def test_build_check_passes_from_another_directory(tmp_path: Path) -> None:
    """controls.yaml is what tools/build_catalog.py makes of the two reference texts (and the
    hand-maintained fields): refreshing is one command, and drift is caught."""
    import subprocess
    import sys

    if not (REFERENCE.exists() and REFERENCE_JA.exists()):
        pytest.skip("reference texts not found; cannot rebuild the catalogue")
    for _ in range(2):
        run = subprocess.run(
            [sys.executable, str(BUILD_SCRIPT), "--check"], cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert run.returncode == 0, run.stderr


# --------------------------------------------------------------------------------------------
# The assessor's view (一般的に考えられる対応内容 / AWS環境上で実現すること)
# --------------------------------------------------------------------------------------------

# Wording an independent assessor does not use: references to the spreadsheet's columns, a vendor's
# humble or sales register, first person, offers and claims about a partner's own design.
FORBIDDEN_JA = [
    "左記",
    "右記",
    "上記の列",
    "下記の列",
    "させていただ",
    "いただいて",
    "弊社",
    "当社",
    "お客様",
    "おります",
    "いたします",
    "CloudOne",
    "Cloud One",
]
FORBIDDEN_EN = [
    r"\bwe\b",
    r"\bour\b",
    r"\bus\b",
    r"we offer",
    r"our design",
    r"\bleft[- ]hand\b",
    r"\bleft column\b",
    r"\bcolumn to the left\b",
    r"\bCloud ?One\b",
    r"\bthe customer's\b",
]


def test_assessor_view_is_neutral(catalog: Catalog) -> None:
    offending = []
    for c in catalog:
        for field in VIEW_FIELDS:
            text = getattr(c, field) or ""
            patterns = FORBIDDEN_JA if field.endswith("_ja") else FORBIDDEN_EN
            for pattern in patterns:
                found = pattern in text if field.endswith("_ja") else re.search(pattern, text, re.I)
                if found:
                    offending.append(f"{c.control_id}.{field}: {pattern}")
            # です・ます調 throughout: no plain-form sentence endings.
            if field.endswith("_ja") and re.search(r"(である|思われる|となる|必要がある|だ)。", text):
                offending.append(f"{c.control_id}.{field}: plain-form sentence")
    assert not offending, offending


def test_view_items_carry_all_four_fields(catalog: Catalog) -> None:
    for c in catalog:
        values = [getattr(c, f) for f in VIEW_FIELDS]
        if c.control_id in VIEW_IDS:
            assert all(isinstance(v, str) and v.strip() for v in values), c.control_id
            assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", c.consultant_view_en), c.control_id
            assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", c.aws_realisation_en), c.control_id
            assert re.search(r"[\u3040-\u30ff]", c.consultant_view_ja) and re.search(r"[\u3040-\u30ff]", c.aws_realisation_ja)
        else:
            assert values == [None] * 4, c.control_id
            assert c.consultant_view("ja") is None and c.aws_realisation("en") is None
    # The substance is kept: what to do and which AWS services achieve it.
    assert "入口対策" in catalog.get("2.3-1").consultant_view_ja
    assert "コアスイッチ" in catalog.get("2.3-1").consultant_view_ja
    assert "未分類（カテゴリなし）のサイト" in catalog.get("2.3-1").consultant_view_ja
    assert "AWS WAF" in catalog.get("2.3-1").aws_realisation_ja and "AWS WAF" in catalog.get("2.3-1").aws_realisation_en
    assert "仮想通貨の採掘" in catalog.get("2.3.1-3").consultant_view_ja
    assert "Amazon SES" in catalog.get("2.3.1-6").aws_realisation("ja")
    assert "DMARC" in catalog.get("2.3.1-6").aws_realisation("en")


def test_seed_slips_stay_corrected() -> None:
    raw = CONTROLS_YAML.read_text(encoding="utf-8")
    wrong = [
        "人口対策",
        "コアスクリッチ",
        "分組none",
        "目新しき",
        "時々は",
        "規定額",
        "多くないものと思われる",
        "つかかき",
        "環境を踏む",
        "本認証情報連携時",
        "仮想通貨の発掘",
        "設計きめて",
        "一読公開",
        "法規制等法規制等",
        "経営経営陣",
        "要求事項への対応及び関係主体等",
        "また客観的な見直し",
        "記載させていただいております",
        "記載 させて",
        "出口策",
        "未収録",
    ]
    for s in wrong:
        assert s not in raw, s


# --------------------------------------------------------------------------------------------
# Modes and checks
# --------------------------------------------------------------------------------------------


def test_modes_and_checks(catalog: Catalog) -> None:
    """Modes agree with checks; which checks support which item is cross-checked with the
    registry in test_registry.py (one source of truth per fact)."""
    for c in catalog:
        if c.mode == "manual":
            assert c.checks == (), c.control_id
        if c.mode == "auto":
            assert c.checks, c.control_id
    assert catalog.get("2.1.1-3").mode == "manual"
    assert catalog.get("2.3.1-5").mode == "hybrid" and "iam_user_console_mfa" in catalog.get("2.3.1-5").checks
    assert [c.control_id for c in catalog.controls_for_check("iam_root_access_keys")] == ["2.3.1-1", "2.3.1-3"]


def test_titles_present_and_short(catalog: Catalog) -> None:
    for c in catalog:
        assert c.title("ja") and c.title("en"), c.control_id
        assert len(c.title_ja) <= 40, c.control_id
        assert len(c.title_en) <= 80, c.control_id
    assert catalog.get("2.3.1-5").title("ja") == "重要システムへのリモートアクセス等の多要素認証"


# --------------------------------------------------------------------------------------------
# Loader API
# --------------------------------------------------------------------------------------------


def test_loader_api(catalog: Catalog) -> None:
    assert load_catalog() is catalog  # cached default load
    ids = catalog.ids()
    assert ids[0] == "2.1.1-1" and ids[-1] == "2.6-e"
    assert [c.control_id for c in catalog][:3] == ["2.1.1-1", "2.1.1-2", "2.1.1-3"]
    assert catalog[0].control_id == "2.1.1-1"
    assert "2.3.1-5" in catalog and "9.9-1" not in catalog
    with pytest.raises(KeyError, match=r"9\.9-1"):
        catalog.get("9.9-1")
    assert [c.number for c in catalog.by_section("2.3.1")] == [str(i) for i in range(1, 9)]
    assert catalog.by_section("2.2") == []  # heading without items of its own
    c = catalog.get("2.1.1-b")
    assert isinstance(c, Control) and c.kind == "recommended" and c.label_en == "(b)" and c.label_ja == "b"
    assert catalog.get("2.3.1-5").label_ja == "⑤"
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.mode = "auto"  # type: ignore[misc]
    with pytest.raises(ValueError):
        c.text("fr")
    assert c.section_title("en") == "Formulation of Basic Policies and Regulations, etc."
    assert schema()["$schema"].endswith("2020-12/schema")


def test_every_record_is_schema_valid(raw_records: list[dict]) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    for record in raw_records:
        assert not list(validator.iter_errors(record)), record["control_id"]
        assert record["control_id"] == f"{record['section']}-{record['number']}"


# --------------------------------------------------------------------------------------------
# Broken catalogues
# --------------------------------------------------------------------------------------------


def _write(tmp_path: Path, records: list[dict]) -> Path:
    p = tmp_path / "controls.yaml"
    p.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


@pytest.fixture()
def good_record(raw_records: list[dict]) -> dict:
    return dict(next(r for r in raw_records if r["control_id"] == "2.3.1-5"))


def test_temp_copy_loads(tmp_path: Path, good_record: dict) -> None:
    cat = load_catalog(_write(tmp_path, [good_record]))
    assert len(cat) == 1 and cat.get("2.3.1-5").checks == tuple(good_record["checks"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "maybe"}, "kind"),
        ({"mode": "sometimes"}, "mode"),
        ({"title_en": ""}, "title_en"),
        ({"checks": ["Bad-ID"]}, "checks"),
        ({"mode": "auto", "checks": []}, "checks"),
        ({"mode": "manual"}, "checks"),  # manual items must not list checks
        ({"number": "e"}, "number"),  # a letter for a fundamental item
        ({"consultant_view_en": None}, "consultant_view_en"),  # ja without en
        ({"text_ja": None}, "text_ja"),  # every item has its Japanese text
        ({"footnotes_ja": "SOC とは"}, "footnotes_ja"),
        ({"footnotes_en": [""]}, "footnotes_en"),
        ({"extra": 1}, "extra"),
    ],
)
def test_broken_record_names_id_and_field(tmp_path: Path, good_record: dict, change: dict, field: str) -> None:
    good_record.update(change)
    with pytest.raises(CatalogError) as info:
        load_catalog(_write(tmp_path, [good_record]))
    assert "2.3.1-5" in str(info.value)
    assert info.value.control_id == "2.3.1-5"
    assert info.value.field == field
    assert field in str(info.value)


def test_bad_control_id(tmp_path: Path, good_record: dict) -> None:
    good_record["control_id"] = "2.3.1-V"
    with pytest.raises(CatalogError) as info:
        load_catalog(_write(tmp_path, [good_record]))
    assert "2.3.1-V" in str(info.value) and info.value.field == "control_id"


def test_control_id_must_match_section_and_number(tmp_path: Path, good_record: dict) -> None:
    good_record["control_id"] = "2.3.1-6"
    with pytest.raises(CatalogError, match=r"2\.3\.1-6.*control_id.*2\.3\.1-5"):
        load_catalog(_write(tmp_path, [good_record]))


def test_missing_field(tmp_path: Path, good_record: dict) -> None:
    del good_record["kind"]
    with pytest.raises(CatalogError, match=r"2\.3\.1-5") as info:
        load_catalog(_write(tmp_path, [good_record]))
    assert info.value.field == "kind"


def test_duplicate_control_id(tmp_path: Path, good_record: dict) -> None:
    with pytest.raises(CatalogError, match=r"2\.3\.1-5.*duplicated"):
        load_catalog(_write(tmp_path, [good_record, dict(good_record)]))


def test_not_a_list(tmp_path: Path) -> None:
    p = tmp_path / "controls.yaml"
    p.write_text("control_id: x\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="list"):
        load_catalog(p)
