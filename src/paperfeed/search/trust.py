"""What a query names outright: a paper (arXiv id, URL, DOI) or an author; and honest notes.

These come before ranking: a paper named by its id is the answer, an author's name means
their papers; everything else is ranked by words and meaning as usual.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import tantivy
from sqlalchemy import Engine, text

from paperfeed.ids import find_reference, reference_only
from paperfeed.index.lexical import EN, SCHEMA
from paperfeed.index.lookups import author_key
from paperfeed.latex import to_unicode

MAX_AUTHOR_PAPERS = 1000
MAX_REF_WORDS = 12  # an id among more words than this is a citation, not a look-up
_ID_WORDS = re.compile(r"^\s*(?:arxiv|doi)\s*:\s*$", re.IGNORECASE)
_NAME = re.compile(r"^[^\W\d_][\w.'\-]*(?:\s+[^\W\d_][\w.'\-]*){1,4}$")


@dataclass
class Reference:
    kind: str  # "arxiv" or "doi"
    value: str  # the id or DOI as written (normalised)
    paper_id: str | None  # the stored paper, None when this database does not have it
    only: bool  # the query is nothing but the reference
    rest: str  # the query without it

    def missing_note(self) -> str:
        if self.kind == "arxiv":
            return (f"no paper {self.value} in this database yet "
                    f"(`paperfeed fetch arxiv {self.value}` adds it)")
        return f"no paper with DOI {self.value} in this database"


def find_paper(engine: Engine, query: str) -> Reference | None:
    """The arXiv id, URL or DOI in `query`, and the stored paper it names."""
    ref = find_reference(query)
    if ref is None:
        return None
    kind, value = ref
    with engine.connect() as conn:
        if kind == "arxiv":
            pid = conn.execute(text("SELECT id FROM papers WHERE id = :i"),
                               {"i": value}).scalar()
        else:
            pid = conn.execute(text("SELECT id FROM papers WHERE lower(doi) = :d OR id = :i "
                                    "ORDER BY id LIMIT 1"),
                               {"d": value, "i": f"doi:{value}"}).scalar()
    rest = " ".join(w for w in query.split() if find_reference(w) is None)
    rest = "" if _ID_WORDS.match(rest) else rest
    return Reference(kind, value, pid, reference_only(query), rest)


@dataclass
class Author:
    name: str  # as written on their newest paper
    papers: list[str]  # their paper ids, newest first


def author_named(engine: Engine, query: str) -> Author | None:
    """The author whose full name is the whole query (per the author lookup table)."""
    raw = query.strip().strip('"').strip()
    if not _NAME.match(raw):
        return None
    key = author_key(raw)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.paper_id, p.authors FROM paper_authors a JOIN papers p ON p.id = a.paper_id "
            "WHERE a.name_key = :k ORDER BY p.announced DESC, a.paper_id LIMIT :n"),
            {"k": key, "n": MAX_AUTHOR_PAPERS}).all()
    if not rows:
        return None
    import orjson

    names = orjson.loads(rows[0].authors or "[]")
    name = next((n for n in names if author_key(n) == key), raw)
    return Author(name, [r.paper_id for r in rows])


def order_by(ids: list[str], fused: Sequence[tuple[str, float]]) -> list[str]:
    """`ids` in the order of the ranked list `fused`; those absent from it after, as given."""
    pos = {p: i for i, (p, _) in enumerate(fused)}
    wanted = set(ids)
    ranked = [p for p, _ in fused if p in wanted]
    return ranked + [p for p in ids if p not in pos]


def pin(first: list[tuple[str, str]], fused: Sequence[tuple[str, float]]
        ) -> list[tuple[str, float, str | None]]:
    """`first` (paper, why) ahead of the ranked list, each paper once."""
    score = dict(fused)
    top = max((s for _, s in fused), default=1.0)
    seen: set[str] = set()
    out: list[tuple[str, float, str | None]] = []
    for p, why in first:
        if p not in seen:
            seen.add(p)
            out.append((p, score.get(p, top), why))
    out += [(p, s, None) for p, s in fused if p not in seen]
    return out


def stopword_note(query: str) -> str:
    """What to say to a query of only common words or punctuation."""
    shown = " ".join(query.split())[:80]
    return (f"“{shown}” has only common words (like “the”, “of”) or punctuation, which search "
            "ignores: add a word that says what the papers are about")


def _norm_title(s: str) -> str:
    return " ".join(re.findall(r"\w+", to_unicode(s).lower()))


def exact_title(lexical: Any, engine: Engine, query: str) -> str | None:
    """The paper whose title is the whole query (pasted; case, punctuation and LaTeX aside)."""
    words = query.split()
    if not 3 <= len(words) <= 60:
        return None
    toks = EN.pre_tokenize(to_unicode(query)).tokens
    if len(toks) < 2:
        return None
    first = toks[0].position
    phrase = tantivy.Query.phrase_query(SCHEMA, "title",
                                        [(t.position - first, t.text) for t in toks])
    hits = lexical.searcher.search(phrase, 5, count=False).hits
    ids = [str(lexical.searcher.doc(addr).get_first("id")) for _, addr in hits]
    if not ids:
        return None
    want = _norm_title(query)
    params = {f"i{n}": pid for n, pid in enumerate(ids)}
    marks = ", ".join(f":{k}" for k in params)
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, title FROM papers WHERE id IN ({marks})"),
                            params).all()
    same = sorted(r.id for r in rows if _norm_title(r.title or "") == want)
    return same[0] if same else None
