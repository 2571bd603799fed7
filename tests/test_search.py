"""Search: the lexical index, hybrid fusion, filters, similar papers and the CLI, on both backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest
from sqlalchemy import Engine, text
from support.paths import FIXTURES
from typer.testing import CliRunner

from paperfeed.index.embed import HashEmbedder
from paperfeed.index.lexical import (
    LexicalIndex,
    catch_up_after_import,
    catch_up_lexical,
    lexical_status,
    parse_query,
    rebuild_lexical,
)
from paperfeed.ingest.files import import_file
from paperfeed.search.hybrid import FUSION, Searcher, convex, rrf
from paperfeed.search.snippets import make_snippet
from paperfeed.web.render import highlight

SAMPLE = FIXTURES / "arxiv-sample-305.jsonl.gz"


class ExactVectors:
    """A tiny exact-search stand-in for paperfeed.index.vectors.VectorIndex."""

    def __init__(self, ids: list[str], mat: np.ndarray) -> None:
        self.ids, self.mat = ids, mat

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, qvec: np.ndarray, k: int, ids_filter: list[str] | None = None
               ) -> list[tuple[str, float]]:
        sims = self.mat @ qvec
        order = [i for i in np.argsort(-sims) if ids_filter is None or self.ids[i] in ids_filter]
        return [(self.ids[i], float(sims[i])) for i in order[:k]]

    def vector(self, pid: str) -> np.ndarray | None:
        return self.mat[self.ids.index(pid)] if pid in self.ids else None


@pytest.fixture
def corpus(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The 305-paper sample, imported and indexed lexically (index files under tmp_path)."""
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    import_file(engine, SAMPLE, parallel=False)
    catch_up_after_import(engine)
    return engine


def _write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def _papers(engine: Engine, ids: list[str]) -> dict[str, dict[str, object]]:
    with engine.connect() as c:
        rows = c.execute(text("SELECT id, title, abstract, authors, categories, announced "
                              "FROM papers")).mappings().all()
    return {r["id"]: dict(r) for r in rows if r["id"] in ids}


def _hash_vectors(engine: Engine) -> tuple[HashEmbedder, ExactVectors]:
    emb = HashEmbedder()
    with engine.connect() as c:
        rows = c.execute(text("SELECT id, title, abstract FROM papers ORDER BY id")).all()
    mat = emb.embed([f"{r.title} {r.abstract}" for r in rows])
    return emb, ExactVectors([r.id for r in rows], mat)


def test_paraphrase_of_a_title_finds_the_paper_first(corpus: Engine) -> None:
    s = Searcher(corpus)
    res = s.search("political bias of language models when fact checking", k=5, count=True)
    assert res.mode_used == "lexical" and res.hits[0].id == "2509.15335"
    assert res.total and res.total >= 5
    top = res.hits[0]
    assert top.title.startswith("PolBiX") and top.authors[0] == "Charlott Jakob"
    assert top.categories == ["cs.CL"] and top.announced == "2025-09-22"
    assert top.lexical_rank == 1 and top.semantic_rank is None
    # a whole abstract pasted as the query finds its own paper
    abstract = _papers(corpus, ["2505.22757"])["2505.22757"]["abstract"]
    assert s.search(str(abstract), k=3).hits[0].id == "2505.22757"


def test_phrase_and_prefix_queries(corpus: Engine) -> None:
    s = Searcher(corpus)
    hits = s.search('"multi-token prediction"', k=50).hits
    assert hits and hits[0].id == "2505.22757"
    texts = _papers(corpus, [h.id for h in hits])
    for h in hits:
        body = f"{texts[h.id]['title']} {texts[h.id]['abstract']}".lower().replace("-", " ")
        assert "multi token prediction" in body
    # the same words, not as a phrase in this order: the phrase query asks for adjacency
    assert len(s.search('"prediction multi-token"', k=50).hits) < len(hits)
    pre = s.search("retrofit*", k=10).hits
    assert pre and pre[0].id == "2510.14274"
    assert s.search("retrofit", k=10).hits[0].id == "2510.14274"  # stemming
    seg = s.search("segment*", k=50).hits
    assert len(seg) > 5
    assert all(any(h.snippet[a:b].lower().startswith("segment") for a, b in h.spans)
               or "segment" in h.title.lower() for h in seg)


