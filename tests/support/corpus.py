"""A small corpus in the store: records written as JSON lines, imported, indexes caught up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine

from paperfeed.index import codelinks
from paperfeed.index.lexical import catch_up_after_import
from paperfeed.index.lookups import catch_up_lookups
from paperfeed.ingest.files import import_file


def load_corpus(engine: Engine, tmp_path: Path, records: list[dict[str, Any]],
                indexes: bool = True) -> None:
    """Import `records`; with `indexes`, catch up lookups, the lexical index and code links."""
    path = tmp_path / f"corpus{len(list(tmp_path.glob('corpus*.jsonl')))}.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    import_file(engine, path, parallel=False)
    if indexes:
        catch_up_lookups(engine)
        catch_up_after_import(engine)
        codelinks.catch_up(engine)
