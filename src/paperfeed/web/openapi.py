"""The OpenAPI document, saying what the API really answers (checked by schemathesis).

FastAPI documents a 422 in its own shape and nothing else. Ours differ (web/errors.py), so the
schema is completed here, in one place, from the routes themselves:
- every error is `Error` (`{"error", "status", "detail"?}`), JSON under /api, HTML elsewhere;
- 400 where a request has a body (it may not parse), 404 where the path names something,
  401 on every API route (a bad token is refused anywhere, none where an account is needed),
  403 where the route needs an account (a cookie session without its CSRF token, or a token
  without the scope), 503 everywhere (the request time budget, or the write lock busy: both
  send Retry-After).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

# "holds a character that is not white space" with white space as Python's str.split() sees
# it, written out so that it means the same in JSON Schema (ECMA), Python and Rust regexes
NOT_BLANK = (r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f"
             r"\u3000]")
ERROR = {
    "title": "Error",
    "type": "object",
    "required": ["error", "status"],
    "properties": {
        "error": {"type": "string", "description": "what was wrong, for people"},
        "status": {"type": "integer", "description": "the HTTP status again"},
        "detail": {"type": "array", "description": "each bad parameter of a 422",
                   "items": {"type": "object", "required": ["parameter", "message"],
                             "properties": {"parameter": {"type": "string"},
                                            "message": {"type": "string"}}}},
    },
}
WHY = {
    "400": "The body is not valid JSON.",
    "401": "No account where one is needed (sign in or send `Authorization: Bearer <token>`),"
           " or an invalid, expired or revoked token on any request.",
    "403": "A cookie session without its X-CSRF-Token, or a token without the scope.",
    "404": "Nothing here by that id or name.",
    "422": "A parameter or field is invalid; `detail` names each.",
    "503": "Busy (the request's time budget or the write lock); retry after Retry-After seconds.",
}


def _error_response(code: str, api: bool) -> dict[str, Any]:
    if api:
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    else:
        content = {"text/html": {"schema": {"type": "string"}}}
    return {"description": WHY.get(code, "Error"), "content": content}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Add our error responses to a FastAPI-made schema (in place). An operation that needs
    an account says so by its `security` (the bearer dependency of web/api.py's
    signed_in/changing)."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR
    for path, item in schema.get("paths", {}).items():
        api = path.startswith("/api/")
        for op in item.values():
            codes = ["422", "503"]
            if op.get("requestBody"):
                codes.append("400")
            if "{" in path:
                codes.append("404")
            if api:  # a bad token is refused on any request, not only where one is needed
                codes.append("401")
            if op.get("security"):
                codes += ["401", "403"]
            responses = op.setdefault("responses", {})
            for code in sorted(set(codes) | {c for c in responses if c >= "400"}):
                why = responses.get(code, {}).get("description") or WHY.get(code, "Error")
                responses[code] = {**_error_response(code, api), "description": why}
    return schema


def install(app: FastAPI) -> None:
    """Serve the completed schema at app.openapi_url (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
