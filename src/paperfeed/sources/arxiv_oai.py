"""arXiv OAI-PMH harvesting: ListRecords and GetRecord for metadataPrefix arXiv and arXivRaw.

The base URL is https://oaipmh.arxiv.org/oai. arXiv's terms allow one request every 3 seconds over
one connection; the `PoliteClient` passed in enforces that and honours 503 Retry-After.
OAI datestamps are day-granular, so incremental harvests restart a day before the last watermark
(`next_from_date`); storing a paper twice is idempotent downstream.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lxml import etree

from paperfeed.ids import InvalidId, abs_url, parse_arxiv_id, pdf_url
from paperfeed.records import PaperRecord, RecordError, clean_text, iso_date, validate
from paperfeed.sources.http import PoliteClient, SourceError

BASE_URL = "https://oaipmh.arxiv.org/oai"
T = TypeVar("T")
PREFIXES = ("arXiv", "arXivRaw")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Author-list separators in arXivRaw: commas, semicolons, " and ", " & ", and the Oxford-comma
# ", and " (real data: "D.V. Shetty, S.J. Yennello, and G.A. Souliotis").
_AUTHOR_SEP = re.compile(r"\s*[,;]\s*(?:(?:and|&)\s+)?|\s+(?:and|&)\s+")
# Name suffixes that a comma split detaches from the name before them ("John Smith, Jr.").
_SUFFIX = re.compile(r"^(?:jr|sr|ii|iii|iv|v)\.?$", re.IGNORECASE)
_ET_AL = re.compile(r"^et\.?\s+al\.?$", re.IGNORECASE)
_DOI_SEP = re.compile(r"[\s,;]+")
# No entity expansion or network access: the XML comes from the network.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)


class OAIError(SourceError):
    """An OAI-PMH error reply (<error code="...">): `code` is the OAI error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"OAI-PMH {code}: {message}")
        self.code, self.message = code, message


class OAIParseError(SourceError):
    """The reply is not well-formed OAI-PMH XML."""


@dataclass(slots=True)
class RecordIssue:
    """A record of a page that could not be turned into a PaperRecord."""

    identifier: str  # the OAI identifier, e.g. oai:arXiv.org:0704.0471 ("?" when missing)
    error: str


@dataclass(slots=True)
class Page:
    """One ListRecords reply: papers, deletions, per-record problems and paging state."""

    records: list[PaperRecord] = field(default_factory=list)
    deleted_ids: list[str] = field(default_factory=list)
    resumption_token: str | None = None  # token for the next page; None when the list is complete
    complete_list_size: int | None = None
    cursor: int | None = None
    errors: list[RecordIssue] = field(default_factory=list)
    max_datestamp: str | None = None  # latest header datestamp on this page (the watermark)
    response_date: str | None = None  # the server's responseDate


# --- XML helpers (namespace-agnostic: one recorded reply puts <arXiv> in the OAI namespace) ---


def _local(el: Any) -> str:
    """The element's name without namespace ('' for comments and processing instructions)."""
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kids(el: Any, name: str) -> list[Any]:
    """Direct children named `name`."""
    return [c for c in el if _local(c) == name]


def _kid(el: Any, name: str) -> Any | None:
    """The first direct child named `name`, or None."""
    return next((c for c in el if _local(c) == name), None)


def _text(el: Any, name: str) -> str | None:
    """Whitespace-collapsed text of the first child named `name`; None when absent or empty."""
    child = _kid(el, name)
    return None if child is None else clean_text("".join(child.itertext()))


def _parse_xml(xml_bytes: bytes) -> Any:
    """Parse an OAI-PMH reply; raise OAIParseError for anything that is not one."""
    if not xml_bytes or not xml_bytes.strip():
        raise OAIParseError("empty reply where OAI-PMH XML was expected")
    try:
        root = etree.fromstring(xml_bytes, _PARSER)
    except etree.XMLSyntaxError as e:
        raise OAIParseError(f"malformed OAI-PMH XML: {e}") from None
    if _local(root) != "OAI-PMH":
        raise OAIParseError(f"not an OAI-PMH reply: root element is <{_local(root)}>")
    return root


def _raise_oai_error(root: Any) -> None:
    """Raise OAIError for an <error> reply (the first error when there are several)."""
    err = _kid(root, "error")
    if err is not None:
        code = err.get("code") or "unknown"
        raise OAIError(code, clean_text("".join(err.itertext())) or "(no message)")


# --- authors ---


