"""Server-rendered pages: one Jinja environment (autoescape on, the package's own templates only)."""

from __future__ import annotations

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from jxscore.portal.clock import cst, window_text
from jxscore.resources import web_dir

TEMPLATES = web_dir("templates")
STATIC = web_dir("static")

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                  trim_blocks=True, lstrip_blocks=True)
env.filters["cst"] = cst
env.filters["window"] = window_text  # a deadline: 24:00 of its last day

ROLE_NAMES = {"office": "考核办", "city": "设区市"}
env.globals["role_names"] = ROLE_NAMES


def render(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
    """A page with the signed-in user and the CSRF token every form needs."""
    from jxscore.web.security import csrf_token

    user = getattr(request.state, "user", None)
    html = env.get_template(template).render(request=request, user=user, csrf_token=csrf_token(request.session),
                                             **ctx)
    return HTMLResponse(html, status_code=status)


def records(problems) -> list[dict]:
    """Problems as the pages list them (file, sheet, cell, city, message in Chinese)."""
    from jxscore.i18n import problem_record

    return [problem_record(p, "zh") for p in problems]
