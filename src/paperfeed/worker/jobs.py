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

from paperfeed.config import float_setting, setting
from paperfeed.ingest.gate import DatabaseGate
from paperfeed.ingest.records import FetchReport, harvest_oai, store_records
from paperfeed.sources.http import PoliteClient
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

def refresh_derived(engine: Engine) -> dict[str, int]:
    """Catch the cheap derived data up with the papers: lookups, lexical index, claims.

    What `paperfeed fetch` does after storing (cli/common.refresh_lookups), without the
    progress bars; the vectors are the index job's (embedding is slow).
    """
    from paperfeed.index import codelinks
    from paperfeed.index.claims import catch_up_claims
    from paperfeed.index.lexical import catch_up_lexical
    from paperfeed.index.lookups import catch_up_lookups

    return {"lookups": catch_up_lookups(engine), "lexical": catch_up_lexical(engine),
            "claims": catch_up_claims(engine), "codelinks": codelinks.catch_up(engine)}


def update_vectors(engine: Engine, model: str | None = None) -> dict[str, Any]:
    """Embed papers without a current vector and catch the vector index up (as `index update`)."""
    from paperfeed.index.embed import get_embedder
    from paperfeed.index.vectors import VectorIndex, embed_missing
    from paperfeed.search.hybrid import default_model

    embedder = get_embedder(model or default_model())  # loads a built-in model on first use
    embedded = embed_missing(engine, embedder)
    vi = VectorIndex.open(engine, embedder.model_id)  # loads (or builds) and catches up
    return {"model": embedder.model_id, "embedded": embedded, "in_index": len(vi)}


def index_job(ctx: JobContext) -> Result:
    """Lookups, lexical index, claims, then vectors: what `paperfeed index update` does."""
    result: Result = dict(refresh_derived(ctx.engine))
    done = (f"lookups +{result['lookups']}, lexical +{result['lexical']}, "
            f"claims +{result['claims']}")
    try:
        result["vectors"] = v = update_vectors(ctx.engine)
    except Exception as e:
        result["summary"] = f"{done}; vectors failed"
        raise JobFailed(f"vectors: {type(e).__name__}: {e}", result) from e
    result["summary"] = (f"{done}, vectors +{v['embedded']} ({v['model']}, "
                         f"{v['in_index']} in the vector index)")
    return result


# --- fetch ---------------------------------------------------------------------------------

def _arxiv_client(engine: Engine) -> PoliteClient:
    """arXiv's pace for the whole deployment: the request gate lives in the database."""
    interval = float_setting("PAPERFEED_ARXIV_MIN_INTERVAL")
    return PoliteClient(interval, gate=DatabaseGate(engine, "arxiv", interval))


def fetch_source(engine: Engine, source: Source) -> FetchReport:
    """Read one source and store what it says (the same calls as `paperfeed fetch|harvest`)."""
    if source.kind == "rss":
        from paperfeed.sources.arxiv_rss import fetch_announcements

        with _arxiv_client(engine) as client:
            records, bad = fetch_announcements(client, list(source.arg),
                                               setting("PAPERFEED_ARXIV_RSS_URL") or "")
        return store_records(engine, records, FetchReport(bad=bad))
    if source.kind == "hf":
        from paperfeed.sources.hf_daily import HFDailyPapers

        with PoliteClient(float_setting("PAPERFEED_HF_MIN_INTERVAL")) as client:
            records, bad = HFDailyPapers(client, setting("PAPERFEED_HF_URL") or "").fetch()
        return store_records(engine, records, FetchReport(bad=bad))
    if source.kind == "oai":
        from paperfeed.sources.arxiv_oai import OAIHarvester

        with _arxiv_client(engine) as client:
            harvester = OAIHarvester(client, setting("PAPERFEED_ARXIV_OAI_URL") or "")
            return harvest_oai(engine, harvester, set_=source.arg[0] if source.arg else None)
    raise ValueError(f"unknown source kind {source.kind!r}")


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
    derived = refresh_derived(ctx.engine)
    parts = [_line(name, r) if "error" not in r else f"{name}: FAILED" for name, r in
             sources.items()]
    result: Result = {"sources": sources, "derived": derived,
                      "summary": "; ".join(parts) + f"; lexical +{derived['lexical']}"}
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