def _strip_parens(text: str) -> str:
    """Drop parenthesised text (affiliations), nested or not; an unclosed '(' drops the rest."""
    out, depth = [], 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def split_authors(text: str | None) -> list[str]:
    """Split an arXivRaw author string into names, dropping affiliations in parentheses."""
    if not text:
        return []
    names: list[str] = []
    for piece in _AUTHOR_SEP.split(_strip_parens(clean_text(text) or "")):
        name = clean_text(piece)
        if not name or _ET_AL.match(name):
            continue
        if _SUFFIX.match(name) and names:
            names[-1] = f"{names[-1]} {name}"
        else:
            names.append(name)
    return names


def _author_name(el: Any) -> str | None:
    """'Forenames Keyname Suffix' from an <author>; None for arXiv's ':' placeholder entries."""
    # One recorded reply has two <keyname>s in an author; keep both rather than lose one.
    keyname = clean_text(" ".join("".join(k.itertext()) for k in _kids(el, "keyname")))
    if not keyname or keyname == ":":
        return None
    parts = [_text(el, "forenames"), keyname, _text(el, "suffix")]
    return " ".join(p for p in parts if p)


# --- records ---


def _metadata_child(rec_el: Any) -> Any:
    """The format element inside a <record>'s <metadata>; RecordError when there is none."""
    md = _kid(rec_el, "metadata")
    inner = None if md is None else next((c for c in md if _local(c)), None)
    if inner is None:
        raise RecordError("metadata: missing")
    return inner


def _metadata_elem(elem: Any, name: str) -> Any:
    """Accept the <record> or the metadata element itself; return the metadata element."""
    if _local(elem) == "record":
        elem = _metadata_child(elem)
    if _local(elem) != name:
        raise RecordError(f"metadata: expected <{name}>, got <{_local(elem)}>")
    return elem


def _header_info(elem: Any) -> dict[str, Any]:
    """Datestamp and sets from the <record>'s header (empty when given the metadata element)."""
    header = _kid(elem, "header") if _local(elem) == "record" else None
    if header is None:
        return {}
    return {"datestamp": _text(header, "datestamp"),
            "sets": [s.text.strip() for s in _kids(header, "setSpec") if s.text]}


def _dois(value: str | None) -> list[str]:
    """All DOIs of a <doi> field (arXiv separates several with spaces, commas or semicolons)."""
    return [d for d in _DOI_SEP.split(value or "") if d]


def _common(md: Any, paper_id: str, source: str, raw: dict[str, Any]) -> PaperRecord:
    """The fields both formats share; raw keeps the ones PaperRecord has no place for."""
    dois = _dois(_text(md, "doi"))
    if len(dois) > 1:
        raw["dois"] = dois
    for tag in ("report-no", "msc-class", "acm-class", "proxy"):
        if value := _text(md, tag):
            raw[tag.replace("-", "_")] = value
    return PaperRecord(
        id=paper_id,
        title=_text(md, "title") or "",
        abstract=_text(md, "abstract") or "",
        source=source,
        categories=(_text(md, "categories") or "").split() or None,
        comment=_text(md, "comments"),
        journal_ref=_text(md, "journal-ref"),
        doi=dois[0] if dois else None,
        license=_text(md, "license"),
        raw=raw,
    )


def _finish(rec: PaperRecord) -> PaperRecord:
    """Validate and add the abstract/PDF links."""
    validate(rec)
    rec.links = {"abs": abs_url(rec.id), "pdf": pdf_url(rec.id), **rec.links}
    return rec


def parse_arxiv_record(elem: Any) -> PaperRecord:
    """Parse a metadataPrefix=arXiv <record> (or its <arXiv> element); raise RecordError."""
    md = _metadata_elem(elem, "arXiv")
    raw: dict[str, Any] = {"format": "arXiv", **_header_info(elem)}
    rec = _common(md, _text(md, "id") or "", "oai-arXiv", raw)
    authors_el = _kid(md, "authors")  # not `or`: an lxml element with no children is falsy
    names = [] if authors_el is None else [_author_name(a) for a in _kids(authors_el, "author")]
    rec.authors = [n for n in names if n] or None
    rec.submitted = iso_date(_text(md, "created"), "created")
    # <updated> appears only when there is a later version; the version count is not given.
    rec.updated = iso_date(_text(md, "updated"), "updated")
    return _finish(rec)


