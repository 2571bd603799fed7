"""Paper ids as users write them (bare, arXiv:-prefixed, versioned, URLs) -> stored ids."""

from __future__ import annotations

from sqlalchemy import Engine, bindparam, text

from paperfeed.ids import InvalidId, normalize_paper_id


def resolve_ids(engine: Engine, raw: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """(stored ids in the given order, without repeats; [(raw, why it was skipped)])."""
    norm: list[tuple[str, str]] = []
    bad: list[tuple[str, str]] = []
    for r in raw:
        try:
            norm.append((r, normalize_paper_id(r)))
        except InvalidId:
            bad.append((r, "not an arXiv id"))
    ids = list(dict.fromkeys(n for _, n in norm))
    have: set[str] = set()
    q = text("SELECT id FROM papers WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True))
    with engine.connect() as conn:
        for s in range(0, len(ids), 500):
            have.update(r.id for r in conn.execute(q, {"ids": ids[s:s + 500]}))
    bad += [(r, "no such paper stored") for r, n in norm if n not in have]
    return [i for i in ids if i in have], bad
