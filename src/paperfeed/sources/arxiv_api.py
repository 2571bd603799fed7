"""The arXiv API (Atom): id lookups in both id styles and with versions, and paged queries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from paperfeed.ids import InvalidId, abs_url, parse_arxiv_id, pdf_url
from paperfeed.records import PaperRecord, RecordError, iso_date, validate
from paperfeed.sources.atom import NS, parse_xml, text_of
from paperfeed.sources.http import PoliteClient, SourceError

BASE_URL = "https://export.arxiv.org/api/query"
MAX_PAGE = 2000  # arXiv's documented ceiling for max_results in one call


class ArxivAPIError(SourceError):
    """arXiv answered with an error entry (e.g. a malformed id); the message is arXiv's."""


@dataclass
class FeedPage:
    records: list[PaperRecord] = field(default_factory=list)
    total_results: int = 0
    start_index: int = 0
    items_per_page: int = 0
    errors: list[str] = field(default_factory=list)  # entries that could not be read


def _int(root: Any, path: str) -> int:
    raw = text_of(root, path)
    return int(raw) if raw and raw.strip().isdigit() else 0


def parse_entry(entry: Any) -> PaperRecord:
    """One Atom entry -> a validated record (source "arxiv-api")."""
    raw_id = text_of(entry, "atom:id") or ""
    try:
        paper_id, version = parse_arxiv_id(raw_id)
    except InvalidId as e:
        raise RecordError(str(e)) from None
    primary = entry.find("arxiv:primary_category", NS)
    cats = [primary.get("term")] if primary is not None else []
    cats += [c.get("term") for c in entry.findall("atom:category", NS)]
    links: dict[str, str] = {}
    for link in entry.findall("atom:link", NS):
        if link.get("title") == "doi":
            links["doi"] = link.get("href")
    rec = PaperRecord(
        id=paper_id,
        title=text_of(entry, "atom:title") or "",
        abstract=text_of(entry, "atom:summary") or "",
        source="arxiv-api",
        authors=[n.text for n in entry.findall("atom:author/atom:name", NS) if n.text],
        categories=[c for c in dict.fromkeys(cats) if c],
        submitted=iso_date(text_of(entry, "atom:published"), "published"),
        updated=iso_date(text_of(entry, "atom:updated"), "updated"),
        version=version,
        comment=text_of(entry, "arxiv:comment"),
        journal_ref=text_of(entry, "arxiv:journal_ref"),
        doi=text_of(entry, "arxiv:doi"),
        links={"abs": abs_url(paper_id), "pdf": pdf_url(paper_id)},
        raw={"id": raw_id, "version": version},
    )
    if version == 1 and rec.submitted:
        rec.versions = [{"version": 1, "date": rec.submitted}]
    return validate(rec)


def parse_feed(xml: bytes) -> FeedPage:
    """A whole API response; an error entry raises ArxivAPIError with arXiv's own message."""
    root = parse_xml(xml, "arXiv API response")
    if root.tag != f"{{{NS['atom']}}}feed":
        raise ArxivAPIError(f"arXiv API: expected an Atom feed, got <{root.tag}>")
    page = FeedPage(
        total_results=_int(root, "opensearch:totalResults"),
        start_index=_int(root, "opensearch:startIndex"),
        items_per_page=_int(root, "opensearch:itemsPerPage"),
    )
    for entry in root.findall("atom:entry", NS):
        entry_id = text_of(entry, "atom:id") or ""
        if "/api/errors" in entry_id:
            raise ArxivAPIError(f"arXiv API error: {text_of(entry, 'atom:summary') or entry_id}")
        try:
            page.records.append(parse_entry(entry))
        except RecordError as e:
            page.errors.append(f"{entry_id or 'entry'}: {e}")
    return page


class ArxivAPI:
    """Queries export.arxiv.org/api/query politely (PoliteClient keeps arXiv's pace)."""

    def __init__(self, client: PoliteClient, base_url: str = BASE_URL) -> None:
        self.client, self.base_url = client, base_url

    def _get(self, params: dict[str, str]) -> FeedPage:
        resp = self.client.get(self.base_url, params=params)
        if resp.status_code >= 400:
            try:
                parse_feed(resp.content)  # arXiv explains 400s in an Atom error entry
            except ArxivAPIError:
                raise
            except SourceError:
                pass
            raise SourceError(f"{self.base_url}: HTTP {resp.status_code}")
        return parse_feed(resp.content)

    def lookup(self, ids: list[str], batch: int = 100) -> list[PaperRecord]:
        """Papers by id (2503.12843, 2503.12843v2, hep-th/9901001); unknown ids are skipped."""
        for raw in ids:
            parse_arxiv_id(raw)  # raises InvalidId (a ValueError) naming the bad id
        out: list[PaperRecord] = []
        for i in range(0, len(ids), batch):
            chunk = ids[i : i + batch]
            page = self._get({"search_query": "", "id_list": ",".join(chunk),
                              "start": "0", "max_results": str(batch)})
            out.extend(page.records)
        return out

    def search(self, query: str, max_results: int, page_size: int = 100) -> Iterator[PaperRecord]:
        """Records matching an arXiv query (e.g. 'cat:cs.CL AND ti:attention'), paged."""
        if not query.strip():
            raise ValueError("search: the query is empty")
        page_size = max(1, min(page_size, MAX_PAGE))
        start, seen = 0, 0
        while seen < max_results:
            n = min(page_size, max_results - seen)
            page = self._get({"search_query": query, "id_list": "", "sortBy": "relevance",
                              "sortOrder": "descending", "start": str(start),
                              "max_results": str(n)})
            if not page.records:
                return
            for rec in page.records[: max_results - seen]:
                yield rec
                seen += 1
            start += len(page.records)
            if page.total_results and start >= page.total_results:
                return
