"""Hybrid search: BM25 (tantivy) and sentence vectors, fused by a convex combination of their
min-max normalised scores (weighted reciprocal rank is the other method, for comparison).

A `Searcher` holds the opened indexes and the embedder, so a web app or `search --batch` loads
the model once. Without vectors for the model (before `paperfeed index update`) it answers
lexically and says so in `note`.
"""

from __future__ import annotations

import heapq
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import orjson
from sqlalchemy import Engine, text

from paperfeed.index.embed import (  # noqa: F401 (re-exported: callers import them from here)
    DEFAULT_MODEL,
    DEFAULT_MODEL_ENV,
    default_model,
    load_builtin_embedders,
)
from paperfeed.index.lexical import (
    EN,
    LexicalIndex,
    LexicalIndexMissing,
    ParsedQuery,
    parse_query,
)
from paperfeed.index.lexical import NAME as LEXICAL
from paperfeed.index.protocol import Watch
from paperfeed.search import trust
from paperfeed.search.snippets import make_snippet
from paperfeed.search.spelling import Speller
from paperfeed.store.index_state import read_state

Mode = Literal["hybrid", "lexical", "semantic"]
Sort = Literal["relevance", "date"]

Fusion = Literal["cc", "rrf"]
# Fusion, tuned on SciFact train + known_items_dev + topics_dev only (bench/fusion_grid.py):
# "cc" = W_LEXICAL * minmax(BM25) + W_SEMANTIC * minmax(cosine) over each side's top DEPTH;
# "rrf" = sum of w / (RRF_K + rank), the method before #12.
FUSION: Fusion = "cc"
W_LEXICAL, W_SEMANTIC = 0.6, 0.4
RRF_K = 10.0
RRF_W_LEXICAL, RRF_W_SEMANTIC = 1.0, 0.7
LONG_QUERY_WORDS = 40  # a pasted abstract: lean on the vectors, keep the specific words
LONG_LEXICAL = 0.5  # ... by halving the lexical weight (either method)
LONG_QUERY_TERMS = 24
DEPTH = 100  # candidates taken from each retriever
QUERY_CACHE = 1024  # query vectors kept
FILTER_OVERFETCH = 10  # semantic candidates per wanted hit when filters apply
FILTER_EXACT_MAX = 5000  # filters passing at most this many papers: exact vector search


@dataclass
class Hit:
    id: str
    title: str
    score: float
    snippet: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    announced: str | None = None
    lexical_rank: int | None = None  # 1-based rank in the BM25 list, None if absent
    semantic_rank: int | None = None  # 1-based rank in the vector list
    match: str = "words"  # why it is here: "id" (named in the query), "author", "words", "meaning"
    spans: list[tuple[int, int]] = field(default_factory=list)  # query words in `snippet`

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int | None  # papers matching lexically (None where unknown: semantic ranking)
    mode_used: str
    note: str | None = None
    corrected: str | None = None  # the query searched instead, when words were misspelt
    id_match: str | None = None  # the paper an id, URL or DOI in the query names
    author: str | None = None  # the author the query names (their papers come first)
    without_filters: int | None = None  # lexical matches were the filters dropped (none left)
    reason: str | None = None  # why nothing was searched: "stopwords"

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "mode_used": self.mode_used, "note": self.note,
                "corrected": self.corrected, "id_match": self.id_match, "author": self.author,
                "without_filters": self.without_filters, "reason": self.reason,
                "hits": [h.to_json() for h in self.hits]}


