"""Paper data as files people use elsewhere: JSON lines (re-importable) and BibTeX."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import orjson

from paperfeed.ids import is_arxiv_id

_EXPORT_KEYS = ("id", "title", "abstract", "authors", "categories", "comment", "version",
                "submitted", "updated", "doi", "journal_ref", "license")


def jsonl_line(paper: dict[str, Any]) -> str:
    """One line of paperfeed's JSON-lines format (what `paperfeed import` reads)."""
    out = {k: paper.get(k) for k in _EXPORT_KEYS}
    out["date"] = paper.get("announced")
    return orjson.dumps({k: v for k, v in out.items() if v is not None}).decode() + "\n"


_LATEX_SPECIAL = re.compile(r"([&%$#_{}])")


def _bib_escape(s: str) -> str:
    return _LATEX_SPECIAL.sub(r"\\\1", s)


def bibtex_key(paper: dict[str, Any]) -> str:
    """firstauthorlastname + year + first title word, ASCII (the style Google Scholar uses)."""
    authors = paper.get("authors") or []
    last = authors[0].split()[-1] if authors else "anon"
    date = paper.get("submitted") or paper.get("announced") or ""
    word = next((w for w in re.findall(r"[A-Za-z]+", paper["title"]) if len(w) > 3), "paper")
    raw = f"{last}{date[:4]}{word}".lower()
    return unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode() or "paper"


def bibtex_entry(paper: dict[str, Any]) -> str:
    """A BibTeX @misc entry in the form arXiv itself suggests (eprint, archivePrefix)."""
    fields: list[tuple[str, str]] = [
        ("title", "{" + _bib_escape(paper["title"]) + "}"),
        ("author", " and ".join(paper.get("authors") or [])),
    ]
    date = paper.get("submitted") or paper.get("announced")
    if date:
        fields.append(("year", date[:4]))
    pid = paper["id"]
    if is_arxiv_id(pid):
        fields += [("eprint", pid), ("archivePrefix", "arXiv")]
        if paper.get("primary_category"):
            fields.append(("primaryClass", paper["primary_category"]))
        fields.append(("url", f"https://arxiv.org/abs/{pid}"))
    if paper.get("doi"):
        fields.append(("doi", paper["doi"]))
    if paper.get("journal_ref"):
        fields.append(("journal", _bib_escape(paper["journal_ref"])))
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields if v)
    return f"@misc{{{bibtex_key(paper)},\n{body}\n}}\n\n"


# --- RIS (issue #17: Zotero, EndNote, Mendeley read it) -------------------------------------

def ris_entry(paper: dict[str, Any]) -> str:
    """A RIS record (TY ... ER) of the paper, as Zotero writes an arXiv preprint."""
    pid = paper["id"]
    lines = [("TY", "PREPRINT" if is_arxiv_id(pid) else "GEN"),
             ("TI", " ".join(paper["title"].split()))]
    lines += [("AU", a) for a in paper.get("authors") or []]
    date = paper.get("submitted") or paper.get("announced")
    if date:
        lines += [("PY", date[:4]), ("DA", date[:10].replace("-", "/"))]
    if paper.get("abstract"):
        lines.append(("AB", " ".join(paper["abstract"].split())))
    if is_arxiv_id(pid):
        lines += [("UR", f"https://arxiv.org/abs/{pid}"), ("PB", "arXiv"),
                  ("DO", paper.get("doi") or f"10.48550/arXiv.{pid}"),
                  ("N1", f"arXiv:{pid}" + (f" [{paper['primary_category']}]"
                                           if paper.get("primary_category") else ""))]
    elif paper.get("doi"):
        lines.append(("DO", paper["doi"]))
    if paper.get("journal_ref"):
        lines.append(("JO", paper["journal_ref"]))
    lines += [("KW", c) for c in paper.get("categories") or []]
    return "".join(f"{k}  - {v}\n" for k, v in lines if v) + "ER  - \n\n"
