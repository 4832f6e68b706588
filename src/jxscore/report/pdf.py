"""HTML → PDF with WeasyPrint: a fetcher that can only read what we ship, fixed metadata for
byte-identical output. Reused by the what-if page, so it knows nothing about scorecards."""

from __future__ import annotations

import functools
import hashlib
import os
import zlib
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jxscore.resources import templates_dir

# Fixed PDF dates: the same inputs must give the same bytes. SOURCE_DATE_EPOCH (reproducible-builds
# convention) overrides it when a packager wants a real date.
FIXED_DATE = "2000-01-01T00:00:00Z"
# Archival PDFs: PDF/A-3b (every font embedded, an sRGB output intent, XMP metadata with pdfaid:part 3 and
# pdfaid:conformance B). WeasyPrint 70 writes it deterministically (no random document id below PDF/A-4).
PDF_VARIANT = "pdf/a-3b"
# zlib level of the PDF streams. pydyf asks for 9, which spends ~0.05 s a document (a sixth of a card's
# render) for 0.3 % smaller files; 6 (zlib's default) is as deterministic.
ZLIB_LEVEL = 6


class RefusedURL(ValueError):
    """A document asked for a resource outside data: URLs and the templates folder.

    WeasyPrint logs it and leaves the resource out; `problem` is the same refusal as a coded problem."""

    def __init__(self, url: str):
        from jxscore.core.problems import Code, Problem

        self.problem = Problem.make(Code.URL_REFUSED, value=url[:200])
        super().__init__(f"refused (only data: URLs and files under the templates folder): {url[:200]}")


def _fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class RestrictedFetcher(URLFetcher):
        """Only `data:` URLs and files inside the templates folder; no network, no other files.

        Anything else raises, which WeasyPrint reports as a warning and skips (the resource is
        simply absent from the page), so hostile text can never pull a file or a URL in.
        """

        def __init__(self, root: Path | None = None, **kw):
            super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, timeout=1, **kw)
            self.root = Path(root or templates_dir()).resolve()

        def fetch(self, url, headers=None):
            check_url(url, self.root)
            if url.lower().startswith("file:"):
                path = Path(unquote(urlsplit(url).path)).resolve()
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": _mime(path)})
            return super().fetch(url, headers)

    return RestrictedFetcher


def check_url(url: str, root: Path | None = None) -> None:
    """Raise RefusedURL unless `url` is a data: URL or a file under `root` (the templates folder)."""
    root = Path(root or templates_dir()).resolve()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "data":
        return
    if scheme == "file":
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise RefusedURL(url)
        path = Path(unquote(parts.path)).resolve()
        if path.is_file() and path.is_relative_to(root):
            return
    raise RefusedURL(url)


def _mime(path: Path) -> str:
    types = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
    return types.get(path.suffix, "application/octet-stream")


def make_fetcher(root: Path | None = None):
    """A fresh restricted fetcher (WeasyPrint's URLFetcher subclass)."""
    return _fetcher_class()(root)


