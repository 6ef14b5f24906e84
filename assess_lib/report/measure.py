"""How wide the report's text is, where it may break, and how a table's columns share a line by their content.

Widths are in em of the text's own size. Latin letters, digits and signs take IPAexGothic's advance widths (the font
both the PDF and the HTML name first; a test compares them with the font file); Japanese and other full-width
characters take one em. The measure is for sharing out a table's width, not for typesetting: the PDF and the
browser still break the lines themselves.

Runs of 16 characters or more without a break opportunity may break: an ID or a name of up to 23 characters once,
near its middle; a longer run (an ARN, a DKIM key, a hash) after its separators and at least every ``HINT_EVERY``
characters. :func:`break_hints` marks those places, which the PDF makes into line-break opportunities and
:func:`min_width` counts as such, so that no word is wider than about a dozen letters. :func:`column_widths` gives
each column of a table at least that and, where the table has room, each ID and name its whole width.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

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

# Runs of printable ASCII characters that get break hints (see break_hints), and the longest run a table tries to
# keep on one line (column_widths).
BREAKABLE_RUN = re.compile(r"[\x21-\x7e]{16,}")
WHOLE_RUN = 24
SEPARATORS = frozenset("/:.-_=,@|?&+;")
HINT_EVERY = 8  # a hint after every character made the report's PDF about half again as slow to typeset
BREAK_HINT = "\u200b"  # zero-width space
_PREFIX = 4  # a separator among a run's first four characters ends a prefix ("i-", "sg-", "vpc-"): no break there
# Where a line may break between words: spaces, and around each character of Japanese (or other wide) text.
_ASCII_RUN = re.compile(r"[\x21-\x7e]+")


@lru_cache(maxsize=8192)
def char_width(char: str) -> float:
    """Width of one character in em."""
    advance = ASCII_ADVANCE.get(char)
    if advance is not None:
        return advance
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F", "A") else _NARROW_OTHER


def text_width(text: str) -> float:
    """Width of ``text`` on one line, in em (its widest line if it has several)."""
    return max(_line_widths(text))


@lru_cache(maxsize=16384)
def _line_widths(text: str) -> tuple[float, ...]:
    """Widths of the lines of ``text`` (a table's cells repeat: an account, a region, "yes")."""
    return tuple(sum(map(char_width, line)) for line in text.split("\n"))


def break_hints(run: str) -> str:
    """``run`` (a :data:`BREAKABLE_RUN`; a shorter one is returned as it is) with zero-width spaces where it may
    break. A run of ``WHOLE_RUN`` characters or more (an ARN, a key) gets one after each separator and after every
    ``HINT_EVERY`` characters without one; a shorter one (an ID, a name) only one, at the separator nearest its
    middle, else at its middle: each mark costs the typesetter a box. Never before a separator, after a short prefix
    ("i-", "sg-", "vpc-" of an ID) or inside a number ("1.0.0")."""
    if not BREAKABLE_RUN.fullmatch(run):
        return run
    if len(run) < WHOLE_RUN:
        splits = [at + 1 for at in range(len(run) - 1) if _separates(run, at)] or [len(run) // 2]
        middle = min(splits, key=lambda split: abs(split - len(run) / 2))
        return run[:middle] + BREAK_HINT + run[middle:]
    out: list[str] = []
    since = 0
    for at, char in enumerate(run):
        out.append(char)
        since += 1
        following = run[at + 1 : at + 2]
        if following and following in SEPARATORS and since < HINT_EVERY + _PREFIX:
            continue  # a group of separators ("::") and the separator after a letter stay with what is before them
        if _separates(run, at) or since >= HINT_EVERY:
            out.append(BREAK_HINT)
            since = 0
    return "".join(out).rstrip(BREAK_HINT)


def _separates(run: str, at: int) -> bool:
    """Whether ``run`` may break after its separator at ``at``: not in a prefix, a number or a group of separators."""
    char, following = run[at], run[at + 1 : at + 2]
    in_number = char in ".," and run[at - 1 : at].isdigit() and following.isdigit()
    return char in SEPARATORS and at >= _PREFIX and not in_number and following not in SEPARATORS


def min_width(text: str) -> float:
    """Width of the widest piece of ``text`` that cannot break, in em: an ASCII word (a long run split where
    :func:`break_hints` marks it), or one wide character."""
    return _words(text)[0]


def whole_width(text: str) -> float:
    """Width of the widest word of ``text`` a table keeps on one line if it can: an ASCII run of fewer than
    ``WHOLE_RUN`` characters (an ID, a name), else :func:`min_width`."""
    return _words(text)[1]


@lru_cache(maxsize=16384)
def _words(text: str) -> tuple[float, float]:
    """(:func:`min_width`, :func:`whole_width`) of ``text``."""
    others = {char for char in text if char not in ASCII_ADVANCE and not char.isspace()}
    widest = max(map(char_width, others), default=0.0)
    whole = widest
    for run in _ASCII_RUN.findall(text):
        width = text_width(run)
        if len(run) < WHOLE_RUN:
            whole = max(whole, width)
        if BREAKABLE_RUN.fullmatch(run):
            width = max(map(text_width, break_hints(run).split(BREAK_HINT)))
        widest = max(widest, width)
    return widest, max(whole, widest)


def column_widths(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    line: float,
    padding: float,
    narrowest: float = 2.5,
    header_room: float = 8.0,
) -> list[float]:
    """Percentages of the line for a table's columns, by their content, much as a browser's automatic table layout
    shares them: each column gets at least its widest unbreakable piece (:func:`min_width`) and, where the line has
    room, its widest whole word (:func:`whole_width`: IDs and names on one line); what is left goes to the columns
    whose text would otherwise wrap most. Keeping the words whole is given up where that leaves the rows tall and
    breaking them makes the table at least a quarter shorter (``TALL_ROW``, ``SHORTER_BY``: a narrow column of long text
    beside columns of long names).

    ``line``: the line's width in em of the table's text; ``padding``: a cell's left and right inset together, in
    the same em. A heading counts in full for its widest word but with at most ``header_room`` em of its length (a
    long heading wraps rather than widen its column); no column is narrower than ``narrowest`` em of text.
    """
    if not header:
        return []
    lows: list[float] = []
    wholes: list[float] = []
    highs: list[float] = []
    columns: list[list[str]] = []
    for index, title in enumerate(header):
        cells = [str(row[index]) for row in rows if index < len(row)]
        low = max([narrowest, min_width(title), *(min_width(cell) for cell in cells)])
        whole = max([low, whole_width(title), *(whole_width(cell) for cell in cells)])
        high = max([whole, min(text_width(title), header_room), *(text_width(cell) for cell in cells)])
        lows.append(low + padding)
        wholes.append(whole + padding)
        highs.append(high + padding)
        columns.append(cells)
    if sum(lows) >= line:
        shares = lows  # too narrow even for that: shared in proportion
    else:
        shares = _fill(lows, highs, line)
        if sum(wholes) <= line:
            keeping = _fill(wholes, highs, line)
            kept = _height(columns, keeping, padding)
            if kept < TALL_ROW * len(rows) or _height(columns, shares, padding) > SHORTER_BY * kept:
                shares = keeping
    total = sum(shares)
    return [100.0 * share / total for share in shares]


# Breaking IDs and names is worth it when their rows are TALL_ROW lines or more on average and the table becomes at
# most three quarters as tall.
SHORTER_BY = 3 / 4
TALL_ROW = 5


def _fill(floor: list[float], ceiling: list[float], line: float) -> list[float]:
    """Widths from ``floor`` (which fits the line) towards ``ceiling``, the line shared in proportion to the gaps."""
    if sum(ceiling) <= line:
        return ceiling
    spare = line - sum(floor)
    gaps = [top - bottom for bottom, top in zip(floor, ceiling, strict=True)]
    return [bottom + spare * gap / sum(gaps) for bottom, gap in zip(floor, gaps, strict=True)]


def _height(columns: list[list[str]], widths: list[float], padding: float) -> int:
    """Estimated lines of a table's rows at ``widths``: per row, its cell of most lines."""
    lines = [
        [sum(max(1, math.ceil(part / (width - padding))) for part in _line_widths(cell)) for cell in cells]
        for cells, width in zip(columns, widths, strict=True)
    ]
    return sum(max(row) for row in zip(*lines, strict=True)) if lines and lines[0] else 0


__all__ = [
    "ASCII_ADVANCE",
    "ASCII_UNITS",
    "BREAKABLE_RUN",
    "BREAK_HINT",
    "HINT_EVERY",
    "SEPARATORS",
    "SHORTER_BY",
    "TALL_ROW",
    "UNITS_PER_EM",
    "WHOLE_RUN",
    "break_hints",
    "char_width",
    "column_widths",
    "min_width",
    "text_width",
    "whole_width",
]
