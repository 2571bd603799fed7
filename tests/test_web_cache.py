"""Serving many clients: anonymous pages cached per data version, gzip, 304s, static caching,
and several worker processes; signed-in pages never come from the cache."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from support.paths import ROOT
from support.server import free_port
from test_web_api import PAPERS, SECRET, account, load, login

from paperfeed.web import pagecache
from paperfeed.web.app import create_app
from paperfeed.web.settings import WebSettings


@pytest.fixture
def client(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[TestClient]:
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setattr(pagecache, "CHECK_S", 0.0)  # read the data version on every request
    load(engine, tmp_path, PAPERS)
    with TestClient(create_app(engine, WebSettings(SECRET))) as c:
        yield c


def test_anonymous_pages_are_cached_until_the_data_changes(client: TestClient) -> None:
    first = client.get("/papers/2601.00001")
    assert first.status_code == 200 and first.headers["etag"]
    assert "set-cookie" not in first.headers  # the same bytes suit every anonymous visitor
    assert 'name="csrf" value=""' in first.text
    again = client.get("/papers/2601.00001")
    assert again.headers["etag"] == first.headers["etag"] and again.text == first.text
    r304 = client.get("/papers/2601.00001", headers={"If-None-Match": first.headers["etag"]})
    assert r304.status_code == 304 and r304.content == b""
    # a vote (another viewer, through the app) changes the data version: the page follows
    csrf = account(client, "voter@example.org")
    r = client.post("/actions/vote", data={"paper_id": "2601.00001", "csrf": csrf},
                    headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.json()["votes"] == 1
    client.cookies.clear()
    after = client.get("/papers/2601.00001")
    assert after.headers["etag"] != first.headers["etag"]
    assert 'aria-label="Upvote: 1 votes"' in after.text


def test_a_vote_refills_the_counts_of_a_cached_paper_page_without_rendering_it(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[bytes] = []
    render = pagecache.PageCache._render

    async def counting(self, scope, receive, send, key, version):  # type: ignore[no-untyped-def]
        rendered.append(key)
        return await render(self, scope, receive, send, key, version)

    monkeypatch.setattr(pagecache.PageCache, "_render", counting)
    one = client.get("/papers/2601.00001")
    # a page that does not show 2601.00001 (not among its similar papers)
    other, three = next((p["id"], r) for p in PAPERS[1:]
                        if 'data-paper="2601.00001"' not in (r := client.get(f"/papers/{p['id']}")).text)
    assert "\x00" not in one.text and 'aria-label="Upvote: 0 votes"' in one.text
    csrf = account(client, "voter@example.org")

    def vote(paper_id: str, on: bool) -> None:
        r = client.post("/actions/vote", data={"paper_id": paper_id, "csrf": csrf, "on": int(on)},
                        headers={"Accept": "application/json"})
        assert r.status_code == 200

    vote("2601.00001", True)
    cookies = dict(client.cookies)
    client.cookies.clear()
    rendered.clear()
    after = client.get("/papers/2601.00001")
    assert 'aria-label="Upvote: 1 votes"' in after.text and "<dd>1 here" in after.text
    assert after.headers["etag"] != one.headers["etag"]
    same = client.get(f"/papers/{other}")  # its papers' votes did not change: same bytes
    assert same.headers["etag"] == three.headers["etag"] and same.text == three.text
    assert rendered == []  # neither page rendered again: the holes were refilled
    client.get("/")
    assert rendered == [b"/?"]  # the daily page is ordered by votes: it renders again
    client.cookies.update(cookies)
    vote("2601.00001", False)  # withdrawing the vote shows too
    client.cookies.clear()
    back = client.get("/papers/2601.00001")
    assert 'aria-label="Upvote: 0 votes"' in back.text and back.text == one.text
    assert "\x00" not in client.get("/papers/2601.00001", headers={"Accept-Encoding": "gzip"}).text


def test_gzip_once_and_vary(client: TestClient) -> None:
    plain = client.get("/", headers={"Accept-Encoding": "identity"})
    raw = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in raw.headers["vary"] and "Cookie" in raw.headers["vary"]
    assert raw.text == plain.text  # httpx decodes; the bytes on the wire were gzip
    assert int(raw.headers["content-length"]) < len(plain.content) / 2
    api = client.get("/api/openapi.json", headers={"Accept-Encoding": "gzip"})  # gzip, no cache
    assert api.headers.get("content-encoding") == "gzip" and "etag" not in api.headers


def test_signed_in_pages_are_the_viewers_own(client: TestClient) -> None:
    anon = client.get("/papers/2601.00003")
    assert anon.headers.get("etag")
    account(client, "ada@example.org")
    page = client.get("/papers/2601.00003")
    assert "etag" not in page.headers  # never from, nor into, the shared cache
    assert re.search(r'name="csrf" value="[^"]+"', page.text)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.post("/actions/vote", data={"paper_id": "2601.00003", "csrf": csrf})
    mine = client.get("/papers/2601.00003").text
    assert 'aria-pressed="true"' in mine and "Remove your vote" in mine
    client.cookies.clear()
    other = client.get("/papers/2601.00003").text
    assert "Remove your vote" not in other and 'aria-label="Upvote: 1 votes"' in other
    login(client, "ada@example.org")
    assert "Remove your vote" in client.get("/papers/2601.00003").text


def test_anonymous_buttons_lead_to_the_login_page(client: TestClient) -> None:
    r = client.post("/actions/vote", data={"paper_id": "2601.00001", "csrf": "",
                                           "next": "/papers/2601.00001"},
                    follow_redirects=False)
    assert r.status_code in (302, 303) and r.headers["location"].startswith("/login")
    r = client.post("/actions/vote", data={"paper_id": "2601.00001", "csrf": ""},
                    headers={"Accept": "application/json"})
    assert r.status_code == 401  # the page's script sends the visitor to log in
    client.cookies.clear()
    login_page = client.get("/login")  # a form page: its own per-visitor token, never cached
    assert "set-cookie" in login_page.headers and "etag" not in login_page.headers


def test_static_files_are_fingerprinted_and_immutable(client: TestClient) -> None:
    html = client.get("/").text
    css = re.search(r'href="(/static/style\.css\?v=[0-9a-f]{10})"', html)
    assert css, "the stylesheet is not linked by a fingerprinted URL"
    r = client.get(css.group(1))
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"]
    font = client.get("/static/favicon.svg")
    assert "immutable" not in font.headers["cache-control"]


def test_serve_with_two_workers_answers_and_stops_on_sigterm(db_url: str,
                                                             tmp_path: Path) -> None:
    port = free_port()
    papers = tmp_path / "p.jsonl"
    papers.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in PAPERS))
    env = {**os.environ, "PAPERFEED_SECRET_KEY": SECRET,
           "PAPERFEED_INDEX_DIR": str(tmp_path / "index")}
    base = [sys.executable, "-m", "paperfeed", "--db", db_url]
    subprocess.run([*base, "import", str(papers)], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    proc = subprocess.Popen([*base, "serve", "--port", str(port), "--workers", "2"], env=env,
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/?date=2026-01-05", timeout=5)
                break
            except httpx.HTTPError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.5)
        assert r.status_code == 200 and "Sparse attention" in r.text
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as c:
            assert all(c.get(f"/papers/{p['id']}").status_code == 200 for p in PAPERS)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) is not None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _children(pid: int) -> list[int]:
    """Live processes whose parent is `pid` (from /proc)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == pid and state != "Z":
                out.append(int(d.name))
    return out


def _alive(pid: int) -> bool:
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_serve_workers_end_when_serve_is_killed(tmp_path: Path) -> None:
    """kill -9 of `paperfeed serve` gives its workers no chance to be stopped: they must
    notice and end by themselves (found: CI left two orphaned workers of a killed server)."""
    port = free_port()
    env = {**os.environ, "PAPERFEED_SECRET_KEY": SECRET,
           "PAPERFEED_INDEX_DIR": str(tmp_path / "index")}
    proc = subprocess.Popen([sys.executable, "-m", "paperfeed", "--db",
                             str(tmp_path / "p.sqlite"), "serve", "--port", str(port),
                             "--workers", "2"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/about", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "did not start"
            time.sleep(0.3)
        workers = _children(proc.pid)
        assert len(workers) >= 2, workers  # two workers (and multiprocessing's tracker)
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 15
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [w for w in workers if _alive(w)]
        for w in left:
            os.kill(w, signal.SIGKILL)
        assert not left, f"workers {left} outlived the killed server"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