def test_filters_exclude_what_they_must(corpus: Engine) -> None:
    s = Searcher(corpus)
    cv = s.search("model", k=50, category="cs.CV").hits
    assert cv and all("cs.CV" in h.categories for h in cv)
    dated = s.search("model", k=50, since="2026-01-01", until="2026-03-31").hits
    assert dated and all("2026-01-01" <= (h.announced or "") <= "2026-03-31" for h in dated)
    mine = s.search("language", k=50, author="Alan Akbik").hits
    assert [h.id for h in mine] == ["2505.22757"]
    assert [h.id for h in s.search("", author="akbik").hits] == ["2505.22757"]
    assert s.search("language", author="Nobody Atall").hits == []
    with pytest.raises(ValueError, match="not a date"):
        s.search("model", since="last week")


def test_date_sort_and_pagination(corpus: Engine) -> None:
    s = Searcher(corpus)
    by_date = s.search("learning", k=30, sort="date").hits
    dates = [h.announced or "" for h in by_date]
    assert len(dates) == 30 and dates == sorted(dates, reverse=True)
    first = s.search("image segmentation", k=10).hits
    second = s.search("image segmentation", k=10, offset=10).hits
    both = s.search("image segmentation", k=20).hits
    assert [h.id for h in first + second] == [h.id for h in both]
    assert not {h.id for h in first} & {h.id for h in second}
    browse = s.search("", k=5, category="cs.CL")
    # a category filter matches cross-lists too: 56 primary cs.CL + 16 cross-listed
    assert browse.total == 72 and all("cs.CL" in h.categories for h in browse.hits)


def test_snippets_are_escaped_and_highlighted(corpus: Engine, tmp_path: Path) -> None:
    f = _write_jsonl(tmp_path / "new.jsonl", [{
        "id": "2601.99999", "title": "Quokka transformers & <b>friends</b>",
        "abstract": "We show <script>alert(1)</script> that quokka attention beats x < y & z.",
        "authors": ["Zed O'Neil"], "categories": ["cs.LG"], "date": "2026-01-15"}])
    import_file(corpus, f, parallel=False)
    assert catch_up_after_import(corpus) == 1  # searchable lexically at once
    hit = Searcher(corpus).search("quokka attention", k=1).hits[0]
    assert hit.id == "2601.99999" and hit.title == "Quokka transformers & <b>friends</b>"
    # search returns plain text and spans; the web makes the HTML (web/render.py)
    assert [hit.snippet[a:b] for a, b in hit.spans] == ["quokka", "attention"]
    page = str(highlight(hit.snippet, hit.spans))
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<mark>quokka</mark> <mark>attention</mark>" in page
    assert "x &lt; y &amp; z" in page
    q = parse_query("model")
    long = " ".join(["filler"] * 100) + " the model works " + " ".join(["tail"] * 100)
    cut = make_snippet(long, q, width=120)
    assert [cut.text[a:b] for a, b in cut.spans] == ["model"] and len(cut.text) < 200
    assert "<mark>model</mark>" in str(highlight(cut.text, cut.spans))


def test_index_catches_up_incrementally_like_a_rebuild(corpus: Engine, tmp_path: Path) -> None:
    assert catch_up_lexical(corpus) == 0  # idempotent
    st = lexical_status(corpus)
    assert st["documents"] == 305 and st["behind"] == 0
    # a newer version of a paper replaces it (delete by id + add)
    f = _write_jsonl(tmp_path / "v2.jsonl", [{
        "id": "2509.15335", "title": "Wombat detection in fact-checking pipelines",
        "abstract": "A revised abstract about wombats.", "authors": ["Charlott Jakob"],
        "categories": ["cs.CL"], "date": "2025-09-22", "version": 2}])
    import_file(corpus, f, parallel=False)
    assert lexical_status(corpus)["behind"] == 1
    s = Searcher(corpus, catch_up=False)
    assert catch_up_lexical(corpus) == 1
    s.lexical.refresh(force=True)  # type: ignore[union-attr]
    assert [h.id for h in s.search("wombat", k=5).hits] == ["2509.15335"]
    assert s.search('"X-phemisms"', k=5).hits == []
    assert len(s.lexical) == 305  # type: ignore[arg-type]
    queries = ["language model", "galaxy cluster", '"vision mamba"', "segment*", "wombat"]
    # deleted documents still weigh in BM25 statistics until segments merge, so near-ties may
    # swap (prefix matches all score alike): compare what matches
    before = [{x.id for x in s.search(q, k=400).hits} for q in queries]
    assert rebuild_lexical(corpus) == 305
    fresh = LexicalIndex.open(corpus)
    assert len(fresh) == 305
    s2 = Searcher(corpus)
    after = [{x.id for x in s2.search(q, k=400).hits} for q in queries]
    assert after == before


