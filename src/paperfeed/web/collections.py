"""Zotero in and out on the web (BibTeX/RIS upload and download of the library or a tag) and
public collections: /c/{slug} as a page, RSS/Atom feed, BibTeX file and JSON (issue #17)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response

from paperfeed.accounts.collections import NoSuchTag, collection, publish, unpublish
from paperfeed.accounts.references import (
    FORMATS,
    BadReferences,
    export_papers,
    import_references,
    library_ids,
)
from paperfeed.rank.cards import load_cards
from paperfeed.web.auth import check_csrf, get_viewer, require_user
from paperfeed.web.feeds import _build, _format, respond
from paperfeed.web.pages import engine_of
from paperfeed.web.render import query_url, render

router = APIRouter(include_in_schema=False)

MAX_UPLOAD = 5 * 1024 * 1024
OptTag = Annotated[str | None, Form(max_length=40)]
OptStr = Annotated[str | None, Form(max_length=2000)]
JSON_KEYS = ("id", "title", "authors", "abstract", "categories", "announced", "links", "votes")
EXTENSIONS = {ext: fmt for fmt, (_, _, ext) in FORMATS.items()}


def _file(body: str, fmt: str, name: str) -> Response:
    _, media, ext = FORMATS[fmt]
    return Response(body, media_type=f"{media}; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.{ext}"'})


@router.post("/library/import")
async def import_upload(request: Request, file: Annotated[UploadFile, File()],
                        tag: OptTag = None, csrf: OptStr = None) -> Response:
    """Save the papers of an uploaded BibTeX/RIS file; show what matched and what did not."""
    viewer = get_viewer(request)
    check_csrf(request, viewer, csrf)
    user = require_user(viewer, api=False)
    raw = await file.read(MAX_UPLOAD + 1)
    error, result = None, None
    if len(raw) > MAX_UPLOAD:
        error = "the file is over 5 MB: export a smaller part of the library"
    else:
        try:
            result = import_references(engine_of(request), user.id,
                                       raw.decode("utf-8-sig"), file.filename or "",
                                       tag or None)
        except UnicodeDecodeError:
            error = "the file is not UTF-8 text: export it from Zotero as UTF-8"
        except BadReferences as e:
            error = str(e)
    return render(request, "library_import.html",
                  {"result": result, "error": error, "tag": tag, "name": file.filename,
                   "nav": "library"}, status=422 if error else 200)


@router.get("/library/export.{ext}")
def export_download(request: Request, ext: str,
                    tag: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    """The signed-in user's library (or one tag) as library.bib or library.ris."""
    if ext not in EXTENSIONS:
        raise HTTPException(404, "the library exports as .bib or .ris")
    user = require_user(get_viewer(request), api=False)
    with engine_of(request).connect() as conn:
        body = export_papers(conn, library_ids(conn, user.id, tag), EXTENSIONS[ext])
    return _file(body, EXTENSIONS[ext], f"paperfeed-{tag}" if tag else "paperfeed-library")


@router.post("/library/public")
def set_public(request: Request, tag: Annotated[str, Form(max_length=40)],
               on: OptStr = "1", title: OptStr = None, csrf: OptStr = None) -> Response:
    """Make a tag a public collection (on=1) or private again (on=0)."""
    viewer = get_viewer(request)
    check_csrf(request, viewer, csrf)
    user = require_user(viewer, api=False)
    if on in ("0", "false", "off", ""):
        unpublish(engine_of(request), user.id, tag)
    else:
        try:
            publish(engine_of(request), user.id, tag, (title or "").strip()[:200] or None)
        except NoSuchTag as e:
            raise HTTPException(422, str(e)) from None
    return RedirectResponse(query_url("/library", {}, tag=tag), status_code=303)


def _collection(request: Request, slug: str, limit: int = 500
                ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with engine_of(request).connect() as conn:
        c = collection(conn, slug)
        if c is None:
            raise HTTPException(404, f"no public collection {slug!r} here (it may be private)")
        ids = library_ids(conn, c["user_id"], c["tag"])[:limit]
        return c, load_cards(conn, ids)


def _split(rest: str) -> tuple[str, str | None]:
    slug, dot, ext = rest.rpartition(".")
    return (slug, ext) if dot else (rest, None)


@router.get("/c/{rest}")
def collection_view(request: Request, rest: Annotated[str, Path(max_length=120)]) -> Response:
    """A public collection: the page, or .atom / .rss / .bib / .json."""
    slug, ext = _split(rest)
    if ext is None:
        c, cards = _collection(request, slug)
        return render(request, "collection.html", {"c": c, "papers": cards})
    if ext in ("atom", "rss"):
        c, cards = _collection(request, slug, 200)
        with engine_of(request).connect() as conn:
            feed = _build(request, conn, cards, page=f"/c/{slug}",
                          title=f"paperfeed: {c['title']}",
                          subtitle=f"A collection by {c['owner']}, last saved first.")
        return respond(request, feed, _format(ext))
    if ext in EXTENSIONS:
        c, cards = _collection(request, slug)
        with engine_of(request).connect() as conn:
            body = export_papers(conn, [p["id"] for p in cards], EXTENSIONS[ext])
        return _file(body, EXTENSIONS[ext], slug)
    if ext == "json":
        c, cards = _collection(request, slug)
        return JSONResponse({"slug": slug, "title": c["title"], "tag": c["tag"],
                             "owner": c["owner"], "created_at": c["created_at"],
                             "papers": [{k: p.get(k) for k in JSON_KEYS} for p in cards]})
    raise HTTPException(404, "a collection comes as a page, .atom, .rss, .bib, .ris or .json")
