"""The API answers what its OpenAPI document says, checked by schemathesis (a real client of
OpenAPI, its `st` command as a user runs it) against a real `paperfeed serve`: every
operation fuzzed from /api/openapi.json with all of its checks (documented status codes and
content types, response schemas, valid input accepted, invalid input rejected, Allow
headers, stateful links), with an API token and without."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from support.paths import FIXTURES
from support.server import free_port, prepared_store, serving

from paperfeed.accounts.tokens import create_token
from paperfeed.accounts.users import find_user_by_email, signup
from paperfeed.ingest.files import import_file
from paperfeed.records import DATE_PATTERN
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from paperfeed.web.settings import WebSettings

ST = Path(sys.executable).with_name("st")  # schemathesis's CLI, beside this Python
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, API token) of a server over the 305-paper sample with one account."""
    tmp: Path = tmp_path_factory.mktemp("conformance")
    tokens: list[str] = []

    def fill(engine: Engine) -> None:
        import_file(engine, FIXTURES / "arxiv-sample-305.jsonl.gz", parallel=False)
        signup(engine, "fuzz@example.org", "correct horse battery staple")
        with engine.connect() as conn:
            user = find_user_by_email(conn, "fuzz@example.org")
        assert user is not None
        tokens.append(create_token(engine, user.id, "schemathesis"))

    db, env = prepared_store(tmp, "c" * 48, fill)
    argv = [sys.executable, "-m", "paperfeed", "--db", str(db), "serve", "--workers", "1",
            "--host", "127.0.0.1", "--port", str(free_port())]
    with serving(argv, env, tmp / "server.log") as base:
        yield base, tokens[0]


@pytest.mark.parametrize("signed_in", [True, False], ids=["token", "anonymous"])
def test_api_conforms_to_its_openapi(served: tuple[str, str], signed_in: bool) -> None:
    base, token = served
    auth = ["-H", f"Authorization: Bearer {token}"] if signed_in else []
    run = subprocess.run(
        [str(ST), "run", f"{base}/api/openapi.json", "--checks", "all", "--max-examples", "10",
         "--workers", "1", "--seed", "20261202", "--no-color", *auth],
        capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"})
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Server error" not in run.stdout


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    db = tmp_path_factory.mktemp("openapi") / "db.sqlite"
    engine = open_store(str(db))
    src = db.with_name("one.jsonl")
    src.write_bytes(orjson.dumps({"id": "2601.00001", "title": "Sparse attention",
                                  "abstract": "Attention, 2x faster.", "authors": ["A B"],
                                  "categories": ["cs.CL"], "date": "2026-01-05"}))
    import_file(engine, src, parallel=False)
    return create_app(engine, WebSettings("s" * 48))


def test_every_error_is_documented_in_our_shape(app: FastAPI) -> None:
    doc = TestClient(app).get("/api/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    me = doc["paths"]["/api/me"]["get"]
    assert me["security"] == [{"bearer": []}]
    assert {"401", "403", "422", "503"} <= set(me["responses"])
    paper = doc["paths"]["/api/papers/{paper_id}"]["get"]["responses"]
    assert paper["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    md = doc["paths"]["/papers/{paper_id}.md"]["get"]["responses"]
    assert "text/markdown" in md["200"]["content"] and "text/html" in md["404"]["content"]


def test_a_405_allows_every_method_of_the_path(app: FastAPI) -> None:
    r = TestClient(app).put("/api/votes/2601.00001")
    assert r.status_code == 405 and r.json()["status"] == 405
    assert set(r.headers["allow"].split(", ")) == {"POST", "DELETE"}


def test_a_malformed_paper_id_is_a_404_that_says_what_an_id_looks_like(app: FastAPI) -> None:
    r = TestClient(app).get("/api/papers/not-an-id")
    assert r.status_code == 404 and "expected e.g. 2503.12843" in r.json()["error"]


@pytest.mark.parametrize("year", [1000, 1200, 1700, 1900, 2000, 2024, 2026, 2100, 8996, 8999])
def test_the_documented_date_pattern_is_the_calendar(year: int) -> None:
    pattern = re.compile(DATE_PATTERN)
    for month in range(1, 13):
        for day in range(1, 32):
            try:
                dt.date(year, month, day)
                real = True
            except ValueError:
                real = False
            assert bool(pattern.match(f"{year:04d}-{month:02d}-{day:02d}")) is real
    for outside in ("0999-12-31", "9000-01-01", "9200-02-29", "9600-02-29", "0400-02-29",
                    "2026-1-01", "2026-11-23T00:00", ""):
        assert not pattern.match(outside)
