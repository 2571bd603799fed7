"""Email digests end to end against a real SMTP server on loopback, on SQLite and PostgreSQL:
double opt-in, content and headers, one-click unsubscribe, never twice, retries, feeds."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from support.smtp import Recorder, smtp_server
from typer.testing import CliRunner

from paperfeed.cli import app as cli_app
from paperfeed.digest import subscriptions as subs
from paperfeed.digest.jobs import run_digests
from paperfeed.digest.outbox import backoff, outbox_status
from paperfeed.digest.schedule import period_of
from paperfeed.digest.subscriptions import Choices
from paperfeed.index.refresh import refresh
from paperfeed.ingest.files import import_file
from paperfeed.records import HFInfo, PaperRecord, validate
from paperfeed.store.db import write_tx
from paperfeed.store.write import write_records
from paperfeed.web.app import create_app
from paperfeed.web.mail_sender import sender_of
from paperfeed.web.settings import WebSettings

SECRET = "s" * 48
BASE = "https://papers.example.org"
MON = dt.datetime(2026, 1, 5, 23, 0, tzinfo=dt.UTC)  # Monday evening: Monday's listing is out
TUE = MON + dt.timedelta(days=1)
WED = MON + dt.timedelta(days=2)
DAY1 = [
    {"id": "2601.00001", "title": "Sparse attention for long documents",
     "abstract": "We study sparse attention for long documents.", "authors": ["Ada Lovelace"],
     "categories": ["cs.CL"], "date": "2026-01-05"},
    {"id": "2601.00002", "title": "Protein folding with diffusion",
     "abstract": "A diffusion model folds proteins.", "authors": ["Rosalind Franklin"],
     "categories": ["q-bio.BM"], "date": "2026-01-05"},
    {"id": "2601.00003", "title": "Graph coloring bounds", "abstract": "New bounds on coloring.",
     "authors": ["Paul Erdos"], "categories": ["math.CO"], "date": "2026-01-05"},
]
DAY2 = [
    {"id": "2601.00010", "title": "Linear attention revisited",
     "abstract": "Attention in linear time for long documents.", "authors": ["Alan Turing"],
     "categories": ["cs.LG"], "date": "2026-01-06"},
]


def load(engine: Engine, tmp_path: Path, records: list[dict[str, object]], name: str) -> None:
    path = tmp_path / f"{name}.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    import_file(engine, path, parallel=False)
    refresh(engine, slow=False)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Recorder]:
    """An SMTP server on loopback, and the settings that point paperfeed at it."""
    with smtp_server() as (rec, port):
        for k, v in {"PAPERFEED_SMTP_HOST": "127.0.0.1", "PAPERFEED_SMTP_PORT": str(port),
                     "PAPERFEED_SMTP_SECURITY": "none",
                     "PAPERFEED_SMTP_FROM": "paperfeed <digest@papers.example.org>",
                     "PAPERFEED_BASE_URL": BASE, "PAPERFEED_SECRET_KEY": SECRET,
                     "PAPERFEED_INDEX_DIR": str(tmp_path / "index"),
                     "PAPERFEED_EMBED_MODEL": "hash", "PAPERFEED_DIGEST_RETRY_SECONDS": "300",
                     }.items():
            monkeypatch.setenv(k, v)
        yield rec


def active(engine: Engine, email: str, ch: Choices) -> subs.Subscription:
    """A confirmed subscription (through the real double opt-in functions)."""
    res = subs.subscribe(engine, email, ch, now=MON - dt.timedelta(days=3))
    with engine.connect() as conn:
        sub = subs.get_subscription(conn, res.subscription_id)
    assert sub is not None
    from paperfeed.digest.tokens import make_token

    confirmed = subs.confirm(engine, make_token(SECRET, sub.id, sub.nonce, "confirm"))
    assert confirmed is not None and confirmed.status == "active"
    return confirmed


def digests(rec: Recorder, addr: str) -> list[str]:
    return [m.message["Subject"] for m in rec.to(addr)
            if m.message["Subject"].startswith(("paperfeed daily digest", "paperfeed weekly"))]


def settle(c: TestClient, timeout: float = 10.0) -> None:
    """Wait until the app's mail thread has tried everything queued."""
    deadline = time.monotonic() + timeout
    while not sender_of(c.app).idle() and time.monotonic() < deadline:  # type: ignore[arg-type]
        time.sleep(0.02)


