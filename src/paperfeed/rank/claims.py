"""Reads of extracted claims (the `paper_claims` index) for cards, paper pages and /claims.

- `claims_for(conn, ids)`: every claim of a page of papers in one query (chips on cards);
- `chip_label(claim)`: the compact text of a chip ("2.7\u00d7 faster", "4-bit", "-38% memory");
- `mark_spans(abstract, claims)`: which claim spans can be marked (never splitting LaTeX
  math; web/render.py turns them into HTML);
- `find_claims(conn, ClaimQuery, ...)`: the table of the Claims page, API and CSV;
- `scatter_pairs(conn, query, x, y)`: one point per paper having both kinds (the chart).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, TextClause, bindparam, text

from paperfeed import clock

KINDS = ("speedup", "memory", "compression", "compute", "precision", "quality", "scale", "cost")
Kind = Literal["speedup", "memory", "compression", "compute", "precision", "quality", "scale",
               "cost"]
ClaimSort = Literal["value_desc", "value_asc", "date_desc", "date_asc"]
# chips on a card: efficiency first, then results, then model sizes
PRIORITY = {k: n for n, k in enumerate(
    ("speedup", "memory", "compression", "compute", "precision", "cost", "quality", "scale"))}
CONTEXT = 90  # characters of the abstract shown around a span on the Claims page
CHUNK = 500  # paper ids per IN (...) list
# sorting by value: each kind's groups of one normalised unit, its relative conventions first
# (a factor, the fraction saved, a gain), then absolute amounts
UNIT_ORDER = ("x", "saved", "% gain", "points", "%", "bits", "params", "tokens", "usd",
              "GPU hours", "hours", "s", "fps", "GB", "x gain")


def unit_rank(unit: str | None) -> int:
    """Where a normalised unit's group comes within its kind when sorting by value."""
    return UNIT_ORDER.index(unit) if unit in UNIT_ORDER else len(UNIT_ORDER)

TIMES, MINUS, DASH = "\u00d7", "\u2212", "\u2013"  # times, minus sign, en dash
CLAIM_COLS = ('c.paper_id, c."position", c.kind, c."value", c.low, c.high, c.unit, c.what, '
              'c."text", c."start", c."end", c.direction, c.norm_value, c.norm_unit, c.subkind, '
              'c.baseline, c."condition"')


@dataclass(frozen=True)
class ClaimQuery:
    """Filters of the Claims page and API; `ids` restricts to papers (from a search query)."""

    kind: str | None = None
    unit: str | None = None
    category: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    ids: tuple[str, ...] | None = None

    def where(self, with_kind: bool = True) -> tuple[str, dict[str, Any]]:
        """SQL conditions on `c` = paper_claims (which keeps its paper's date) and their
        parameters."""
        conds: list[str] = []
        params: dict[str, Any] = {}
        if with_kind and self.kind:
            conds.append("c.kind = :kind")
            params["kind"] = self.kind
        if with_kind and self.unit:
            conds.append("c.unit = :unit")
            params["unit"] = self.unit
        if self.category:
            # a probe of the lookup's primary key per claim row: a newest-first page walks
            # the claims' date index and stops after a page, whatever the category's size
            conds.append("EXISTS (SELECT 1 FROM paper_categories pc WHERE pc.paper_id = "
                         "c.paper_id AND pc.category = :category)")
            params["category"] = self.category
        if self.since:
            conds.append("c.announced >= :since")
            params["since"] = self.since.isoformat()
        if self.until:  # announced may carry a time: compare with the next day
            conds.append("c.announced < :until_next")
            params["until_next"] = clock.day_after(self.until).isoformat()
        if self.ids is not None:
            if not self.ids:
                conds.append("1 = 0")
            else:
                conds.append("c.paper_id IN :ids")
                params["ids"] = list(self.ids)
        return (" AND ".join(conds) or "1 = 1"), params

    def total_of(self, counts: dict[str, int]) -> int | None:
        """How many claims match, from the claims per kind, when at most the kind filters."""
        if self.unit or self.category or self.since or self.until or self.ids is not None:
            return None
        return counts.get(self.kind, 0) if self.kind else sum(counts.values())


