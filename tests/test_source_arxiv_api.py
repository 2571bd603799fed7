"""The arXiv API client against recorded real responses, replayed over real loopback HTTP."""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from support.fixture_server import FixtureServer, Reply
from support.paths import FIXTURES
from support.polite import assert_spaced, client

from paperfeed.records import PaperRecord
from paperfeed.sources.arxiv_api import ArxivAPI, ArxivAPIError, parse_feed
from paperfeed.sources.atom import FeedParseError
from paperfeed.sources.http import PoliteClient, SourceError

API = FIXTURES / "arxiv-api"
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}


def load(name: str) -> dict[str, object]:
    """One recording ({"url", "status_code", "body"}) by its file-name prefix."""
    (path,) = API.glob(f"{name}_*.json")
    return json.loads(path.read_text())


def body(name: str) -> bytes:
    return str(load(name)["body"]).encode()


def recorded_params(url: str) -> dict[str, str]:
    """The non-blank query parameters of a recorded URL (the server drops blank ones too)."""
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


RECORDINGS = [json.loads(p.read_text()) for p in sorted(API.glob("*.json"))]


def replay(path: str, query: dict[str, str]) -> Reply:
    """The recording whose URL carried exactly the parameters the client sent.

    A client may leave out sortBy/sortOrder (arXiv's defaults); every other recorded parameter
    must be sent, and nothing may be sent that was not recorded.
    """
    for rec in RECORDINGS:
        want = recorded_params(rec["url"])
        optional = {"sortBy", "sortOrder"}
        if all(want.get(k) == v for k, v in query.items()) and set(want) - optional <= set(query):
            return Reply(rec["status_code"], rec["body"], ATOM)
    return Reply(404, f"no recording for {query}")






# --- parsing real responses ---


def test_new_style_entry_fields() -> None:
    page = parse_feed(body("id_1605.08386"))
    assert (page.total_results, page.start_index, page.items_per_page) == (1, 0, 100)
    (r,) = page.records
    assert (r.id, r.version, r.source) == ("1605.08386", 1, "arxiv-api")
    assert r.title == "Heat-bath random walks with Markov bases"
    assert r.abstract.startswith("Graphs on lattice points are studied whose edges come from")
    assert r.authors == ["Caprice Stanley", "Tobias Windisch"]
    assert r.categories == ["math.CO", "math.ST"]
    assert (r.submitted, r.updated) == ("2016-05-26", "2016-05-26")
    assert r.versions == [{"version": 1, "date": "2016-05-26"}]
    assert r.comment == "20 pages, 3 figures" and r.journal_ref is None and r.doi is None
    assert r.links == {"abs": "https://arxiv.org/abs/1605.08386",
                       "pdf": "https://arxiv.org/pdf/1605.08386"}


def test_old_style_entry_fields() -> None:
    (r,) = parse_feed(body("id_astro-ph_0601001")).records
    assert (r.id, r.version) == ("astro-ph/0601001", 1)
    assert r.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    # arXiv indents old abstracts with two spaces and escapes '&' and '<'.
    assert r.abstract.startswith("We derive the frequencies of hot Jupiters")
    assert "Gould & Morgan (2003)" in r.abstract and "V_max<17.5" in r.abstract
    assert r.journal_ref == "ActaAstron.56:1-50,2006" and r.submitted == "2006-01-02"
    assert r.categories == ["astro-ph"]
    (q,) = parse_feed(body("id_quant-ph_0201082v1")).records
    assert (q.id, q.version, q.categories) == ("quant-ph/0201082", 1, ["quant-ph", "cs.PL"])


