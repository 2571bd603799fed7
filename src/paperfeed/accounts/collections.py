"""Public collections: a library tag its owner made public (private by default).

A public tag gets a slug (its URL, /c/{slug}); making it private again deletes the slug, so an
old address stops working. The papers are read live from the owner's library.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Any

from sqlalchemy import Connection, Engine, text

from paperfeed.accounts.marks import clean_tags
from paperfeed.accounts.references import library_ids
from paperfeed.store.db import write_tx
from paperfeed.store.write import utcnow


class NoSuchTag(ValueError):
    """The user has no saved paper with this tag."""


def _slug(tag: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", tag).encode("ascii", "ignore").decode()
    word = re.sub(r"[^a-z0-9]+", "-", ascii_.lower()).strip("-")[:40] or "collection"
    return f"{word}-{secrets.token_hex(3)}"


def tag_count(conn: Connection, user_id: int, tag: str) -> int:
    """How many of the user's saved papers carry `tag`."""
    return len(library_ids(conn, user_id, tag))


def publish(engine: Engine, user_id: int, tag: str, title: str | None = None) -> str:
    """Make the tag public (again: keep its slug, update the title); return the slug."""
    clean = clean_tags([tag])
    if not clean:
        raise NoSuchTag("give a tag to publish")
    tag = clean[0]
    with engine.connect() as conn:
        if tag_count(conn, user_id, tag) == 0:
            raise NoSuchTag(f"no saved paper is tagged {tag!r}: tag papers first")
    with write_tx(engine) as conn:
        slug = conn.execute(text("SELECT slug FROM public_collections WHERE user_id = :u AND "
                                 "tag = :t"), {"u": user_id, "t": tag}).scalar()
        if slug:
            conn.execute(text("UPDATE public_collections SET title = COALESCE(:title, title) "
                              "WHERE slug = :s"),
                         {"title": title, "s": slug})
            return str(slug)
        slug = _slug(tag)
        conn.execute(text("INSERT INTO public_collections (slug, user_id, tag, title, created_at)"
                          " VALUES (:s, :u, :t, :title, :now)"),
                     {"s": slug, "u": user_id, "t": tag, "title": title, "now": utcnow()})
        return slug


def unpublish(engine: Engine, user_id: int, tag: str) -> bool:
    """Make the tag private again; True when it was public."""
    with write_tx(engine) as conn:
        n = conn.execute(text("DELETE FROM public_collections WHERE user_id = :u AND tag = :t"),
                         {"u": user_id, "t": tag}).rowcount
    return bool(n)


def public_tags(conn: Connection, user_id: int) -> dict[str, str]:
    """{tag: slug} of the user's public tags."""
    return dict(conn.execute(text("SELECT tag, slug FROM public_collections WHERE user_id = :u"),
                             {"u": user_id}).all())


def collection(conn: Connection, slug: str) -> dict[str, Any] | None:
    """{"slug", "tag", "title", "owner", "user_id", "created_at"} or None (unknown/private)."""
    row = conn.execute(text(
        "SELECT c.slug, c.tag, c.title, c.user_id, c.created_at, u.display_name "
        "FROM public_collections c JOIN users u ON u.id = c.user_id WHERE c.slug = :s"),
        {"s": slug}).mappings().first()
    if row is None:
        return None
    d = dict(row)
    d["owner"] = d.pop("display_name") or "a paperfeed reader"  # never the email address
    d["title"] = d["title"] or d["tag"]
    return d
