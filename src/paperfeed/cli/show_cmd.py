"""`paperfeed stats`, `show ID`, `export`, `list`: look at what is stored."""

from __future__ import annotations

import sys
from enum import StrEnum

import typer
from rich.table import Table

from paperfeed.cli.common import console, echo_json, fail, state
from paperfeed.cli.safe_text import safe
from paperfeed.export import bibtex_entry, jsonl_line
from paperfeed.ids import InvalidId, normalize_paper_id
from paperfeed.store.read import get_paper, iter_papers, latest_papers, stats


def stats_command(
    as_json: bool = typer.Option(False, "--json", help='Print JSON: {"papers": N, ...}.'),
) -> None:
    """How many papers are stored, their dates, categories and sources."""
    with state.engine().connect() as conn:
        s = stats(conn)
    if as_json:
        echo_json(s)
        return
    console.print(f"[bold]{s['papers']:,}[/bold] papers, announced "
                  f"{s['first_announced'] or '?'} .. {s['last_announced'] or '?'}; "
                  f"{s['with_hf_upvotes']:,} with Hugging Face upvotes", highlight=False)
    if s["top_categories"]:
        t = Table("category", "papers", title="Top categories", title_justify="left")
        for cat, n in s["top_categories"].items():
            t.add_row(cat, f"{n:,}")
        console.print(t)
    if s["sources"]:
        console.print("sources: " + ", ".join(f"{k} {v:,}" for k, v in s["sources"].items()),
                      highlight=False)


def list_command(
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=1000, help="How many papers."),
    category: str | None = typer.Option(None, "--category", "-c", help="e.g. cs.CL"),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array."),
) -> None:
    """The most recently announced papers (newest first)."""
    with state.engine().connect() as conn:
        papers = latest_papers(conn, limit=limit, category=category)
    if as_json:
        echo_json(papers)
        return
    t = Table("id", "announced", "category", "title", title="Latest papers", title_justify="left")
    for p in papers:
        t.add_row(safe(p["id"]), p["announced"] or "", safe(p["primary_category"] or ""),
                  safe(p["title"]))
    console.print(t)


def show_command(
    paper_id: str = typer.Argument(..., metavar="ID", help="arXiv id (2503.12843, with or "
                                   "without version) or another stored id such as doi:..."),
    as_json: bool = typer.Option(False, "--json", help="Print the paper as JSON."),
) -> None:
    """One paper: metadata, links, sources and Hugging Face data."""
    try:
        pid = normalize_paper_id(paper_id)
    except InvalidId as e:
        fail(str(e))
    with state.engine().connect() as conn:
        paper = get_paper(conn, pid)
    if paper is None:
        fail(f"no paper {pid!r} in this database (try `paperfeed fetch arxiv {pid}`)", code=2)
        return
    if as_json:
        echo_json(paper)
        return
    console.print(f"[bold]{safe(paper['title'])}[/bold]", highlight=False)
    console.print(safe(", ".join(paper["authors"] or ["(no authors listed)"])), highlight=False)
    meta = [paper["id"] + (f"v{paper['version']}" if paper["version"] else ""),
            " ".join(paper["categories"] or []), f"announced {paper['announced'] or '?'}"]
    console.print(safe(" | ".join(meta)), style="dim", highlight=False)
    console.print()
    console.print(safe(paper["abstract"]), highlight=False)
    console.print()
    for k, v in (paper["links"] or {}).items():
        console.print(safe(f"{k}: {v}"), highlight=False)
    if paper.get("hf"):
        console.print(f"Hugging Face upvotes: {safe(paper['hf']['upvotes'])}")
    console.print(safe("sources: " + ", ".join(s["source"] for s in paper["sources"])),
                  style="dim")


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    bibtex = "bibtex"


def export_command(
    fmt: ExportFormat = typer.Option(ExportFormat.jsonl, "--format", "-f",
                                     help="jsonl (re-importable) or bibtex."),
) -> None:
    """Write every paper to stdout. The jsonl output can be imported again."""
    out = sys.stdout
    with state.engine().connect() as conn:
        for paper in iter_papers(conn):
            out.write(jsonl_line(paper) if fmt is ExportFormat.jsonl else bibtex_entry(paper))
