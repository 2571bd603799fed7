"""Zotero in and out: read a BibTeX or RIS file into a user's library; write it back out.

Each reference is matched to a stored paper by its arXiv id (BibTeX `eprint` with
`archivePrefix = arXiv`, arXiv URLs, `arXiv:ID` in journal/note fields, DOIs 10.48550/arXiv.ID)
or by its DOI; what cannot be matched is named in the result, and nothing else is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import orjson
from sqlalchemy import Connection, Engine, text

from paperfeed.accounts.marks import clean_tags, set_saved
from paperfeed.export import bibtex_entry, ris_entry
from paperfeed.ids import InvalidId, normalize_paper_id
from paperfeed.store.read import get_paper


class BadReferences(ValueError):
    """The file is neither BibTeX nor RIS (the message says what was expected)."""


@dataclass
class Reference:
    title: str
    fields: dict[str, str]  # lower-cased names; RIS tags keep theirs (TI, DO, UR...)


@dataclass
class ImportResult:
    matched: list[str] = field(default_factory=list)  # paper ids saved
    unmatched: list[str] = field(default_factory=list)  # "title (why)"

    def to_json(self) -> dict[str, object]:
        return {"matched": self.matched, "unmatched": self.unmatched}


# --- parsing --------------------------------------------------------------------------------

def _bib_value(s: str, i: int) -> tuple[str, int]:
    """The value starting at s[i]: {braced}, "quoted" or a bare word/number (# joins)."""
    parts = []
    while True:
        while i < len(s) and s[i].isspace():
            i += 1
        if i < len(s) and s[i] == "{":
            depth, j = 0, i
            while j < len(s):
                if s[j] == "\\":
                    j += 2
                    continue
                depth += {"{": 1, "}": -1}.get(s[j], 0)
                if depth == 0:
                    break
                j += 1
            parts.append(s[i + 1:j])
            i = j + 1
        elif i < len(s) and s[i] == '"':
            j = i + 1
            while j < len(s) and (s[j] != '"' or s[j - 1] == "\\"):
                j += 1
            parts.append(s[i + 1:j])
            i = j + 1
        else:
            m = re.compile(r"[^,}#\s]*").match(s, i)
            assert m is not None
            parts.append(m.group(0))
            i = m.end()
        while i < len(s) and s[i].isspace():
            i += 1
        if i < len(s) and s[i] == "#":
            i += 1
            continue
        return "".join(parts), i


def _unbrace(value: str) -> str:
    """LaTeX braces and escapes dropped, white space collapsed: a title as a reader sees it."""
    value = re.sub(r"(?<!\\)[{}]", "", value)  # grouping braces, not escaped ones
    return " ".join(re.sub(r"\\([&%$#_{}])", r"\1", value).split())


def parse_bibtex(data: str) -> list[Reference]:
    """Entries of a BibTeX file (@comment, @string and @preamble are skipped)."""
    refs = []
    for m in re.finditer(r"@(\w+)\s*[{(]", data):
        if m.group(1).lower() in ("comment", "string", "preamble"):
            continue
        i = data.find(",", m.end())
        if i < 0:
            break
        i += 1
        fields: dict[str, str] = {}
        while True:
            fm = re.compile(r"\s*([\w-]+)\s*=\s*").match(data, i)
            if not fm:
                break
            value, i = _bib_value(data, fm.end())
            fields[fm.group(1).lower()] = value
            if i < len(data) and data[i] == ",":
                i += 1
        refs.append(Reference(_unbrace(fields.get("title", "")), fields))
    return refs


def parse_ris(data: str) -> list[Reference]:
    """Records of a RIS file (`TY  - ` ... `ER  - `); repeated tags are joined by "; "."""
    refs: list[Reference] = []
    fields: dict[str, str] | None = None
    for line in data.splitlines():
        m = re.match(r"^([A-Z][A-Z0-9])  -( (.*))?$", line.rstrip())
        if not m:
            continue
        tag, value = m.group(1), (m.group(3) or "").strip()
        if tag == "TY":
            fields = {"TY": value}
        elif tag == "ER" and fields is not None:
            title = fields.get("TI") or fields.get("T1") or ""
            refs.append(Reference(title, fields))
            fields = None
        elif fields is not None:
            fields[tag] = f"{fields[tag]}; {value}" if tag in fields else value
    return refs


def parse_references(data: str, name: str = "") -> list[Reference]:
    """BibTeX or RIS, told apart by the content (else by the file name)."""
    text_ = data.lstrip("\ufeff")
    if re.search(r"^TY  - ", text_, re.M) or name.lower().endswith(".ris"):
        return parse_ris(text_)
    if "@" in text_ or name.lower().endswith(".bib"):
        return parse_bibtex(text_)
    raise BadReferences("expected a BibTeX (.bib: @article{...}) or RIS (.ris: TY  - ...) "
                         "file")


# --- matching -------------------------------------------------------------------------------

_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|arxiv[:\s.]\s*|10\.48550/arxiv\.)"
    r"((?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?)", re.I)
