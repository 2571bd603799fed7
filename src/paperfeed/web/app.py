"""The application factory: `create_app(engine)` -> FastAPI, pages + /api + /docs + static."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine

from paperfeed import __version__
from paperfeed.web import (
    account,
    actions,
    api,
    budget,  # issue #14
    claims,
    errors,
    feeds,
    foryou,
    foryou_api,
    openapi,
    pages,
    search_adapter,
)
from paperfeed.web import collections as collection_pages  # issue #17
from paperfeed.web import hf_api as hf_routes  # issue #17
from paperfeed.web import subscribe as subscribe_pages
from paperfeed.web.headers import SecurityHeaders
from paperfeed.web.pagecache import PageCache
from paperfeed.web.settings import WebSettings, load_settings
from paperfeed.web.static_files import StaticFiles

SERVE_PID_ENV = "PAPERFEED_SERVE_PID"  # set by `paperfeed serve` for its worker processes

WORKER_THREADS = 8
DESCRIPTION = """Research papers from arXiv (metadata, CC0) and Hugging Face Daily Papers.

Reads need no account. Votes and the library need one: send `Authorization: Bearer <token>`
(create a token on your account page). Errors are JSON: `{"error": "...", "status": N}`;
a bad parameter is a 422 naming it. Dates are ISO (`2026-11-23`); arXiv ids go in the path
as they are (`/api/papers/hep-th/9901001`)."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Page handlers are sync and CPU-bound under one GIL: a few threads serve more requests
    # per second, with far shorter tails, than anyio's default 40 fighting over it.
    anyio.to_thread.current_default_thread_limiter().total_tokens = WORKER_THREADS
    if note := search_adapter.missing_indexes(app.state.engine):
        logging.getLogger("paperfeed.web").warning("%s", note)
    yield


def create_app(engine: Engine, settings: WebSettings | None = None) -> FastAPI:
    """The web app and API over `engine` (settings from the environment when not given)."""
    app = FastAPI(title="paperfeed", version=__version__, description=DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  lifespan=_lifespan)
    app.state.engine = engine
    app.state.settings = settings or load_settings()
    errors.install(app)
    budget.install(app)  # issue #14: request time budget, 503 when the write lock is busy
    routers = (
        hf_routes.router,  # issue #17: before api/pages (/api/papers/search, .md)
        foryou_api.router, api.router, pages.router, feeds.router, actions.router,
        account.router, claims.router, subscribe_pages.router,
        collection_pages.router,  # issue #17: Zotero in/out, public collections
        foryou.router,
    )
    for router in routers:
        app.include_router(router)
    app.state.routes = [route for router in routers for route in router.routes]  # for a 405
    openapi.install(app)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI, served from our own static files (no CDN)."""
        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="paperfeed API",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg")

    # outermost last: security headers on everything, then static files and cached anonymous
    # pages from memory (gzipped once), then gzip for the rest
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=5)
    app.add_middleware(PageCache, engine=engine)
    app.add_middleware(StaticFiles)
    app.add_middleware(SecurityHeaders)
    return app


def app_from_environment() -> FastAPI:
    """The app over $PAPERFEED_DATABASE_URL: what each `paperfeed serve --workers N` process
    builds for itself (uvicorn's factory). A worker ends when the `paperfeed serve` that
    started it does ($PAPERFEED_SERVE_PID), even if that one was killed with SIGKILL and
    could not stop it."""
    from paperfeed.children import die_with_parent
    from paperfeed.store import open_store

    master = os.environ.get(SERVE_PID_ENV, "")
    if master.isdigit():
        die_with_parent(int(master))

    return create_app(open_store(None))
