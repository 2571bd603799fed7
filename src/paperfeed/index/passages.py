"""Whole abstracts for the semantic side: overlapping word windows, embedded and pooled.

The model reads 256 tokens at most, and two thirds of arXiv abstracts are longer: embedded
whole they are cut. A `PassageEmbedder` splits each passage into windows of `WINDOW_WORDS`
words (`STRIDE_WORDS` apart), embeds every window with the inner model and pools them into one
L2-normalised vector (mean or element-wise max). Queries are embedded as they are. The pooled
model has its own model id, so switching it on re-embeds cleanly.

Chosen by $PAPERFEED_EMBED_PASSAGES (off, mean or max); docs/benchmarks.md has the figures.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from paperfeed.config import setting

WINDOW_WORDS = 180  # ~240 word-piece tokens of scientific English: fits 256
STRIDE_WORDS = 150  # 30 words of overlap, so no sentence is only ever seen cut
ENV = "PAPERFEED_EMBED_PASSAGES"
Pool = Literal["mean", "max"]


def windows(text: str, size: int = WINDOW_WORDS, stride: int = STRIDE_WORDS) -> list[str]:
    """`text` as overlapping windows of `size` words; a short text is one window."""
    words = text.split()
    if len(words) <= size:
        return [" ".join(words)]
    out = []
    for start in range(0, len(words), stride):
        out.append(" ".join(words[start:start + size]))
        if start + size >= len(words):
            break
    return out


def pool(mat: np.ndarray, groups: list[int], how: Pool = "mean") -> np.ndarray:
    """Rows of `mat` pooled per text (`groups[i]` consecutive rows for text i), L2-normalised."""
    out = np.zeros((len(groups), mat.shape[1]), dtype=np.float32)
    pos = 0
    for i, n in enumerate(groups):
        block = mat[pos:pos + n]
        out[i] = block.max(axis=0) if how == "max" else block.mean(axis=0)
        pos += n
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-9)


class PassageEmbedder:
    """Embeds passages window by window and pools them; queries go to the inner model as is."""

    def __init__(self, inner: Any, how: Pool = "mean") -> None:
        if how not in ("mean", "max"):
            raise ValueError(f"unknown pooling {how!r}: use mean or max")
        self.inner, self.how = inner, how
        self.dim = inner.dim
        self.model_id = f"{inner.model_id}+passages-{how}"

    def embed(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        if kind == "query" or not texts:
            return np.asarray(self.inner.embed(texts, kind=kind), dtype=np.float32)
        parts = [windows(t) for t in texts]
        flat = [w for p in parts for w in p]
        mat = np.asarray(self.inner.embed(flat, kind="passage"), dtype=np.float32)
        return pool(mat, [len(p) for p in parts], self.how)


def passage_setting() -> str:
    """off, mean or max (from $PAPERFEED_EMBED_PASSAGES; off when unset)."""
    value = (setting(ENV) or "off").strip().lower()
    if value not in ("off", "mean", "max"):
        raise ValueError(f"{ENV}={value!r}: use off, mean or max")
    return value


def with_passages(embedder: Any) -> Any:
    """`embedder` wrapped for whole abstracts when the setting asks for it."""
    how = passage_setting()
    return embedder if how == "off" else PassageEmbedder(embedder, how)  # type: ignore[arg-type]
