"""The web app and JSON API in-process (FastAPI TestClient), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from paperfeed.index.refresh import refresh
from paperfeed.ingest.files import import_file
from paperfeed.rank.daily import period
from paperfeed.rank.trending import trending_scores
from paperfeed.store.db import write_tx
from paperfeed.web.app import create_app
from paperfeed.web.settings import SettingsError, WebSettings, check_secret, persisted_secret

SECRET = "k" * 48
PASSWORD = "correct horse battery"
PAPERS = [
    {"id": "2601.00001", "title": "Sparse attention for long documents",
     "abstract": "We study sparse attention with $O(n \\log n)$ cost for long documents.",
     "authors": ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
     "categories": ["cs.CL", "cs.LG"], "date": "2026-01-05"},
    {"id": "2601.00002", "title": "Protein folding with diffusion",
     "abstract": "A diffusion model folds proteins.", "authors": ["Rosalind Franklin"],
     "categories": ["q-bio.BM"], "date": "2026-01-05"},
    {"id": "2601.00003", "title": "Attention is still all you need",
     "abstract": "Revisiting attention in transformers.", "authors": ["Alan Turing"],
     "categories": ["cs.CL"], "date": "2026-01-05"},
    {"id": "2601.00004", "title": "Graph coloring bounds", "abstract": "New bounds on coloring.",
     "authors": ["Paul Erdos"], "categories": ["math.CO"], "date": "2026-01-02"},
    {"id": "hep-th/9901001", "title": "Strings on branes", "abstract": "Old-style identifier.",
     "authors": ["Ed Witten"], "categories": ["hep-th"], "date": "1999-01-04"},
    {"id": "2601.00005", "title": "<script>alert('t')</script> Robust <b>parsing</b>",
     "abstract": "Attention <img src=x onerror=alert(1)> & parsing of <i>HTML</i>.",
     "authors": ["Mallory <script>x</script>"], "categories": ["cs.CR"], "date": "2026-01-06"},
]


def load(engine: Engine, tmp_path: Path, records: list[dict[str, object]]) -> None:
    """Import records (a JSONL file) and catch the derived indexes up, as `paperfeed import`."""
    path = tmp_path / "papers.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    import_file(engine, path, parallel=False)
    refresh(engine, slow=False)  # what `paperfeed import` does after storing


@pytest.fixture
def client(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[TestClient]:
    """A client of the app over a small corpus (one paper with Hugging Face upvotes)."""
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    load(engine, tmp_path, PAPERS)
    with write_tx(engine) as conn:
        conn.execute(text("INSERT INTO hf_papers (paper_id, upvotes, github_repo, fetched_at) "
                          "VALUES ('2601.00002', 3, 'https://github.com/x/fold', '2026-01-05')"))
    app = create_app(engine, WebSettings(SECRET))
    with TestClient(app) as c:
        yield c


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]*)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def signup(c: TestClient, email: str, password: str = PASSWORD) -> None:
    token = csrf_of(c.get("/signup").text)
    r = c.post("/signup", data={"email": email, "password": password, "csrf": token},
               follow_redirects=False)
    assert r.status_code == 303, r.text


def login(c: TestClient, email: str, password: str = PASSWORD, status: int = 303):  # type: ignore[no-untyped-def]
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"email": email, "password": password, "csrf": token},
               follow_redirects=False)
    assert r.status_code == status, r.text
    return r


def account(c: TestClient, email: str = "ada@example.org") -> str:
    """Sign up and log in; the session's CSRF token."""
    signup(c, email)
    login(c, email)
    return csrf_of(c.get("/account").text)


# pages ------------------------------------------------------------------------------------

def test_every_page_renders_for_anonymous_visitors(client: TestClient) -> None:
    for url in ["/", "/?span=week", "/?span=month&date=2026-01-02", "/trending",
                "/trending?window=month", "/search", "/search?q=attention",
                "/search?q=attention&category=cs.CL&since=2026-01-01&until=2026-12-31&sort=date",
                "/search?q=attention&category=&author=&since=&until=",
                "/papers/2601.00001", "/papers/hep-th/9901001", "/authors/Alan%20Turing",
                "/categories/cs.CL", "/about", "/login", "/signup", "/docs"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:300])
        assert "text/html" in r.headers["content-type"]
    assert client.get("/api/openapi.json").json()["paths"]["/api/search"]


