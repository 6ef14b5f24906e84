"""The kit's charts as SVG text: stacked horizontal bars and a doughnut, for the notebooks, the HTML and the PDF.

Written directly rather than through a plotting library: a chart is a few dozen shapes, drawn here in about a
millisecond (a matplotlib figure took a third of a second, and a run draws about thirty), the output is the same
on every run (no generated ids), and every text goes through one escape. The text stays text: the HTML shows it
in the reader's Japanese font, Typst in the PDF's embedded IPAexGothic.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

FONT = "IPAexGothic, 'Hiragino Sans', 'Noto Sans CJK JP', 'Yu Gothic', sans-serif"
INK = "#1a2b4c"
MUTED = "#5a6473"
GRID = "#e3e7ec"


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def text_width(text: str, size: float) -> float:
    """The width of ``text`` at ``size`` (wide characters a full em, the others a little over half)."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.56 for ch in text)


def tick_step(largest: float, most: int = 8) -> int:
    """A round step (1, 2, 5 × 10ⁿ) giving at most ``most`` ticks up to ``largest``."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if largest / (step * factor) <= most:
                return step * factor
        step *= 10


def document(width: float, height: float, body: str, alt: str = "") -> str:
    """A standalone SVG element of the given size around ``body``; ``alt`` is its accessible name."""
    label = f' aria-label="{esc(alt)}"' if alt else ""
    title = f"<title>{esc(alt)}</title>" if alt else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{esc(FONT)}" role="img"{label}>'
        f'<rect width="100%" height="100%" fill="white"/>{title}{body}</svg>'
    )


def _text(x: float, y: float, text: str, size: float, *, anchor: str = "start", fill: str = INK) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" text-anchor="{anchor}" fill="{fill}">{esc(text)}</text>'


def _legend(entries: Sequence[tuple[str, str]], left: float, right: float, top: float, font: float) -> tuple[str, float]:
    """Swatches with their names from ``left``, wrapping before ``right``; the SVG and the y below them."""
    parts: list[str] = []
    x = left
    for name, colour in entries:
        span = font * 1.25 + text_width(name, font * 0.9)
        if x > left and x + span > right:
            x, top = left, top + font * 1.5
        parts.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{font * 0.9:.1f}" height="{font * 0.9:.1f}" fill="{colour}"/>')
        parts.append(_text(x + font * 1.25, top + font * 0.85, name, font * 0.9))
        x += span + font * 1.4
    return "".join(parts), (top + font * 1.9 if entries else top)


def _rows_layout(
    rows: Sequence[tuple[str, Sequence[int]]],
    series: Sequence[tuple[str, str]],
    width: float,
    font: float,
    row: float,
    label_width: float | None,
) -> tuple[list[list[str]], float, list[int], float]:
    """Shared by the bar charts: each row's label lines, the row height (tall enough for the longest label), the
    series with a value somewhere (in the legend), and the labels' width."""
    lines = [label.split("\n") for label, _values in rows]
    row = max(row, font * 1.25 * max([len(parts) for parts in lines] + [1]) + 6)
    present = [i for i in range(len(series)) if any(values[i] for _label, values in rows)]
    label_width = label_width or min(width * 0.45, max([text_width(p, font) for parts in lines for p in parts] + [20]) + 10)
    return lines, row, present, label_width


def _row_label(label_lines: list[str], right: float, top: float, row: float, font: float) -> str:
    """A row's label, right-aligned at ``right`` and centred on the row starting at ``top``."""
    first = top + row / 2 - (len(label_lines) - 1) * font * 0.6 + font * 0.35
    return "".join(_text(right, first + n * font * 1.2, part, font, anchor="end") for n, part in enumerate(label_lines))


def _grid_line(x: float, top: float, bottom: float, colour: str = GRID) -> str:
    return f'<line x1="{x:.1f}" y1="{top - 2:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="{colour}"/>'


def bars(
    rows: Sequence[tuple[str, Sequence[int]]],
    series: Sequence[tuple[str, str]],
    *,
    width: float,
    title: str,
    axis_label: str = "",
    empty_label: str = "",
    font: float = 11,
    row: float = 22,
    label_width: float | None = None,
    x: float = 0,
    y: float = 0,
) -> tuple[str, float]:
    """Stacked horizontal bars: one per row (its label may hold a line break), one segment per series.

    ``series`` are (name, colour) in stacking order; a series with no value anywhere is left out of the legend.
    Each segment carries its row, series and count as a tooltip. Returns the SVG body and its height.
    """
    lines, row, present, label_width = _rows_layout(rows, series, width, font, row, label_width)
    largest = max([sum(values) for _label, values in rows] + [1])
    step = tick_step(largest)
    top_tick = math.ceil(largest / step) * step
    left, right = x + label_width, x + width - 12
    parts = [_text(x + width / 2, y + font * 1.35, title, font * 1.2, anchor="middle")]
    top = y + font * 2.2
    legend, top = _legend([series[i] for i in present], left, right, top, font)
    parts.append(legend)
    bottom = top + row * len(rows)
    scale = (right - left) / top_tick
    for tick in range(0, top_tick + 1, step):
        tx = left + tick * scale
        parts.append(_grid_line(tx, top, bottom))
        parts.append(_text(tx, bottom + font * 1.2, str(tick), font * 0.85, anchor="middle", fill=MUTED))
    for index, ((label, values), label_lines) in enumerate(zip(rows, lines, strict=True)):
        ry = top + index * row
        parts.append(_row_label(label_lines, left - 6, ry, row, font))
        at = 0
        for i in present:
            value = values[i]
            if not value:
                continue
            name, colour = series[i]
            tip = f"{label.replace(chr(10), ' ')}: {name} {value}"
            parts.append(
                f'<rect x="{left + at * scale:.1f}" y="{ry + 4:.1f}" width="{value * scale:.1f}" height="{row - 8:.1f}" '
                f'fill="{colour}"><title>{esc(tip)}</title></rect>'
            )
            at += value
        if not at and empty_label:
            parts.append(_text(left + 4, ry + row / 2 + font * 0.35, empty_label, font * 0.9, fill=MUTED))
    height = bottom + font * 1.6 - y
    if axis_label:
        parts.append(_text((left + right) / 2, bottom + font * 2.6, axis_label, font * 0.9, anchor="middle", fill=MUTED))
        height += font * 1.3
    return "".join(parts), height


