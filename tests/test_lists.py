"""Author and category pages: newest first from the lookup tables' (key, announced, paper_id)
index, counts that count each paper once, and dates that follow a paper's changes."""

from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy import Engine, text
from test_web_api import load

from paperfeed.index.lookups import author_key
from paperfeed.rank.lists import author_papers, category_papers, newest_ids_sql


def _records(n: int) -> list[dict[str, object]]:
    rng = random.Random(4)
    out = []
    for i in range(n):
        day = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        authors = ["Ada Lovelace", "Alan Turing"] if i % 3 == 0 else ["Grace Hopper"]
        if i % 7 == 0:
            authors.append("ADA  lovelace")  # the same author key twice in one paper
        out.append({"id": f"2601.{i:05d}", "title": f"Paper {i}", "abstract": "An abstract.",
                    "authors": authors, "categories": ["cs.LG"] if i % 2 else ["cs.CL", "cs.LG"],
                    "date": day})
    return out


def _expected(records: list[dict[str, object]], keep) -> list[str]:  # type: ignore[no-untyped-def]
    mine = [r for r in records if keep(r)]
    mine.sort(key=lambda r: (str(r["date"]), str(r["id"])), reverse=True)
    return [str(r["id"]) for r in mine]


def test_author_and_category_pages_are_newest_first_and_count_each_paper_once(
        engine: Engine, tmp_path: Path) -> None:
    records = _records(120)
    load(engine, tmp_path, records)
    with engine.connect() as conn:
        for cat in ("cs.LG", "cs.CL"):
            want = _expected(records, lambda r, c=cat: c in r["categories"])
            pages = [category_papers(conn, cat, None, 25, off) for off in range(0, 150, 25)]
            assert {p["total"] for p in pages} == {len(want)}
            assert [c["id"] for p in pages for c in p["papers"]] == want
        want = _expected(records, lambda r: "ada lovelace" in map(author_key, r["authors"]))
        a = author_papers(conn, "ada lovelace", None, 100, 0)
        assert a["total"] == len(want) and [c["id"] for c in a["papers"]] == want
        assert a["name"] == "Ada Lovelace"


def test_a_papers_new_date_moves_it_on_its_lists(engine: Engine, tmp_path: Path) -> None:
    records = _records(20)
    load(engine, tmp_path, records)
    moved = {**records[5], "date": "2025-06-01"}  # an earlier announcement: the merge keeps it
    load(engine, tmp_path, [moved])
    with engine.connect() as conn:
        first = category_papers(conn, "cs.LG", None, 1, 19)["papers"][0]  # now the oldest
        day = conn.execute(text("SELECT announced FROM paper_categories WHERE paper_id = :p"),
                           {"p": moved["id"]}).scalars().all()
    assert first["id"] == moved["id"]
    assert set(day) == {conn_day(engine, str(moved["id"]))}


def conn_day(engine: Engine, paper_id: str) -> str:
    with engine.connect() as conn:
        return str(conn.execute(text("SELECT announced FROM papers WHERE id = :p"),
                                {"p": paper_id}).scalar_one())


def test_the_category_page_reads_one_index_range(engine: Engine, tmp_path: Path) -> None:
    if engine.dialect.name != "sqlite":
        return  # the plan is SQLite's; PostgreSQL's planner picks by statistics
    load(engine, tmp_path, _records(50))
    with engine.connect() as conn:
        sql = "EXPLAIN QUERY PLAN " + newest_ids_sql("paper_categories", "k.category = :c")
        plan = " ".join(str(r[-1]) for r in conn.execute(
            text(sql), {"c": "cs.LG", "limit": 30, "offset": 0}))
    assert "ix_paper_categories_category" in plan and "TEMP B-TREE" not in plan
