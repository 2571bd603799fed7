"""`paperfeed digest`: email digests (send, preview, status, subscribe)."""

from __future__ import annotations

import datetime as dt

import typer
from sqlalchemy import Engine

from paperfeed import clock
from paperfeed.cli.common import console, echo_json, fail, state

digest_app = typer.Typer(
    help="Email digests: compose and send the due ones, preview, outbox status, subscribe.",
    no_args_is_help=True)

NOW_HELP = ("Act as if it were this time (ISO, e.g. 2026-11-23T22:00:00Z) when deciding "
            "which digests and retries are due. Default: now.")


def _now(raw: str | None) -> dt.datetime | None:
    if not raw:
        return None
    try:
        return clock.require_instant(raw, "--now")
    except ValueError as e:
        fail(str(e))
        raise


@digest_app.command("send")
def send_command(
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Print what would be composed and sent; change nothing."),
    now: str | None = typer.Option(None, "--now", help=NOW_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Compose the due digests into the outbox and send every due email (retries too)."""
    from paperfeed.config import SettingsError
    from paperfeed.digest.jobs import run_digests

    engine = state.engine()
    try:
        summary = run_digests(engine, now=_now(now), dry_run=dry_run)
    except (SettingsError, ValueError) as e:
        fail(str(e))
        return
    if as_json:
        echo_json(summary)
        return
    if dry_run:
        console.print(f"[bold]dry run[/bold] at {summary['now']}: "
                      f"{summary['subscriptions']} active subscriptions, nothing changed")
        for p in summary["planned"]:
            console.print(f"would compose {p['period']} for {p['email']}: "
                          f"{len(p['papers'])} papers {', '.join(p['papers'])}", highlight=False)
        console.print(f"{summary['empty']} empty (not sent), {summary['already']} already "
                      "composed for their period")
        for d in summary["due"]:
            console.print(f"would send #{d['id']} {d['kind']} {d['period']} to "
                          f"{d['recipient']} (attempt {d['attempts'] + 1})", highlight=False)
        return
    console.print(
        f"composed {summary['composed']} digests ({summary['empty']} empty, not sent; "
        f"{summary['already']} already composed); sent {summary['sent']} emails, "
        f"{summary['retry']} to retry, {summary['failed']} failed, {summary['review']} held "
        f"for review, {summary['cancelled']} cancelled", highlight=False)
    for line in summary["errors"]:
        console.print(f"  [yellow]{line}[/yellow]", highlight=False)


@digest_app.command("preview")
def preview_command(
    email: str = typer.Argument(..., help="The subscriber's email address."),
    now: str | None = typer.Option(None, "--now", help=NOW_HELP),
) -> None:
    """Print the text of the digest EMAIL would get now (nothing is recorded or sent)."""
    from paperfeed.digest.jobs import preview

    engine = state.engine()
    when = _now(now)
    text = preview(engine, email, when)
    if text is None:
        fail(f"no subscription for {email}")
        return
    typer.echo(text)
    _explain_old_data(engine, when)


def _explain_old_data(engine: Engine, when: dt.datetime | None) -> None:
    """Say so when the newest paper is older than any digest window (a demo, a stale instance)."""
    from paperfeed.digest.schedule import LOOKBACK
    from paperfeed.rank.daily import latest_day

    with engine.connect() as conn:
        newest = latest_day(conn)
    today = (when or dt.datetime.now(dt.UTC)).date()
    if newest is None or (today - newest).days <= max(LOOKBACK.values()):
        return
    typer.echo(f"note: the newest paper here was announced on {newest.isoformat()}, before any "
               f"digest window ends today ({today.isoformat()}): fetch new papers "
               f"(`paperfeed fetch rss ...`, or `paperfeed worker`), or preview the digest as of "
               f"then with --now {newest.isoformat()}T23:00:00Z", err=True)


@digest_app.command("status")
def status_command(
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """The outbox: emails by kind and state; failures with their last error and next retry."""
    from paperfeed.digest.outbox import outbox_status

    st = outbox_status(state.engine())
    if as_json:
        echo_json(st)
        return
    subs = ", ".join(f"{n} {s}" for s, n in sorted(st["subscriptions"].items())) or "none"
    console.print(f"subscriptions: {subs}", highlight=False)
    if not st["outbox"]:
        console.print("outbox: empty")
    for kind, counts in sorted(st["outbox"].items()):
        console.print(f"outbox {kind}: " + ", ".join(f"{n} {s}" for s, n in
                                                      sorted(counts.items())), highlight=False)
    for p in st["problems"]:
        when = (f"next retry {p['next_attempt_at']}" if p["status"] == "pending" else
                f"lease until {p['lease_until']}" if p["status"] == "sending" else "")
        console.print(f"  #{p['id']} {p['kind']} {p['period']} to {p['recipient']}: "
                      f"{p['status']} after {p['attempts']} attempts; last error: "
                      f"{p['last_error'] or '-'} {when}".rstrip(), highlight=False)


@digest_app.command("subscribe")
def subscribe_command(
    email: str = typer.Argument(..., help="The subscriber's email address."),
    topic: list[str] = typer.Option([], "--topic", help="A topic (saved search); repeatable."),
    category: list[str] = typer.Option([], "--category", help="An arXiv category; repeatable."),
    author: list[str] = typer.Option([], "--author", help="An author to follow; repeatable."),
    trending: bool = typer.Option(False, "--trending", help="Include trending papers."),
    weekly: bool = typer.Option(False, "--weekly", help="Weekly (Mondays) instead of daily."),
    max_papers: int = typer.Option(20, "--max", min=1, max=100, help="Papers per digest."),
    send_empty: bool = typer.Option(False, "--send-empty",
                                    help="Send a digest even when nothing is new."),
) -> None:
    """Subscribe EMAIL; a confirmation email is sent first (double opt-in)."""
    from paperfeed.config import SettingsError
    from paperfeed.digest.outbox import send_due
    from paperfeed.digest.subscriptions import ChoiceError, Choices, InvalidEmail, subscribe

    engine = state.engine()
    ch = Choices(trending, list(topic), list(category), list(author),
                 "weekly" if weekly else "daily", max_papers, send_empty)
    try:
        res = subscribe(engine, email, ch)
    except (ChoiceError, InvalidEmail, SettingsError) as e:
        fail(str(e))
        return
    if res.outbox_id is None:
        console.print("a confirmation was sent to this address minutes ago: nothing new sent")
        return
    rep = send_due(engine, only_id=res.outbox_id)
    what = "already subscribed: sent a note with the manage link" if res.action == "already" \
        else "sent a confirmation link: nothing else is sent until it is opened"
    if rep.sent:
        console.print(f"{email}: {what}", highlight=False)
    else:
        console.print(f"{email}: queued ({'; '.join(rep.errors) or 'not sent yet'}); "
                      "`paperfeed digest send` retries it", highlight=False)
