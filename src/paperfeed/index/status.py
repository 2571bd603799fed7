"""How far the embedding of papers has come, for `paperfeed index status` and the web admin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text


def vector_status(engine: Engine, model_id: str) -> dict[str, Any]:
    """Counts of papers, their current vectors of `model_id`, the missing and stale ones.

    `missing`: papers with no vector of this model (including those holding another model's
    vector); `stale`: vectors of this model older than their paper's last change (re-checked
    and, if the text changed, re-embedded by the next `embed_missing`); `other_models`:
    vectors per other model id (deleted by the next `embed_missing` of this model).
    """
    with engine.connect() as conn:
        papers = int(conn.execute(text("SELECT COUNT(*) FROM papers")).scalar_one())
        row = conn.execute(text(
            "SELECT COUNT(*) AS n, "
            "COALESCE(SUM(CASE WHEN v.seq < p.seq THEN 1 ELSE 0 END), 0) AS stale "
            "FROM paper_vectors v JOIN papers p ON p.id = v.paper_id "
            "WHERE v.model_id = :m"), {"m": model_id}).one()
        others = {str(m): int(c) for m, c in conn.execute(text(
            "SELECT model_id, COUNT(*) FROM paper_vectors WHERE model_id != :m "
            "GROUP BY model_id ORDER BY model_id"), {"m": model_id}).all()}
    embedded = int(row.n)
    return {
        "model_id": model_id,
        "papers": papers,
        "embedded": embedded,
        "missing": papers - embedded,
        "stale": int(row.stale),
        "other_models": others,
    }
