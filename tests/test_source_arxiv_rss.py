"""arXiv's daily announcement feeds (rss.arxiv.org), both flavours, over real loopback HTTP."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest
from support.fixture_server import FixtureServer, Reply
from support.paths import FIXTURES
from support.polite import SLACK, assert_spaced, client

from paperfeed.sources.arxiv_rss import feed_url, fetch_announcements, parse_announcements
from paperfeed.sources.atom import FeedParseError
from paperfeed.sources.http import SourceError

RSS_DIR = FIXTURES / "arxiv-rss"
ATOM_FEED = (RSS_DIR / "atom-cs.AI-2025-08-20.xml").read_bytes()  # recorded
RSS_FEED = (RSS_DIR / "rss-cs.AI+cs.SE-2025-08-20.xml").read_bytes()  # hand-made, see its comment

# What rss.arxiv.org serves on a day without announcements (weekends, holidays): no items.
EMPTY_ATOM = b"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns="http://www.w3.org/2005/Atom" xml:lang="en-us">
  <id>http://rss.arxiv.org/atom/cs.AI</id>
  <title>cs.AI updates on arXiv.org</title>
  <updated>2025-08-23T04:00:12.000000+00:00</updated>
  <link href="http://rss.arxiv.org/atom/cs.AI" rel="self" type="application/atom+xml"/>
  <subtitle>cs.AI updates on the arXiv.org e-print archive.</subtitle>
</feed>"""
EMPTY_RSS = b"""<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" version="2.0"><channel>
  <title>cs.AI updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs.AI</link>
  <description>cs.AI updates on the arXiv.org e-print archive.</description>
  <pubDate>Sat, 23 Aug 2025 00:00:00 -0400</pubDate>
</channel></rss>"""






def feeds(path: str, q: dict[str, str]) -> Reply:
    """rss.arxiv.org in miniature: /atom/... and /rss/... answer with the fixtures."""
    if path.startswith("/atom/"):
        return Reply(200, ATOM_FEED, {"Content-Type": "application/atom+xml"})
    if path.startswith("/rss/"):
        return Reply(200, RSS_FEED, {"Content-Type": "application/rss+xml"})
    return Reply(404, b"not found")


# --- Atom flavour (recorded) ---


def test_atom_flavour_fields() -> None:
    records, errors = parse_announcements(ATOM_FEED)
    assert errors == [] and len(records) == 7
    assert Counter(r.announce_type for r in records) == {"cross": 5, "new": 2}
    r = records[0]
    assert (r.id, r.version, r.source, r.announce_type) == ("2508.13426", 1, "arxiv-rss", "cross")
    assert r.title == ("ALIGN: Word Association Learning for Cross-Cultural Generalization in "
                       "Large Language Models")
    assert r.announced == "2025-08-20" and r.updated is None and r.submitted is None
    assert r.authors == ["Chunhua Liu", "Kabir Manandhar Shrestha", "Sukai Huang"]
    assert r.categories == ["cs.CL", "cs.AI"]
    assert r.license == "http://creativecommons.org/licenses/by-nc-sa/4.0/"
    assert r.abstract.startswith("As large language models (LLMs) increasingly mediate")
    assert r.links == {"abs": "https://arxiv.org/abs/2508.13426",
                       "pdf": "https://arxiv.org/pdf/2508.13426"}
    assert not any("Announce Type" in x.abstract or x.abstract.startswith("arXiv:")
                   for x in records)
    new = [x for x in records if x.announce_type == "new"]
    assert [x.id for x in new] == ["2508.14001", "2508.14002"]
    assert new[0].authors == ["Alice Smith", "Bob Jones"] and new[0].categories == ["cs.AI", "cs.LG"]


def test_atom_entry_without_a_date_takes_the_feeds() -> None:
    xml = ATOM_FEED.replace(b"<published>2025-08-20T00:00:00-04:00</published>", b"")
    xml = re.sub(rb"\n    <updated>[^<]*</updated>", b"", xml)  # entries' only (indented 4)
    assert b"<published>" not in xml and xml.count(b"<updated>") == 1
    records, errors = parse_announcements(xml)
    assert errors == [] and len(records) == 7 and {r.announced for r in records} == {"2025-08-20"}


# --- RSS 2.0 flavour (hand-made in rss.arxiv.org's shape) ---


def test_rss_flavour_all_announce_types() -> None:
    records, errors = parse_announcements(RSS_FEED)
    assert errors == []
    assert [(r.id, r.version, r.announce_type) for r in records] == [
        ("2508.13426", 1, "cross"), ("2508.13429", 1, "cross"),
        ("2204.08348", 3, "replace"), ("2502.07719", 2, "replace-cross")]
    cross, _, replace, replace_cross = records
    assert cross.announced == "2025-08-20" and cross.updated is None
    # A replacement re-announces an older paper: the feed's day is its update, not its listing.
    assert (replace.announced, replace.updated) == (None, "2025-08-20")
    assert (replace_cross.announced, replace_cross.updated) == (None, "2025-08-20")
    assert replace.doi == "10.1145/3533767.3534401"
    assert replace.journal_ref is not None and replace.journal_ref.startswith("InProceedings of")
    assert replace.authors == ["Myeongsoo Kim", "Qi Xin", "Saurabh Sinha", "Alessandro Orso"]
    assert replace_cross.categories == ["cs.SE", "cs.AI"]
    assert replace.abstract.startswith("Modern web services routinely provide REST APIs")


