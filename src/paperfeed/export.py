"""Paper data as files people use elsewhere: JSON lines (re-importable) and BibTeX."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import orjson

from paperfeed.ids import is_arxiv_id
from paperfeed.latex import math_regions

_EXPORT_KEYS = ("id", "title", "abstract", "authors", "categories", "comment", "version",
                "submitted", "updated", "doi", "journal_ref", "license")


def jsonl_line(paper: dict[str, Any]) -> str:
    """One line of paperfeed's JSON-lines format (what `paperfeed import` reads)."""
    out = {k: paper.get(k) for k in _EXPORT_KEYS}
    out["date"] = paper.get("announced")
    return orjson.dumps({k: v for k, v in out.items() if v is not None}).decode() + "\n"


_TEXT_SPECIAL = re.compile(r"\\[&%$#_{}]|\\[A-Za-z]+|\\.|[&%#_^~<>|]|\\$")
_MATH_SPECIAL = re.compile(r"\\[%&#{}$]|\\[A-Za-z]+|\\.|[%&#]")
_TEXT_REPLACE = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "^": r"\^{}",
                 "~": r"\textasciitilde{}", "<": r"\textless{}", ">": r"\textgreater{}",
                 "|": r"\textbar{}", "\\": r"\textbackslash{}"}


def _bib_escape(s: str) -> str:
    """A field value that compiles: math kept as math, text-mode specials escaped, commands
    kept, and every brace balanced (BibTeX counts braces even after a backslash, so an
    unmatched one becomes \\textbraceleft{} / \\textbraceright{}: no field can be closed early)."""
    s = " ".join(s.split())
    out: list[str] = []
    pos = 0
    for a, b in math_regions(s):
        out.append(_escape_text(s[pos:a]))
        out.append("$" + _escape_math(s[a:b]) + "$")
        pos = b
    out.append(_escape_text(s[pos:]))
    return _balance("".join(out))


def _escape_text(s: str) -> str:
    def sub(m: re.Match[str]) -> str:
        t = m.group(0)
        if t.startswith("\\") and len(t) > 1:
            if t[1] in "{}":
                return r"\textbraceleft{}" if t[1] == "{" else r"\textbraceright{}"
            if t[1].isalpha() or t[1] in "&%$#_":
                return t  # a command or an escape already: LaTeX as written
            return t if t[1] in "'`^\"~=.,;: -" else r"\textbackslash{}" + t[1:]
        if t == "$":
            return r"\$"
        return _TEXT_REPLACE.get(t, t)

    return _TEXT_SPECIAL.sub(sub, s.replace("$", "\\$"))


def _escape_math(region: str) -> str:
    """The inside of one formula (any delimiters become $...$), with comment characters out."""
    inner = region
    for a, b in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if inner.startswith(a) and inner.endswith(b):
            inner = inner[len(a):len(inner) - len(b)]
            break
    return _MATH_SPECIAL.sub(
        lambda m: m.group(0) if m.group(0).startswith("\\") else "\\" + m.group(0), inner)


def _balance(s: str) -> str:
    """Unmatched { and } replaced by their text-mode commands (matched pairs stay)."""
    stack: list[int] = []
    bad: set[int] = set()
    for i, ch in enumerate(s):
        if ch == "{":
            stack.append(i)
        elif ch == "}":
            if stack:
                stack.pop()
            else:
                bad.add(i)
    bad.update(stack)
    if not bad:
        return s
    return "".join((r"\textbraceleft " if ch == "{" else r"\textbraceright ") if i in bad else ch
                   for i, ch in enumerate(s))


def _bib_name(name: str) -> str:
    """One author: escaped, and braced whole when it holds the word "and" (else BibTeX would
    read two authors)."""
    out = _bib_escape(name)
    return "{" + out + "}" if re.search(r"\band\b", out, re.IGNORECASE) else out


def bibtex_key(paper: dict[str, Any]) -> str:
    """firstauthorlastname + year + first title word, ASCII (the style Google Scholar uses)."""
    authors = paper.get("authors") or []
    last = authors[0].split()[-1] if authors else "anon"
    date = paper.get("submitted") or paper.get("announced") or ""
    word = next((w for w in re.findall(r"[A-Za-z]+", paper["title"]) if len(w) > 3), "paper")
    raw = unicodedata.normalize("NFKD", f"{last}{date[:4]}{word}".lower())
    return re.sub(r"[^a-z0-9]", "", raw.encode("ascii", "ignore").decode()) or "paper"


def bibtex_entry(paper: dict[str, Any]) -> str:
    """A BibTeX @misc entry in the form arXiv itself suggests (eprint, archivePrefix)."""
    fields: list[tuple[str, str]] = [
        ("title", "{" + _bib_escape(paper["title"]) + "}"),
        ("author", " and ".join(_bib_name(a) for a in paper.get("authors") or [] if a.strip())),
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
        fields.append(("doi", _balance(paper["doi"])))
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
