"""The points to confirm per item come from the guideline's own wording (catalog/checklist.py)."""

from __future__ import annotations

from assess_lib.catalog import load_catalog
from assess_lib.catalog.checklist import checklist, checklist_text

CATALOG = {c.control_id: c for c in load_catalog()}


def test_sub_bullets_become_points_in_both_languages():
    points = checklist(CATALOG["2.1.2-1"], "ja")
    subs = [p.text for p in points if p.level == 1]
    assert len(subs) == 13 and subs[0] == "情報資産管理" and subs[-1] == "サードパーティリスク管理"
    assert [p.text for p in checklist(CATALOG["2.6-8"], "en") if p.level == 1][1] == "Audit rights"
    assert len([p for p in checklist(CATALOG["2.6-8"], "ja") if p.level == 1]) == 12


def test_every_item_has_points_and_references_are_not_points():
    assert all(checklist(c, lang) for c in CATALOG.values() for lang in ("ja", "en"))
    text = checklist_text(CATALOG["2.1.1-b"], "ja")
    assert "参考" not in text and text.startswith("□ 取締役会等は")
    assert len(checklist(CATALOG["2.2.4-1"], "ja")) == 9  # three sentences, six sub-points