def test_query_page_doi_journal_ref_and_later_versions() -> None:
    page = parse_feed(body("q_testing_s0_m10"))
    assert (page.total_results, page.start_index, page.items_per_page) == (214881, 0, 10)
    by_id = {r.id: r for r in page.records}
    assert len(by_id) == 10 and page.errors == []
    first = by_id["2202.12139"]
    assert first.doi == "10.1109/ICSTW55395.2022.00035"
    assert first.journal_ref is not None and first.journal_ref.startswith(
        "Artificial Intelligence in Software Tes")
    assert first.categories == ["cs.SE", "cs.LG"]
    v2 = by_id["2005.14124"]
    assert (v2.version, v2.submitted, v2.updated) == (2, "2020-05-28", "2020-07-16")
    assert v2.versions == [{"version": 1, "date": "2020-05-28"},
                           {"version": 2, "date": "2020-07-16"}]
    assert by_id["1205.1866"].categories == ["cs.AR"]


def test_a_numeric_title_is_kept() -> None:
    (r,) = parse_feed(body("id_2104.12255v1")).records
    assert (r.id, r.version, r.title) == ("2104.12255", 1, "0")  # a real paper titled "0"


def test_error_feed_raises_with_arxivs_message() -> None:
    rec = load("id_abc")
    assert rec["status_code"] == 400
    with pytest.raises(ArxivAPIError, match="incorrect id format for abc"):
        parse_feed(str(rec["body"]).encode())


