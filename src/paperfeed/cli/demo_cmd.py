"""`paperfeed demo`: load the bundled demo corpus and show it."""

from __future__ import annotations

from importlib.resources import as_file, files

from paperfeed.cli.common import console, refresh_indexes, state
from paperfeed.cli.show_cmd import list_command, stats_command
from paperfeed.ingest.files import import_file

DEMO = "demo-papers.jsonl.gz"


def demo_command() -> None:
    """Load the bundled demo corpus (a few thousand recent cs.* arXiv papers) and show it.

    Idempotent: running it again changes nothing.
    """
    engine = state.engine()
    with as_file(files("paperfeed.demo") / DEMO) as path:
        report = import_file(engine, path, parallel=False)
    refresh_indexes(engine)
    w = report.written
    console.print(f"demo corpus: {w.inserted:,} new, {w.updated:,} updated, "
                  f"{w.unchanged:,} already there", highlight=False)
    stats_command(as_json=False)
    list_command(limit=10, category=None, as_json=False)
