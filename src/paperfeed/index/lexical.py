"""The lexical index: BM25 over title, abstract and authors in tantivy, caught up by `seq`.

The index lives in `index_dir(engine)/lexical/` and is derived from the database: its row in
`index_state` (name "lexical") holds the last `seq` it contains and the id of the build the
folder holds (`build.json` beside tantivy's files). Catching up replaces each changed paper
(delete by id, add again); replaying a batch after a crash is harmless. One process writes at a
time (a file lock); readers only read, and reload when the row says the index moved on.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import tantivy
from sqlalchemy import Engine, text

from paperfeed.index.location import index_dir
from paperfeed.index.protocol import Derived, Watch
from paperfeed.store.db import write_tx
from paperfeed.store.index_state import max_paper_seq, papers_after, read_state, set_state

FORMAT = 1  # bump when the schema or the analysers change: the index is rebuilt
BATCH = 20_000
COMMIT_EVERY = 200_000
WRITER_HEAP = 256_000_000
# Field weights (tuned on SciFact train + known_items_dev, see docs/search.md).
W_TITLE, W_ABSTRACT, W_AUTHORS = 0.5, 1.0, 1.0
PHRASE_BOOST = 1.5
MAX_QUERY_TERMS = 32  # a pasted abstract keeps its most specific terms
WRITE_LOCK = "lexical.lock"
BUILD = "build.json"  # {"format", "build"}: which build this folder holds
LEGACY_STATE = "state.json"  # the sidecar of older releases (adopted, then removed)
NAME = "lexical"  # its index_state row

Progress = Callable[[int], None]


class LexicalIndexMissing(RuntimeError):
    """No lexical index has been built for this database yet."""


def _text_analyzer(stem: bool) -> tantivy.TextAnalyzer:
    b = (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
         .filter(tantivy.Filter.remove_long(40))
         .filter(tantivy.Filter.lowercase())
         .filter(tantivy.Filter.ascii_fold()))
    if stem:
        b = b.filter(tantivy.Filter.stopword("english")).filter(tantivy.Filter.stemmer("english"))
    return b.build()


EN = _text_analyzer(stem=True)  # title, abstract: stop words out, English stemming
NAMES = _text_analyzer(stem=False)  # authors: lower-cased, accents folded


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("title", tokenizer_name="pf_en")
    sb.add_text_field("abstract", tokenizer_name="pf_en")
    sb.add_text_field("authors", tokenizer_name="pf_names")
    sb.add_text_field("category", tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("date", indexed=True, fast=True)  # announced as YYYYMMDD, 0 if unknown
    return sb.build()


SCHEMA = _schema()


def lexical_dir(engine: Engine) -> Path:
    return index_dir(engine) / "lexical"


def date_int(iso: str | None) -> int:
    """'2025-03-14' -> 20250314 (0 when missing or malformed)."""
    if not iso:
        return 0
    digits = iso[:10].replace("-", "")
    return int(digits) if len(digits) == 8 and digits.isdigit() else 0


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(path.read_bytes())
        return data if isinstance(data, dict) else {}
    except (OSError, orjson.JSONDecodeError):
        return {}


def _read_build(path: Path) -> dict[str, Any]:
    """The folder's build stamp {"format", "build"} ({} when there is no index there)."""
    return _read_json(path / BUILD)


def _write_build(path: Path, build: str) -> None:
    tmp = path / (BUILD + ".tmp")
    tmp.write_bytes(orjson.dumps({"format": FORMAT, "build": build}))
    os.replace(tmp, path / BUILD)


def _register(index: tantivy.Index) -> None:
    index.register_tokenizer("pf_en", EN)
    index.register_tokenizer("pf_names", NAMES)


def _open_or_create(path: Path) -> tantivy.Index:
    path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(SCHEMA, path=str(path), reuse=True)
    _register(index)
    return index


def _open_existing(path: Path) -> tantivy.Index:
    """Open an index that exists, writing nothing (readers)."""
    index = tantivy.Index.open(str(path))
    _register(index)
    return index


