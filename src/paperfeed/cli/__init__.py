"""The `paperfeed` command line."""

from __future__ import annotations

import typer

from paperfeed import __version__
from paperfeed.cli.claims_cmd import claims_app
from paperfeed.cli.common import err, state
from paperfeed.cli.config_cmd import config_command
from paperfeed.cli.demo_cmd import demo_command
from paperfeed.cli.digest_cmd import digest_app
from paperfeed.cli.fetch_cmd import fetch_app, harvest_app
from paperfeed.cli.import_cmd import import_command
from paperfeed.cli.library_cmd import library_app
from paperfeed.cli.recommend_cmd import recommend_command
from paperfeed.cli.search_cmd import index_app, search_command, similar_command
from paperfeed.cli.serve_cmd import serve_command
from paperfeed.cli.show_cmd import export_command, list_command, show_command, stats_command
from paperfeed.cli.worker_cmd import worker_command

app = typer.Typer(
    name="paperfeed",
    help="Collect research papers (arXiv, Hugging Face), store them, and explore them.\n\n"
    "The database is SQLite by default (one file in your data directory); use --db or "
    "PAPERFEED_DATABASE_URL for another file or a postgresql:// URL.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"paperfeed {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    db: str | None = typer.Option(
        None, "--db", envvar="PAPERFEED_DATABASE_URL", metavar="PATH_OR_URL",
        help="SQLite file path, or a URL such as postgresql://user@host/dbname.",
    ),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    state.db = db
    state._engine = None


app.command("import")(import_command)
app.command("stats")(stats_command)
app.command("show")(show_command)
app.command("list")(list_command)
app.command("export")(export_command)
app.command("demo")(demo_command)
app.command("config")(config_command)
app.add_typer(claims_app, name="claims")
app.command("search")(search_command)
app.command("similar")(similar_command)
app.add_typer(index_app, name="index")
app.command("serve")(serve_command)
app.add_typer(harvest_app, name="harvest")
app.add_typer(fetch_app, name="fetch")
app.command("worker")(worker_command)
app.add_typer(library_app, name="library")
app.add_typer(digest_app, name="digest")
app.command("recommend")(recommend_command)


def main() -> None:
    from paperfeed.store.db import WriteBusy

    try:
        app()
    except WriteBusy as e:  # issue #14: another writer kept the lock past the bounded wait
        err.print(f"[bold red]error:[/bold red] {e} (PAPERFEED_WRITE_LOCK_WAIT sets how long "
                  "to wait)", highlight=False)
        raise SystemExit(1) from None
