"""One paper as its page and the API show it: stored fields, votes, links, the viewer's marks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from paperfeed.rank.cards import mark_viewer, set_links, vote_counts
from paperfeed.rank.claims import mark_spans
from paperfeed.store.read import get_paper


def paper_view(conn: Connection, paper_id: str, user_id: int | None = None
               ) -> dict[str, Any] | None:
    """get_paper() plus vote counts, code/project links, the viewer's vote/library marks and
    the extracted `claims` (web/render.claims_abstract highlights them in the abstract)."""
    paper = get_paper(conn, paper_id)
    if paper is None:
        return None
    hf = paper.get("hf") or {}
    set_links(paper, hf.get("github_repo"), hf.get("project_page"))
    paper.update(vote_counts(conn, paper["id"]))
    mark_viewer(conn, [paper], user_id)
    mark_spans(paper.get("abstract") or "", paper["claims"])  # each claim's `marked`
    paper["not_interested"] = bool(user_id is not None and conn.execute(text(
        "SELECT 1 FROM not_interested WHERE user_id = :u AND paper_id = :p"),
        {"u": user_id, "p": paper_id}).first())
    return paper
