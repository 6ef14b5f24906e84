"""Customer strings shown as they are: the characters that would hide or reorder text, made visible.

A resource name may hold control characters, a right-to-left override (``invoice\\u202eexe.pdf`` would read
"invoicefdp.exe"), zero-width spaces and joiners (``Admin\\u200d`` would look like ``Admin``), or invisible tag
characters. Every output shows each of them as its escape (``\\u202e``) instead of obeying or hiding it: the HTML
report and the notebooks, the PDF (which also escapes the characters its font has no glyph for), the network
diagrams' SVG and the terminal.
"""

from __future__ import annotations

import re

# Unicode's control (Cc), format (Cf), line (Zl) and paragraph (Zp) separators, as of Unicode 14.0 (Python 3.11's
# unicodedata; a test compares them).
HIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
_HIDDEN_BUT_NEWLINES = re.compile(HIDDEN.pattern.replace("\x00-\x1f", "\x00-\x09\x0b-\x1f", 1))


def escape(char: str) -> str:
    """One character as its escape: ``\\x07``, ``\\u202e``, ``\\U0001f4a3``."""
    return char.encode("unicode_escape").decode("ascii")


def reveal(text: str, *, newlines: bool = True) -> str:
    """``text`` with each hidden character escaped; newlines kept unless ``newlines`` is false."""
    pattern = _HIDDEN_BUT_NEWLINES if newlines else HIDDEN
    return pattern.sub(lambda match: escape(match.group()), text)


__all__ = ["HIDDEN", "escape", "reveal"]
