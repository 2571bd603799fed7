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

Vote counts are holes: a cached rendering writes each count as a hole (`vote_hole`) that is
filled from the votes table when served. A page whose layout does not depend on votes (a paper
page, newest-first lists: the route calls `votes_only_in_holes`) therefore survives a vote: when
only the votes changed, its holes are refilled (one indexed query for the papers it shows, no
rendering), so ten clients voting do not re-render every paper page each second. Pages ordered
by votes (daily, trending) render again.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import html
import re
import time
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from sqlalchemy import Engine, bindparam, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIXES = ("/daily", "/trending", "/search", "/papers/", "/authors/", "/categories/", "/claims",
            "/about")
CHECK_S = 1.0
MAX_AGE_S = 60.0
MAX_BYTES = 64 << 20  # bodies kept, plain and gzipped together
SHARED_FLAG = "pf_shared"  # request.state flag: render for every anonymous visitor alike
HOLES_FLAG = "pf_votes_in_holes"  # request.state flag: the page's votes are all in holes
HOLE = re.compile(rb"\x00pfv(\d+):([^\x00]*)\x00")  # \x00pfv<hf upvotes>:<escaped id>\x00
COUNTS_SQL = text("SELECT paper_id, COUNT(*) FROM votes WHERE paper_id IN :ids GROUP BY paper_id"
                  ).bindparams(bindparam("ids", expanding=True))
CONTENT = (0, 3, 4)  # the parts of VERSION_SQL's row that are not votes

VERSION_SQL = text(
    "SELECT (SELECT MAX(seq) FROM papers) AS seq, (SELECT COUNT(*) FROM votes) AS votes, "
    "(SELECT MAX(created_at) FROM votes) AS last_vote, "
    "(SELECT SUM(upvotes) FROM hf_papers) AS hf, "
    "(SELECT MAX(updated_at) FROM index_state) AS derived")


holes: ContextVar[bool] = ContextVar("pf_holes", default=False)  # render() sets it


def vote_hole(paper_id: str, hf_upvotes: int, local_votes: int) -> str:
    """A vote count (local votes + `hf_upvotes`) as the page shows it: the number itself, or in
    a rendering the cache keeps, a hole the cache fills with the current count."""
    if not holes.get():
        return str(hf_upvotes + local_votes)
    return f"\x00pfv{int(hf_upvotes)}:{html.escape(paper_id)}\x00"


def votes_only_in_holes(state: Any) -> None:
    """Say (on request.state) that nothing but the holes of this page depends on votes."""
    setattr(state, HOLES_FLAG, True)


@dataclass
class Entry:
    version: tuple[Any, ...]
    born: float
    headers: list[tuple[bytes, bytes]]
    body: bytes
    gz: bytes
    etag: bytes
    parts: list[bytes]  # the rendering split at its holes: text, hf, id, text, hf, id, ..., text
    counts: dict[str, int]  # local votes per paper id, as filled in
    holes_only: bool  # survives a change of votes by refilling its holes

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gz)


def _content(version: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(version[i] for i in CONTENT) if version else ()


def _ids(parts: list[bytes]) -> list[str]:
    return sorted({html.unescape(parts[i].decode()) for i in range(2, len(parts), 3)})


def _fill(parts: list[bytes], counts: dict[str, int]) -> bytes:
    out = [parts[0]]
    for i in range(1, len(parts), 3):
        local = counts.get(html.unescape(parts[i + 1].decode()), 0)
        out += [str(int(parts[i]) + local).encode(), parts[i + 2]]
    return b"".join(out)


def _entry(version: tuple[Any, ...], born: float, headers: list[tuple[bytes, bytes]],
           parts: list[bytes], counts: dict[str, int], holes_only: bool) -> Entry:
    body = _fill(parts, counts)
    etag = b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'
    return Entry(version, born, headers, body, gzip.compress(body, 6), etag, parts, counts,
                 holes_only)


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

    def _read_counts(self, ids: list[str]) -> dict[str, int]:
        if not ids:
            return {}
        with self.engine.connect() as conn:
            return {str(p): int(n) for p, n in conn.execute(COUNTS_SQL, {"ids": ids})}

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
        if entry is not None and time.monotonic() - entry.born > MAX_AGE_S:
            entry = None
        if entry is not None and entry.version != version:
            same_content = bool(version) and _content(entry.version) == _content(version)
            entry = (await self._refill_once(key, entry, version)
                     if entry.holes_only and same_content else None)
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

    async def _refill_once(self, key: bytes, entry: Entry, version: tuple[Any, ...]) -> Entry:
        """The entry with its holes filled from the current votes (shared by the requests that
        arrive meanwhile, as renderings are)."""
        if key in self.inflight:
            fresh = await asyncio.shield(self.inflight[key])
            return fresh if fresh is not None and fresh.version == version else entry
        fut: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        self.inflight[key] = fut
        fresh = entry
        try:
            counts = await anyio.to_thread.run_sync(self._read_counts, _ids(entry.parts))
            if counts == entry.counts:
                entry.version = version
            else:
                fresh = _entry(version, entry.born, entry.headers, entry.parts, counts, True)
                self._store(key, fresh)
        finally:
            fut.set_result(fresh)
            if self.inflight.get(key) is fut:
                del self.inflight[key]
        return fresh

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
        body = b"".join(m.get("body", b"") for m in messages[1:])
        parts = HOLE.split(body)
        counts = (await anyio.to_thread.run_sync(self._read_counts, _ids(parts))
                  if len(parts) > 1 else {})
        if (start.get("status") != 200 or b"set-cookie" in names
                or not ctype.startswith(b"text/html")):  # answered as rendered, holes filled
            filled = _fill(parts, counts)
            headers = [(k, str(len(filled)).encode() if k.lower() == b"content-length" else v)
                       for k, v in headers]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": filled})
            return None
        keep = [(k, v) for k, v in headers
                if k.lower() not in (b"content-length", b"etag", b"vary", b"cache-control")]
        holes_only = bool(inner["state"].get(HOLES_FLAG))
        entry = _entry(version, time.monotonic(), keep, parts, counts, holes_only)
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