def test_daily_defaults_to_the_latest_day_and_links_neighbours(client: TestClient) -> None:
    d = client.get("/api/daily").json()
    assert d["day"] == "2026-01-06" and [p["id"] for p in d["papers"]] == ["2601.00005"]
    assert d["prev"] == "2026-01-05" and d["next"] is None
    d = client.get("/api/daily", params={"date": "2026-01-05"}).json()
    assert d["papers"][0]["id"] == "2601.00002"  # Hugging Face upvotes rank it first
    assert d["papers"][0]["links"]["code"] == "https://github.com/x/fold"
    assert d["prev"] == "2026-01-02" and d["next"] == "2026-01-06"
    week = client.get("/api/daily", params={"date": "2026-01-05", "span": "week"}).json()
    assert (week["start"], week["end"], week["total"]) == ("2026-01-05", "2026-01-11", 4)
    page = client.get("/")
    assert "Tuesday, 6 January 2026" in page.text and 'href="/?date=2026-01-05"' in page.text


def test_periods_are_iso_weeks_and_calendar_months() -> None:
    d = dt.date(2026, 2, 11)
    assert period(d, "day") == (d, d)
    assert period(d, "week") == (dt.date(2026, 2, 9), dt.date(2026, 2, 15))
    assert period(d, "month") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_unknown_paper_is_a_404_page_and_json(client: TestClient) -> None:
    r = client.get("/papers/2601.09999")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "2601.09999" in r.text
    r = client.get("/api/papers/2601.09999")
    assert r.status_code == 404 and r.json() == {"error": "no paper '2601.09999' here",
                                                 "status": 404}
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/api/nothing").json()["status"] == 404


@pytest.mark.parametrize("url", [
    "/?date=yesterday", "/?span=year", "/?page=0", "/?page=x", "/trending?window=year",
    "/search?since=2026-13-01", "/search?sort=best", "/search?q=" + "x" * 600,
    "/api/daily?date=2026-02-30", "/api/daily?limit=0",
    "/api/daily?limit=1000", "/api/daily?offset=-1", "/api/trending?window=hour",
    "/api/search", "/api/search?q=a&k=0", "/api/search?q=a&k=abc", "/api/search?q=a&mode=x",
    "/api/search?q=a&until=2026-01-99", "/api/papers/2601.00001/similar?k=0",
    "/api/daily?date=2026-11-23T00:00:00",
])
def test_bad_parameters_are_422_never_500(client: TestClient, url: str) -> None:
    r = client.get(url)
    assert r.status_code == 422, (url, r.status_code, r.text[:300])
    if url.startswith("/api/"):
        body = r.json()
        assert body["status"] == 422 and body["error"].startswith("invalid")
    else:
        assert "text/html" in r.headers["content-type"]


@pytest.mark.parametrize("url", ["/papers/not-an-id", "/api/papers/not-an-id",
                                 "/api/papers/not-an-id/similar"])
def test_a_malformed_id_names_no_paper_and_says_what_an_id_is(client: TestClient,
                                                              url: str) -> None:
    r = client.get(url)
    assert r.status_code == 404, (url, r.status_code)
    assert "expected e.g. 2503.12843" in r.text


