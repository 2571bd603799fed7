"""Extracted claims across papers: the Claims page, its CSV download and GET /api/claims."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, WithJsonSchema
from sqlalchemy import Connection, Engine, text

from paperfeed.rank.claims import (
    KINDS,
    ClaimQuery,
    ClaimSort,
    Kind,
    claim_units,
    find_claims,
    kind_counts,
    scatter_pairs,
)
from paperfeed.web import search_adapter
from paperfeed.web.charts import Scatter, scatter
from paperfeed.web.output import csv_cell, link_base, shared_cache
from paperfeed.web.pages import OptDate, app_cached, common_categories, engine_of
from paperfeed.web.render import paper_url, render, version_cached

router = APIRouter()
PER_PAGE = 50
SEARCH_DEPTH = 200  # a query keeps the claims of its best this-many matching papers
CSV_MAX = 100_000
MAX_POINTS = 800  # points drawn at most (the newest papers)
# the page counts its claims to just past this ("1,000+"; deeper pages to just past themselves):
# an exact count of a large result (400k claims at 1M papers, a category probed per claim)
# costs more than the rest of the page
COUNT_TO = 1_000
UNITS_CACHE_S = 600.0
CSV_COLUMNS = ("paper_id", "title", "date", "kind", "value", "low", "high", "unit", "what",
               "span", "start", "end", "url", "direction", "norm_value", "norm_unit", "subkind",
               "baseline", "condition")
SORT_LABELS = {"date_desc": "Newest papers", "date_asc": "Oldest papers",
               "value_desc": "Best value first", "value_asc": "Weakest value first"}
# how each normalised unit reads as a group heading when sorting by value (normal.py)
NORM_LABELS = {"x": "factor (\u00d7)", "saved": "fraction saved (\u00d7, % and shares in one "
               "scale)", "s": "absolute time, fastest first", "GB": "absolute memory, smallest "
               "first", "hours": "wall-clock time, shortest first", "GPU hours": "GPU hours, "
               "fewest first", "usd": "money, cheapest first", "bits": "bit width, fewest first",
               "% gain": "relative gain (%)", "x gain": "gain factor (\u00d7)",
               "points": "absolute gain (points)", "%": "score (%)"}


def _blank_is_none(value: object) -> object:
    return value or None


OptKind = Annotated[Kind | None, BeforeValidator(_blank_is_none),
                    WithJsonSchema({"type": "string", "enum": ["", *KINDS]}),  # "": any
                    Query(description="claim kind: " + ", ".join(KINDS) + " (empty: any)")]
Short = Annotated[str, StringConstraints(max_length=40)]
# an empty field of a submitted form means "any"
OptText = Annotated[Short | None, BeforeValidator(_blank_is_none), Query()]
QueryText = Annotated[str, Query(max_length=500, description="only the best "
                                 f"{SEARCH_DEPTH} matches of this search")]
AxisKind = Annotated[Kind, Query(description="kind on this axis of the chart")]


class ClaimOut(BaseModel):
    """One extracted claim with its paper (the extractor's schema; `span` is its `text`)."""

    paper_id: str
    title: str
    date: str | None = Field(description="the paper's announcement date (ISO)")
    kind: Kind
    value: float = Field(description="the number; for a range its high end")
    low: float | None = Field(description="a range's low end (else null)")
    high: float | None = Field(description="a range's high end (else null)")
    unit: str = Field(description="x, %, points, bits, params, tokens, usd, GB, ms, ... or a "
                                  "metric name (FID, ...)")
    what: str = Field(description="the measured thing, as written near the number")
    span: str = Field(description="the exact text of the abstract stating it")
    start: int | None = Field(description="offset of `span` in the abstract")
    end: int | None = Field(description="offset just after `span`")
    position: int = Field(description="the claim's number within its paper")
    label: str = Field(description="a compact label, as on the chips (\"2.7\u00d7 faster\")")
    url: str = Field(description="the paper's page, at the highlighted span")
    direction: str | None = Field(None, description="higher | lower (an absolute value, "
                                  "which way is better) or reduction | increase (an amount "
                                  "saved or gained)")
    norm_value: float | None = Field(None, description="the value in its kind's one "
                                     "convention (larger is better): speed-ups as a factor, "
                                     "savings as the fraction saved, absolute costs negated")
    norm_unit: str | None = Field(None, description="unit of norm_value; sorting by value "
                                  "groups by kind, then norm_unit")
    subkind: str | None = Field(None, description="speedup: throughput | latency | speed; "
                                "compute: energy | tokens | flops")
    baseline: str | None = Field(None, description="what it is compared against, when named")
    condition: str | None = Field(None, description="the setting it holds under "
                                  "(\"on A100\", \"at 128k context\")")


class ClaimsOut(BaseModel):
    """A page of claims matching the filters."""

    total: int = Field(description="claims matching the filters")
    offset: int
    claims: list[ClaimOut]
    note: str | None = Field(None, description="how a search query was applied")


def _claim_url(c: dict[str, Any]) -> str:
    return f"{paper_url(c['paper_id'])}#claim-{c['position']}"


def claim_query(engine: Engine, q: str, kind: str | None, unit: str | None,
                category: str | None, since: Any, until: Any) -> tuple[ClaimQuery, str | None]:
    """The filters as a ClaimQuery; a search query becomes the ids of its best matches."""
    ids: tuple[str, ...] | None = None
    note = None
    if q.strip():
        # the best matches by words (BM25, as search ranks them), other filters applied
        res = search_adapter.search(engine, q, SEARCH_DEPTH, 0, category,
                                    since.isoformat() if since else None,
                                    until.isoformat() if until else None,
                                    mode="lexical", count=True)
        ids = tuple(h.id for h in res.hits)
        if res.total is not None and res.total > len(ids):
            note = (f"{res.total:,} papers match the query; these are the claims of the "
                    f"{len(ids):,} best matches.")
    return ClaimQuery(kind, unit, category, since, until, ids), note


def _units(request: Request) -> list[str]:
    return app_cached(request, "claim_units", UNITS_CACHE_S, claim_units)


T = TypeVar("T")
VERSION_SQL = text("SELECT (SELECT MAX(seq) FROM papers), (SELECT seq || ' ' || "
                   "COALESCE(version, '') || ' ' || COALESCE(updated_at, '') FROM index_state "
                   "WHERE name = 'claims')")


def kept(request: Request, conn: Connection, key: tuple[Any, ...], load: Callable[[], T]) -> T:
    """`load()`, computed once per version of the claims (the claims index's watermark and
    the papers' newest seq, one indexed read): what a page derives from every claim (counts
    per kind, the chart of a filter set) is the same for every page showing it until the
    claims index catches up again."""
    return version_cached(request, "claims", tuple(conn.execute(VERSION_SQL).one()), key, load)


def _chart(conn: Connection, query: ClaimQuery, x: str, y: str, rare: str
           ) -> tuple[Scatter | None, int, int | None]:
    """(the scatter chart laid out, with its dots' markup; papers having both; claims
    scanned): the newest MAX_POINTS papers are drawn, so a page of SVG stays light."""
    points, ux, uy, all_points, scanned = scatter_pairs(conn, query, x, y, MAX_POINTS,
                                                        keep=MAX_POINTS, rare=rare)
    chart = scatter([(p.x, p.y, paper_url(p.paper_id),
                      f"{p.title} — {p.x_label}, {p.y_label}") for p in points],
                    f"{x} ({ux})" if ux else x, f"{y} ({uy})" if uy else y)
    if chart is not None:
        _ = chart.dots_html  # laid out once, with the chart
    return chart, all_points, scanned


@router.get("/claims", response_class=HTMLResponse, include_in_schema=False)
def claims_page(
    request: Request, q: QueryText = "", kind: OptKind = None, unit: OptText = None,
    category: OptText = None, since: OptDate = None, until: OptDate = None,
    sort: ClaimSort = "date_desc", x: AxisKind = "speedup", y: AxisKind = "quality",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> Response:
    """A table of claims across papers with filters, a CSV download and a scatter chart."""
    engine = engine_of(request)
    query, note = claim_query(engine, q, kind, unit, category, since, until)
    with engine.connect() as conn:
        counts = kept(request, conn, ("counts",), lambda: kind_counts(conn))
        count_to = max(COUNT_TO, page * PER_PAGE) + 1
        known = query.total_of(counts)  # exact when at most the kind filters
        total, rows = find_claims(conn, query, sort, PER_PAGE, (page - 1) * PER_PAGE,
                                  count_to=count_to, total=known)
        if known is not None:
            count_to = known + 1
        rare = x if counts.get(x, 0) <= counts.get(y, 0) else y
        # the chart does not depend on the kind/unit filters or the sort
        chart_key = ("chart", query.category, query.since, query.until, query.ids, x, y)
        chart, all_points, scanned = kept(request, conn, chart_key,
                                          lambda: _chart(conn, query, x, y, rare))
    for r in rows:
        r["url"] = _claim_url(r)
    filters = {"kind": kind, "unit": unit, "category": category,
               "since": since.isoformat() if since else None,
               "until": until.isoformat() if until else None}
    params = {"q": q or None, **filters, "sort": sort if sort != "date_desc" else None,
              "x": x if x != "speedup" else None, "y": y if y != "quality" else None}
    data_params = {k: v for k, v in params.items() if k not in ("x", "y")}
    return render(request, "claims.html", {
        "q": q, "filters": filters, "sort": sort, "x": x, "y": y, "page": page,
        "per_page": PER_PAGE, "total": min(total, count_to - 1), "more": total >= count_to,
        "rows": rows, "chart": chart, "all_points": all_points, "scanned": scanned,
        "note": note, "kinds": KINDS, "units": _units(request), "norm_labels": NORM_LABELS,
        "categories": common_categories(request), "sorts": SORT_LABELS, "params": params,
        "data_params": data_params, "nav": "claims"})


@router.get("/claims.csv", include_in_schema=False)
def claims_csv(
    request: Request, q: QueryText = "", kind: OptKind = None, unit: OptText = None,
    category: OptText = None, since: OptDate = None, until: OptDate = None,
    sort: ClaimSort = "date_desc",
) -> Response:
    """Every claim matching the filters (up to CSV_MAX), one row each, with a header."""
    engine = engine_of(request)
    query, _ = claim_query(engine, q, kind, unit, category, since, until)
    with engine.connect() as conn:
        _, rows = find_claims(conn, query, sort, CSV_MAX, 0, context=False)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    base = link_base(request)
    for r in rows:
        r["url"] = base + _claim_url(r)
        w.writerow([csv_cell(r[c]) for c in CSV_COLUMNS])
    name = "claims" + (f"-{kind}" if kind else "") + ".csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": shared_cache(request, "public, max-age=600")})


