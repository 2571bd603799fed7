"""Accounts under attack (issue #14), on SQLite and PostgreSQL: login backoff per (account,
address) that never locks the owner out, one transaction per check-and-record, trusted proxies
only, throttled sign-up, scoped and expiring API tokens that cannot mint tokens, password change
and "log out everywhere", no-store and CSP headers."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from test_web_api import PAPERS, PASSWORD, SECRET, csrf_of, load, login, signup

from paperfeed.accounts import ratelimit, users
from paperfeed.accounts.users import RateLimited, authenticate
from paperfeed.store.db import write_tx
from paperfeed.web.app import create_app
from paperfeed.web.settings import SettingsError, WebSettings, parse_proxies

ATTACKER = ("203.0.113.66", 40000)
OWNER = ("198.51.100.7", 40000)


@pytest.fixture
def app(engine: Engine):  # type: ignore[no-untyped-def]
    return create_app(engine, WebSettings(SECRET))


def client_at(app, addr: tuple[str, int] = OWNER) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, client=addr)


def age_attempts(engine: Engine, seconds: float) -> None:
    """Move every recorded attempt back in time (as if `seconds` had passed)."""
    with write_tx(engine) as conn:
        for rid, at in conn.execute(text("SELECT id, at FROM login_attempts")).all():
            t = dt.datetime.fromisoformat(at) - dt.timedelta(seconds=seconds)
            conn.execute(text("UPDATE login_attempts SET at = :t WHERE id = :i"),
                         {"t": t.isoformat(timespec="milliseconds"), "i": rid})


# login throttling ---------------------------------------------------------------------------

def test_the_owner_on_another_address_is_never_locked_out(app) -> None:  # type: ignore[no-untyped-def]
    with client_at(app, OWNER) as owner, client_at(app, ATTACKER) as attacker:
        signup(owner, "ada@example.org")
        for _ in range(12):
            r = attacker.post("/login", data={"email": "ada@example.org", "password": "guess!!!",
                                              "csrf": csrf_of(attacker.get("/login").text)},
                              follow_redirects=False)
            assert r.status_code in (400, 429)
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        login(owner, "ada@example.org")  # at once, from the owner's address
        assert owner.get("/api/me").json()["email"] == "ada@example.org"


def test_a_shared_address_does_not_block_other_users(app) -> None:  # type: ignore[no-untyped-def]
    """A lab's NAT: one machine sprays random emails, a colleague behind it logs in."""
    with client_at(app, ATTACKER) as lab:
        signup(lab, "colleague@example.org")
        for n in range(20):
            login(lab, f"random{n}@example.org", "guess guess", status=400)
        login(lab, "colleague@example.org")


def test_backoff_grows_and_a_success_forgives(engine: Engine) -> None:
    users.signup(engine, "bob@example.org", PASSWORD)
    ip = "192.0.2.1"
    for _ in range(ratelimit.FREE_FAILURES):
        assert authenticate(engine, "bob@example.org", "wrong one", ip, SECRET) is None
    with pytest.raises(RateLimited) as first:
        authenticate(engine, "bob@example.org", PASSWORD, ip, SECRET)  # even the right one
    assert 0 < first.value.retry_after <= ratelimit.BASE_DELAY.total_seconds()
    age_attempts(engine, ratelimit.BASE_DELAY.total_seconds() + 1)
    assert authenticate(engine, "bob@example.org", "wrong again", ip, SECRET) is None
    with pytest.raises(RateLimited) as second:  # the next wait is twice as long
        authenticate(engine, "bob@example.org", PASSWORD, ip, SECRET)
    assert second.value.retry_after > ratelimit.BASE_DELAY.total_seconds()
    age_attempts(engine, 2 * ratelimit.BASE_DELAY.total_seconds() + 1)
    assert authenticate(engine, "bob@example.org", PASSWORD, ip, SECRET) is not None
    # the success forgave the pair: five free attempts again
    for _ in range(ratelimit.FREE_FAILURES):
        assert authenticate(engine, "bob@example.org", "wrong one", ip, SECRET) is None
    assert ratelimit.login_delay(100) == ratelimit.MAX_DELAY