@contextmanager
def _write_lock(root: Path) -> Iterator[None]:
    """One writer at a time across processes (blocks until the other one is done)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / WRITE_LOCK, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _paper_doc(row: Any) -> tantivy.Document:
    doc = tantivy.Document()
    doc.add_text("id", row.id)
    doc.add_text("title", row.title or "")
    doc.add_text("abstract", row.abstract or "")
    for name in orjson.loads(row.authors) if row.authors else []:
        doc.add_text("authors", name)
    for cat in dict.fromkeys(orjson.loads(row.categories) if row.categories else []):
        doc.add_text("category", cat)
    doc.add_integer("date", date_int(row.announced))
    return doc


def _publish(engine: Engine, seq: int, build: str) -> None:
    with write_tx(engine) as conn:
        set_state(conn, NAME, seq, str(FORMAT), build)


def _fill(engine: Engine, path: Path, mark: int, build: str, progress: Progress | None,
          publish: bool) -> tuple[int, int]:
    """Add every paper changed after `mark` to the index at `path` (caller holds the lock).

    `publish`: record each commit in index_state as it happens (a catch-up of the live
    index); a rebuild publishes once, after the new folder is swapped in.
    """
    index = _open_or_create(path)
    index.reload()
    fresh = mark == 0 and index.searcher().num_docs == 0
    done = since_commit = 0
    writer = index.writer(heap_size=WRITER_HEAP)
    try:
        with engine.connect() as conn:
            while True:
                rows = conn.execute(
                    text("SELECT id, seq, title, abstract, authors, categories, announced "
                         "FROM papers WHERE seq > :m ORDER BY seq LIMIT :n"),
                    {"m": mark, "n": BATCH},
                ).all()
                conn.rollback()  # no snapshot held open between batches
                if not rows:
                    break
                for r in rows:
                    if not fresh:
                        writer.delete_documents_by_term("id", r.id)
                    writer.add_document(_paper_doc(r))
                mark = int(rows[-1].seq)
                done += len(rows)
                since_commit += len(rows)
                if since_commit >= COMMIT_EVERY:
                    writer.commit()
                    if publish:
                        _publish(engine, mark, build)
                    since_commit = 0
                if progress:
                    progress(done)
        writer.commit()
        writer.wait_merging_threads()
        if not (path / BUILD).exists():
            _write_build(path, build)
        if publish:
            _publish(engine, mark, build)
    except BaseException:
        writer.rollback()
        raise
    return done, mark


def _current_mark(engine: Engine, root: Path) -> int | None:
    """Where the live index stands, or None when it must be rebuilt.

    The files must be the ones index_state describes (same build id, same format); an index
    of an older release (a `state.json` sidecar, no build stamp) is adopted at its sidecar's
    watermark.
    """
    stamp = _read_build(root)
    if not stamp:
        legacy = _read_json(root / LEGACY_STATE)
        if legacy.get("format") != FORMAT or not (root / "meta.json").exists():
            return None
        build = uuid.uuid4().hex
        _write_build(root, build)
        _publish(engine, int(legacy.get("seq", 0)), build)
        (root / LEGACY_STATE).unlink()
        return int(legacy.get("seq", 0))
    st = read_state(engine, NAME)
    if stamp.get("format") != FORMAT or st is None or st.build != stamp.get("build"):
        return None
    return st.seq


def catch_up_lexical(engine: Engine, progress: Progress | None = None) -> int:
    """Index every paper added or changed since the last catch-up; return how many."""
    root = lexical_dir(engine)
    with _write_lock(root.parent):
        mark = _current_mark(engine, root)
        if mark is None:
            return _rebuild_locked(engine, root, progress)
        if mark >= _max_seq(engine):
            return 0
        return _fill(engine, root, mark, _read_build(root)["build"], progress, publish=True)[0]


def rebuild_lexical(engine: Engine, progress: Progress | None = None) -> int:
    """Build the lexical index from scratch beside the old one, then swap it in."""
    root = lexical_dir(engine)
    with _write_lock(root.parent):
        return _rebuild_locked(engine, root, progress)


def _rebuild_locked(engine: Engine, root: Path, progress: Progress | None) -> int:
    new = root.with_name("lexical.new")
    old = root.with_name("lexical.old")
    shutil.rmtree(new, ignore_errors=True)
    build = uuid.uuid4().hex
    done, mark = _fill(engine, new, 0, build, progress, publish=False)
    shutil.rmtree(old, ignore_errors=True)
    if root.exists():
        os.replace(root, old)  # readers keep their open files; new opens see the new index
    os.replace(new, root)
    shutil.rmtree(old, ignore_errors=True)
    _publish(engine, mark, build)
    return done


def _max_seq(engine: Engine) -> int:
    with engine.connect() as conn:
        return max_paper_seq(conn)


def pending_lexical(engine: Engine) -> int | None:
    """Papers the lexical index still lacks (None: it must be built from scratch)."""
    root = lexical_dir(engine)
    stamp = _read_build(root)
    st = read_state(engine, NAME)
    if not stamp or st is None or st.build != stamp.get("build") or stamp.get(
            "format") != FORMAT:
        return None
    with engine.connect() as conn:
        return papers_after(conn, st.seq)


def catch_up_after_import(engine: Engine) -> int:
    """Make newly imported papers searchable lexically at once (called by `paperfeed import`)."""
    return catch_up_lexical(engine)


def lexical_status(engine: Engine) -> dict[str, Any]:
    """What the lexical index holds and how far behind the database it is."""
    root = lexical_dir(engine)
    stamp = _read_build(root)
    st = read_state(engine, NAME)
    built = bool(stamp) and st is not None and st.build == stamp.get("build")
    seq = st.seq if built and st is not None else 0
    latest = _max_seq(engine)
    docs = 0
    if built:
        docs = _open_existing(root).searcher().num_docs
    with engine.connect() as conn:
        behind = papers_after(conn, seq)
    size = sum(f.stat().st_size for f in root.glob("*") if f.is_file()) if root.exists() else 0
    return {"path": str(root), "built": built, "documents": docs, "seq": seq,
            "db_seq": latest, "behind": behind, "bytes": size}


# --- queries -----------------------------------------------------------------------------

_PHRASE = re.compile(r'"([^"]*)"?')


@dataclass
class ParsedQuery:
    """A user's query split into plain terms, quoted phrases and prefixes (word*)."""

    raw: str
    terms: list[str] = field(default_factory=list)  # analysed (stemmed) tokens, distinct
    name_terms: list[str] = field(default_factory=list)  # the same words, for author names
    phrases: list[list[tuple[int, str]]] = field(default_factory=list)  # (position, token)
    name_phrases: list[list[tuple[int, str]]] = field(default_factory=list)
    prefixes: list[str] = field(default_factory=list)
    words: int = 0  # how many words the user typed (long queries: pasted abstracts)
    fuzzy: list[str] = field(default_factory=list)  # stems matched one or two edits away

    @property
    def empty(self) -> bool:
        return not (self.terms or self.phrases or self.prefixes or self.fuzzy)

    def highlight_tokens(self) -> tuple[set[str], list[str]]:
        """Stemmed tokens and prefixes a snippet should mark."""
        toks = set(self.terms)
        for ph in self.phrases:
            toks.update(t for _, t in ph)
        return toks, self.prefixes


