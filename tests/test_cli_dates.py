"""Every date option of every command is checked by one helper (issue #14): a bad or far date
is an error naming the option, before anything is opened or fetched."""

from __future__ import annotations

import pytest
import typer.main
from typer.testing import CliRunner

from paperfeed.cli import app

DATE_OPTIONS = [
    ["search", "attention", "--since"], ["search", "attention", "--until"],
    ["harvest", "arxiv", "--from"], ["harvest", "arxiv", "--until"],
    ["fetch", "hf", "--date"],
]


@pytest.mark.parametrize("args", DATE_OPTIONS, ids=lambda a: " ".join(a[::2]))
@pytest.mark.parametrize("value, why", [
    ("2025-13-45", "is not a valid date (month must be in 1..12)"),
    ("2025-02-30", "is not a valid date (day is out of range for month)"),
    ("9999-12-31", "9999-12-31 is out of range (1000-01-01 to 8999-12-31)"),
    ("yesterday", "'yesterday' is not a date (expected YYYY-MM-DD)"),
])
def test_a_bad_date_option_is_an_error_naming_it(args: list[str], value: str, why: str,
                                                 tmp_path) -> None:  # type: ignore[no-untyped-def]
    r = CliRunner().invoke(app, ["--db", str(tmp_path / "db.sqlite"), *args, value])
    assert r.exit_code == 2
    out = " ".join(r.output.replace("│", " ").split())
    assert f"Invalid value for {args[-1]}:" in out and why in out
    assert not (tmp_path / "db.sqlite").exists()  # rejected before the database was opened


def test_every_date_option_uses_the_helper() -> None:
    """Any option whose metavar or help says YYYY-MM-DD is parsed by cli.common.date_option."""
    from paperfeed.cli.common import date_option

    def walk(cmd, path):  # type: ignore[no-untyped-def]
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, [*path, name])
        for p in getattr(cmd, "params", []):
            if "YYYY-MM-DD" in f"{p.metavar or ''} {getattr(p, 'help', '') or ''}":
                yield " ".join(path), p

    found = list(walk(typer.main.get_command(app), []))
    assert len(found) >= 5
    for where, p in found:
        assert p.callback is not None and p.callback.__name__ == date_option.__name__, (
            where, p.opts)
