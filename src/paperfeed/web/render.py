"""Jinja2 templates (autoescaped) and the one function every page renders through."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy import Connection

from paperfeed.latex import convert, math_regions, text_mode, to_unicode
from paperfeed.rank.claims import chip_label, mark_spans
from paperfeed.rank.daily import latest_day
from paperfeed.web.auth import ANON_COOKIE, Viewer, get_viewer
from paperfeed.web.pagecache import SHARED_FLAG, holes, vote_hole
from paperfeed.web.static_files import static_url

TEMPLATES = Path(__file__).with_name("templates")
EXCERPT = 300
FRESH_DAYS = 3  # newest announcement older than this: every page says how old the data is
FRESHNESS_CACHE_S = 60.0
T = TypeVar("T")


def paper_url(paper_id: str) -> str:
    """/papers/<id>; old-style ids keep their slash (hep-th/9901001)."""
    return "/papers/" + quote(paper_id, safe="/:")


def author_url(name: str) -> str:
    """/authors/<name>."""
    return "/authors/" + quote(name, safe="")


def category_url(cat: str) -> str:
    """/categories/<category>."""
    return "/categories/" + quote(cat, safe="")


def excerpt(text: str | None, limit: int = EXCERPT) -> str:
    """The first `limit` characters (text-mode LaTeX resolved), cut at a word and never inside
    a formula, with an ellipsis when shortened."""
    s = " ".join(text_mode(text).split())
    if len(s) <= limit:
        return s
    cut = s.rfind(" ", 0, limit)
    cut = cut if cut > limit // 2 else limit
    for a, b in math_regions(s[: cut + 4 * limit]):
        if a < cut < b:
            cut = a if a > limit // 3 else b
            break
    return s[:cut].rstrip(" ,;:") + "…"


def tex(text: str | None) -> Markup:
    """Titles and abstracts for the page: text-mode LaTeX as Unicode, math left for KaTeX."""
    return Markup(escape(text_mode(text)))


def highlight(text: str | None, spans: Sequence[Sequence[Any]] | None) -> Markup:
    """The one place spans become HTML: `text` escaped, text-mode LaTeX resolved (math kept for
    KaTeX, spans moved with the text), each span in <mark>. A span is (start, end) or
    (start, end, {attribute: value}) for the mark's attributes."""
    conv = convert(text or "", keep_math=True)
    out: list[str] = []
    pos = 0
    for sp in sorted(spans or [], key=lambda x: (int(x[0]), int(x[1]))):
        mapped = conv.map_spans([(int(sp[0]), int(sp[1]))])
        if not mapped or mapped[0][0] < pos:
            continue  # overlapping spans: the first wins
        a, b = mapped[0]
        attrs = "".join(f' {k}="{escape(v)}"' for k, v in (sp[2] if len(sp) > 2 else {}).items())
        out.append(str(escape(conv.text[pos:a])))
        out.append(f"<mark{attrs}>{escape(conv.text[a:b])}</mark>")
        pos = b
    out.append(str(escape(conv.text[pos:])))
    return Markup("".join(out))


def claims_abstract(abstract: str | None, claims: list[dict[str, Any]],
                    anchor: str = "claim-") -> Markup:
    """The abstract with each markable claim span in <mark class="claim claim-KIND"> (an id to
    link to, its chip label as title); sets each claim's `marked`."""
    text = abstract or ""
    mark_spans(text, claims)
    spans = [(c["start"], c["end"], {"class": f"claim claim-{c['kind']}",
                                     "id": f"{anchor}{c.get('position', n)}",
                                     "title": c.get("label") or chip_label(c)})
             for n, c in enumerate(claims) if c.get("marked")]
    return highlight(text, spans)


def claim_context(ctx: dict[str, Any] | None) -> Markup:
    """A claim's window of its abstract (rank/claims.context_window) with the span marked."""
    if not ctx:
        return Markup("")
    return highlight(ctx["text"], [(ctx["start"], ctx["end"])])


def plain(text: str | None) -> str:
    """Plain Unicode (math too): for attributes and titles where no renderer runs."""
    return to_unicode(text)


def long_date(iso: str | None) -> str:
    """2026-07-01 -> Wednesday, 1 July 2026."""
    try:
        d = dt.date.fromisoformat((iso or "")[:10])
    except ValueError:
        return iso or ""
    return f"{d:%A}, {d.day} {d:%B %Y}"