def kind_counts(conn: Connection) -> dict[str, int]:
    """{kind: claims stored} (a pass over the kind index: ~60 ms at 450k claims, while a
    GROUP BY of kind and unit sorts the whole table, ~0.8 s)."""
    return {k: int(n) for k, n in conn.execute(text(
        "SELECT kind, COUNT(*) FROM paper_claims GROUP BY kind"))}


def sql(statement: str, params: dict[str, Any]) -> TextClause:
    """text(statement) with `params` bound; a list value expands (`x IN :name`)."""
    t = text(statement).bindparams(*(bindparam(k, expanding=True) for k, v in params.items()
                                     if isinstance(v, list | tuple)))
    return t.bindparams(**{k: v for k, v in params.items()})


def _num(v: Any) -> float | int | None:
    if v is None:
        return None
    f = float(v)
    return int(f) if f.is_integer() and abs(f) < 1e15 else f


def claim_from_row(r: Any) -> dict[str, Any]:
    """A stored claim as the API shows it (the extractor's schema, `span` for `text`)."""
    d = {"kind": r["kind"], "value": _num(r["value"]), "low": _num(r["low"]),
         "high": _num(r["high"]), "unit": r["unit"], "what": r["what"] or "",
         "span": r["text"], "start": r["start"], "end": r["end"], "position": r["position"]}
    for k in ("direction", "norm_unit", "subkind", "baseline", "condition"):
        d[k] = _get(r, k)
    d["norm_value"] = _num(_get(r, "norm_value"))
    d["label"] = chip_label(d)
    d["shown"] = _amount(d, counted=d["unit"] in ("params", "tokens"))
    return d


def _get(r: Any, key: str) -> Any:
    try:
        return r[key]
    except KeyError:
        return None