def confirm_by_post(c: TestClient, link: str):  # type: ignore[no-untyped-def]
    """Open a confirmation link (a page with a button) and press the button."""
    page = c.get(path_of(link))
    assert page.status_code == 200 and 'action="/subscribe/confirm"' in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)
    assert token
    return c.post("/subscribe/confirm", data={"token": token.group(1)})


def path_of(url: str) -> str:
    u = urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


# ------------------------------------------------------------------------------------------

def test_schedule_follows_arxiv_announcements() -> None:
    def at(s: str) -> dt.datetime:
        return dt.datetime.fromisoformat(s)
    # Monday 00:30 UTC is Sunday 19:30 Eastern: Monday's listing is not out; Friday's is latest
    assert period_of("daily", at("2026-01-05T00:30:00+00:00"))[0] == "daily:2026-01-02"
    # 90 minutes after Sunday 20:00 Eastern (01:00 UTC in winter): Monday's listing
    assert period_of("daily", at("2026-01-05T02:31:00+00:00"))[0] == "daily:2026-01-05"
    # Saturday and Sunday: still Friday's listing (no announcements on Friday or Saturday)
    assert period_of("daily", at("2026-01-10T12:00:00+00:00"))[0] == "daily:2026-01-09"
    assert period_of("daily", at("2026-01-11T23:00:00+00:00"))[0] == "daily:2026-01-09"
    # summer time: 20:00 EDT is 00:00 UTC
    assert period_of("daily", at("2026-07-07T01:31:00+00:00"))[0] == "daily:2026-07-07"
    assert period_of("weekly", at("2026-01-07T12:00:00+00:00"))[0] == "weekly:2026-W02"
    assert period_of("weekly", at("2026-01-05T00:30:00+00:00"))[0] == "weekly:2026-W01"


def test_confirmation_round_trip_through_the_web_form(engine: Engine, smtp: Recorder,
                                                      tmp_path: Path) -> None:
    load(engine, tmp_path, DAY1, "day1")
    with TestClient(create_app(engine, WebSettings(SECRET))) as c:
        page = c.get("/subscribe")
        assert page.status_code == 200 and 'action="/subscribe"' in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        form = {"email": "Ada@Example.org", "trending": "1", "topics": "sparse attention",
                "categories": "q-bio.BM", "authors": "", "frequency": "daily",
                "max_papers": "10", "csrf": csrf.group(1)}
        assert c.post("/subscribe", data={**form, "csrf": "forged"}).status_code == 403
        r = c.post("/subscribe", data=form)
        assert r.status_code == 200 and "Check your inbox" in r.text
        smtp.wait_for(1)
        confirm = smtp.messages[0]
        assert confirm.to == "ada@example.org"
        assert "Confirm" in confirm.message["Subject"]
        link = re.search(r"https://papers\.example\.org/subscribe/confirm\?token=\S+",
                         confirm.part("plain"))
        assert link and link.group(0) in confirm.part("html")

        # nothing but the confirmation is sent before the link is opened
        assert run_digests(engine, now=MON)["sent"] == 0
        assert len(smtp.messages) == 1

        # the same form again: the same answer, and no second email within minutes
        again = c.post("/subscribe", data=form)
        assert again.text == r.text
        settle(c)
        assert len(smtp.messages) == 1

        from paperfeed.digest.tokens import make_token

        assert c.get(f"/subscribe/confirm?token={make_token('o' * 48, 1, 'x', 'confirm')}"
                     ).status_code == 404
        # opening the link (as a mail scanner does) confirms nothing: its page has a button
        assert c.get(path_of(link.group(0))).status_code == 200
        with engine.connect() as conn:
            assert subs.find_by_email(conn, "ada@example.org").status == "pending"  # type: ignore[union-attr]
        ok = confirm_by_post(c, link.group(0))
        assert ok.status_code == 200 and "You are subscribed" in ok.text
        assert "already confirmed" in c.get(path_of(link.group(0))).text
        again_ok = c.post("/subscribe/confirm", data={"token": link.group(0).split("=", 1)[1]})
        assert again_ok.status_code == 200 and "You are subscribed" in again_ok.text  # idempotent

        out = run_digests(engine, now=MON)
        assert out["composed"] == 1 and out["sent"] == 1
        (d,) = digests(smtp, "ada@example.org")
        assert "2 new papers" in d

        # subscribing an address that is already subscribed changes nothing, says the same,
        # and mails the owner their manage link
        r3 = c.post("/subscribe", data={**form, "topics": "hijacked", "trending": ""})
        assert r3.text == r.text
        smtp.wait_for(3)
        with engine.connect() as conn:
            sub = subs.find_by_email(conn, "ada@example.org")
        assert sub is not None and sub.choices.topics == ["sparse attention"]