def pdf_date() -> str:
    """The creation/modification date written into every PDF: FIXED_DATE unless SOURCE_DATE_EPOCH."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        import datetime as dt

        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return FIXED_DATE


class _Zlib:
    """zlib as pydyf sees it (see use_zlib_level): every level asked for becomes ZLIB_LEVEL."""

    def __getattr__(self, name):
        return getattr(zlib, name)

    @staticmethod
    def compressobj(level=-1, *args, **kw):
        return zlib.compressobj(ZLIB_LEVEL, *args, **kw)

    @staticmethod
    def compress(data, level=-1, **kw):
        return zlib.compress(data, ZLIB_LEVEL, **kw)


@functools.cache
def use_zlib_level() -> None:
    """Point pydyf (WeasyPrint's PDF writer, pinned) at _Zlib: it has no option for the level."""
    import pydyf

    if getattr(pydyf, "zlib", None) is zlib:
        pydyf.zlib = _Zlib()


_DROPPED_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")


@functools.cache
def use_one_pass_subset() -> None:
    """Subset each embedded font in one HarfBuzz pass instead of WeasyPrint's two.

    WeasyPrint (pinned) subsets with retained glyph ids, then subsets the result again to drop the
    glyphs after the last one used and the hinting. The first pass already ends at the last glyph
    used, so only the hinting flag needs the second pass: asked for in the first, it gives the same
    font program, byte for byte (tests/test_report.py compares both on a card), in about a third of
    the time — the second pass walked the ~60,000 glyph slots of the CJK face: ~45 ms a document,
    the largest single cost of writing a card. Where HarfBuzz fails, WeasyPrint's own code runs.
    """
    import weasyprint.pdf.fonts as wfonts

    hbs = getattr(wfonts, "harfbuzz_subset", None)
    original = getattr(wfonts.Font, "_harfbuzz_subset", None)
    if hbs is None or original is None:
        return
    from weasyprint.text.ffi import ffi, harfbuzz
    from weasyprint.text.fonts import get_hb_object_data

    def one_pass(self, to_unicode, hinting):
        subset = ffi.gc(hbs.hb_subset_input_create_or_fail(), hbs.hb_subset_input_destroy)
        glyphs = hbs.hb_subset_input_glyph_set(subset)
        # an open array ("[]", its length from the list): cffi parses a C type once per distinct string,
        # with pycparser (milliseconds), and "[413]", "[402]", … would be a new one for every document
        harfbuzz.hb_set_add_sorted_array(glyphs, ffi.new("hb_codepoint_t[]", sorted(to_unicode)), len(to_unicode))
        flags = (hbs.HB_SUBSET_FLAGS_RETAIN_GIDS | hbs.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED
                 | hbs.HB_SUBSET_FLAGS_DESUBROUTINIZE)
        if not hinting:
            flags |= hbs.HB_SUBSET_FLAGS_NO_HINTING
        if self.missing:
            flags |= hbs.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
        hbs.hb_subset_input_set_flags(subset, flags)
        tags = tuple(harfbuzz.hb_tag_from_string(name, -1) for name in _DROPPED_TABLES)
        harfbuzz.hb_set_add_sorted_array(hbs.hb_subset_input_set(subset, hbs.HB_SUBSET_SETS_DROP_TABLE_TAG),
                                         ffi.new("hb_codepoint_t[]", tags), len(tags))
        face = ffi.gc(hbs.hb_subset_or_fail(self.hb_face, subset), harfbuzz.hb_face_destroy)
        data = get_hb_object_data(face) if face else None
        if not data:
            return original(self, to_unicode, hinting)
        self.file_content = data

    one_pass.weasyprint_original = original
    wfonts.Font._harfbuzz_subset = one_pass


_PER_LETTER = ("dx", "dy", "rotate", "textLength", "letter-spacing")


def _one_number(value: str | None) -> bool:
    return value is not None and " " not in value.strip() and "," not in value


def _one_run(node) -> bool:
    """An SVG <text> node that is one string at one x, y, laid out as WeasyPrint lays out HTML text:
    no children, no per-letter positions or spacing, no baseline or direction of its own."""
    return (node.tag == "text" and next(iter(node), None) is None and bool(node.text)
            and not any(a in node.attrib for a in _PER_LETTER)
            and _one_number(node.attrib.get("x")) and _one_number(node.attrib.get("y"))
            and not (node.get("display-anchor") or node.get("dominant-baseline") or node.get("alignment-baseline"))
            and node.get("direction") in (None, "ltr"))


@functools.cache
def use_whole_svg_text() -> None:
    """Have WeasyPrint lay out and draw an SVG <text> as one run instead of letter by letter.

    WeasyPrint (pinned) shapes and draws every letter of an SVG text on its own, so that per-letter
    x/y/dx/dy/rotate lists work: "12.3%" costs six Pango layouts. Our charts never use those lists: a
    text there is one string at one x, y (tests/chartfit checks its box with the font's advance
    widths). For such a text this draws the string as one line, as HTML text is drawn: the same
    glyphs at the same start, the same bounding box for text-anchor, about a third of the work (the
    summary's heat map has 216 labels). Any other text, and any text with children, goes through
    WeasyPrint's own code unchanged.
    """
    import importlib
    from math import inf

    import weasyprint.svg as svgmod

    textmod = importlib.import_module("weasyprint.svg.text")  # the module: `weasyprint.svg.text` is its function

    original = textmod.text
    if getattr(svgmod, "text", None) is not original:
        return  # not the WeasyPrint this was written for: leave it alone

    def text(svg, node, font_size):
        if not _one_run(node):
            return original(svg, node, font_size)
        from weasyprint.css.properties import INITIAL_VALUES
        from weasyprint.draw.text import draw_emojis, draw_first_line
        from weasyprint.matrix import Matrix
        from weasyprint.svg.bounding_box import extend_bounding_box
        from weasyprint.svg.utils import normalize, size
        from weasyprint.text.line_break import split_first_line

        style = textmod.Style()  # as WeasyPrint's text() sets it up
        style.update(INITIAL_VALUES)
        style.font_config = svg.font_config
        style["font_family"] = [f.strip("\"'") for f in node.get("font-family", "sans-serif").split(",")]
        style["font_style"] = node.get("font-style", "normal")
        weight = node.get("font-weight", 400)
        weight = {"normal": 400, "bold": 700}.get(weight, weight)
        try:
            style["font_weight"] = int(weight)
        except ValueError:
            style["font_weight"] = 400
        style["font_size"] = font_size
        layout, _, _, width, height, baseline = split_first_line(node.text, style, svg.context, inf, 0)
        x = size(normalize(node.attrib["x"]).strip(), font_size, svg.inner_width)
        y = size(normalize(node.attrib["y"]).strip(), font_size, svg.inner_height)
        svg.cursor_d_position = [0, 0]
        svg.cursor_position = x + width, y
        node.text_bounding_box = extend_bounding_box(
            node.text_bounding_box, ((x, y - baseline), (x + width, y - baseline + height)))
        svg.stream.push_state()
        fill, stroke = svg.set_graphical_state(node, font_size)
        svg.stream.begin_text()
        layout.reactivate(style)
        svg.fill_stroke(fill, stroke, text=True)
        box = textmod.TextBox(layout, style)
        box.baseline = baseline
        emojis = draw_first_line(svg.stream, box, "none", "none", Matrix(a=1, d=-1, e=x, f=y))
        svg.stream.end_text()
        svg.stream.pop_state()
        draw_emojis(svg.stream, style, x, y, emojis)

    for tag, fn in list(svgmod.TAGS.items()):
        if fn is original:
            svgmod.TAGS[tag] = text
    svgmod.text = text


@functools.cache
def font_config():
    """One WeasyPrint FontConfiguration per process (a render worker keeps it for all its documents):
    the Pango font map and the CJK faces it has opened are reused instead of rebuilt per document.
    We use no @font-face, so nothing document-specific is ever added to it."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def html_to_pdf(html: str, path: Path | None = None, *, identifier: str | None = None,
                base_url: Path | None = None, date: str | None = None) -> bytes | None:
    """Render `html` to `path` (or return the bytes) as PDF/A-3b: restricted fetcher, fixed dates and identifier.

    Relative URLs resolve against the templates folder, so `<link href="report.css">` works.
    The PDF identifier defaults to a hash of the HTML, so identical HTML gives identical bytes;
    `date` defaults to pdf_date() (render workers get it from the parent with each job).
    """
    import weasyprint

    use_zlib_level()
    use_whole_svg_text()
    use_one_pass_subset()
    base = Path(base_url or templates_dir()).resolve()
    doc = weasyprint.HTML(string=html, base_url=base.as_uri() + "/",
                          url_fetcher=make_fetcher(base)).render(font_config=font_config())
    doc.metadata.created = doc.metadata.modified = date or pdf_date()
    ident = (identifier or hashlib.sha256(html.encode("utf-8")).hexdigest()[:32]).encode("ascii")
    return doc.write_pdf(path, pdf_identifier=ident, pdf_variant=PDF_VARIANT)
