"""`paperfeed config`: every setting, its environment variable, and its current value."""

from __future__ import annotations

import typer
from rich.table import Table

from paperfeed.cli.common import console, echo_json
from paperfeed.config import SETTINGS


def config_command(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the settings (all from environment variables); secrets are masked."""
    rows = [
        {"env": s.env, "value": ("***" if s.secret and s.get() else s.get()), "help": s.help}
        for s in SETTINGS.values()
    ]
    if as_json:
        echo_json(rows)
        return
    t = Table("variable", "value", "meaning", title="paperfeed settings", title_justify="left")
    for r in rows:
        t.add_row(r["env"], r["value"] or "[dim](unset)[/dim]", r["help"])
    console.print(t)
