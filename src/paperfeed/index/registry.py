"""Every derived index, in the order a refresh brings them up to date.

Each line names a module attribute holding a `protocol.Derived` (imported when a refresh
needs it, so a module downstream of index/ can register its own: recommendations, code links).
Add an index with one line here.
"""

from __future__ import annotations

import importlib

from paperfeed.index.protocol import Derived

INDEXES: list[str] = [
    "paperfeed.index.lookups:DERIVED",
    "paperfeed.index.lexical:DERIVED",
    "paperfeed.index.claims:DERIVED",
    "paperfeed.index.codelinks:DERIVED",
    "paperfeed.index.vectors:EMBEDDINGS",  # slow: embeds with the model
    "paperfeed.index.vectors:VECTORS",
]


def derived_indexes() -> list[Derived]:
    """The registered indexes, in refresh order."""
    out = []
    for ref in INDEXES:
        module, _, attr = ref.partition(":")
        out.append(getattr(importlib.import_module(module), attr))
    return out


def names() -> list[str]:
    return [d.name for d in derived_indexes()]
