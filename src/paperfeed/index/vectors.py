"""Sentence vectors: stored in the database (the truth), served from a derived usearch HNSW index.

`embed_missing` fills `paper_vectors` for one model, a batch a transaction (resumable after a
kill; readers never wait); its position is the index_state row `embeddings:<model>`.
`VectorIndex` is an HNSW graph over those rows, persisted beside the database (see
location.index_dir) with a JSON sidecar (format, model, dimension, count, build id); its
watermark, the highest `paper_vectors.seq` it contains, is the index_state row
`vectors:<model>`: any process on any machine can rebuild it or catch it up from the database
alone. Readers (`open(..., readonly=True)`) write nothing and reload when the row moves.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from sqlalchemy import Connection, Engine, text

from paperfeed.index.embed import Embedder
from paperfeed.index.location import index_dir
from paperfeed.index.protocol import Derived, Options, Watch
from paperfeed.store.db import write_tx
from paperfeed.store.index_state import delete_state, get_state, read_state, set_state
from paperfeed.store.write import utcnow

log = logging.getLogger(__name__)

EMBED_PREFIX = "embeddings:"  # + model id: index_state row, the highest papers.seq examined
INDEX_PREFIX = "vectors:"  # + model id: index_state row of the ANN index
FORMAT = 1
# HNSW settings (bench/vector_index.py): recall@10 >= 0.95 on real MiniLM vectors at 100k.
CONNECTIVITY = 16
EXPANSION_ADD = 96
EXPANSION_SEARCH = 96
EXACT_FILTER_MAX = 20_000  # ids_filter up to this size: exact scan of those vectors
EXACT_SMALL = 2_000  # an index this small is scanned exactly: cheaper than HNSW, and exact
READ_CHUNK = 20_000

Progress = Callable[[int, int], None]  # (done, total)


# --- storing vectors ------------------------------------------------------------------------


def embed_text(title: str | None, abstract: str | None) -> str:
    """The text a paper is embedded from: title + ". " + abstract."""
    title, abstract = (title or "").strip(), (abstract or "").strip()
    return f"{title}. {abstract}" if abstract else title


def text_hash(s: str) -> str:
    """A short digest of the embedded text: a changed text means a new vector."""
    return hashlib.blake2b(s.encode(), digest_size=12).hexdigest()


def to_blob(vec: np.ndarray) -> bytes:
    """A vector as stored: float16, little-endian."""
    return np.asarray(vec, dtype="<f2").tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    """A stored vector as float32."""
    return np.frombuffer(blob, dtype="<f2").astype(np.float32)


def _ph(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


_CANDIDATES = (
    "SELECT p.id, p.seq, p.title, p.abstract, v.text_hash "
    "FROM papers p LEFT JOIN paper_vectors v ON v.paper_id = p.id "
    "WHERE p.seq > :after AND (v.paper_id IS NULL OR v.seq < p.seq) "
)


def _drop_other_models(engine: Engine, model_id: str) -> int:
    """Delete the vectors of every other model (a model change re-embeds everything)."""
    with engine.connect() as conn:
        others = conn.execute(
            text("SELECT model_id, COUNT(*) FROM paper_vectors WHERE model_id != :m "
                 "GROUP BY model_id"), {"m": model_id}).all()
    if not others:
        return 0
    with write_tx(engine) as conn:
        n = conn.execute(text("DELETE FROM paper_vectors WHERE model_id != :m"),
                         {"m": model_id}).rowcount
        for old, _ in others:
            delete_state(conn, EMBED_PREFIX + old)
        # whatever this model had already examined may now lack a vector: look again
        delete_state(conn, EMBED_PREFIX + model_id)
    log.warning("embedding model changed to %s: deleted %d vectors of %s; every paper is "
                "embedded again", model_id, n, ", ".join(f"{m} ({c})" for m, c in others))
    return int(n or 0)


def _seq(state: Any) -> int:
    return int(state.seq) if state is not None else 0


def count_missing(engine: Engine, model_id: str) -> int:
    """Papers that lack a current vector of `model_id` (missing, stale, or of another model)."""
    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT COUNT(*) FROM papers p LEFT JOIN paper_vectors v "
            "ON v.paper_id = p.id AND v.model_id = :m "
            "WHERE v.paper_id IS NULL OR v.seq < p.seq"), {"m": model_id}).scalar_one())


def embed_missing(engine: Engine, embedder: Embedder, batch: int = 32,
                  progress: Progress | None = None, limit: int | None = None) -> int:
    """Embed papers without a current vector of `embedder.model_id`; return how many embedded.

    Papers are taken in change order; each batch is written in its own short transaction with a
    checkpoint, so a killed run loses one batch at most and search keeps serving meanwhile. A
    paper whose seq moved but whose text did not keeps its vector (only its seq is updated).
    Vectors of another model are deleted first: a model change is a clean re-embed.
    """
    model_id = embedder.model_id
    key = EMBED_PREFIX + model_id
    _drop_other_models(engine, model_id)
    with engine.connect() as conn:
        after = _seq(get_state(conn, key))
        total = int(conn.execute(text(f"SELECT COUNT(*) FROM ({_CANDIDATES}) c"),
                                 {"after": after}).scalar_one())
    if limit is not None:
        total = min(total, limit)
    done = embedded = 0
    if progress:
        progress(0, total)
    while limit is None or done < limit:
        n = batch if limit is None else min(batch, limit - done)
        with engine.connect() as conn:
            rows = conn.execute(text(_CANDIDATES + "ORDER BY p.seq LIMIT :n"),
                                {"after": after, "n": n}).all()
        if not rows:
            break
        texts = [embed_text(r.title, r.abstract) for r in rows]
        hashes = [text_hash(t) for t in texts]
        todo = [i for i, r in enumerate(rows) if r.text_hash != hashes[i]]
        vecs = embedder.embed([texts[i] for i in todo], kind="passage") if todo else None
        if vecs is not None and vecs.shape != (len(todo), embedder.dim):
            raise RuntimeError(f"embedder {model_id} returned shape {vecs.shape}, expected "
                               f"({len(todo)}, {embedder.dim})")
        now = utcnow()
        with write_tx(engine) as conn:
            ph = _ph(conn)
            if todo:
                assert vecs is not None
                conn.exec_driver_sql(
                    "INSERT INTO paper_vectors (paper_id, model_id, dim, vec, text_hash, seq, "
                    f"embedded_at) VALUES ({', '.join([ph] * 7)}) ON CONFLICT (paper_id) DO "
                    "UPDATE SET model_id = excluded.model_id, dim = excluded.dim, "
                    "vec = excluded.vec, text_hash = excluded.text_hash, seq = excluded.seq, "
                    "embedded_at = excluded.embedded_at",
                    [(rows[i].id, model_id, embedder.dim, to_blob(vecs[j]), hashes[i],
                      rows[i].seq, now) for j, i in enumerate(todo)])
            same = [(r.seq, r.id) for i, r in enumerate(rows) if r.text_hash == hashes[i]]
            if same:
                conn.exec_driver_sql(
                    f"UPDATE paper_vectors SET seq = {ph} WHERE paper_id = {ph}", same)
            after = int(rows[-1].seq)
            set_state(conn, key, max(_seq(get_state(conn, key)), after))
        done += len(rows)
        embedded += len(todo)
        if progress:
            progress(done, max(total, done))
    return embedded


# --- the ANN index --------------------------------------------------------------------------


def _usearch_index() -> Any:
    """usearch's Index class, imported after onnxruntime.

    Importing onnxruntime (1.32) *after* usearch (2.26) crashes the process (SIGSEGV in
    libstdc++'s codecvt); the other order is fine, so onnxruntime goes first where installed.
    """
    with contextlib.suppress(ImportError):
        import onnxruntime  # noqa: F401
    from usearch.index import Index

    return Index


def paper_key(paper_id: str) -> int:
    """The index's integer key of a paper id: a stable 63-bit hash (no table to keep in step)."""
    h = hashlib.blake2b(paper_id.encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") & ((1 << 63) - 1)


def _keys(ids: Iterable[str]) -> np.ndarray:
    return np.fromiter((paper_key(i) for i in ids), dtype=np.uint64)


def _slug(model_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)


class VectorIndex:
    """An HNSW index (usearch, float16, cosine) over one model's vectors in `paper_vectors`."""

    def __init__(self, engine: Engine, model_id: str, dim: int | None = None) -> None:
        self.engine = engine
        self.model_id = model_id
        self.name = INDEX_PREFIX + model_id  # its index_state row
        self.dim = dim
        self.watermark = 0
        self.build = ""
        self.readonly = False
        self.index: Any = None
        self._key_sorted = np.zeros(0, dtype=np.uint64)  # keys, sorted
        self._id_sorted = np.zeros(0, dtype=str)  # the paper id of each key
        self._new_ids: dict[int, str] = {}  # added since the arrays were last merged
        self._dirty = False
        self._watch: Watch | None = None  # a reader's look at its row
        base = index_dir(engine) / f"vectors-{_slug(model_id)}"
        self.path = base.with_suffix(".usearch")
        self.ids_path = base.with_suffix(".ids.npz")
        self.meta_path = base.with_suffix(".json")
        self.lock_path = base.with_suffix(".lock")

    # opening, building, saving ------------------------------------------------------------

    @classmethod
    def open(cls, engine: Engine, model_id: str, catch_up: bool = True,
             readonly: bool = False) -> VectorIndex:
        """Load the persisted index (else build it from the database) and catch it up.

        `readonly=True` (web processes) writes nothing: it loads what a writer saved (an empty
        index when there is none yet) and `refresh()` picks up what writers save later.
        """
        self = cls(engine, model_id)
        if readonly:
            self.readonly = True
            self._watch = Watch(self._row)
            self._load()
            return self
        if not self._load():
            self.rebuild(engine)
        elif catch_up:
            self.catch_up(engine)
        return self

    def _row(self) -> tuple[int, str] | None:
        st = read_state(self.engine, self.name)
        return None if st is None else (st.seq, st.build)

    def refresh(self, force: bool = False) -> bool:
        """A reader's cheap look (throttled) at the row: reload when a writer saved. True if so."""
        if self._watch is None:
            self._watch = Watch(self._row)
        return self._watch.changed(force) and self._load()

    def _new_index(self, dim: int) -> Any:
        Index = _usearch_index()
        self.dim = dim
        return Index(ndim=dim, metric="cos", dtype="f16", connectivity=CONNECTIVITY,
                     expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)

    @contextlib.contextmanager
    def _locked(self, exclusive: bool) -> Iterator[None]:
        if not exclusive and not self.lock_path.exists():
            yield  # nobody has written here yet (a reader does not create the lock file)
            return
        with open(self.lock_path, "a+" if exclusive else "r") as f:
            fcntl.flock(f, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _load(self) -> bool:
        """Load the files; a writer also checks that they are what index_state describes."""
        if not (self.meta_path.is_file() and self.path.is_file() and self.ids_path.is_file()):
            return False
        Index = _usearch_index()
        try:
            with self._locked(exclusive=False):
                meta = orjson.loads(self.meta_path.read_bytes())
                if meta.get("format") != FORMAT or meta.get("model_id") != self.model_id:
                    log.warning("vector index %s is of another format or model", self.path)
                    return False
                # a reader maps the file (every worker shares the same pages) rather than
                # loading a copy; writers replace the file atomically, so a map stays valid
                index = Index.restore(str(self.path), view=self.readonly)
                with np.load(self.ids_path, allow_pickle=False) as z:
                    keys, ids = z["keys"], z["ids"]
        except (OSError, ValueError, RuntimeError) as e:
            log.warning("vector index %s is unreadable (%s)", self.path, e)
            return False
        if index is None or len(index) != len(keys) or len(index) != meta.get("count"):
            log.warning("vector index %s is inconsistent with its sidecar", self.path)
            return False
        build = str(meta.get("build", ""))
        adopt = False
        st = read_state(self.engine, self.name)
        if st is not None and st.build == build and build:
            watermark = st.seq
        elif not build and "watermark" in meta:
            watermark = int(meta["watermark"])  # an older release's sidecar: adopted on save
            build, adopt = uuid.uuid4().hex, True
        elif self.readonly:
            watermark = 0  # not what the row describes: serve it; the writer will rebuild
        else:
            log.warning("vector index %s is not the build the database describes", self.path)
            return False
        self.index, self.dim, self.watermark = index, int(meta["dim"]), watermark
        self.build = build
        self._key_sorted = keys.astype(np.uint64)
        self._id_sorted = ids.astype(str, copy=False)
        self._new_ids = {}
        if adopt and not self.readonly:
            self.save()  # the watermark moves from the sidecar to index_state
        return True

    def save(self) -> None:
        """Write the index and its sidecars atomically (readers see the old or the new one),
        then record the watermark in index_state."""
        if self.readonly:
            raise RuntimeError("a read-only vector index is never saved")
        if self.index is None:
            return
        self._merge_ids()
        self.build = self.build or uuid.uuid4().hex
        d = self.path.parent
        with self._locked(exclusive=True):
            for dest, write in (
                (self.path, self._write_index),
                (self.ids_path, self._write_ids),
                (self.meta_path, self._write_meta),
            ):
                fd, tmp = tempfile.mkstemp(dir=d, prefix=dest.name, suffix=".tmp")
                os.close(fd)
                try:
                    write(tmp)
                    os.replace(tmp, dest)
                finally:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(tmp)
        with write_tx(self.engine) as conn:
            set_state(conn, self.name, self.watermark, str(FORMAT), self.build)
        self._dirty = False

    def _write_index(self, path: str) -> None:
        self.index.save(path)

    def _write_ids(self, path: str) -> None:
        with open(path, "wb") as f:
            np.savez(f, keys=self._key_sorted, ids=self._id_sorted.astype(str))

    def _write_meta(self, path: str) -> None:
        Path(path).write_bytes(orjson.dumps({
            "format": FORMAT, "model_id": self.model_id, "dim": self.dim,
            "count": len(self.index), "build": self.build, "saved_at": utcnow()}))

    def rebuild(self, engine: Engine | None = None) -> int:
        """Build the index afresh from the database and save it; return its size."""
        self.engine = engine or self.engine
        self.index = None
        self._key_sorted = np.zeros(0, dtype=np.uint64)
        self._id_sorted = np.zeros(0, dtype=str)
        self._new_ids = {}
        self.watermark = 0
        self.build = uuid.uuid4().hex
        self._add_since(0)
        self.save()
        return len(self)

    def pending(self) -> int:
        """Vectors written since the watermark (what a catch-up would add)."""
        with self.engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT COUNT(*) FROM paper_vectors WHERE model_id = :m AND seq > :s"),
                {"m": self.model_id, "s": self.watermark}).scalar_one())

    def catch_up(self, engine: Engine | None = None, save: bool = True) -> int:
        """Add or replace the vectors written since the watermark; return how many.

        Cheap when nothing changed (one indexed MAX query). `save=False` keeps the changes in
        memory only.
        """
        self.engine = engine or self.engine
        with self.engine.connect() as conn:
            top = conn.execute(text("SELECT MAX(seq) FROM paper_vectors WHERE model_id = :m"),
                               {"m": self.model_id}).scalar()
        if top is None or int(top) <= self.watermark:
            return 0
        n = self._add_since(self.watermark)
        if save and n and not self.readonly:
            self.save()
        return n

    def _add_since(self, mark: int) -> int:
        added = 0
        while True:
            with self.engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT paper_id, dim, vec, seq FROM paper_vectors "
                    "WHERE model_id = :m AND seq > :s ORDER BY seq LIMIT :n"),
                    {"m": self.model_id, "s": mark, "n": READ_CHUNK}).all()
            if not rows:
                break
            dim = int(rows[0].dim)
            if self.index is None:
                self.index = self._new_index(dim)
            elif dim != self.dim:
                raise RuntimeError(f"vectors of {self.model_id} have dimension {dim}, the index "
                                   f"{self.dim}: run `paperfeed index rebuild`")
            # the newest vector of a paper wins (rows are in seq order)
            latest = {r.paper_id: r for r in rows}
            ids = list(latest)
            keys = _keys(ids)
            vecs = np.frombuffer(b"".join(latest[i].vec for i in ids), dtype="<f2")
            vecs = vecs.reshape(len(ids), dim).astype(np.float32)
            present = self.index.contains(keys) if len(self.index) else None
            if present is not None and present.any():
                self.index.remove(keys[present])
            self.index.add(keys, vecs, threads=os.cpu_count() or 1)
            for k, pid in zip(keys.tolist(), ids, strict=True):
                self._new_ids[k] = pid
            mark = self.watermark = int(rows[-1].seq)
            added += len(rows)
            self._dirty = True
        self._merge_ids()
        return added

    def _merge_ids(self) -> None:
        if not self._new_ids:
            return
        nk = np.fromiter(self._new_ids.keys(), dtype=np.uint64, count=len(self._new_ids))
        ni = np.array(list(self._new_ids.values()), dtype=str)
        keep = ~np.isin(self._key_sorted, nk)
        keys = np.concatenate([self._key_sorted[keep], nk])
        ids = np.concatenate([self._id_sorted[keep], ni])
        order = np.argsort(keys, kind="stable")
        self._key_sorted, self._id_sorted = keys[order], ids[order]
        self._new_ids = {}

    # reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return 0 if self.index is None else len(self.index)

    def _id_of(self, keys: np.ndarray) -> list[str | None]:
        pos = np.searchsorted(self._key_sorted, keys)
        pos = np.minimum(pos, max(len(self._key_sorted) - 1, 0))
        out: list[str | None] = []
        for k, p in zip(keys.tolist(), pos.tolist(), strict=True):
            if len(self._key_sorted) and int(self._key_sorted[p]) == k:
                out.append(str(self._id_sorted[p]))
            else:
                out.append(self._new_ids.get(k))
        return out

    def search(self, qvec: np.ndarray, k: int,
               ids_filter: Iterable[str] | None = None) -> list[tuple[str, float]]:
        """The `k` nearest papers to `qvec` as (paper id, cosine), best first.

        With `ids_filter`, only those papers: an exact scan when the set is small, else an
        over-fetching ANN search.
        """
        if self.index is None or len(self.index) == 0 or k <= 0:
            return []
        q = np.asarray(qvec, dtype=np.float32).reshape(-1)
        if ids_filter is not None:
            wanted = set(ids_filter)
            if len(wanted) <= EXACT_FILTER_MAX:
                return self._exact(q, k, wanted)
            fetch = min(len(self.index), int(k * len(self.index) / len(wanted) * 2) + k)
            while True:
                hits = [h for h in self._ann(q, fetch) if h[0] in wanted]
                if len(hits) >= k or fetch >= len(self.index):
                    return hits[:k]
                fetch = min(len(self.index), fetch * 4)
        if len(self.index) <= EXACT_SMALL:
            every = {str(i) for i in self._id_sorted} | set(self._new_ids.values())
            return self._exact(q, k, every)
        return self._ann(q, k)

    def _ann(self, q: np.ndarray, k: int) -> list[tuple[str, float]]:
        count = min(k, len(self.index))
        if count > self.index.expansion_search:
            old = self.index.expansion_search
            self.index.expansion_search = count
            try:
                m = self.index.search(q, count)
            finally:
                self.index.expansion_search = old
        else:
            m = self.index.search(q, count)
        ids = self._id_of(np.asarray(m.keys, dtype=np.uint64))
        return [(pid, 1.0 - float(d)) for pid, d in zip(ids, m.distances.tolist(), strict=True)
                if pid is not None]

    def _exact(self, q: np.ndarray, k: int, wanted: set[str]) -> list[tuple[str, float]]:
        ids = sorted(wanted)
        keys = _keys(ids)
        present = self.index.contains(keys) if len(keys) else np.zeros(0, dtype=bool)
        ids = [i for i, p in zip(ids, present.tolist(), strict=True) if p]
        if not ids:
            return []
        vecs = np.vstack(self.index.get(keys[present], dtype=np.float32))
        scores = vecs @ (q / max(float(np.linalg.norm(q)), 1e-12))
        top = np.argsort(-scores, kind="stable")[:k]
        return [(ids[i], float(scores[i])) for i in top.tolist()]

    def vectors(self, paper_ids: Iterable[str]) -> dict[str, np.ndarray]:
        """The vectors this index holds for those of `paper_ids` it has, as float32: the same
        values as the stored float16 ones (read from the mapped index: no database round
        trip). Papers it does not hold yet are absent (ask the database for them)."""
        ids = list(dict.fromkeys(paper_ids))
        if self.index is None or not ids:
            return {}
        keys = _keys(ids)
        present = np.asarray(self.index.contains(keys), dtype=bool)
        if not present.any():
            return {}
        got = np.asarray(self.index.get(keys[present], dtype=np.float32)).reshape(
            int(present.sum()), -1)
        have = [i for i, p in zip(ids, present.tolist(), strict=True) if p]
        return dict(zip(have, got, strict=True))

    def vector(self, paper_id: str) -> np.ndarray | None:
        """The stored vector of a paper for this model (from the database), or None."""
        with self.engine.connect() as conn:
            blob = conn.execute(text(
                "SELECT vec FROM paper_vectors WHERE paper_id = :p AND model_id = :m"),
                {"p": paper_id, "m": self.model_id}).scalar()
        return None if blob is None else from_blob(blob)


