"""The normalised paper record every source produces and the store consumes."""

from __future__ import annotations

import datetime as dt
import operator
import re
from dataclasses import dataclass, field, fields
from typing import Any

from paperfeed.ids import InvalidId, normalize_paper_id, parse_arxiv_id
from paperfeed.sources.registry import source_priority

# Sources, most authoritative last. A source's fields replace stored ones only when its
# priority is at least that of the stored record (Hugging Face never overrides arXiv).
SOURCE_PRIORITY: dict[str, int] = source_priority()  # declared in sources/registry.py



def _unclean(s: str) -> bool:
    """Whether clean_text would change `s`: substring tests run in C, far faster than a regex."""
    return ("  " in s or "\n" in s or "\t" in s or "\r" in s or "\xa0" in s or "\x00" in s
            or s[:1].isspace() or s[-1:].isspace())


def _squash(s: str) -> str:
    """Whitespace collapsed and NUL bytes dropped (PostgreSQL text cannot hold them)."""
    return " ".join(s.replace("\x00", "").split())


# Upper bounds of a record's fields (docs/security.md, "Availability and limits"): a record
# over one is rejected with the field named, so one hostile line costs that line only.
# arXiv's own limits are far lower (an abstract: 1,920 characters).
LIMITS: dict[str, int] = {
    "title": 2_000, "abstract": 20_000, "comment": 5_000, "journal_ref": 1_000, "doi": 1_000,
    "license": 1_000, "authors": 10_000, "author": 1_000, "categories": 100, "category": 100,
}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RecordError(ValueError):
    """A record that cannot be stored; the message says which field and why."""


@dataclass(slots=True)
class HFInfo:
    """What Hugging Face Daily Papers says of a paper (kept apart from local votes)."""

    upvotes: int = 0
    num_comments: int | None = None
    submitter: str | None = None
    ai_summary: str | None = None
    ai_keywords: list[str] | None = None
    github_repo: str | None = None
    project_page: str | None = None
    published_at: str | None = None
    submitted_daily_at: str | None = None
    organization: str | None = None


@dataclass(slots=True)
class PaperRecord:
    """One paper as one source saw it. Only id, title and abstract are required."""

    id: str
    title: str
    abstract: str
    source: str
    authors: list[str] | None = None
    categories: list[str] | None = None  # primary first
    submitted: str | None = None  # ISO date of v1
    updated: str | None = None  # ISO date of the latest version
    announced: str | None = None  # ISO date arXiv announced it (first listing)
    version: int | None = None
    versions: list[dict[str, Any]] | None = None  # [{"version": 1, "date": "2024-01-02"}, ...]
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    license: str | None = None
    links: dict[str, str] = field(default_factory=dict)  # abs, pdf, code, project
    announce_type: str | None = None  # rss: new | cross | replace | replace-cross
    hf: HFInfo | None = None
    raw: Any = None  # the source's own record, kept as provenance (JSON-able)

    def __reduce__(self) -> tuple[Any, ...]:
        # Positional rebuild: pickles several times faster than the slots default, which
        # matters when bulk import hands parsed batches between processes.
        return (PaperRecord, _FIELDS_OF(self))

    def content_fields(self) -> dict[str, Any]:
        """The paper's own metadata fields (no source bookkeeping)."""
        skip = {"source", "hf", "raw", "announce_type"}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}


_FIELD_NAMES = tuple(f.name for f in fields(PaperRecord))
_FIELDS_OF = operator.attrgetter(*_FIELD_NAMES)  # the fields' values as one tuple, in C


def clean_text(value: Any) -> str | None:
    """Collapse whitespace (arXiv wraps titles and abstracts at fixed width); '' -> None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"expected text, got {type(value).__name__}")
    if not _unclean(value):  # the common case, checked in C without building a word list
        return value or None
    s = _squash(value)
    return s or None


# Dates the app accepts anywhere (records, web parameters, CLI options): far enough from
# date.min/max that a month's or a week's arithmetic around them cannot overflow.
DATE_MIN, DATE_MAX = dt.date(1000, 1, 1), dt.date(8999, 12, 31)
# The same dates as a JSON-schema pattern for YYYY-MM-DD, exact to the calendar (month
# lengths, 29 February in leap years only): what the API documents for its date parameters.
DATE_PATTERN = (
    r"^(?:[1-8][0-9]{3}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    r"|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    r"|(?:[1-8][0-9](?:0[48]|[2468][048]|[13579][26])|(?:1[26]|[2468][048]|[357][26])00)"
    r"-02-29)$")


def date_in_range(d: dt.date, what: str = "date") -> dt.date:
    """`d`, or RecordError (a ValueError) when it is outside DATE_MIN..DATE_MAX."""
    if not DATE_MIN <= d <= DATE_MAX:
        raise RecordError(f"{what}: {d.isoformat()} is out of range ({DATE_MIN.isoformat()} "
                          f"to {DATE_MAX.isoformat()})")
    return d


def parse_date(value: str, what: str = "date") -> dt.date:
    """A YYYY-MM-DD date in range, or RecordError saying what is wrong with it."""
    s = value.strip()
    if not _DATE.match(s):
        raise RecordError(f"{what}: {s!r} is not a date (expected YYYY-MM-DD)")
    try:
        d = dt.date.fromisoformat(s)
    except ValueError as e:
        raise RecordError(f"{what}: {s!r} is not a valid date ({e})") from None
    return date_in_range(d, what)


def iso_date(value: Any, what: str = "date") -> str | None:
    """Accept YYYY-MM-DD, an ISO timestamp or an RFC 2822 date; return YYYY-MM-DD."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise RecordError(f"{what}: expected a date string, got {type(value).__name__}")
    s = value.strip()
    if _DATE.match(s):
        try:
            date_in_range(dt.date.fromisoformat(s), what)
        except RecordError:
            raise
        except ValueError as e:
            raise RecordError(f"{what}: {s!r} is not a valid date") from e
        return s
    try:
        return date_in_range(
            dt.datetime.fromisoformat(s.replace("Z", "+00:00")).date(), what).isoformat()
    except RecordError:
        raise
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return date_in_range(parsedate_to_datetime(s).date(), what).isoformat()
    except RecordError:
        raise
    except (TypeError, ValueError, IndexError, OverflowError) as e:
        raise RecordError(f"{what}: {s!r} is not a date (expected YYYY-MM-DD)") from e


