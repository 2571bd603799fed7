"""The papers-per-month bar chart of a search, laid out here and drawn as SVG by a template."""

from __future__ import annotations

from dataclasses import dataclass

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