def convex(lists: list[tuple[dict[str, float], float]], depth: int | None = None
           ) -> list[tuple[str, float]]:
    """Convex combination of scores: sum of w * (s - min) / (max - min), each list's scores
    min-max normalised within the list (a paper a list lacks scores 0 there).

    With `depth`, min is the depth-th best score and lower ones count as absent (0): deeper
    pages fetch longer lists, and this keeps the first `depth` results where they were."""
    scores: dict[str, float] = {}
    for sc, w in lists:
        if not sc:
            continue
        hi = max(sc.values())
        lo = (min(sc.values()) if depth is None or len(sc) <= depth
              else heapq.nlargest(depth, sc.values())[-1])
        span = hi - lo
        for pid, v in sc.items():
            scores[pid] = scores.get(pid, 0.0) + w * (max(0.0, (v - lo) / span) if span > 0
                                                      else 1.0)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def rrf(lists: list[tuple[list[str], float]], k: float = RRF_K) -> list[tuple[str, float]]:
    """Weighted reciprocal-rank fusion of ranked id lists: sum of w / (k + rank)."""
    scores: dict[str, float] = {}
    for ids, w in lists:
        for r, pid in enumerate(ids, 1):
            scores[pid] = scores.get(pid, 0.0) + w / (k + r)
    return sorted(scores.items(), key=lambda kv: -kv[1])