def _positions(analyzer: tantivy.TextAnalyzer, s: str) -> list[tuple[int, str]]:
    toks = analyzer.pre_tokenize(s).tokens
    if not toks:
        return []
    first = toks[0].position
    return [(t.position - first, t.text) for t in toks]


def parse_query(raw: str) -> ParsedQuery:
    """Split a query: "exact phrases", prefix* words, and plain words (any order)."""
    q = ParsedQuery(raw=raw)
    rest = raw
    for m in _PHRASE.finditer(raw):
        ph = _positions(EN, m.group(1))
        if len(ph) > 1:
            q.phrases.append(ph)
            q.name_phrases.append(_positions(NAMES, m.group(1)))
        elif ph:
            q.terms.append(ph[0][1])
            q.name_terms.extend(NAMES.analyze(m.group(1)))
    rest = _PHRASE.sub(" ", raw)
    words = rest.split()
    q.words = len(words) + sum(len(p) for p in q.phrases)
    for w in words:
        if w.endswith("*") and len(w.rstrip("*")) >= 2:
            stem = EN.analyze(w.rstrip("*"))
            plain = NAMES.analyze(w.rstrip("*"))
            if len(plain) == 1:
                # the stem of a prefix is a prefix of the stems of the words it begins
                q.prefixes.append(stem[0] if len(stem) == 1 else plain[0])
                continue
        q.terms.extend(EN.analyze(w))
        q.name_terms.extend(NAMES.analyze(w))
    q.terms = list(dict.fromkeys(q.terms))
    q.name_terms = list(dict.fromkeys(q.name_terms))
    return q


