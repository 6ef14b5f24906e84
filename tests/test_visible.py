"""The characters that would hide or reorder a customer's text (``report/visible.py``)."""

from __future__ import annotations

import sys
import unicodedata

from assess_lib.report.visible import HIDDEN, reveal


def test_hidden_is_every_control_format_and_separator_character():
    """The pattern is Unicode's categories Cc, Cf, Zl and Zp, code point by code point."""
    wrong = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if bool(HIDDEN.fullmatch(chr(code))) != (unicodedata.category(chr(code)) in ("Cc", "Cf", "Zl", "Zp"))
    ]
    assert not wrong, wrong[:20]


def test_reveal_escapes_what_would_hide_or_reorder_and_keeps_the_rest():
    assert reveal("invoice\u202eexe.pdf") == "invoice\\u202eexe.pdf"
    assert reveal("Admin\u200d") == "Admin\\u200d"
    assert reveal("bell\x07 tab\t") == "bell\\x07 tab\\t"
    assert reveal("tag\U000e0041") == "tag\\U000e0041"
    assert reveal("一行目\n二行目") == "一行目\n二行目"
    assert reveal("一行目\n二行目", newlines=False) == "一行目\\n二行目"
    assert reveal("勘定系 demo-bank 💣 é") == "勘定系 demo-bank 💣 é"  # visible characters stay as they are