def test_malformed_and_foreign_documents() -> None:
    with pytest.raises(FeedParseError, match="not well-formed"):
        parse_feed(b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>")
    with pytest.raises(FeedParseError, match="empty response"):
        parse_feed(b"  ")
    with pytest.raises(FeedParseError, match="expected an Atom feed, got <html>"):
        parse_feed(b"<html><body>Service unavailable</body></html>")


def test_an_unreadable_entry_is_reported_not_fatal() -> None:
    broken = body("id_1605.08386").replace(b"http://arxiv.org/abs/1605.08386v1", b"nonsense")
    page = parse_feed(broken)
    assert page.records == [] and len(page.errors) == 1 and "nonsense" in page.errors[0]


# --- lookups over HTTP ---


def test_lookup_new_old_and_versioned_ids() -> None:
    with FixtureServer(replay) as srv, client() as c:
        api = ArxivAPI(c, srv.url)
        new = api.lookup(["1605.08386"])
        old = api.lookup(["astro-ph/0601001"])
        old_v = api.lookup(["quant-ph/0201082v1"])
        new_v = api.lookup(["2104.12255v1"])
    assert [(r.id, r.version) for r in new + old + old_v + new_v] == [
        ("1605.08386", 1), ("astro-ph/0601001", 1), ("quant-ph/0201082", 1), ("2104.12255", 1)]
    sent = [r.query for r in srv.requests]
    assert sent[0] == {"id_list": "1605.08386", "start": "0", "max_results": "100"}
    assert [q["id_list"] for q in sent[1:]] == [
        "astro-ph/0601001", "quant-ph/0201082v1", "2104.12255v1"]


def test_lookup_reports_ids_arxiv_does_not_know(caplog: pytest.LogCaptureFixture) -> None:
    with FixtureServer(replay) as srv, client() as c:
        api = ArxivAPI(c, srv.url)
        found = api.lookup_with_missing(["0808.05394", "1707.08567"])
        with caplog.at_level(logging.WARNING, "paperfeed.sources.arxiv_api"):
            assert api.lookup(["0808.05394"]) == []
    assert [r.id for r in found.records] == ["1707.08567"]
    assert found.missing == ["0808.05394"]
    assert found.records[0].title.startswith("Proceedings of Workshop AEW10")
    assert srv.requests[0].query["id_list"] == "0808.05394,1707.08567"  # one batched request
    assert "no such paper: 0808.05394" in caplog.text


def test_empty_result() -> None:
    with FixtureServer(replay) as srv, client() as c:
        got = ArxivAPI(c, srv.url).lookup_with_missing(["0000.0000"])
    assert got.records == [] and got.missing == ["0000.0000"] and len(srv.requests) == 1


def test_lookup_batches_ids() -> None:
    by_id = {recorded_params(r["url"]).get("id_list"): r for r in RECORDINGS}

    def route(path: str, q: dict[str, str]) -> Reply:
        return Reply(200, by_id[q["id_list"]]["body"], ATOM)

    with FixtureServer(route) as srv, client() as c:
        got = ArxivAPI(c, srv.url).lookup(["1605.08386", "1707.08567", "2104.12255v1"], batch=1)
    assert [r.id for r in got] == ["1605.08386", "1707.08567", "2104.12255"]
    assert [(r.query["id_list"], r.query["max_results"]) for r in srv.requests] == [
        ("1605.08386", "1"), ("1707.08567", "1"), ("2104.12255v1", "1")]


def test_malformed_id_is_refused_before_asking_arxiv() -> None:
    with (FixtureServer(replay) as srv, client() as c,
          pytest.raises(ValueError, match="not an arXiv id: 'abc'")):
        ArxivAPI(c, srv.url).lookup(["1605.08386", "abc"])
    assert srv.requests == []


def test_http_400_error_feed_raises_arxivs_message_without_retrying() -> None:
    error = load("id_abc")

    def route(path: str, q: dict[str, str]) -> Reply:
        return Reply(400, str(error["body"]), ATOM)

    with (FixtureServer(route) as srv, client() as c,
          pytest.raises(ArxivAPIError, match="incorrect id format for abc")):
        ArxivAPI(c, srv.url).lookup(["1605.08386"])
    assert len(srv.requests) == 1  # a 400 is not transient


def test_other_http_errors_name_the_status() -> None:
    with (FixtureServer(lambda p, q: Reply(404, "<html>not here</html>")) as srv, client() as c,
          pytest.raises(SourceError, match="HTTP 404")):
        ArxivAPI(c, srv.url + "/api/query").lookup(["1605.08386"])
    assert srv.requests[0].path == "/api/query"


def test_malformed_xml_over_http_is_a_clear_error() -> None:
    with (FixtureServer(lambda p, q: Reply(200, "<feed><entry>", ATOM)) as srv, client() as c,
          pytest.raises(FeedParseError, match="arXiv API response: not well-formed XML")):
        ArxivAPI(c, srv.url).lookup(["1605.08386"])


# --- paged queries ---


def test_search_pages_through_three_pages_in_order() -> None:
    with FixtureServer(replay) as srv, client() as c:
        got = list(ArxivAPI(c, srv.url).search("testing", max_results=30, page_size=10))
    expected = [r.id for s in ("s0", "s10", "s20")
                for r in parse_feed(body(f"q_testing_{s}_m10")).records]
    assert [r.id for r in got] == expected and len(set(expected)) == 30
    assert [(r.query["start"], r.query["max_results"]) for r in srv.requests] == [
        ("0", "10"), ("10", "10"), ("20", "10")]
    assert all(r.query["search_query"] == "testing" and r.query["sortBy"] == "relevance"
               and r.query["sortOrder"] == "descending" for r in srv.requests)
    assert_spaced(srv.requests)
    assert srv.max_active == 1


def test_search_asks_only_for_what_it_needs() -> None:
    with FixtureServer(replay) as srv, client() as c:
        got = list(ArxivAPI(c, srv.url).search("testing", max_results=10, page_size=100))
    assert len(got) == 10 and [r.query["max_results"] for r in srv.requests] == ["10"]


def test_search_stops_at_the_opensearch_total() -> None:
    def route(path: str, q: dict[str, str]) -> Reply:
        # The recorded pages, with the total cut to 30 so that page three is the last.
        page = body(f"q_testing_s{q['start']}_m10")
        return Reply(200, page.replace(b">214881<", b">30<"), ATOM)

    with FixtureServer(route) as srv, client() as c:
        got = list(ArxivAPI(c, srv.url).search("testing", max_results=1000, page_size=10))
    assert len(got) == 30 and [r.query["start"] for r in srv.requests] == ["0", "10", "20"]


def test_search_with_no_results() -> None:
    empty = body("id_0000.0000")  # a real reply with totalResults 0 and no entries
    with FixtureServer(lambda p, q: Reply(200, empty, ATOM)) as srv, client() as c:
        assert list(ArxivAPI(c, srv.url).search("ti:zzzqqq", max_results=50)) == []
    assert len(srv.requests) == 1


def test_search_retries_an_empty_page_inside_the_results_then_fails() -> None:
    empty = body("id_0000.0000")

    def route(path: str, q: dict[str, str]) -> Reply:
        return Reply(200, body("q_testing_s0_m10") if q["start"] == "0" else empty, ATOM)

    with FixtureServer(route) as srv, client() as c:
        got: list[PaperRecord] = []
        with pytest.raises(SourceError, match="empty page at start=10 of 214881"):
            got.extend(ArxivAPI(c, srv.url).search("testing", max_results=20, page_size=10))
    assert len(got) == 10 and [r.query["start"] for r in srv.requests] == ["0", "10", "10", "10"]


def test_search_validates_its_arguments() -> None:
    api = ArxivAPI(client(), "http://127.0.0.1:9")
    with pytest.raises(ValueError, match="query is empty"):
        next(api.search("  ", 10))
    with pytest.raises(ValueError, match="sort_by must be one of"):
        next(api.search("testing", 10, sort_by="date"))


# --- retries, rate limit, one connection ---


def test_503_with_retry_after_then_success() -> None:
    calls = itertools.count()

    def route(path: str, q: dict[str, str]) -> Reply:
        if next(calls) == 0:
            return Reply(503, "busy", {"Retry-After": "7"})
        return replay(path, q)

    sleeps: list[float] = []
    with FixtureServer(route) as srv, client(sleep=sleeps.append) as c:
        got = ArxivAPI(c, srv.url).lookup(["1605.08386"])
    assert [r.id for r in got] == ["1605.08386"] and len(srv.requests) == 2
    assert 7.0 in sleeps  # arXiv's Retry-After, not our own backoff


def test_repeated_500s_give_up_with_a_source_error() -> None:
    with (FixtureServer(lambda p, q: Reply(500, "oops")) as srv, client(max_retries=2) as c,
          pytest.raises(SourceError, match=r"giving up after 3 attempts \(HTTP 500\)")):
        ArxivAPI(c, srv.url).lookup(["1605.08386"])
    assert len(srv.requests) == 3


def test_requests_are_spaced_and_one_at_a_time_even_from_two_threads() -> None:
    with FixtureServer(replay) as srv, client() as c:
        api = ArxivAPI(c, srv.url)
        ids = ["1605.08386", "astro-ph/0601001", "1707.08567"]
        threads = [threading.Thread(target=lambda: [api.lookup([i]) for i in ids])
                   for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(srv.requests) == 6
    assert_spaced(srv.requests)
    assert srv.max_active == 1


def test_a_slow_reply_does_not_let_queued_requests_bunch_up() -> None:
    calls = itertools.count()

    def route(path: str, q: dict[str, str]) -> Reply:
        if next(calls) == 0:
            time.sleep(0.3)  # arXiv is slow now and then; others queue behind this request
        return replay(path, q)

    with FixtureServer(route) as srv, client() as c:
        api = ArxivAPI(c, srv.url)
        threads = [threading.Thread(target=api.lookup, args=([i],))
                   for i in ("1605.08386", "astro-ph/0601001", "1707.08567")]
        for t in threads:
            t.start()
            time.sleep(0.01)
        for t in threads:
            t.join()
    # Without holding the connection while passing the gate, the two queued requests would
    # both pass it during the slow reply and then arrive back to back.
    assert len(srv.requests) == 3
    assert_spaced(srv.requests)
    assert srv.max_active == 1


def test_the_default_client_keeps_arxivs_three_seconds() -> None:
    with PoliteClient() as c:
        assert c.gate.min_interval == 3.0  # type: ignore[attr-defined]
