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
