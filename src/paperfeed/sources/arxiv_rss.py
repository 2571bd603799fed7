"""arXiv's daily announcement feeds (rss.arxiv.org), RSS 2.0 and Atom flavours.

Each item is announced as `new`, `cross` (a cross-list), `replace` (a new version) or
`replace-cross`. Only new and cross items carry an announcement date for the paper: a
replacement re-announces a paper first listed earlier.
"""

from __future__ import annotations

import re
from typing import Any

from paperfeed.ids import InvalidId, abs_url, parse_arxiv_id, pdf_url
from paperfeed.records import PaperRecord, RecordError, iso_date, validate
from paperfeed.sources.atom import NS, FeedParseError, parse_xml, text_of
from paperfeed.sources.http import PoliteClient, SourceError

BASE_URL = "https://rss.arxiv.org"
ANNOUNCE_TYPES = {"new", "cross", "replace", "replace-cross"}
# "arXiv:2508.13426v1 Announce Type: cross \nAbstract: ..." starts every item's description.
_PREAMBLE = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*\S+\s*(?:Abstract:\s*)?", re.I)


def _record(paper_ref: str, title: str | None, description: str | None, creators: str | None,
            categories: list[str], date: str | None, announce_type: str | None,
            rights: str | None) -> PaperRecord:
    try:
        paper_id, version = parse_arxiv_id(paper_ref)
    except InvalidId as e:
        raise RecordError(str(e)) from None
    kind = (announce_type or "").strip().lower() or None
    if kind is not None and kind not in ANNOUNCE_TYPES:
        raise RecordError(f"announce_type: unknown {kind!r}")
    day = iso_date(date, "date")
    rec = PaperRecord(
        id=paper_id,
        title=title or "",
        abstract=_PREAMBLE.sub("", description or ""),
        source="arxiv-rss",
        authors=[a.strip() for a in (creators or "").split(",") if a.strip()] or None,
        categories=[c for c in dict.fromkeys(categories) if c] or None,
        announced=day if kind in ("new", "cross", None) else None,
        updated=day if kind in ("replace", "replace-cross") else None,
        version=version,
        license=rights,
        links={"abs": abs_url(paper_id), "pdf": pdf_url(paper_id)},
        announce_type=kind,
        raw={"ref": paper_ref, "announce_type": kind, "date": day},
    )
    return validate(rec)


def _atom_items(root: Any) -> list[tuple[str, dict[str, Any]]]:
    items = []
    for e in root.findall("atom:entry", NS):
        items.append((text_of(e, "atom:id") or "", {
            "title": text_of(e, "atom:title"), "description": text_of(e, "atom:summary"),
            "creators": text_of(e, "dc:creator"),
            "categories": [c.get("term") for c in e.findall("atom:category", NS)],
            "date": text_of(e, "atom:published") or text_of(e, "atom:updated"),
            "announce_type": text_of(e, "arxiv:announce_type"), "rights": text_of(e, "dc:rights"),
        }))
    return items


def _rss_items(root: Any) -> list[tuple[str, dict[str, Any]]]:
    channel = root.find("channel")
    if channel is None:
        raise FeedParseError("arXiv RSS: no <channel>")
    channel_date = channel.findtext("pubDate") or channel.findtext("lastBuildDate")
    items = []
    for it in channel.findall("item"):
        items.append((it.findtext("guid") or it.findtext("link") or "", {
            "title": it.findtext("title"), "description": it.findtext("description"),
            "creators": text_of(it, "dc:creator"),
            "categories": [c.text for c in it.findall("category") if c.text],
            "date": it.findtext("pubDate") or channel_date,
            "announce_type": text_of(it, "arxiv:announce_type"), "rights": text_of(it, "dc:rights"),
        }))
    return items


def parse_announcements(xml: bytes) -> tuple[list[PaperRecord], list[str]]:
    """Records of a feed (either flavour) and a message for each item that could not be read."""
    root = parse_xml(xml, "arXiv announcement feed")
    if root.tag == f"{{{NS['atom']}}}feed":
        items = _atom_items(root)
    elif root.tag == "rss":
        items = _rss_items(root)
    else:
        raise FeedParseError(f"arXiv announcement feed: expected RSS or Atom, got <{root.tag}>")
    records, errors = [], []
    for ref, fields in items:
        try:
            records.append(_record(ref, **fields))
        except RecordError as e:
            errors.append(f"{ref or 'item'}: {e}")
    return records, errors


def fetch_announcements(client: PoliteClient, categories: list[str], base_url: str = BASE_URL,
                        flavour: str = "atom") -> tuple[list[PaperRecord], list[str]]:
    """Today's announcements for categories (one request: rss.arxiv.org joins them with '+')."""
    if not categories:
        raise ValueError("give at least one category, e.g. cs.CL")
    bad = [c for c in categories if not re.fullmatch(r"[a-z\-]+(\.[A-Za-z\-]+)?", c)]
    if bad:
        raise ValueError(f"not an arXiv category: {', '.join(bad)} (e.g. cs.CL, math.AG, hep-th)")
    url = f"{base_url.rstrip('/')}/{flavour}/{'+'.join(categories)}"
    resp = client.get(url)
    if resp.status_code != 200:
        raise SourceError(f"{url}: HTTP {resp.status_code}")
    return parse_announcements(resp.content)
