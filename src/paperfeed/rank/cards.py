"""Paper cards: the fields every list shows, with vote counts and the viewer's own marks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from paperfeed.index.codelinks import code_links_for
from paperfeed.rank.claims import claims_for, mark_spans
from paperfeed.store.merge import loads
from paperfeed.store.read import paper_from_row

# The one way of counting votes: local votes + Hugging Face upvotes (over `p` JOIN `h`).
LOCAL_VOTES_EXPR = "(SELECT COUNT(*) FROM votes v WHERE v.paper_id = p.id)"
HF_UPVOTES_EXPR = "COALESCE(h.upvotes, 0)"
VOTES_EXPR = f"({HF_UPVOTES_EXPR} + {LOCAL_VOTES_EXPR})"
CARD_COLS = (
    "p.id, p.title, p.abstract, p.authors, p.categories, p.primary_category, p.announced, "
    f"p.links, h.github_repo, h.project_page, {HF_UPVOTES_EXPR} AS hf_upvotes, "
    f"{LOCAL_VOTES_EXPR} AS local_votes"
)
CARD_FROM = "FROM papers p LEFT JOIN hf_papers h ON h.paper_id = p.id"


def set_votes(d: dict[str, Any], local_votes: Any, hf_upvotes: Any) -> dict[str, Any]:
    """`local_votes`, `hf_upvotes` and their sum `votes` on a card (or a paper page)."""
    d["local_votes"], d["hf_upvotes"] = int(local_votes or 0), int(hf_upvotes or 0)
    d["votes"] = d["local_votes"] + d["hf_upvotes"]
    return d


def vote_counts(conn: Connection, paper_id: str) -> dict[str, int]:
    """{"local_votes", "hf_upvotes", "votes"} for one paper."""
    row = conn.execute(text(f"SELECT {LOCAL_VOTES_EXPR} AS local_votes, {HF_UPVOTES_EXPR} AS "
                            f"hf_upvotes {CARD_FROM} WHERE p.id = :p"), {"p": paper_id}).first()
    return set_votes({}, row.local_votes if row else 0, row.hf_upvotes if row else 0)


def set_links(d: dict[str, Any], repo: str | None, page: str | None) -> dict[str, Any]:
    """The card's links: the stored ones (arXiv ...) plus code and project page if known."""
    links = dict(d.get("links") or {})
    if repo:
        links.setdefault("code", repo)
    if page:
        links.setdefault("project", page)
    d["links"] = links
    return d


def card_from_row(row: Any) -> dict[str, Any]:
    """One card: decoded JSON columns, links (arXiv, code, project page) and the vote total."""
    d = paper_from_row(row)
    set_links(d, d.pop("github_repo", None), d.pop("project_page", None))
    return set_votes(d, d.get("local_votes"), d.get("hf_upvotes"))


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
