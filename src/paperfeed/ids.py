"""arXiv identifiers: parse, normalise and link, for both id styles."""

from __future__ import annotations

import re

# New style (since 2007-04): YYMM.NNNN (to 2014) or YYMM.NNNNN, optional version.
_NEW = re.compile(r"^(?P<id>\d{4}\.\d{4,5})(?:v(?P<v>\d+))?$")
_BARE = re.compile(r"\d{4}\.\d{4,5}\Z")  # a new-style id as stored: no version, no prefix
# Old style: archive[.SUBJ]/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136 (subject class dropped).
_OLD = re.compile(r"^(?P<arch>[a-z][a-z\-]*)(?:\.[A-Za-z\-]{2,})?/(?P<num>\d{7})(?:v(?P<v>\d+))?$")
_PREFIXES = re.compile(
    r"^(?:(?:https?://)?(?:export\.|www\.)?arxiv\.org/(?:abs|pdf|html|format)/|arxiv:\s*"
    r"|oai:arxiv\.org:|(?:doi:|(?:https?://)?(?:dx\.)?doi\.org/)?10\.48550/arxiv\.)",
    re.IGNORECASE,
)


class InvalidId(ValueError):
    """Raised for a string that is not an arXiv identifier."""


def parse_arxiv_id(raw: str) -> tuple[str, int | None]:
    """Split an arXiv id, URL or OAI identifier into (id without version, version or None)."""
    if _BARE.match(raw):  # the common case (every line of a bulk import): one regex, not four
        return raw, None
    s = _PREFIXES.sub("", raw.strip())
    s = re.sub(r"[?#].*$", "", s).rstrip("/")  # ?context=cs, #section, a trailing slash
    s = s.removesuffix(".pdf")
    if m := _NEW.match(s):
        v = m.group("v")
        return m.group("id"), int(v) if v else None
    if m := _OLD.match(s):
        v = m.group("v")
        return f"{m.group('arch')}/{m.group('num')}", int(v) if v else None
    raise InvalidId(
        f"not an arXiv id: {raw!r} (expected e.g. 2503.12843, 2503.12843v2 or hep-th/9901001)")


def is_arxiv_id(paper_id: str) -> bool:
    """True when `paper_id` is a version-less arXiv id (as stored)."""
    return bool(_NEW.match(paper_id) or _OLD.match(paper_id)) and "v" not in paper_id.split("/")[-1]


def normalize_paper_id(raw: str) -> str:
    """The stored id: arXiv ids lose their version and prefix; other ids (doi:..., x:...) stay."""
    try:
        return parse_arxiv_id(raw)[0]
    except InvalidId:
        s = raw.strip()
        if ":" in s and " " not in s and len(s) <= 300:
            scheme, _, rest = s.partition(":")
            if scheme and rest:
                return f"{scheme.lower()}:{rest}"
        raise


def abs_url(paper_id: str) -> str:
    """Link to the arXiv abstract page (arXiv asks that we link there)."""
    return f"https://arxiv.org/abs/{paper_id}"


def pdf_url(paper_id: str) -> str:
    """Link to the arXiv PDF (linked, never re-served)."""
    return f"https://arxiv.org/pdf/{paper_id}"


# A DOI (10.<registrant>/<suffix>), bare, as doi:..., or as a doi.org link.
_DOI = re.compile(r"^(?:doi:\s*|(?:https?://)?(?:dx\.)?doi\.org/)?(?P<doi>10\.\d{4,9}/\S+)$",
                  re.IGNORECASE)
_TRAILING = ".,;:)]}>'\""


def parse_doi(raw: str) -> str | None:
    """The DOI in `raw` (bare, doi:..., or a doi.org link), lower-cased; None if it is none."""
    m = _DOI.match(raw.strip().rstrip(_TRAILING))
    return m.group("doi").lower() if m else None


def find_reference(query: str) -> tuple[str, str] | None:
    """An arXiv id or a DOI written anywhere in a search query, as ("arxiv", id) or
    ("doi", doi): a bare id, a versioned id, arXiv:id, an abs/pdf/html URL, an arXiv DOI
    (10.48550/arXiv.id) or any other DOI. The first one wins; None when there is none."""
    for token in query.split():
        token = token.strip(_TRAILING + "(<[{")
        if len(token) < 8:
            continue
        try:
            pid = parse_arxiv_id(token)[0]
        except InvalidId:
            pid = ""
        if pid and ("/" in pid or 1 <= int(pid[2:4]) <= 12):  # YYMM: a real month
            return "arxiv", pid
        doi = parse_doi(token)
        if doi:
            return "doi", doi
    return None


def reference_only(query: str) -> bool:
    """True when the query is nothing but one id, URL or DOI (the web jumps to that paper)."""
    words = re.sub(r"^\s*(?:arxiv|doi)\s*:\s*(?=\S)", "", query, flags=re.IGNORECASE).split()
    return len(words) == 1 and find_reference(words[0]) is not None
