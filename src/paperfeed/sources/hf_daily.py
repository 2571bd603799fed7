"""Hugging Face Daily Papers (`/api/daily_papers?date=|week=|month=`): upvotes and more.

Upvotes, comment counts, the submitter and (in newer responses) ai_summary, ai_keywords,
githubRepo, projectPage, submittedOnDailyAt and organization go to HFInfo; the paper itself is
keyed by its arXiv id so the upvotes attach to the arXiv paper of the same id. HF's dates are
its own (publishedAt is when it listed the paper), so submitted/announced stay empty.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import orjson

from paperfeed.ids import InvalidId, abs_url, parse_arxiv_id, pdf_url
from paperfeed.records import HFInfo, PaperRecord, RecordError, validate
from paperfeed.sources.http import PoliteClient, SourceError

BASE_URL = "https://huggingface.co"
MIN_INTERVAL = 0.5  # HF is not bound by arXiv's 3 s; half a second is polite enough
PAGE_LIMIT = 100  # the API's largest `limit`; its default is 50, too few for a week or month
MAX_PAGES = 50  # a month is ~1,500 papers: 50 pages of 100 is plenty, and bounds a bad server
_FORMATS = {
    "date": (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "YYYY-MM-DD, e.g. 2024-10-25"),
    "week": (re.compile(r"^(\d{4})-W(\d{2})$"), "YYYY-Www, e.g. 2024-W43"),
    "month": (re.compile(r"^(\d{4})-(\d{2})$"), "YYYY-MM, e.g. 2024-10"),
}


def _opt_str(value: Any) -> str | None:
    """`value` when it is non-blank text, else None."""
    return value if isinstance(value, str) and value.strip() else None


def _obj(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else {} (fields vary across response versions)."""
    return value if isinstance(value, dict) else {}


def _get(item: dict[str, Any], paper: dict[str, Any], key: str) -> Any:
    """Newer responses put some keys on the paper, others on the item: look in both."""
    value = paper.get(key)
    return item.get(key) if value is None else value


def _name(who: dict[str, Any]) -> str | None:
    """A person's or organisation's display name, else its handle."""
    return _opt_str(who.get("fullname")) or _opt_str(who.get("name"))


def _hf_info(item: dict[str, Any], paper: dict[str, Any]) -> HFInfo:
    """What HF says of the paper; each key looked up where the real API puts it."""
    upvotes = paper.get("upvotes", 0)
    if not isinstance(upvotes, int) or isinstance(upvotes, bool) or upvotes < 0:
        raise RecordError(f"paper.upvotes: expected a count, got {upvotes!r}")
    comments = item.get("numComments", paper.get("numComments"))
    keywords = _get(item, paper, "ai_keywords")
    submitter = _obj(item.get("submittedBy")) or _obj(paper.get("submittedOnDailyBy"))
    return HFInfo(
        upvotes=upvotes,
        num_comments=comments if isinstance(comments, int) and comments >= 0 else None,
        submitter=_name(submitter),
        ai_summary=_opt_str(_get(item, paper, "ai_summary")),
        ai_keywords=[k for k in keywords if isinstance(k, str)] if isinstance(keywords, list)
        else None,
        github_repo=_opt_str(_get(item, paper, "githubRepo")),
        project_page=_opt_str(_get(item, paper, "projectPage")),
        published_at=_opt_str(paper.get("publishedAt")),
        # Older responses lack submittedOnDailyAt; the item's publishedAt is that same moment.
        submitted_daily_at=_opt_str(_get(item, paper, "submittedOnDailyAt"))
        or _opt_str(item.get("publishedAt")),
        organization=_name(_obj(_get(item, paper, "organization"))),
    )


