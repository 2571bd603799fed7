"""Store records fetched from network sources, and harvest OAI-PMH with resumable state."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from paperfeed.records import PaperRecord, RecordError, validate
from paperfeed.sources.arxiv_oai import OAIError, OAIHarvester, Page, next_from_date
from paperfeed.store.checkpoints import get_checkpoint, set_checkpoint
from paperfeed.store.db import write_tx
from paperfeed.store.write import WriteResult, write_records


@dataclass
class FetchReport:
    written: WriteResult = field(default_factory=WriteResult)
    records: int = 0
    bad: list[str] = field(default_factory=list)
    pages: int = 0
    deleted: int = 0
    watermark: str | None = None
    resumed: bool = False


def store_records(engine: Engine, records: Iterable[PaperRecord],
                  report: FetchReport | None = None) -> FetchReport:
    """Validate and write one batch in one transaction; bad records are reported, not stored."""
    report = report or FetchReport()
    good = []
    for rec in records:
        report.records += 1
        try:
            good.append(validate(rec))
        except RecordError as e:
            report.bad.append(f"{rec.source} record {rec.id!r}: {e}")
    with write_tx(engine) as conn:
        report.written.add(write_records(conn, good))
    return report


def harvest_oai(
    engine: Engine,
    harvester: OAIHarvester,
    *,
    prefix: str = "arXiv",
    set_: str | None = None,
    from_: str | None = None,
    until: str | None = None,
    on_page: Callable[[FetchReport], None] | None = None,
) -> FetchReport:
    """Harvest ListRecords into the store; each page and its resumption token commit together.

    Without `from_`, an incremental harvest starts at the stored watermark (minus a day of
    overlap). An interrupted harvest resumes from its last token; if arXiv says the token
    expired, it starts that same request over (re-storing pages is harmless).
    """
    key = f"harvest:oai:{prefix}:{set_ or '*'}"
    with engine.connect() as conn:
        state = get_checkpoint(conn, key) or {}
    report = FetchReport()
    if from_ is None:
        from_ = next_from_date(state.get("watermark"))
    run = {"from": from_, "until": until}
    pending = state.get("pending")
    token = pending["token"] if pending and pending.get("run") == run else None
    report.resumed = token is not None
    seen = pending.get("max_datestamp") if token and pending else None
    try:
        pages = harvester.list_records(prefix, set_, from_, until, resumption_token=token)
        seen = _store_pages(engine, key, state, run, pages, report, seen, on_page)
    except OAIError as e:
        if e.code != "badResumptionToken" or token is None:
            raise
        report.resumed = False
        pages = harvester.list_records(prefix, set_, from_, until)
        seen = _store_pages(engine, key, state, run, pages, report, None, on_page)
    # The list is complete: the watermark moves only now (pages come in no datestamp order).
    watermark = max(filter(None, [state.get("watermark"), seen, until])) if (
        state.get("watermark") or seen or until) else None
    with write_tx(engine) as conn:
        set_checkpoint(conn, key, {"watermark": watermark, "pending": None})
    report.watermark = watermark
    return report


def _store_pages(engine: Engine, key: str, state: dict[str, Any], run: dict[str, Any],
                 pages: Iterable[Page], report: FetchReport, seen: str | None,
                 on_page: Callable[[FetchReport], None] | None) -> str | None:
    """Write each page with the token that resumes after it; return the max datestamp seen."""
    for page in pages:
        report.pages += 1
        report.deleted += len(page.deleted_ids)
        report.bad.extend(f"{i.identifier}: {i.error}" for i in page.errors)
        if page.max_datestamp:
            seen = max(seen or "", page.max_datestamp)
        report.records += len(page.records)
        with write_tx(engine) as conn:
            report.written.add(write_records(conn, page.records))
            pending = {"token": page.resumption_token, "run": run, "max_datestamp": seen}
            set_checkpoint(conn, key, {"watermark": state.get("watermark"),
                                       "pending": pending if page.resumption_token else None})
        if on_page:
            on_page(report)
    return seen
