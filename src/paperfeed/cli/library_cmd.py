"""`paperfeed library`: Zotero in and out (BibTeX/RIS import and export), public collections."""

from __future__ import annotations

from pathlib import Path

import typer

from paperfeed.cli.common import console, echo_json, fail, state

library_app = typer.Typer(
    help="A user's library: import BibTeX/RIS (e.g. from Zotero), export it, make a tag public.",
    no_args_is_help=True)

USER_HELP = "The account's email address."


def _user_id(email: str) -> int:
    from sqlalchemy import text

    from paperfeed.accounts.users import InvalidEmail, normalize_email

    try:
        addr = normalize_email(email)
    except InvalidEmail as e:
        fail(f"--user {email!r}: {e}")
        raise
    with state.engine().connect() as conn:
        uid = conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": addr}).scalar()
    if uid is None:
        fail(f"no account for {addr}: sign up on the web app first")
        raise typer.Exit(1)
    return int(uid)


@library_app.command("import")
def import_refs(
    file: Path = typer.Argument(..., help="A .bib (BibTeX) or .ris file, e.g. exported from "
                                "Zotero.", show_default=False),
    user: str = typer.Option(..., "--user", help=USER_HELP, show_default=False),
    tag: str | None = typer.Option(None, "--tag", help="Add this tag to every imported paper."),
    as_json: bool = typer.Option(False, "--json", help="Print matched/unmatched as JSON."),
) -> None:
    """Save the papers a BibTeX or RIS file names to a user's library, matched by arXiv id or
    DOI; lists what it could not match (papers not stored here are not fetched).

    Example: paperfeed library import My-Library.bib --user ada@example.org --tag reading
    """
    from paperfeed.accounts.references import BadReferences, import_references

    if not file.is_file():
        fail(f"no such file: {file}")
    uid = _user_id(user)
    try:
        data = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text: export it from Zotero as UTF-8")
        raise
    try:
        result = import_references(state.engine(), uid, data, file.name, tag)
    except BadReferences as e:
        fail(f"{file}: {e}")
        raise
    if as_json:
        echo_json(result.to_json())
        return
    console.print(f"saved {len(result.matched)} paper(s) to the library of {user}")
    for line in result.unmatched:
        console.print(f"  [yellow]not matched:[/yellow] {line}", highlight=False)


@library_app.command("export")
def export_refs(
    user: str = typer.Option(..., "--user", help=USER_HELP, show_default=False),
    tag: str | None = typer.Option(None, "--tag", help="Only papers with this tag."),
    fmt: str = typer.Option("bibtex", "--format", help="bibtex or ris."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write here, not stdout."),
) -> None:
    """Write a user's library (or one tag) as BibTeX or RIS, for Zotero and friends.

    Example: paperfeed library export --user ada@example.org --format ris -o library.ris
    """
    from paperfeed.accounts.references import FORMATS, export_papers, library_ids

    if fmt not in FORMATS:
        fail(f"--format {fmt!r}: use bibtex or ris")
    uid = _user_id(user)
    with state.engine().connect() as conn:
        body = export_papers(conn, library_ids(conn, uid, tag), fmt)
    if output:
        output.write_text(body, encoding="utf-8")
        console.print(f"wrote {output}")
    else:
        typer.echo(body, nl=False)


@library_app.command("publish")
def publish_tag(
    tag: str = typer.Argument(..., help="The library tag to make public.", show_default=False),
    user: str = typer.Option(..., "--user", help=USER_HELP, show_default=False),
    title: str | None = typer.Option(None, "--title", help="The collection's title."),
    private: bool = typer.Option(False, "--private", help="Make it private again."),
) -> None:
    """Make a library tag a public collection (its page, feeds, BibTeX and JSON at /c/SLUG),
    or private again with --private."""
    from paperfeed.accounts.collections import NoSuchTag, publish, unpublish

    uid = _user_id(user)
    if private:
        was = unpublish(state.engine(), uid, tag)
        console.print(f"{tag!r} is private" + ("" if was else " (it was not public)"))
        return
    try:
        slug = publish(state.engine(), uid, tag, title)
    except NoSuchTag as e:
        fail(str(e))
        raise
    console.print(f"{tag!r} is public at /c/{slug}")