def test_hybrid_fuses_and_degrades_without_vectors(corpus: Engine) -> None:
    emb, vecs = _hash_vectors(corpus)
    s = Searcher(corpus, embedder=emb, vectors=vecs)
    res = s.search("vision mamba skin lesion segmentation", k=10)
    assert res.mode_used == "hybrid" and res.note is None
    assert res.hits[0].id == "2503.19427"
    assert any(h.semantic_rank for h in res.hits) and any(h.lexical_rank for h in res.hits)
    assert [h.score for h in res.hits] == sorted((h.score for h in res.hits), reverse=True)
    sem = s.search("vision mamba skin lesion segmentation", k=10, mode="semantic")
    assert sem.mode_used == "semantic" and all(h.lexical_rank is None for h in sem.hits)
    cv = s.search("segmentation", k=20, category="cs.CV")
    assert cv.hits and all("cs.CV" in h.categories for h in cv.hits)
    # no vectors for the model yet: lexical results and a one-line note
    empty = Searcher(corpus, embedder=emb, vectors=ExactVectors([], np.zeros((0, emb.dim))))
    res = empty.search("vision mamba", k=5)
    assert res.mode_used == "lexical" and res.hits
    assert res.note and "index update" in res.note and "\n" not in res.note


def test_rrf_prefers_agreement() -> None:
    fused = rrf([(["a", "b", "c"], 1.0), (["c", "b", "d"], 1.0)])
    assert {p for p, _ in fused[:2]} == {"b", "c"}
    assert {p for p, _ in fused} == {"a", "b", "c", "d"}


def test_convex_fusion_weighs_scores_not_only_ranks() -> None:
    lex = {"a": 10.0, "b": 9.5, "c": 0.0}
    sem = {"c": 0.9, "b": 0.85, "a": 0.1}
    fused = convex([(lex, 1.0), (sem, 1.0)])
    # b is close to the top of both lists: first; a and c each lead one list only
    assert fused[0][0] == "b" and {p for p, _ in fused[1:]} == {"a", "c"}
    assert fused[0][1] == pytest.approx(0.95 + 0.9375)
    # weights tilt it; a paper a list lacks scores 0 there; a one-paper list scores 1
    assert convex([(lex, 1.0), (sem, 0.05)])[0][0] == "a"
    assert dict(convex([({"x": 2.0}, 1.0), ({"y": 0.3, "z": 0.1}, 0.5)])) == {
        "x": 1.0, "y": 0.5, "z": 0.0}
    assert convex([({}, 1.0), ({}, 1.0)]) == []
    # a longer list (a deeper page) keeps the order of the first `depth`: what lies below
    # the depth-th score counts as absent
    more = {**lex, "d": -5.0}
    before = convex([(lex, 1.0), (sem, 1.0)], depth=3)
    assert convex([(more, 1.0), (sem, 1.0)], depth=3) == [*before, ("d", 0.0)]


def test_hybrid_fuses_by_the_default_method(corpus: Engine) -> None:
    emb, vecs = _hash_vectors(corpus)
    s = Searcher(corpus, embedder=emb, vectors=vecs)
    assert s.fusion == FUSION == "cc"
    q = "vision mamba segmentation"
    lex = {h.id: h.score for h in s.search(q, k=100, mode="lexical").hits}
    sem = {h.id: h.score for h in s.search(q, k=100, mode="semantic").hits}
    hyb = [h.id for h in s.search(q, k=10).hits]
    want = [p for p, _ in convex([(lex, s.w_lexical), (sem, s.w_semantic)])[:10]]
    assert len(hyb) == 10 and hyb[:5] == want[:5]
    s.set_fusion("rrf")
    ranked = [[h.id for h in s.search(q, k=100, mode=m).hits] for m in ("lexical", "semantic")]
    want_rrf = [p for p, _ in rrf([(ranked[0], s.w_lexical), (ranked[1], s.w_semantic)],
                                  s.rrf_k)[:10]]
    assert [h.id for h in s.search(q, k=10).hits][:5] == want_rrf[:5]
    with pytest.raises(ValueError):
        s.set_fusion("sum")  # type: ignore[arg-type]


