"""`paperfeed harvest arxiv` and `paperfeed fetch rss|hf|arxiv`: read the real sources."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy import Engine

from paperfeed.cli.common import console, date_option, err, fail, refresh_indexes, reporter, state
from paperfeed.ingest.fetch import fetch_source
from paperfeed.ingest.records import FetchReport
from paperfeed.sources.http import SourceError

harvest_app = typer.Typer(help="Bulk-harvest a source (OAI-PMH), resuming where it left off.",
                          no_args_is_help=True)
fetch_app = typer.Typer(help="Fetch what a source announces now (feeds, APIs).",
                        no_args_is_help=True)


def _fetch(engine: Engine, name: str, arg: tuple[str, ...] = (), **options: Any) -> FetchReport:
    """ingest.fetch_source, with a source's failure as one line for a person."""
    try:
        return fetch_source(engine, name, arg, **options)
    except (SourceError, ValueError) as e:
        fail(str(e))
        raise


def _summary(what: str, r: FetchReport) -> None:
    w = r.written
    console.print(f"{what}: {r.records:,} records, [green]{w.inserted:,} new[/green], "
                  f"[yellow]{w.updated:,} updated[/yellow], {w.unchanged:,} unchanged"
                  + (f", {w.upvotes_updated:,} upvote changes" if w.upvotes_updated else "")
                  + (f", [red]{len(r.bad):,} bad[/red]" if r.bad else ""), highlight=False)
    for msg in r.bad[:10]:
        err.print(f"  bad record: {msg}", markup=False, highlight=False)


@harvest_app.command("arxiv")
def harvest_arxiv(
    set_: str | None = typer.Option(None, "--set", help="OAI set, e.g. cs or physics:hep-th."),
    from_: str | None = typer.Option(None, "--from", metavar="YYYY-MM-DD", callback=date_option,
                                     help="Start date (default: the last harvest's watermark)."),
    until: str | None = typer.Option(None, "--until", metavar="YYYY-MM-DD", help="End date.",
                                       callback=date_option),
    prefix: str = typer.Option("arXiv", "--prefix", help="Metadata format: arXiv or arXivRaw "
                               "(arXivRaw has every version with its date)."),
) -> None:
    """Harvest arXiv metadata over OAI-PMH (one request every 3 s, as arXiv asks).

    Run it again to get what is new since the last run; an interrupted harvest resumes.

    Example: paperfeed harvest arxiv --set cs --from 2026-11-01
    """
    engine = state.engine()
    step = reporter().step("harvest arXiv", unit="records")

    def on_page(r: FetchReport) -> None:
        step.update(r.records, note=f"{r.pages} pages")

    report = _fetch(engine, "oai", (set_,) if set_ else (), on_page=on_page, prefix=prefix,
                    from_=from_, until=until)
    step.finish(f"{report.records:,} records in {report.pages:,} pages")
    refresh_indexes(engine)
    _summary("harvest" + (" (resumed)" if report.resumed else ""), report)
    console.print(f"watermark: {report.watermark or '-'}", style="dim", highlight=False)


@fetch_app.command("rss")
def fetch_rss(
    categories: list[str] = typer.Argument(..., help="arXiv categories, e.g. cs.CL cs.LG"),
) -> None:
    """Fetch today's arXiv announcements (new, cross-lists, replacements) for categories."""
    engine = state.engine()
    report = _fetch(engine, "rss", tuple(categories))
    refresh_indexes(engine)
    _summary(f"rss {' '.join(categories)}", report)


@fetch_app.command("hf")
def fetch_hf(
    date: str | None = typer.Option(None, "--date", metavar="YYYY-MM-DD", callback=date_option),
    week: str | None = typer.Option(None, "--week", metavar="YYYY-Www"),
    month: str | None = typer.Option(None, "--month", metavar="YYYY-MM"),
) -> None:
    """Fetch Hugging Face Daily Papers (upvotes, comments, code links) for a day/week/month.

    Upvotes attach to the arXiv paper of the same id and are kept apart from local votes.
    """
    if sum(x is not None for x in (date, week, month)) > 1:
        fail("give at most one of --date, --week, --month")
    engine = state.engine()
    report = _fetch(engine, "hf", date=date, week=week, month=month)
    refresh_indexes(engine)
    _summary("hugging face daily papers", report)


@fetch_app.command("arxiv")
def fetch_arxiv(
    ids: list[str] = typer.Argument(..., help="arXiv ids: 2503.12843, 2503.12843v2, "
                                    "hep-th/9901001 ..."),
) -> None:
    """Look papers up by id in the arXiv API and store them."""
    engine = state.engine()
    report = _fetch(engine, "api", tuple(ids))
    refresh_indexes(engine)
    _summary("arxiv api", report)
