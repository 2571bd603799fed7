"""The CLI prints other people's text safely (issue #14): rich markup in a title is shown as
typed, and escape sequences or other control characters never reach the terminal."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest
from test_cli import pf

from paperfeed.cli.safe_text import inert, safe

HOSTILE = [
    {"id": "2601.00001", "title": "Closing tags [/] and [bold red]markup[/bold red] in titles",
     "abstract": "Attention \x1b]0;pwned window title\x07 clears \x1b[2J\x1b[H the screen; "
                 "a one-byte CSI \x9b31m and a bell \x07, carriage return \r overwrite, "
                 "bidi \u202eevil\u202c attention.",
     "authors": ["Mallory [/] \x1b[31mRed"], "categories": ["cs.CR"], "date": "2026-01-05"},
    {"id": "2601.00002", "title": "Plain attention paper", "abstract": "Attention is fine.",
     "authors": ["Ada Lovelace"], "categories": ["cs.CL"], "date": "2026-01-04"},
]
BAD = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


@pytest.fixture
def db(tmp_path: Path) -> str:
    src = tmp_path / "hostile.jsonl"
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in HOSTILE))
    db = str(tmp_path / "h.sqlite")
    r = pf("import", str(src), db=db)
    assert r.returncode == 0, r.stderr
    return db


def _clean(out: str) -> None:
    assert not BAD.search(out), repr(BAD.search(out))


def test_show_prints_markup_as_text_and_no_controls(db: str) -> None:
    r = pf("show", "2601.00001", db=db)
    assert r.returncode == 0, r.stderr
    assert "Closing tags [/] and [bold red]markup[/bold red] in titles" in r.stdout
    assert "Mallory [/]" in r.stdout and "pwned window title" in r.stdout
    _clean(r.stdout + r.stderr)


def test_list_prints_markup_as_text_and_no_controls(db: str) -> None:
    r = pf("list", db=db)
    assert r.returncode == 0, r.stderr
    assert "[/]" in r.stdout and "2601.00002" in r.stdout
    _clean(r.stdout + r.stderr)


def test_search_passes_no_escape_sequences(db: str, tmp_path: Path) -> None:
    r = pf("search", "attention", "--mode", "lexical", db=db)
    assert r.returncode == 0, r.stderr
    assert "2601.00001" in r.stdout and "[/]" in r.stdout
    _clean(r.stdout + r.stderr)
    r = pf("search", "\x1b[2J[/]nothing-matches-this", "--mode", "lexical", db=db)
    _clean(r.stdout + r.stderr)


def test_the_helper() -> None:
    assert inert("a\tb\nc\x1b[2Jd\x9be\u202ef") == "a\tb\nc\ufffd[2Jd\ufffde\ufffdf"
    assert safe("[/]") == "\\[/]"
