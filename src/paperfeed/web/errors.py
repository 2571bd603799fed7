"""Errors for people: JSON under /api, an HTML page elsewhere; bad parameters are 422."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from paperfeed.web.auth import LoginRequired
from paperfeed.web.render import render

log = logging.getLogger("paperfeed.web")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/api"


def _error(request: Request, status: int, message: str, detail: Any = None,
           headers: dict[str, str] | None = None) -> Response:
    if _is_api(request):
        body: dict[str, Any] = {"error": message, "status": status}
        if detail is not None:
            body["detail"] = detail
        return JSONResponse(body, status_code=status, headers=headers)
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    resp = render(request, "error.html", {"status": status, "title": title, "message": message},
                  status=status)
    if headers:
        resp.headers.update(headers)
    return resp


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] in ("query", "path", "body", "header", "cookie"):
        kind = {"query": "query parameter", "path": "path parameter", "body": "field",
                "header": "header", "cookie": "cookie"}[parts[0]]
        return f"{kind} {'.'.join(parts[1:])!r}"
    return ".".join(parts) or "request"


async def validation_error(request: Request, exc: Exception) -> Response:
    """422 with each bad parameter named and what was expected."""
    assert isinstance(exc, RequestValidationError)
    detail = [{"parameter": _where(e.get("loc", ())), "message": e.get("msg", "")}
              for e in exc.errors()]
    message = "; ".join(f"{d['parameter']}: {d['message']}" for d in detail) or "bad request"
    return _error(request, 422, f"invalid {message}", detail)


async def http_error(request: Request, exc: Exception) -> Response:
    """HTTPException as JSON or an HTML page."""
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and message == "Not Found":
        message = f"nothing at {request.url.path}"
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
        headers = {**(headers or {}), "Allow": _allowed(request)}
    return _error(request, exc.status_code, message, headers=headers)


def _allowed(request: Request) -> str:
    """Every method some route answers at this path (a route knows only its own)."""
    methods: set[str] = set()
    for route in getattr(request.app.state, "routes", request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return ", ".join(sorted(methods))


async def login_required(request: Request, exc: Exception) -> Response:
    """Send the visitor to the login page, coming back where they were."""
    assert isinstance(exc, LoginRequired)
    nxt = exc.next_path or (request.url.path + (f"?{request.url.query}" if request.url.query
                                                  else ""))
    return RedirectResponse("/login?next=" + quote(nxt, safe="/"), status_code=303)


async def server_error(request: Request, exc: Exception) -> Response:
    """An unexpected failure: logged with its traceback, a plain 500 for the client."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _error(request, 500, "something went wrong on our side; it has been logged")


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Exception, server_error)
