"""The Claims page's counts and chart at scale: bounded counts under paper (and unit) filters,
exact counts from the per-kind totals, and results kept per version of the claims.

Expectations come from the extractor (test_web_claims.expected_claims), not from the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from test_web_claims import PAPERS, SECRET, expected_claims

import paperfeed.web.claims as web_claims
from paperfeed.index.refresh import refresh
from paperfeed.ingest.files import import_file
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from paperfeed.web.settings import WebSettings

STATUS = re.compile(r'<p role="status"><strong>([^<]+)</strong> claims?')
PAGER = re.compile(r'<span class="muted">(Page \d+(?: of \d+)?)</span>')
ROW = re.compile(r'<td class="paper-cell"><a class="paper-link math" href="/papers/([^"#]+)#'
                 r'claim-(\d+)"')
DOT = re.compile(r'<a class="dot" href="/papers/([^"]+)"')


@pytest.fixture
def engine(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """conftest's store on each backend, with the corpus loaded (a test here may add papers)."""
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    e = open_store(db_url)
    _load(e, tmp_path / "papers.jsonl", PAPERS)
    yield e
    e.dispose()


def _load(e: Engine, path: Path, papers: list[dict[str, object]]) -> None:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in papers))
    import_file(e, path, parallel=False)
    refresh(e, slow=False)


def _walk(client: TestClient, params: dict[str, str]) -> tuple[list[str], list[tuple[str, int]]]:
    """(each page's status line, every row) following the pager's Next links."""
    statuses, rows = [], []
    for page in range(1, 50):
        text = client.get("/claims", params={**params, "page": str(page)}).text
        statuses.append(STATUS.search(text).group(1))  # type: ignore[union-attr]
        rows += [(pid, int(pos)) for pid, pos in ROW.findall(text)]
        if 'rel="next"' not in text:
            return statuses, rows
    raise AssertionError("the pager never ends")


def test_paper_filters_count_to_a_bound_and_the_pager_still_walks_all(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_claims, "PER_PAGE", 2)
    monkeypatch.setattr(web_claims, "COUNT_TO", 3)
    exp = expected_claims()
    cl = sorted((c["paper_id"], c["position"]) for c in exp if "cs.CL" in c["categories"])
    assert len(cl) > 4  # more than the bound, more than two pages
    with TestClient(create_app(engine, WebSettings(SECRET))) as client:
        statuses, rows = _walk(client, {"category": "cs.CL"})
        assert sorted(rows) == cl  # every claim once, in the pages' order
        # page 1 counts to just past 3, page 3 to just past its own last row
        assert statuses[0] == "3+" and statuses[2] == (
            f"{len(cl)}" if len(cl) <= 6 else "6+")
        first = client.get("/claims", params={"category": "cs.CL"}).text
        assert PAGER.search(first).group(1) == "Page 1"  # type: ignore[union-attr]
        # the API still counts exactly
        api = client.get("/api/claims", params={"category": "cs.CL", "limit": 1}).json()
        assert api["total"] == len(cl)
        # a unit filters like a paper filter: counted to the bound
        n_x = sum(c["kind"] == "speedup" and c["unit"] == "x" for c in exp)
        text = client.get("/claims", params={"kind": "speedup", "unit": "x"}).text
        assert n_x > 3 and STATUS.search(text).group(1) == "3+"  # type: ignore[union-attr]
        # no filter or a kind alone: exact, from the per-kind totals, with "of N" pages
        for params, want in (({}, len(exp)),
                             ({"kind": "speedup"}, sum(c["kind"] == "speedup" for c in exp)),
                             ({"kind": "memory"}, sum(c["kind"] == "memory" for c in exp))):
            text = client.get("/claims", params=params).text
            assert STATUS.search(text).group(1) == f"{want:,}", params  # type: ignore
            pages = (want + 1) // 2
            if pages > 1:
                assert PAGER.search(text).group(1) == f"Page 1 of {pages}"  # type: ignore


def test_counts_and_chart_follow_the_claims_index(engine: Engine, tmp_path_factory:
                                                  pytest.TempPathFactory) -> None:
    with TestClient(create_app(engine, WebSettings(SECRET))) as client:
        before = client.get("/claims").text
        dots = set(DOT.findall(before))
        new = {"id": "2601.10099", "title": "Faster and better",
               "abstract": "Our method runs 4.2x faster and reaches 91% accuracy.",
               "authors": ["Ada Lovelace"], "categories": ["cs.LG"], "date": "2026-03-05"}
        _load(engine, tmp_path_factory.mktemp("more") / "more.jsonl", [new])
        after = client.get("/claims", params={"n": "2"}).text  # not the page cache's copy
        want = len(expected_claims()) + 2
        assert STATUS.search(after).group(1) == f"{want:,}"  # type: ignore[union-attr]
        assert set(DOT.findall(after)) == dots | {new["id"]}


def test_chart_tooltips_are_escaped_once(engine: Engine) -> None:
    from test_web_claims import EVIL_ID

    with TestClient(create_app(engine, WebSettings(SECRET))) as client:
        page = client.get("/claims", params={"x": "speedup", "y": "memory"}).text
    dot = re.search(rf'<a class="dot" href="/papers/{re.escape(EVIL_ID)}" aria-label="([^"]*)">'
                    r'<circle [^>]*><title>([^<]*)</title>', page)
    assert dot is not None and "<script>alert('t')" not in page
    label, title = dot.groups()
    assert label == title and label.startswith("&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;")
