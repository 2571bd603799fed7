"""Paper cards: the fields every list shows, with vote counts and the viewer's own marks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from paperfeed.index.codelinks import code_links_for
from paperfeed.rank.claims import claims_for, mark_spans
from paperfeed.store.merge import loads
from paperfeed.store.read import paper_from_row

CARD_COLS = (
    "p.id, p.title, p.abstract, p.authors, p.categories, p.primary_category, p.announced, "
    "p.links, h.github_repo, h.project_page, COALESCE(h.upvotes, 0) AS hf_upvotes, "
    "(SELECT COUNT(*) FROM votes v WHERE v.paper_id = p.id) AS local_votes"
)
CARD_FROM = "FROM papers p LEFT JOIN hf_papers h ON h.paper_id = p.id"
VOTES_EXPR = "(COALESCE(h.upvotes, 0) + (SELECT COUNT(*) FROM votes v WHERE v.paper_id = p.id))"


def card_from_row(row: Any) -> dict[str, Any]:
    """One card: decoded JSON columns, links (arXiv, code, project page) and the vote total."""
    d = paper_from_row(row)
    links = dict(d.get("links") or {})
    repo, page = d.pop("github_repo", None), d.pop("project_page", None)
    if repo and "code" not in links:
        links["code"] = repo
    if page and "project" not in links:
        links["project"] = page
    d["links"] = links
    d["hf_upvotes"] = int(d.get("hf_upvotes") or 0)
    d["local_votes"] = int(d.get("local_votes") or 0)
    d["votes"] = d["hf_upvotes"] + d["local_votes"]
    return d


def _in(ids: list[str], prefix: str = "i") -> tuple[str, dict[str, Any]]:
    params = {f"{prefix}{n}": pid for n, pid in enumerate(ids)}
    return ", ".join(f":{k}" for k in params), params


def load_cards(conn: Connection, ids: list[str], user_id: int | None = None
               ) -> list[dict[str, Any]]:
    """Cards for `ids`, in that order (ids not stored are left out)."""
    if not ids:
        return []
    marks, params = _in(ids)
    rows = conn.execute(text(f"SELECT {CARD_COLS} {CARD_FROM} WHERE p.id IN ({marks})"),
                        params).mappings()
    by_id = {r["id"]: card_from_row(r) for r in rows}
    cards = [by_id[i] for i in ids if i in by_id]
    return mark_viewer(conn, cards, user_id)


def mark_viewer(conn: Connection, cards: list[dict[str, Any]], user_id: int | None
                ) -> list[dict[str, Any]]:
    """Add `voted`, `saved` and `tags` for the signed-in viewer (False/None when anonymous),
    and each paper's extracted `claims` (efficiency kinds first; one query for all cards)."""
    claims = claims_for(conn, [c["id"] for c in cards])
    found = code_links_for(conn, [c["id"] for c in cards])  # issue #17: code/project links
    for c in cards:
        c["links"] = {**found.get(c["id"], {}), **(c.get("links") or {})}
        c["has_code"] = bool(c["links"].get("code"))
        c["voted"], c["saved"], c["tags"] = False, False, []
        c["claims"] = claims.get(c["id"], [])
        if c["claims"]:
            mark_spans(c.get("abstract") or "", c["claims"])
    if user_id is None or not cards:
        return cards
    marks, params = _in([c["id"] for c in cards])
    params["u"] = user_id
    voted = set(conn.execute(text(
        f"SELECT paper_id FROM votes WHERE user_id = :u AND paper_id IN ({marks})"), params
    ).scalars())
    saved: dict[str, str | None] = dict(conn.execute(text(
        f"SELECT paper_id, tags FROM library WHERE user_id = :u AND paper_id IN ({marks})"),
        params).all())
    for c in cards:
        c["voted"] = c["id"] in voted
        if c["id"] in saved:
            c["saved"] = True
            c["tags"] = loads(saved[c["id"]]) or []
    return cards


def hidden_clause(user_id: int | None) -> str:
    """SQL that drops papers the viewer marked "not interested" (empty for anonymous)."""
    if user_id is None:
        return ""
    return " AND p.id NOT IN (SELECT paper_id FROM not_interested WHERE user_id = :viewer)"
