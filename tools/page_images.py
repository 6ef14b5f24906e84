"""Page images of two PDFs side by side, for a person to compare a report before and after a layout change.

    python tools/page_images.py OLD.pdf NEW.pdf OUT_DIR [--pages 1-6,20] [--dpi 60]

Writes ``OUT_DIR/page-NNN.png`` (old left, new right; a missing page is left blank) and ``OUT_DIR/sheet-NN.png``
(contact sheets of the new PDF alone, 12 pages each, to scan the whole document for overflow), and lists the new
PDF's pages with ink in the side margins (``--margin`` mm from the paper's edge: text overflowing a table or the page). The pages are
rasterised by ``pdftoppm`` (poppler-utils) when it is on the PATH, else by pypdfium2 when it is installed; the kit
itself needs neither (this is a developer's tool).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw


def _pages(spec: str | None, count: int) -> list[int]:
    if not spec:
        return list(range(1, count + 1))
    wanted: list[int] = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        wanted.extend(range(int(first), int(last or first) + 1))
    return [p for p in wanted if 1 <= p <= count]


def rasterise(pdf: Path, dpi: int, folder: Path) -> list[Image.Image]:
    """Every page of ``pdf`` as an RGB image."""
    if shutil.which("pdftoppm"):
        prefix = folder / pdf.stem
        subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True)
        return [Image.open(p).convert("RGB") for p in sorted(folder.glob(f"{pdf.stem}-*.png"))]
    try:
        import pypdfium2
    except ImportError:
        sys.exit("no rasteriser: install poppler-utils (pdftoppm) or pypdfium2")
    document = pypdfium2.PdfDocument(str(pdf))
    return [page.render(scale=dpi / 72).to_pil().convert("RGB") for page in document]


def side_by_side(left: Image.Image | None, right: Image.Image | None, label: str) -> Image.Image:
    base = left or right
    assert base is not None
    width, height = base.size
    sheet = Image.new("RGB", (2 * width + 30, height + 24), "white")
    for index, image in enumerate((left, right)):
        if image is not None:
            sheet.paste(image, (index * (width + 30), 24))
    ImageDraw.Draw(sheet).text((4, 4), f"{label}   old (left) | new (right)", fill="black")
    return sheet


def ink_in_margins(image: Image.Image, margin_mm: float, paper_mm: float = 210) -> bool:
    """Whether anything darker than a light grey is printed within ``margin_mm`` of the left or right edge."""
    grey = image.convert("L")
    width, height = grey.size
    band = round(width * margin_mm / paper_mm)
    return any(grey.crop(box).getextrema()[0] < 200 for box in ((0, 0, band, height), (width - band, 0, width, height)))


def contact_sheets(pages: list[Image.Image], out: Path, per_sheet: int = 12, columns: int = 4) -> list[Path]:
    written = []
    for start in range(0, len(pages), per_sheet):
        chunk = pages[start : start + per_sheet]
        width, height = chunk[0].size
        rows = (len(chunk) + columns - 1) // columns
        sheet = Image.new("RGB", (columns * (width + 8), rows * (height + 8)), (160, 160, 160))
        for index, image in enumerate(chunk):
            sheet.paste(image, ((index % columns) * (width + 8), (index // columns) * (height + 8)))
        target = out / f"sheet-{start // per_sheet + 1:02d}.png"
        sheet.save(target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--pages", help="pages to compare, e.g. 1-6,20 (default: all)")
    parser.add_argument("--dpi", type=int, default=60)
    parser.add_argument("--margin", type=float, default=14, help="side margin checked for ink, in mm (the PDF's is 15)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        old_dir, new_dir = Path(tmp, "old"), Path(tmp, "new")
        old_dir.mkdir()
        new_dir.mkdir()
        old = rasterise(args.old.resolve(), args.dpi, old_dir)
        new = rasterise(args.new.resolve(), args.dpi, new_dir)
    for page in _pages(args.pages, max(len(old), len(new))):
        pair = side_by_side(
            old[page - 1] if page <= len(old) else None, new[page - 1] if page <= len(new) else None, f"page {page}"
        )
        pair.save(args.out / f"page-{page:03d}.png")
    sheets = contact_sheets(new, args.out)
    overflowing = [number for number, image in enumerate(new, start=1) if ink_in_margins(image, args.margin)]
    print(f"new pages with ink in the side margins: {overflowing or 'none'}")
    print(f"{len(old)} old pages, {len(new)} new pages; images in {args.out} ({len(sheets)} contact sheets of the new PDF)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
