"""A `Feed` as XML: Atom 1.0 (RFC 4287) or RSS 2.0, built with lxml (escaping is lxml's job).

Text goes out as text: Atom titles and summaries are `type="text"`; RSS readers take item
titles and descriptions as HTML, so there they are HTML-escaped once (`a < b` reaches a reader
as `a < b`, not as a tag). Characters XML 1.0 cannot carry (C0 controls but tab and newlines)
are dropped.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from email.utils import format_datetime

from lxml import etree

from paperfeed import __version__
from paperfeed.feeds.model import Entry, Feed

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
# arXiv's own Atom API names its category scheme so; readers may group by it
CATEGORY_SCHEME = "http://arxiv.org/schemas/atom"
GENERATOR = "paperfeed"
NO_AUTHOR = "Unknown authors"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(s: str | None) -> str:
    """`s` without the characters XML 1.0 forbids (lxml refuses them)."""
    return _NOT_XML.sub("", s or "")


def _utc(when: dt.datetime) -> dt.datetime:
    if when.tzinfo is None:
        raise ValueError(f"feed dates must be timezone-aware, got {when!r}")
    return when.astimezone(dt.UTC)


def rfc3339(when: dt.datetime) -> str:
    """2026-11-23T00:00:00Z (Atom dates)."""
    return _utc(when).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def rfc822(when: dt.datetime) -> str:
    """Mon, 23 Nov 2026 00:00:00 GMT (RSS dates)."""
    return format_datetime(_utc(when).replace(microsecond=0), usegmt=True)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str
         ) -> etree._Element:
    el = etree.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrib.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def _serialize(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))


def render_atom(feed: Feed) -> bytes:
    """The feed as an Atom 1.0 document (UTF-8 bytes)."""
    a = f"{{{ATOM_NS}}}"
    root = etree.Element(a + "feed", nsmap={None: ATOM_NS})
    _sub(root, a + "id", feed.id)
    _sub(root, a + "title", feed.title, type="text")
    if feed.subtitle:
        _sub(root, a + "subtitle", feed.subtitle, type="text")
    _sub(root, a + "updated", rfc3339(feed.updated))
    _sub(root, a + "link", rel="self", type="application/atom+xml", href=feed.self_url)
    _sub(root, a + "link", rel="alternate", type="text/html", href=feed.link)
    _sub(root, a + "generator", GENERATOR, version=__version__)
    for e in feed.entries:
        _atom_entry(root, e)
    return _serialize(root)


def _atom_entry(root: etree._Element, e: Entry) -> None:
    a = f"{{{ATOM_NS}}}"
    el = _sub(root, a + "entry")
    _sub(el, a + "id", e.id)
    _sub(el, a + "title", e.title, type="text")
    _sub(el, a + "updated", rfc3339(max(e.updated, e.published)))
    _sub(el, a + "published", rfc3339(e.published))
    _sub(el, a + "link", rel="alternate", type="text/html", href=e.link)
    for name in e.authors or [NO_AUTHOR]:
        _sub(_sub(el, a + "author"), a + "name", name)
    for cat in e.categories:
        _sub(el, a + "category", term=xml_text(cat), scheme=CATEGORY_SCHEME)
    _sub(el, a + "summary", e.summary, type="text")


def render_rss(feed: Feed) -> bytes:
    """The feed as an RSS 2.0 document (UTF-8 bytes), with atom:link rel=self."""
    root = etree.Element("rss", {"version": "2.0"}, nsmap={"atom": ATOM_NS, "dc": DC_NS})
    ch = _sub(root, "channel")
    _sub(ch, "title", feed.title)
    _sub(ch, "link", feed.link)
    _sub(ch, "description", feed.subtitle or feed.title)
    _sub(ch, f"{{{ATOM_NS}}}link", rel="self", type="application/rss+xml", href=feed.self_url)
    _sub(ch, "lastBuildDate", rfc822(feed.updated))
    _sub(ch, "generator", f"{GENERATOR} {__version__}")
    _sub(ch, "docs", "https://www.rssboard.org/rss-specification")
    for e in feed.entries:
        it = _sub(ch, "item")
        _sub(it, "title", html.escape(xml_text(e.title), quote=False))
        _sub(it, "link", e.link)
        _sub(it, "guid", e.id, isPermaLink="true" if e.id == e.link else "false")
        _sub(it, "description", html.escape(xml_text(e.summary), quote=False))
        _sub(it, "pubDate", rfc822(e.published))
        for cat in e.categories:
            _sub(it, "category", cat, domain=CATEGORY_SCHEME)
        for name in e.authors:
            _sub(it, f"{{{DC_NS}}}creator", name)
    return _serialize(root)
