"""The Hugging Face-compatible API, driven by the real `huggingface_hub` client against a real
uvicorn server (in a thread) over the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError
from sqlalchemy import Engine, text
from support.corpus import load_corpus
from support.live_server import live_server
from support.paths import SHARED

from paperfeed.store.db import write_tx
from paperfeed.web.app import create_app
from paperfeed.web.hf_api import hf_date
from paperfeed.web.settings import WebSettings

PAPERS = [
    {"id": "2611.00001", "title": "Sparse attention for long documents",
     "abstract": "We study sparse attention. Code: https://github.com/ada/sparse-attn.",
     "authors": ["Ada Lovelace", "Alan Turing"], "categories": ["cs.CL"],
     "date": "2026-11-30", "submitted": "2026-11-27"},
    {"id": "2611.00002", "title": "Protein folding with diffusion",
     "abstract": "A diffusion model folds proteins.", "authors": ["Rosalind Franklin"],
     "categories": ["q-bio.BM"], "date": "2026-11-30", "submitted": "2026-11-28"},
    {"id": "2611.00003", "title": "Attention is still all you need",
     "abstract": "Revisiting attention in transformers.", "authors": ["Alan Turing"],
     "categories": ["cs.CL"], "date": "2026-12-01", "comment": "Project page: "
     "https://turing.github.io/still/"},
    {"id": "2611.00004", "title": "Graph coloring bounds", "abstract": "New bounds.",
     "authors": ["Paul Erdos"], "categories": ["math.CO"], "date": "2026-11-02"},
    {"id": "hep-th/9901001", "title": "Strings on branes", "abstract": "Old-style id.",
     "authors": ["Ed Witten"], "categories": ["hep-th"], "date": "1999-01-04"},
]


@pytest.fixture
def base(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A uvicorn server over a small corpus: 2611.00002 has 5 Hugging Face upvotes, a
    submitter and a GitHub repo; 2611.00001 one local vote."""
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    load_corpus(engine, tmp_path, PAPERS, indexes=False)
    with write_tx(engine) as conn:
        conn.execute(text(
            "INSERT INTO hf_papers (paper_id, upvotes, num_comments, submitter, ai_summary, "
            "ai_keywords, github_repo, fetched_at) VALUES ('2611.00002', 5, 2, 'akhaliq', "
            "'Diffusion folds proteins.', '[\"diffusion\", \"proteins\"]', "
            "'https://github.com/x/fold', '2026-11-30')"))
        conn.execute(text("INSERT INTO users (email, password_hash, created_at) "
                          "VALUES ('a@example.org', 'x', '2026-11-30')"))
        conn.execute(text("INSERT INTO votes (user_id, paper_id, created_at) "
                          "SELECT id, '2611.00001', '2026-11-30' FROM users"))
    load_corpus(engine, tmp_path, [])  # catch the indexes up
    with live_server(create_app(engine, WebSettings("k" * 48))) as url:
        yield url


def test_hf_client_lists_a_day_of_papers(base: str) -> None:
    api = HfApi(endpoint=base, token=False)
    day = list(api.list_daily_papers(date="2026-11-30", sort="trending"))
    assert [p.id for p in day] == ["2611.00002", "2611.00001"]  # 5 HF upvotes, then 1 vote
    fold = day[0]
    assert fold.upvotes == 5 and fold.comments == 2 and fold.github_repo.endswith("/x/fold")
    assert fold.submitted_at == dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    assert fold.published_at == dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
    assert fold.submitted_by is not None and fold.submitted_by.username == "akhaliq"
    assert fold.ai_keywords == ["diffusion", "proteins"]
    assert [a.name for a in day[1].authors or []] == ["Ada Lovelace", "Alan Turing"]
    assert day[1].upvotes == 1  # the local vote
    newest = [p.id for p in api.list_daily_papers(date="2026-11-30")]  # publishedAt
    assert newest == ["2611.00002", "2611.00001"]  # submitted 28th, then 27th
    latest = [p.id for p in api.list_daily_papers()]  # no date: the latest day
    assert latest == ["2611.00003"]
    week = {p.id for p in api.list_daily_papers(week="2026-W49")}  # 30 Nov - 6 Dec
    assert week == {"2611.00001", "2611.00002", "2611.00003"}
    assert [p.id for p in api.list_daily_papers(month="2026-11", limit=1, p=2)] == [
        "2611.00004"]
    assert [p.id for p in api.list_daily_papers(month="2026-11", submitter="akhaliq")] == [
        "2611.00002"]