def diverging(
    rows: Sequence[tuple[str, Sequence[int]]],
    series: Sequence[tuple[str, str]],
    *,
    width: float,
    title: str,
    axis_label: str = "",
    font: float = 11,
    row: float = 22,
    label_width: float | None = None,
) -> tuple[str, float]:
    """Bars either side of zero: per row, each series' gain to the right and its loss to the left (paler)."""
    lines, row, present, label_width = _rows_layout(rows, series, width, font, row, label_width)
    widest = max([1] + [max(sum(v for v in values if v > 0), -sum(v for v in values if v < 0)) for _l, values in rows])
    step = tick_step(widest, 4)
    reach = math.ceil(widest / step) * step
    left, right = label_width, width - 12
    zero = (left + right) / 2
    scale = (right - zero) / reach
    parts = [_text(width / 2, font * 1.35, title, font * 1.2, anchor="middle")]
    top = font * 2.2
    legend, top = _legend([series[i] for i in present], left, right, top, font)
    parts.append(legend)
    bottom = top + row * len(rows)
    for tick in range(-reach, reach + 1, step):
        tx = zero + tick * scale
        parts.append(_grid_line(tx, top, bottom))
        parts.append(_text(tx, bottom + font * 1.2, f"{tick:+d}" if tick else "0", font * 0.85, anchor="middle", fill=MUTED))
    for index, ((label, values), label_lines) in enumerate(zip(rows, lines, strict=True)):
        ry = top + index * row
        parts.append(_row_label(label_lines, left - 6, ry, row, font))
        gained = lost = 0
        for i in present:
            value = values[i]
            if not value:
                continue
            name, colour = series[i]
            tip = esc(f"{label.replace(chr(10), ' ')}: {name} {value:+d}")
            if value > 0:
                x0, gained = zero + gained * scale, gained + value
                extra = ""
            else:
                lost += -value
                x0, extra = zero - lost * scale, ' fill-opacity="0.5" stroke="white"'
            parts.append(
                f'<rect x="{x0:.1f}" y="{ry + 4:.1f}" width="{abs(value) * scale:.1f}" height="{row - 8:.1f}" fill="{colour}"{extra}>'
                f"<title>{tip}</title></rect>"
            )
    parts.append(_grid_line(zero, top, bottom, MUTED))
    height = bottom + font * 1.6
    if axis_label:
        parts.append(_text(zero, bottom + font * 2.6, axis_label, font * 0.9, anchor="middle", fill=MUTED))
        height += font * 1.3
    return "".join(parts), height


def doughnut(
    slices: Sequence[tuple[int, str]],
    *,
    centre: str,
    caption: str,
    title: str,
    size: float,
    font: float = 11,
    x: float = 0,
    y: float = 0,
) -> str:
    """A ring of (value, colour) slices clockwise from twelve o'clock, the total and a caption in its middle."""
    cx, cy = x + size / 2, y + font * 2.2 + size * 0.42
    radius, thickness = size * 0.34, size * 0.13
    total = sum(v for v, _c in slices) or 1
    circumference = 2 * math.pi * radius
    parts = [_text(cx, y + font * 1.35, title, font * 1.2, anchor="middle")]
    start = 0.0
    for value, colour in slices:
        if not value:
            continue
        length = circumference * value / total
        # A stroked circle drawn from twelve o'clock: the dash is this slice, offset by those before it.
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="none" stroke="{colour}" '
            f'stroke-width="{thickness:.1f}" stroke-dasharray="{length:.2f} {circumference - length:.2f}" '
            f'stroke-dashoffset="{-start:.2f}" transform="rotate(-90 {cx:.1f} {cy:.1f})"/>'
        )
        start += length
    parts.append(_text(cx, cy + font * 0.3, centre, font * 1.9, anchor="middle"))
    parts.append(_text(cx, cy + font * 1.6, caption, font * 0.8, anchor="middle", fill=MUTED))
    return "".join(parts)


__all__ = ["bars", "diverging", "document", "doughnut", "esc", "text_width", "tick_step"]
