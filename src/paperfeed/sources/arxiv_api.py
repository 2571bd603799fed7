"""The arXiv API (Atom): id lookups in both id styles and with versions, and paged queries.

Every request goes through a PoliteClient, which keeps arXiv's terms: at most one request every
3 seconds and one connection at a time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from paperfeed.ids import InvalidId, abs_url, parse_arxiv_id, pdf_url
from paperfeed.records import PaperRecord, RecordError, iso_date, validate
from paperfeed.sources.atom import NS, FeedParseError, parse_xml, text_of
from paperfeed.sources.http import PoliteClient, SourceError

log = logging.getLogger(__name__)

BASE_URL = "https://export.arxiv.org/api/query"
MAX_PAGE = 2000  # arXiv's documented ceiling for max_results in one call
LOOKUP_BATCH = 100  # ids per id_list request: keeps URLs short and one page per batch
EMPTY_PAGE_RETRIES = 2  # arXiv now and then answers a page inside the results with no entries
SORT_BY = ("relevance", "lastUpdatedDate", "submittedDate")
SORT_ORDER = ("ascending", "descending")
# Older API responses also list ACM (e.g. "I.2.7") and MSC ("68T05") classes as <category>.
_CATEGORY = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z\-]+)?$")


class ArxivAPIError(SourceError):
    """arXiv answered with an error entry (e.g. a malformed id); the message is arXiv's."""


@dataclass
class FeedPage:
    """One API response: its records and the opensearch totals."""

    records: list[PaperRecord] = field(default_factory=list)
    total_results: int = 0
    start_index: int = 0
    items_per_page: int = 0
    errors: list[str] = field(default_factory=list)  # entries that could not be read


class Lookup(NamedTuple):
    """The records found for an id lookup and the ids arXiv does not know."""

    records: list[PaperRecord]
    missing: list[str]


def _int(root: Any, path: str) -> int:
    """An integer element such as opensearch:totalResults; 0 when absent or not a number."""
    raw = text_of(root, path)
    return int(raw) if raw and raw.strip().isdigit() else 0


def _categories(entry: Any) -> list[str]:
    """arxiv:primary_category first, then the other arXiv category terms, without repeats."""
    primary = entry.find("arxiv:primary_category", NS)
    terms = [primary.get("term")] if primary is not None else []
    terms += [c.get("term") for c in entry.findall("atom:category", NS)]
    return [t for t in dict.fromkeys(terms) if t and _CATEGORY.match(t)]


def parse_entry(entry: Any) -> PaperRecord:
    """One Atom entry -> a validated record (source "arxiv-api")."""
    raw_id = text_of(entry, "atom:id") or ""
    try:
        paper_id, version = parse_arxiv_id(raw_id)
    except InvalidId as e:
        raise RecordError(str(e)) from None
    # <published> is the date of v1; <updated> that of the version this entry describes.
    submitted = iso_date(text_of(entry, "atom:published"), "published")
    updated = iso_date(text_of(entry, "atom:updated"), "updated")
    versions = [{"version": 1, "date": submitted}] if submitted else []
    if version and version > 1 and updated:
        versions.append({"version": version, "date": updated})
    rec = PaperRecord(
        id=paper_id,
        title=text_of(entry, "atom:title") or "",
        abstract=text_of(entry, "atom:summary") or "",
        source="arxiv-api",
        authors=[n.text for n in entry.findall("atom:author/atom:name", NS) if n.text] or None,
        categories=_categories(entry) or None,
        submitted=submitted,
        updated=updated,
        version=version,
        versions=versions or None,
        comment=text_of(entry, "arxiv:comment"),
        journal_ref=text_of(entry, "arxiv:journal_ref"),
        doi=text_of(entry, "arxiv:doi"),
        links={"abs": abs_url(paper_id), "pdf": pdf_url(paper_id)},
        raw={"id": raw_id, "version": version},
    )
    return validate(rec)


def _error_message(entry: Any) -> str | None:
    """arXiv's message when `entry` is an error entry (id under /api/errors), else None."""
    entry_id = text_of(entry, "atom:id") or ""
    if "/api/errors" not in entry_id:
        return None
    return text_of(entry, "atom:summary") or entry_id


