"""Anonymous pages rendered once per data version: a small ASGI cache in front of the app.

A GET of a public page (daily, trending, search, paper, author, category, claims, about) by a
visitor without a session or API token is rendered once and then served from memory, gzipped
once, with an ETag (a revalidation answers 304), until the data changes: the cache key holds
the data's version, read at most once per CHECK_S seconds (papers' seq, votes, Hugging Face
upvotes, derived-index watermarks), so a new vote or paper shows within about a second. Entries
also expire after MAX_AGE_S (pages say "3 days ago"). Signed-in pages never come from here:
their votes and library marks are the viewer's own. The pages this cache renders carry no
per-visitor form token (render() leaves it out); their buttons send anonymous visitors to the
login page, and web/actions asks for a login before it checks a form's token.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIXES = ("/daily", "/trending", "/search", "/papers/", "/authors/", "/categories/", "/claims",
            "/about")
CHECK_S = 1.0
MAX_AGE_S = 60.0
MAX_BYTES = 64 << 20  # bodies kept, plain and gzipped together
SHARED_FLAG = "pf_shared"  # request.state flag: render for every anonymous visitor alike

VERSION_SQL = text(
    "SELECT (SELECT MAX(seq) FROM papers) AS seq, (SELECT COUNT(*) FROM votes) AS votes, "
    "(SELECT MAX(created_at) FROM votes) AS last_vote, "
    "(SELECT SUM(upvotes) FROM hf_papers) AS hf, "
    "(SELECT MAX(updated_at) FROM index_state) AS derived")


@dataclass
class Entry:
    version: tuple[Any, ...]
    born: float
    headers: list[tuple[bytes, bytes]]
    body: bytes
    gz: bytes
    etag: bytes

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gz)


def cacheable_path(path: str) -> bool:
    return path == "/" or path.startswith(PREFIXES)


def _header(scope: Scope, name: bytes) -> bytes:
    for k, v in scope.get("headers", []):
        if k == name:
            return bytes(v)
    return b""


def anonymous(scope: Scope) -> bool:
    """No session cookie and no Authorization header."""
    return not _header(scope, b"authorization") and b"pf_session=" not in _header(scope, b"cookie")


class PageCache:
    def __init__(self, app: ASGIApp, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.entries: OrderedDict[bytes, Entry] = OrderedDict()
        self.bytes = 0
        self.inflight: dict[bytes, asyncio.Future[Entry | None]] = {}
        self.version: tuple[Any, ...] = ()
        self.checked = 0.0

    def _read_version(self) -> tuple[Any, ...]:
        with self.engine.connect() as conn:
            return tuple(conn.execute(VERSION_SQL).one())

    async def current_version(self) -> tuple[Any, ...]:
        now = time.monotonic()
        if now - self.checked > CHECK_S:
            self.checked = now
            self.version = await anyio.to_thread.run_sync(self._read_version)
        return self.version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "GET"
                or not cacheable_path(scope["path"]) or not anonymous(scope)):
            await self.app(scope, receive, send)
            return
        key = scope["path"].encode() + b"?" + scope.get("query_string", b"")
        version = await self.current_version()
        entry = self.entries.get(key)
        if entry is not None and (entry.version != version
                                  or time.monotonic() - entry.born > MAX_AGE_S):
            entry = None
        if entry is None and key in self.inflight:  # someone renders it now: wait for theirs
            entry = await asyncio.shield(self.inflight[key])
            if entry is not None and entry.version != version:
                entry = None
        if entry is None:
            entry = await self._render_once(scope, receive, send, key, version)
            if entry is None:
                return  # not storable: already answered as the app did
        else:
            self.entries.move_to_end(key)
        await self._answer(scope, send, entry)

    async def _render_once(self, scope: Scope, receive: Receive, send: Send, key: bytes,
                           version: tuple[Any, ...]) -> Entry | None:
        """Render, letting requests for the same page that arrive meanwhile share the result
        (after a vote, fifty clients of the daily page cost one rendering, not fifty)."""
        fut: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        self.inflight[key] = fut
        entry = None
        try:
            entry = await self._render(scope, receive, send, key, version)
        finally:
            fut.set_result(entry)
            if self.inflight.get(key) is fut:
                del self.inflight[key]
        return entry

    async def _render(self, scope: Scope, receive: Receive, send: Send, key: bytes,
                      version: tuple[Any, ...]) -> Entry | None:
        inner = dict(scope)
        inner["headers"] = [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]
        inner["state"] = {**scope.get("state", {}), SHARED_FLAG: True}
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app(inner, receive, capture)
        start = messages[0] if messages else {}
        headers = list(start.get("headers", []))
        names = {k.lower() for k, _ in headers}
        ctype = dict(headers).get(b"content-type", b"")
        if (start.get("status") != 200 or b"set-cookie" in names
                or not ctype.startswith(b"text/html")):
            for m in messages:
                await send(m)
            return None
        body = b"".join(m.get("body", b"") for m in messages[1:])
        keep = [(k, v) for k, v in headers
                if k.lower() not in (b"content-length", b"etag", b"vary", b"cache-control")]
        etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
        entry = Entry(version, time.monotonic(), keep, body, gzip.compress(body, 6), etag)
        self._store(key, entry)
        return entry

    def _store(self, key: bytes, entry: Entry) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self.entries[key] = entry
        self.bytes += entry.size
        while self.bytes > MAX_BYTES and self.entries:
            _, gone = self.entries.popitem(last=False)
            self.bytes -= gone.size

    async def _answer(self, scope: Scope, send: Send, entry: Entry) -> None:
        common = [(b"etag", entry.etag), (b"cache-control", b"no-cache"),
                  (b"vary", b"Accept-Encoding, Cookie, Authorization")]
        if entry.etag in _header(scope, b"if-none-match"):
            await send({"type": "http.response.start", "status": 304, "headers": common})
            await send({"type": "http.response.body", "body": b""})
            return
        use_gz = b"gzip" in _header(scope, b"accept-encoding")
        body = entry.gz if use_gz else entry.body
        headers = entry.headers + common + [(b"content-length", str(len(body)).encode())]
        if use_gz:
            headers.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
