"""`paperfeed harvest arxiv` and `paperfeed fetch rss|hf|arxiv`: read the real sources."""

from __future__ import annotations

import typer
from sqlalchemy import Engine

from paperfeed.cli.common import (
    console,
    count_progress,
    date_option,
    err,
    fail,
    refresh_lookups,
    state,
)
from paperfeed.config import float_setting, setting
from paperfeed.ingest.gate import DatabaseGate
from paperfeed.ingest.records import FetchReport, harvest_oai, store_records
from paperfeed.sources.http import PoliteClient, SourceError

harvest_app = typer.Typer(help="Bulk-harvest a source (OAI-PMH), resuming where it left off.",
                          no_args_is_help=True)
fetch_app = typer.Typer(help="Fetch what a source announces now (feeds, APIs).",
                        no_args_is_help=True)


def arxiv_client(engine: Engine) -> PoliteClient:
    """A client that keeps arXiv's pace for the whole deployment (gate in the database)."""
    interval = float_setting("PAPERFEED_ARXIV_MIN_INTERVAL")
    return PoliteClient(interval, gate=DatabaseGate(engine, "arxiv", interval))


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
    from paperfeed.sources.arxiv_oai import OAIHarvester

    engine = state.engine()
    url = setting("PAPERFEED_ARXIV_OAI_URL") or ""
    with arxiv_client(engine) as client, count_progress() as bar:
        task = bar.add_task("harvest arXiv", total=None, rate="")

        def on_page(r: FetchReport) -> None:
            bar.update(task, completed=r.records, rate=f"{r.pages} pages")

        try:
            report = harvest_oai(engine, OAIHarvester(client, url), prefix=prefix, set_=set_,
                                 from_=from_, until=until, on_page=on_page)
        except (SourceError, ValueError) as e:
            fail(str(e))
            return
    refresh_lookups(engine)
    _summary("harvest" + (" (resumed)" if report.resumed else ""), report)
    console.print(f"watermark: {report.watermark or '-'}", style="dim", highlight=False)


@fetch_app.command("rss")
def fetch_rss(
    categories: list[str] = typer.Argument(..., help="arXiv categories, e.g. cs.CL cs.LG"),
) -> None:
    """Fetch today's arXiv announcements (new, cross-lists, replacements) for categories."""
    from paperfeed.sources.arxiv_rss import fetch_announcements

    engine = state.engine()
    with arxiv_client(engine) as client:
        try:
            records, bad = fetch_announcements(client, categories,
                                               setting("PAPERFEED_ARXIV_RSS_URL") or "")
        except (SourceError, ValueError) as e:
            fail(str(e))
            return
    report = store_records(engine, records, FetchReport(bad=bad))
    refresh_lookups(engine)
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
    from paperfeed.sources.hf_daily import HFDailyPapers

    if sum(x is not None for x in (date, week, month)) > 1:
        fail("give at most one of --date, --week, --month")
    engine = state.engine()
    interval = float_setting("PAPERFEED_HF_MIN_INTERVAL")
    with PoliteClient(interval) as client:
        try:
            records, bad = HFDailyPapers(client, setting("PAPERFEED_HF_URL") or "").fetch(
                date=date, week=week, month=month)
        except (SourceError, ValueError) as e:
            fail(str(e))
            return
    report = store_records(engine, records, FetchReport(bad=bad))
    refresh_lookups(engine)
    _summary("hugging face daily papers", report)


@fetch_app.command("arxiv")
def fetch_arxiv(
    ids: list[str] = typer.Argument(..., help="arXiv ids: 2503.12843, 2503.12843v2, "
                                    "hep-th/9901001 ..."),
) -> None:
    """Look papers up by id in the arXiv API and store them."""
    from paperfeed.sources.arxiv_api import ArxivAPI

    engine = state.engine()
    with arxiv_client(engine) as client:
        try:
            records = ArxivAPI(client, setting("PAPERFEED_ARXIV_API_URL") or "").lookup(ids)
        except (SourceError, ValueError) as e:
            fail(str(e))
            return
    report = store_records(engine, records)
    refresh_lookups(engine)
    _summary("arxiv api", report)