def month_name(iso: str | None) -> str:
    """2026-07-01 -> July 2026."""
    try:
        return f"{dt.date.fromisoformat((iso or '')[:10]):%B %Y}"
    except ValueError:
        return iso or ""


def query_url(path: str, params: dict[str, Any], **changes: Any) -> str:
    """`path` with the query `params` updated by `changes` (None or "" drops a parameter)."""
    merged = {**params, **changes}
    q = {k: v for k, v in merged.items() if v not in (None, "")}
    return path + ("?" + urlencode(q) if q else "")


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(
        enabled_extensions=("html", "svg"), default_for_string=True), trim_blocks=True,
        lstrip_blocks=True, auto_reload=False)
    env.filters.update(paper_url=paper_url, author_url=author_url, category_url=category_url,
                       excerpt=excerpt, long_date=long_date, month_name=month_name, tex=tex,
                       plain=plain)
    env.globals.update(highlight=highlight, claims_abstract=claims_abstract,
                       claim_context=claim_context)
    env.globals.update(query_url=query_url, static_url=static_url, vote_hole=vote_hole)
    return env


ENV = _env()


def app_cached(request: Request, key: str, ttl: float, load: Callable[[Connection], T]) -> T:
    """`load(conn)`, kept on the app for `ttl` seconds (small lists every page shows)."""
    cached = getattr(request.app.state, key, None)
    if cached is None or time.monotonic() - cached[0] > ttl:
        with request.app.state.engine.connect() as conn:
            cached = (time.monotonic(), load(conn))
        setattr(request.app.state, key, cached)
    value: T = cached[1]
    return value


KEPT = 64  # results version_cached keeps per name and data version


def version_cached(request: Request, name: str, version: tuple[Any, ...], key: tuple[Any, ...],
                   load: Callable[[], T]) -> T:
    """`load()`, kept on the app while `version` (of the data it reads) stays the same: the
    last KEPT results under `name`, each worker its own."""
    state = request.app.state
    with _kept_lock:
        caches: dict[str, tuple[tuple[Any, ...], OrderedDict[Any, Any]]] | None = getattr(
            state, "version_cached", None)
        if caches is None:
            caches = state.version_cached = {}
        seen = caches.get(name)
        if seen is None or seen[0] != version:
            seen = caches[name] = (version, OrderedDict())
        cache = seen[1]
        if key in cache:
            cache.move_to_end(key)
            value: T = cache[key]
            return value
    value = load()
    with _kept_lock:
        cache[key] = value
        while len(cache) > KEPT:
            cache.popitem(last=False)
    return value


_kept_lock = threading.Lock()


def staleness(request: Request) -> dict[str, Any] | None:
    """How old the newest announcement is, when older than FRESH_DAYS (None: fresh or empty)."""
    latest = app_cached(request, "latest_day", FRESHNESS_CACHE_S, latest_day)
    if latest is None:
        return None
    days = (dt.datetime.now(dt.UTC).date() - latest).days
    return {"day": latest.isoformat(), "days": days} if days > FRESH_DAYS else None


def render(request: Request, template: str, ctx: dict[str, Any], status: int = 200
           ) -> HTMLResponse:
    """Render a page with the viewer, CSRF token and settings in its context."""
    try:
        viewer = get_viewer(request)
    except HTTPException:  # a bad API token on an HTML page: show the page, signed out
        viewer = Viewer(None, "anonymous", "")
    settings = request.app.state.settings
    # A page the page cache keeps for every anonymous visitor carries no per-visitor token
    # (its buttons lead anonymous visitors to the login page, which sets one).
    shared = viewer.user is None and getattr(request.state, SHARED_FLAG, False)
    token = holes.set(shared)  # vote counts of a shared rendering: holes the page cache fills
    try:
        html = ENV.get_template(template).render(
            request=request, viewer=viewer, user=viewer.user, csrf="" if shared else viewer.csrf,
            path=request.url.path, base_url=settings.base_url, stale=staleness(request), **ctx)
    finally:
        holes.reset(token)
    resp = HTMLResponse(html, status_code=status)
    if viewer.new_anon_cookie and not shared:
        resp.set_cookie(ANON_COOKIE, viewer.new_anon_cookie, httponly=True, samesite="lax",
                        secure=settings.https, max_age=60 * 60 * 24 * 30)
    return resp
