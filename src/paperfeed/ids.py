"""arXiv identifiers: parse, normalise and link, for both id styles."""

from __future__ import annotations

import re

# New style (since 2007-04): YYMM.NNNN (to 2014) or YYMM.NNNNN, optional version.
_NEW = re.compile(r"^(?P<id>\d{4}\.\d{4,5})(?:v(?P<v>\d+))?$")
# Old style: archive[.SUBJ]/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136 (subject class dropped).
_OLD = re.compile(r"^(?P<arch>[a-z][a-z\-]*)(?:\.[A-Za-z\-]{2,})?/(?P<num>\d{7})(?:v(?P<v>\d+))?$")
_PREFIXES = re.compile(
    r"^(?:https?://(?:export\.|www\.)?arxiv\.org/(?:abs|pdf)/|arxiv:|oai:arxiv\.org:)",
    re.IGNORECASE,
)


class InvalidId(ValueError):
    """Raised for a string that is not an arXiv identifier."""


def parse_arxiv_id(raw: str) -> tuple[str, int | None]:
    """Split an arXiv id, URL or OAI identifier into (id without version, version or None)."""
    s = _PREFIXES.sub("", raw.strip())
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
