"""For you over HTTP: POST /api/recommendations (a contract), GET /api/for-you and the page,
"not interested", seen, mutes, the social mix and reset; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from support.foryou_corpus import topic_of, write
from test_web_api import SECRET, account, csrf_of

from paperfeed.index.refresh import refresh
from paperfeed.ingest.files import import_file
from paperfeed.web.app import create_app
from paperfeed.web.settings import WebSettings


@pytest.fixture
def client(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[TestClient]:
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("PAPERFEED_EMBED_MODEL", "hash")
    import_file(engine, write(tmp_path / "c.jsonl"), parallel=False)
    refresh(engine, slow=False)  # what `paperfeed import` leaves: lookups, lexical, claims...
    app = create_app(engine, WebSettings(SECRET))
    with TestClient(app) as other:  # someone else makes one galaxy paper trend
        h = {"X-CSRF-Token": account(other, "bob@example.org")}
        assert other.post("/api/votes/2601.02001", headers=h).status_code == 200
    with TestClient(app) as c:
        yield c


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
                for t in ("seen_papers", "not_interested", "user_interests", "votes")}


def test_recommendations_contract(client: TestClient) -> None:
    r = client.post("/api/recommendations", params={"limit": 5},
                    json={"positivePaperIds": ["arXiv:2601.00003v1", "2601.00004", "2699.99999"],
                          "negativePaperIds": ["2601.00005"]})
    assert r.status_code == 200, r.text
    recs = r.json()["recommendedPapers"]
    assert list(r.json()) == ["recommendedPapers"] and len(recs) == 5
    assert all(set(x) == {"paperId", "title", "score", "why"} and x["why"] for x in recs)
    ids = [x["paperId"] for x in recs]
    assert not {"2601.00003", "2601.00004", "2601.00005"} & set(ids)
    assert all(topic_of(i) == "kv" for i in ids)
    r = client.post("/api/recommendations", json={"positivePaperIds": []})
    assert r.status_code == 422 and "positivePaperIds" in r.json()["error"]
    r = client.post("/api/recommendations", json={"positivePaperIds": ["2699.99999"]})
    assert r.status_code == 404 and "2699.99999" in r.json()["error"]


def test_for_you_follows_votes_changes_after_not_interested_never_repeats(
        client: TestClient, engine: Engine) -> None:
    assert client.get("/api/for-you").status_code == 401
    csrf = account(client)
    h = {"X-CSRF-Token": csrf}
    empty = client.get("/api/for-you").json()
    assert empty["empty"] and empty["papers"] == []
    assert "Teach For you" in client.get("/for-you").text
    for pid in ("2601.01000", "2601.01001"):  # two protein papers
        assert client.post(f"/api/votes/{pid}", headers=h).status_code == 200
    before = _counts(engine)
    feed = client.get("/api/for-you", params={"limit": 6}).json()
    assert _counts(engine) == before  # reading writes nothing
    ids = [p["id"] for p in feed["papers"]]
    assert len(ids) == 6 and all(topic_of(i) == "protein" for i in ids[:5]), ids
    assert all(p["why"] for p in feed["papers"]) and "title" in feed["papers"][0]
    # not interested: the paper goes, and papers like it sink
    first = ids[0]
    assert client.post(f"/api/not-interested/{first}", headers=h).json()["not_interested"]
    after = [p["id"] for p in client.get("/api/for-you", params={"limit": 6}).json()["papers"]]
    assert first not in after and after != ids
    # seen: marked on an explicit POST, then never shown again (unless asked)
    assert client.post("/api/for-you/seen", json={"paperIds": after[:3]}, headers=h
                       ).json()["marked"] == 3
    nxt = [p["id"] for p in client.get("/api/for-you", params={"limit": 30}).json()["papers"]]
    assert not set(after[:3]) & set(nxt)
    again = client.get("/api/for-you", params={"limit": 30, "include_seen": True}).json()
    assert set(after[:3]) <= {p["id"] for p in again["papers"]}
    # the home page is For you now; the daily page is one click away
    home = client.get("/")
    assert home.url.path == "/for-you" and "Not interested" in home.text and "Why:" in home.text
    assert client.get("/daily").status_code == 200


def test_mutes_mix_and_reset(client: TestClient, engine: Engine) -> None:
    csrf = account(client)
    h = {"X-CSRF-Token": csrf}
    client.post("/api/library/2601.00002", json={"tags": ["llm"]}, headers=h)
    client.post("/api/library/2601.01002", json={"tags": ["bio"]}, headers=h)
    feed = client.get("/api/for-you", params={"limit": 12}).json()["papers"]
    assert {topic_of(p["id"]) for p in feed} == {"kv", "protein"}  # each tag its own interest
    r = client.post("/api/for-you/interests", headers=h,
                    json={"kind": "keyword", "value": "Eviction", "mode": "mute"})
    assert r.json() == {"kind": "keyword", "value": "eviction", "mode": "mute"}
    client.post("/api/for-you/interests", headers=h,
                json={"kind": "author", "value": "Author  Protein1", "mode": "mute"})
    feed = client.get("/api/for-you", params={"limit": 40}).json()["papers"]
    assert feed and all("eviction" not in (p["title"] + p["abstract"]).lower() for p in feed)
    assert all("Author Protein1" not in p["authors"] for p in feed)
    assert {i["value"] for i in client.get("/api/for-you/interests").json()["interests"]} == {
        "eviction", "author protein1"}
    # content only has no galaxy paper; social mixes the trending one in
    assert "2601.02001" not in {p["id"] for p in feed[:10]}
    assert client.post("/api/for-you/settings", json={"social": 50}, headers=h
                       ).json() == {"social": 50}
    mixed = client.get("/api/for-you", params={"limit": 4}).json()
    assert mixed["social"] == 50 and "2601.02001" in [p["id"] for p in mixed["papers"]]
    # reset: back to empty, seen and mutes forgotten, the library kept
    assert client.post("/api/for-you/reset", headers=h).json() == {"reset": True}
    assert client.get("/api/for-you").json()["empty"]
    assert _counts(engine)["user_interests"] == 0
    assert client.get("/api/library").json()["total"] == 2


def test_page_forms_seed_next_and_reset(client: TestClient) -> None:
    account(client)
    page = client.get("/for-you")
    token = csrf_of(page.text)
    r = client.post("/for-you/seeds", data={"ids": "2601.02003", "csrf": token,
                                            "text": "dark matter halo lensing"})
    assert r.status_code == 200 and r.url.path == "/for-you"
    assert "galaxy" in r.text and "Why:" in r.text
    shown = next(i for i in re.findall(r'name="ids" value="([^"]*)"', r.text)
                 if i.strip()).split()
    assert len(shown) >= 5
    r = client.post("/for-you/next", data={"ids": " ".join(shown), "csrf": token})
    assert all(f'data-paper="{i}"' not in r.text for i in shown)
    r = client.post("/for-you/interests", data={"kind": "category", "value": "astro-ph.CO",
                                                "mode": "mute", "csrf": token})
    assert "mute category: astro-ph.CO" in r.text
    assert client.post("/for-you/next", data={"ids": "x"}).status_code == 403  # no CSRF


def _card_ids(html: str) -> list[str]:
    return re.findall(r'<h2 class="card-title[^>]*>(?:<span[^>]*>[^<]*</span> )?<a href="/papers/'
                      r'([^"]+)"', html)


def test_daily_page_tabs_top_30_and_for_you_order(client: TestClient) -> None:
    month = {"date": "2026-01-03", "span": "month"}
    html = client.get("/daily", params=month).text
    assert len(_card_ids(html)) == 30 and "Show all 36" in html
    assert 'href="/daily?date=2026-01-03&amp;span=month&amp;cat=q-bio.BM"' in html
    prot = client.get("/daily", params={**month, "cat": "q-bio.BM"}).text
    assert {topic_of(i) for i in _card_ids(prot)} == {"protein"} and len(_card_ids(prot)) == 12
    every = client.get("/daily", params={**month, "all": 1, "page": 2}).text
    assert len(_card_ids(every)) == 6 and "Page 2 of 2" in every
    # a signed-in reader with signals: For-you's order first
    h = {"X-CSRF-Token": account(client)}
    for pid in ("2601.02000", "2601.02001"):
        client.post(f"/api/votes/{pid}", headers=h)
    mine = client.get("/daily", params=month).text
    assert "for you first" in mine
    assert [topic_of(i) for i in _card_ids(mine)[:8]] == ["galaxy"] * 8
