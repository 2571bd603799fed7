"""Hugging Face Daily Papers against a recorded real response, over real loopback HTTP."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from support.fixture_server import FixtureServer, Reply
from support.paths import FIXTURES
from support.polite import assert_spaced, client

from paperfeed.ingest.records import store_records
from paperfeed.sources import hf_daily
from paperfeed.sources.arxiv_api import parse_feed
from paperfeed.sources.hf_daily import HFDailyPapers, check_period, parse_daily_papers
from paperfeed.sources.http import SourceError
from paperfeed.store import open_store
from paperfeed.store.read import get_paper

HF_FILE = FIXTURES / "hf" / "daily_papers_2024-10-25.json"
RAW = HF_FILE.read_bytes()
ITEMS: list[dict[str, Any]] = json.loads(RAW)
JSON = {"Content-Type": "application/json; charset=utf-8"}






def paged(items: list[dict[str, Any]]) -> Any:
    """A route serving `items` the way the real API pages: `limit` per page, page `p` from 0."""

    def route(path: str, q: dict[str, str]) -> Reply:
        if path != "/api/daily_papers":
            return Reply(404, json.dumps({"error": "Not Found"}), JSON)
        limit, p = int(q.get("limit", "50")), int(q.get("p", "0"))
        return Reply(200, json.dumps(items[p * limit:(p + 1) * limit]), JSON)

    return route


def newer_item() -> dict[str, Any]:
    """The first recorded item with the keys newer responses add, where they put them."""
    item = copy.deepcopy(ITEMS[0])
    item["paper"].update(
        ai_summary="Inf-CL computes contrastive loss in tiles to scale batch sizes.",
        ai_keywords=["contrastive loss", "batch size", "memory"],
        githubRepo="https://github.com/DAMO-NLP-SG/Inf-CLIP",
        projectPage="https://example.org/inf-cl",
        submittedOnDailyAt="2024-10-25T00:57:09.392Z",
        submittedOnDailyBy={"fullname": "Zesen Cheng", "name": "ClownRat"},
    )
    item["organization"] = {"name": "DAMO-NLP-SG", "fullname": "DAMO Academy"}
    return item


# --- parsing the recorded response ---


def test_recorded_response_fields() -> None:
    records, errors = parse_daily_papers(RAW)
    assert errors == [] and len(records) == 29 and len({r.id for r in records}) == 29
    r = records[0]
    assert (r.id, r.source, r.version) == ("2410.17243", "hf", None)
    # paper.title keeps arXiv's line wrap ("for\n  Contrastive"); the record's title does not.
    assert r.title == ("Breaking the Memory Barrier: Near Infinite Batch Size Scaling for "
                       "Contrastive Loss")
    assert r.abstract.startswith("Contrastive loss is a powerful approach for representation")
    assert r.authors is not None and len(r.authors) == 9 and r.authors[0] == "Zesen Cheng"
    # HF's dates are HF's: they say nothing certain of arXiv's submission or announcement.
    assert (r.submitted, r.announced, r.updated, r.categories) == (None, None, None, None)
    assert r.links == {"abs": "https://arxiv.org/abs/2410.17243",
                       "pdf": "https://arxiv.org/pdf/2410.17243"}
    hf = r.hf
    assert hf is not None
    assert (hf.upvotes, hf.num_comments, hf.submitter) == (64, 3, "Zesen Cheng")
    assert hf.published_at == "2024-10-22T17:59:30.000Z"  # paper.publishedAt
    assert hf.submitted_daily_at == "2024-10-25T00:57:09.392Z"  # the item's publishedAt
    assert (hf.ai_summary, hf.ai_keywords, hf.github_repo, hf.project_page, hf.organization) == (
        None, None, None, None, None)
    assert [x.hf.upvotes for x in records if x.hf][:5] == [64, 41, 37, 35, 28]


def test_hidden_authors_are_kept_in_order() -> None:
    records, _ = parse_daily_papers(RAW)
    r = next(x for x in records if x.id == "2410.17897")
    # The first author hid the link to their HF profile; they are still the first author.
    assert r.authors == ["Zhanchao Zhou", "Tianyi Wu", "Zhiyun Jiang", "Zhenzhong Lan"]


def test_newer_fields_and_links() -> None:
    (r,), errors = parse_daily_papers(json.dumps([newer_item()]).encode())
    assert errors == [] and r.hf is not None
    assert r.hf.ai_summary == "Inf-CL computes contrastive loss in tiles to scale batch sizes."
    assert r.hf.ai_keywords == ["contrastive loss", "batch size", "memory"]
    assert (r.hf.github_repo, r.hf.project_page) == (
        "https://github.com/DAMO-NLP-SG/Inf-CLIP", "https://example.org/inf-cl")
    assert r.hf.organization == "DAMO Academy" and r.hf.submitted_daily_at == (
        "2024-10-25T00:57:09.392Z")
    assert r.links["code"] == "https://github.com/DAMO-NLP-SG/Inf-CLIP"
    assert r.links["project"] == "https://example.org/inf-cl"


def test_submitter_falls_back_to_the_user_name_and_organization_may_sit_on_the_paper() -> None:
    item = copy.deepcopy(ITEMS[1])
    item["submittedBy"] = {"name": "canyuchen", "fullname": ""}
    item["paper"]["organization"] = {"name": "iit"}
    (r,), _ = parse_daily_papers(json.dumps([item]).encode())
    assert r.hf is not None and (r.hf.submitter, r.hf.organization) == ("canyuchen", "iit")


def test_malformed_items_are_reported_by_index_not_fatal() -> None:
    bad_upvotes = copy.deepcopy(ITEMS[2])
    bad_upvotes["paper"]["upvotes"] = "1.2k"
    odd_submitter = copy.deepcopy(ITEMS[3])
    odd_submitter["submittedBy"] = "someone"  # not an object: ignored, the paper still counts
    items = [ITEMS[0], [1, 2], {"paper": {"id": "not-an-id", "title": "t", "summary": "s"}},
             bad_upvotes, {"title": "no paper"}, odd_submitter,
             {"paper": {"id": "2410.18533", "title": "", "summary": ""}}]
    records, errors = parse_daily_papers(json.dumps(items).encode())
    assert [r.id for r in records] == ["2410.17243", "2410.18693"]
    assert records[1].hf is not None and records[1].hf.submitter is None
    assert [e.split(":")[0] for e in errors] == ["item 1", "item 2", "item 3", "item 4", "item 6"]
    assert "paper.id" in errors[1] and "paper.upvotes" in errors[2] and "title" in errors[4]


def test_not_json_or_not_a_list_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="not JSON"):
        parse_daily_papers(b"<html>rate limited</html>")
    with pytest.raises(SourceError, match="expected a JSON array"):
        parse_daily_papers(b'{"error": "Invalid date"}')
    assert parse_daily_papers(b"[]") == ([], [])


# --- fetching over HTTP ---


def test_fetch_a_date_sends_the_period_and_paging_params() -> None:
    with FixtureServer(paged(ITEMS)) as srv, client() as c:
        records, errors = HFDailyPapers(c, srv.url).fetch(date="2024-10-25")
    assert len(records) == 29 and errors == []
    assert [(r.path, r.query) for r in srv.requests] == [
        ("/api/daily_papers", {"date": "2024-10-25", "limit": "100", "p": "0"})]


def test_fetch_pages_until_a_short_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hf_daily, "PAGE_LIMIT", 10)
    with FixtureServer(paged(ITEMS)) as srv, client() as c:
        records, _ = HFDailyPapers(c, srv.url).fetch(month="2024-10")
    assert [r.id for r in records] == [i["paper"]["id"] for i in ITEMS]
    assert [(r.query["month"], r.query["p"], r.query["limit"]) for r in srv.requests] == [
        ("2024-10", "0", "10"), ("2024-10", "1", "10"), ("2024-10", "2", "10")]


def test_fetch_stops_when_the_server_ignores_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hf_daily, "PAGE_LIMIT", 10)
    with FixtureServer(lambda p, q: Reply(200, RAW, JSON)) as srv, client() as c:
        records, _ = HFDailyPapers(c, srv.url).fetch(week="2024-W43")
    assert len(records) == 29 and len(srv.requests) == 2


def test_fetch_today_and_an_empty_day() -> None:
    with FixtureServer(lambda p, q: Reply(200, b"[]", JSON)) as srv, client() as c:
        assert HFDailyPapers(c, srv.url).fetch() == ([], [])
    assert srv.requests[0].query == {"limit": "100", "p": "0"}


@pytest.mark.parametrize(("kw", "message"), [
    ({"date": "25/10/2024"}, "date: '25/10/2024' is not YYYY-MM-DD"),
    ({"date": "2024-02-30"}, "date: '2024-02-30' is not YYYY-MM-DD"),
    ({"week": "2024-43"}, "week: '2024-43' is not YYYY-Www"),
    ({"week": "2024-W53"}, "week: '2024-W53' is not YYYY-Www"),  # 2024 has 52 ISO weeks
    ({"month": "2024-13"}, "month: '2024-13' is not YYYY-MM"),
    ({"date": "2024-10-25", "month": "2024-10"}, "at most one of date, week, month"),
])
def test_periods_are_validated_before_any_request(kw: dict[str, str], message: str) -> None:
    with (FixtureServer(paged(ITEMS)) as srv, client() as c,
          pytest.raises(ValueError, match=message)):
        HFDailyPapers(c, srv.url).fetch(**kw)
    assert srv.requests == []


def test_valid_periods() -> None:
    for key, value in (("date", "2024-02-29"), ("week", "2020-W53"), ("month", "2024-12")):
        check_period(key, value)


def test_503_with_retry_after_then_success() -> None:
    calls = itertools.count()

    def route(path: str, q: dict[str, str]) -> Reply:
        if next(calls) == 0:
            return Reply(503, b"busy", {"Retry-After": "1"})
        return paged(ITEMS)(path, q)

    sleeps: list[float] = []
    with FixtureServer(route) as srv, client(sleep=sleeps.append) as c:
        records, _ = HFDailyPapers(c, srv.url).fetch(date="2024-10-25")
    assert len(records) == 29 and len(srv.requests) == 2 and 1.0 in sleeps


def test_repeated_500s_and_client_errors() -> None:
    with (FixtureServer(lambda p, q: Reply(500, b"")) as srv, client() as c,
          pytest.raises(SourceError, match=r"giving up after 3 attempts \(HTTP 500\)")):
        HFDailyPapers(c, srv.url).fetch(date="2024-10-25")
    assert len(srv.requests) == 3
    reply = Reply(400, json.dumps({"error": "Invalid date: in the future"}), JSON)
    with (FixtureServer(lambda p, q: reply) as srv, client() as c,
          pytest.raises(SourceError, match="HTTP 400: Invalid date: in the future")):
        HFDailyPapers(c, srv.url).fetch(date="2099-01-01")


def test_malformed_json_over_http() -> None:
    with (FixtureServer(lambda p, q: Reply(200, RAW[:1000], JSON)) as srv, client() as c,
          pytest.raises(SourceError, match="Hugging Face daily papers: not JSON")):
        HFDailyPapers(c, srv.url).fetch(date="2024-10-25")


def test_spacing_and_one_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hf_daily, "PAGE_LIMIT", 5)
    with FixtureServer(paged(ITEMS)) as srv, client() as c:
        HFDailyPapers(c, srv.url).fetch(date="2024-10-25")
    assert len(srv.requests) == 6
    assert_spaced(srv.requests)
    assert srv.max_active == 1


def test_hf_upvotes_attach_to_the_arxiv_paper_of_the_same_id(tmp_path: Path) -> None:
    (recorded,) = (FIXTURES / "arxiv-api").glob("id_1605.08386_*.json")
    arxiv = parse_feed(json.loads(recorded.read_text())["body"].encode()).records[0]
    item = copy.deepcopy(ITEMS[0])
    item["paper"]["id"] = arxiv.id  # the same paper as HF would list it
    hf_records, _ = parse_daily_papers(json.dumps([item]).encode())
    engine = open_store(str(tmp_path / "p.sqlite"))
    try:
        store_records(engine, [arxiv])
        store_records(engine, hf_records)
        with engine.connect() as conn:
            stored = get_paper(conn, "1605.08386")
    finally:
        engine.dispose()
    assert stored is not None
    assert stored["title"] == "Heat-bath random walks with Markov bases"  # arXiv's wins
    assert stored["hf"]["upvotes"] == 64
