"""What every command shares: the database option, consoles, progress, errors for people."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from paperfeed.progress import Reporter

if TYPE_CHECKING:
    from paperfeed.index.refresh import RefreshReport

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


def reporter() -> Reporter:
    """Progress for a command: a redrawn line at a terminal, plain periodic lines in a log."""
    return Reporter(stream=sys.stderr)


def refresh_indexes(engine: Engine, *, slow: bool = False, rebuild: bool = False,
                    only: list[str] | None = None, model: str | None = None,
                    embedder: object = None) -> RefreshReport:
    """Bring the derived indexes up to the papers (index/refresh.py), showing each step.

    After a fetch or import, `slow=False`: the embeddings are left to `paperfeed index update`
    (embedding is slow) and search keeps working meanwhile, lexically for what is not embedded.
    """
    from paperfeed.index.refresh import RefreshFailed, refresh

    try:
        return refresh(engine, slow=slow, rebuild=rebuild, only=only, model=model,
                       embedder=embedder, progress=reporter())
    except RefreshFailed as e:
        fail(f"updating the {e.step} index failed: {type(e.error).__name__}: {e.error}")
        raise


refresh_lookups = refresh_indexes  # the older name (callers on other branches)