def test_hf_client_reads_and_searches_papers(base: str) -> None:
    api = HfApi(endpoint=base, token=False)
    info = api.paper_info("2611.00001")
    assert info.title == "Sparse attention for long documents" and info.upvotes == 1
    assert [a.name for a in info.authors or []] == ["Ada Lovelace", "Alan Turing"]
    assert info.github_repo == "https://github.com/ada/sparse-attn"  # from the abstract
    assert api.paper_info("2611.00003").project_page == "https://turing.github.io/still"
    with pytest.raises(HfHubHTTPError) as e:
        api.paper_info("2611.09999")
    assert e.value.response.status_code == 404
    hits = [p.id for p in api.list_papers(query="attention")]
    assert {"2611.00001", "2611.00003"} <= set(hits) and "2611.00004" not in hits
    assert len(list(api.list_papers(query="attention", limit=1))) == 1
    assert api.paper_info("hep-th/9901001").title == "Strings on branes"
    assert api.read_paper("hep-th/9901001").startswith("# Strings on branes")
    md = api.read_paper("2611.00002")
    assert md.startswith("# Protein folding with diffusion") and "Rosalind Franklin" in md
    assert "https://github.com/x/fold" in md and "A diffusion model folds proteins." in md


def test_json_shapes_and_dates_match_hugging_face(base: str) -> None:
    recorded = json.loads((SHARED / "fixtures/hf/daily_papers_2024-10-25.json").read_text())
    ours = httpx.get(f"{base}/api/daily_papers", params={"date": "2026-11-30"}).json()
    assert set(recorded[0]) - set(ours[0]) <= {"mediaUrls"} - set(ours[0])
    assert set(recorded[0]["paper"]) <= set(ours[0]["paper"])
    assert ours[0]["publishedAt"] == "2026-11-30T00:00:00.000Z"
    assert ours[0]["paper"]["authors"][0] == {"name": "Rosalind Franklin", "hidden": False}
    flat = httpx.get(f"{base}/api/papers/2611.00002").json()
    assert flat["summary"] == "A diffusion model folds proteins." and flat["upvotes"] == 5
    assert flat["publishedAt"] == "2026-11-28T00:00:00.000Z" and "bibtex" in flat
    assert hf_date("2024-10-25T00:57:09.392Z") == "2024-10-25T00:57:09.392Z"
    assert hf_date("2026-11-30T10:00:00+02:00") == "2026-11-30T08:00:00.000Z"


def test_has_code_filter_and_bad_parameters(base: str) -> None:
    code = httpx.get(f"{base}/api/daily_papers",
                     params={"month": "2026-11", "has_code": "true"}).json()
    assert {i["paper"]["id"] for i in code} == {"2611.00001", "2611.00002"}
    found = httpx.get(f"{base}/api/papers/search",
                      params={"q": "attention", "has_code": "true"}).json()
    assert [i["paper"]["id"] for i in found] == ["2611.00001"]
    for params in [{"date": "2026-13-01"}, {"week": "2026-49"}, {"month": "2026-1"},
                   {"limit": "101"}, {"sort": "best"}, {"date": "0999-12-31"}]:
        r = httpx.get(f"{base}/api/daily_papers", params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["error"].startswith("invalid"), r.text
    # W53 of a year with 52 weeks is the next year's first week, not an error
    assert httpx.get(f"{base}/api/daily_papers", params={"week": "2027-W53"}).status_code == 200
    # more than one period: date wins, then week (one if/elif, as documented)
    both = httpx.get(f"{base}/api/daily_papers", params={"date": "2026-11-30", "month": "2026-11"})
    assert both.status_code == 200
    assert both.json() == httpx.get(f"{base}/api/daily_papers", params={"date": "2026-11-30"}).json()
    assert httpx.get(f"{base}/papers/2611.09999.md").status_code == 404