@router.get("/api/claims", summary="Extracted claims across papers", tags=["api"],
            response_model=ClaimsOut)
def api_claims(
    request: Request, q: QueryText = "", kind: OptKind = None,
    unit: Annotated[Short | None, BeforeValidator(_blank_is_none),
                    Query(description="e.g. x, %, bits, points")] = None,
    category: Annotated[Short | None, BeforeValidator(_blank_is_none),
                        Query(description="any of the paper's categories (cross-lists "
                                          "count)")] = None,
    since: OptDate = None, until: OptDate = None,
    sort: Annotated[ClaimSort, Query(description="by value or by the paper's date")
                    ] = "date_desc",
    limit: Annotated[int, Query(ge=1, le=500, description="how many claims")] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000, description="claims to skip")] = 0,
) -> dict[str, Any]:
    """Numbers papers state about their own results (speedups, memory, bits, scores...),
    extracted from abstracts; dates filter on the paper's announcement date."""
    engine = engine_of(request)
    query, note = claim_query(engine, q, kind, unit, category, since, until)
    with engine.connect() as conn:
        total, rows = find_claims(conn, query, sort, limit, offset, context=False)
    for r in rows:
        r["url"] = _claim_url(r)
    return {"total": total, "offset": offset, "claims": rows, "note": note}