def parse_item(item: Any) -> PaperRecord:
    """One element of the daily_papers array -> a validated record (source "hf")."""
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        raise RecordError("expected an object with a 'paper' object")
    paper = item["paper"]
    try:
        paper_id, _ = parse_arxiv_id(str(paper.get("id", "")))
    except InvalidId as e:
        raise RecordError(f"paper.id: {e}") from None
    info = _hf_info(item, paper)
    links = {"abs": abs_url(paper_id), "pdf": pdf_url(paper_id)}
    if info.github_repo:
        links["code"] = info.github_repo
    if info.project_page:
        links["project"] = info.project_page
    # Hidden authors (who hid their HF profile link) are still authors: keep them, in order.
    authors = [_obj(a).get("name") for a in paper.get("authors") or []]
    rec = PaperRecord(
        id=paper_id,
        title=_opt_str(paper.get("title")) or _opt_str(item.get("title")) or "",
        abstract=_opt_str(paper.get("summary")) or "",
        source="hf",
        authors=[a for a in authors if isinstance(a, str) and a.strip()] or None,
        links=links,
        hf=info,
        raw={"id": paper_id, "upvotes": info.upvotes, "numComments": info.num_comments,
             "githubRepo": info.github_repo, "projectPage": info.project_page,
             "ai_keywords": info.ai_keywords, "ai_summary": info.ai_summary},
    )
    return validate(rec)


def _load(data: bytes) -> list[Any]:
    """The response's JSON array; SourceError when it is not one."""
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise SourceError(f"Hugging Face daily papers: not JSON ({e})") from None
    if not isinstance(items, list):
        raise SourceError("Hugging Face daily papers: expected a JSON array of papers")
    return items


def _parse_items(items: list[Any], offset: int = 0) -> tuple[list[PaperRecord], list[str]]:
    """Records of `items`, and 'item N: reason' for each one that could not be read."""
    records, errors = [], []
    for n, item in enumerate(items, offset):
        try:
            records.append(parse_item(item))
        except (RecordError, TypeError, ValueError, AttributeError) as e:
            errors.append(f"item {n}: {e}")
    return records, errors


def parse_daily_papers(data: bytes) -> tuple[list[PaperRecord], list[str]]:
    """The records of a response, and one message per item that could not be read."""
    return _parse_items(_load(data))


def check_period(key: str, value: str) -> None:
    """Raise ValueError unless `value` is a real date, ISO week or month in HF's format."""
    pattern, example = _FORMATS[key]
    m = pattern.match(value)
    try:
        if m is None:
            raise ValueError
        year, a = int(m.group(1)), int(m.group(2))
        if key == "date":
            dt.date(year, a, int(m.group(3)))
        elif key == "week":
            dt.date.fromisocalendar(year, a, 1)
        elif not 1 <= a <= 12:
            raise ValueError
    except ValueError:
        raise ValueError(f"{key}: {value!r} is not {example}") from None


class HFDailyPapers:
    """GET /api/daily_papers for a date, an ISO week or a month (none: today's list)."""

    def __init__(self, client: PoliteClient, base_url: str = BASE_URL) -> None:
        self.client, self.base_url = client, (base_url or BASE_URL).rstrip("/")

    def _page(self, url: str, params: dict[str, str]) -> list[Any]:
        """One page of the list; HTTP errors become SourceError with HF's message."""
        resp = self.client.get(url, params=params)
        if resp.status_code != 200:
            try:
                detail = f": {orjson.loads(resp.content)['error']}"
            except (orjson.JSONDecodeError, KeyError, TypeError):
                detail = ""
            raise SourceError(f"{url}: HTTP {resp.status_code}{detail}")
        return _load(resp.content)

    def fetch(self, date: str | None = None, week: str | None = None,
              month: str | None = None) -> tuple[list[PaperRecord], list[str]]:
        """Every paper of the period, page by page, and a message per unreadable item."""
        given = {k: v for k, v in (("date", date), ("week", week), ("month", month)) if v}
        if len(given) > 1:
            raise ValueError("give at most one of date, week, month")
        for key, value in given.items():
            check_period(key, value)
        url = f"{self.base_url}/api/daily_papers"
        records: list[PaperRecord] = []
        errors: list[str] = []
        seen: set[str] = set()
        for p in range(MAX_PAGES):
            items = self._page(url, {**given, "limit": str(PAGE_LIMIT), "p": str(p)})
            got, bad = _parse_items(items, offset=p * PAGE_LIMIT)
            fresh = [r for r in got if r.id not in seen]
            records += fresh
            errors += bad
            seen.update(r.id for r in fresh)
            # A short page is the last; a page of repeats means the server ignores `p`.
            if len(items) < PAGE_LIMIT or (got and not fresh):
                break
        return records, errors
