"""How wide the report's text is and how a table's columns share the line (``report/measure.py``).

The widths of Latin characters are compared with the font file the PDF embeds; the sharing is checked on small
tables whose answer is known, the demo's own evidence tables in ``test_report_truth``.
"""

from __future__ import annotations

import pytest
from fontTools.ttLib import TTFont

from assess_lib.report.measure import (
    ASCII_ADVANCE,
    ASCII_UNITS,
    BREAK_HINT,
    UNITS_PER_EM,
    break_hints,
    column_widths,
    min_width,
    text_width,
    whole_width,
)
from assess_lib.report.pdf import font_path

LINE = 80.0
PADDING = 1.0


def test_latin_widths_are_the_embedded_fonts_own():
    font = TTFont(str(font_path()), lazy=True)
    cmap, metrics = font.getBestCmap(), font["hmtx"]
    assert font["head"].unitsPerEm == UNITS_PER_EM
    assert list(ASCII_UNITS) == [metrics[cmap[code]][0] for code in range(0x20, 0x7F)]
    assert ASCII_ADVANCE["W"] > ASCII_ADVANCE["a"] > ASCII_ADVANCE["i"]


def test_japanese_is_one_em_a_character_and_a_word_is_what_cannot_break():
    assert text_width("勘定系") == 3.0
    assert text_width("短い\nもっと長い行") == 6.0  # the widest line
    assert text_width("ii") < text_width("MM")
    # Japanese text breaks between its characters; an ASCII word does not.
    assert min_width("バケットのパブリックアクセスブロック") == 1.0
    assert min_width("勘定系 (123456789012)") == text_width("(123456789012)")
    # A word of 16 to 23 characters may break once, at its middle; a table keeps it whole where it has room.
    tags = "DataClassification: public"
    assert min_width(tags) == max(text_width(piece) for piece in ("DataClass", "ification:"))
    assert whole_width(tags) == text_width("DataClassification:")
    assert min_width("") == 0.0


@pytest.mark.parametrize(
    ("run", "pieces"),
    [
        ("ap-northeast-1", ["ap-northeast-1"]),  # under 16 characters: kept whole
        ("demo-bank-campaign-site", ["demo-bank-", "campaign-site"]),  # under 24: once, at the middle separator
        ("sg-0123456789abcdef0", ["sg-0123456", "789abcdef0"]),  # not after a short prefix: at the middle
        ("version-10.11.12-abcdef", ["version-", "10.11.12-abcdef"]),  # nor inside a number
        ("0f" * 16, ["0f0f0f0f"] * 4),  # 24 and more: after separators, every 8 at least
        ("arn:aws:iam::123456789012:role/X", ["arn:aws:", "iam::", "12345678", "9012:", "role/", "X"]),
        ("x" + "/" * 30, ["x" + "/" * 11, "/" * 12, "/" * 7]),  # separators alone break too
    ],
)
def test_break_hints_by_the_length_of_the_run(run, pieces):
    assert break_hints(run).split(BREAK_HINT) == pieces
    assert min_width(run) == max(text_width(piece) for piece in pieces)


def test_a_table_keeps_identifiers_whole_where_it_has_room():
    assert whole_width("勘定系 i-0123456789abcdef0") == text_width("i-0123456789abcdef0")
    assert whole_width("arn:aws:iam::123456789012:role/AdminRole") == min_width("arn:aws:iam::123456789012:role/AdminRole")
    rows = [["i-0123456789abcdef0", "sg-0123456789abcdef0", "短い"]]
    roomy = column_widths(["ID", "SG", "X"], rows, line=LINE, padding=PADDING)
    assert all(w * LINE / 100 - PADDING >= text_width(cell) for w, cell in zip(roomy, rows[0], strict=True))
    # On a line too narrow for the whole IDs, each still gets its widest piece: nothing runs over into the next cell.
    tight = column_widths(["ID", "SG", "X"], rows, line=22.0, padding=PADDING)
    assert all(w * 22.0 / 100 - PADDING >= min_width(cell) for w, cell in zip(tight, rows[0], strict=True))
    assert tight[0] * 22.0 / 100 - PADDING < text_width(rows[0][0])


def test_names_break_only_where_that_makes_tall_rows_much_shorter():
    names = ["demo-bank-campaign-site", "demo-bank-access-logs", "demo-bank-loan-archive"]
    long = "パブリックACLをブロック: はい、パブリックACLを無視: はい、パブリックポリシーをブロック: はい"
    header = ["バケット", "ログ", "保管", "設定"]

    def widths(text: str) -> list[float]:
        return [w * 48.0 / 100 - PADDING for w in column_widths(header, [[*names, text]] * 3, line=48.0, padding=PADDING)]

    # Beside a long text, the names would leave it a narrow column and rows of many lines: they break instead.
    tall = widths(long)
    assert any(room < text_width(name) for room, name in zip(tall, names, strict=False))
    assert all(room >= min_width(name) for room, name in zip(tall, names, strict=False))
    # Beside a short one the rows are short either way: the names stay whole.
    short = widths("はい")
    assert all(room >= text_width(name) for room, name in zip(short, names, strict=False))


def test_columns_share_the_line_by_their_content():
    header = ["ID", "状態", "説明"]
    rows = [["role/AdminRole", "はい", "管理者ロールの信頼ポリシーは外部アカウントからの引受けを許可しています。" * 3]]
    widths = column_widths(header, rows, line=LINE, padding=PADDING)
    assert sum(widths) == pytest.approx(100.0)
    ident, state, text = (w * LINE / 100 - PADDING for w in widths)
    assert ident >= text_width("role/AdminRole")  # the identifier stays on one line
    assert state >= text_width("はい")
    assert text > ident > state  # the long text gets the rest


def test_a_table_that_fits_on_one_line_is_shared_in_proportion():
    widths = column_widths(["A", "B"], [["x" * 10, "x" * 30]], line=LINE, padding=PADDING)
    assert widths[1] / widths[0] == pytest.approx((text_width("x" * 30) + PADDING) / (text_width("x" * 10) + PADDING))


def test_a_long_heading_wraps_rather_than_widen_its_column():
    widths = column_widths(["バケットのパブリックアクセスブロックの設定", "B"], [["はい", "x" * 200]], line=LINE, padding=PADDING)
    assert widths[0] * LINE / 100 - PADDING <= 8.0 + 1e-9


def test_words_too_wide_for_the_line_share_it_by_their_widths():
    word = "W" * 15  # under 16 characters: cannot break
    widths = column_widths(["A", "B", "C", "D", "E", "F"], [[word] * 6], line=LINE, padding=PADDING)
    assert widths == pytest.approx([100 / 6] * 6)


def test_no_columns_no_widths():
    assert column_widths([], [], line=LINE, padding=PADDING) == []