def test_digest_content_headers_and_one_click_unsubscribe(engine: Engine, smtp: Recorder,
                                                         tmp_path: Path) -> None:
    load(engine, tmp_path, DAY1, "day1")
    sub = active(engine, "grace@example.org",
                 Choices(topics=["sparse attention"], categories=["q-bio.BM"], max_papers=5))
    out = run_digests(engine, now=MON)
    assert (out["composed"], out["sent"]) == (1, 1)
    (m,) = smtp.to("grace@example.org")
    msg = m.message
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert re.fullmatch(r"<[^@>\s]+@papers\.example\.org>", msg["Message-ID"])
    assert msg["Date"] and msg["From"] == "paperfeed <digest@papers.example.org>"
    unsub = re.fullmatch(r"<(https://papers\.example\.org/unsubscribe\?token=[\w-]+)>",
                         msg["List-Unsubscribe"])
    assert unsub and msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain, html = m.part("plain"), m.part("html")
    for body in (plain, html):
        assert "Sparse attention for long documents" in body
        assert "Protein folding with diffusion" in body
        assert "Graph coloring bounds" not in body  # matched nothing the subscriber chose
        assert f"{BASE}/papers/2601.00001" in body and f"{BASE}/papers/2601.00002" in body
        assert unsub.group(1) in body
    assert "<link" not in html and "<script" not in html and 'style="' in html
    assert plain.index("Sparse attention") < plain.index("Protein folding")  # topic ranks higher

    with TestClient(create_app(engine, WebSettings(SECRET))) as c:
        page = c.get(path_of(unsub.group(1)))
        assert page.status_code == 200 and "Unsubscribe" in page.text
        with engine.connect() as conn:
            assert subs.get_subscription(conn, sub.id).status == "active"  # type: ignore[union-attr]
        # what a mail client does (RFC 8058): POST, no cookies, no CSRF token
        r = c.post(path_of(unsub.group(1)), data={"List-Unsubscribe": "One-Click"})
        assert r.status_code == 200, r.text
        assert c.post("/unsubscribe?token=1-u-" + "f" * 32).status_code == 404
    with engine.connect() as conn:
        assert subs.get_subscription(conn, sub.id).status == "unsubscribed"  # type: ignore[union-attr]
    load(engine, tmp_path, DAY2, "day2")
    assert run_digests(engine, now=TUE)["sent"] == 0
    assert len(smtp.to("grace@example.org")) == 1