def _versions(md: Any) -> list[dict[str, Any]]:
    """[{"version": n, "date": ISO}] from arXivRaw's <version version="vN"><date>RFC 2822</date>."""
    out = []
    for v in _kids(md, "version"):
        label = (v.get("version") or "").strip()
        if not re.fullmatch(r"v\d+", label):
            raise RecordError(f"version: bad version label {label!r}")
        date = iso_date(_text(v, "date"), f"version {label} date")
        out.append({"version": int(label[1:]), "date": date})
    return sorted(out, key=lambda v: v["version"])


def parse_arxivraw_record(elem: Any) -> PaperRecord:
    """Parse a metadataPrefix=arXivRaw <record> (or its <arXivRaw> element); raise RecordError."""
    md = _metadata_elem(elem, "arXivRaw")
    raw: dict[str, Any] = {"format": "arXivRaw", **_header_info(elem)}
    if submitter := _text(md, "submitter"):
        raw["submitter"] = submitter
    rec = _common(md, _text(md, "id") or "", "oai-arXivRaw", raw)
    rec.authors = split_authors(_text(md, "authors")) or None
    if versions := _versions(md):
        rec.versions = versions
        rec.submitted = versions[0]["date"]
        rec.updated = versions[-1]["date"]
        rec.version = versions[-1]["version"]
    return _finish(rec)


_PARSERS = {"arXiv": parse_arxiv_record, "arXivRaw": parse_arxivraw_record}


def _parse_record(rec_el: Any, page: Page) -> None:
    """Add one <record> to the page: a paper, a deletion, or an entry in page.errors."""
    header = _kid(rec_el, "header")
    identifier = (_text(header, "identifier") if header is not None else None) or "?"
    try:
        if header is None:
            raise RecordError("header: missing")
        if stamp := iso_date(_text(header, "datestamp"), "datestamp"):
            page.max_datestamp = max(page.max_datestamp or stamp, stamp)
        if header.get("status") == "deleted":
            page.deleted_ids.append(parse_arxiv_id(identifier)[0])
            return
        inner = _metadata_child(rec_el)
        parse = _PARSERS.get(_local(inner))
        if parse is None:
            raise RecordError(f"metadata: unsupported format <{_local(inner)}>")
        page.records.append(parse(rec_el))
    except (RecordError, InvalidId) as e:
        page.errors.append(RecordIssue(identifier, str(e)))


def _int_attr(el: Any, name: str) -> int | None:
    """An integer attribute, or None when absent or not a number."""
    value = (el.get(name) or "").strip()
    return int(value) if value.isdigit() else None


def parse_list_records(xml_bytes: bytes) -> Page:
    """Parse a ListRecords reply; noRecordsMatch is an empty page, other OAI errors raise."""
    root = _parse_xml(xml_bytes)
    page = Page(response_date=_text(root, "responseDate"))
    try:
        _raise_oai_error(root)
    except OAIError as e:
        if e.code == "noRecordsMatch":  # nothing new since `from`: not a failure
            return page
        raise
    lr = _kid(root, "ListRecords")
    if lr is None:
        raise OAIParseError("OAI-PMH reply has neither <ListRecords> nor <error>")
    for rec_el in _kids(lr, "record"):
        _parse_record(rec_el, page)
    token_el = _kid(lr, "resumptionToken")
    if token_el is not None:
        # An empty token on the last page means the list is complete.
        page.resumption_token = clean_text(token_el.text)
        page.complete_list_size = _int_attr(token_el, "completeListSize")
        page.cursor = _int_attr(token_el, "cursor")
    return page


def parse_get_record(xml_bytes: bytes) -> PaperRecord | None:
    """Parse a GetRecord reply; None for idDoesNotExist or a deleted record."""
    root = _parse_xml(xml_bytes)
    try:
        _raise_oai_error(root)
    except OAIError as e:
        if e.code == "idDoesNotExist":
            return None
        raise
    gr = _kid(root, "GetRecord")
    rec_el = None if gr is None else _kid(gr, "record")
    if rec_el is None:
        raise OAIParseError("OAI-PMH reply has neither <GetRecord><record> nor <error>")
    page = Page()
    _parse_record(rec_el, page)
    if page.errors:
        issue = page.errors[0]
        raise RecordError(f"{issue.identifier}: {issue.error}")
    return page.records[0] if page.records else None


# --- validation and watermarks ---


def _check_prefix(prefix: str) -> str:
    """Return `prefix` if arXiv serves it through this module, else raise ValueError."""
    if prefix not in PREFIXES:
        raise ValueError(f"metadataPrefix {prefix!r} is not supported; use one of {PREFIXES}")
    return prefix


def _check_day(value: str, what: str) -> str:
    """Return a YYYY-MM-DD date (OAI day granularity), else raise ValueError."""
    try:
        if _DAY.match(value):
            return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise ValueError(f"{what}: {value!r} is not a date; expected YYYY-MM-DD (e.g. 2024-03-01)")