def test_rss_item_without_pubdate_takes_the_channels_and_preamble_gives_the_type() -> None:
    xml = RSS_FEED.replace(b"<pubDate>Wed, 20 Aug 2025 00:00:00 -0400</pubDate>\n      <arxiv", b"<arxiv")
    xml = xml.replace(b"<arxiv:announce_type>replace</arxiv:announce_type>", b"")
    xml = xml.replace(b"<guid isPermaLink=\"false\">oai:arXiv.org:2204.08348v3</guid>", b"")
    records, errors = parse_announcements(xml)
    assert errors == [] and {r.announced or r.updated for r in records} == {"2025-08-20"}
    replace = records[2]
    assert (replace.id, replace.version, replace.announce_type) == ("2204.08348", 3, "replace")


def test_bad_items_are_reported_by_index_and_the_rest_kept() -> None:
    xml = RSS_FEED.replace(b"oai:arXiv.org:2508.13429v1", b"oai:arXiv.org:nonsense")
    xml = xml.replace(b"https://arxiv.org/abs/2508.13429", b"https://example.org/x")
    xml = xml.replace(b"arXiv:2508.13429v1 Announce", b"Announce")
    xml = xml.replace(b"<arxiv:announce_type>replace-cross<", b"<arxiv:announce_type>withdrawn<")
    records, errors = parse_announcements(xml)
    assert [r.id for r in records] == ["2508.13426", "2204.08348"]
    assert errors[0].startswith("item 1 (oai:arXiv.org:nonsense): id: no arXiv id")
    assert errors[1].startswith("item 3 (oai:arXiv.org:2502.07719v2): announce_type: unknown")


def test_empty_feeds_are_not_errors() -> None:
    assert parse_announcements(EMPTY_ATOM) == ([], [])
    assert parse_announcements(EMPTY_RSS) == ([], [])


def test_malformed_and_foreign_documents() -> None:
    with pytest.raises(FeedParseError, match="not well-formed XML"):
        parse_announcements(ATOM_FEED[:500])
    with pytest.raises(FeedParseError, match="expected RSS or Atom, got <html>"):
        parse_announcements(b"<html><body>Service Unavailable</body></html>")
    with pytest.raises(FeedParseError, match="no <channel>"):
        parse_announcements(b"<rss version='2.0'/>")
    with pytest.raises(FeedParseError, match="empty response"):
        parse_announcements(b"")


# --- fetching over HTTP ---


def test_fetch_joins_categories_with_plus_in_either_flavour() -> None:
    with FixtureServer(feeds) as srv, client() as c:
        atom, _ = fetch_announcements(c, ["cs.AI", "cs.CL"], srv.url)
        rss, _ = fetch_announcements(c, ["cs.AI", "cs.SE"], srv.url + "/", flavour="rss")
    assert [r.path for r in srv.requests] == ["/atom/cs.AI+cs.CL", "/rss/cs.AI+cs.SE"]
    assert len(atom) == 7 and len(rss) == 4


def test_fetch_of_a_day_without_announcements() -> None:
    with FixtureServer(lambda p, q: Reply(200, EMPTY_ATOM)) as srv, client() as c:
        assert fetch_announcements(c, ["cs.AI"], srv.url) == ([], [])


def test_bad_categories_and_flavours_are_refused_before_any_request() -> None:
    with FixtureServer(feeds) as srv, client() as c:
        with pytest.raises(ValueError, match=r"not an arXiv category: cs\.AI; rm -rf"):
            fetch_announcements(c, ["cs.AI; rm -rf"], srv.url)
        with pytest.raises(ValueError, match="at least one category"):
            fetch_announcements(c, [], srv.url)
        with pytest.raises(ValueError, match="flavour must be one of atom, rss"):
            fetch_announcements(c, ["cs.AI"], srv.url, flavour="json")
    assert srv.requests == []
    assert feed_url(["math.AG", "hep-th"]) == "https://rss.arxiv.org/atom/math.AG+hep-th"


def test_http_errors() -> None:
    with (FixtureServer(feeds) as srv, client() as c,
          pytest.raises(SourceError, match="HTTP 404")):
        fetch_announcements(c, ["cs.AI"], srv.url + "/nowhere")
    down = Reply(200, b"<html>maintenance</html>")
    with (FixtureServer(lambda p, q: down) as srv, client() as c,
          pytest.raises(FeedParseError, match="expected RSS or Atom")):
        fetch_announcements(c, ["cs.AI"], srv.url)


def test_503_with_retry_after_then_success_in_real_time() -> None:
    calls = itertools.count()

    def route(path: str, q: dict[str, str]) -> Reply:
        if next(calls) == 0:
            return Reply(503, b"busy", {"Retry-After": "1"})
        return feeds(path, q)

    with FixtureServer(route) as srv, client() as c:
        records, _ = fetch_announcements(c, ["cs.AI"], srv.url)
    assert len(records) == 7 and len(srv.requests) == 2
    assert srv.requests[1].at - srv.requests[0].at >= 1.0 - SLACK  # Retry-After honoured


def test_repeated_500s_give_up() -> None:
    with (FixtureServer(lambda p, q: Reply(500, b"")) as srv, client(max_retries=3) as c,
          pytest.raises(SourceError, match=r"giving up after 4 attempts \(HTTP 500\)")):
        fetch_announcements(c, ["cs.AI"], srv.url)
    assert len(srv.requests) == 4


def test_spacing_and_one_connection() -> None:
    with FixtureServer(feeds) as srv, client() as c:
        for cat in ("cs.AI", "cs.CL", "cs.LG", "stat.ML"):
            fetch_announcements(c, [cat], srv.url)
    assert len(srv.requests) == 4
    assert_spaced(srv.requests)
    assert srv.max_active == 1
