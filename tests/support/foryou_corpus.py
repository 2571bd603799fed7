"""A small corpus with clear interests, for the For-you tests: three topics of 12 papers each
(their own words, shared filler), a few days apart, written as JSONL for `paperfeed import`."""

from __future__ import annotations

import random
from pathlib import Path

import orjson

TOPICS = {
    "kv": ["kv", "cache", "compression", "eviction", "quantization", "attention", "heads", "long", "context", "inference", "memory", "tokens", "llm", "decoding"],
    "protein": ["protein", "folding", "structure", "prediction", "residues", "diffusion", "backbone", "sequence", "design", "binding", "enzyme"],
    "galaxy": ["galaxy", "cluster", "redshift", "dark", "matter", "halo", "lensing", "survey", "stellar", "mass", "telescope", "cosmology"],
}
FILLER = ["we", "propose", "method", "results", "show", "novel", "approach", "experiments", "demonstrate", "improved", "performance", "framework", "analysis", "evaluate", "study"]
PER_TOPIC = 12


def papers() -> list[dict[str, object]]:
    rng = random.Random(11)
    out: list[dict[str, object]] = []
    for t, (name, words) in enumerate(TOPICS.items()):
        for i in range(PER_TOPIC):
            title = " ".join(rng.sample(words, 4)).capitalize()
            abstract = " ".join(rng.choice(words) if rng.random() < 0.7 else rng.choice(FILLER)
                                for _ in range(40)) + "."
            out.append({"id": f"2601.{t:02d}{i:03d}", "title": f"{title} ({name} {i})",
                        "abstract": abstract,
                        "authors": [f"Author {name.title()}{i % 3}", "Shared Person"],
                        "categories": [{"kv": "cs.CL", "protein": "q-bio.BM",
                                        "galaxy": "astro-ph.CO"}[name]],
                        "date": f"2026-01-{1 + i % 6:02d}"})
    return out


def topic_of(paper_id: str) -> str:
    return list(TOPICS)[int(paper_id.split(".")[1][:2])]


def write(path: Path) -> Path:
    path.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in papers()))
    return path
