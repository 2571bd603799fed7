"""The worker's jobs: fetch (sources -> store), index (derived indexes), digest (emails).

Each job takes a `JobContext` and returns a JSON-able result whose "summary" is the line the
worker logs; a job that did part of its work raises `JobFailed` carrying that part.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine

from paperfeed.index.refresh import RefreshFailed, RefreshReport, refresh
from paperfeed.ingest.fetch import fetch_source as ingest_fetch
from paperfeed.ingest.records import FetchReport
from paperfeed.progress import Reporter
from paperfeed.worker.schedule import Source

log = logging.getLogger("paperfeed.worker")
Result = dict[str, Any]


@dataclass
class JobContext:
    engine: Engine
    now: dt.datetime  # when the run started (timezone-aware)
    sources: list[Source] = field(default_factory=list)


class JobFailed(RuntimeError):
    """The job failed after doing part of its work: `result` says which part."""

    def __init__(self, message: str, result: Result) -> None:
        super().__init__(message)
        self.result = result


Job = Callable[[JobContext], Result]


# --- derived indexes -----------------------------------------------------------------------

def _log_reporter() -> Reporter:
    """Index progress as plain log lines (every 10 s or 10 %), and each step's result."""
    return Reporter(write=lambda line: log.info("%s", line), every_s=10.0)


def _derived_summary(report: RefreshReport, slow: bool) -> str:
    parts = [f"{name} +{report.done(name)}" for name in ("lookups", "lexical", "claims")]
    if slow:
        parts.append(f"vectors +{report.done('embeddings')} ({report.info.get('model_id')}, "
                     f"{report.info.get('vectors_in_index', 0)} in the vector index)")
    return ", ".join(parts)


def run_refresh(engine: Engine, slow: bool) -> Result:
    """index/refresh.refresh with log progress; a failed step raises JobFailed with the rest."""
    try:
        report = refresh(engine, slow=slow, progress=_log_reporter())
    except RefreshFailed as e:
        result: Result = {**e.report.to_json(),
                          "summary": _derived_summary(e.report, False) + f"; {e.step} failed"}
        raise JobFailed(str(e), result) from e
    return {**report.to_json(), "summary": _derived_summary(report, slow)}


def index_job(ctx: JobContext) -> Result:
    """Every derived index, embeddings included: what `paperfeed index update` does."""
    return run_refresh(ctx.engine, slow=True)


# --- fetch ---------------------------------------------------------------------------------

def fetch_source(engine: Engine, source: Source) -> FetchReport:
    """Read one source and store what it says (the same call as `paperfeed fetch|harvest`)."""
    return ingest_fetch(engine, source.kind, source.arg)


def _report(r: FetchReport) -> Result:
    out: Result = {"records": r.records, **asdict(r.written), "bad": len(r.bad)}
    if r.pages:
        out.update(pages=r.pages, watermark=r.watermark)
    return out


def _line(name: str, r: Result) -> str:
    return (f"{name}: {r['records']} records, {r['inserted']} new, {r['updated']} updated"
            + (f", {r['upvotes_updated']} upvote changes" if r.get("upvotes_updated") else "")
            + (f", {r['bad']} bad" if r["bad"] else ""))


def fetch_job(ctx: JobContext) -> Result:
    """Every configured source in turn (one failing does not stop the others), then lookups,
    lexical index and claims, so new papers are searchable at once."""
    if not ctx.sources:
        return {"sources": {}, "summary": "nothing to fetch: PAPERFEED_WORKER_SOURCES is empty"}
    sources: dict[str, Result] = {}
    errors: list[str] = []
    for src in ctx.sources:
        try:
            report = fetch_source(ctx.engine, src)
        except Exception as e:
            log.warning("fetch %s failed: %s: %s", src, type(e).__name__, e)
            sources[str(src)] = {"error": f"{type(e).__name__}: {e}"}
            errors.append(f"{src}: {e}")
            continue
        sources[str(src)] = _report(report)
        for msg in report.bad[:5]:
            log.info("fetch %s: bad record: %s", src, msg)
    derived = run_refresh(ctx.engine, slow=False)
    parts = [_line(name, r) if "error" not in r else f"{name}: FAILED" for name, r in
             sources.items()]
    result: Result = {"sources": sources, "derived": derived,
                      "summary": "; ".join(parts) + f"; {derived['summary']}"}
    if errors:
        raise JobFailed("; ".join(errors), result)
    return result


# --- digest --------------------------------------------------------------------------------

def digest_job(ctx: JobContext) -> Result:
    """Compose and send the email digests that are due (paperfeed.digest)."""
    try:
        from paperfeed.digest.jobs import run_digests
    except ImportError as e:
        log.info("digests not available (%s)", e)
        return {"summary": "digests not available in this install"}
    out = run_digests(ctx.engine, now=ctx.now)
    result: Result = dict(out) if isinstance(out, dict) else {"value": out}
    shown = ", ".join(f"{k} {v}" for k, v in result.items()
                      if isinstance(v, int | float) and not isinstance(v, bool))
    result["summary"] = shown or "ran"
    return result


JOB_FUNCTIONS: dict[str, Job] = {"fetch": fetch_job, "index": index_job, "digest": digest_job}
