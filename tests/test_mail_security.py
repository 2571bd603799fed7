"""Mail under hostile conditions (issue #14), against a real SMTP server (aiosmtpd), on SQLite
and PostgreSQL: one-click unsubscribe headers stay readable with long base URLs, link scanners
cannot confirm, confirmation links expire, and POST /subscribe never talks SMTP itself and tells
the truth when mail cannot go out."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import re
import time
from pathlib import Path

import pytest
import test_digest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from support.smtp import Recorder
from test_digest import DAY1, MON, SECRET, active, load, path_of, settle

from paperfeed.digest import subscriptions as subs
from paperfeed.digest.jobs import run_digests
from paperfeed.digest.outbox import send_due
from paperfeed.digest.subscriptions import Choices
from paperfeed.digest.tokens import CONFIRM_TTL, make_token
from paperfeed.web.app import create_app
from paperfeed.web.settings import WebSettings

smtp = test_digest.smtp  # the real SMTP server fixture

LONG_BASE = ("https://papers.research-computing.example-university.ac.uk/"
             "departments/computer-science/tools/paperfeed")


def _form(c: TestClient, email_addr: str) -> dict[str, str]:
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/subscribe").text)
    assert csrf
    return {"email": email_addr, "trending": "1", "frequency": "daily", "csrf": csrf.group(1)}


def test_list_unsubscribe_is_never_encoded_with_a_long_base_url(
        engine: Engine, smtp: Recorder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
        ) -> None:
    monkeypatch.setenv("PAPERFEED_BASE_URL", LONG_BASE)
    load(engine, tmp_path, DAY1, "day1")
    active(engine, "ada@example.org", Choices(categories=["cs.CL"]))
    assert run_digests(engine, now=MON)["sent"] == 1
    (got,) = smtp.to("ada@example.org")
    raw = got.data.decode("ascii")
    header_block = raw.split("\r\n\r\n", 1)[0]
    lines = [ln for ln in re.split(r"\r\n(?![ \t])", header_block)
             if ln.lower().startswith("list-unsubscribe:")]
    assert len(lines) == 1 and "=?" not in lines[0] and "\r\n" not in lines[0]
    parsed = email.message_from_bytes(got.data, policy=email.policy.default)
    value = str(parsed["List-Unsubscribe"])
    m = re.fullmatch(r"<(https://\S+/unsubscribe\?token=[\w-]+)>", value)
    assert m and m.group(1).startswith(LONG_BASE) and len(m.group(1)) > 120
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # the address a mail client reads back works for the one-click POST
    with TestClient(create_app(engine, WebSettings(SECRET, LONG_BASE))) as c:
        path = path_of(m.group(1)).removeprefix("/departments/computer-science/tools/paperfeed")
        r = c.post(path, data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 200
    with engine.connect() as conn:
        assert subs.find_by_email(conn, "ada@example.org").status == "unsubscribed"  # type: ignore[union-attr]


def test_a_link_scanner_cannot_confirm_and_links_expire(engine: Engine, smtp: Recorder) -> None:
    res = subs.subscribe(engine, "bob@example.org", Choices(trending=True))
    with engine.connect() as conn:
        sub = subs.get_subscription(conn, res.subscription_id)
    assert sub is not None
    token = make_token(SECRET, sub.id, sub.nonce, "confirm")
    with TestClient(create_app(engine, WebSettings(SECRET))) as c:
        for _ in range(3):  # scanners fetch links, sometimes several times
            page = c.get(f"/subscribe/confirm?token={token}")
            assert page.status_code == 200 and "Confirm subscription" in page.text
        assert c.head(f"/subscribe/confirm?token={token}").status_code in (200, 405)
        with engine.connect() as conn:
            assert subs.get_subscription(conn, sub.id).status == "pending"  # type: ignore[union-attr]
        # an old link: expired (410, and it says so), confirms nothing
        old = make_token(SECRET, sub.id, sub.nonce, "confirm",
                         now=time.time() - CONFIRM_TTL.total_seconds() - 120)
        for r in (c.get(f"/subscribe/confirm?token={old}"),
                  c.post("/subscribe/confirm", data={"token": old})):
            assert r.status_code == 410 and "expired" in r.text
        with engine.connect() as conn:
            assert subs.get_subscription(conn, sub.id).status == "pending"  # type: ignore[union-attr]
        ok = c.post("/subscribe/confirm", data={"token": token})
        assert ok.status_code == 200 and "You are subscribed" in ok.text
    with engine.connect() as conn:
        assert subs.get_subscription(conn, sub.id).status == "active"  # type: ignore[union-attr]
    assert subs.confirm(engine, old, secret=SECRET) is None  # the service refuses it too


def test_subscribe_answers_without_waiting_for_a_slow_mail_server(
        engine: Engine, smtp: Recorder) -> None:
    smtp.delay = 3.0  # every accepted message takes 3 s
    with TestClient(create_app(engine, WebSettings(SECRET))) as c:
        form = _form(c, "slow@example.org")
        t = time.perf_counter()
        r = c.post("/subscribe", data=form)
        took = time.perf_counter() - t
        assert r.status_code == 200 and took < 1.5, took
        smtp.wait_for(1)
        settle(c)


def test_a_refused_confirmation_is_logged_kept_and_retried(
        engine: Engine, smtp: Recorder, caplog: pytest.LogCaptureFixture) -> None:
    smtp.replies = ["451 4.3.0 try again later"]
    caplog.set_level(logging.WARNING, logger="paperfeed.web.mail")
    with TestClient(create_app(engine, WebSettings(SECRET))) as c:
        r = c.post("/subscribe", data=_form(c, "ada@example.org"))
        assert r.status_code == 200
        assert "sending a message" in r.text  # what happened: queued, not "delivered"
        settle(c)
    assert smtp.messages == []
    assert any("451" in rec.getMessage() and "retries" in rec.getMessage()
               for rec in caplog.records)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT status, last_error, next_attempt_at FROM digest_outbox"
                                )).one()
    assert row.status == "pending" and "451" in row.last_error
    later = dt.datetime.fromisoformat(row.next_attempt_at) + dt.timedelta(seconds=1)
    assert send_due(engine, now=later).sent == 1  # the retry from the outbox
    (got,) = smtp.to("ada@example.org")
    assert "Confirm" in got.message["Subject"]


def test_wrong_mail_settings_are_said_on_the_page(
        engine: Engine, smtp: Recorder, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("PAPERFEED_SMTP_SECURITY", "tls-please")
    caplog.set_level(logging.ERROR)
    with TestClient(create_app(engine, WebSettings(SECRET))) as c:
        r = c.post("/subscribe", data=_form(c, "ada@example.org"))
    assert r.status_code == 503 and "cannot send email" in r.text
    assert "Check your inbox" not in r.text
    assert any("PAPERFEED_SMTP_SECURITY" in rec.getMessage() for rec in caplog.records)


# password reset -------------------------------------------------------------------------

def _signup(c: TestClient, email_addr: str, password: str = "correct horse") -> None:
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/signup").text)
    assert csrf
    r = c.post("/signup", data={"email": email_addr, "password": password,
                                "csrf": csrf.group(1)}, follow_redirects=False)
    assert r.status_code == 303


def _login(c: TestClient, email_addr: str, password: str) -> int:
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text)
    assert csrf
    return c.post("/login", data={"email": email_addr, "password": password,
                                  "csrf": csrf.group(1)}, follow_redirects=False).status_code


def _forgot(c: TestClient, email_addr: str, **headers: str):  # type: ignore[no-untyped-def]
    csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/password/forgot").text)
    assert csrf
    return c.post("/password/forgot", data={"email": email_addr, "csrf": csrf.group(1)},
                  headers=headers)


def test_password_reset_by_email(engine: Engine, smtp: Recorder) -> None:
    app = create_app(engine, WebSettings(SECRET, "https://papers.example.org"))
    https = "https://papers.example.org"  # its cookies are Secure
    with TestClient(app, base_url=https) as c, \
            TestClient(app, base_url=https, client=("192.0.2.50", 1)) as elsewhere:
        _signup(c, "ada@example.org")
        assert _login(elsewhere, "ada@example.org", "correct horse") == 303
        # a stranger's Host header does not end up in the link
        r = _forgot(c, "Ada@Example.org", host="attacker.test")
        assert r.status_code == 200 and "If an account has this address" in r.text
        unknown = _forgot(c, "nobody@example.org")
        assert unknown.text.replace("nobody@example.org", "X") == \
            r.text.replace("Ada@Example.org", "X")  # the same answer
        settle(c)
        (got,) = smtp.messages  # one email: none for the unknown address
        assert got.to == "ada@example.org" and "Reset" in got.message["Subject"]
        link = re.search(r"https://papers\.example\.org/password/reset\?token=[\w-]+",
                         got.part("plain"))
        assert link and "attacker.test" not in got.data.decode()
        page = c.get(path_of(link.group(0)))
        assert page.status_code == 200 and 'name="password"' in page.text
        assert page.headers["cache-control"] == "no-store"
        token = link.group(0).split("=", 1)[1]
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        weak = c.post("/password/reset", data={"token": token, "password": "short",
                                               "csrf": csrf})
        assert weak.status_code == 422
        done = c.post("/password/reset", data={"token": token, "password": "a new secret!",
                                               "csrf": csrf}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/login?notice=reset"
        assert elsewhere.get("/api/me").status_code == 401  # every session ended
        assert _login(c, "ada@example.org", "correct horse") == 400
        assert _login(c, "ada@example.org", "a new secret!") == 303
        # the link is spent
        fresh = TestClient(app, base_url=https)
        csrf2 = re.search(r'name="csrf" value="([^"]+)"', fresh.get("/password/forgot").text)
        again = fresh.post("/password/reset", data={"token": token, "password": "third one!!",
                                                    "csrf": csrf2.group(1)})  # type: ignore[union-attr]
        assert again.status_code == 400 and "already used" in again.text


def test_reset_links_expire_and_requests_are_throttled(engine: Engine, smtp: Recorder) -> None:
    from paperfeed.accounts.reset import RESET_TTL, reset_token_for

    app = create_app(engine, WebSettings(SECRET))
    with TestClient(app) as c:
        _signup(c, "bob@example.org")
        with engine.connect() as conn:
            found = reset_token_for(conn, SECRET, "bob@example.org",
                                    dt.datetime.now(dt.UTC) - RESET_TTL - dt.timedelta(minutes=2))
        assert found is not None
        r = c.get(f"/password/reset?token={found[2]}")
        assert r.status_code == 400 and "expired" in r.text
        assert c.get("/password/reset?token=1-2-zz").status_code == 400
        codes = [_forgot(c, "bob@example.org").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        settle(c)
    assert len(smtp.to("bob@example.org")) == 3