def test_a_paper_is_never_sent_twice(engine: Engine, smtp: Recorder, tmp_path: Path) -> None:
    load(engine, tmp_path, DAY1, "day1")
    ch = Choices(categories=["cs.CL", "cs.LG", "q-bio.BM"], max_papers=10)
    active(engine, "ada@example.org", ch)
    active(engine, "empty@example.org", Choices(categories=["astro-ph.GA"]))
    active(engine, "always@example.org", Choices(categories=["astro-ph.GA"], send_empty=True))
    out = run_digests(engine, now=MON)
    assert (out["composed"], out["empty"], out["sent"]) == (2, 1, 2)
    assert "2 new papers" in digests(smtp, "ada@example.org")[0]
    assert smtp.to("empty@example.org") == []  # an empty digest is not sent...
    (always,) = smtp.to("always@example.org")  # ...unless the subscriber asked for it
    assert "no new papers" in always.message["Subject"]

    # the same period again: nothing composed or sent
    again = run_digests(engine, now=MON + dt.timedelta(hours=2))
    assert (again["composed"], again["sent"], again["already"]) == (0, 0, 3)

    # day 2: a new paper, a new version of a sent one, the same paper from Hugging Face
    with engine.connect() as conn:
        seq_before = conn.execute(text("SELECT seq FROM papers WHERE id = '2601.00001'")).scalar()
    v2 = {**DAY1[0], "id": "2601.00001v2", "title": "Sparse attention for long documents (v2)"}
    load(engine, tmp_path, [*DAY2, v2], "d2")
    hf = validate(PaperRecord(id="2601.00002", title="Protein folding with diffusion",
                              abstract="A diffusion model folds proteins.", source="hf",
                              hf=HFInfo(upvotes=40)))
    with write_tx(engine) as conn:
        write_records(conn, [hf])
        seq_after = conn.execute(text("SELECT seq FROM papers WHERE id = '2601.00001'")).scalar()
    assert seq_after > seq_before  # the new version did change the paper
    out2 = run_digests(engine, now=TUE)
    assert out2["sent"] == 2  # ada, always
    day2 = smtp.to("ada@example.org")[-1]
    assert "1 new paper" in day2.message["Subject"]
    body = day2.part("plain")
    assert "Linear attention revisited" in body
    assert "Sparse attention" not in body and "Protein folding" not in body
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT paper_id, COUNT(*) FROM digest_items i JOIN subscriptions s ON "
            "s.id = i.subscription_id WHERE s.email = 'ada@example.org' GROUP BY paper_id")).all()
    assert sorted(r[0] for r in rows) == ["2601.00001", "2601.00002", "2601.00010"]
    # nothing new on Wednesday: no email (the empty period is recorded, not sent)
    out3 = run_digests(engine, now=WED)
    assert out3["sent"] == 1 and out3["empty"] == 2  # only "always" asked for empty ones


def test_temporary_smtp_failure_is_retried_with_backoff(engine: Engine, smtp: Recorder,
                                                        tmp_path: Path, db_url: str) -> None:
    load(engine, tmp_path, DAY1, "day1")
    active(engine, "ada@example.org", Choices(categories=["cs.CL"]))
    smtp.replies = ["451 4.3.0 Try again later"]
    out = run_digests(engine, now=MON)
    assert (out["sent"], out["retry"]) == (0, 1) and "451" in out["errors"][0]
    st = outbox_status(engine)
    assert st["outbox"]["digest"] == {"pending": 1}
    (p,) = st["problems"]
    assert p["attempts"] == 1 and p["last_error"].startswith("451")
    assert p["next_attempt_at"] == (MON + backoff(1)).isoformat(timespec="seconds")
    r = CliRunner().invoke(cli_app, ["--db", db_url, "digest", "status"])
    assert r.exit_code == 0, r.output
    assert "1 pending" in r.output and "451 4.3.0 Try again later" in r.output
    assert f"next retry {p['next_attempt_at']}" in r.output
    assert run_digests(engine, now=MON + backoff(1) / 2)["sent"] == 0  # not due yet
    assert smtp.messages == []
    done = run_digests(engine, now=MON + backoff(1))
    assert done["sent"] == 1
    assert len(smtp.to("ada@example.org")) == 1
    assert run_digests(engine, now=MON + 3 * backoff(1))["sent"] == 0
    assert outbox_status(engine)["outbox"]["digest"] == {"sent": 1}
    assert backoff(2) == 2 * backoff(1)


