"""`paperfeed recommend`: the For-you engine, stateless, from files of paper ids."""

from __future__ import annotations

from pathlib import Path

import typer

from paperfeed.cli.common import console, date_option, echo_json, err, fail, state
from paperfeed.cli.safe_text import safe as escape


def read_ids(path: Path, what: str) -> list[str]:
    """Paper ids from a file, one a line (blank lines and #-comments skipped), in order."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        fail(f"cannot read the {what} file {path}: {e.strerror or e}")
        raise
    return [s for line in lines if (s := line.split("#", 1)[0].strip())]


def recommend_command(
    positives_file: Path = typer.Option(..., "--positives-file", metavar="FILE",
                                        help="Papers you like: one arXiv id a line (bare, "
                                             "arXiv:-prefixed or versioned)."),
    negatives_file: Path | None = typer.Option(None, "--negatives-file", metavar="FILE",
                                               help="Papers you do not want more of."),
    k: int = typer.Option(100, "--k", "-k", min=1, max=2000, help="How many papers."),
    since: str | None = typer.Option(None, "--since", metavar="YYYY-MM-DD",
                                     callback=date_option,
                                     help="Only papers announced on or after this day "
                                          "(default: every stored paper)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON array, best first, of "
                                 "{id, title, score, why}."),
) -> None:
    """Recommend papers like the ones you list (the engine behind For you).

    Example: paperfeed recommend --positives-file liked.txt --k 20 --json

    Unknown ids are named on stderr and skipped; positives and negatives are never returned.
    """
    from paperfeed.rank.foryou import Profile, recommend
    from paperfeed.rank.foryou_ids import resolve_ids

    pos_raw = read_ids(positives_file, "positives")
    if not pos_raw:
        fail(f"the positives file {positives_file} lists no paper ids: put one arXiv id a "
             "line (e.g. 2503.12843)")
    neg_raw = read_ids(negatives_file, "negatives") if negatives_file else []
    engine = state.engine()
    pos, bad_p = resolve_ids(engine, pos_raw)
    neg, bad_n = resolve_ids(engine, neg_raw)
    for raw, why in bad_p + bad_n:
        err.print(f"[yellow]skipped:[/yellow] {escape(raw)} ({why})", highlight=False)
    if not pos:
        fail("none of the positive ids is a stored paper: import the papers first "
             "(`paperfeed import` or `paperfeed fetch`)")
    recs = recommend(engine, Profile(positives=dict.fromkeys(pos, 1.0), negatives=set(neg)),
                     k=k, since=since)
    if as_json:
        echo_json([{"id": r.id, "title": r.title, "score": round(r.score, 4), "why": r.why}
                   for r in recs])
        return
    if not recs:
        console.print("no recommendations (no candidate papers matched)")
    for n, r in enumerate(recs, 1):
        console.print(f"[bold]{n}. {escape(r.title)}[/bold]", highlight=False)
        console.print(f"   [cyan]{r.id}[/cyan]  [dim]{escape(r.why)}  score "
                      f"{r.score:.3g}[/dim]", highlight=False)
