"""`refresh(engine)`: bring every derived index up to the papers, in one sequence.

The only place the sequence is written: `paperfeed import`/`fetch`/`harvest`/`index update`/
`index rebuild`, the worker's fetch and index jobs, digests and the tests all call it. Each
registered index (index/registry.py) is caught up from its watermark, or rebuilt; an index
with nothing to do says so. Writers only: web processes never call this (they `refresh()`
their opened readers, see protocol.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine, text

from paperfeed.index.protocol import Derived, Options
from paperfeed.index.registry import derived_indexes
from paperfeed.progress import Reporter


@dataclass
class StepResult:
    done: int = 0  # papers (or vectors) the step processed
    seconds: float = 0.0
    skipped: bool = False  # nothing to do


@dataclass
class RefreshReport:
    steps: dict[str, StepResult] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)  # e.g. model_id, vectors_in_index

    def done(self, name: str) -> int:
        step = self.steps.get(name)
        return step.done if step else 0

    def to_json(self) -> dict[str, Any]:
        return {"steps": {k: asdict(v) for k, v in self.steps.items()}, **self.info}


class RefreshFailed(RuntimeError):
    """A step failed: `step` names it, `report` holds what the steps before it did."""

    def __init__(self, step: str, error: BaseException, report: RefreshReport) -> None:
        super().__init__(f"{step}: {type(error).__name__}: {error}")
        self.step, self.error, self.report = step, error, report


def _papers(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM papers")).scalar_one())


def selected(only: Iterable[str] | None, slow: bool) -> list[Derived]:
    wanted = set(only) if only is not None else None
    out = [d for d in derived_indexes()
           if (wanted is None or d.name in wanted) and (slow or not d.slow)]
    if wanted is not None:
        unknown = wanted - {d.name for d in derived_indexes()}
        if unknown:
            known = ", ".join(d.name for d in derived_indexes())
            raise ValueError(f"unknown index {', '.join(sorted(unknown))}; known: {known}")
    return out


def refresh(engine: Engine, *, only: Iterable[str] | None = None, slow: bool = True,
            rebuild: bool = False, model: str | None = None, embedder: Any = None,
            progress: Reporter | None = None) -> RefreshReport:
    """Catch every derived index up with `papers` (or rebuild them); what each step did.

    `only`: names of the indexes to do (default: all); `slow=False` skips the ones that embed
    with a model (fetches do, `index update` does not); `model`/`embedder`: the embedding model
    (default: PAPERFEED_EMBED_MODEL); `progress`: a Reporter that shows each step. A failing
    step raises RefreshFailed after the steps before it are done and recorded.
    """
    opts = Options(model=model, cache={"embedder": embedder} if embedder is not None else {})
    report = RefreshReport()
    for d in selected(only, slow):
        t0 = time.monotonic()
        try:
            todo = None if rebuild else d.pending(engine, opts)
            step = progress.step(d.label, unit=d.unit) if progress else None
            if todo == 0:
                report.steps[d.name] = StepResult(0, time.monotonic() - t0, skipped=True)
                if step:
                    step.skip("up to date")
                continue
            if step:
                step.total = todo if todo is not None else _papers(engine)
            fn = d.rebuild if rebuild else d.catch_up
            n = fn(engine, opts, step.update if step else None)
        except Exception as e:
            if progress:
                progress.final(f"{d.label}: FAILED after {time.monotonic() - t0:.1f} s: "
                               f"{type(e).__name__}: {e}")
            report.info.update(_info(opts))
            raise RefreshFailed(d.name, e, report) from e
        report.steps[d.name] = StepResult(n, round(time.monotonic() - t0, 3))
        if step:
            step.finish(("rebuilt, " if rebuild else "") + f"{n:,} {d.unit} {d.verb}")
    report.info.update(_info(opts))
    return report


def _info(opts: Options) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "embedder" in opts.cache:
        out["model_id"] = opts.cache["embedder"].model_id
    if "vectors_in_index" in opts.cache:
        out["vectors_in_index"] = opts.cache["vectors_in_index"]
    return out
