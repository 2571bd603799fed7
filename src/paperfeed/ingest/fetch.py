"""Read one registered source (sources/registry.py) and store what it says.

The one path from a network source to the store: `paperfeed fetch`/`harvest` and the worker's
fetch job call `fetch_source`; the client keeps the source's pace (arXiv's shared through the
database, so every process of a deployment keeps it together).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from paperfeed.config import float_setting, setting
from paperfeed.ingest.gate import DatabaseGate
from paperfeed.ingest.records import FetchReport, harvest_oai, store_records
from paperfeed.sources.http import PoliteClient
from paperfeed.sources.registry import SourceSpec, spec


def client_for(engine: Engine, source: SourceSpec) -> PoliteClient:
    """An HTTP client at the source's pace (arXiv's: a gate stored in the database)."""
    interval = float_setting(source.interval_setting) if source.interval_setting else 0.0
    gate = DatabaseGate(engine, "arxiv", interval) if source.arxiv_pace else None
    return PoliteClient(interval, gate=gate)


def fetch_source(engine: Engine, source: SourceSpec | str, arg: tuple[str, ...] = (),
                 on_page: Callable[[FetchReport], None] | None = None,
                 **options: Any) -> FetchReport:
    """Fetch `source` (with its argument: categories, ids, an OAI set) and store the records.

    `options` go to the source (hf: date/week/month; oai: prefix, from_, until).
    """
    s = spec(source) if isinstance(source, str) else source
    url = setting(s.url_setting) or "" if s.url_setting else ""
    with client_for(engine, s) as client:
        if s.harvest:
            from paperfeed.sources.arxiv_oai import OAIHarvester

            return harvest_oai(engine, OAIHarvester(client, url),
                               set_=arg[0] if arg else None, on_page=on_page, **options)
        if s.fetch is None:
            raise ValueError(f"{s.title} is not fetched over the network (use `paperfeed "
                             "import`)")
        records, bad = s.fetch(client, url, arg, **options)
    return store_records(engine, records, FetchReport(bad=list(bad)))
