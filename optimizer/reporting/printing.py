"""Page set-up of result sheets: what a person gets when printing (or rendering to PDF)."""

from __future__ import annotations


def landscape(sheet, pages_tall: int = 0) -> None:
    """Print landscape on A4, one page wide (``pages_tall`` 0: as many pages down as needed)."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = pages_tall
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
