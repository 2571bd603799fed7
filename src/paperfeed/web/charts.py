"""Charts drawn as SVG by templates: the per-month bars of a search, the Claims scatter."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from markupsafe import Markup, escape

WIDTH, HEIGHT, MAX_BARS = 640, 120, 72


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    label: str  # YYYY-MM or YYYY
    count: int


def _by_year(counts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    years: dict[str, int] = {}
    for month, n in counts:
        years[month[:4]] = years.get(month[:4], 0) + n
    return sorted(years.items())


def _fill_months(counts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Put in the months with no papers, so time runs evenly along the axis."""
    if not counts:
        return []
    have = dict(counts)
    y, m = int(counts[0][0][:4]), int(counts[0][0][5:7])
    end = counts[-1][0]
    out = []
    while True:
        key = f"{y:04d}-{m:02d}"
        out.append((key, have.get(key, 0)))
        if key >= end or len(out) > 12 * 200:
            return out
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def month_bars(counts: list[tuple[str, int]]) -> list[Bar]:
    """Bars for [(YYYY-MM, n)], by year when there are more than MAX_BARS months."""
    valid = [(m, n) for m, n in counts if len(m) >= 7 and m[:4].isdigit() and m[5:7].isdigit()]
    series = _fill_months(sorted(valid))
    if len(series) > MAX_BARS:
        series = _by_year(series)
    if not series:
        return []
    top = max(n for _, n in series) or 1
    step = WIDTH / len(series)
    return [Bar(round(i * step + 1, 2), round(HEIGHT - (n / top) * HEIGHT, 2),
                round(max(step - 2, 1), 2), round((n / top) * HEIGHT, 2), label, n)
            for i, (label, n) in enumerate(series)]


# the scatter chart of the Claims page -----------------------------------------------------

SCATTER_W, SCATTER_H = 880, 360
PAD_L, PAD_R, PAD_T, PAD_B = 64, 18, 14, 46


@dataclass(frozen=True)
class Tick:
    pos: float  # x or y in SVG units
    label: str


@dataclass(frozen=True)
class Dot:
    cx: float
    cy: float
    href: str
    tip: str  # the tooltip (plain text; the template escapes it)


@dataclass(frozen=True)
class Scatter:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    dots: list[Dot]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    x_title: str
    y_title: str
    x_log: bool
    y_log: bool

    @cached_property
    def dots_html(self) -> Markup:
        """The dots as SVG links with their tooltips (escaped once, not per attribute by the
        template: a chart of 800 points is most of the page's rendering otherwise)."""
        out = []
        for d in self.dots:
            tip = escape(d.tip)
            out.append(f'<a class="dot" href="{escape(d.href)}" aria-label="{tip}"><circle '
                       f'cx="{d.cx}" cy="{d.cy}" r="6"><title>{tip}</title></circle></a>')
        return Markup("".join(out))


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
            if abs(v) >= size:
                return f"{v / size:g}{suffix}"
    return f"{v:g}"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi]."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks: list[float] = []
    v = first
    while v < hi + step * 0.999 and len(ticks) < 50:
        ticks.append(round(v, 10))
        v += step
    return ticks


def log_ticks(lo: float, hi: float) -> list[float]:
    """Powers of ten covering [lo, hi] (with 2 and 5 between when there are few)."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if b == a:
        b += 1
    ticks = [10.0 ** e for e in range(a, b + 1)]
    if b - a <= 2:
        ticks = sorted({t * m for t in ticks for m in (1, 2, 5) if t * m <= 10.0 ** b})
    return ticks


def _axis(values: list[float]) -> tuple[list[float], bool]:
    lo, hi = min(values), max(values)
    use_log = lo > 0 and hi / lo >= 50
    if use_log:
        return log_ticks(lo, hi), True
    if lo >= 0 and lo < hi * 0.5:
        lo = 0.0  # start at zero unless every value sits far from it
    return nice_ticks(lo, hi), False


def scatter(points: list[tuple[float, float, str, str]], x_title: str, y_title: str,
            width: int = SCATTER_W, height: int = SCATTER_H) -> Scatter | None:
    """Lay out (x, y, href, tooltip) points; a log axis where values span 50x or more."""
    if not points:
        return None
    left, top, right, bottom = PAD_L, PAD_T, width - PAD_R, height - PAD_B
    xt, x_log = _axis([p[0] for p in points])
    yt, y_log = _axis([p[1] for p in points])

    def place(v: float, ticks: list[float], log: bool, a: float, b: float) -> float:
        lo, hi = ticks[0], ticks[-1]
        if log:
            v, lo, hi = math.log10(v), math.log10(lo), math.log10(hi)
        frac = (v - lo) / (hi - lo) if hi > lo else 0.5
        return round(a + frac * (b - a), 2)

    dots = [Dot(place(x, xt, x_log, left, right), place(y, yt, y_log, bottom, top), href, tip)
            for x, y, href, tip in points]
    return Scatter(width, height, left, top, right, bottom, dots,
                   [Tick(place(t, xt, x_log, left, right), _fmt(t)) for t in xt],
                   [Tick(place(t, yt, y_log, bottom, top), _fmt(t)) for t in yt],
                   x_title, y_title, x_log, y_log)
