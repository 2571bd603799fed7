"""Embedding speed: the raw model vs the `embed_missing` pipeline on real arXiv abstracts.

Prints texts/s of the int8 ONNX model called directly (batches of 32 in file order, the
pipeline's own batching), of `embed_missing` into a fresh SQLite store, their ratio, titles/s,
single-query latency, sentence-transformers fp32 for reference (when installed) and the int8
cosine to it. Raw and pipeline runs alternate, so a busy machine slows both alike.

    .venv/bin/python bench/embed_speed.py [--n 500] [--file ../shared/data/arxiv-102k.jsonl.gz]
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

from paperfeed.index.minilm import OnnxEmbedder, minilm_embedder
from paperfeed.index.vectors import embed_missing, embed_text
from paperfeed.records import PaperRecord, validate
from paperfeed.store import open_store, write_tx
from paperfeed.store.write import write_records

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "arxiv-102k.jsonl.gz"


def load(path: Path, n: int) -> list[dict]:  # type: ignore[type-arg]
    with gzip.open(path) as f:
        return [orjson.loads(line) for _, line in zip(range(n), f, strict=False)]


def raw_rate(emb: OnnxEmbedder, texts: list[str], batch: int = 32) -> float:
    t = time.perf_counter()
    for i in range(0, len(texts), batch):
        emb.embed(texts[i : i + batch])
    return len(texts) / (time.perf_counter() - t)


def pipeline_rate(emb: OnnxEmbedder, rows: list[dict], tmp: Path, run: int) -> float:  # type: ignore[type-arg]
    engine = open_store(str(tmp / f"p{run}.sqlite"))
    recs = [validate(PaperRecord(id=r["id"], title=r["title"], abstract=r["abstract"],
                                 source="jsonl")) for r in rows]
    with write_tx(engine) as conn:
        write_records(conn, recs)
    t = time.perf_counter()
    n = embed_missing(engine, emb, batch=32)
    rate = n / (time.perf_counter() - t)
    engine.dispose()
    return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", type=Path, default=DEFAULT)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    rows = load(args.file, args.n)
    texts = [embed_text(r["title"], r["abstract"]) for r in rows]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; {len(texts)} abstracts")
    t = time.perf_counter()
    emb = OnnxEmbedder()
    print(f"model load: {time.perf_counter() - t:.2f} s ({emb.model_id})")
    emb.embed(texts[:32])
    raws, pipes = [], []
    with tempfile.TemporaryDirectory() as d:
        for r in range(args.rounds):
            raws.append(raw_rate(emb, texts))
            pipes.append(pipeline_rate(emb, rows, Path(d), r))
            print(f"round {r}: raw {raws[-1]:.1f} texts/s, pipeline {pipes[-1]:.1f} texts/s")
    raw, pipe = float(np.mean(raws)), float(np.mean(pipes))
    print(f"abstracts: raw int8 {raw:.1f}/s, embed_missing {pipe:.1f}/s, "
          f"ratio {pipe / raw:.3f}")
    titles = [r["title"] for r in rows]
    print(f"titles: raw int8 {raw_rate(emb, titles):.0f}/s")
    lat = []
    for q in titles[:200]:
        t = time.perf_counter()
        emb.embed([q], kind="query")
        lat.append((time.perf_counter() - t) * 1000)
    print(f"single query: p50 {np.percentile(lat, 50):.2f} ms, p99 {np.percentile(lat, 99):.2f} ms")
    try:
        st = minilm_embedder("torch")
    except RuntimeError as e:
        print(f"sentence-transformers fp32: skipped ({e})")
        return
    sample = texts[:64]
    st.embed(sample[:8])
    t = time.perf_counter()
    ref = st.embed(sample)
    print(f"sentence-transformers fp32: {len(sample) / (time.perf_counter() - t):.1f} abstracts/s")
    cos = (emb.embed(sample) * ref).sum(axis=1)
    print(f"int8 vs fp32 cosine: mean {cos.mean():.4f}, min {cos.min():.4f}")


if __name__ == "__main__":
    main()
