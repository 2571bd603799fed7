"""What the web app writes for other programs: absolute links, cache policy, CSV cells.

Absolute links come from PAPERFEED_BASE_URL. Without it they fall back to the address the
request named (its Host header, which any client can set), so such responses are marked
`private`: no shared cache keeps a feed or CSV whose links a stranger chose (the reader's own
cache still may).
CSV cells that a spreadsheet would run as a formula are neutralised (OWASP "CSV injection").
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def configured_base(request: Request) -> str | None:
    """PAPERFEED_BASE_URL (no trailing slash), or None when it is not set."""
    base: str | None = request.app.state.settings.base_url
    return base.rstrip("/") if base else None


def link_base(request: Request) -> str:
    """The base of absolute links: the configured one, else the request's own address."""
    return configured_base(request) or str(request.base_url).rstrip("/")


def shared_cache(request: Request, public: str) -> str:
    """`public` (e.g. "public, max-age=600") when links use the configured base URL; else
    private: links built from the Host header must not reach anyone else through a cache."""
    if configured_base(request):
        return public
    return ", ".join(["private"] + [d.strip() for d in public.split(",")
                                    if d.strip() not in ("public", "s-maxage")])


def csv_cell(value: Any) -> Any:
    """A CSV cell that spreadsheets show as text: a string starting with = + - @ (or a tab,
    CR or LF) gets a leading apostrophe. Numbers stay numbers (-0.5 is not a formula)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
