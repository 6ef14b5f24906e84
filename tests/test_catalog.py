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

SEED_IDS = ["2.1.1-1", "2.1.1-2", "2.1.2-1", "2.3-1"] + [f"2.3.1-{n}" for n in range(1, 7)]


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
# Seed items (consultant's matrix)
# --------------------------------------------------------------------------------------------


def test_seed_items_carry_japanese_and_views(catalog: Catalog) -> None:
    for cid in SEED_IDS:
        c = catalog.get(cid)
        for field in ("text_ja", "consultant_view_ja", "consultant_view_en", "aws_realisation_ja", "aws_realisation_en"):
            value = getattr(c, field)
            assert isinstance(value, str) and value.strip(), f"{cid}.{field}"
        assert c.text("ja") == c.text_ja
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", c.text_ja)
        assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", c.consultant_view_en), cid
        assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", c.aws_realisation_en), cid


def test_non_seed_items_have_no_japanese_text(catalog: Catalog) -> None:
    for c in catalog:
        if c.control_id in SEED_IDS:
            continue
        assert c.text_ja is None and c.consultant_view_ja is None and c.aws_realisation_ja is None, c.control_id
        assert c.consultant_view_en is None and c.aws_realisation_en is None, c.control_id
        assert c.text("ja") == c.text_en  # falls back to English
        assert c.consultant_view("ja") is None


def test_seed_texts_corrected() -> None:
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
    ]
    for s in wrong:
        assert s not in raw, s


def test_seed_corrections_present(catalog: Catalog) -> None:
    assert "入口対策" in catalog.get("2.3-1").consultant_view_ja
    assert "コアスイッチ" in catalog.get("2.3-1").consultant_view_ja
    assert "未分類（カテゴリなし）のサイト" in catalog.get("2.3-1").consultant_view_ja
    assert "仮想通貨の採掘" in catalog.get("2.3.1-3").consultant_view_ja
    assert "本認証情報の漏洩時" in catalog.get("2.3.1-3").consultant_view_ja
    assert "環境に触れる" in catalog.get("2.3.1-2").aws_realisation_ja
    t = catalog.get("2.1.1-1").text_ja
    assert t.count("関係主体等") == 1 and t.count("法規制等") == 1 and "経営陣によるコミットメント" in t
    assert catalog.get("2.1.2-1").consultant_view_ja.endswith("反映することが可能となります。")


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
    with pytest.raises(KeyError, match="9.9-1"):
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
    with pytest.raises(CatalogError, match="2.3.1-5") as info:
        load_catalog(_write(tmp_path, [good_record]))
    assert info.value.field == "kind"


def test_duplicate_control_id(tmp_path: Path, good_record: dict) -> None:
    with pytest.raises(CatalogError, match="2.3.1-5.*duplicated"):
        load_catalog(_write(tmp_path, [good_record, dict(good_record)]))


def test_not_a_list(tmp_path: Path) -> None:
    p = tmp_path / "controls.yaml"
    p.write_text("control_id: x\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="list"):
        load_catalog(p)