# --- the refresh protocol (index/protocol.py) ------------------------------------------------


def pending_vectors(engine: Engine, model_id: str) -> int | None:
    """Vectors the saved index lacks (None: it has to be built)."""
    ix = VectorIndex(engine, model_id)
    st = read_state(engine, ix.name)
    if st is None or not ix.meta_path.is_file():
        with engine.connect() as conn:
            has = conn.execute(text("SELECT 1 FROM paper_vectors WHERE model_id = :m LIMIT 1"),
                               {"m": model_id}).first()
        return None if has else 0
    ix.watermark = st.seq
    return ix.pending()


def _vectors_step(engine: Engine, opts: Options, rebuild: bool) -> int:
    model_id = opts.embedder().model_id
    ix = VectorIndex(engine, model_id)
    n = ix.rebuild(engine) if rebuild or not ix._load() else ix.catch_up(engine)
    opts.cache["vectors_in_index"] = len(ix)
    return n


EMBEDDINGS = Derived(
    "embeddings", "embeddings", "embedded",
    pending=lambda engine, opts: count_missing(engine, opts.embedder().model_id),
    catch_up=lambda engine, opts, tick: embed_missing(
        engine, opts.embedder(), progress=(lambda d, _t: tick(d)) if tick else None),
    rebuild=lambda engine, opts, tick: embed_missing(  # stored vectors are reused
        engine, opts.embedder(), progress=(lambda d, _t: tick(d)) if tick else None),
    slow=True,
)
VECTORS = Derived(
    "vectors", "vector index", "added",
    pending=lambda engine, opts: pending_vectors(engine, opts.embedder().model_id),
    catch_up=lambda engine, opts, _tick: _vectors_step(engine, opts, rebuild=False),
    rebuild=lambda engine, opts, _tick: _vectors_step(engine, opts, rebuild=True),
    slow=True, unit="vectors",
)