def test_similar_by_vector_and_by_words(corpus: Engine) -> None:
    emb, vecs = _hash_vectors(corpus)
    sem = Searcher(corpus, embedder=emb, vectors=vecs).similar("2503.19427", k=5)
    assert sem.mode_used == "semantic" and len(sem.hits) == 5
    assert "2503.19427" not in [h.id for h in sem.hits]
    lex = Searcher(corpus, embedder=emb, vectors=ExactVectors([], np.zeros((0, 64))))
    res = lex.similar("2503.19427", k=5)
    assert res.mode_used == "lexical" and len(res.hits) == 5 and res.note
    assert "2503.19427" not in [h.id for h in res.hits]
    assert any("segment" in h.title.lower() for h in res.hits)
    with pytest.raises(KeyError):
        lex.similar("2501.00000", k=5)


def test_counts_by_month(corpus: Engine) -> None:
    s = Searcher(corpus)
    months = s.months("segmentation")
    assert months and all(len(m) == 7 and n > 0 for m, n in months)
    assert [m for m, _ in months] == sorted(m for m, _ in months)
    total = s.search("segmentation", k=1, sort="date").total
    assert sum(n for _, n in months) == total


# --- the command line ---------------------------------------------------------------------

def _cli():  # type: ignore[no-untyped-def]
    """The real `paperfeed` app, with the search commands registered if the lead has not yet."""
    from paperfeed.cli import app
    from paperfeed.cli.search_cmd import index_app, search_command, similar_command

    names = {c.name for c in app.registered_commands}
    if "search" not in names:
        app.command("search")(search_command)
        app.command("similar")(similar_command)
        app.add_typer(index_app, name="index")
    return app


def test_cli_search_json_batch_similar_and_status(db_url: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("PAPERFEED_EMBED_MODEL", "hash")
    app, run = _cli(), CliRunner()
    db = ["--db", db_url]
    r = run.invoke(app, [*db, "import", str(SAMPLE)])
    assert r.exit_code == 0, r.output
    r = run.invoke(app, [*db, "index", "update", "--lexical-only"])
    assert r.exit_code == 0, r.output
    r = run.invoke(app, [*db, "search", "political bias fact checking", "--k", "3", "--json"])
    assert r.exit_code == 0, r.output
    hits = orjson.loads(r.stdout)
    assert isinstance(hits, list) and len(hits) == 3 and hits[0]["id"] == "2509.15335"
    assert {"id", "title", "score", "snippet", "authors", "categories"} <= set(hits[0])
    r = run.invoke(app, [*db, "search", "model", "--category", "cs.CV", "--since",
                         "2026-01-01", "--json"])
    assert all("cs.CV" in h["categories"] and h["announced"] >= "2026-01-01"
               for h in orjson.loads(r.stdout))
    qfile = tmp_path / "q.txt"
    qfile.write_text("galaxy cluster mass\nvision mamba\nzzzqqq xqxqxq\n")  # no word near either
    r = run.invoke(app, [*db, "search", "--batch", str(qfile), "--k", "10", "--json"])
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().split("\n")
    assert len(lines) == 3
    arrays = [orjson.loads(x) for x in lines]
    assert arrays[2] == [] and arrays[1][0]["id"] == "2503.19427"
    r = run.invoke(app, [*db, "similar", "2503.19427", "--k", "4", "--json"])
    assert r.exit_code == 0, r.output
    sims = orjson.loads(r.stdout)
    assert len(sims) == 4 and "2503.19427" not in [h["id"] for h in sims]
    r = run.invoke(app, [*db, "similar", "2501.00000"])
    assert r.exit_code == 2 and "no paper" in r.stderr
    r = run.invoke(app, [*db, "index", "status", "--json"])
    st = orjson.loads(r.stdout)
    assert st["papers"] == 305 and st["lexical"]["documents"] == 305
    # embed with the hash model, then hybrid search uses both retrievers
    r = run.invoke(app, [*db, "index", "update"])
    assert r.exit_code == 0, r.output
    st = orjson.loads(run.invoke(app, [*db, "index", "status", "--json"]).stdout)
    assert st["vectors"]["hash-bow-64"]["missing"] == 0
    r = run.invoke(app, [*db, "search", "vision mamba lesion", "--json"])
    hybrid = orjson.loads(r.stdout)
    assert hybrid[0]["id"] == "2503.19427" and any(h["semantic_rank"] for h in hybrid)
    assert run.invoke(app, [*db, "index", "update"]).exit_code == 0  # idempotent
    r = run.invoke(app, [*db, "search", "segmentation"])  # the human-readable listing
    assert r.exit_code == 0 and "results" in r.stdout
    r = run.invoke(app, [*db, "search", "x", "--sort", "stars"])
    assert r.exit_code == 1 and "--sort" in r.stderr
