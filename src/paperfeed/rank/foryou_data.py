"""What For-you reads from the store and its indexes: paper rows, vectors, candidates, background.

Every read goes through an index (primary keys, `seq`, tantivy, usearch): nothing here scans
every paper, so it holds at a million papers.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any

import numpy as np
import orjson
import tantivy
from sqlalchemy import Connection, Engine, bindparam, text

from paperfeed.index.vectors import from_blob

CHUNK = 500


class PaperText:
    """A paper as For-you reads it. `authors` and `categories` may be given as the stored
    JSON text: then they are decoded on first use (most candidates never need them)."""

    __slots__ = ("_authors", "_categories", "abstract", "announced", "id", "title")

    def __init__(self, id: str, title: str, abstract: str, authors: list[str] | Any,
                 categories: list[str] | Any, announced: str | None) -> None:
        self.id, self.title, self.abstract, self.announced = id, title, abstract, announced
        self._authors, self._categories = authors, categories

    @property
    def authors(self) -> list[str]:
        if not isinstance(self._authors, list):
            self._authors = _decode(self._authors)
        return self._authors

    @property
    def categories(self) -> list[str]:
        if not isinstance(self._categories, list):
            self._categories = _decode(self._categories)
        return self._categories

    def __repr__(self) -> str:
        return f"PaperText({self.id!r}, {self.title!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PaperText) and (
            self.id, self.title, self.abstract, self.authors, self.categories, self.announced
        ) == (other.id, other.title, other.abstract, other.authors, other.categories,
              other.announced)

    __hash__ = None  # type: ignore[assignment]  # as a dataclass: mutable, unhashable


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for s in range(0, len(ids), CHUNK):
        yield ids[s:s + CHUNK]


def _decode(raw: Any) -> list[str]:
    if not raw:
        return []
    try:
        v = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return []
    return [str(x) for x in v] if isinstance(v, list) else []


def load_texts(conn: Connection, ids: Iterable[str]) -> dict[str, PaperText]:
    """The stored papers among `ids` (unknown ids are simply absent)."""
    out: dict[str, PaperText] = {}
    q = text("SELECT id, title, abstract, authors, categories, announced, submitted "
             "FROM papers WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
    for chunk in _chunks(list(dict.fromkeys(ids))):
        for i, title, abstract, authors, cats, announced, submitted in conn.execute(
                q, {"ids": chunk}).all():
            out[i] = PaperText(i, title or "", abstract or "", authors, cats,
                               announced or submitted)
    return out


def load_vectors(conn: Connection, model_id: str | None, ids: Iterable[str],
                 index: Any = None) -> dict[str, np.ndarray]:
    """Stored vectors of `model_id` for those of `ids` that have one: from the vector
    `index` where it holds them (the same values, ~30x faster than the database's blobs),
    the rest from `paper_vectors`."""
    if not model_id:
        return {}
    ids = list(dict.fromkeys(ids))
    out: dict[str, np.ndarray] = index.vectors(ids) if index is not None else {}
    q = text("SELECT paper_id, vec FROM paper_vectors WHERE model_id = :m AND paper_id IN :ids"
             ).bindparams(bindparam("ids", expanding=True))
    for chunk in _chunks([i for i in ids if i not in out]):
        for r in conn.execute(q, {"m": model_id, "ids": chunk}):
            out[r.paper_id] = from_blob(r.vec)
    return out


def background_ids(conn: Connection, n: int, seed: int) -> list[str]:
    """About `n` papers drawn at random positions of the change sequence (index range reads)."""
    lo, hi = conn.execute(text("SELECT MIN(seq), MAX(seq) FROM papers")).one()
    if lo is None:
        return []
    rng = random.Random(seed)
    runs, per = 20, max(1, n // 20)
    q = text("SELECT id FROM papers WHERE seq >= :s ORDER BY seq LIMIT :n")
    out: list[str] = []
    for _ in range(runs):
        s = rng.randint(int(lo), int(hi))
        out.extend(r.id for r in conn.execute(q, {"s": s, "n": per}))
    return list(dict.fromkeys(out))


def by_authors(conn: Connection, keys: list[str], limit: int) -> list[str]:
    """Newest papers of these authors (followed ones, or the positives'), by the author
    lookup table."""
    if not keys:
        return []
    q = text("SELECT DISTINCT a.paper_id, p.seq FROM paper_authors a JOIN papers p "
             "ON p.id = a.paper_id WHERE a.name_key IN :k ORDER BY p.seq DESC LIMIT :n"
             ).bindparams(bindparam("k", expanding=True))
    return [r.paper_id for r in conn.execute(q, {"k": keys, "n": limit})]


def author_counts(conn: Connection, keys: Iterable[str]) -> dict[str, int]:
    """Papers per author key (the author lookup table's index: one range per key)."""
    q = text("SELECT name_key, COUNT(*) AS n FROM paper_authors WHERE name_key IN :k "
             "GROUP BY name_key").bindparams(bindparam("k", expanding=True))
    out: dict[str, int] = {}
    for chunk in _chunks(list(dict.fromkeys(keys))):
        out.update((r.name_key, int(r.n)) for r in conn.execute(q, {"k": chunk}))
    return out


def lexical_candidates(lexical: Any, weighted_terms: list[tuple[str, float]], k: int,
                       filters: list[Any]) -> list[str]:
    """Papers matching a weighted bag of stems (title and abstract), best BM25 first."""
    if lexical is None or not weighted_terms or k <= 0:
        return []
    from paperfeed.index.lexical import SCHEMA

    clauses = []
    for t, w in weighted_terms:
        if " " in t:
            words: list[str | tuple[int, str]] = list(t.split(" "))
            for f in ("title", "abstract"):
                clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(
                    tantivy.Query.phrase_query(SCHEMA, f, words), float(w))))
            continue
        for f, fw in (("title", 0.5), ("abstract", 1.0)):
            clauses.append((tantivy.Occur.Should, tantivy.Query.boost_query(
                tantivy.Query.term_query(SCHEMA, f, t), float(w) * fw)))
    query = lexical.with_filters(tantivy.Query.boolean_query(clauses), filters)
    lexical.refresh()
    res = lexical.searcher.search(query, k, count=False)
    ids: list[str] = lexical._ids(res.hits)
    return ids


def recent_candidates(lexical: Any, k: int, filters: list[Any]) -> list[str]:
    """The newest papers within the filters."""
    if lexical is None or k <= 0:
        return []
    query = lexical.with_filters(tantivy.Query.all_query(), filters)
    res = lexical.searcher.search(query, k, count=False, order_by_field="date",
                                  order=tantivy.Order.Desc)
    ids: list[str] = lexical._ids(res.hits)
    return ids


def engine_model(engine: Engine) -> tuple[Any, Any, str | None]:
    """(lexical index or None, vector index or None, vector model id or None)."""
    from paperfeed.search.hybrid import get_searcher

    s = get_searcher(engine)
    with engine.connect() as conn:  # no vector at all: never load the embedding model
        any_vector = conn.execute(text("SELECT 1 FROM paper_vectors LIMIT 1")).first()
    vectors = s._vectors if any_vector is not None and s.semantic_ready() else None
    return s.lexical, vectors, (vectors.model_id if vectors is not None else None)