def test_versioned_id_redirects_to_the_paper(client: TestClient) -> None:
    r = client.get("/papers/2601.00001v2", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/papers/2601.00001"
    assert client.get("/api/papers/2601.00001v2").json()["id"] == "2601.00001"


def test_paper_api_has_old_style_ids_votes_and_bibtex(client: TestClient) -> None:
    p = client.get("/api/papers/hep-th/9901001").json()
    assert p["id"] == "hep-th/9901001" and p["links"]["abs"].endswith("/abs/hep-th/9901001")
    assert "eprint = {hep-th/9901001}" in p["bibtex"]
    assert p["votes"] == 0 and p["voted"] is False
    page = client.get("/papers/2601.00001").text
    assert "@misc{lovelace2026sparse" in page and 'href="/authors/Grace%20Hopper"' in page
    assert "katex.min.js" in page and "$O(n \\log n)$" in page


def test_author_and_category_pages_and_api(client: TestClient) -> None:
    a = client.get("/api/authors/alan turing").json()
    assert a["name"] == "Alan Turing" and a["total"] == 2
    assert client.get("/api/categories/cs.CL").json()["total"] == 2
    assert client.get("/authors/Nobody%20Here").status_code == 404
    assert client.get("/categories/xx.YY").status_code == 404


def test_search_page_and_api_filter_highlight_and_chart(client: TestClient) -> None:
    res = client.get("/api/search", params={"q": "attention", "k": 10}).json()
    ids = {h["id"] for h in res["hits"]}
    assert {"2601.00001", "2601.00003"} <= ids
    assert any("<mark>" in h["snippet"].lower() for h in res["hits"])
    only = client.get("/api/search", params={"q": "attention", "category": "math.CO"}).json()
    assert only["hits"] == []
    dated = client.get("/api/search", params={"q": "attention", "since": "2026-01-06"}).json()
    assert [h["id"] for h in dated["hits"]] == ["2601.00005"]
    page = client.get("/search", params={"q": "attention"}).text
    assert "<mark>" in page and 'role="img"' in page and "Matching papers per month" in page


def test_html_in_titles_and_abstracts_is_shown_as_text(client: TestClient) -> None:
    for url in ["/", "/papers/2601.00005", "/search?q=parsing", "/authors/Alan%20Turing"]:
        html = client.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html, url
        assert "<b>parsing</b>" not in html
    html = client.get("/papers/2601.00005").text
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in html
    assert "Mallory &lt;script&gt;x&lt;/script&gt;" in html


def test_security_headers_and_no_state_change_on_get(client: TestClient) -> None:
    r = client.get("/")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/actions/vote").status_code == 405
    assert client.get("/logout").status_code == 405


# accounts ---------------------------------------------------------------------------------

def test_signup_login_logout(client: TestClient) -> None:
    signup(client, "Ada@Example.org")
    r = login(client, "ada@example.org")
    cookie = r.headers["set-cookie"]
    assert "pf_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here
    assert client.get("/api/me").json()["email"] == "ada@example.org"
    page = client.get("/account").text
    assert "ada@example.org" in page
    client.post("/logout", data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert client.get("/api/me").status_code == 401
    assert client.get("/account", follow_redirects=False).headers["location"] == \
        "/login?next=/account"


def test_session_cookie_is_secure_behind_https(engine: Engine) -> None:
    app = create_app(engine, WebSettings(SECRET, "https://papers.example.org"))
    with TestClient(app, base_url="https://papers.example.org") as c:
        signup(c, "s@example.org")
        assert "Secure" in login(c, "s@example.org").headers["set-cookie"]


def test_only_the_session_hash_is_stored(client: TestClient, engine: Engine) -> None:
    account(client)
    cookie = client.cookies["pf_session"]
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM sessions")).scalars().all()
        pw = conn.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert cookie not in stored and len(stored[0]) == 64
    assert pw.startswith("$argon2id$")


def test_signup_does_not_reveal_an_existing_email(client: TestClient) -> None:
    signup(client, "taken@example.org")
    token = csrf_of(client.get("/signup").text)
    answers = [client.post("/signup", data={"email": e, "password": "another password",
                                            "csrf": token}, follow_redirects=False)
               for e in ("taken@example.org", "fresh@example.org")]
    assert [(a.status_code, a.headers["location"]) for a in answers] == \
        [(303, "/login?notice=signed-up")] * 2
    login(client, "taken@example.org", "another password", status=400)  # unchanged account


def test_login_failures_look_the_same_for_unknown_email_and_wrong_password(
        client: TestClient) -> None:
    signup(client, "real@example.org")
    token = csrf_of(client.get("/login").text)

    def attempt(email: str) -> tuple[int, str, float]:
        t = time.perf_counter()
        r = client.post("/login", data={"email": email, "password": "wrong password",
                                        "csrf": token})
        body = re.sub(r'value="[^"]*"', "", r.text)  # the typed email is echoed back
        return r.status_code, body, time.perf_counter() - t

    wrong, unknown = attempt("real@example.org"), attempt("nobody@example.org")
    assert wrong[0] == unknown[0] == 400 and wrong[1] == unknown[1]
    assert "Wrong email or password." in wrong[1]
    # both verify an argon2 hash: within a factor of 3 of each other
    assert max(wrong[2], unknown[2]) < 3 * min(wrong[2], unknown[2]) + 0.05


def test_login_backs_off_per_email_and_address(client: TestClient) -> None:
    signup(client, "victim@example.org")
    for _ in range(5):
        login(client, "victim@example.org", "guess guess", status=400)
    r = login(client, "victim@example.org", PASSWORD, status=429)  # this pair must wait
    assert "too many failed logins" in r.text.lower() and int(r.headers["retry-after"]) > 0


def test_failures_on_other_emails_do_not_block_a_login_from_the_same_address(
        client: TestClient) -> None:
    signup(client, "other@example.org")
    for n in range(6):
        login(client, f"someone{n}@example.org", "guess guess", status=400)
    login(client, "other@example.org", PASSWORD)


def test_forms_and_api_reject_missing_or_wrong_csrf(client: TestClient) -> None:
    csrf = account(client)
    for data in ({"paper_id": "2601.00001"}, {"paper_id": "2601.00001", "csrf": "forged"}):
        assert client.post("/actions/vote", data=data).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/api/votes/2601.00001").status_code == 403  # cookie without header
    r = client.post("/api/votes/2601.00001", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["local_votes"] == 1
    fresh = TestClient(client.app)
    assert fresh.post("/login", data={"email": "a@b.co", "password": "x" * 9}).status_code == 403


def test_voting_needs_an_account(client: TestClient) -> None:
    r = client.post("/api/votes/2601.00001")
    assert r.status_code == 401 and r.json()["error"].startswith("sign in")
    token = csrf_of(client.get("/").text)
    r = client.post("/actions/vote", data={"paper_id": "2601.00001", "csrf": token,
                                           "next": "/papers/2601.00001"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/papers/2601.00001"
    r = client.post("/actions/vote", data={"paper_id": "2601.00001", "csrf": token},
                    headers={"Accept": "application/json"})
    assert r.status_code == 401


def test_one_vote_per_user_and_toggle(client: TestClient) -> None:
    csrf = account(client)
    js = {"Accept": "application/json"}
    vote = {"paper_id": "2601.00002", "csrf": csrf}
    r = client.post("/actions/vote", data={**vote, "on": "1"}, headers=js).json()
    assert r == {"paper_id": "2601.00002", "voted": True, "local_votes": 1, "hf_upvotes": 3,
                 "votes": 4}
    assert client.post("/actions/vote", data={**vote, "on": "1"}, headers=js).json()["votes"] == 4
    h = {"X-CSRF-Token": csrf}
    assert client.post("/api/votes/2601.00002", headers=h).json()["local_votes"] == 1
    assert client.get("/api/papers/2601.00002").json()["voted"] is True
    assert client.delete("/api/votes/2601.00002", headers=h).json()["local_votes"] == 0
    r = client.post("/actions/vote", data={**vote, "on": "1", "next": "/?date=2026-01-05"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/?date=2026-01-05"
    assert client.post("/api/votes/2601.09999", headers=h).status_code == 404


def test_a_vote_moves_a_paper_up_daily_and_into_trending(client: TestClient) -> None:
    csrf = account(client)
    before = client.get("/api/trending", params={"window": "day"}).json()["papers"]
    assert before == []
    h = {"X-CSRF-Token": csrf}
    client.post("/api/votes/2601.00004", headers=h)
    after = client.get("/api/trending", params={"window": "day"}).json()
    assert [p["id"] for p in after["papers"]] == ["2601.00004"]
    assert 0.99 < after["papers"][0]["score"] <= 1.0 and "0.5^" in after["formula"]
    assert "2601.00004" in client.get("/trending?window=day").text


def test_trending_decays_votes_and_counts_hf_upvotes_at_announcement(
        client: TestClient, engine: Engine) -> None:
    account(client)
    with write_tx(engine) as conn:
        conn.execute(text("INSERT INTO votes (user_id, paper_id, created_at) "
                          "VALUES (1, '2601.00001', '2026-01-06T00:00:00+00:00')"))
    now = dt.datetime(2026, 1, 6, 12, tzinfo=dt.UTC)
    with engine.connect() as conn:
        day = trending_scores(conn, "day", now)
        week = trending_scores(conn, "week", now)
    assert day["2601.00001"] == pytest.approx(0.25)  # 12 h old, 6 h half-life
    assert week["2601.00001"] == pytest.approx(0.5 ** (12 / 48))
    # 3 upvotes counted at the announcement (2026-01-05 00:00 UTC), 36 h earlier
    assert "2601.00002" not in day
    assert week["2601.00002"] == pytest.approx(3 * 0.5 ** (36 / 48))


def test_library_save_tags_list_and_remove(client: TestClient) -> None:
    csrf = account(client)
    h = {"X-CSRF-Token": csrf}
    r = client.post("/api/library/2601.00001", json={"tags": ["to-read", " llm ", "to-read"]},
                    headers=h)
    assert r.json() == {"paper_id": "2601.00001", "saved": True, "tags": ["to-read", "llm"]}
    client.post("/actions/save", data={"paper_id": "hep-th/9901001", "tags": "physics",
                                       "csrf": csrf}, follow_redirects=False)
    lib = client.get("/api/library").json()
    assert lib["total"] == 2 and lib["tags"] == {"llm": 1, "physics": 1, "to-read": 1}
    assert [p["id"] for p in client.get("/api/library?tag=physics").json()["papers"]] == \
        ["hep-th/9901001"]
    page = client.get("/library").text
    assert "Strings on branes" in page and "Sparse attention" in page
    assert client.delete("/api/library/2601.00001", headers=h).json()["saved"] is False
    assert client.get("/api/library").json()["total"] == 1
    bad = client.post("/api/library/2601.00001", json={"tags": "x"}, headers=h)
    assert bad.status_code == 422 and bad.json()["detail"][0]["parameter"] == "field 'tags'"


def test_not_interested_hides_a_paper_from_daily(client: TestClient) -> None:
    csrf = account(client)
    client.post("/actions/hide", data={"paper_id": "2601.00003", "csrf": csrf})
    ids = [p["id"] for p in client.get("/api/daily?date=2026-01-05").json()["papers"]]
    assert "2601.00003" not in ids and len(ids) == 2
    client.post("/actions/hide", data={"paper_id": "2601.00003", "on": "0", "csrf": csrf})
    assert client.get("/api/daily?date=2026-01-05").json()["total"] == 3


def test_api_tokens_create_use_and_revoke(client: TestClient) -> None:
    csrf = account(client)
    page = client.post("/account/tokens", data={"name": "my script", "scope": ["read", "vote"],
                                                "csrf": csrf}).text
    token = re.search(r'id="new-token"[^>]*>(pf_[^<]+)<', page).group(1)  # type: ignore[union-attr]
    bot = TestClient(client.app)
    auth = {"Authorization": f"Bearer {token}"}
    assert bot.get("/api/me", headers=auth).json()["email"] == "ada@example.org"
    assert bot.post("/api/votes/2601.00001", headers=auth).json()["voted"] is True  # no CSRF
    listed = client.get("/account").text
    token_id = re.search(r'name="token_id" value="([0-9a-f]{16})"', listed).group(1)  # type: ignore[union-attr]
    assert "my script" in listed and token not in listed
    client.post("/account/tokens/revoke", data={"token_id": token_id, "csrf": csrf})
    r = bot.get("/api/me", headers=auth)
    assert r.status_code == 401 and "revoked" in r.json()["error"]
    assert bot.get("/api/daily", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_weak_password_and_bad_email_are_explained(client: TestClient) -> None:
    token = csrf_of(client.get("/signup").text)
    r = client.post("/signup", data={"email": "x@example.org", "password": "short",
                                     "csrf": token})
    assert r.status_code == 422 and "at least 8 characters" in r.text
    r = client.post("/signup", data={"email": "not-an-email", "password": PASSWORD,
                                     "csrf": token})
    assert r.status_code == 422 and "email address" in r.text


# settings ---------------------------------------------------------------------------------

def test_placeholder_secrets_are_refused_and_a_missing_one_is_generated(tmp_path: Path) -> None:
    for bad in ("changeme", "devkey", "short"):
        with pytest.raises(SettingsError, match="PAPERFEED_SECRET_KEY"):
            check_secret(bad)
    path = tmp_path / "secret_key"
    first = persisted_secret(path)
    assert len(first) >= 32 and persisted_secret(path) == first
    assert path.stat().st_mode & 0o777 == 0o600
