"""What every command shares: the database option, consoles, progress bars, errors for people."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

console = Console(soft_wrap=True)
err = Console(stderr=True)


@dataclass
class State:
    db: str | None = None
    _engine: Engine | None = None

    def engine(self) -> Engine:
        """Open (and migrate) the database once per command; fail with a helpful message."""
        if self._engine is None:
            from paperfeed.store import DatabaseError, describe, open_store

            try:
                engine = open_store(self.db)
            except (DatabaseError, OperationalError) as e:
                msg = str(e.orig) if isinstance(e, OperationalError) else str(e)
                fail(f"cannot open the database {self.db or '(default)'}: {msg.strip()}\n"
                     "Check --db or PAPERFEED_DATABASE_URL.")
                raise
            err.print(f"[dim]database: {describe(engine)}[/dim]")
            self._engine = engine
        return self._engine


state = State()


def fail(message: str, code: int = 1) -> None:
    """Print an error for a person (no traceback) and exit."""
    err.print(f"[bold red]error:[/bold red] {message}", highlight=False)
    raise typer.Exit(code)


def byte_progress() -> Progress:
    """A progress bar over bytes of input, with rate and ETA."""
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
        DownloadColumn(), TransferSpeedColumn(), TextColumn("{task.fields[papers]} papers"),
        TimeElapsedColumn(), TimeRemainingColumn(), console=err,
    )


def count_progress() -> Progress:
    """A progress bar over a count of items, with rate and ETA."""
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=err,
    )


@contextmanager
def friendly_errors(*kinds: type[BaseException]) -> Iterator[None]:
    """Turn expected failures (bad input, unreachable source) into one clear line."""
    try:
        yield
    except kinds as e:
        fail(str(e))


def date_option(ctx: typer.Context, param: typer.CallbackParam, value: str | None) -> str | None:
    """Callback of every YYYY-MM-DD option: a real date in range, or an error naming the option."""
    from paperfeed.records import RecordError, parse_date

    if value is None or ctx.resilient_parsing:
        return value
    name = (param.opts or [param.name or "date"])[0]
    try:
        return parse_date(value, name).isoformat()
    except RecordError as e:
        raise typer.BadParameter(str(e).removeprefix(f"{name}: "), param_hint=name) from None


def echo_json(data: object) -> None:
    """Print JSON to stdout exactly (no Rich markup or wrapping)."""
    import orjson

    sys.stdout.write(orjson.dumps(data).decode() + "\n")


def refresh_lookups(engine: Engine) -> None:
    """Catch the derived indexes up with the papers just written: lookups, lexical, claims.

    The semantic index is left to `paperfeed index update` (embedding is slow); search keeps
    working meanwhile, lexically for what is not embedded yet.
    """
    from paperfeed.index.claims import catch_up_claims, pending_claims
    from paperfeed.index.lexical import catch_up_after_import
    from paperfeed.index.lookups import catch_up_lookups

    with err.status("updating author and category lookups..."):
        catch_up_lookups(engine)
    with err.status("updating the lexical search index..."):
        catch_up_after_import(engine)
    todo = pending_claims(engine)
    if todo > 1000:
        with count_progress() as bar:
            task = bar.add_task("extract claims", total=todo, rate="")
            catch_up_claims(engine, progress=lambda n: bar.update(task, completed=n))
    else:
        catch_up_claims(engine)
