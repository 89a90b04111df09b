"""Clinician-facing reports: HTML (render_html), PDF (render_pdf) and their figures."""

from alknav.outputs.report.html import render_html
from alknav.outputs.report.pdf import CjkFontMissing, ReportError, cjk_font_available, render_pdf

__all__ = ["CjkFontMissing", "ReportError", "cjk_font_available", "render_html", "render_pdf"]