def test_permanent_failure_stops_after_n_attempts(engine: Engine, smtp: Recorder,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_DIGEST_MAX_PERMANENT", "2")
    load(engine, tmp_path, DAY1, "day1")
    active(engine, "gone@example.org", Choices(categories=["cs.CL"]))
    smtp.replies = ["550 5.1.1 No such user"] * 3
    assert run_digests(engine, now=MON)["retry"] == 1
    assert run_digests(engine, now=MON + backoff(1))["failed"] == 1
    assert run_digests(engine, now=MON + dt.timedelta(days=1, hours=1))["sent"] == 0
    st = outbox_status(engine)
    assert st["outbox"]["digest"]["failed"] == 1
    assert any(p["status"] == "failed" and p["last_error"].startswith("550")
               for p in st["problems"])


def test_dry_run_changes_nothing_and_preview(engine: Engine, smtp: Recorder, tmp_path: Path,
                                             db_url: str) -> None:
    load(engine, tmp_path, DAY1, "day1")
    active(engine, "ada@example.org", Choices(authors=["ada lovelace"], trending=True))
    with engine.connect() as conn:
        before = conn.execute(text("SELECT COUNT(*) FROM digest_outbox")).scalar()
    out = run_digests(engine, now=MON, dry_run=True)
    assert [p["papers"] for p in out["planned"]] == [["2601.00001"]]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM digest_outbox")).scalar() == before
    runner = CliRunner()
    r = runner.invoke(cli_app, ["--db", db_url, "digest", "send", "--dry-run", "--now",
                                "2026-01-05T23:00:00Z"])
    assert r.exit_code == 0, r.output
    assert "would compose daily:2026-01-05 for ada@example.org" in r.output
    r = runner.invoke(cli_app, ["--db", db_url, "digest", "preview", "ada@example.org",
                                "--now", "2026-01-05T23:00:00Z"])
    assert r.exit_code == 0, r.output
    assert "Sparse attention for long documents" in r.output, r.output
    assert "author Ada Lovelace" in r.output
    assert smtp.messages == [] or all("Confirm" in m.message["Subject"] for m in smtp.messages)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM digest_outbox WHERE kind = 'digest'")
                            ).scalar() == 0


def test_cli_subscribe_is_double_opt_in(db_url: str, engine: Engine, smtp: Recorder) -> None:
    r = CliRunner().invoke(cli_app, ["--db", db_url, "digest", "subscribe", "cli@example.org",
                                     "--topic", "attention", "--category", "cs.CL",
                                     "--weekly", "--max", "5"])
    assert r.exit_code == 0, r.output
    (m,) = smtp.messages
    assert m.to == "cli@example.org" and "Confirm" in m.message["Subject"]
    with engine.connect() as conn:
        sub = subs.find_by_email(conn, "cli@example.org")
    assert sub is not None and sub.status == "pending"
    assert (sub.choices.frequency, sub.choices.max_papers) == ("weekly", 5)


def test_manage_page_and_private_feed(engine: Engine, smtp: Recorder, tmp_path: Path) -> None:
    load(engine, tmp_path, DAY1, "day1")
    active(engine, "ada@example.org", Choices(categories=["cs.CL", "q-bio.BM"]))
    run_digests(engine, now=MON)
    (m,) = smtp.to("ada@example.org")
    plain = m.part("plain")
    manage = re.search(r"Manage subscription: (\S+)", plain)
    feed = re.search(r"Your digest as a feed: (\S+)", plain)
    assert manage and feed
    with TestClient(create_app(engine, WebSettings(SECRET))) as c:
        page = c.get(path_of(manage.group(1)))
        assert page.status_code == 200 and "ada@example.org" in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token
        r = c.post("/subscription", data={"csrf": csrf.group(1), "token": token.group(1),
                                          "action": "save", "categories": "cs.LG",
                                          "frequency": "weekly", "max_papers": "7"},
                   follow_redirects=True)
        assert r.status_code == 200 and "Your choices are saved" in r.text
        with engine.connect() as conn:
            sub = subs.find_by_email(conn, "ada@example.org")
        assert sub is not None and sub.choices.categories == ["cs.LG"]
        assert sub.choices.frequency == "weekly" and sub.choices.max_papers == 7

        atom = c.get(path_of(feed.group(1)))
        assert atom.status_code == 200 and "atom" in atom.headers["content-type"]
        parsed = feedparser.parse(atom.content)
        assert sorted(e.link for e in parsed.entries) == [f"{BASE}/papers/2601.00001",
                                                          f"{BASE}/papers/2601.00002"]
        rss = c.get(path_of(feed.group(1)).replace(".atom", ".rss"))
        assert rss.status_code == 200 and len(feedparser.parse(rss.content).entries) == 2

        # new links: the old manage, unsubscribe and feed links stop working
        r = c.post("/subscription", data={"csrf": csrf.group(1), "token": token.group(1),
                                          "action": "reset"}, follow_redirects=False)
        assert r.status_code == 303
        assert c.get(path_of(manage.group(1))).status_code == 404
        assert c.get(path_of(feed.group(1))).status_code == 404
        assert c.get(r.headers["location"]).status_code == 200


