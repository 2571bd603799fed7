"""Static files from memory: each file read and gzipped once, fingerprinted URLs immutable.

`/static/<name>` is answered before the app's routing (an ASGI middleware): the files are small
(2.5 MB with KaTeX and Swagger UI) and never change while a process runs. Templates link them
through `static_url(name)`, whose `?v=<hash>` changes with the file, so browsers may keep them
for a year; other static URLs (KaTeX's fonts, referenced from its CSS) are kept for a day.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

STATIC = Path(__file__).with_name("static")
PREFIX = "/static/"
IMMUTABLE = b"public, max-age=31536000, immutable"  # the URL changes when the file does
PLAIN = b"public, max-age=86400"
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


@functools.cache
def static_url(name: str) -> str:
    """/static/<name>?v=<first 10 hex of its sha256>: templates link files through this."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"{PREFIX}{name}?v={digest}"


@dataclass(frozen=True)
class File:
    body: bytes
    gz: bytes | None
    ctype: bytes
    etag: bytes


@functools.cache
def load(rel: str) -> File | None:
    """The file under STATIC at `rel` (None outside it or missing)."""
    root = STATIC.resolve()
    path = (root / rel).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    body = path.read_bytes()
    ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    gz = gzip.compress(body, 9) if ctype.startswith(COMPRESSIBLE) and len(body) > 1000 else None
    if ctype.startswith("text/") or ctype == "application/javascript":
        ctype += "; charset=utf-8"
    etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
    return File(body, gz, ctype.encode(), etag)


def _header(scope: Scope, name: bytes) -> bytes:
    return next((bytes(v) for k, v in scope.get("headers", []) if k == name), b"")


class StaticFiles:
    """Answers GET/HEAD /static/... from memory; everything else goes to the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        f = load(scope["path"][len(PREFIX):]) if scope["method"] in ("GET", "HEAD") else None
        if f is None:
            await self.app(scope, receive, send)  # the app's 404 (or 405), in its error format
            return
        cache = IMMUTABLE if b"v=" in scope.get("query_string", b"") else PLAIN
        common = [(b"etag", f.etag), (b"cache-control", cache), (b"vary", b"Accept-Encoding")]
        if f.etag in _header(scope, b"if-none-match"):
            await send({"type": "http.response.start", "status": 304, "headers": common})
            await send({"type": "http.response.body", "body": b""})
            return
        use_gz = f.gz is not None and b"gzip" in _header(scope, b"accept-encoding")
        body = f.gz if use_gz and f.gz is not None else f.body
        headers = [(b"content-type", f.ctype), (b"content-length", str(len(body)).encode()),
                   *common]
        if use_gz:
            headers.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body",
                    "body": b"" if scope["method"] == "HEAD" else body})
