"""Scorecards (one PDF per city) and the provincial summary.

Kept import-light: weasyprint and matplotlib load inside the functions that need them, so
`jxscore --help` stays fast. Reusable pieces: `pdf.html_to_pdf`, `charts.cjk_matplotlib`,
`fonts.cjk_font_file`.
"""
