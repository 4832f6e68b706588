"""results.xlsx reads and prints well: A4 landscape at page width, header row on every page, frozen
panes, filters, 2-decimal points, wide enough columns, the SC font; text stays text; same bytes every
run. Printed to PDF with headless LibreOffice (tests/libreoffice.py) to count and look at pages."""

import dataclasses
import shutil
import subprocess
import time
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from jxscore.io.writers import write_xlsx
from jxscore.service import RunOptions, save, score
from libreoffice import LibreOfficeError, available, convert, pdf_pages, resave, to_pdf

ROOT = Path(__file__).resolve().parents[1]
FONT = "Noto Sans CJK SC"
SHEETS = ("评分结果", "评分明细")  # scores, ledger
TWO_DECIMALS = {"评分结果": ("total", "A", "B", "C", "D"), "评分明细": ("points_nominal", "weight", "points")}

def width(text) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("score") / "out"
    return save(score(RunOptions(2024, ROOT / "data")), out), out


@pytest.fixture(scope="module")
def xlsx(run):
    return run[1] / "results.xlsx"


@pytest.fixture(scope="module")
def wb(xlsx):
    return openpyxl.load_workbook(xlsx)


def columns(run, title):
    return list((run[0].result.scores if title == "评分结果" else run[0].result.ledger).columns)


@pytest.mark.parametrize("title", SHEETS)
def test_print_setup(wb, run, title):
    ws = wb[title]
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.print_title_rows.replace("$", "") == "1:1"
    assert ws.freeze_panes == "C2"
    last = get_column_letter(len(columns(run, title)))
    assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}"
    assert [c.value for c in ws[1]][-1] is not None and ws.max_column == len(columns(run, title))
    assert run[0].result.criteria.scheme.name in ws.oddHeader.left.text
    assert f"2024年度 {title}" == ws.oddHeader.right.text
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text


@pytest.mark.parametrize("title", SHEETS)
def test_two_decimals_on_points_fractions_keep_digits(wb, run, title):
    ws = wb[title]
    cols = columns(run, title)
    for name in TWO_DECIMALS[title]:
        j = cols.index(name) + 1
        cells = [ws.cell(r, j) for r in range(2, ws.max_row + 1)]
        assert {c.number_format for c in cells if c.value is not None} == {"0.00"}, name
    if title == "评分明细":
        j = cols.index("fraction") + 1
        assert {ws.cell(r, j).number_format for r in range(2, ws.max_row + 1)} == {"0.00####"}
    else:  # stored at full precision, only shown with 2 decimals (the old sheet showed 49.931034)
        a = [ws.cell(r, cols.index("A") + 1).value for r in range(2, ws.max_row + 1)]
        assert any(round(v, 2) != v for v in a)


@pytest.mark.parametrize("title", SHEETS)
def test_widths_fonts_and_wrapped_notes(wb, run, title):
    ws = wb[title]
    for cell in ws[1]:
        assert ws.column_dimensions[cell.column_letter].width >= width(cell.value), cell.value
        assert cell.font.b
    fonts = {c.font.name for row in ws.iter_rows() for c in row}
    assert fonts == {FONT}
    assert sum(1 for row in ws.iter_rows() for _ in row) == ws.max_row * ws.max_column  # every cell styled
    if title == "评分明细":
        cols = columns(run, title)
        name, note = (get_column_letter(cols.index(c) + 1) for c in ("name", "note"))
        longest = max(width(c.value) for c in ws[name][1:])
        assert ws.column_dimensions[name].width >= longest  # indicator names never cut
        assert all(c.alignment.wrap_text for c in ws[note][1:])
        tall = [r for r, d in ws.row_dimensions.items() if d.height]
        assert tall and all(width(ws[f"{note}{r}"].value) > ws.column_dimensions[note].width - 2 for r in tall)


def test_text_that_looks_like_a_formula_stays_text(run, tmp_path):
    result = run[0].result
    ledger = result.ledger.copy()
    ledger["note"] = ledger["note"].astype(object)
    ledger.loc[ledger.index[0], "note"] = "=HYPERLINK(\"http://x.invalid\",\"点此\")"
    ledger.loc[ledger.index[1], "note"] = "+1+2"
    path = tmp_path / "results.xlsx"
    write_xlsx(dataclasses.replace(result, ledger=ledger), path)
    ws = openpyxl.load_workbook(path)["评分明细"]
    j = list(ledger.columns).index("note") + 1
    for r, text in ((2, "=HYPERLINK(\"http://x.invalid\",\"点此\")"), (3, "+1+2")):
        assert ws.cell(r, j).value == text and ws.cell(r, j).data_type == "s"
    with zipfile.ZipFile(path) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet2.xml").decode()
    if available():  # and a spreadsheet program saving it again keeps it a string
        again = openpyxl.load_workbook(resave(path, tmp_path / "lo"))["评分明细"]
        assert again.cell(2, j).value == "=HYPERLINK(\"http://x.invalid\",\"点此\")"
        assert again.cell(2, j).data_type == "s"


