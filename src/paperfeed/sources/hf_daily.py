"""Hugging Face Daily Papers (`/api/daily_papers?date=|week=|month=`): upvotes and more.

Upvotes, comment counts, the submitter and (in newer responses) ai_summary, ai_keywords,
githubRepo, projectPage, submittedOnDailyAt and organization go to HFInfo; the paper itself is
keyed by its arXiv id so the upvotes attach to the arXiv paper of the same id.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from paperfeed.ids import InvalidId, abs_url, parse_arxiv_id, pdf_url
from paperfeed.records import HFInfo, PaperRecord, RecordError, validate
from paperfeed.sources.http import PoliteClient, SourceError

BASE_URL = "https://huggingface.co"
_FORMATS = {
    "date": (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "YYYY-MM-DD, e.g. 2024-10-25"),
    "week": (re.compile(r"^\d{4}-W\d{2}$"), "YYYY-Www, e.g. 2024-W43"),
    "month": (re.compile(r"^\d{4}-\d{2}$"), "YYYY-MM, e.g. 2024-10"),
}


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _get(item: dict[str, Any], paper: dict[str, Any], key: str) -> Any:
    """Newer responses put some keys on the paper, older ones on the item: look in both."""
    return paper.get(key, item.get(key))


def parse_item(item: Any) -> PaperRecord:
    """One element of the daily_papers array -> a validated record (source "hf")."""
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        raise RecordError("expected an object with a 'paper' object")
    paper = item["paper"]
    try:
        paper_id, _ = parse_arxiv_id(str(paper.get("id", "")))
    except InvalidId as e:
        raise RecordError(f"paper.id: {e}") from None
    upvotes = paper.get("upvotes", 0)
    if not isinstance(upvotes, int) or upvotes < 0:
        raise RecordError(f"paper.upvotes: expected a count, got {upvotes!r}")
    submitter = item.get("submittedBy") or paper.get("submittedOnDailyBy") or {}
    org = _get(item, paper, "organization") or {}
    keywords = _get(item, paper, "ai_keywords")
    info = HFInfo(
        upvotes=upvotes,
        num_comments=item.get("numComments") if isinstance(item.get("numComments"), int) else None,
        submitter=_opt_str(submitter.get("fullname")) or _opt_str(submitter.get("name")),
        ai_summary=_opt_str(_get(item, paper, "ai_summary")),
        ai_keywords=[k for k in keywords if isinstance(k, str)] if isinstance(keywords, list)
        else None,
        github_repo=_opt_str(_get(item, paper, "githubRepo")),
        project_page=_opt_str(_get(item, paper, "projectPage")),
        published_at=_opt_str(paper.get("publishedAt")),
        submitted_daily_at=_opt_str(_get(item, paper, "submittedOnDailyAt")),
        organization=_opt_str(org.get("fullname")) or _opt_str(org.get("name"))
        if isinstance(org, dict) else None,
    )
    links = {"abs": abs_url(paper_id), "pdf": pdf_url(paper_id)}
    if info.github_repo:
        links["code"] = info.github_repo
    if info.project_page:
        links["project"] = info.project_page
    authors = [a.get("name") for a in paper.get("authors") or [] if isinstance(a, dict)]
    rec = PaperRecord(
        id=paper_id,
        title=paper.get("title") or item.get("title") or "",
        abstract=paper.get("summary") or "",
        source="hf",
        authors=[a for a in authors if isinstance(a, str) and a.strip()] or None,
        links=links,
        hf=info,
        raw={"id": paper_id, "upvotes": upvotes, "numComments": info.num_comments,
             "githubRepo": info.github_repo, "projectPage": info.project_page,
             "ai_keywords": info.ai_keywords, "ai_summary": info.ai_summary},
    )
    return validate(rec)


def parse_daily_papers(data: bytes) -> tuple[list[PaperRecord], list[str]]:
    """The records of a response, and one message per item that could not be read."""
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise SourceError(f"Hugging Face daily papers: not JSON ({e})") from None
    if not isinstance(items, list):
        raise SourceError("Hugging Face daily papers: expected a JSON array of papers")
    records, errors = [], []
    for n, item in enumerate(items):
        try:
            records.append(parse_item(item))
        except RecordError as e:
            errors.append(f"item {n}: {e}")
    return records, errors


class HFDailyPapers:
    """GET /api/daily_papers for a date, an ISO week or a month (none: today's list)."""

    def __init__(self, client: PoliteClient, base_url: str = BASE_URL) -> None:
        self.client, self.base_url = client, base_url.rstrip("/")

    def fetch(self, date: str | None = None, week: str | None = None,
              month: str | None = None) -> tuple[list[PaperRecord], list[str]]:
        given = {k: v for k, v in (("date", date), ("week", week), ("month", month)) if v}
        if len(given) > 1:
            raise ValueError("give at most one of date, week, month")
        for key, value in given.items():
            pattern, example = _FORMATS[key]
            if not pattern.match(value):
                raise ValueError(f"{key}: {value!r} is not {example}")
        url = f"{self.base_url}/api/daily_papers"
        resp = self.client.get(url, params=given or None)
        if resp.status_code != 200:
            raise SourceError(f"{url}: HTTP {resp.status_code}")
        return parse_daily_papers(resp.content)
