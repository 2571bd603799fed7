"""RSS 2.0 and Atom 1.0 feeds: valid per spec, the same papers as the pages, conditional GET."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import feedparser
import orjson
import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import Engine, text

from paperfeed.feeds.model import Entry, Feed
from paperfeed.feeds.render import render_atom, render_rss
from paperfeed.index.refresh import refresh
from paperfeed.ingest.files import import_file
from paperfeed.latex import to_unicode
from paperfeed.store.db import write_tx
from paperfeed.store.read import get_paper
from paperfeed.web.app import create_app
from paperfeed.web.settings import WebSettings

SECRET = "k" * 48
TODAY = dt.datetime.now(dt.UTC).date()
DAY = TODAY.isoformat()
EARLIER = (TODAY - dt.timedelta(days=3)).isoformat()
TRICKY_TITLE = "Bounds for $a<b$ & $\\mathcal{O}(n^2)$ in “Schrödinger” — <i>fast</i> 中文"
TRICKY_ABSTRACT = ("We show <script>alert(1)</script> that $x < y$ & $y > z$ imply\n"
                   "$\\sum_{i=1}^n \\alpha_i \\leq 1$; naïve bounds fail (ε → 0) 😀.")
PAPERS = [
    {"id": "2611.00001", "title": "Sparse attention for long documents",
     "abstract": "We study sparse attention with $O(n \\log n)$ cost.",
     "authors": ["Ada Lovelace", "Alan Turing"], "categories": ["cs.CL", "cs.LG"], "date": DAY},
    {"id": "2611.00002", "title": "Protein folding with diffusion attention",
     "abstract": "A diffusion model folds proteins.", "authors": ["Rosalind Franklin"],
     "categories": ["q-bio.BM", "cs.LG"], "date": DAY},
    {"id": "2611.00003", "title": TRICKY_TITLE, "abstract": TRICKY_ABSTRACT,
     "authors": ["Alan Turing", "Émilie du Châtelet"], "categories": ["cs.LG"], "date": DAY},
    {"id": "2611.00004", "title": "Attention bounds on graph coloring",
     "abstract": "New bounds on coloring with attention.", "authors": ["Paul Erdős"],
     "categories": ["math.CO"], "date": EARLIER},
    {"id": "hep-th/9901001", "title": "Strings on branes", "abstract": "Old-style identifier.",
     "authors": ["Ed Witten"], "categories": ["hep-th"], "date": "1999-01-04"},
]
UPVOTES = {"2611.00002": 7, "2611.00003": 3, "2611.00001": 1}
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"


def load(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "papers.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in PAPERS))
    import_file(engine, path, parallel=False)
    refresh(engine, slow=False)
    with write_tx(engine) as conn:
        for pid, n in UPVOTES.items():
            conn.execute(text("INSERT INTO hf_papers (paper_id, upvotes, fetched_at) "
                              "VALUES (:p, :n, :t)"), {"p": pid, "n": n, "t": DAY})


@pytest.fixture
def client(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[TestClient]:
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("PAPERFEED_EMBED_MODEL", "hash")
    load(engine, tmp_path)
    with TestClient(create_app(engine, WebSettings(SECRET))) as c:
        yield c


FEEDS = ["/feeds/daily", "/feeds/trending", "/feeds/search.{fmt}?q=attention",
         "/feeds/category/cs.LG", "/feeds/author/Alan%20Turing"]
PAGES = {"/feeds/daily": "/", "/feeds/trending": "/trending",
         "/feeds/search.{fmt}?q=attention": "/search?q=attention&sort=date",
         "/feeds/category/cs.LG": "/categories/cs.LG",
         "/feeds/author/Alan%20Turing": "/authors/Alan%20Turing"}


def feed_url(feed: str, fmt: str) -> str:
    return feed.format(fmt=fmt) if "{fmt}" in feed else f"{feed}.{fmt}"


def page_ids(client: TestClient, page: str) -> list[str]:
    """Paper ids of the cards on an HTML page, in order."""
    r = client.get(page)
    assert r.status_code == 200
    return [unquote(m) for m in re.findall(
        r'<h2 class="card-title[^>]*>.*?<a href="/papers/([^"]+)"', r.text)]


def entry_ids(parsed: feedparser.FeedParserDict) -> list[str]:
    return [unquote(e.link.split("/papers/", 1)[1]) for e in parsed.entries]


def check_atom(xml: bytes, self_url: str) -> None:
    """RFC 4287's required elements, on the raw document."""
    root = etree.fromstring(xml)
    assert root.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{tag}") is not None and root.findtext(f"{ATOM}{tag}").strip()
    rels = {ln.get("rel"): ln.get("href") for ln in root.findall(f"{ATOM}link")}
    assert rels["self"] == self_url and rels["alternate"].startswith("http://testserver/")
    date = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")  # RFC 3339
    assert date.match(root.findtext(f"{ATOM}updated"))
    for e in root.findall(f"{ATOM}entry"):
        for tag in ("id", "title", "updated", "published", "summary"):
            assert e.find(f"{ATOM}{tag}") is not None, tag
        assert date.match(e.findtext(f"{ATOM}updated")) and date.match(
            e.findtext(f"{ATOM}published"))
        assert e.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http://testserver/papers/")
        assert [a.findtext(f"{ATOM}name") for a in e.findall(f"{ATOM}author")]
        assert [c.get("term") for c in e.findall(f"{ATOM}category")]


