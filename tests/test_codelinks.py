"""Code and project links: extraction from real-looking abstracts, the derived table (caught up
by seq, rebuildable) on both backends, the badge, the "with code" filters and the code feed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from support.corpus import load_corpus

from paperfeed.index import codelinks
from paperfeed.index.codelinks import extract_links
from paperfeed.web.app import create_app
from paperfeed.web.settings import WebSettings


def links(abstract: str, comment: str | None = None) -> list[tuple[str, str]]:
    return [(link.kind, link.url) for link in extract_links(abstract, comment)]


def test_repositories_and_project_pages_are_found_and_canonical() -> None:
    assert links("Code is available at https://github.com/Brack-Wang/ZECO.") == [
        ("code", "https://github.com/Brack-Wang/ZECO")]
    assert links("see \\url{https://github.com/a/b.git}, and github.com/a/b/tree/main") == [
        ("code", "https://github.com/a/b")]
    assert links("Codes are available at https://github.com/ wangzc1233/Prot2Chat. Contact") \
        == [("code", "https://github.com/wangzc1233/Prot2Chat")]
    assert links("", "Project page: \\href{https://anima-x.github.io/}{https://anima-x.github.io/}"
                 ) == [("project", "https://anima-x.github.io")]
    assert links("Project website: https://bedlam2.is.tue.mpg.de") == [
        ("project", "https://bedlam2.is.tue.mpg.de")]
    assert links("at https://gitlab.com/grp/sub/proj/-/tree/main and "
                 "https://anonymous.4open.science/r/RMCD-DBD1.") == [
        ("code", "https://gitlab.com/grp/sub/proj"),
        ("code", "https://anonymous.4open.science/r/RMCD-DBD1")]


def test_placeholders_papers_and_data_are_not_code() -> None:
    assert links("code will be at https://github.com/anonymized-link. and github.com.") == []
    assert links("https://github.com/ --. and https://github.com/.") == []
    assert links("Data: https://doi.org/10.5281/zenodo.1 and https://huggingface.co/datasets/x "
                 "and https://openreview.net/forum?id=V4aG4wsoIt). Website: https://youtu.be/x") \
        == []
    assert links("The results at https://example.org/tables are shown.") == []  # no cue


def test_stored_links_come_first_and_each_url_once() -> None:
    found = extract_links("Code: https://github.com/x/fold.", None,
                          {"code": "https://github.com/x/fold", "abs": "https://arxiv.org/abs/1"})
    assert [(f.kind, f.url, f.source) for f in found] == [
        ("code", "https://github.com/x/fold", "links")]


PAPERS = [
    {"id": "2611.00001", "title": "Sparse attention", "date": "2026-11-30",
     "abstract": "Fast attention. Code: https://github.com/ada/sparse-attn.",
     "authors": ["Ada Lovelace"], "categories": ["cs.CL"]},
    {"id": "2611.00002", "title": "Folding proteins with attention", "date": "2026-11-30",
     "abstract": "Attention folds proteins.", "authors": ["Rosalind Franklin"],
     "categories": ["q-bio.BM"], "comment": "Project page: https://fold.github.io/x"},
    {"id": "2611.00003", "title": "Attention bounds", "date": "2026-11-30",
     "abstract": "No code here about attention.", "authors": ["Paul Erdos"],
     "categories": ["math.CO"]},
]


def _table(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT paper_id, kind, url FROM paper_code_links ORDER BY paper_id, position"))]


def test_catch_up_follows_changes_and_rebuild_agrees(engine: Engine, tmp_path: Path) -> None:
    load_corpus(engine, tmp_path, PAPERS, indexes=False)
    assert codelinks.catch_up(engine) == 3 and codelinks.catch_up(engine) == 0
    assert _table(engine) == [("2611.00001", "code", "https://github.com/ada/sparse-attn"),
                              ("2611.00002", "project", "https://fold.github.io/x")]
    changed = {**PAPERS[2], "abstract": "Now with code: https://gitlab.com/erdos/bounds",
               "version": 2}
    load_corpus(engine, tmp_path, [changed], indexes=False)
    assert codelinks.pending(engine) == 1 and codelinks.catch_up(engine) == 1
    after = _table(engine)
    assert ("2611.00003", "code", "https://gitlab.com/erdos/bounds") in after
    assert codelinks.rebuild(engine, batch=1) == 3 and _table(engine) == after


@pytest.fixture
def client(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[TestClient]:
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    load_corpus(engine, tmp_path, PAPERS)
    with TestClient(create_app(engine, WebSettings("k" * 48))) as c:
        yield c


def test_badge_filters_and_feed(client: TestClient) -> None:
    page = client.get("/", params={"date": "2026-11-30"}).text
    assert page.count('class="code-badge"') == 1
    assert 'href="https://github.com/ada/sparse-attn"' in page
    only = client.get("/", params={"date": "2026-11-30", "code": "1"}).text
    assert "Sparse attention" in only and "Attention bounds" not in only
    paper = client.get("/papers/2611.00001").text
    assert 'class="code-badge"' in paper
    day = client.get("/api/daily", params={"date": "2026-11-30", "has_code": "true"}).json()
    assert [p["id"] for p in day["papers"]] == ["2611.00001"] and day["total"] == 1
    assert day["papers"][0]["links"]["code"] == "https://github.com/ada/sparse-attn"
    hits = client.get("/api/search", params={"q": "attention", "has_code": "true"}).json()
    assert [h["id"] for h in hits["hits"]] == ["2611.00001"]
    found = client.get("/search", params={"q": "attention", "code": "1"}).text
    assert "Sparse attention" in found and "Attention bounds" not in found
    assert "checked" in found
    for fmt in ("atom", "rss"):
        r = client.get(f"/feeds/code.{fmt}")
        assert r.status_code == 200, r.text
        feed = feedparser.parse(r.content)
        assert not feed.bozo and [e.title for e in feed.entries] == ["Sparse attention"]
