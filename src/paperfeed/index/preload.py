"""Vectors computed elsewhere, loaded into `paper_vectors` (the demo corpus ships with its own).

A file holds, for one model, each paper's id, the digest of the text it was embedded from and
the float16 vector. Loading keeps a vector only where the stored paper's text still has that
digest, so a paper that changed since is embedded again by `paperfeed index update`; nothing
else is written. The file is an `.npz` (numpy, no pickles): `ids`, `hashes`, `vecs`, `model_id`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import Engine, bindparam, text

from paperfeed.index.vectors import embed_text, text_hash, to_blob
from paperfeed.store.db import write_tx
from paperfeed.store.write import utcnow

CHUNK = 500
_PAPERS = text(
    "SELECT p.id, p.seq, p.title, p.abstract, v.model_id, v.seq AS vseq "
    "FROM papers p LEFT JOIN paper_vectors v ON v.paper_id = p.id WHERE p.id IN :ids"
).bindparams(bindparam("ids", expanding=True))
_DELETE = text("DELETE FROM paper_vectors WHERE paper_id IN :ids").bindparams(
    bindparam("ids", expanding=True))


def save_vectors(engine: Engine, model_id: str, path: Path) -> int:
    """Write every stored vector of `model_id` to `path`; return how many."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT paper_id, text_hash, vec FROM paper_vectors WHERE model_id = :m "
            "ORDER BY paper_id"), {"m": model_id}).all()
    if not rows:
        raise ValueError(f"the database has no vectors of {model_id}: run `paperfeed index "
                         "update` first")
    vecs = np.stack([np.frombuffer(r.vec, dtype="<f2") for r in rows])
    with path.open("wb") as f:
        np.savez_compressed(f, ids=np.array([r.paper_id for r in rows]),
                            hashes=np.array([r.text_hash for r in rows]), vecs=vecs,
                            model_id=np.array(model_id))
    return len(rows)


def file_model_id(path: Path) -> str:
    """The model whose vectors `path` holds."""
    with np.load(path, allow_pickle=False) as z:
        return str(z["model_id"])


def load_vectors(engine: Engine, path: Path) -> int:
    """Store the vectors of `path` for papers whose text is unchanged and that lack a current
    vector of that model; return how many were stored (0 on a second run)."""
    with np.load(path, allow_pickle=False) as z:
        ids, hashes, vecs = list(z["ids"]), list(z["hashes"]), z["vecs"]
        model_id = str(z["model_id"])
    loaded = 0
    for start in range(0, len(ids), CHUNK):
        chunk = {str(i): k for k, i in enumerate(ids[start:start + CHUNK], start)}
        with engine.connect() as conn:
            papers = conn.execute(_PAPERS, {"ids": list(chunk)}).all()
        now = utcnow()
        todo = []
        for p in papers:
            k = chunk[p.id]
            if p.model_id == model_id and p.vseq is not None and p.vseq >= p.seq:
                continue  # already current
            if text_hash(embed_text(p.title, p.abstract)) != str(hashes[k]):
                continue  # the text changed since: embed it again instead
            todo.append({"id": p.id, "m": model_id, "d": int(vecs.shape[1]),
                         "v": to_blob(vecs[k]), "h": str(hashes[k]), "s": p.seq, "t": now})
        if not todo:
            continue
        with write_tx(engine) as conn:
            conn.execute(_DELETE, {"ids": [t["id"] for t in todo]})
            conn.execute(text(
                "INSERT INTO paper_vectors (paper_id, model_id, dim, vec, text_hash, seq, "
                "embedded_at) VALUES (:id, :m, :d, :v, :h, :s, :t)"), todo)
        loaded += len(todo)
    return loaded



def main(argv: list[str] | None = None) -> int:
    """`python -m paperfeed.index.preload DB OUT.npz`: save a database's default-model vectors."""
    import sys

    from paperfeed.index.minilm import ONNX_MODEL_ID
    from paperfeed.store import open_store

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m paperfeed.index.preload DB OUT.npz", file=sys.stderr)
        return 2
    n = save_vectors(open_store(args[0]), ONNX_MODEL_ID, Path(args[1]))
    print(f"{args[1]}: {n:,} vectors of {ONNX_MODEL_ID}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