def check_rss(xml: bytes, self_url: str) -> None:
    """RSS 2.0's required channel elements and what every item carries here."""
    root = etree.fromstring(xml)
    assert root.tag == "rss" and root.get("version") == "2.0"
    ch = root.find("channel")
    for tag in ("title", "link", "description", "lastBuildDate"):
        assert (ch.findtext(tag) or "").strip(), tag
    assert ch.find(f"{ATOM}link[@rel='self']").get("href") == self_url
    rfc822 = re.compile(r"^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$")
    assert rfc822.match(ch.findtext("lastBuildDate"))
    for it in ch.findall("item"):
        for tag in ("title", "link", "description", "pubDate"):
            assert (it.findtext(tag) or "").strip(), tag
        guid = it.find("guid")
        assert guid.get("isPermaLink") == "true" and guid.text == it.findtext("link")
        assert rfc822.match(it.findtext("pubDate"))
        assert it.findall("category") and it.findall(f"{DC}creator")


def test_every_feed_is_valid_and_lists_the_pages_papers_in_order(client: TestClient) -> None:
    for feed, fmt in itertools.product(FEEDS, ["atom", "rss"]):
        url = feed_url(feed, fmt)
        r = client.get(url)
        assert r.status_code == 200, (url, r.text)
        assert r.headers["content-type"] == f"application/{fmt}+xml; charset=utf-8"
        parsed = feedparser.parse(r.content)
        assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
        assert parsed.version == ("atom10" if fmt == "atom" else "rss20")
        (check_atom if fmt == "atom" else check_rss)(r.content, f"http://testserver{url}")
        ids = entry_ids(parsed)
        assert ids, url
        assert ids == page_ids(client, PAGES[feed]), url


def test_feeds_hold_what_the_database_holds(client: TestClient, engine: Engine) -> None:
    daily = feedparser.parse(client.get("/feeds/daily.atom").content)
    today = [p for p in PAPERS if p["date"] == DAY]
    # most voted first: the HF upvotes given above decide the order of today's papers
    assert entry_ids(daily) == sorted((p["id"] for p in today), key=lambda i: -UPVOTES[i])
    trending = feedparser.parse(client.get("/feeds/trending.rss").content)
    assert entry_ids(trending) == sorted(UPVOTES, key=lambda i: -UPVOTES[i])
    cat = feedparser.parse(client.get("/feeds/category/cs.LG.atom").content)
    assert set(entry_ids(cat)) == {p["id"] for p in PAPERS if "cs.LG" in p["categories"]}
    author = feedparser.parse(client.get("/feeds/author/Alan%20Turing.atom").content)
    assert set(entry_ids(author)) == {p["id"] for p in PAPERS if "Alan Turing" in p["authors"]}
    assert author.feed.title == "paperfeed: Alan Turing"
    search = feedparser.parse(client.get("/feeds/search.atom?q=attention&category=cs.LG").content)
    assert set(entry_ids(search)) == {"2611.00001", "2611.00002"}  # cs.LG with "attention"
    old = client.get("/feeds/category/hep-th.atom")
    entry = feedparser.parse(old.content).entries[0]
    assert entry.link == "http://testserver/papers/hep-th/9901001"
    assert entry.published.startswith("1999-01-04T00:00:00")
    # titles and abstracts round-trip: <, & and unicode; LaTeX arrives as plain Unicode (#12)
    with engine.connect() as conn:
        p = get_paper(conn, "2611.00003")  # as stored (the import folds whitespace)
    assert p is not None and p["title"] == TRICKY_TITLE
    assert "<script>" in p["abstract"] and "$x < y$ & $y > z$" in p["abstract"]
    atom = feedparser.parse(client.get("/feeds/category/cs.LG.atom").content)
    e = next(e for e in atom.entries if e.link.endswith("/2611.00003"))
    assert e.title == to_unicode(p["title"]) and e.title_detail.type == "text/plain"
    assert "$" not in e.title and "𝒪(n²)" in e.title  # noqa: RUF001
    assert e.summary == to_unicode(p["abstract"])
    assert [a.name for a in e.authors] == p["authors"]
    assert [t.term for t in e.tags] == p["categories"]
    rss = feedparser.parse(client.get("/feeds/category/cs.LG.rss").content)
    e = next(e for e in rss.entries if e.link.endswith("/2611.00003"))
    # RSS readers take titles and descriptions as HTML: the text arrives escaped once
    assert html.unescape(e.title) == to_unicode(p["title"])
    assert html.unescape(e.description) == to_unicode(p["abstract"])
    assert [a.name for a in e.authors] == p["authors"]


