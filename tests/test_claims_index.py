"""Stored claims follow the papers: extracted after import, replaced on change, re-extracted
when the extractor's rules change."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

import paperfeed.index.claims as claims_index
from paperfeed.index.claims import catch_up_claims, pending_claims
from paperfeed.records import PaperRecord, validate
from paperfeed.store import write_tx
from paperfeed.store.write import write_records

ABSTRACT = ("We propose FastKV. It achieves a 2.5x speedup in decoding and reduces memory by "
            "40% compared with the full cache.")


def put(engine: Engine, pid: str, abstract: str) -> None:
    with write_tx(engine) as conn:
        write_records(conn, [validate(PaperRecord(id=pid, title="T", abstract=abstract,
                                                  source="arxiv-api"))])


def stored(engine: Engine, pid: str) -> list[tuple]:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT kind, value, unit, text, start, \"end\" FROM paper_claims "
            "WHERE paper_id = :p ORDER BY position"), {"p": pid})]


def test_claims_are_extracted_with_spans(engine: Engine) -> None:
    put(engine, "2501.00001v1", ABSTRACT)
    assert pending_claims(engine) == 1
    assert catch_up_claims(engine) == 1
    rows = stored(engine, "2501.00001")
    kinds = {(k, v) for k, v, *_ in rows}
    assert ("speedup", 2.5) in kinds and ("memory", 40.0) in kinds
    for _, _, _, span, start, end in rows:
        assert ABSTRACT[start:end] == span
    assert catch_up_claims(engine) == 0 and pending_claims(engine) == 0


def test_a_new_version_replaces_its_claims(engine: Engine) -> None:
    put(engine, "2501.00001v1", ABSTRACT)
    catch_up_claims(engine)
    put(engine, "2501.00001v2", "We study kernels. Our method is 3.1x faster than FlashAttention.")
    catch_up_claims(engine)
    assert [(k, v) for k, v, *_ in stored(engine, "2501.00001")] == [("speedup", 3.1)]


def test_new_extractor_rules_re_extract_everything(engine: Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    put(engine, "2501.00001v1", ABSTRACT)
    put(engine, "2501.00002v1", "No numbers here at all.")
    assert catch_up_claims(engine) == 2
    monkeypatch.setattr(claims_index, "EXTRACTOR_VERSION", claims_index.EXTRACTOR_VERSION + 1)
    assert pending_claims(engine) == 2
    assert catch_up_claims(engine) == 2
    with engine.connect() as conn:
        versions = set(conn.execute(text("SELECT extractor_version FROM paper_claims")).scalars())
    assert versions == {claims_index.EXTRACTOR_VERSION}


def test_extraction_split_over_processes_stores_the_same_claims(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    abstracts = [f"Method {i} is {1.5 + i / 10:.1f}x faster than FlashAttention and cuts "
                 f"memory by {10 + i}% on A100." if i % 3 else f"Paper {i} has no result."
                 for i in range(40)]
    for i, a in enumerate(abstracts):
        put(engine, f"2501.{i + 1:05d}v1", a)
    assert catch_up_claims(engine) == 40
    cols = ", ".join(f'"{c}"' for c in claims_index.COLS if c != "extractor_version")
    every = text(f"SELECT {cols} FROM paper_claims ORDER BY paper_id, position")
    with engine.connect() as conn:
        serial = conn.execute(every).all()
    assert len(serial) > 40
    pools: list[bool] = []
    real = claims_index._extract

    def spy(rows, pool, workers):  # type: ignore[no-untyped-def]
        pools.append(pool is not None)
        return real(rows, pool, workers)

    monkeypatch.setattr(claims_index, "_extract", spy)
    monkeypatch.setattr(claims_index, "MIN_PARALLEL", 1)
    monkeypatch.setattr(claims_index, "EXTRACTOR_VERSION", claims_index.EXTRACTOR_VERSION + 1)
    with engine.connect() as conn:
        conn.execute(text("UPDATE paper_claims SET kind = 'stale'"))
        conn.commit()
    assert catch_up_claims(engine, batch=16, workers=2) == 40
    assert pools == [True, True, True]
    with engine.connect() as conn:
        assert conn.execute(every).all() == serial
