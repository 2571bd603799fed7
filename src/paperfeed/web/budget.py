"""Bounds on every request: a time budget, a bounded wait for the writers' lock, a prompt exit.

- A request that has not started its answer within PAPERFEED_REQUEST_BUDGET seconds is
  answered 503 with Retry-After; its handler's late answer is dropped.
- Writes made by a request wait at most PAPERFEED_WEB_WRITE_WAIT seconds for the writers'
  lock; past that the request answers 503 with Retry-After (never a 500, never parked).
- `serve` exits within GRACE_S + 1 seconds of SIGTERM or Ctrl+C even while handlers are busy.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.config import float_setting
from paperfeed.store.db import WriteBusy, lock_wait

log = logging.getLogger("paperfeed.web")
GRACE_S = 5
RETRY_AFTER_S = "2"


def _busy(request: Request, status: int, message: str) -> Response:
    """A 503/504 answer that needs no database (the viewer is not looked up)."""
    headers = {"Retry-After": RETRY_AFTER_S, "Cache-Control": "no-store"}
    if request.url.path.startswith("/api"):
        return JSONResponse({"error": message, "status": status}, status, headers=headers)
    from paperfeed.web.auth import Viewer
    from paperfeed.web.render import ENV

    settings = request.app.state.settings
    html = ENV.get_template("error.html").render(
        request=request, viewer=Viewer(None, "anonymous", ""), user=None, csrf="",
        path=request.url.path, base_url=settings.base_url, status=status,
        title="Service Unavailable", message=message)
    return HTMLResponse(html, status, headers=headers)


class RequestBudget:
    """ASGI middleware: the time budget and the lock wait above.

    The handler runs in the request's own task; only a request that overruns costs more than
    a timer: the timer then answers 503 itself, and what the handler sends later is dropped.
    """

    def __init__(self, app: ASGIApp, budget: float, write_wait: float) -> None:
        self.app, self.budget, self.write_wait = app, budget, write_wait
        self._answering: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and os.environ.get(EXIT_ENV):
            async def watched(receive: Receive = receive) -> Message:
                message = await receive()
                if message["type"] == "lifespan.shutdown":
                    _exit_soon()
                return message

            await self.app(scope, watched, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"started": False, "late": False}

        async def guarded_send(message: Message) -> None:
            if state["late"]:
                return  # we already answered for this handler
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        timer = asyncio.get_running_loop().call_later(
            self.budget, self._overrun, scope, receive, send, state)
        try:
            with lock_wait(self.write_wait):
                await self.app(scope, receive, guarded_send)
        except Exception as e:
            if not state["late"]:
                raise
            log.warning("a request answered 503 at its budget failed later: %r", e)
        finally:
            timer.cancel()

    def _overrun(self, scope: Scope, receive: Receive, send: Send,
                 state: dict[str, bool]) -> None:
        if state["started"]:  # answering already (a long download): let it finish
            return
        state["late"] = True
        log.warning("%s %s exceeded the %g s request budget", scope.get("method"),
                    scope.get("path"), self.budget)
        msg = (f"this request took longer than {self.budget:g} s, so it was given up; "
               "try again in a moment, or narrow it (a shorter query, a smaller page)")
        task = asyncio.ensure_future(_busy(Request(scope), 503, msg)(scope, receive, send))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)


async def write_busy(request: Request, exc: Exception) -> Response:
    """WriteBusy from a request's write: 503 with Retry-After."""
    return _busy(request, 503, str(exc))


def install(app: FastAPI) -> None:
    """Add the middleware and the WriteBusy handler (settings read now)."""
    app.add_exception_handler(WriteBusy, write_busy)
    app.add_middleware(RequestBudget, budget=float_setting("PAPERFEED_REQUEST_BUDGET"),
                       write_wait=float_setting("PAPERFEED_WEB_WRITE_WAIT"))


EXIT_ENV = "PAPERFEED_SERVE_EXIT_PROMPTLY"  # set by `paperfeed serve` for its workers


def exit_promptly() -> None:
    """Make this server process (and its workers) end soon after uvicorn's shutdown starts.

    Handlers run in threads that cannot be interrupted, and Python waits for them at exit,
    so a stuck handler would keep a stopped server alive. uvicorn waits GRACE_S for running
    requests (`timeout_graceful_shutdown`), then tells the app it shuts down; one second after
    that message the process ends, busy threads or not.
    """
    os.environ[EXIT_ENV] = "1"


def _exit_soon() -> None:
    def now() -> None:
        log.warning("handlers still busy after the shutdown: exiting anyway")
        logging.shutdown()
        os._exit(0)

    timer = threading.Timer(1.0, now)
    timer.daemon = True
    timer.start()