def test_render_functions_directly() -> None:
    when = dt.datetime(2026, 11, 23, 17, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    entry = Entry(id="https://x.org/papers/1", title="A & B <c>", link="https://x.org/papers/1",
                  summary="s\x00 < t", published=when, updated=when)
    feed = Feed(id="https://x.org/f.atom", title="T", link="https://x.org/",
                self_url="https://x.org/f.atom", subtitle="", updated=when, entries=[entry])
    atom = etree.fromstring(render_atom(feed))
    assert atom.findtext(f"{ATOM}updated") == "2026-11-23T15:30:00Z"
    e = atom.find(f"{ATOM}entry")
    assert e.findtext(f"{ATOM}title") == "A & B <c>" and e.findtext(f"{ATOM}summary") == "s < t"
    assert e.find(f"{ATOM}author").findtext(f"{ATOM}name")  # Atom needs an author
    rss = etree.fromstring(render_rss(feed))
    assert rss.find("channel").findtext("lastBuildDate") == "Mon, 23 Nov 2026 15:30:00 GMT"
    assert rss.find("channel/item").findtext("description") == "s &lt; t"
    with pytest.raises(ValueError, match="timezone-aware"):
        render_atom(Feed(id="i", title="t", link="l", self_url="s", subtitle="",
                         updated=dt.datetime(2026, 1, 1)))


def test_conditional_get_answers_304_until_the_feed_changes(client: TestClient,
                                                            engine: Engine) -> None:
    url = "/feeds/daily.atom"
    first = client.get(url)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('"') and "max-age=" in first.headers["cache-control"]
    assert client.get(url).headers["etag"] == etag  # stable while nothing changes
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"',
                                    "If-Modified-Since": modified}).status_code == 200
    # a vote change reorders the day: a new document, a new validator, a later date
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)).isoformat(timespec="seconds")
    with write_tx(engine) as conn:
        conn.execute(text("UPDATE hf_papers SET upvotes = 100, fetched_at = :t "
                          "WHERE paper_id = '2611.00001'"), {"t": later})
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert entry_ids(feedparser.parse(changed.content))[0] == "2611.00001"
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 200


def test_base_url_setting_makes_links_absolute_there(engine: Engine, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    load(engine, tmp_path)
    app = create_app(engine, WebSettings(SECRET, "https://papers.example.org"))
    with TestClient(app) as c:
        parsed = feedparser.parse(c.get("/feeds/category/cs.CL.rss").content)
    assert parsed.feed.link == "https://papers.example.org/categories/cs.CL"
    assert entry_ids(parsed) == ["2611.00001"]
    assert parsed.entries[0].link == "https://papers.example.org/papers/2611.00001"
    assert parsed.feed.links[-1].href == "https://papers.example.org/feeds/category/cs.CL.rss"


def test_pages_advertise_their_feed_and_errors_are_the_apps(client: TestClient) -> None:
    expected = {"/": "/feeds/daily", "/trending?window=day": "/feeds/trending.atom?window=day",
                "/categories/cs.LG": "/feeds/category/cs.LG",
                "/authors/Alan%20Turing": "/feeds/author/Alan%20Turing",
                "/search?q=attention&category=cs.LG":
                    "/feeds/search.atom?q=attention&amp;category=cs.LG"}
    for page, feed in expected.items():
        body = client.get(page).text
        links = re.findall(r'<link rel="alternate" type="application/(atom|rss)\+xml"[^>]*'
                           r'href="([^"]+)"', body)
        assert [f for f, _ in links] == ["atom", "rss"], page
        assert links[0][1].startswith(feed), (page, links)
        assert client.get(html.unescape(links[0][1])).status_code == 200
        assert client.get(html.unescape(links[1][1])).status_code == 200
    assert 'rel="alternate"' not in client.get("/about").text
    # errors, as the rest of the app answers them
    assert client.get("/feeds/category/xx.NOPE.atom").status_code == 404
    assert client.get("/feeds/author/Nobody%20Atall.rss").status_code == 404
    assert client.get("/feeds/daily.json").status_code == 404
    assert client.get("/feeds/category/cs.LG").status_code == 404  # no format
    empty = client.get("/feeds/search.atom?q=%20")
    assert empty.status_code == 422 and "a search feed needs words" in empty.text
    assert client.get("/feeds/trending.rss?window=year").status_code == 422
    # a day without papers is an empty, valid feed
    quiet = client.get("/feeds/daily.rss?date=2001-01-01")
    parsed = feedparser.parse(quiet.content)
    assert quiet.status_code == 200 and parsed.bozo == 0 and parsed.entries == []
