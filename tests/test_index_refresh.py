"""The derived indexes' one life cycle: refresh(), index_state watermarks, read-only readers."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, inspect, text
from support.paths import FIXTURES

from paperfeed.index import lexical
from paperfeed.index.embed import HashEmbedder
from paperfeed.index.lexical import LexicalIndex, catch_up_lexical, lexical_dir
from paperfeed.index.refresh import RefreshFailed, refresh
from paperfeed.index.registry import names
from paperfeed.index.vectors import VectorIndex
from paperfeed.ingest.files import import_file
from paperfeed.progress import Reporter
from paperfeed.search.hybrid import Searcher
from paperfeed.store import connect, open_store, upgrade, write_tx
from paperfeed.store.index_state import all_states, get_state

SAMPLE = FIXTURES / "arxiv-sample-305.jsonl.gz"
MODEL = HashEmbedder().model_id  # PAPERFEED_EMBED_MODEL=hash


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    index = tmp_path / "index"
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(index))
    monkeypatch.setenv("PAPERFEED_EMBED_MODEL", "hash")
    return index


def _max_seq(engine: Engine) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT MAX(seq) FROM papers")).scalar_one())


def test_refresh_catches_every_index_up_once_then_says_up_to_date(engine: Engine,
                                                                  env: Path) -> None:
    import_file(engine, SAMPLE, parallel=False)
    lines: list[str] = []
    first = refresh(engine, progress=Reporter(write=lines.append))
    assert names() == ["lookups", "lexical", "claims", "embeddings", "vectors"]
    assert {n: first.done(n) for n in names()} == {n: 305 for n in names()}
    finals = [ln for ln in lines if " in " in ln and "%" not in ln]
    assert [ln.split(":")[0] for ln in finals] == [
        "author and category lookups", "lexical index", "claims", "embeddings", "vector index"]
    assert "lexical index: 305 papers indexed in " in lines[[ln.split(":")[0] for ln in lines]
                                                          .index("lexical index")]
    assert not any(" 0 papers" in ln or "0/" in ln for ln in lines)
    # one table holds every watermark, each at the newest paper change
    states = all_states(engine)
    top = _max_seq(engine)
    assert {n: s.seq for n, s in states.items()} == {
        "lookups": top, "lexical": top, "claims": top, f"embeddings:{MODEL}": top,
        f"vectors:{MODEL}": top}
    lines.clear()
    again = refresh(engine, progress=Reporter(write=lines.append))
    assert all(s.skipped for s in again.steps.values()) and len(again.steps) == 5
    assert lines == ["author and category lookups: up to date", "lexical index: up to date",
                     "claims: up to date", "embeddings: up to date", "vector index: up to date"]
    # fetches skip the slow steps; a rebuild redoes everything from the database
    assert list(refresh(engine, slow=False).steps) == ["lookups", "lexical", "claims"]
    rebuilt = refresh(engine, rebuild=True)
    assert {n: rebuilt.done(n) for n in ("lookups", "lexical", "claims", "vectors")} == {
        "lookups": 305, "lexical": 305, "claims": 305, "vectors": 305}
    assert rebuilt.done("embeddings") == 0  # stored vectors are reused, not re-embedded
    assert all_states(engine)["lexical"].build != states["lexical"].build
    with pytest.raises(ValueError, match="unknown index"):
        refresh(engine, only=["nope"])


def test_a_failing_step_reports_what_was_done(engine: Engine, env: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import_file(engine, SAMPLE, parallel=False)
    lines: list[str] = []
    monkeypatch.setenv("PAPERFEED_EMBED_MODEL", "no-such-model")
    with pytest.raises(RefreshFailed) as e:
        refresh(engine, progress=Reporter(write=lines.append))
    assert e.value.step == "embeddings" and e.value.report.done("lexical") == 305
    assert lines[-1].startswith("embeddings: FAILED after ") and "no-such-model" in lines[-1]


def test_progress_without_a_terminal_is_periodic_plain_lines(
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = itertools.count(0.0, 0.5)  # every call: half a second later
    monkeypatch.setattr("paperfeed.progress.time.monotonic", lambda: next(clock))
    lines: list[str] = []
    rep = Reporter(write=lines.append, every_s=5.0)
    assert not rep.tty
    step = rep.step("lexical index", total=1000)
    for done in range(0, 1001, 10):
        step.update(done)
    step.finish("1,000 papers indexed")
    assert 5 <= len(lines) <= 12  # about every 10 %, never more than a line a second
    assert all("\r" not in ln and "\x1b" not in ln for ln in lines)
    assert lines[0].startswith("lexical index: ") and "% (" in lines[0] and "papers/s" in lines[0]
    assert lines[-1].startswith("lexical index: 1,000 papers indexed in ")
    assert rep.step("claims").skip("up to date") == "claims: up to date"


def test_watermarks_of_older_releases_are_adopted_not_rebuilt(
        engine: Engine, env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import_file(engine, SAMPLE, parallel=False)
    refresh(engine)
    top = _max_seq(engine)
    # the lexical index of an older release: state.json beside tantivy's files, no row
    root = lexical_dir(engine)
    (root / lexical.BUILD).unlink()
    (root / lexical.LEGACY_STATE).write_bytes(orjson.dumps({"format": lexical.FORMAT,
                                                            "seq": top}))
    # the vector index of an older release: its watermark in the sidecar
    ix = VectorIndex(engine, MODEL)
    meta = orjson.loads(ix.meta_path.read_bytes())
    del meta["build"]
    ix.meta_path.write_bytes(orjson.dumps({**meta, "watermark": top}))
    with write_tx(engine) as c:
        c.execute(text("DELETE FROM index_state WHERE name IN ('lexical', :v)"),
                  {"v": f"vectors:{MODEL}"})

    def no_rebuild(*_a: object, **_k: object) -> int:
        raise AssertionError("rebuilt instead of adopting the old watermark")

    monkeypatch.setattr(lexical, "_rebuild_locked", no_rebuild)
    monkeypatch.setattr(VectorIndex, "rebuild", no_rebuild)
    assert catch_up_lexical(engine) == 0
    assert not (root / lexical.LEGACY_STATE).exists() and (root / lexical.BUILD).exists()
    opened = VectorIndex.open(engine, MODEL)
    assert len(opened) == 305 and "watermark" not in orjson.loads(opened.meta_path.read_bytes())
    with engine.connect() as c:
        lex, vec = get_state(c, "lexical"), get_state(c, f"vectors:{MODEL}")
    assert lex is not None and vec is not None and lex.seq == vec.seq == top
    assert len(LexicalIndex.open(engine)) == 305


def test_migration_moves_checkpoint_watermarks_to_index_state(db_url: str) -> None:
    engine = connect(db_url)
    upgrade(engine, "0005")
    with write_tx(engine) as c:
        for key, value in (("index:lookups", 41), ("index:claims", {"seq": 40, "extractor": 3}),
                           ("vectors:hash-bow-64", 39), ("import:x.jsonl", {"line": 5})):
            c.execute(text("INSERT INTO checkpoints (key, value, updated_at) VALUES "
                           "(:k, :v, '2026-01-01T00:00:00+00:00')"),
                      {"k": key, "v": orjson.dumps(value).decode()})
    engine.dispose()
    engine = open_store(db_url)
    states = all_states(engine)
    assert {n: (s.seq, s.version) for n, s in states.items()} == {
        "lookups": (41, ""), "claims": (40, "3"), "embeddings:hash-bow-64": (39, "")}
    with engine.connect() as c:
        left = c.execute(text("SELECT key FROM checkpoints")).scalars().all()
    assert left == ["import:x.jsonl"]  # other checkpoints stay
    engine.dispose()


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_readers_write_nothing_and_see_what_a_writer_adds(engine: Engine, env: Path) -> None:
    """A Searcher opened before any index exists serves what it can, then catches on."""
    s = Searcher(engine, catch_up=False)
    res = s.search("vision mamba", k=5)
    assert res.hits == [] and res.note and "no search index yet" in res.note
    reader = VectorIndex.open(engine, MODEL, readonly=True)
    assert len(reader) == 0
    assert _files(env) == {} and all_states(engine) == {}  # nothing written by readers
    import_file(engine, SAMPLE, parallel=False)
    refresh(engine)
    before = _files(env)
    s.refresh(force=True)
    res = s.search("vision mamba skin lesion segmentation", k=5, mode="semantic")
    assert res.mode_used == "semantic" and res.hits[0].id == "2503.19427"
    assert reader.refresh(force=True) and len(reader) == 305
    with pytest.raises(RuntimeError, match="read-only"):
        reader.save()
    assert _files(env) == before
    # tables too: a reader's look at the watermarks is a SELECT
    assert sorted(inspect(engine).get_table_names()).count("index_state") == 1
