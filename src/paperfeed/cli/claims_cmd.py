"""`paperfeed claims extract FILE`: quantitative claims of abstracts, from JSON lines."""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import typer
from rich.console import Console
from rich.table import Table

claims_app = typer.Typer(
    help="Quantitative claims of abstracts (speedups, memory, accuracy, ...): "
    "rule-based, offline.",
    no_args_is_help=True,
)

_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)


def _open(file: str) -> IO[str]:
    if file == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    path = Path(file)
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open("r", encoding="utf-8", errors="replace")


def _records(fh: IO[str], name: str, bad: list[str]) -> Iterator[tuple[Any, str]]:
    """(id, abstract) per good line; each bad line is reported on stderr and counted."""
    for lineno, line in enumerate(fh, 1):
        if not line.strip():
            continue
        problem = None
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            problem = f"not valid JSON ({e.msg} at column {e.colno})"
        else:
            if not isinstance(obj, dict):
                problem = f"expected a JSON object, got {type(obj).__name__}"
            elif not isinstance(obj.get("abstract"), str):
                problem = ('missing "abstract" (a string)' if "abstract" not in obj
                           else '"abstract" is not a string')
        if problem is not None:
            bad.append(f"{name}:{lineno}")
            _err.print(f"[bold red]error:[/bold red] {name}, line {lineno}: {problem}; skipped",
                       highlight=False, markup=True)
            continue
        yield obj.get("id"), obj["abstract"]


@claims_app.command("extract")
def extract_command(
    file: str = typer.Argument(..., help='JSON-lines file of {"id", "abstract"} (.gz ok); '
                               '"-" reads standard input.', show_default=False),
    as_json: bool = typer.Option(False, "--json", help='One compact JSON line per input: '
                                 '{"id": ..., "claims": [...]}.'),
    method: str = typer.Option("rules", "--method", help="rules (default) or learned: a "
                               "logistic model over the rules' verdicts and the words around "
                               "each number (docs/claims.md compares them)."),
) -> None:
    """Extract each abstract's quantitative claims about its own result.

    Example: paperfeed claims extract papers.jsonl.gz --json
    """
    from paperfeed.claims import extract_claims

    if method not in ("rules", "learned"):
        _err.print(f"[bold red]error:[/bold red] --method must be rules or learned, not "
                   f"{method!r}", highlight=False)
        raise typer.Exit(2)
    name = "<stdin>" if file == "-" else file
    if file != "-" and not Path(file).is_file():
        _err.print(f"[bold red]error:[/bold red] no such file: {file}", highlight=False)
        raise typer.Exit(2)
    bad: list[str] = []
    table = Table("id", "kind", "value", "unit", "what", "text", show_lines=False)
    n_rows = 0
    try:
        with _open(file) as fh:
            for pid, abstract in _records(fh, name, bad):
                claims = extract_claims(abstract, method)
                if as_json:
                    sys.stdout.write(json.dumps(
                        {"id": pid, "claims": [c.to_dict() for c in claims]},
                        ensure_ascii=False, separators=(",", ":")) + "\n")
                    continue
                for c in claims:
                    value = f"{c.value:g}" if c.low is None else f"{c.low:g}-{c.high:g}"
                    table.add_row(str(pid), c.kind, value, c.unit, c.what, c.text)
                    n_rows += 1
    except (OSError, EOFError, UnicodeDecodeError) as e:
        _err.print(f"[bold red]error:[/bold red] {name}: cannot read ({e})", highlight=False)
        raise typer.Exit(1) from None
    if not as_json:
        if n_rows:
            _out.print(table)
        else:
            _out.print("no claims found")
    if bad:
        _err.print(f"[bold red]{len(bad)} bad line(s) skipped[/bold red] in {name}",
                   highlight=False)
        raise typer.Exit(1)
