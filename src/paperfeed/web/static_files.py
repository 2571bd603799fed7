"""Static files with long-lived caching: fingerprinted URLs (`?v=<hash>`) are immutable."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).with_name("static")
IMMUTABLE = "public, max-age=31536000, immutable"  # the URL changes when the file does
PLAIN = "public, max-age=86400"  # files reached without a fingerprint (KaTeX's fonts)


@functools.cache
def static_url(name: str) -> str:
    """/static/<name>?v=<first 10 hex of its sha256>: templates link files through this."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


class CachedStatic(StaticFiles):
    """StaticFiles (ETag, Last-Modified, 304) plus Cache-Control."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        resp = await super().get_response(path, scope)
        if resp.status_code in (200, 304):
            fingerprinted = b"v=" in scope.get("query_string", b"")
            resp.headers["cache-control"] = IMMUTABLE if fingerprinted else PLAIN
        return resp