def _order(claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(claims, key=lambda c: (PRIORITY.get(c["kind"], 99), c["position"]))


def claims_for(conn: Connection, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """{paper id: its claims, efficiency kinds first} for many papers, in one query."""
    if not ids:
        return {}
    rows = conn.execute(sql(f"SELECT {CLAIM_COLS} FROM paper_claims c "
                            "WHERE c.paper_id IN :ids", {"ids": list(dict.fromkeys(ids))}),
                        ).mappings()
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        out.setdefault(r["paper_id"], []).append(claim_from_row(r))
    return {pid: _order(cs) for pid, cs in out.items()}


# chip labels ----------------------------------------------------------------------------

_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
_REDUCTION = re.compile(r"\b(reduc|lower|less|fewer|sav|cut|decreas|drop|shrink|smaller|"
                        r"compress|trim|slash|eliminat)", re.I)
_FRACTION = re.compile(r"%\s*(of|the)\b", re.I)
_STOP = {"at", "to", "from", "by", "of", "on", "in", "the", "a", "an", "and", "or", "with",
         "about", "over", "up", "only", "than", "for", "while", "compared", "vs"}
_LEAD = re.compile(r"^((improv|boost|increas|rais|achiev|reach|gain|outperform|surpass)\w*|"
                   r"by|of|on|in|the|an?)\s+", re.I)


def fmt_number(v: float | int | None, counted: bool = False) -> str:
    """2.70 -> 2.7, 1234.5 -> 1,234.5, counted 7e9 -> 7B (parameters, tokens)."""
    if v is None:
        return ""
    f = float(v)
    if counted:
        for size, suffix in _SUFFIXES:
            if abs(f) >= size:
                return f"{f / size:.3g}{suffix}"
    if f.is_integer():
        return f"{int(f):,}"
    return f"{f:,.3f}".rstrip("0").rstrip(".") if abs(f) >= 1 else f"{f:.3g}"


def _amount(c: dict[str, Any], counted: bool = False) -> str:
    if c.get("low") is not None and c.get("high") is not None and c["low"] != c["high"]:
        return f"{fmt_number(c['low'], counted)}{DASH}{fmt_number(c['high'], counted)}"
    return fmt_number(c["value"], counted)


def _short_what(c: dict[str, Any], fallback: str) -> str:
    """The measured thing when it is a short metric name ("accuracy", "BLEU"), else fallback."""
    w = _LEAD.sub("", " ".join((c.get("what") or "").split())).strip(" (,;:")
    words = w.split()
    ok = (w and len(w) <= 18 and len(words) <= 2 and re.fullmatch(r"[\w@\- .]+", w)
          and not {words[0].lower(), words[-1].lower()} & _STOP and len(w) >= 2)
    return w if ok else fallback


def chip_label(c: dict[str, Any]) -> str:
    """A compact, plain-text label of one claim (the template escapes it)."""
    kind, unit = c["kind"], c["unit"]
    n = _amount(c, counted=unit in ("params", "tokens") or abs(c["value"]) >= 10_000)
    span = c.get("span") or c.get("text") or ""
    # reductions are stored positive: "reduces memory by 38%" -> "-38% memory", while
    # "only 3% of the KV cache" is a share, not a reduction
    reduction = bool(_REDUCTION.search(f"{c.get('what') or ''} {span}")
                     or span.lower().startswith("by ")) and not _FRACTION.search(span)
    if unit == "x":
        word = {"speedup": "faster", "memory": "less memory", "compression": "compression",
                "compute": "less compute", "cost": "cheaper", "quality": "better",
                "precision": "precision", "scale": "larger"}.get(kind, kind)
        return f"{n}{TIMES} {word}"
    if unit == "bits":
        return f"{n}-bit"
    if unit == "params":
        return f"{n} params"
    if unit == "tokens":
        return f"{n} tokens"
    if unit == "usd":
        return f"${n}"
    if unit == "%":
        if kind in ("memory", "compute", "cost", "compression"):
            return f"{MINUS}{n}% {kind}" if reduction else f"{n}% {kind}"
        if kind == "speedup":
            return f"{n}% faster"
        if kind == "quality":
            return f"{n}% {_short_what(c, 'quality')}"
        return f"{n}% {kind}"
    if unit == "points":
        return f"+{n} {_short_what(c, 'points')}"
    if kind == "quality" and unit not in ("dB", "mm", "cm", "ms", "s", "fps"):
        return f"{unit} {n}"  # a metric: "FID 2.11", "AUC 0.91"
    if kind == "quality":  # "3.6 dB PSNR"
        metric = _short_what(c, "")
        return f"{n} {unit}" + (f" {metric}" if metric and metric.lower() != unit.lower()
                                else "")
    return f"{n} {unit}" + ("" if kind in ("speedup", "cost") else f" {kind}")


# highlighting ---------------------------------------------------------------------------

_MATH_OPEN = re.compile(r"\$\$|\\\[|\\\(|\$")
_MATH_CLOSE = {"$$": "$$", "\\[": "\\]", "\\(": "\\)", "$": "$"}


def math_regions(s: str) -> list[tuple[int, int]]:
    """[start, end) of each LaTeX math region, paired left to right as KaTeX's auto-render
    pairs them ($$..$$, \\[..\\], \\(..\\), $..$; a backslash escapes a dollar). An opener
    without a closer runs to the end, so nothing after a stray `$` is highlighted."""
    out: list[tuple[int, int]] = []
    i = 0
    while True:
        m = _MATH_OPEN.search(s, i)
        if m is None:
            return out
        start = m.start()
        if m.group() == "$" and start > 0 and s[start - 1] == "\\":
            i = m.end()
            continue
        close = _MATH_CLOSE[m.group()]
        j = m.end()
        while True:
            k = s.find(close, j)
            if k < 0:
                out.append((start, len(s)))
                return out
            if close == "$" and s[k - 1] == "\\":
                j = k + 1
                continue
            break
        out.append((start, k + len(close)))
        i = k + len(close)


def _spans(abstract: str, claims: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    """(start, end, claim number) of the claims that can be marked: the span matches the
    abstract, touches no math and overlaps no earlier span."""
    regions = math_regions(abstract) if ("$" in abstract or "\\" in abstract) else []
    out: list[tuple[int, int, int]] = []
    for n, c in sorted(enumerate(claims), key=lambda nc: (nc[1].get("start") or 0, nc[0])):
        s, e = c.get("start"), c.get("end")
        if s is None or e is None or not 0 <= s < e <= len(abstract):
            continue
        if abstract[s:e] != (c.get("span") or c.get("text")):
            continue  # stored for another version of the abstract
        if any(s < re_ and rs < e for rs, re_ in regions):
            continue
        if out and s < out[-1][1]:
            continue
        out.append((s, e, n))
    return out


def mark_spans(abstract: str, claims: list[dict[str, Any]]) -> None:
    """Set each claim's `marked`: whether its span can be marked in the abstract."""
    marked = {n for _, _, n in _spans(abstract, claims)} if claims else set()
    for n, c in enumerate(claims):
        c["marked"] = n in marked


def context_window(abstract: str, start: int | None, end: int | None, span: str,
                   width: int = CONTEXT) -> dict[str, Any]:
    """The span with up to `width` characters either side (cut at words, never inside LaTeX
    math), as data for web/render.highlight(): {"text", "start", "end"} (the span's place in
    "text"), "…" marking a cut. A span that no longer matches the abstract stands alone."""
    if start is None or end is None or abstract[start:end] != span:
        return {"text": span, "start": 0, "end": len(span)}
    lo = max(0, start - width)
    hi = min(len(abstract), end + width)
    if lo > 0:
        cut = abstract.find(" ", lo, start)
        lo = cut + 1 if cut >= 0 else lo
    if hi < len(abstract):
        cut = abstract.rfind(" ", end, hi)
        hi = cut if cut >= 0 else hi
    for a, b in math_regions(abstract):  # a formula is shown whole or not at all
        if a < lo < b:
            lo = a if a >= start - 2 * width else b
        if a < hi < b:
            hi = b if b <= end + 2 * width else a
    lo, hi = min(lo, start), max(hi, end)
    before = "…" if lo > 0 else ""
    after = "…" if hi < len(abstract) else ""
    text = before + abstract[lo:hi] + after
    return {"text": text, "start": len(before) + start - lo, "end": len(before) + end - lo}


# the Claims table -----------------------------------------------------------------------

def find_claims(conn: Connection, query: ClaimQuery, sort: str = "date_desc",
                limit: int = 50, offset: int = 0, context: bool = True,
                count_to: int | None = None, total: int | None = None
                ) -> tuple[int, list[dict[str, Any]]]:
    """(total, claims of the page) matching `query`, each with its paper's id, title, date
    (and the span in its `context` window when asked). `count_to`: counting stops there
    (a total of `count_to` means at least that many), so a page of a large result does not
    count every claim of it; `total`: known already (not counted).

    The page's keys are ordered first (narrow rows), then its claims and papers are read:
    sorting whole rows with their abstracts costs ~10x more at 100k papers.
    """
    where, params = query.where()
    if total is None:
        total = count_claims(conn, where, params, count_to)
    if total <= offset:
        return total, []
    keys = page_keys(conn, query, sort, limit, offset)
    rows = _rows(conn, [pid for pid, _ in keys], context)
    out = []
    for key in keys:
        r = rows.get(key)
        if r is None:
            continue
        d = {"paper_id": r["paper_id"], "title": r["title"],
             "date": (r["announced"] or "")[:10] or None, **claim_from_row(r)}
        if context:
            d["context"] = context_window(r["abstract"] or "", r["start"], r["end"], r["text"])
        out.append(d)
    return total, out


def count_claims(conn: Connection, where: str, params: dict[str, Any],
                 count_to: int | None = None) -> int:
    """How many claims `c` match `where`, counting no further than `count_to` (if given)."""
    if count_to is None:
        statement = f"SELECT COUNT(*) FROM paper_claims c WHERE {where}"
    else:
        statement = (f"SELECT COUNT(*) FROM (SELECT 1 AS one FROM paper_claims c WHERE {where} "
                     f"LIMIT {int(count_to)}) t")
    return int(conn.execute(sql(statement, params)).scalar_one())


def page_keys(conn: Connection, query: ClaimQuery, sort: str, limit: int, offset: int
              ) -> list[tuple[str, int]]:
    """(paper id, position) of the page's claims, in order.

    By value: within one kind and normalised unit, never across them: the groups (kind, then
    the unit's rank in UNIT_ORDER) are read one by one, each an index range of (kind,
    norm_unit, norm_value), those before the page counted no further than the offset;
    "desc" is best first, since every convention makes larger better (normal.py). By date:
    the paper's date kept on each claim (the (announced, paper_id, position) index); ties go
    by paper id.
    """
    where, params = query.where()
    d = "ASC" if sort.endswith("_asc") else "DESC"
    if not sort.startswith("value"):
        statement = (f'SELECT c.paper_id, c."position" FROM paper_claims c WHERE {where} '
                     f'ORDER BY c.announced {d}, c.paper_id {d}, c."position" '
                     "LIMIT :limit OFFSET :offset")
        rows = conn.execute(sql(statement, {**params, "limit": limit, "offset": offset})).all()
        return [(r[0], int(r[1])) for r in rows]
    groups = [g for g in value_groups(conn) if query.kind in (None, g[0])]
    out: list[tuple[str, int]] = []
    for kind, unit in sorted(groups, key=lambda g: (g[0], unit_rank(g[1]), g[1] or "")):
        unit_cond = "c.norm_unit = :g_unit" if unit is not None else "c.norm_unit IS NULL"
        cond = f"{where} AND c.kind = :g_kind AND {unit_cond}"
        group = {**params, "g_kind": kind, "g_unit": unit}
        if offset:  # the groups before the page: counted no further than the offset
            count = count_claims(conn, cond, group, count_to=offset)
            if count < offset:
                offset -= count
                continue
        rows = conn.execute(sql(
            f'SELECT c.paper_id, c."position" FROM paper_claims c WHERE {cond} '
            f'ORDER BY c.norm_value {d}, c."value" {d}, c.paper_id {d}, c."position" '
            "LIMIT :limit OFFSET :offset",
            {**group, "limit": limit - len(out), "offset": offset})).all()
        out += [(r[0], int(r[1])) for r in rows]
        offset = 0
        if len(out) >= limit:
            break
    return out


def value_groups(conn: Connection) -> list[tuple[str, str | None]]:
    """Every (kind, normalised unit) stored, walked along the (kind, norm_unit, norm_value)
    index one seek per group (a loose index scan) instead of reading every claim."""
    return [(r[0], r[1]) for r in conn.execute(text(
        "WITH RECURSIVE k(kind) AS (SELECT MIN(kind) FROM paper_claims UNION ALL "
        "SELECT (SELECT MIN(p.kind) FROM paper_claims p WHERE p.kind > k.kind) FROM k "
        "WHERE k.kind IS NOT NULL), "
        "u(kind, unit) AS (SELECT k.kind, (SELECT MIN(p.norm_unit) FROM paper_claims p "
        "WHERE p.kind = k.kind) FROM k WHERE k.kind IS NOT NULL UNION ALL "
        "SELECT u.kind, (SELECT MIN(p.norm_unit) FROM paper_claims p WHERE p.kind = u.kind "
        "AND p.norm_unit > u.unit) FROM u WHERE u.unit IS NOT NULL) "
        "SELECT kind, unit FROM u WHERE unit IS NOT NULL UNION ALL "
        "SELECT k.kind, NULL FROM k WHERE k.kind IS NOT NULL AND EXISTS (SELECT 1 FROM "
        "paper_claims p WHERE p.kind = k.kind AND p.norm_unit IS NULL)"))]


def _rows(conn: Connection, ids: list[str], context: bool) -> dict[tuple[str, int], Any]:
    """{(paper id, position): claim row with its paper's title, date (and abstract)}."""
    out: dict[tuple[str, int], Any] = {}
    unique = list(dict.fromkeys(ids))
    for n in range(0, len(unique), CHUNK):
        for r in conn.execute(sql(
                f"SELECT {CLAIM_COLS}, p.title, p.announced{', p.abstract' if context else ''} "
                "FROM paper_claims c JOIN papers p ON p.id = c.paper_id "
                "WHERE c.paper_id IN :ids", {"ids": unique[n:n + CHUNK]})).mappings():
            out[(r["paper_id"], int(r["position"]))] = r
    return out


def claim_units(conn: Connection, kind: str | None = None) -> list[str]:
    """The units stored (of one kind), most used first (for the filter's choices)."""
    statement = "SELECT unit FROM paper_claims"
    params: dict[str, Any] = {}
    if kind:
        statement += " WHERE kind = :kind"
        params["kind"] = kind
    return list(conn.execute(text(statement + " GROUP BY unit ORDER BY COUNT(*) DESC, unit"),
                             params).scalars())


@dataclass(frozen=True)
class PairPoint:
    """A paper's claims of the two kinds of a scatter chart (the largest value of each)."""

    paper_id: str
    title: str
    date: str | None
    x: float
    y: float
    x_label: str
    y_label: str


def rarer_kind(conn: Connection, a: str, b: str) -> str:
    """Which of two kinds has fewer claims (`a` on a tie), counting no further than twice the
    smaller count: both are counted up to a bound that doubles until one falls short."""
    bound = 4096
    while True:
        n_a, n_b = (int(conn.execute(text(
            "SELECT COUNT(*) FROM (SELECT 1 FROM paper_claims WHERE kind = :k LIMIT :n) t"),
            {"k": k, "n": bound}).scalar_one()) for k in (a, b))
        if n_a < bound or n_b < bound:
            return a if n_a <= n_b else b
        bound *= 4


def scatter_pairs(conn: Connection, query: ClaimQuery, x_kind: str, y_kind: str,
                  newest: int | None = None, keep: int | None = None, rare: str | None = None
                  ) -> tuple[list[PairPoint], str | None, str | None, int, int | None]:
    """(points, x unit, y unit, papers, scanned): papers matching `query` (its kind/unit
    filters aside) that state both kinds. Each axis keeps one unit, the pair of units most
    papers share, so 2.7x and 30% never share an axis. `newest`: only the papers of the rarer
    kind's newest 4 x `newest` claims are looked at, so the chart costs the same at 10k papers
    as at 1M; `scanned` is that number when it was reached (None: all were). `papers`: how
    many papers have both; `keep`: only the newest `keep` of them (by date, then id) become
    points, in that order (else all, by id). `rare`: the rarer kind, when known.

    The pairing reads four narrow columns of the candidates' claims of the two kinds; whole
    claims and titles are read for the points kept only.
    """
    # the papers of the rarer kind's newest claims (filters applied, on the kind+date index),
    # then their claims by primary key (the kinds picked with `|| ''`, so the key's path
    # stays: going through the commoner kind's claims, mostly quality, costs a random read
    # each); SQL keeps one row per (paper, x unit, y unit), the pairs a paper could plot
    rare = rare or rarer_kind(conn, x_kind, y_kind)
    where, params = query.where(with_kind=False)
    scan = f" LIMIT {4 * int(newest)}" if newest else ""
    rows = conn.execute(sql(
        "WITH f AS (SELECT c.paper_id, MAX(c.announced) AS day, COUNT(*) AS n FROM ("
        f"SELECT c.paper_id, c.announced FROM paper_claims c WHERE c.kind = :rare AND {where} "
        f"ORDER BY c.announced DESC{scan}) c GROUP BY c.paper_id), "
        "b AS (SELECT o.paper_id, f.day, o.kind, o.unit FROM f JOIN paper_claims o ON "
        "o.paper_id = f.paper_id WHERE (o.kind || '') IN (:kx, :ky) "
        "GROUP BY o.paper_id, f.day, o.kind, o.unit) "
        "SELECT bx.paper_id, bx.day, bx.unit, by_.unit FROM b bx JOIN b by_ ON "
        "by_.paper_id = bx.paper_id WHERE bx.kind = :kx AND by_.kind = :ky "
        "UNION ALL SELECT NULL, NULL, NULL, CAST(SUM(n) AS TEXT) FROM f",
        {**params, "rare": rare, "kx": x_kind, "ky": y_kind})).all()
    found = int(next((r[3] for r in rows if r[0] is None), None) or 0)
    scanned = 4 * newest if newest and found >= 4 * newest else None
    pairs = [r for r in rows if r[0] is not None]
    counts: dict[tuple[str, str], int] = {}
    for _, _, ux, uy in pairs:
        counts[(ux, uy)] = counts.get((ux, uy), 0) + 1
    if not counts:
        return [], None, None, 0, scanned
    ux, uy = min(counts, key=lambda u: (-counts[u], u))
    dates = {pid: (day or "")[:10] for pid, day, a, b in pairs if (a, b) == (ux, uy)}
    both = sorted(dates)
    if keep is not None and len(both) > keep:
        both = sorted(both, key=lambda pid: (dates[pid], pid))[-keep:]
    best = _largest(conn, both, x_kind, y_kind)
    meta = _titles(conn, both)
    points = []
    for pid in both:
        cx, cy = best[(pid, x_kind, ux)], best[(pid, y_kind, uy)]
        title, date = meta.get(pid, ("", None))
        points.append(PairPoint(pid, title, date, float(cx["value"]), float(cy["value"]),
                                cx["label"], cy["label"]))
    return points, ux, uy, len(dates), scanned


def _largest(conn: Connection, ids: list[str], *kinds: str
             ) -> dict[tuple[str, str, str], dict[str, Any]]:
    """{(paper id, kind, unit): its largest claim there (the first, on a tie)} of these
    kinds, for a few papers."""
    out: dict[tuple[str, str, str], Any] = {}
    for n in range(0, len(ids), CHUNK):
        for r in conn.execute(sql(
                f"SELECT {CLAIM_COLS} FROM paper_claims c WHERE c.paper_id IN :ids "
                "AND (c.kind || '') IN :kinds ORDER BY c.paper_id, c.\"position\"",
                {"ids": ids[n:n + CHUNK], "kinds": list(kinds)})).mappings():
            key = (r["paper_id"], r["kind"], r["unit"])
            if key not in out or r["value"] > out[key]["value"]:
                out[key] = r
    return {k: claim_from_row(r) for k, r in out.items()}


def _titles(conn: Connection, ids: list[str]) -> dict[str, tuple[str, str | None]]:
    out: dict[str, tuple[str, str | None]] = {}
    for n in range(0, len(ids), CHUNK):
        for r in conn.execute(sql("SELECT id, title, announced FROM papers WHERE id IN :ids",
                                  {"ids": ids[n:n + CHUNK]})):
            out[r[0]] = (r[1], (r[2] or "")[:10] or None)
    return out
