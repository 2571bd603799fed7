"""OAI-PMH harvesting into the store over real HTTP: paging, watermarks, resume, errors."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import Engine
from support.fixture_server import FixtureServer, Reply
from support.paths import FIXTURES, ROOT

from paperfeed.ingest.gate import DatabaseGate
from paperfeed.ingest.records import harvest_oai
from paperfeed.sources.arxiv_oai import OAIHarvester
from paperfeed.sources.http import PoliteClient, SourceError
from paperfeed.store.checkpoints import get_checkpoint
from paperfeed.store.read import count_papers, get_paper

OAI = FIXTURES / "oai-pmh"
XML = {"Content-Type": "text/xml"}
PAGE1 = (OAI / "arXivRaw" / "ListRecordsResponse.xml").read_bytes()  # 6 records + token
PAGE2 = (OAI / "arXiv" / "arxiv-physics-hep-ex.xml").read_bytes()  # 3 records, no token
NO_RECORDS = (OAI / "arXivRaw" / "ErrorResponseNoRecordsMatch.xml").read_bytes()
BAD_TOKEN = (OAI / "arXivRaw" / "ErrorResponseBadResumptionToken.xml").read_bytes()


def two_pages(fail_page2: list[bool] | None = None, expired: list[bool] | None = None):  # type: ignore[no-untyped-def]
    def route(path: str, q: dict[str, str]) -> Reply:
        if "resumptionToken" in q:
            if expired and expired[0]:
                expired[0] = False
                return Reply(200, BAD_TOKEN, XML)
            if fail_page2 and fail_page2[0]:
                return Reply(500, b"boom")
            return Reply(200, PAGE2, XML)
        if q.get("from", "") > "2030-01-01":
            return Reply(200, NO_RECORDS, XML)
        return Reply(200, PAGE1, XML)
    return route


def client() -> PoliteClient:
    return PoliteClient(0.01, max_retries=1, backoff=0.01, sleep=lambda s: None)


def test_harvest_pages_into_store_and_sets_watermark(engine: Engine) -> None:
    with FixtureServer(two_pages()) as srv, client() as c:
        report = harvest_oai(engine, OAIHarvester(c, srv.url), prefix="arXivRaw", set_="cs")
    assert report.pages == 2 and report.written.inserted == 9
    assert srv.requests[0].query == {"verb": "ListRecords", "metadataPrefix": "arXivRaw",
                                     "set": "cs"}
    assert srv.requests[1].query == {"verb": "ListRecords", "resumptionToken": "726959|1001"}
    with engine.connect() as conn:
        assert count_papers(conn) == 9
        state = get_checkpoint(conn, "harvest:oai:arXivRaw:cs")
    assert state["watermark"] == report.watermark and state["pending"] is None
    assert report.watermark is not None


def test_next_harvest_starts_from_watermark_and_no_records_is_nothing_new(engine: Engine) -> None:
    with FixtureServer(two_pages()) as srv, client() as c:
        first = harvest_oai(engine, OAIHarvester(c, srv.url), prefix="arXivRaw")
        again = harvest_oai(engine, OAIHarvester(c, srv.url), prefix="arXivRaw")
    assert again.written.inserted == 0 and again.written.updated == 0
    assert again.written.unchanged == 9
    # The second run asked from the watermark minus one day of overlap.
    assert srv.requests[2].query["from"] < str(first.watermark)
    with FixtureServer(lambda p, q: Reply(200, NO_RECORDS, XML)) as srv, client() as c:
        nothing = harvest_oai(engine, OAIHarvester(c, srv.url), prefix="arXivRaw")
    assert nothing.records == 0 and nothing.watermark == first.watermark


def test_interrupted_harvest_resumes_from_its_token(engine: Engine) -> None:
    failing = [True]
    with FixtureServer(two_pages(fail_page2=failing)) as srv, client() as c:
        with pytest.raises(SourceError):
            harvest_oai(engine, OAIHarvester(c, srv.url), prefix="arXivRaw")
        with engine.connect() as conn:
            assert count_papers(conn) == 6  # page 1 committed with its token
        failing[0] = False
        n_before = len(srv.requests)
        report = harvest_oai(engine, OAIHarvester(c, srv.url), prefix="arXivRaw")
    assert report.resumed
    assert srv.requests[n_before].query == {"verb": "ListRecords",
                                            "resumptionToken": "726959|1001"}
    with engine.connect() as conn:
        assert count_papers(conn) == 9


def test_expired_token_restarts_the_same_request(engine: Engine) -> None:
    failing, expired = [True], [False]
    with FixtureServer(two_pages(fail_page2=failing, expired=expired)) as srv, client() as c:
        with pytest.raises(SourceError):
            harvest_oai(engine, OAIHarvester(c, srv.url), prefix="arXivRaw")
        failing[0], expired[0] = False, True  # by the next day, arXiv has dropped the token
        report = harvest_oai(engine, OAIHarvester(c, srv.url), prefix="arXivRaw")
    assert not report.resumed
    with engine.connect() as conn:
        assert count_papers(conn) == 9
        p = get_paper(conn, "0704.0716")
    assert p is not None and p["version"] == 4


def test_database_gate_spaces_requests_across_processes(db_url: str) -> None:
    from paperfeed.store import open_store

    engine = open_store(db_url)
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        gate = DatabaseGate(engine, "test", 0.15)
        for _ in range(3):
            gate.wait()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stamps.sort()
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert len(stamps) == 6 and min(gaps) >= 0.13, gaps
    engine.dispose()


def test_cli_harvest_against_local_server(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "h.sqlite")
    with FixtureServer(two_pages()) as srv:
        env = {**os.environ, "PAPERFEED_DATABASE_URL": db, "PAPERFEED_ARXIV_OAI_URL": srv.url,
               "PAPERFEED_ARXIV_MIN_INTERVAL": "0.05"}
        r = subprocess.run([sys.executable, "-m", "paperfeed", "harvest", "arxiv", "--prefix",
                            "arXivRaw", "--set", "cs", "--from", "2007-01-01"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "9 new" in r.stdout
    assert srv.requests[0].query["from"] == "2007-01-01"
    bad = subprocess.run([sys.executable, "-m", "paperfeed", "harvest", "arxiv", "--prefix",
                          "oai_dc"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and "oai_dc" in bad.stderr
