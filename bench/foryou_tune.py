"""Tune For-you's blend on the dev half, confirm on the other (bench/foryou_eval.py's parts).

bench/foryou_eval.py saves every candidate's score parts; the blend (foryou_model.WEIGHTS,
FUSION) does not change the candidates, so re-blending them here gives exactly the recall the
engine would have with those weights. Coordinate ascent over a small grid, on the `dev` splits
only, maximising the mean over protocols of For you's recall@100 / the best baseline's; then
every protocol and half is printed with the chosen weights (confirm was never looked at).

`--buckets 1,5`: then a blend per reader size (foryou_model.SIZE_WEIGHTS: at most 1
positive, at most 5, more), each tuned from the global weights on the dev splits of that size
only; a step must gain `--min-gain` (0.01, about two hidden papers of a 9-split bucket) on
the bucket's dev objective (few splits per bucket).

    nice -n 10 .venv/bin/python bench/foryou_tune.py [--method foryou] [--buckets 1,5]
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "src"))
import foryou_eval as fe

from paperfeed.rank import foryou_model as fm

GRID = (0.0, 0.25, 0.5, 1.0, 2.0)


Prep = list[tuple[int, list[str], dict[str, np.ndarray], set[str]]]
Sized = tuple[tuple[int, dict[str, float]], ...]


def prepare(rows: list[dict[str, Any]], parts: list[dict[str, Any]], method: str,
            fusion: str) -> Prep:
    out = []
    fm.FUSION = fusion
    for p in parts:
        if p["method"] != method or "ids" not in p:
            continue
        hidden = set(rows[p["split"]]["hidden"])
        normed = {k: fm.norm_part(k, v) for k, v in p["parts"].items()}
        out.append((p["split"], p["ids"], normed, hidden))
    return out


def _for(n_pos: int, w: dict[str, float], sized: Sized) -> dict[str, float]:
    for upto, ws in sized:
        if n_pos <= upto:
            return ws
    return w


def recalls(prep: Prep, w: dict[str, float], sized: Sized = (),
            npos: dict[int, int] | None = None) -> dict[int, float]:
    res = {}
    for split, ids, normed, hidden in prep:
        ws = _for(npos[split], w, sized) if sized and npos is not None else w
        total = np.zeros(len(ids))
        for k, x in normed.items():
            if ws.get(k, 0.0):
                total += ws[k] * x
        top = np.argsort(-total, kind="stable")[:fe.K]
        res[split] = sum(ids[i] in hidden for i in top.tolist()) / len(hidden)
    return res


def objective(rows: list[dict[str, Any]], rec: dict[int, float], half: str) -> float:
    by: dict[str, list[tuple[float, float]]] = {}
    for i, r in enumerate(rows):
        if r["half"] == half and i in rec:
            best = max(v for k, v in r["recall"].items() if k in fe.BASELINES)
            by.setdefault(r["protocol"], []).append((rec[i], best))
    return float(np.mean([np.mean([a for a, _ in v]) / max(np.mean([b for _, b in v]), 1e-9)
                          for v in by.values()]))


def ascend(rows: list[dict[str, Any]], prep: Prep, keys: list[str], w: dict[str, float],
           passes: int, min_gain: float = 1e-9) -> tuple[float, dict[str, float]]:
    """Coordinate ascent over GRID on the dev objective of the splits in `prep`."""
    cur = objective(rows, recalls(prep, w), "dev")
    for _ in range(passes):
        for k in keys:
            grid = [-g for g in GRID] if k.startswith("neg_") else list(GRID)
            for g in grid:
                trial = {**w, k: g}
                o = objective(rows, recalls(prep, trial), "dev")
                if o > cur + min_gain:
                    cur, w = o, trial
    return cur, w


def bagged(rows: list[dict[str, Any]], prep: Prep, keys: list[str], w: dict[str, float],
           passes: int, min_gain: float, bags: int) -> tuple[float, dict[str, float]]:
    """`ascend`, or with bags > 1 the mean of the weights `ascend` finds on `bags` random
    70% subsets of the splits (seeded): smoother weights, less fitted to a few splits."""
    if bags <= 1:
        return ascend(rows, prep, keys, w, passes, min_gain)
    rng = np.random.default_rng(11)
    found = []
    for _ in range(bags):
        pick = rng.choice(len(prep), max(1, int(0.7 * len(prep))), replace=False)
        found.append(ascend(rows, [prep[int(i)] for i in pick], keys, w, passes, min_gain)[1])
    mean = {k: float(np.mean([f.get(k, 0.0) for f in found])) for k in w}
    return objective(rows, recalls(prep, mean), "dev"), mean


def one_part(rows: list[dict[str, Any]], parts: list[dict[str, Any]], method: str,
             part: str, grid: list[float]) -> None:
    """Each weight of `part` added to the shipped blend of each reader size: the dev objective
    and every protocol, dev and confirm (the choice is the best dev objective)."""
    prep = prepare(rows, parts, method, fm.FUSION)
    npos = {i: len(r["pos"]) for i, r in enumerate(rows)}
    found = []
    for g in grid:
        sized = tuple((upto, {**w, part: g}) for upto, w in fm.SIZE_WEIGHTS)
        rec = recalls(prep, {**fm.WEIGHTS, part: g}, sized, npos)
        found.append((objective(rows, rec, "dev"), g, rec))
        by: dict[tuple[str, str], list[float]] = {}
        for i, v in rec.items():
            r = rows[i]
            by.setdefault((r["protocol"], r["half"]), []).append(v)
            by.setdefault(("all", r["half"]), []).append(v)
        cells = ", ".join(f"{p}/{h} {np.mean(v):.3f}" for (p, h), v in sorted(by.items()))
        print(f"{part}={g}: dev objective {found[-1][0]:.4f}, confirm objective "
              f"{objective(rows, rec, 'confirm'):.4f}; {cells}")
    best = max(found, key=lambda f: (f[0], -f[1]))
    print(f"chosen on dev: {part}={best[1]}")
    for i, r in enumerate(rows):
        r["recall"][method + "_tuned"] = best[2].get(i, float("nan"))
    print(fe.table(rows, list(rows[0]["recall"]), ours=method + "_tuned"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--method", default="foryou")
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--parts", type=Path, default=fe.PARTS)
    ap.add_argument("--drop", default="", help="comma-separated parts kept at weight 0 "
                    "(e.g. a classifier, to fit one less per request)")
    ap.add_argument("--buckets", default="", help="comma-separated positive counts: a blend "
                    "per reader size (at most each count, then more), tuned on dev")
    ap.add_argument("--min-gain", type=float, default=0.01,
                    help="a bucket's step must gain this much on its dev objective")
    ap.add_argument("--bags", type=int, default=1, help="average the weights tuned on this "
                    "many random 70%% subsets of the dev splits")
    ap.add_argument("--also", type=Path, help="another run's parts (e.g. the lexical-only "
                    "engine's): print it with the chosen weights too")
    ap.add_argument("--part", help="tune this one part's weight alone, on top of the shipped "
                    "blend (SIZE_WEIGHTS and WEIGHTS as they are), over --part-grid")
    ap.add_argument("--part-grid", default="0,0.05,0.1,0.25,0.5,1,2")
    a = ap.parse_args()
    d = pickle.loads(a.parts.read_bytes())
    rows, parts = d["rows"], d["parts"]
    if a.part:
        one_part(rows, parts, a.method, a.part, [float(g) for g in a.part_grid.split(",")])
        return
    best: tuple[float, str, dict[str, float]] = (-1.0, "", {})
    for fusion in ("z", "rank", "mad"):
        prep = prepare(rows, parts, a.method, fusion)
        drop = set(a.drop.split(",")) - {""}
        keys = sorted({k for _, _, n, _ in prep for k in n} - drop)
        w = {k: v for k, v in fm.WEIGHTS.items() if k in keys}
        print(f"{fusion}: shipped weights, dev objective "
              f"{objective(rows, recalls(prep, w), 'dev'):.3f}")
        cur, w = bagged(rows, prep, keys, w, a.passes, 1e-9, a.bags)
        print(f"{fusion}: tuned dev objective {cur:.3f} with {w}")
        if cur > best[0]:
            best = (cur, fusion, w)
    _, fusion, w = best
    prep = prepare(rows, parts, a.method, fusion)
    rec = recalls(prep, w)
    print(f"chosen: FUSION={fusion!r} WEIGHTS={w}")
    print(f"confirm objective {objective(rows, rec, 'confirm'):.3f}")
    npos = {i: len(r["pos"]) for i, r in enumerate(rows)}
    sized: Sized = ()
    if a.buckets:
        keys = sorted({k for _, _, n, _ in prep for k in n} - drop)
        bounds = sorted(int(b) for b in a.buckets.split(","))
        lo = 0
        found: list[tuple[int, dict[str, float]]] = []
        for hi in [*bounds, 10**9]:
            sub = [p for p in prep if lo < npos[p[0]] <= hi]
            lo = hi
            if not sub:
                found.append((hi, w))
                continue
            start = objective(rows, recalls(sub, w), "dev")
            o, wb = bagged(rows, sub, keys, w, a.passes, a.min_gain, a.bags)
            print(f"bucket <= {hi} positives ({len(sub)} splits): dev {start:.3f} -> {o:.3f} "
                  f"with {wb}")
            found.append((hi, wb))
        sized = tuple(found[:-1])
        w = found[-1][1]
        rec = recalls(prep, w, sized, npos)
        print(f"chosen by size: SIZE_WEIGHTS={sized} WEIGHTS={w}")
        print(f"dev objective {objective(rows, rec, 'dev'):.3f}, "
              f"confirm objective {objective(rows, rec, 'confirm'):.3f}")
    for i, r in enumerate(rows):
        r["recall"][a.method + "_tuned"] = rec.get(i, float("nan"))
    names = [m for m in rows[0]["recall"]]
    print(fe.table(rows, names, ours=a.method + "_tuned"))
    cand = {}  # the hidden papers among the candidates at all: the ceiling of any blend
    for split, ids, _, hidden in prep:
        cand.setdefault(rows[split]["protocol"], []).append(len(hidden & set(ids)) / len(hidden))
    print("candidate recall: " + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in cand.items()))
    if a.also:
        d2 = pickle.loads(a.also.read_bytes())
        rows2 = d2["rows"]
        same = [r["name"] for r in rows2] == [r["name"] for r in rows] and \
            [r["protocol"] for r in rows2] == [r["protocol"] for r in rows]
        for r2, r in zip(rows2, rows, strict=False):  # a run of the engine alone (--only):
            if same:  # the baselines of this run, on the same splits
                r2["recall"] = {**{k: v for k, v in r["recall"].items() if k in fe.BASELINES},
                                **r2["recall"]}
        m2 = {p["method"] for p in d2["parts"]}
        m2n = a.method if a.method in m2 or len(m2) != 1 else next(iter(m2))
        rec2 = recalls(prepare(rows2, d2["parts"], m2n, fusion), w, sized,
                       {i: len(r["pos"]) for i, r in enumerate(rows2)})
        for i, r in enumerate(rows2):
            r["recall"][a.method + "_tuned"] = rec2.get(i, float("nan"))
        print(f"\n{a.also.name} with the chosen weights:")
        print(fe.table(rows2, list(rows2[0]["recall"]), ours=a.method + "_tuned"))


if __name__ == "__main__":
    main()
