"""How wide the report's text is, where it may break, and how a table's columns share a line by their content.

Widths are in em of the text's own size. Latin letters, digits and signs take IPAexGothic's advance widths (the font
both the PDF and the HTML name first; a test compares them with the font file); Japanese and other full-width
characters take one em. The measure is for sharing out a table's width, not for typesetting: the PDF and the
browser still break the lines themselves.

Runs without a break opportunity (resource names, ARNs, DKIM keys, hashes) may break after their separators from 16
characters on, and also every ``HINT_EVERY`` characters from 24 on: :func:`break_hints` marks those places, which the
PDF makes into line-break opportunities and :func:`min_width` counts as such. :func:`column_widths` then gives each
column of a table at least its widest unbreakable piece, so that no word runs over into the next cell.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# IPAexGothic's advance widths of the printable ASCII characters, " " to "~", in its font units (2048 per em).
UNITS_PER_EM = 2048
# fmt: off
ASCII_UNITS = (
    553, 610, 692, 1290, 1290, 1741, 1423, 395, 682, 682, 758, 1389, 541, 733, 541, 1024,
    1290, 1290, 1290, 1290, 1290, 1290, 1290, 1290, 1290, 1290, 655, 655, 1389, 1389, 1389, 1128,
    1831, 1305, 1350, 1485, 1550, 1219, 1171, 1542, 1536, 592, 778, 1323, 1077, 1847, 1556, 1632,
    1272, 1632, 1327, 1198, 1227, 1530, 1305, 1901, 1405, 1268, 1315, 614, 1024, 614, 1024, 1024,
    1024, 1126, 1278, 1114, 1278, 1165, 627, 1137, 1243, 553, 553, 1061, 553, 1784, 1237, 1237,
    1272, 1274, 758, 946, 709, 1237, 995, 1540, 1001, 1008, 969, 674, 410, 674, 1024,
)
# fmt: on
ASCII_ADVANCE: dict[str, float] = {chr(0x20 + i): units / UNITS_PER_EM for i, units in enumerate(ASCII_UNITS)}
# Other characters that are neither wide nor full-width (accented Latin, Greek): about a lower-case letter.
_NARROW_OTHER = 0.6

# Runs of printable ASCII characters that get break hints (see break_hints): after their separators from
# SEPARATED_RUN characters on, also every HINT_EVERY characters from LONG_RUN characters on.
SEPARATED_RUN = 16
LONG_RUN = 24
BREAKABLE_RUN = re.compile(rf"[\x21-\x7e]{{{SEPARATED_RUN},}}")
SEPARATORS = frozenset("/:.-_=,@|?&+;")
HINT_EVERY = 8  # a hint after every character made the report's PDF about half again as slow to typeset
BREAK_HINT = "\u200b"  # zero-width space
_PREFIX = 4  # a separator this many characters or fewer after the last break opportunity makes no new one
# Where a line may break between words: spaces, and around each character of Japanese (or other wide) text.
_ASCII_RUN = re.compile(r"[\x21-\x7e]+")


def char_width(char: str) -> float:
    """Width of one character in em."""
    advance = ASCII_ADVANCE.get(char)
    if advance is not None:
        return advance
    if char == BREAK_HINT:
        return 0.0
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F", "A") else _NARROW_OTHER


def text_width(text: str) -> float:
    """Width of ``text`` on one line, in em (its widest line if it has several)."""
    return max((sum(char_width(c) for c in line) for line in text.split("\n")), default=0.0)


def break_hints(run: str) -> str:
    """``run`` with a zero-width space after each separator (a run of ``SEPARATED_RUN`` characters or more) and, in a
    run of ``LONG_RUN`` characters or more, also after every ``HINT_EVERY`` characters without one. A short prefix
    stays with what follows ("i-", "sg-", "vpc-" of an ID), and a number keeps its points and commas ("1.0.0")."""
    if len(run) < SEPARATED_RUN:
        return run
    every = HINT_EVERY if len(run) >= LONG_RUN else len(run) + 1
    out: list[str] = []
    since = 0
    for at, char in enumerate(run):
        out.append(char)
        since += 1
        in_number = char in ".," and run[at - 1 : at].isdigit() and run[at + 1 : at + 2].isdigit()
        if (char in SEPARATORS and since > _PREFIX and not in_number) or since >= every:
            out.append(BREAK_HINT)
            since = 0
    return "".join(out).rstrip(BREAK_HINT)


def min_width(text: str) -> float:
    """Width of the widest piece of ``text`` that cannot break, in em: an ASCII word (a long run split where
    :func:`break_hints` marks it), or one wide character."""
    widest = max((char_width(c) for c in text if not c.isspace() and c not in ASCII_ADVANCE), default=0.0)
    for run in _ASCII_RUN.findall(text):
        widest = max(widest, *(text_width(piece) for piece in break_hints(run).split(BREAK_HINT)))
    return widest


def column_widths(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    line: float,
    padding: float,
    narrowest: float = 2.5,
    header_room: float = 8.0,
) -> list[float]:
    """Percentages of the line for a table's columns, by their content, as a browser's automatic table layout shares
    them: each column gets at least its widest unbreakable piece, and what is left goes to the columns whose text
    would otherwise wrap most.

    ``line``: the line's width in em of the table's text; ``padding``: a cell's left and right inset together, in
    the same em. A heading counts in full for its widest word but with at most ``header_room`` em of its length (a
    long heading wraps rather than widen its column); no column is narrower than ``narrowest`` em of text.
    """
    if not header:
        return []
    lows: list[float] = []
    highs: list[float] = []
    for index, title in enumerate(header):
        cells = [str(row[index]) for row in rows if index < len(row)]
        low = max([narrowest, min_width(title), *(min_width(cell) for cell in cells)])
        high = max([low, min(text_width(title), header_room), *(text_width(cell) for cell in cells)])
        lows.append(low + padding)
        highs.append(high + padding)
    if sum(highs) <= line:
        shares = highs
    elif sum(lows) >= line:
        shares = lows
    else:
        spare = line - sum(lows)
        spans = [high - low for low, high in zip(lows, highs, strict=True)]
        shares = [low + spare * span / sum(spans) for low, span in zip(lows, spans, strict=True)]
    total = sum(shares)
    return [100.0 * share / total for share in shares]


__all__ = [
    "ASCII_ADVANCE",
    "ASCII_UNITS",
    "BREAKABLE_RUN",
    "BREAK_HINT",
    "HINT_EVERY",
    "LONG_RUN",
    "SEPARATED_RUN",
    "SEPARATORS",
    "UNITS_PER_EM",
    "break_hints",
    "char_width",
    "column_widths",
    "min_width",
    "text_width",
]
