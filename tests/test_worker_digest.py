"""The whole delivery loop in one `paperfeed worker --once`: fetch announcements from a recorded
feed (served on loopback, dated to the current listing), index them, and email the digest of a
confirmed subscriber through a real SMTP server, exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.fixture_server import FixtureServer, Reply
from support.paths import FIXTURES
from support.smtp import Recorder, smtp_server
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.digest import subscriptions as subs
from paperfeed.digest.schedule import period_of
from paperfeed.digest.subscriptions import Choices
from paperfeed.digest.tokens import make_token
from paperfeed.sources.arxiv_rss import parse_announcements
from paperfeed.store import open_store

SECRET = "k" * 48
RECORDED = (FIXTURES / "arxiv-rss" / "atom-cs.AI-2025-08-20.xml").read_text()


def feed_of_today() -> tuple[bytes, set[str]]:
    """The recorded cs.AI announcement, re-dated to the listing a digest is due for now."""
    _, listing = period_of("daily", dt.datetime.now(dt.UTC))
    body = RECORDED.replace("2025-08-20", listing.isoformat()).encode()
    records, _ = parse_announcements(body)
    return body, {r.id for r in records}


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    with smtp_server() as pair:
        yield pair


def test_worker_fetches_indexes_and_sends_one_digest(db_url: str, tmp_path: Path,
                                                     smtp: tuple[Recorder, int]) -> None:
    body, ids = feed_of_today()
    rec, port = smtp

    def route(path: str, q: dict[str, str]) -> Reply:
        if path == "/atom/cs.AI":
            return Reply(200, body, {"Content-Type": "application/atom+xml"})
        return Reply(404, b"no recording")

    with FixtureServer(route) as srv:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
        env.update(
            PAPERFEED_DATABASE_URL=db_url, PAPERFEED_ARXIV_RSS_URL=srv.url,
            PAPERFEED_ARXIV_MIN_INTERVAL="0.05", PAPERFEED_EMBED_MODEL="hash",
            PAPERFEED_INDEX_DIR=str(tmp_path / "index"), PAPERFEED_SECRET_KEY=SECRET,
            PAPERFEED_WORKER_SCHEDULE="fetch=daily 00:00; index=daily 00:00; "
                                      "digest=daily 00:00",
            PAPERFEED_WORKER_SOURCES="rss:cs.AI", PAPERFEED_SMTP_HOST="127.0.0.1",
            PAPERFEED_SMTP_PORT=str(port), PAPERFEED_SMTP_SECURITY="none",
            PAPERFEED_BASE_URL="https://papers.example.org", PAPERFEED_DIGEST_DELAY_MINUTES="90",
            COLUMNS="200")
        # a subscriber following cs.AI, confirmed through the signed link of the real flow
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            engine = open_store(db_url)
            res = subs.subscribe(engine, "reader@example.org",
                                 Choices(categories=["cs.AI"], trending=False))
            with engine.connect() as conn:
                sub = subs.get_subscription(conn, res.subscription_id)
            assert sub is not None
            assert subs.confirm(engine, make_token(SECRET, sub.id, sub.nonce, "confirm"))
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

        runner = CliRunner()
        first = runner.invoke(app, ["worker", "--once"], env=env)
        assert first.exit_code == 0, first.output
        again = runner.invoke(app, ["worker", "--once"], env=env)  # same slots: nothing reruns
        assert again.exit_code == 0, again.output
        send = runner.invoke(app, ["digest", "send"], env=env)  # nor does a manual send
        assert send.exit_code == 0, send.output

    got = [m for m in rec.to("reader@example.org")
           if m.message["Subject"].startswith("paperfeed daily digest")]
    assert len(got) == 1, [m.message["Subject"] for m in rec.to("reader@example.org")]
    text_part = got[0].part("plain")
    listed = {i for i in ids if f"https://papers.example.org/papers/{i}" in text_part}
    assert listed, text_part[:2000]  # the announced cs.AI papers, linked to their pages
    assert listed <= ids
    assert got[0].message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    engine.dispose()
