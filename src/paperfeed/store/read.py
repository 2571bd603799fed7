"""Read papers back: one paper, lists, counts. Shared by the CLI, the web app and the API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, text

from paperfeed.ids import abs_url, is_arxiv_id, pdf_url
from paperfeed.store.merge import loads

LIST_COLS = (
    "p.id, p.title, p.abstract, p.authors, p.categories, p.primary_category, p.submitted, "
    "p.updated, p.announced, p.version, p.comment, p.links, COALESCE(h.upvotes, 0) AS hf_upvotes"
)


def paper_from_row(row: Any) -> dict[str, Any]:
    """A paper as plain JSON-able data, with its JSON columns decoded and links filled in."""
    d = dict(row)
    for k in ("authors", "categories", "versions", "links", "ai_keywords"):
        if k in d:
            d[k] = loads(d[k])
    links = d.get("links") or {}
    if is_arxiv_id(d["id"]):
        links = {"abs": abs_url(d["id"]), "pdf": pdf_url(d["id"]), **links}
    if "links" in d:
        d["links"] = links
    return d


def get_paper(conn: Connection, paper_id: str) -> dict[str, Any] | None:
    """A paper with its provenance and Hugging Face data, or None."""
    row = conn.execute(
        text("SELECT * FROM papers WHERE id = :id"), {"id": paper_id}
    ).mappings().first()
    if row is None:
        return None
    paper = paper_from_row(row)
    hf = conn.execute(
        text("SELECT * FROM hf_papers WHERE paper_id = :id"), {"id": paper_id}
    ).mappings().first()
    if hf is not None:
        paper["hf"] = {k: v for k, v in paper_from_row({"id": paper_id, **hf}).items()
                       if k not in ("id", "paper_id")}
    paper["sources"] = [
        dict(r) for r in conn.execute(
            text("SELECT source, version, first_seen, changed_at FROM paper_sources "
                 "WHERE paper_id = :id ORDER BY first_seen, source"), {"id": paper_id}
        ).mappings()
    ]
    return paper


def count_papers(conn: Connection) -> int:
    return int(conn.execute(text("SELECT COUNT(*) FROM papers")).scalar_one())


def stats(conn: Connection) -> dict[str, Any]:
    """Totals a user wants to see first: papers, date span, top categories, sources."""
    row = conn.execute(text(
        "SELECT COUNT(*) AS papers, MIN(announced) AS first, MAX(announced) AS last, "
        "MAX(seq) AS seq FROM papers"
    )).mappings().one()
    cats = conn.execute(text(
        "SELECT primary_category AS category, COUNT(*) AS n FROM papers "
        "WHERE primary_category IS NOT NULL GROUP BY primary_category ORDER BY n DESC, category "
        "LIMIT 10"
    )).mappings().all()
    sources = conn.execute(text(
        "SELECT source, COUNT(*) AS n FROM paper_sources GROUP BY source ORDER BY n DESC"
    )).mappings().all()
    hf = conn.execute(text("SELECT COUNT(*) FROM hf_papers")).scalar_one()
    return {
        "papers": int(row["papers"]),
        "first_announced": row["first"],
        "last_announced": row["last"],
        "change_seq": int(row["seq"] or 0),
        "with_hf_upvotes": int(hf),
        "top_categories": {r["category"]: int(r["n"]) for r in cats},
        "sources": {r["source"]: int(r["n"]) for r in sources},
    }


def latest_papers(
    conn: Connection, limit: int = 10, category: str | None = None
) -> list[dict[str, Any]]:
    """The most recently announced papers, optionally of one category."""
    where = ""
    params: dict[str, Any] = {"limit": limit}
    if category:
        where = "WHERE p.id IN (SELECT paper_id FROM paper_categories WHERE category = :cat)"
        params["cat"] = category
    rows = conn.execute(text(
        f"SELECT {LIST_COLS} FROM papers p LEFT JOIN hf_papers h ON h.paper_id = p.id {where} "
        "ORDER BY p.announced DESC, p.id DESC LIMIT :limit"
    ), params).mappings()
    return [paper_from_row(r) for r in rows]


def iter_papers(conn: Connection, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Every paper in id order, fetched in keyset-paginated batches (constant memory)."""
    last = ""
    while True:
        rows = conn.execute(
            text("SELECT * FROM papers WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": batch},
        ).mappings().all()
        if not rows:
            return
        for r in rows:
            yield paper_from_row(r)
        last = rows[-1]["id"]
