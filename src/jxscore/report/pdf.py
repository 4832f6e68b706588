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
    base = Path(base_url or templates_dir()).resolve()
    doc = weasyprint.HTML(string=html, base_url=base.as_uri() + "/",
                          url_fetcher=make_fetcher(base)).render(font_config=font_config())
    doc.metadata.created = doc.metadata.modified = date or pdf_date()
    ident = (identifier or hashlib.sha256(html.encode("utf-8")).hexdigest()[:32]).encode("ascii")
    return doc.write_pdf(path, pdf_identifier=ident, pdf_variant=PDF_VARIANT)