@dataclass
class LexicalHit:
    id: str
    score: float
    date: int


@dataclass
class LexicalResult:
    hits: list[LexicalHit]
    total: int


class LexicalIndex:
    """An opened lexical index for searching (read-only); reloads when a writer commits."""

    def __init__(self, path: Path, engine: Engine | None = None) -> None:
        self.path = path
        self.engine = engine
        if not (_read_build(path) or (path / LEGACY_STATE).exists()) or not (
                path / "meta.json").exists():
            raise LexicalIndexMissing(
                f"no lexical index at {path}: run `paperfeed index update`")
        self.weights = {"title": W_TITLE, "abstract": W_ABSTRACT, "authors": W_AUTHORS}
        self._watch = Watch(self._current_stamp)
        self._reopen()

    @classmethod
    def open(cls, engine: Engine) -> LexicalIndex:
        return cls(lexical_dir(engine), engine)

    def _reopen(self) -> None:
        # a rebuild swaps the folder: reopen it rather than reload the old one
        self.index = _open_existing(self.path)
        self.index.reload()
        self.searcher = self.index.searcher()

    def _current_stamp(self) -> tuple[object, ...]:
        """What changes when a writer commits: the index_state row, else tantivy's meta.json."""
        if self.engine is not None:
            st = read_state(self.engine, NAME)
            if st is not None:
                return (st.seq, st.build)
        try:
            m = (self.path / "meta.json").stat()
            return (m.st_mtime_ns, m.st_ino)
        except OSError:
            return (0, 0)

    def refresh(self, force: bool = False) -> bool:
        """Pick up commits made by any writer since the last look (cheap; throttled).

        True when it reloaded. Reads only: one primary-key query at most every REFRESH_EVERY s.
        """
        if not self._watch.changed(force):
            return False
        self._reopen()
        return True

    def __len__(self) -> int:
        return int(self.searcher.num_docs)

    # query building ----------------------------------------------------------------------

    def _idf_order(self, terms: list[str]) -> list[str]:
        """The most specific terms first (lowest document frequency over title + abstract)."""
        df = {t: self.searcher.doc_freq("abstract", t) + self.searcher.doc_freq("title", t)
              for t in terms}
        return sorted(terms, key=lambda t: (df[t] == 0, df[t]))

    def relevance_query(self, q: ParsedQuery, max_terms: int = MAX_QUERY_TERMS,
                        require_all: bool = False) -> tantivy.Query:
        """BM25 over the fields with weights; phrases must match, terms and prefixes should."""
        s = SCHEMA
        w_t, w_a, w_au = (self.weights[f] for f in ("title", "abstract", "authors"))
        occ = tantivy.Occur.Must if require_all else tantivy.Occur.Should
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        terms = q.terms
        if len(terms) > max_terms:
            terms = self._idf_order(terms)[:max_terms]
        names = q.name_terms if len(q.name_terms) <= max_terms else []
        if require_all:  # every word must be somewhere: one nested clause per word
            for t in terms:
                per_field = [tantivy.Query.term_query(s, "title", t),
                             tantivy.Query.term_query(s, "abstract", t),
                             tantivy.Query.term_query(s, "authors", t)]
                clauses.append((occ, tantivy.Query.boolean_query(
                    [(tantivy.Occur.Should, x) for x in per_field])))
        else:
            # one flat disjunction of term queries: tantivy prunes it with block-max WAND
            for t in terms:
                clauses.append((occ, tantivy.Query.boost_query(
                    tantivy.Query.term_query(s, "title", t), w_t)))
                clauses.append((occ, tantivy.Query.boost_query(
                    tantivy.Query.term_query(s, "abstract", t), w_a)))
            # author names are matched unstemmed
            for n in names:
                clauses.append((occ, tantivy.Query.boost_query(
                    tantivy.Query.term_query(s, "authors", n), w_au)))
        for ph, nph in zip(q.phrases, q.name_phrases, strict=True):
            opts = [
                tantivy.Query.boost_query(tantivy.Query.phrase_query(s, "title", list(ph)),
                                          w_t * PHRASE_BOOST),
                tantivy.Query.boost_query(tantivy.Query.phrase_query(s, "abstract", list(ph)),
                                          w_a * PHRASE_BOOST),
            ]
            if len(nph) > 1:
                opts.append(tantivy.Query.boost_query(
                    tantivy.Query.phrase_query(s, "authors", list(nph)), w_au))
            clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, x) for x in opts])))
        for f in q.fuzzy:  # a word no paper has: its neighbours in the term dictionary
            dist = 2 if len(f) >= 6 else 1
            clauses.append((occ, tantivy.Query.boolean_query([
                (tantivy.Occur.Should, tantivy.Query.boost_query(
                    tantivy.Query.fuzzy_term_query(s, fld, f, distance=dist), w))
                for fld, w in (("title", w_t), ("abstract", w_a))])))
        for p in q.prefixes:
            pat = re.escape(p) + ".*"
            opts = [tantivy.Query.boost_query(tantivy.Query.regex_query(s, f, pat), w)
                    for f, w in (("title", w_t), ("abstract", w_a),
                                 ("authors", w_au))]
            clauses.append((occ, tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, x) for x in opts])))
        if not clauses:
            return tantivy.Query.empty_query()
        return tantivy.Query.boolean_query(clauses)

    @staticmethod
    def filter_queries(category: str | list[str] | None = None, since: str | None = None,
                       until: str | None = None, author: str | None = None
                       ) -> list[tantivy.Query]:
        """Filters as queries that must match (they add nothing to the score)."""
        s = SCHEMA
        out: list[tantivy.Query] = []
        cats = [category] if isinstance(category, str) else list(category or [])
        if cats:
            out.append(tantivy.Query.term_set_query(s, "category", cats))
        lo, hi = date_int(since) or None, date_int(until) or None
        if since and lo is None:
            raise ValueError(f"not a date: {since!r} (use YYYY-MM-DD)")
        if until and hi is None:
            raise ValueError(f"not a date: {until!r} (use YYYY-MM-DD)")
        if lo is not None or hi is not None:
            out.append(tantivy.Query.range_query(
                s, "date", tantivy.FieldType.Integer, lo, hi))
        if author and author.strip():
            toks = _positions(NAMES, author)
            if len(toks) == 1:
                out.append(tantivy.Query.term_query(s, "authors", toks[0][1]))
            elif toks:
                out.append(tantivy.Query.phrase_query(s, "authors", list(toks)))
            else:
                out.append(tantivy.Query.empty_query())
        return out

    @staticmethod
    def with_filters(query: tantivy.Query, filters: list[tantivy.Query]) -> tantivy.Query:
        if not filters:
            return query
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query)]
            + [(tantivy.Occur.Must, tantivy.Query.const_score_query(f, 0.0)) for f in filters])

    # searching ---------------------------------------------------------------------------

    def _ids(self, hits: list[tuple[Any, tantivy.DocAddress]]) -> list[str]:
        return [str(self.searcher.doc(addr).get_first("id")) for _, addr in hits]

    def search(self, query: str | ParsedQuery, k: int = 10, offset: int = 0,
               category: str | list[str] | None = None, since: str | None = None,
               until: str | None = None, author: str | None = None, sort: str = "relevance",
               count: bool = True, max_terms: int = MAX_QUERY_TERMS) -> LexicalResult:
        """Top `k` after `offset` by BM25 (or newest first with sort="date")."""
        self.refresh()
        q = parse_query(query) if isinstance(query, str) else query
        filters = self.filter_queries(category, since, until, author)
        if q.empty:
            if not filters:
                base = tantivy.Query.all_query() if sort == "date" else None
                if base is None:
                    return LexicalResult([], 0)
            else:
                base = tantivy.Query.all_query()
            sort = "date"
        else:
            base = self.relevance_query(q, max_terms, require_all=(sort == "date"))
        full = self.with_filters(base, filters)
        if sort == "date":
            res = self.searcher.search(full, k, count=count, order_by_field="date",
                                       offset=offset, order=tantivy.Order.Desc)
            ids = self._ids(res.hits)
            hits = [LexicalHit(i, 0.0, int(key)) for i, (key, _) in zip(ids, res.hits,
                                                                        strict=True)]
        else:
            res = self.searcher.search(full, k, count=count, offset=offset)
            ids = self._ids(res.hits)
            hits = [LexicalHit(i, float(key), 0) for i, (key, _) in zip(ids, res.hits,
                                                                        strict=True)]
        n = getattr(res, "count", None)  # not in tantivy's type stubs
        return LexicalResult(hits, int(n) if count and n is not None else -1)

    def allowed(self, ids: list[str], category: str | list[str] | None = None,
                since: str | None = None, until: str | None = None,
                author: str | None = None) -> set[str]:
        """Those of `ids` that pass the filters."""
        filters = self.filter_queries(category, since, until, author)
        if not filters or not ids:
            return set(ids)
        q = self.with_filters(tantivy.Query.term_set_query(SCHEMA, "id", ids), filters)
        res = self.searcher.search(q, len(ids), count=False)
        return set(self._ids(res.hits))

    def filtered_ids(self, limit: int, category: str | list[str] | None = None,
                     since: str | None = None, until: str | None = None,
                     author: str | None = None) -> tuple[list[str], int]:
        """Ids passing the filters (at most `limit`) and how many pass in all."""
        filters = self.filter_queries(category, since, until, author)
        q = self.with_filters(tantivy.Query.all_query(), filters)
        res = self.searcher.search(q, max(limit, 1), count=True)
        if limit <= 0:
            return [], int(getattr(res, "count", None) or 0)
        return self._ids(res.hits), int(getattr(res, "count", None) or 0)

    def months(self, query: str | ParsedQuery, category: str | list[str] | None = None,
               since: str | None = None, until: str | None = None,
               author: str | None = None) -> list[tuple[str, int]]:
        """Matching papers per month (every word must match), oldest month first."""
        self.refresh()
        q = parse_query(query) if isinstance(query, str) else query
        base = (tantivy.Query.all_query() if q.empty
                else self.relevance_query(q, require_all=True))
        full = self.with_filters(base, self.filter_queries(category, since, until, author))
        agg = self.searcher.aggregate(
            full, {"m": {"histogram": {"field": "date", "interval": 100, "min_doc_count": 1}}})
        out = []
        for b in agg.get("m", {}).get("buckets", []):
            key, n = int(b["key"]), int(b["doc_count"])
            if key > 0 and n:
                out.append((f"{key // 10000:04d}-{key // 100 % 100:02d}", n))
        return out


def search_lexical(engine: Engine, query: str, k: int = 10, **kw: Any) -> LexicalResult:
    """One-off lexical search (opens the index each call; keep a LexicalIndex for many)."""
    return LexicalIndex.open(engine).search(query, k, **kw)


DERIVED = Derived(
    NAME, "lexical index", "indexed",
    pending=lambda engine, _opts: pending_lexical(engine),
    catch_up=lambda engine, _opts, tick: catch_up_lexical(engine, tick),
    rebuild=lambda engine, _opts, tick: rebuild_lexical(engine, tick),
)
