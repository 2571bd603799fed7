"""Where derived index files live: beside a SQLite file, or in the cache dir for a server DB."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs
from sqlalchemy import Engine

ENV_DIR = "PAPERFEED_INDEX_DIR"


def index_dir(engine: Engine) -> Path:
    """$PAPERFEED_INDEX_DIR, else `<db file>.index/`, else a per-database folder in the cache."""
    if env := os.environ.get(ENV_DIR):
        path = Path(env)
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        path = Path(f"{engine.url.database}.index")
    else:
        url = engine.url.render_as_string(hide_password=True)
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        path = Path(platformdirs.user_cache_dir("paperfeed")) / f"index-{digest}"
    path.mkdir(parents=True, exist_ok=True)
    return path
