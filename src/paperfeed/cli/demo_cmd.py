"""`paperfeed demo`: load the bundled demo corpus (and its vectors) and show it."""

from __future__ import annotations

import os
from importlib.resources import as_file, files

from sqlalchemy import Engine

from paperfeed.cli.common import console, refresh_indexes, state
from paperfeed.cli.show_cmd import list_command, stats_command
from paperfeed.ingest.files import import_file

DEMO = "demo-papers.jsonl.gz"
VECTORS = "demo-vectors.npz"  # the shipped model's vectors of DEMO (`make demo-vectors`)


def demo_command() -> None:
    """Load the bundled demo corpus (3,301 cs.* arXiv papers) with its vectors, and show it.

    The corpus ships with the default model's vectors, so semantic search works without
    embedding anything (`paperfeed index update` then only builds the index). Idempotent:
    running it again changes nothing.
    """
    engine = state.engine()
    with as_file(files("paperfeed.demo") / DEMO) as path:
        report = import_file(engine, path, parallel=False)
    w = report.written
    console.print(f"demo corpus: {w.inserted:,} new, {w.updated:,} updated, "
                  f"{w.unchanged:,} already there", highlight=False)
    console.print(f"demo vectors: {_load_vectors(engine)}", highlight=False)
    refresh_indexes(engine)
    stats_command(as_json=False)
    list_command(limit=10, category=None, as_json=False)


def _load_vectors(engine: Engine) -> str:
    """Load the shipped vectors where they are the model this database embeds with."""
    from paperfeed.index.minilm import ENV_RUNTIME, ONNX_MODEL_ID
    from paperfeed.index.preload import file_model_id, load_vectors
    from paperfeed.search.hybrid import default_model

    with as_file(files("paperfeed.demo") / VECTORS) as path:
        if not path.is_file():
            return "none shipped with this copy; `paperfeed index update` embeds the papers"
        shipped = file_model_id(path)
        runtime = (os.environ.get(ENV_RUNTIME) or "onnx").lower()
        if default_model() != "minilm" or runtime != "onnx" or shipped != ONNX_MODEL_ID:
            return (f"not used (they are {shipped}; this database embeds with "
                    f"{default_model()}/{runtime}): `paperfeed index update` embeds the papers")
        n = load_vectors(engine, path)
    return (f"{n:,} loaded ({shipped}): semantic search needs no embedding" if n
            else "already loaded")