def parse_feed(xml: bytes) -> FeedPage:
    """A whole API response; an error entry raises ArxivAPIError with arXiv's own message."""
    root = parse_xml(xml, "arXiv API response")
    if root.tag != f"{{{NS['atom']}}}feed":
        raise FeedParseError(f"arXiv API response: expected an Atom feed, got <{root.tag}>")
    page = FeedPage(
        total_results=_int(root, "opensearch:totalResults"),
        start_index=_int(root, "opensearch:startIndex"),
        items_per_page=_int(root, "opensearch:itemsPerPage"),
    )
    for entry in root.findall("atom:entry", NS):
        if (message := _error_message(entry)) is not None:
            raise ArxivAPIError(f"arXiv API error: {message}")
        try:
            page.records.append(parse_entry(entry))
        except RecordError as e:
            page.errors.append(f"{text_of(entry, 'atom:id') or 'entry'}: {e}")
    return page


class ArxivAPI:
    """Queries export.arxiv.org/api/query politely (PoliteClient keeps arXiv's pace)."""

    def __init__(self, client: PoliteClient, base_url: str = BASE_URL) -> None:
        self.client, self.base_url = client, base_url or BASE_URL

    def _get(self, params: dict[str, str]) -> FeedPage:
        """One request; HTTP errors become ArxivAPIError (arXiv's message) or SourceError."""
        resp = self.client.get(self.base_url, params=params)
        if resp.status_code < 400:
            return parse_feed(resp.content)
        # arXiv explains a 400 in an Atom error entry; anything else is reported by status.
        try:
            parse_feed(resp.content)
        except ArxivAPIError:
            raise
        except SourceError:
            pass
        raise SourceError(f"{self.base_url}: HTTP {resp.status_code}")

    def lookup_with_missing(self, ids: list[str], batch: int = LOOKUP_BATCH) -> Lookup:
        """Papers by id (2503.12843, 2503.12843v2, hep-th/9901001) and the ids not found."""
        for raw in ids:
            parse_arxiv_id(raw)  # raises InvalidId (a ValueError) before asking arXiv anything
        wanted = list(dict.fromkeys(i.strip() for i in ids))
        batch = max(1, min(batch, MAX_PAGE))
        records: list[PaperRecord] = []
        for i in range(0, len(wanted), batch):
            chunk = wanted[i : i + batch]
            # max_results must cover the batch: its default (10) would drop the rest silently.
            page = self._get({"search_query": "", "id_list": ",".join(chunk),
                              "start": "0", "max_results": str(batch)})
            records.extend(page.records)
        found = {r.id for r in records}
        missing = [i for i in wanted if parse_arxiv_id(i)[0] not in found]
        return Lookup(records, missing)

    def lookup(self, ids: list[str], batch: int = LOOKUP_BATCH) -> list[PaperRecord]:
        """Papers by id; ids arXiv does not know are logged as a warning and left out."""
        records, missing = self.lookup_with_missing(ids, batch)
        if missing:
            log.warning("arXiv API: no such paper: %s", ", ".join(missing))
        return records

    def _page(self, params: dict[str, str], start: int, total: int) -> FeedPage:
        """One page of a query; an empty page before the known end is asked for again."""
        for _ in range(EMPTY_PAGE_RETRIES + 1):
            page = self._get(params)
            if page.records or page.errors or not total or start >= total:
                return page
        raise SourceError(f"{self.base_url}: arXiv kept answering an empty page at start={start}"
                          f" of {total} results; try again later")

    def search(self, query: str, max_results: int, page_size: int = 100, *,
               sort_by: str = "relevance", sort_order: str = "descending",
               ) -> Iterator[PaperRecord]:
        """Records matching an arXiv query (e.g. 'cat:cs.CL AND ti:attention'), paged."""
        if not query.strip():
            raise ValueError("search: the query is empty")
        if sort_by not in SORT_BY or sort_order not in SORT_ORDER:
            raise ValueError(f"search: sort_by must be one of {', '.join(SORT_BY)} and "
                             f"sort_order one of {', '.join(SORT_ORDER)}")
        page_size = max(1, min(page_size, MAX_PAGE))
        start, total = 0, 0
        while start < max_results:
            n = min(page_size, max_results - start)
            params = {"search_query": query, "id_list": "", "sortBy": sort_by,
                      "sortOrder": sort_order, "start": str(start), "max_results": str(n)}
            page = self._page(params, start, total)
            total = page.total_results
            for e in page.errors:
                log.warning("arXiv API: skipped an entry: %s", e)
            yield from page.records[:n]
            read = len(page.records) + len(page.errors)
            if read == 0:
                return  # past the last result
            start += read
            if total and start >= total:
                return
