"""Small lxml helpers shared by the Atom/RSS parsers (namespace-aware, errors for people)."""

from __future__ import annotations

from typing import Any

from lxml import etree

from paperfeed.sources.http import SourceError

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
}


class FeedParseError(SourceError):
    """A feed that is not well-formed XML or not the expected kind of document."""


def parse_xml(data: bytes, what: str) -> Any:
    """Parse bytes as XML (no network, no entities); raise FeedParseError saying what failed."""
    if not data or not data.strip():
        raise FeedParseError(f"{what}: empty response")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise FeedParseError(f"{what}: not well-formed XML ({e})") from None


def text_of(el: Any, path: str) -> str | None:
    """The text of the first match of `path` (with NS prefixes), or None."""
    found = el.find(path, NS)
    return found.text if found is not None and found.text is not None else None