_DOI = re.compile(r"\b(10\.\d{4,9}/\S+)", re.I)


def arxiv_id_of(ref: Reference) -> str | None:
    """The arXiv id a reference names, if any (versionless, as stored)."""
    f = ref.fields
    eprint = f.get("eprint", "")
    if eprint and (f.get("archiveprefix", "arxiv").lower() == "arxiv"):
        try:
            return normalize_paper_id(eprint.removeprefix("arXiv:"))
        except InvalidId:
            pass
    for value in f.values():
        m = _ARXIV_IN_TEXT.search(value)
        if m:
            try:
                return normalize_paper_id(m.group(1))
            except InvalidId:
                continue
    return None


def doi_of(ref: Reference) -> str | None:
    """The reference's DOI (lower-cased), if it has one."""
    raw = ref.fields.get("doi") or ref.fields.get("DO") or ""
    m = _DOI.search(raw)
    return m.group(1).rstrip(".").lower() if m else None


def import_references(engine: Engine, user_id: int, data: str, name: str = "",
                      tag: str | None = None) -> ImportResult:
    """Save every reference that matches a stored paper (adding `tag` to its tags)."""
    refs = parse_references(data, name)
    if not refs:
        raise BadReferences("no references found in the file (is it empty?)")
    result = ImportResult()
    extra = clean_tags([tag] if tag else [])
    for ref in refs:
        label = ref.title or "(untitled)"
        aid, doi = arxiv_id_of(ref), doi_of(ref)
        with engine.connect() as conn:
            pid = None
            if aid:
                pid = conn.execute(text("SELECT id FROM papers WHERE id = :i"),
                                   {"i": aid}).scalar()
            if pid is None and doi:
                pid = conn.execute(text("SELECT id FROM papers WHERE LOWER(doi) = :d"),
                                   {"d": doi}).scalar()
            old = conn.execute(text("SELECT tags FROM library WHERE user_id = :u AND "
                                    "paper_id = :p"), {"u": user_id, "p": pid}).scalar()
        if pid is None:
            why = (f"arXiv {aid} is not stored here" if aid else
                   f"DOI {doi} is not stored here" if doi else "no arXiv id or DOI")
            result.unmatched.append(f"{label} ({why})")
            continue
        tags = (orjson.loads(old) if old else []) + extra
        set_saved(engine, user_id, pid, True, tags)
        result.matched.append(pid)
    return result


# --- export ---------------------------------------------------------------------------------

def library_ids(conn: Connection, user_id: int, tag: str | None = None) -> list[str]:
    """The user's saved paper ids (only those tagged `tag` when given), last saved first."""
    rows = conn.execute(text("SELECT paper_id, tags FROM library WHERE user_id = :u "
                             "ORDER BY created_at DESC, paper_id"), {"u": user_id}).all()
    return [pid for pid, tags in rows if tag is None or tag in orjson.loads(tags or "[]")]


FORMATS = {"bibtex": (bibtex_entry, "application/x-bibtex", "bib"),
           "ris": (ris_entry, "application/x-research-info-systems", "ris")}


def export_papers(conn: Connection, ids: list[str], fmt: str) -> str:
    """The papers as one BibTeX or RIS file (`fmt`: bibtex | ris)."""
    render = FORMATS[fmt][0]
    papers = [p for p in (get_paper(conn, pid) for pid in ids) if p is not None]
    return "".join(render(p) for p in papers)