def test_same_bytes_every_run(run, tmp_path, monkeypatch):
    result = run[0].result
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    write_xlsx(result, tmp_path / "a.xlsx")
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3 * 86400)  # a zip entry stamped "now" would differ
    write_xlsx(result, tmp_path / "b.xlsx")
    monkeypatch.setattr(time, "time", real)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert (tmp_path / "a.xlsx").read_bytes() == run[1].joinpath("results.xlsx").read_bytes()
    props = openpyxl.load_workbook(tmp_path / "a.xlsx").properties
    assert props.created.isoformat() == props.modified.isoformat() == "2000-01-01T00:00:00"
    with zipfile.ZipFile(tmp_path / "a.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}


def test_source_date_epoch(run, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1717243200")  # 2024-06-01T12:00:00Z
    write_xlsx(run[0].result, tmp_path / "e.xlsx")
    props = openpyxl.load_workbook(tmp_path / "e.xlsx").properties
    assert props.created.isoformat() == props.modified.isoformat() == "2024-06-01T12:00:00"
    with zipfile.ZipFile(tmp_path / "e.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(2024, 6, 1, 12, 0, 0)}
    write_xlsx(run[0].result, tmp_path / "f.xlsx")
    assert (tmp_path / "e.xlsx").read_bytes() == (tmp_path / "f.xlsx").read_bytes()


# ------------------------------------------------------------------ printed by LibreOffice

@pytest.fixture(scope="module")
def pdf(xlsx, tmp_path_factory):
    assert available() and shutil.which("pdfinfo"), "LibreOffice/poppler missing: bash scripts/setup-system.sh"
    return to_pdf(xlsx, tmp_path_factory.mktemp("pdf"))


def page_texts(pdf):
    n = pdf_pages(pdf)
    return [subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout for i in range(1, n + 1)]


def test_printed_pages(pdf, run):
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "841.89 x 595.3" in info  # A4 landscape, every page
    texts = page_texts(pdf)
    scores = [t for t in texts if "2024年度 评分结果" in t]
    ledger = [t for t in texts if "2024年度 评分明细" in t]
    assert len(scores) + len(ledger) == len(texts)
    # scores: 11 cities, 29 columns fit to one page. Ledger: 11 cities x 36 indicators = 396 rows + header,
    # ~70 rows a page at page width (6 pages with LibreOffice 7.4); 8 allows other fonts' row heights.
    # Before fit-to-width the workbook printed as 42 pages (7 for the scores, 35 for the ledger).
    assert len(scores) == 1
    assert 5 <= len(ledger) <= 8
    for t in ledger:  # the header row on every page, the last column (notes) included
        assert "设区市" in t and "说明" in t
    assert "49.93" in scores[0] and "49.931034" not in scores[0]  # 南昌's A subtotal, 2 decimals
    # every city and the longest note (it wraps) are printed
    flat = "".join("".join(t.split()) for t in ledger)
    led = run[0].result.ledger
    for city in led.city.unique():
        assert city in flat
    longest = max(led.note, key=len)
    assert "".join(longest.split()) in flat


def test_printed_in_the_cjk_font_only(pdf):
    """Every embedded font is Noto Sans CJK (no fallback font for digits or Latin text). The faces of
    NotoSansCJK-*.ttc share one CFF named `NotoSansCJKjp-…`, so the name cannot tell SC from JP; that
    LibreOffice draws the SC forms (骨, 令, 直) was checked by eye on a rendered page."""
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
    names = [line.split()[0] for line in lines[2:]]
    assert names and all("+NotoSansCJK" in name for name in names), names


def test_first_pages_render(pdf, tmp_path):
    """PNGs of the first two pages (kept in tmp_path to look at): non-blank, ink across the page."""
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=60)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) == 2 and all(p.stat().st_size > 5000 for p in pngs)


# ------------------------------------------------------------------ the helper itself

def test_libreoffice_helper_refuses_and_times_out(xlsx, tmp_path):
    (tmp_path / "bad.xlsx").write_text("not a workbook")
    with pytest.raises(LibreOfficeError, match="could not be loaded|failed"):
        convert(tmp_path / "bad.xlsx", tmp_path / "out", "pdf")  # soffice exits 0 here: no file is the error
    with pytest.raises(FileNotFoundError):
        resave(tmp_path / "missing.xlsx", tmp_path / "out")
    with pytest.raises(ValueError, match="overwrite"):
        resave(xlsx, xlsx.parent)
    started = time.monotonic()
    with pytest.raises(LibreOfficeError, match="no result after"):
        to_pdf(xlsx, tmp_path / "slow", timeout=0.3)
    assert time.monotonic() - started < 10
    again = resave(xlsx, tmp_path / "again")  # a re-saved copy next to, never over, the original
    assert again == tmp_path / "again" / "results.xlsx" and openpyxl.load_workbook(again).sheetnames == list(SHEETS)


def test_safe_text_guards_formulas_but_not_signed_numbers():
    from jxscore.io.writers import safe_text

    assert [safe_text(v) for v in ("-1.0", "+3", "-0.5e3", "=A1", "-1+1", "+A1", "@SUM(A1)", "\tx", "abc", 5)] == [
        "-1.0", "+3", "-0.5e3", "'=A1", "'-1+1", "'+A1", "'@SUM(A1)", "'\tx", "abc", 5]
