"""Every source, declared once: its name, merge priority, settings and fetch function.

`records.SOURCE_PRIORITY` (what wins a merge), the worker's PAPERFEED_WORKER_SOURCES grammar,
`paperfeed fetch`/`harvest` and `ingest/fetch.py` all read this table. Adding a source is one
entry here (plus its module and tests). Fetch functions import their module when called, so
this table imports nothing and any layer may read it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

# What a fetch function returns: the records, and a message per unreadable item.
Fetched = tuple[list[Any], list[str]]
Arg = Literal["none", "categories", "set", "ids"]


@dataclass(frozen=True)
class SourceSpec:
    name: str  # as written in PAPERFEED_WORKER_SOURCES and shown in logs
    title: str  # as shown to people
    record_sources: dict[str, int]  # PaperRecord.source values it yields -> merge priority
    url_setting: str | None = None  # config setting with its endpoint
    interval_setting: str | None = None  # seconds between requests
    arxiv_pace: bool = False  # shares arXiv's request gate (one request every 3 s per deployment)
    arg: Arg = "none"  # what follows "name:" in the worker's grammar
    worker: bool = False  # usable in PAPERFEED_WORKER_SOURCES
    fetch: Callable[..., Fetched] | None = None  # (client, url, arg, **options); None: harvest
    harvest: bool = False  # paged with resumable state (ingest.records.harvest_oai)

    def grammar(self) -> str:
        return {"none": self.name, "categories": f"{self.name}:CATEGORIES",
                "set": f"{self.name}[:SET]", "ids": f"{self.name}:IDS"}[self.arg]


def _rss(client: Any, url: str, arg: tuple[str, ...], **_: Any) -> Fetched:
    from paperfeed.sources.arxiv_rss import fetch_announcements

    return fetch_announcements(client, list(arg), url)


def _hf(client: Any, url: str, _arg: tuple[str, ...], **period: Any) -> Fetched:
    from paperfeed.sources.hf_daily import HFDailyPapers

    return HFDailyPapers(client, url).fetch(**period)


def _api(client: Any, url: str, arg: tuple[str, ...], **_: Any) -> Fetched:
    from paperfeed.sources.arxiv_api import ArxivAPI

    return ArxivAPI(client, url).lookup(list(arg)), []


SOURCES: list[SourceSpec] = [
    SourceSpec("rss", "arXiv announcements (RSS)", {"arxiv-rss": 1}, "PAPERFEED_ARXIV_RSS_URL",
               "PAPERFEED_ARXIV_MIN_INTERVAL", arxiv_pace=True, arg="categories", worker=True,
               fetch=_rss),
    SourceSpec("hf", "Hugging Face Daily Papers", {"hf": 0}, "PAPERFEED_HF_URL",
               "PAPERFEED_HF_MIN_INTERVAL", worker=True, fetch=_hf),
    SourceSpec("files", "JSON-lines files", {"jsonl": 2, "arxiv-snapshot": 2}),
    SourceSpec("api", "arXiv API", {"arxiv-api": 3}, "PAPERFEED_ARXIV_API_URL",
               "PAPERFEED_ARXIV_MIN_INTERVAL", arxiv_pace=True, arg="ids", fetch=_api),
    SourceSpec("oai", "arXiv OAI-PMH", {"oai-arXiv": 3, "oai-arXivRaw": 3},
               "PAPERFEED_ARXIV_OAI_URL", "PAPERFEED_ARXIV_MIN_INTERVAL", arxiv_pace=True,
               arg="set", worker=True, harvest=True),
]
BY_NAME = {s.name: s for s in SOURCES}


def source_priority() -> dict[str, int]:
    """PaperRecord.source -> priority (a merge takes the higher; ties: newer wins)."""
    return {rs: p for s in SOURCES for rs, p in s.record_sources.items()}


def spec(name: str) -> SourceSpec:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown source {name!r}; known: {', '.join(BY_NAME)}") from None


_OAI_SET = re.compile(r"[A-Za-z0-9.:\-]+")


def parse_item(item: str) -> tuple[SourceSpec, tuple[str, ...]]:
    """One word of PAPERFEED_WORKER_SOURCES ("rss:cs.LG,cs.CL", "hf", "oai:cs") -> (spec, arg).

    ValueError says what is wrong and what the worker accepts.
    """
    name, colon, raw = item.partition(":")
    s = BY_NAME.get(name.lower())
    forms = [x.grammar() for x in SOURCES if x.worker]
    accepted = ", ".join(forms[:-1]) + " or " + forms[-1]
    if s is None or not s.worker:
        raise ValueError(f"{item!r} is not {accepted}")
    if s.arg == "none":
        if colon:
            raise ValueError(f"{item!r}: {s.name} takes nothing after it")
        return s, ()
    if s.arg == "set":
        if colon and not _OAI_SET.fullmatch(raw):
            raise ValueError(f"{item!r}: {raw!r} is not an OAI set like cs or physics:hep-th")
        return s, (raw,) if raw else ()
    values = tuple(v for v in raw.split(",") if v)
    if s.arg == "categories":
        from paperfeed.sources.arxiv_rss import feed_url

        feed_url(list(values))  # validates the categories (ValueError says which)
    elif not values:
        raise ValueError(f"{item!r}: give {s.grammar()}")
    return s, values
