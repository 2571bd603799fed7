"""Web processes only read, and see what writers add: a GET changes nothing (database and index
files), and a server started before the papers finds them by meaning once indexed elsewhere."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text
from support.paths import FIXTURES
from support.server import free_port, serving

from paperfeed.index.refresh import refresh
from paperfeed.ingest.files import import_file
from paperfeed.store import write_tx
from paperfeed.web.app import create_app
from paperfeed.web.settings import WebSettings

SAMPLE = FIXTURES / "arxiv-sample-305.jsonl.gz"
SECRET = "r" * 48
PAPER = "2503.19427"
NEW = {"id": "2612.04242", "title": "Quokka wombat echidna marsupial foraging networks",
       "abstract": "Marsupial foraging of quokka, wombat and echidna herds on island networks.",
       "authors": ["Kim Possum"], "categories": ["q-bio.PE"], "date": "2026-12-01"}
QUERY = "quokka wombat echidna marsupial foraging"


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _tables(engine: Engine) -> dict[str, str]:
    """Every table's rows, as a digest (a logical dump: what the database says, not its pages)."""
    out = {}
    with engine.connect() as c:
        for t in sorted(inspect(engine).get_table_names()):
            rows = c.execute(text(f'SELECT * FROM "{t}"')).all()
            dump = sorted(orjson.dumps([repr(v) for v in r]) for r in rows)
            out[t] = f"{len(rows)}:" + hashlib.sha256(b"\n".join(dump)).hexdigest()
    return out


def _get_routes(app: Any) -> list[str]:
    out: list[str] = []

    def walk(routes: Any) -> None:
        for r in routes:
            if hasattr(r, "original_router"):
                walk(r.original_router.routes)
            elif "GET" in (getattr(r, "methods", None) or ()):
                out.append(r.path)
    walk(app.routes)
    return out


def _url(path: str, author: str) -> list[str]:
    """Concrete URLs for a route template (feeds in both formats)."""
    subs = {"{paper_id:path}": PAPER, "{name:path}": quote(author), "{cat}": "cs.CV",
            "{token}": "not-a-token"}
    for k, v in subs.items():
        path = path.replace(k, v)
    urls = [path]
    if "{fmt}" in path:
        urls = [path.replace("{fmt}", f) for f in ("atom", "rss")]
    if "{rest:path}" in path:
        rest = quote(author) if "/author/" in path else "cs.CV"
        urls = [path.replace("{rest:path}", f"{rest}.{f}") for f in ("atom", "rss")]
    return [u + "?q=vision+mamba&token=not-a-token" for u in urls]


def _csrf(html: str) -> str:
    import re

    m = re.search(r'name="csrf" value="([^"]*)"', html)
    assert m, "no CSRF field"
    return m.group(1)


def test_every_get_leaves_database_and_index_files_unchanged(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = tmp_path / "index"
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(index))
    monkeypatch.setenv("PAPERFEED_EMBED_MODEL", "hash")
    import_file(engine, SAMPLE, parallel=False)
    refresh(engine)  # every index, vectors included
    with write_tx(engine) as c:
        c.execute(text("INSERT INTO hf_papers (paper_id, upvotes, fetched_at) "
                       "VALUES (:p, 5, '2026-01-05')"), {"p": PAPER})
    with engine.connect() as c:
        author = orjson.loads(c.execute(text("SELECT authors FROM papers WHERE id = :p"),
                                        {"p": PAPER}).scalar_one())[0]
    app = create_app(engine, WebSettings(SECRET))
    routes = _get_routes(app)
    assert {"/", "/search", "/api/search", "/papers/{paper_id:path}", "/feeds/daily.{fmt}",
            "/claims", "/api/papers/{paper_id:path}/similar"} <= set(routes)
    with TestClient(app) as anon, TestClient(app) as user:
        r = user.post("/signup", data={"email": "reader@example.org", "password": "x" * 12,
                                       "csrf": _csrf(user.get("/signup").text)},
                      follow_redirects=False)
        assert r.status_code == 303, r.text
        r = user.post("/login", data={"email": "reader@example.org", "password": "x" * 12,
                                      "csrf": _csrf(user.get("/login").text)},
                      follow_redirects=False)
        assert r.status_code == 303, r.text
        db_before, files_before = _tables(engine), _files(index)
        assert files_before and db_before["papers"].startswith("305:")
        seen = 0
        for client in (anon, user):
            for route in routes:
                for url in _url(route, author):
                    r = client.get(url, follow_redirects=False)
                    assert r.status_code < 500, (url, r.status_code, r.text[:300])
                    seen += 1
            for mode in ("hybrid", "semantic", "lexical"):  # both retrievers really ran
                res = client.get(f"/api/search?q=vision+mamba&mode={mode}").json()
                assert res["mode_used"] == mode and res["hits"], res
        assert seen >= 2 * len(routes)
        assert _tables(engine) == db_before
        assert _files(index) == files_before


# --- a server started before the papers --------------------------------------------------------


def _cli(db: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "paperfeed", "--db", db, *args], env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PAPERFEED_SECRET_KEY": SECRET, "PAPERFEED_EMBED_MODEL": "hash",
            "PAPERFEED_INDEX_DIR": str(tmp_path / "index")}


@pytest.fixture
def server(db_url: str, server_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """`paperfeed serve` over a new, empty database (no index of any kind yet)."""
    argv = [sys.executable, "-m", "paperfeed", "--db", db_url, "serve", "--host", "127.0.0.1",
            "--port", str(free_port())]
    with serving(argv, server_env, tmp_path / "server.log") as base:
        yield base


@pytest.mark.slow
def test_server_started_first_finds_new_papers_by_meaning_after_index_update(
        server: str, db_url: str, server_env: dict[str, str], tmp_path: Path) -> None:
    page = httpx.get(server + "/search", params={"q": QUERY}, timeout=10)
    assert page.status_code == 200 and "no search index yet" in page.text
    assert "no search index yet" in (tmp_path / "server.log").read_text()  # and in its log
    papers = tmp_path / "new.jsonl"
    papers.write_bytes(orjson.dumps(NEW) + b"\n")
    for args in (["import", str(SAMPLE), str(papers)], ["index", "update"]):
        done = _cli(db_url, *args, env=server_env)
        assert done.returncode == 0, done.stderr
    finished = time.monotonic()
    res: dict[str, Any] = {}
    while time.monotonic() - finished < 60:
        res = httpx.get(server + "/api/search", params={"q": QUERY, "mode": "semantic"},
                        timeout=10).json()
        if res["mode_used"] == "semantic" and res["hits"] and res["hits"][0]["id"] == NEW["id"]:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"not found by meaning 60 s after `index update`: {res}")
    assert time.monotonic() - finished < 60
    page = httpx.get(server + "/search", params={"q": QUERY}, timeout=10)
    assert "no search index yet" not in page.text and NEW["title"] in page.text