def validate(rec: PaperRecord) -> PaperRecord:
    """Normalise a record in place and raise RecordError naming the first bad field."""
    if not isinstance(rec.id, str) or not rec.id.strip():
        raise RecordError("id: missing")
    if "\x00" in rec.id:
        raise RecordError("id: contains a NUL byte")
    try:
        arxiv_id, version = parse_arxiv_id(rec.id)
    except InvalidId:
        try:
            rec.id = normalize_paper_id(rec.id)
        except InvalidId as e:
            raise RecordError(f"id: {e}") from None
    else:
        rec.id = arxiv_id
        if rec.version is None:
            rec.version = version
    title = clean_text(rec.title) if isinstance(rec.title, str) else None
    if not title:
        raise RecordError("title: missing or empty")
    abstract = clean_text(rec.abstract) if isinstance(rec.abstract, str) else None
    if not abstract:
        raise RecordError("abstract: missing or empty")
    rec.title, rec.abstract = title, abstract
    if rec.authors is not None:
        if not isinstance(rec.authors, list) or not set(map(type, rec.authors)) <= {str}:
            raise RecordError("authors: expected a list of names")
        # One check over all names at once; clean name by name only when something is off.
        if "" in rec.authors or _unclean(" ".join(rec.authors)):
            names = (_squash(a) for a in rec.authors)
            rec.authors = [a for a in names if a] or None
        rec.authors = rec.authors or None
    if rec.categories is not None:
        if not isinstance(rec.categories, list) or not set(map(type, rec.categories)) <= {str}:
            raise RecordError("categories: expected a list of category names")
        cats = rec.categories
        if "" in cats or _unclean(" ".join(cats)):
            cats = [c for c in map(_squash, cats) if c]
        if max(map(len, cats), default=0) > LIMITS["category"]:
            # No arXiv category is near the limit: such an entry is a subject-class list
            # that leaked into the field (arXiv's MSC/ACM codes). Drop it, keep the paper.
            cats = [c for c in cats if len(c) <= LIMITS["category"]]
        rec.categories = list(dict.fromkeys(cats)) if len(cats) > 1 else (cats or None)
    rec.submitted = iso_date(rec.submitted, "submitted")
    rec.updated = iso_date(rec.updated, "updated")
    rec.announced = iso_date(rec.announced, "announced")
    if rec.version is not None and (not isinstance(rec.version, int) or rec.version < 1):
        raise RecordError(f"version: expected a positive integer, got {rec.version!r}")
    for name in ("comment", "journal_ref", "doi", "license"):
        setattr(rec, name, clean_text(getattr(rec, name)))
    _check_limits(rec)
    if rec.hf is not None:
        for f in fields(rec.hf):
            v = getattr(rec.hf, f.name)
            if isinstance(v, str) and "\x00" in v:
                setattr(rec.hf, f.name, v.replace("\x00", ""))
            elif isinstance(v, list) and any(isinstance(x, str) and "\x00" in x for x in v):
                setattr(rec.hf, f.name, [x.replace("\x00", "") if isinstance(x, str) else x
                                         for x in v])
    return rec


def _over(what: str, n: int, unit: str = "characters") -> RecordError:
    return RecordError(f"{what}: {n:,} {unit}, over the limit of {LIMITS[what.split()[0]]:,}")


def _check_limits(rec: PaperRecord) -> None:
    """RecordError naming the first field over its bound in LIMITS."""
    for name in ("title", "abstract", "comment", "journal_ref", "doi", "license"):
        value = getattr(rec, name)
        if value is not None and len(value) > LIMITS[name]:
            raise _over(name, len(value))
    for many, one, items in (("authors", "author", rec.authors),
                             ("categories", "category", rec.categories)):
        if not items:
            continue
        if len(items) > LIMITS[many]:
            raise _over(many, len(items), "names")
        longest = max(items, key=len)
        if len(longest) > LIMITS[one]:
            raise RecordError(f"{many}: a name of {len(longest):,} characters, over the limit "
                              f"of {LIMITS[one]:,}")
