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
