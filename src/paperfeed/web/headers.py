"""Security headers on every response (a tiny ASGI middleware: no per-request task overhead).

Every page gets a strict CSP; /docs (Swagger UI, which starts from one inline script) gets the
same policy plus the SHA-256 of its inline scripts, computed from the page itself. Pages that
show tokens or account data are `Cache-Control: no-store`.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'self'")
COMMON = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
          (b"x-frame-options", b"DENY")]
DOCS = ("/docs",)  # FastAPI's docs page carries an inline script: hashed into its CSP
# account data, API tokens, signed subscription links: never kept by a browser or proxy cache
NO_STORE = ("/account", "/library", "/login", "/signup", "/password", "/subscription",
            "/subscribe", "/unsubscribe", "/api/me", "/api/library")
_INLINE = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def docs_csp(html: bytes) -> str:
    """CSP for a page whose inline scripts are allowed by their hashes (and nothing else)."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(m).digest()).decode()}'"
                      for m in _INLINE.findall(html))
    return CSP.replace("script-src 'self'", f"script-src 'self' {hashes}".rstrip())


def _no_store(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") or path.startswith(p + "?")
               for p in NO_STORE)


class SecurityHeaders:
    """Adds nosniff, referrer and frame policies, a strict CSP, and no-store where needed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        extra = list(COMMON)
        if _no_store(path):
            extra.append((b"cache-control", b"no-store"))
        if path.startswith(DOCS):
            await self._docs(scope, receive, send, extra)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", [])
                           if not (h[0].lower() == b"cache-control" and _no_store(path))]
                message["headers"] = headers + extra + [
                    (b"content-security-policy", CSP.encode())]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send,
                    extra: list[tuple[bytes, bytes]]) -> None:
        """Buffer the (small) docs page to hash its inline scripts into the CSP."""
        start: Message = {}
        body = bytearray()

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if message.get("more_body"):
                    return
                headers = [h for h in start.get("headers", []) if h[0].lower() not in
                           (b"content-length", b"content-security-policy")]
                csp = docs_csp(bytes(body)).encode()
                headers += [*extra, (b"content-security-policy", csp),
                            (b"content-length", str(len(body)).encode())]
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": bytes(body)})
                return
            await send(message)

        await self.app(scope, receive, buffer)
