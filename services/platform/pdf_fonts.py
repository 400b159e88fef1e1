"""PT Sans for PDFs made with fpdf2: a free font with Cyrillic, shipped in the `fontpkg-pt-sans` package.

fpdf2's core fonts are Latin-1 only; every document we print is in Russian.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

PT_SANS = "PTSans"


def _font_file(name: str) -> str:
    with as_file(files("fontpkg_pt_sans") / "files" / name) as path:
        return str(path)


def add_pt_sans(pdf: FPDF) -> None:
    """Register PT Sans regular and bold as `PT_SANS` ("" and "B" styles)."""
    pdf.add_font(PT_SANS, "", _font_file("PT_Sans-Web-Regular.ttf"))
    pdf.add_font(PT_SANS, "B", _font_file("PT_Sans-Web-Bold.ttf"))
