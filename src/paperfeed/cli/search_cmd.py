"""`paperfeed search`, `paperfeed similar` and `paperfeed index status|update|rebuild`."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import Engine, text

from paperfeed.cli.common import (
    console,
    date_option,
    echo_json,
    err,
    fail,
    refresh_indexes,
    state,
)
from paperfeed.cli.safe_text import safe as escape
from paperfeed.ids import InvalidId, normalize_paper_id
from paperfeed.latex import convert, to_unicode
from paperfeed.progress import seconds

index_app = typer.Typer(help="The search indexes (lexical and semantic): status, update, rebuild.",
                        no_args_is_help=True)

_MODEL_HELP = "Embedding model name (default: $PAPERFEED_EMBED_MODEL or minilm)."


def _hit_json(h: Any) -> dict[str, Any]:
    return dict(h.to_json())


def _styled_snippet(snippet: str, spans: list[tuple[int, int]]) -> str:
    """The snippet as plain Unicode (LaTeX resolved), its spans in bold yellow (rich markup)."""
    conv = convert(snippet, keep_math=False)
    out, pos = [], 0
    for a, b in conv.map_spans(sorted(spans)):
        if a < pos:
            continue
        out.append(escape(conv.text[pos:a]))
        out.append(f"[bold yellow]{escape(conv.text[a:b])}[/bold yellow]")
        pos = b
    out.append(escape(conv.text[pos:]))
    return "".join(out)


def _print_hits(result: Any, query: str) -> None:
    if result.note:
        err.print(f"[yellow]note:[/yellow] {escape(result.note)}", highlight=False)
    if getattr(result, "corrected", None):
        console.print(f"showing results for [bold]{escape(result.corrected)}[/bold] "
                      f"(put a word in \"quotes\" to search it as typed)", highlight=False)
    if getattr(result, "author", None):
        console.print(f"papers by [bold]{escape(result.author)}[/bold] first", highlight=False)
    if getattr(result, "without_filters", None):
        console.print(f"{result.without_filters:,} match without the filters", highlight=False)
    if not result.hits:
        console.print(escape(f"no results for {query!r}" if query else "no results"),
                      highlight=False)
        return
    if result.total == 0:
        console.print(f"[dim]no paper has these words; {len(result.hits)} results related by "
                      "meaning:[/dim]")
    else:
        total = "" if result.total is None else f", {result.total:,} papers match the words"
        console.print(f"[dim]{len(result.hits)} results{total} ({result.mode_used})[/dim]",
                      highlight=False)
    for n, h in enumerate(result.hits, 1):
        why = "  [dim](by meaning)[/dim]" if h.match == "meaning" and result.total else ""
        console.print(f"[bold]{n}. {escape(to_unicode(h.title))}[/bold]{why}", highlight=False)
        authors = ", ".join(h.authors[:4]) + (" et al." if len(h.authors) > 4 else "")
        cats = " ".join(h.categories[:3])
        console.print(f"   [cyan]{escape(h.id)}[/cyan]  {escape(h.announced or '?')}  "
                      f"{escape(cats)}  "
                      f"[dim]{escape(authors)}  score {h.score:.4g}[/dim]", highlight=False)
        if h.snippet:
            console.print(f"   {_styled_snippet(h.snippet, h.spans)}", highlight=False)


def search_command(
    query: str | None = typer.Argument(None, help="Words, \"exact phrases\", prefix* words; "
                                       "or a whole abstract."),
    k: int = typer.Option(10, "--k", "-k", min=1, max=1000, help="How many results."),
    offset: int = typer.Option(0, "--offset", min=0, help="Skip this many (pagination)."),
    category: str | None = typer.Option(None, "--category", "-c", help="e.g. cs.CL"),
    since: str | None = typer.Option(None, "--since", help="Announced on or after YYYY-MM-DD.",
                                       callback=date_option),
    until: str | None = typer.Option(None, "--until", help="Announced on or before YYYY-MM-DD.",
                                       callback=date_option),
    author: str | None = typer.Option(None, "--author", help="An author's name (or surname)."),
    sort: str = typer.Option("relevance", "--sort", help="relevance or date (newest first)."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, lexical or semantic."),
    batch: Path | None = typer.Option(None, "--batch", help="A file with one query a line: "
                                      "one result list a line, in order."),
    model: str | None = typer.Option(None, "--model", help=_MODEL_HELP),
    as_json: bool = typer.Option(False, "--json", help='Print a JSON array of {"id", "title", '
                                 '"score", ...}, best first.'),
) -> None:
    """Search papers by words and meaning. Example: paperfeed search "kv cache compression"."""
    from paperfeed.search.hybrid import Searcher

    if sort not in ("relevance", "date"):
        fail(f"--sort must be relevance or date, not {sort!r}")
    if mode not in ("hybrid", "lexical", "semantic"):
        fail(f"--mode must be hybrid, lexical or semantic, not {mode!r}")
    if batch is None and query is None:
        fail("give a QUERY, or --batch FILE with one query a line")
    if batch is not None and not batch.is_file():
        fail(f"no such file: {batch}")
    engine = state.engine()
    with err.status("catching up the search index..."):
        searcher = Searcher(engine, model)
    opts: dict[str, Any] = {"k": k, "offset": offset, "category": category, "since": since,
                            "until": until, "author": author, "sort": sort, "mode": mode}
    try:
        if batch is not None:
            queries = batch.read_text(encoding="utf-8").splitlines()
            noted = False
            for line in queries:
                res = searcher.search(line.strip(), **opts)
                if res.note and not noted:
                    err.print(f"[yellow]note:[/yellow] {escape(res.note)}", highlight=False)
                    noted = True
                if as_json:
                    echo_json([_hit_json(h) for h in res.hits])
                else:
                    console.print(f"[bold]» {escape(line.strip())}[/bold]", highlight=False)
                    _print_hits(res, line)
            return
        assert query is not None
        res = searcher.search(query, count=not as_json, **opts)
    except ValueError as e:
        fail(str(e))
        return
    if as_json:
        if res.note:
            err.print(f"[yellow]note:[/yellow] {escape(res.note)}", highlight=False)
        echo_json([_hit_json(h) for h in res.hits])
    else:
        _print_hits(res, query)


def similar_command(
    paper_id: str = typer.Argument(..., metavar="ID", help="A stored paper's id."),
    k: int = typer.Option(10, "--k", "-k", min=1, max=1000, help="How many results."),
    model: str | None = typer.Option(None, "--model", help=_MODEL_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array, most similar first."),
) -> None:
    """Papers similar to ID (by meaning; by shared words before `paperfeed index update`)."""
    from paperfeed.search.hybrid import Searcher

    try:
        pid = normalize_paper_id(paper_id)
    except InvalidId as e:
        fail(str(e))
        return
    searcher = Searcher(state.engine(), model)
    try:
        res = searcher.similar(pid, k)
    except KeyError:
        fail(f"no paper {pid!r} in this database (try `paperfeed fetch arxiv {pid}`)", code=2)
        return
    if as_json:
        if res.note:
            err.print(f"[yellow]note:[/yellow] {escape(res.note)}", highlight=False)
        echo_json([_hit_json(h) for h in res.hits])
    else:
        _print_hits(res, "")


# --- index ---------------------------------------------------------------------------------

def _vector_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT model_id, COUNT(*) AS n FROM paper_vectors GROUP BY model_id")).all()
    return {r.model_id: int(r.n) for r in rows}


def _papers(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM papers")).scalar_one())


def _load_embedder(model: str) -> object:
    """The embedding model, or a clear error (before any index work starts)."""
    from paperfeed.index.embed import get_embedder, load_builtin_embedders

    load_builtin_embedders()
    try:
        import paperfeed.index.vectors  # noqa: F401  (usearch: the vector index)
    except ImportError as e:
        fail(f"semantic indexing is not available in this install ({e}); "
             "use --lexical-only")
    try:
        return get_embedder(model)
    except (ValueError, OSError, RuntimeError) as e:
        fail(f"cannot load embedding model {model!r}: {e}")
        raise


def _update(lexical_only: bool, model: str | None, rebuild: bool) -> None:
    from paperfeed.index.embed import default_model

    engine = state.engine()
    embedder = None if lexical_only else _load_embedder(model or default_model())
    t0 = time.perf_counter()
    refresh_indexes(engine, slow=not lexical_only, rebuild=rebuild, embedder=embedder)
    console.print(f"indexes {'rebuilt' if rebuild else 'up to date'} in "
                  f"{seconds(time.perf_counter() - t0)}", highlight=False)


@index_app.command("status")
def index_status(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """What the search indexes hold and what is missing."""
    from paperfeed.index.lexical import lexical_status

    engine = state.engine()
    papers = _papers(engine)
    vectors: dict[str, Any] = {}
    for m, n in _vector_counts(engine).items():
        vectors[m] = {"papers": n, "missing": max(papers - n, 0)}
        with contextlib.suppress(ImportError):
            from paperfeed.index.status import vector_status

            st = vector_status(engine, m)
            vectors[m] = {"papers": st["embedded"], "missing": st["missing"],
                          "stale": st["stale"]}
    from paperfeed.store.index_state import all_states

    info: dict[str, Any] = {"papers": papers, "lexical": lexical_status(engine),
                            "vectors": vectors,
                            "watermarks": {n: {"seq": st.seq, "updated_at": st.updated_at}
                                           for n, st in sorted(all_states(engine).items())}}
    if as_json:
        echo_json(info)
        return
    lex = info["lexical"]
    state_txt = (f"{lex['documents']:,} papers, {lex['behind']:,} behind, "
                 f"{lex['bytes'] / 1e6:,.1f} MB" if lex["built"] else "not built")
    console.print(f"[bold]{papers:,}[/bold] papers in the database", highlight=False)
    console.print(f"lexical index: {state_txt}  [dim]{lex['path']}[/dim]", highlight=False)
    if not info["vectors"]:
        console.print("vectors: none yet (run `paperfeed index update`)")
    for m, v in info["vectors"].items():
        console.print(f"vectors {m}: {v['papers']:,} papers, {v['missing']:,} missing",
                      highlight=False)


@index_app.command("update")
def index_update(
    lexical_only: bool = typer.Option(False, "--lexical-only",
                                      help="Skip the embedding (lookups, lexical index and "
                                      "claims only)."),
    model: str | None = typer.Option(None, "--model", help=_MODEL_HELP),
) -> None:
    """Bring every derived index up to the papers: lookups, lexical index, claims, then embed
    papers without vectors and update the vector index (idempotent; each step says what it
    did, or that it was up to date)."""
    _update(lexical_only, model, rebuild=False)


@index_app.command("rebuild")
def index_rebuild(
    lexical_only: bool = typer.Option(False, "--lexical-only",
                                      help="Skip the embeddings and the vector index."),
    model: str | None = typer.Option(None, "--model", help=_MODEL_HELP),
) -> None:
    """Rebuild every derived index from the database (stored vectors are reused, not
    re-embedded)."""
    _update(lexical_only, model, rebuild=True)