def next_from_date(last_until_or_datestamp: str | None, overlap_days: int = 1) -> str | None:
    """The `from` of the next incremental harvest: the last watermark minus `overlap_days`."""
    if last_until_or_datestamp is None or not last_until_or_datestamp.strip():
        return None  # no watermark yet: harvest everything
    if overlap_days < 0:
        raise ValueError(f"overlap_days must be >= 0, got {overlap_days}")
    try:
        day = iso_date(last_until_or_datestamp, "watermark")
    except RecordError as e:
        raise ValueError(str(e)) from None
    assert day is not None
    return (dt.date.fromisoformat(day) - dt.timedelta(days=overlap_days)).isoformat()


# --- the harvester ---


class OAIHarvester:
    """ListRecords with resumptionToken paging and GetRecord against arXiv's OAI-PMH endpoint."""

    def __init__(self, client: PoliteClient, base_url: str = BASE_URL) -> None:
        self.client = client
        self.base_url = base_url
        self.max_datestamp: str | None = None  # latest header datestamp seen by this harvester

    def list_records(
        self,
        prefix: str = "arXiv",
        set_: str | None = None,
        from_: str | None = None,
        until: str | None = None,
        resumption_token: str | None = None,
    ) -> Iterator[Page]:
        """Yield ListRecords pages; each page's resumption_token resumes after it."""
        _check_prefix(prefix)
        if resumption_token:
            # OAI-PMH: a resumptionToken request carries no other argument than the verb.
            params = {"verb": "ListRecords", "resumptionToken": resumption_token}
        else:
            params = self._list_params(prefix, set_, from_, until)
        while True:
            page = self._fetch_page(params)
            if page.max_datestamp:
                self.max_datestamp = max(self.max_datestamp or "", page.max_datestamp)
            yield page
            if not page.resumption_token:
                return
            params = {"verb": "ListRecords", "resumptionToken": page.resumption_token}

    def get_record(self, arxiv_id: str, prefix: str = "arXiv") -> PaperRecord | None:
        """One paper by arXiv id (version ignored); None when arXiv does not know it."""
        _check_prefix(prefix)
        paper_id = parse_arxiv_id(arxiv_id)[0]
        params = {"verb": "GetRecord", "identifier": f"oai:arXiv.org:{paper_id}",
                  "metadataPrefix": prefix}
        return self._request(params, parse_get_record)

    @staticmethod
    def _list_params(prefix: str, set_: str | None, from_: str | None,
                     until: str | None) -> dict[str, str]:
        """The arguments of a first ListRecords request, validated."""
        params = {"verb": "ListRecords", "metadataPrefix": prefix}
        if set_ is not None:
            if not set_.strip() or any(ch.isspace() for ch in set_):
                raise ValueError(f"set: {set_!r} is not a set spec (e.g. 'cs' or 'physics:hep-th')")
            params["set"] = set_
        if from_ is not None:
            params["from"] = _check_day(from_, "from")
        if until is not None:
            params["until"] = _check_day(until, "until")
        if from_ and until and params["from"] > params["until"]:
            raise ValueError(f"from ({from_}) is after until ({until})")
        return params

    def _fetch_page(self, params: dict[str, str]) -> Page:
        """One ListRecords page, with a helpful message when a resumption token has expired."""
        try:
            return self._request(params, parse_list_records)
        except OAIError as e:
            if e.code != "badResumptionToken":
                raise
            raise OAIError(
                e.code,
                f"{e.message}. The resumptionToken {params.get('resumptionToken')!r} was "
                "rejected, most likely because it expired (arXiv's tokens expire daily). Re-run "
                "the harvest from its watermark (the last stored datestamp) instead of resuming "
                "with the old token.",
            ) from None

    def _request(self, params: dict[str, str], parse: Callable[[bytes], T]) -> T:
        """GET the endpoint and parse the reply; raise SourceError naming the URL on failure."""
        resp = self.client.get(self.base_url, params=params)
        try:
            # Parse whatever the status: some OAI-PMH servers send <error> replies with a 4xx.
            result = parse(resp.content)
        except OAIParseError as e:
            if resp.status_code != 200:
                raise SourceError(f"{resp.url}: HTTP {resp.status_code}") from None
            raise OAIParseError(f"{resp.url}: {e}") from None
        if resp.status_code != 200:
            raise SourceError(f"{resp.url}: HTTP {resp.status_code}")
        return result
