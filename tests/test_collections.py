"""Public collections: a library tag is private until its owner publishes it; then its page,
Atom/RSS feeds (read back with feedparser), BibTeX (bibtexparser) and JSON show its papers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from support.corpus import load_corpus

from paperfeed.accounts.collections import NoSuchTag, publish
from paperfeed.accounts.marks import set_saved
from paperfeed.accounts.users import signup
from paperfeed.web.app import create_app
from paperfeed.web.settings import WebSettings

PAPERS = [
    {"id": f"2601.0000{n}", "title": title, "abstract": f"Abstract {n}.",
     "authors": ["Ada Lovelace"], "categories": ["cs.CL"], "date": "2026-01-05"}
    for n, title in enumerate(["Sparse attention", "Protein folding", "Graph bounds"], 1)
]


@pytest.fixture
def client(engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    load_corpus(engine, tmp_path, PAPERS, indexes=False)
    signup(engine, "ada@example.org", "correct horse battery", display_name="Ada")
    with engine.connect() as conn:
        uid = int(conn.execute(text("SELECT id FROM users")).scalar_one())
    set_saved(engine, uid, "2601.00001", True, ["reading list"])
    set_saved(engine, uid, "2601.00002", True, ["reading list", "bio"])
    set_saved(engine, uid, "2601.00003", True, ["private"])
    with TestClient(create_app(engine, WebSettings("k" * 48))) as c:
        yield c


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]*)"', html)
    assert m
    return m.group(1)


def test_a_tag_is_private_until_published_and_round_trips(client: TestClient,
                                                          engine: Engine) -> None:
    r = client.post("/login", data={"email": "ada@example.org",
                                    "password": "correct horse battery",
                                    "csrf": _csrf(client.get("/login").text)},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/library", params={"tag": "reading list"}).text
    assert "is private" in page and "/c/" not in page
    r = client.post("/library/public", data={"tag": "reading list", "on": "1",
                                             "csrf": _csrf(page)}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/library", params={"tag": "reading list"}).text
    m = re.search(r'href="/c/([a-z0-9-]+)"', page)
    assert m, page
    slug = m.group(1)
    assert slug.startswith("reading-list-")
    client.post("/logout", data={"csrf": _csrf(page)})
    anon = TestClient(client.app)  # a stranger, no cookies
    html = anon.get(f"/c/{slug}").text
    assert "reading list" in html and "Sparse attention" in html and "Graph bounds" not in html
    assert "ada@example.org" not in html and "Collection by Ada" in html
    for fmt in ("atom", "rss"):
        feed = feedparser.parse(anon.get(f"/c/{slug}.{fmt}").content)
        assert not feed.bozo
        assert sorted(e.title for e in feed.entries) == ["Protein folding", "Sparse attention"]
        assert all(e.link.endswith(("/papers/2601.00001", "/papers/2601.00002"))
                   for e in feed.entries)
    bib = bibtexparser.parse_string(anon.get(f"/c/{slug}.bib").text)
    assert sorted(e["eprint"] for e in bib.entries) == ["2601.00001", "2601.00002"]
    data = anon.get(f"/c/{slug}.json").json()
    assert data["title"] == "reading list" and data["owner"] == "Ada"
    assert sorted(p["id"] for p in data["papers"]) == ["2601.00001", "2601.00002"]
    assert anon.get(f"/c/{slug}.pdf").status_code == 404
    # private again: every address of it is gone
    login = anon.post("/login", data={"email": "ada@example.org",
                                      "password": "correct horse battery",
                                      "csrf": _csrf(anon.get("/login").text)},
                      follow_redirects=False)
    assert login.status_code == 303
    token = _csrf(anon.get("/library").text)
    anon.post("/library/public", data={"tag": "reading list", "on": "0", "csrf": token})
    assert TestClient(client.app).get(f"/c/{slug}").status_code == 404
    assert TestClient(client.app).get(f"/c/{slug}.atom").status_code == 404


def test_publishing_needs_a_tag_with_papers(client: TestClient, engine: Engine) -> None:
    with engine.connect() as conn:
        uid = int(conn.execute(text("SELECT id FROM users")).scalar_one())
    with pytest.raises(NoSuchTag, match="no saved paper is tagged 'nothing'"):
        publish(engine, uid, "nothing")
    slug = publish(engine, uid, "bio", "Biology picks")
    assert publish(engine, uid, "bio") == slug  # publishing again keeps the address
    assert client.get("/c/no-such-thing").status_code == 404
    assert client.get(f"/c/{slug}").status_code == 200
