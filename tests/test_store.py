"""The store: merge rules, idempotence, provenance, Hugging Face data, derived lookups."""

from __future__ import annotations

from sqlalchemy import Engine, text

from paperfeed.index.lookups import catch_up_lookups
from paperfeed.records import HFInfo, PaperRecord, validate
from paperfeed.store import write_tx
from paperfeed.store.read import count_papers, get_paper, latest_papers, stats
from paperfeed.store.write import write_records


def rec(pid: str = "2503.12843", source: str = "jsonl", **kw: object) -> PaperRecord:
    base: dict[str, object] = {"title": "Attention reuse", "abstract": "We reuse attention."}
    base.update(kw)
    return validate(PaperRecord(id=pid, source=source, **base))  # type: ignore[arg-type]


def write(engine: Engine, *records: PaperRecord):  # type: ignore[no-untyped-def]
    with write_tx(engine) as conn:
        return write_records(conn, records)


def seq_of(engine: Engine, pid: str) -> int:
    with engine.connect() as c:
        return int(c.execute(text("SELECT seq FROM papers WHERE id = :i"), {"i": pid}).scalar_one())


def test_only_id_title_abstract_are_required(engine: Engine) -> None:
    write(engine, rec())
    with engine.connect() as c:
        p = get_paper(c, "2503.12843")
    assert p is not None
    assert p["title"] == "Attention reuse" and p["authors"] is None and p["categories"] is None
    assert p["links"]["abs"] == "https://arxiv.org/abs/2503.12843"


def test_versioned_id_is_stored_without_version(engine: Engine) -> None:
    write(engine, rec("arXiv:2503.12843v2"))
    with engine.connect() as c:
        p = get_paper(c, "2503.12843")
    assert p is not None and p["version"] == 2


def test_same_record_twice_changes_nothing(engine: Engine) -> None:
    r = rec(authors=["A. Author", "B. Author"], categories=["cs.CL", "cs.AI"], announced="2025-03-17")
    first = write(engine, r)
    s1 = seq_of(engine, r.id)
    second = write(engine, rec(authors=["A. Author", "B. Author"], categories=["cs.CL", "cs.AI"],
                               announced="2025-03-17"))
    assert (first.inserted, second.inserted, second.updated, second.unchanged) == (1, 0, 0, 1)
    assert seq_of(engine, r.id) == s1


def test_newer_version_updates_the_paper_and_its_seq(engine: Engine) -> None:
    write(engine, rec("2503.12843v1", title="Old title", submitted="2025-03-10"))
    before = seq_of(engine, "2503.12843")
    res = write(engine, rec("2503.12843v2", source="arxiv-api", title="New title",
                            submitted="2025-03-10", updated="2025-04-01"))
    assert res.updated == 1
    with engine.connect() as c:
        p = get_paper(c, "2503.12843")
    assert p is not None
    assert (p["title"], p["version"], p["updated"]) == ("New title", 2, "2025-04-01")
    assert seq_of(engine, "2503.12843") > before


def test_older_version_only_fills_gaps(engine: Engine) -> None:
    write(engine, rec("2503.12843v3", source="arxiv-api", title="v3 title"))
    write(engine, rec("2503.12843v1", source="oai-arXiv", title="v1 title", doi="10.1/x"))
    with engine.connect() as c:
        p = get_paper(c, "2503.12843")
    assert p is not None
    assert (p["title"], p["doi"], p["version"]) == ("v3 title", "10.1/x", 3)


def test_same_paper_from_two_sources_is_one_paper_with_both_provenances(engine: Engine) -> None:
    write(engine, rec(source="jsonl", announced="2025-03-17"))
    write(engine, rec("2503.12843v1", source="arxiv-api", submitted="2025-03-14",
                      journal_ref="NeurIPS 2025"))
    with engine.connect() as c:
        assert count_papers(c) == 1
        p = get_paper(c, "2503.12843")
    assert p is not None
    assert {s["source"] for s in p["sources"]} == {"jsonl", "arxiv-api"}
    assert (p["announced"], p["submitted"], p["journal_ref"]) == (
        "2025-03-17", "2025-03-14", "NeurIPS 2025")


def test_hf_upvotes_attach_without_overriding_arxiv_metadata(engine: Engine) -> None:
    write(engine, rec(source="oai-arXiv", title="The arXiv title"))
    hf = rec(source="hf", title="HF's title", hf=HFInfo(upvotes=42, github_repo="https://g/x"))
    res = write(engine, hf)
    assert res.upvotes_updated == 1
    with engine.connect() as c:
        p = get_paper(c, "2503.12843")
        assert stats(c)["with_hf_upvotes"] == 1
    assert p is not None
    assert p["title"] == "The arXiv title"
    assert p["hf"]["upvotes"] == 42 and p["hf"]["github_repo"] == "https://g/x"
    again = write(engine, rec(source="hf", title="HF's title",
                              hf=HFInfo(upvotes=42, github_repo="https://g/x")))
    assert again.upvotes_updated == 0 and again.updated == 0


def test_hf_only_paper_is_created_and_later_improved_by_arxiv(engine: Engine) -> None:
    write(engine, rec(source="hf", title="From HF", hf=HFInfo(upvotes=3)))
    write(engine, rec(source="arxiv-api", title="From arXiv", categories=["cs.LG"]))
    with engine.connect() as c:
        p = get_paper(c, "2503.12843")
    assert p is not None and p["title"] == "From arXiv" and p["hf"]["upvotes"] == 3


def test_duplicates_within_one_batch_merge(engine: Engine) -> None:
    res = write(engine, rec("2503.12843v1", title="one"), rec("2503.12843v2", title="two"))
    assert res.inserted == 1
    with engine.connect() as c:
        p = get_paper(c, "2503.12843")
    assert p is not None and (p["title"], p["version"]) == ("two", 2)


def test_lookups_follow_changes(engine: Engine) -> None:
    write(engine, rec(authors=["Ada Lovelace"], categories=["cs.CL"], announced="2025-01-02"))
    catch_up_lookups(engine)
    with engine.connect() as c:
        assert [p["id"] for p in latest_papers(c, category="cs.CL")] == ["2503.12843"]
    write(engine, rec("2503.12843v2", source="arxiv-api", authors=["Ada  Lovelace", "Alan Turing"],
                      categories=["cs.LG"]))
    catch_up_lookups(engine)
    with engine.connect() as c:
        assert latest_papers(c, category="cs.CL") == []
        assert [p["id"] for p in latest_papers(c, category="cs.LG")] == ["2503.12843"]
        keys = c.execute(text("SELECT name_key FROM paper_authors ORDER BY position")).scalars()
        assert list(keys) == ["ada lovelace", "alan turing"]