def test_concurrent_attempts_get_no_more_password_checks_than_allowed(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """40 attempts at once on one (account, address): exactly FREE_FAILURES password checks."""
    users.signup(engine, "eve@example.org", PASSWORD)
    checks = 0
    lock = threading.Lock()
    real = users.verify_password

    def counting(stored: str | None, password: str) -> bool:
        nonlocal checks
        with lock:
            checks += 1
        return real(stored, password)

    monkeypatch.setattr(users, "verify_password", counting)
    barrier = threading.Barrier(40)

    def attempt(_: int) -> str:
        barrier.wait()
        try:
            return "ok" if authenticate(engine, "eve@example.org", "not it at all",
                                        "192.0.2.9", SECRET) else "wrong"
        except RateLimited:
            return "limited"

    with ThreadPoolExecutor(40) as pool:
        results = list(pool.map(attempt, range(40)))
    assert checks == ratelimit.FREE_FAILURES
    assert results.count("wrong") == ratelimit.FREE_FAILURES
    assert results.count("limited") == 40 - ratelimit.FREE_FAILURES


def test_forwarded_for_is_believed_only_from_configured_proxies(engine: Engine) -> None:
    plain = create_app(engine, WebSettings(SECRET))
    with client_at(plain, ("127.0.0.1", 1)) as c:
        signup(c, "ada@example.org")
        for _ in range(5):
            login(c, "ada@example.org", "guess guess", status=400)
        # a spoofed header does not make a new address: still this pair, still waiting
        token = csrf_of(c.get("/login").text)
        r = c.post("/login", data={"email": "ada@example.org", "password": PASSWORD,
                                   "csrf": token}, headers={"X-Forwarded-For": "1.2.3.4"})
        assert r.status_code == 429
    proxied = create_app(engine, WebSettings(SECRET, trusted_proxies=("127.0.0.1/32",)))
    with client_at(proxied, ("127.0.0.1", 1)) as c:
        token = csrf_of(c.get("/login").text)
        # behind the trusted proxy the client is the right-most untrusted hop (1.2.3.4 here;
        # a client cannot pick its address by prepending entries)
        r = c.post("/login", data={"email": "ada@example.org", "password": PASSWORD,
                                   "csrf": token}, follow_redirects=False,
                   headers={"X-Forwarded-For": "9.9.9.9, 1.2.3.4"})
        assert r.status_code == 303
    with pytest.raises(SettingsError, match="not an IP address"):
        parse_proxies("10.0.0.0/8, proxy.example.org")


def test_sign_up_is_throttled_per_address(app) -> None:  # type: ignore[no-untyped-def]
    with client_at(app, ATTACKER) as bot, client_at(app, OWNER) as person:
        token = csrf_of(bot.get("/signup").text)
        codes = [bot.post("/signup", data={"email": f"bot{n}@example.org",
                                           "password": PASSWORD, "csrf": token},
                          follow_redirects=False).status_code
                 for n in range(ratelimit.SIGNUPS_PER_HOUR + 2)]
        assert codes == [303] * ratelimit.SIGNUPS_PER_HOUR + [429, 429]
        signup(person, "person@example.org")  # another address is not affected


# API tokens ------------------------------------------------------------------------------

def _signed_in(app, email: str = "ada@example.org") -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    c = client_at(app)
    signup(c, email)
    login(c, email)
    return c, csrf_of(c.get("/account").text)


def _new_token(c: TestClient, csrf: str, scopes: list[str], days: str = "") -> str:
    r = c.post("/account/tokens", data={"name": "t", "scope": scopes, "days": days,
                                        "csrf": csrf})
    m = re.search(r'id="new-token"[^>]*>(pf_[^<]+)<', r.text)
    assert m, r.text
    return m.group(1)


def test_tokens_have_scopes(app, engine: Engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    load(engine, tmp_path, PAPERS)
    c, csrf = _signed_in(app)
    read = {"Authorization": f"Bearer {_new_token(c, csrf, ['read'])}"}
    vote = {"Authorization": f"Bearer {_new_token(c, csrf, ['vote'])}"}
    lib = {"Authorization": f"Bearer {_new_token(c, csrf, ['library'])}"}
    bot = TestClient(app)
    assert bot.get("/api/me", headers=read).status_code == 200
    r = bot.post("/api/votes/2601.00001", headers=read)
    assert r.status_code == 403 and "'vote' scope" in r.json()["error"]
    assert bot.post("/api/votes/2601.00001", headers=vote).json()["voted"] is True
    assert bot.get("/api/me", headers=vote).status_code == 403
    assert bot.post("/api/library/2601.00001", headers=vote).status_code == 403
    assert bot.post("/api/library/2601.00001", headers=lib).json()["saved"] is True
    assert bot.get("/api/library", headers=lib).json()["total"] == 1
    assert bot.get("/api/library", headers=read).status_code == 403
    bad = c.post("/account/tokens", data={"name": "t", "scope": ["admin"], "csrf": csrf})
    assert bad.status_code == 422 and "unknown scope" in bad.text


def test_a_token_read_writes_nothing_its_vote_notes_last_use(app, engine: Engine,  # type: ignore[no-untyped-def]
                                                              tmp_path: Path) -> None:
    load(engine, tmp_path, PAPERS)
    c, csrf = _signed_in(app)
    auth = {"Authorization": f"Bearer {_new_token(c, csrf, ['read', 'vote'])}"}
    bot = TestClient(app)

    def last_used() -> str | None:
        with engine.connect() as conn:
            return conn.execute(text("SELECT last_used_at FROM api_tokens")).scalar_one()

    for url in ("/api/me", "/api/daily", "/api/papers/2601.00001"):
        assert bot.get(url, headers=auth).status_code == 200
    assert last_used() is None  # readers never write
    assert bot.post("/api/votes/2601.00001", headers=auth).status_code == 200
    assert last_used() is not None


def test_tokens_expire(app, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    c, csrf = _signed_in(app)
    token = _new_token(c, csrf, ["read"], days="30")
    auth = {"Authorization": f"Bearer {token}"}
    assert TestClient(app).get("/api/me", headers=auth).status_code == 200
    assert "expires" in c.get("/account").text.lower()
    with write_tx(engine) as conn:
        conn.execute(text("UPDATE api_tokens SET expires_at = :t"),
                     {"t": (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
                      .isoformat(timespec="seconds")})
    r = TestClient(app).get("/api/me", headers=auth)
    assert r.status_code == 401 and "expired" in r.json()["error"]
    assert "expired" in c.get("/account").text
    bad = c.post("/account/tokens", data={"name": "t", "scope": ["read"], "days": "0",
                                          "csrf": csrf})
    assert bad.status_code == 422


def test_a_token_cannot_mint_tokens_or_manage_the_account(app, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    c, csrf = _signed_in(app)
    token = _new_token(c, csrf, ["read", "vote", "library"])
    bot = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    for path, data in (("/account/tokens", {"name": "more", "scope": "read"}),
                       ("/account/password", {"current": PASSWORD, "new": "hijacked pw"}),
                       ("/account/sessions/end", {}),
                       ("/account/tokens/revoke", {"token_id": "0" * 16})):
        r = bot.post(path, data=data, follow_redirects=False)
        assert r.status_code in (303, 403), (path, r.status_code)
        assert "new-token" not in r.text
    assert bot.get("/account", follow_redirects=False).status_code == 303  # to the login page
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM api_tokens")).scalar_one() == 1
    login(client_at(app), "ada@example.org")  # the password is unchanged
    # and a session needs its CSRF token
    assert c.post("/account/tokens", data={"name": "x", "scope": "read"}).status_code == 403


# password change and sessions --------------------------------------------------------------

def test_password_change_ends_the_other_sessions(app) -> None:  # type: ignore[no-untyped-def]
    c, csrf = _signed_in(app)
    other = client_at(app, ATTACKER)
    login(other, "ada@example.org")
    assert other.get("/api/me").status_code == 200
    wrong = c.post("/account/password", data={"current": "not it!!", "new": "brand new pw",
                                              "csrf": csrf})
    assert wrong.status_code == 400 and "current password is wrong" in wrong.text
    weak = c.post("/account/password", data={"current": PASSWORD, "new": "short",
                                             "csrf": csrf})
    assert weak.status_code == 422
    ok = c.post("/account/password", data={"current": PASSWORD, "new": "brand new pw",
                                           "csrf": csrf})
    assert ok.status_code == 200 and "password is changed" in ok.text
    assert c.get("/api/me").status_code == 200  # this session stays
    assert other.get("/api/me").status_code == 401  # the other one ended
    login(client_at(app), "ada@example.org", PASSWORD, status=400)
    login(client_at(app), "ada@example.org", "brand new pw")


def test_log_out_everywhere(app) -> None:  # type: ignore[no-untyped-def]
    c, csrf = _signed_in(app)
    others = [client_at(app, (f"192.0.2.{n}", 1)) for n in range(3)]
    for o in others:
        login(o, "ada@example.org")
    assert c.post("/account/sessions/end", data={"csrf": csrf}).status_code == 200
    assert [o.get("/api/me").status_code for o in others] == [401] * 3
    assert c.get("/api/me").status_code == 200


# headers ----------------------------------------------------------------------------------

def test_account_pages_are_not_stored_and_docs_have_a_csp(app) -> None:  # type: ignore[no-untyped-def]
    c, csrf = _signed_in(app)
    for path in ("/account", "/library", "/api/me", "/login", "/signup"):
        assert c.get(path).headers.get("cache-control") == "no-store", path
    new = c.post("/account/tokens", data={"name": "t", "scope": "read", "csrf": csrf})
    assert new.headers["cache-control"] == "no-store"
    assert "no-store" not in (c.get("/").headers.get("cache-control") or "")
    docs = c.get("/docs")
    csp = docs.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp.split(
        "script-src")[1].split(";")[0]
    inline = re.findall(r"<script>(.*?)</script>", docs.text, re.S)
    assert inline, "the docs page has its inline start-up script"
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert int(docs.headers["content-length"]) == len(docs.content)


@pytest.fixture(autouse=True)
def _no_index_dir(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    yield


# a real server --------------------------------------------------------------------------

def test_a_real_server_ignores_forwarded_for_unless_told(tmp_path: Path) -> None:
    """`paperfeed serve` (uvicorn) behind no configured proxy: a client on loopback cannot
    dodge the login backoff by sending X-Forwarded-For (uvicorn alone would believe it)."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PAPERFEED_SECRET_KEY": "x" * 48,
           "PAPERFEED_INDEX_DIR": str(tmp_path / "index")}
    env.pop("PAPERFEED_TRUSTED_PROXIES", None)
    proc = subprocess.Popen([sys.executable, "-m", "paperfeed", "--db",
                             str(tmp_path / "s.sqlite"), "serve", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=10) as c:
            for _ in range(300):
                try:
                    if c.get("/about").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            token = csrf_of(c.get("/signup").text)
            assert c.post("/signup", data={"email": "ada@example.org", "password": PASSWORD,
                                           "csrf": token}).status_code == 303
            codes = []
            for n in range(7):
                r = c.post("/login", data={"email": "ada@example.org", "password": "nope nope",
                                           "csrf": csrf_of(c.get("/login").text)},
                           headers={"X-Forwarded-For": f"10.0.0.{n}"})
                codes.append(r.status_code)
            assert codes == [400] * 5 + [429] * 2
    finally:
        proc.terminate()
        proc.wait(10)