class Searcher:
    """Opened lexical and vector indexes plus the query embedder, reused across queries."""

    def __init__(self, engine: Engine, model: str | None = None, embedder: Any = None,
                 vectors: Any = None, catch_up: bool = True) -> None:
        """`catch_up=True` (the CLI, a writer) first brings the lexical index up to date;
        `catch_up=False` (web processes) only reads. Either way the opened indexes are
        read-only and `refresh()` picks up what writers add later."""
        self.engine = engine
        self.model = model or default_model()
        self._embedder = embedder
        self._vectors = vectors
        self._semantic_note: str | None = None
        self._semantic_tried = vectors is not None
        # fusion settings (module defaults; the benchmarks set them per Searcher)
        self.rrf_k = RRF_K
        self.set_fusion(FUSION)
        self.spelling = True  # correct words no paper has (the benchmark's baseline turns it off)
        self._qcache: dict[str, np.ndarray] = {}
        self._reader = not catch_up
        if catch_up:
            from paperfeed.index.refresh import refresh

            refresh(engine, only=["lexical"])
        self.lexical: LexicalIndex | None = self._open_lexical()
        # before the first build: watch for the lexical index's row to appear
        self._appeared = Watch(lambda: read_state(engine, LEXICAL))

    def set_fusion(self, method: Fusion) -> None:
        """Fuse by `method` with its tuned weights ("cc" or "rrf")."""
        if method not in ("cc", "rrf"):
            raise ValueError(f"unknown fusion {method!r}: use cc or rrf")
        self.fusion: Fusion = method
        self.w_lexical, self.w_semantic = ((W_LEXICAL, W_SEMANTIC) if method == "cc"
                                           else (RRF_W_LEXICAL, RRF_W_SEMANTIC))

    def _open_lexical(self) -> LexicalIndex | None:
        try:
            return LexicalIndex.open(self.engine)
        except LexicalIndexMissing:
            return None

    def refresh(self, force: bool = False) -> None:
        """Pick up what writers added since the last look: cheap, throttled, reads only."""
        if self.lexical is None:
            if self._appeared.changed(force):
                self.lexical = self._open_lexical()
        else:
            self.lexical.refresh(force)
        reload = getattr(self._vectors, "refresh", None)
        if reload is not None:
            reload(force)

    # the semantic side is loaded on first use --------------------------------------------

    def _load_semantic(self) -> None:
        self._semantic_tried = True
        load_builtin_embedders()
        try:
            from paperfeed.index.embed import get_embedder, not_ready
            from paperfeed.index.vectors import VectorIndex
        except ImportError as e:
            self._semantic_note = f"semantic search unavailable ({e}); showing lexical results"
            return
        try:
            if self._embedder is None:
                why = not_ready(self.model) if self._reader else None
                if why:
                    self._semantic_note = f"semantic search unavailable ({why}); showing " \
                                          "lexical results"
                    return
                self._embedder = get_embedder(self.model)
            self._vectors = VectorIndex.open(self.engine, self._embedder.model_id,
                                             readonly=True)
        except (ValueError, OSError, RuntimeError) as e:
            self._semantic_note = f"semantic search unavailable ({e}); showing lexical results"
            self._vectors = None

    def semantic_ready(self) -> bool:
        """Whether vectors exist for the model (else hybrid degrades to lexical with a note)."""
        if not self._semantic_tried:
            self._load_semantic()
        if self._vectors is None or self._embedder is None:
            return False
        if len(self._vectors) == 0:
            self._semantic_note = (f"no vectors for model {self.model!r} yet: run `paperfeed "
                                   "index update`; showing lexical results")
            return False
        return True

    def embed_query(self, query: str) -> np.ndarray:
        """The query's vector (recent ones are cached: pagination re-asks the same query)."""
        assert self._embedder is not None
        vec = self._qcache.pop(query, None)
        if vec is None:
            vec = np.asarray(self._embedder.embed([query], kind="query")[0], dtype=np.float32)
        self._qcache[query] = vec
        if len(self._qcache) > QUERY_CACHE:
            del self._qcache[next(iter(self._qcache))]
        return vec

    # retrievers ---------------------------------------------------------------------------

    def _lex(self, q: ParsedQuery, depth: int, filters: dict[str, Any], max_terms: int,
             count: bool) -> tuple[list[str], dict[str, float], int | None]:
        if self.lexical is None or q.empty:
            return [], {}, 0
        res = self.lexical.search(q, depth, max_terms=max_terms, count=count, **filters)
        return ([h.id for h in res.hits], {h.id: h.score for h in res.hits},
                res.total if count else None)

    def _sem(self, qvec: np.ndarray, depth: int, filters: dict[str, Any]
             ) -> tuple[list[str], dict[str, float]]:
        assert self._vectors is not None
        active = any(v for v in filters.values())
        want = depth * FILTER_OVERFETCH if active else depth
        allowed: list[str] | None = None
        if active and self.lexical is not None:
            # a selective filter: search exactly among the papers that pass it
            _, n = self.lexical.filtered_ids(0, **filters)
            if n <= FILTER_EXACT_MAX:
                allowed, _ = self.lexical.filtered_ids(max(n, 1), **filters)
        if allowed is not None:
            pairs = self._vectors.search(qvec, depth, ids_filter=allowed)
        else:
            pairs = self._vectors.search(qvec, min(want, 5000))
        if active and self.lexical is not None:
            ok = self.lexical.allowed([p for p, _ in pairs], **filters)
            pairs = [(p, s) for p, s in pairs if p in ok]
        pairs = pairs[:depth]
        return [p for p, _ in pairs], dict(pairs)

    # the public entry points --------------------------------------------------------------

    def search(self, query: str, k: int = 10, offset: int = 0, category: str | None = None,
               since: str | None = None, until: str | None = None, author: str | None = None,
               sort: Sort = "relevance", mode: Mode = "hybrid", count: bool = False
               ) -> SearchResult:
        """The best `k` papers after `offset` for `query` within the filters.

        `count=True` also counts every lexical match (`total`); that costs a full pass over
        the matches, so relevance search skips it by default (`total` is then None).
        """
        if sort not in ("relevance", "date"):
            raise ValueError(f"unknown sort {sort!r}: use relevance or date")
        if mode not in ("hybrid", "lexical", "semantic"):
            raise ValueError(f"unknown mode {mode!r}: use hybrid, lexical or semantic")
        self.refresh()
        filters: dict[str, Any] = {"category": category, "since": since, "until": until,
                                   "author": author}
        query = query or ""
        if self.lexical is None:
            return SearchResult([], 0, "lexical", "no search index yet: import papers first")
        ref = trust.find_paper(self.engine, query)
        if ref is not None and not ref.only and len(query.split()) > trust.MAX_REF_WORDS:
            ref = None  # an id cited inside a pasted abstract names no answer
        if ref is not None and ref.only:
            if ref.paper_id is None:
                return SearchResult([], 0, "id", ref.missing_note(), id_match=None)
            hits = [Hit(ref.paper_id, "", 1.0, match="id")] if offset == 0 else []
            return SearchResult(self._hydrate(hits, None), 1, "id", None, id_match=ref.paper_id)
        words_query = ref.rest if ref is not None else query
        q = parse_query(words_query)
        if q.empty and words_query.strip():
            if ref is not None and ref.paper_id is not None:
                hits = [Hit(ref.paper_id, "", 1.0, match="id")] if offset == 0 else []
                return SearchResult(self._hydrate(hits, None), 1, "id", None,
                                    id_match=ref.paper_id)
            return SearchResult([], 0, "lexical", trust.stopword_note(words_query),
                                reason="stopwords")
        corrected: str | None = None
        if self.spelling and q.words <= LONG_QUERY_WORDS and words_query.strip():
            fix = Speller(self.lexical.searcher).correct(words_query)
            if fix.changed:
                corrected = words_query = fix.query
                q = parse_query(words_query)
            q.fuzzy = [t for w in fix.unknown for t in EN.analyze(w)]
        if sort == "date" or not words_query.strip():
            res = self.lexical.search(q, k, offset=offset, sort="date", **filters)
            hits = [Hit(h.id, "", h.score, lexical_rank=offset + i)
                    for i, h in enumerate(res.hits, 1)]
            out = SearchResult(self._hydrate(hits, q), res.total, "lexical", None,
                               corrected=corrected)
            return self._explain_empty(out, q, filters)
        note: str | None = None
        depth = max(DEPTH, offset + k)
        long_query = q.words > LONG_QUERY_WORDS
        max_terms = LONG_QUERY_TERMS if long_query else 10_000
        use_sem = mode in ("hybrid", "semantic") and self.semantic_ready()
        if mode != "lexical" and not use_sem:
            note = self._semantic_note
        lex_ids: list[str] = []
        lex_scores: dict[str, float] = {}
        total: int | None = None
        if mode != "semantic" or not use_sem:
            lex_ids, lex_scores, total = self._lex(q, depth, filters, max_terms, count)
        sem_ids: list[str] = []
        sem_scores: dict[str, float] = {}
        if use_sem:
            sem_ids, sem_scores = self._sem(self.embed_query(words_query), depth, filters)
        if use_sem and mode == "hybrid":
            w_lex = self.w_lexical * (LONG_LEXICAL if long_query else 1.0)
            if self.fusion == "cc":
                fused = convex([(lex_scores, w_lex), (sem_scores, self.w_semantic)], DEPTH)
            else:
                fused = rrf([(lex_ids, w_lex), (sem_ids, self.w_semantic)], self.rrf_k)
            used = "hybrid"
        elif use_sem:
            fused = [(p, sem_scores[p]) for p in sem_ids]
            used = "semantic"
        else:
            fused = [(p, lex_scores[p]) for p in lex_ids]
            used = "lexical"
        lex_rank = {p: i for i, p in enumerate(lex_ids, 1)}
        sem_rank = {p: i for i, p in enumerate(sem_ids, 1)}
        filters_active = any(filters.values())
        named = trust.author_named(self.engine, words_query) if mode != "semantic" else None
        first: list[tuple[str, str]] = []  # (paper, why) before the fused list
        if ref is not None and ref.paper_id is not None:
            first.append((ref.paper_id, "id"))
        titled = trust.exact_title(self.lexical, self.engine, words_query)
        if titled is not None and (not filters_active
                                   or self.lexical.allowed([titled], **filters)):
            first.append((titled, "words"))
        if named is not None:
            first += [(p, "author") for p in trust.order_by(named.papers, fused)
                      if not filters_active or p in lex_rank or p in sem_rank]
        ranked = trust.pin(first, fused)
        page = ranked[offset:offset + k]
        hits = [Hit(p, "", round(float(sc), 6), lexical_rank=lex_rank.get(p),
                    semantic_rank=sem_rank.get(p),
                    match=why or ("words" if p in lex_rank else "meaning"))
                for p, sc, why in page]
        out = SearchResult(self._hydrate(hits, q), total if used != "semantic" else None,
                           used, note, corrected=corrected,
                           id_match=ref.paper_id if ref is not None else None,
                           author=named.name if named is not None else None)
        if ref is not None and ref.paper_id is None:
            out.note = ref.missing_note()
        return self._explain_empty(out, q, filters)

    def _explain_empty(self, res: SearchResult, q: ParsedQuery, filters: dict[str, Any]
                       ) -> SearchResult:
        """With no lexical match under filters: how many match without them."""
        if res.total == 0 and any(filters.values()) and self.lexical is not None:
            res.without_filters = self.lexical.search(q, 1, count=True).total
        return res

    def similar(self, paper_id: str, k: int = 10) -> SearchResult:
        """Papers like `paper_id`: nearest stored vectors, else a lexical more-like-this."""
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT title, abstract FROM papers WHERE id = :id"),
                               {"id": paper_id}).first()
        if row is None:
            raise KeyError(paper_id)
        self.refresh()
        note = None
        if self.semantic_ready():
            assert self._vectors is not None
            vec = self._vectors.vector(paper_id)
            if vec is not None:
                pairs = [(p, s) for p, s in self._vectors.search(
                    np.asarray(vec, dtype=np.float32), k + 1) if p != paper_id][:k]
                hits = [Hit(p, "", round(float(s), 6), semantic_rank=i)
                        for i, (p, s) in enumerate(pairs, 1)]
                return SearchResult(self._hydrate(hits, None), None, "semantic", None)
            note = "this paper has no vector yet (run `paperfeed index update`): lexical match"
        else:
            note = self._semantic_note
        if self.lexical is None:
            return SearchResult([], 0, "lexical", note)
        q = parse_query(f"{row.title} {row.title} {row.abstract}")
        q.phrases, q.name_phrases, q.prefixes = [], [], []
        res = self.lexical.search(q, k + 1, max_terms=LONG_QUERY_TERMS)
        hits = [Hit(h.id, "", round(h.score, 6), lexical_rank=i)
                for i, h in enumerate((h for h in res.hits if h.id != paper_id), 1)][:k]
        return SearchResult(self._hydrate(hits, None), None, "lexical", note)

    def months(self, query: str, category: str | None = None, since: str | None = None,
               until: str | None = None, author: str | None = None) -> list[tuple[str, int]]:
        """Papers per month whose text has every word of `query` (for a chart)."""
        self.refresh()
        if self.lexical is None:
            return []
        return self.lexical.months(query, category=category, since=since, until=until,
                                   author=author)

    # rows from the database ---------------------------------------------------------------

    def _hydrate(self, hits: list[Hit], q: ParsedQuery | None) -> list[Hit]:
        """Fill titles, authors, dates and snippets from the database (drops deleted papers)."""
        if not hits:
            return hits
        params = {f"i{n}": h.id for n, h in enumerate(hits)}
        marks = ", ".join(f":{k}" for k in params)
        with self.engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(text(
                "SELECT id, title, abstract, authors, categories, announced FROM papers "
                f"WHERE id IN ({marks})"), params)}
        out = []
        for h in hits:
            r = rows.get(h.id)
            if r is None:
                continue
            h.title = r.title
            h.authors = orjson.loads(r.authors) if r.authors else []
            h.categories = orjson.loads(r.categories) if r.categories else []
            h.announced = r.announced
            snip = make_snippet(r.abstract or "", q or parse_query(""))
            h.snippet, h.spans = snip.text, snip.spans
            out.append(h)
        return out


_SEARCHERS: dict[tuple[int, str], Searcher] = {}


def get_searcher(engine: Engine, model: str | None = None) -> Searcher:
    """A read-only Searcher for this engine and model, opened once per process (web, API,
    digests): it never writes, and refreshes itself when writers move the indexes on."""
    key = (id(engine), model or default_model())
    s = _SEARCHERS.get(key)
    if s is None or s.engine is not engine:
        s = _SEARCHERS[key] = Searcher(engine, model, catch_up=False)
    return s


def search(engine: Engine, query: str, k: int = 10, offset: int = 0,
           category: str | None = None, since: str | None = None, until: str | None = None,
           author: str | None = None, sort: Sort = "relevance", mode: Mode = "hybrid",
           count: bool = False) -> SearchResult:
    """Search with the process-wide Searcher for `engine` (see Searcher.search)."""
    return get_searcher(engine).search(query, k, offset, category, since, until, author,
                                       sort, mode, count)
