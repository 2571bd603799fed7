"""arXiv's daily announcement feeds (rss.arxiv.org), RSS 2.0 and Atom flavours.

Each item is announced as `new`, `cross` (a cross-list), `replace` (a new version) or
`replace-cross`. Only new and cross items carry an announcement date for the paper: a
replacement re-announces a paper first listed earlier, so its feed date goes to `updated`.
"""

from __future__ import annotations

import re
from typing import Any

from paperfeed.ids import InvalidId, abs_url, parse_arxiv_id, pdf_url
from paperfeed.records import PaperRecord, RecordError, iso_date, validate
from paperfeed.sources.atom import NS, FeedParseError, parse_xml, text_of
from paperfeed.sources.http import PoliteClient, SourceError

BASE_URL = "https://rss.arxiv.org"
FLAVOURS = ("atom", "rss")
ANNOUNCE_TYPES = {"new", "cross", "replace", "replace-cross"}
# "arXiv:2508.13426v1 Announce Type: cross \nAbstract: ..." starts every item's description.
_PREAMBLE = re.compile(
    r"^\s*arXiv:(?P<ref>\S+)\s+Announce Type:\s*(?P<kind>\S+)\s*(?:Abstract:\s*)?", re.I)
_CATEGORY = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$")

Item = dict[str, Any]


def _paper_ref(refs: list[str | None]) -> tuple[str, int | None]:
    """(id, version) from the first usable ref; a later ref may still supply the version."""
    parsed = []
    for ref in refs:
        try:
            parsed.append(parse_arxiv_id(ref or ""))
        except InvalidId:
            continue
    if not parsed:
        shown = next((r for r in refs if r), "")
        raise RecordError(f"id: no arXiv id in {shown!r}")
    paper_id = parsed[0][0]
    version = next((v for i, v in parsed if i == paper_id and v is not None), None)
    return paper_id, version


def _record(item: Item) -> PaperRecord:
    """One feed item (either flavour, as a dict) -> a validated record (source "arxiv-rss")."""
    description = item["description"] or ""
    preamble = _PREAMBLE.match(description)
    refs = [item["guid"], item["link"], preamble.group("ref") if preamble else None]
    paper_id, version = _paper_ref(refs)
    kind = (item["announce_type"] or (preamble.group("kind") if preamble else "")).strip().lower()
    if kind and kind not in ANNOUNCE_TYPES:
        raise RecordError(f"announce_type: unknown {kind!r}")
    day = iso_date(item["date"], "date")
    replaced = kind in ("replace", "replace-cross")
    rec = PaperRecord(
        id=paper_id,
        title=item["title"] or "",
        abstract=description[preamble.end():] if preamble else description,
        source="arxiv-rss",
        authors=[a.strip() for a in (item["creators"] or "").split(",") if a.strip()] or None,
        categories=[c for c in dict.fromkeys(item["categories"]) if c and _CATEGORY.match(c)]
        or None,
        announced=None if replaced else day,
        updated=day if replaced else None,
        version=version,
        doi=item["doi"],
        journal_ref=item["journal_ref"],
        license=item["rights"],
        links={"abs": abs_url(paper_id), "pdf": pdf_url(paper_id)},
        announce_type=kind or None,
        raw={"ref": next((r for r in refs if r), None), "announce_type": kind or None,
             "date": day},
    )
    return validate(rec)


def _arxiv_fields(el: Any) -> Item:
    """The namespaced fields both flavours share (dc:creator, arxiv:announce_type, ...)."""
    return {
        "creators": text_of(el, "dc:creator"),
        "announce_type": text_of(el, "arxiv:announce_type"),
        "rights": text_of(el, "dc:rights"),
        "doi": text_of(el, "arxiv:DOI") or text_of(el, "arxiv:doi"),
        "journal_ref": text_of(el, "arxiv:journal_reference") or text_of(el, "arxiv:journal_ref"),
    }


def _atom_items(root: Any) -> list[Item]:
    """Entries of the Atom flavour; an entry without a date takes the feed's <updated>."""
    feed_date = text_of(root, "atom:updated")
    items = []
    for e in root.findall("atom:entry", NS):
        link = e.find("atom:link[@rel='alternate']", NS)
        if link is None:
            link = e.find("atom:link", NS)
        items.append({
            "guid": text_of(e, "atom:id"),
            "link": link.get("href") if link is not None else None,
            "title": text_of(e, "atom:title"),
            "description": text_of(e, "atom:summary"),
            "categories": [c.get("term") for c in e.findall("atom:category", NS)],
            "date": text_of(e, "atom:published") or text_of(e, "atom:updated") or feed_date,
            **_arxiv_fields(e),
        })
    return items


def _rss_items(root: Any) -> list[Item]:
    """Items of the RSS 2.0 flavour; an item without pubDate takes the channel's date."""
    channel = root.find("channel")
    if channel is None:
        raise FeedParseError("arXiv RSS: no <channel>")
    channel_date = channel.findtext("pubDate") or channel.findtext("lastBuildDate")
    items = []
    for it in channel.findall("item"):
        items.append({
            "guid": it.findtext("guid"),
            "link": it.findtext("link"),
            "title": it.findtext("title"),
            "description": it.findtext("description"),
            "categories": [(c.text or "").strip() for c in it.findall("category")],
            "date": it.findtext("pubDate") or channel_date,
            **_arxiv_fields(it),
        })
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
    for n, item in enumerate(items):
        try:
            records.append(_record(item))
        except RecordError as e:
            errors.append(f"item {n} ({item['guid'] or item['link'] or 'no id'}): {e}")
    return records, errors


def feed_url(categories: list[str], base_url: str = BASE_URL, flavour: str = "atom") -> str:
    """The feed address for categories: rss.arxiv.org joins several with '+'."""
    if not categories:
        raise ValueError("give at least one category, e.g. cs.CL")
    bad = [c for c in categories if not _CATEGORY.match(c)]
    if bad:
        raise ValueError(f"not an arXiv category: {', '.join(bad)} (e.g. cs.CL, math.AG, hep-th)")
    if flavour not in FLAVOURS:
        raise ValueError(f"flavour must be one of {', '.join(FLAVOURS)}, not {flavour!r}")
    return f"{(base_url or BASE_URL).rstrip('/')}/{flavour}/{'+'.join(categories)}"


def fetch_announcements(client: PoliteClient, categories: list[str], base_url: str = BASE_URL,
                        flavour: str = "atom") -> tuple[list[PaperRecord], list[str]]:
    """Today's announcements for categories in one request; a day without any gives []."""
    url = feed_url(categories, base_url, flavour)
    resp = client.get(url)
    if resp.status_code != 200:
        raise SourceError(f"{url}: HTTP {resp.status_code}")
    return parse_announcements(resp.content)
