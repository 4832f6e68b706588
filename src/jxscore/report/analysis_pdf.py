"""What the analysis PDFs (what-if, sensitivity, compare-methods) share: the report's HTML→PDF path
(`jxscore.report.pdf.html_to_pdf`: restricted fetcher, fixed dates, repeatable bytes), its
stylesheet and its page frame (`base.html.j2`: running head, input-hash footer, page numbers).

Each page is a package template extending base.html.j2, rendered by `page()`; its context needs
`meta` as `jxscore.report.context.meta(result, manifest)` builds it."""

from __future__ import annotations

import base64
from pathlib import Path

_HEAD = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ title }}</title>
<link rel="stylesheet" href="report.css"></head><body>
<h1>{{ title }}</h1><div class="subtitle">{{ subtitle }}</div><hr class="rule-red"><hr class="rule-thin">"""


def render(template: str, **ctx) -> str:
    """An inline template string (autoescaping, StrictUndefined)."""
    from jinja2 import Environment, StrictUndefined

    return Environment(autoescape=True, undefined=StrictUndefined).from_string(template).render(**ctx)


def page(template: str, ctx: dict, path: Path) -> None:
    """Render the package template `template` (e.g. "whatif.html.j2") with `ctx` into the PDF `path`."""
    from jxscore.report.pdf import html_to_pdf
    from jxscore.report.render import environment

    html_to_pdf(environment().get_template(template).render(**ctx), path)


def data_url(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