def test_tokens_pause_and_bad_input(engine: Engine, smtp: Recorder, tmp_path: Path) -> None:
    from paperfeed.digest.tokens import make_token

    load(engine, tmp_path, DAY1, "day1")
    sub = active(engine, "ada@example.org", Choices(categories=["cs.CL"]))
    feed = make_token(SECRET, sub.id, sub.nonce, "feed")
    with TestClient(create_app(engine, WebSettings(SECRET))) as c:
        # a token works only for its purpose, and only with the right key
        assert c.get(f"/subscription?token={feed}").status_code == 404
        assert c.post(f"/unsubscribe?token={feed}").status_code == 404
        other = make_token("o" * 48, sub.id, sub.nonce, "manage")
        assert c.get(f"/subscription?token={other}").status_code == 404
        assert c.get("/subscription?token=../../etc").status_code == 404
        page = c.get("/subscribe")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf
        for bad in ({"email": "not-an-address", "trending": "1"},
                    {"email": '"a,b"@example.org', "trending": "1"},
                    {"email": "x@example.org"},  # chose nothing
                    {"email": "x@example.org", "categories": "not a category!"},
                    {"email": "x@example.org", "trending": "1", "max_papers": "1000"}):
            r = c.post("/subscribe", data={**bad, "csrf": csrf.group(1)})
            assert r.status_code == 422, (bad, r.status_code)
        assert smtp.messages == []
    # paused: nothing is composed; resumed: the digest comes
    assert subs.set_status(engine, sub.id, "paused")
    assert run_digests(engine, now=MON)["composed"] == 0
    assert subs.set_status(engine, sub.id, "active")
    assert run_digests(engine, now=MON)["sent"] == 1
    # a digest queued (say the mail server was down) is cancelled by unsubscribing
    load(engine, tmp_path, DAY2, "day2")
    subs.update_choices(engine, sub.id, Choices(categories=["cs.LG"]))
    smtp.replies = ["421 4.3.2 Service not available"]
    assert run_digests(engine, now=TUE)["retry"] == 1
    subs.unsubscribe(engine, sub.id)
    assert run_digests(engine, now=TUE + dt.timedelta(days=1))["sent"] == 0
    assert outbox_status(engine)["outbox"]["digest"] == {"sent": 1, "cancelled": 1}
    assert len(smtp.to("ada@example.org")) == 1


def test_signed_in_subscriber_is_linked_to_the_account(engine: Engine, smtp: Recorder) -> None:
    from test_web_api import account

    with TestClient(create_app(engine, WebSettings(SECRET))) as c:
        csrf = account(c, "ada@example.org")
        page = c.get("/subscribe")
        assert 'value="ada@example.org"' in page.text and 'href="/subscribe"' in page.text
        r = c.post("/subscribe", data={"email": "ada@example.org", "trending": "1",
                                       "csrf": csrf})
        assert r.status_code == 200
        smtp.wait_for(1)
    with engine.connect() as conn:
        sub = subs.find_by_email(conn, "ada@example.org")
        uid = conn.execute(text("SELECT id FROM users WHERE email = 'ada@example.org'")).scalar()
    assert sub is not None and sub.user_id == uid and sub.status == "pending"
    assert len(smtp.to("ada@example.org")) == 1  # still double opt-in
