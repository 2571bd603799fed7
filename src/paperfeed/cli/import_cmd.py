"""`paperfeed import FILE...`: bulk-load JSON-lines files."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import Engine

from paperfeed.cli.common import console, err, fail, refresh_indexes, reporter, state
from paperfeed.ingest.files import ImportFailed, ImportReport, StrictError, import_file
from paperfeed.ingest.follow import follow_import
from paperfeed.progress import size
from paperfeed.store.db import WriteBusy


def import_command(
    files: list[Path] = typer.Argument(
        ..., help="JSON-lines files (.jsonl or .jsonl.gz): paperfeed's format or the arXiv "
        "metadata snapshot (arxiv-metadata-oai-snapshot.json), detected line by line.",
        show_default=False,
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Stop at the first bad record; nothing of its batch is written."
    ),
    batch_size: int = typer.Option(10_000, "--batch-size", min=1, help="Records per transaction."),
) -> None:
    """Import papers from files. Safe to re-run: same data changes nothing, an interrupted
    import continues where it stopped, and newer versions update papers.

    Example: paperfeed import arxiv-metadata-oai-snapshot.json.gz
    """
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        fail(f"no such file: {', '.join(missing)}")
    engine = state.engine()
    with follow_import(engine) as followers:
        for path in files:
            _import_one(engine, path, strict, batch_size)
        if followers.names:
            behind = followers.behind()
            step = reporter().step("indexes following the import", total=behind)
            followers.finish(step)
            step.finish(f"{', '.join(followers.names)} caught up")
    try:
        refresh_indexes(engine)
    except (OSError, WriteBusy) as e:  # e.g. a full disk: the papers themselves are stored
        fail(f"the papers are stored, but updating the derived indexes failed ({e}); "
             "run `paperfeed index update` once that is fixed")


def _import_one(engine: Engine, path: Path, strict: bool, batch_size: int) -> None:
    step = reporter().step(f"import {path.name}", total=path.stat().st_size, unit="bytes")

    def progress(done: int, stored: int) -> None:
        step.update(done, note=f"{stored:,} papers")

    try:
        report = import_file(engine, path, strict=strict, batch_size=batch_size,
                             progress=progress)
    except StrictError as e:
        fail(str(e))
    except ImportFailed as e:
        step.finish("stopped")
        _print_report(e.report)
        fail(str(e))
    except OSError as e:
        fail(f"{path}: cannot read ({e.strerror or e}); check the file is complete")
    step.finish(f"{size(path.stat().st_size)} read")
    _print_report(report)


def _print_report(r: ImportReport) -> None:
    w = r.written
    resumed = f" (resumed after line {r.resumed_at:,})" if r.resumed_at else ""
    console.print(
        f"[bold]{r.path}[/bold]{resumed}: {r.lines:,} lines read, "
        f"[green]{w.inserted:,} new[/green], [yellow]{w.updated:,} updated[/yellow], "
        f"{w.unchanged:,} unchanged, [red]{r.skipped_bad:,} bad lines skipped[/red]",
        highlight=False,
    )
    for e in r.errors[:10]:
        err.print(f"  bad record: {e}", highlight=False, markup=False)
    if r.skipped_bad > 10:
        err.print(f"  ... and {r.skipped_bad - 10:,} more bad records", highlight=False)
