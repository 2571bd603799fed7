"""Code and project links: a derived table pulled from abstracts, comments and stored links.

`extract_links(abstract, comment, links)` finds GitHub/GitLab/... repositories ("code") and
project pages ("project": *.github.io sites, or a URL an abstract calls its project page or
website). `catch_up(engine)` keeps `paper_code_links` in step with `papers.seq` (a paper's
links are replaced when it changes; everything is redone when the rules change, RULES_VERSION);
`rebuild(engine)` drops it and starts over. Readers ask `code_links_for(conn, ids)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, text

from paperfeed.index.protocol import Derived
from paperfeed.store.db import write_tx
from paperfeed.store.index_state import IndexState, get_state, papers_after, set_state
from paperfeed.store.merge import loads

NAME = "codelinks"  # its index_state row; version = the rules'
RULES_VERSION = 1
BATCH = 5_000


class Link(NamedTuple):
    kind: str  # code | project
    url: str
    source: str  # abstract | comment | links


# a URL ends at white space or at LaTeX/markup/punctuation that cannot be part of it here
_URL = re.compile(r"(?:https?://|www\.)[^\s{}()\[\]<>\"'\\,;]+"
                  r"|\b(?:github|gitlab)\.com/[^\s{}()\[\]<>\"'\\,;]*", re.I)
# "https://github.com/ owner/repo": a line break or stray space after a slash
_SPLIT_GITHUB = re.compile(r"((?:github|gitlab)\.com/)\s+(?=[\w.-]+/[\w.-])", re.I)
_REPO_HOSTS = {"github.com", "gitlab.com", "gitee.com", "bitbucket.org", "codeberg.org",
               "sourceforge.net", "anonymous.4open.science"}
_PROJECT_SUFFIXES = (".github.io", ".gitlab.io")
_PROJECT_HOSTS = {"sites.google.com"}
# what an abstract says just before a project page's URL
_PROJECT_CUE = re.compile(r"(project|web)\s*(page|site)|homepage|website|demo", re.I)
_NOT_PROJECT = ("doi.org", "arxiv.org", "openreview.net", "youtube.com", "youtu.be",
                "huggingface.co", "hf.co", "zenodo.org", "kaggle.com", "drive.google.com",
                "aclanthology.org", "ieeexplore.ieee.org", "bit.ly", "pypi.org")
# owners that stand for "not released yet" rather than a real account
_PLACEHOLDER = re.compile(r"^(anonym[\w-]*|open_upon_acceptance|xxx+|-+|\.+|username|user)$", re.I)
_RESERVED = {"topics", "orgs", "features", "about", "login", "search", "marketplace"}


def _may_have_url(low: str) -> bool:
    """False only when `low` (lowercased ASCII) holds nothing `_URL` could match."""
    return "http" in low or "www." in low or "github.com/" in low or "gitlab.com/" in low


def _host_path(url: str) -> tuple[str, list[str]]:
    bare = re.sub(r"^(https?://)?(www\.)?", "", url, flags=re.I)
    host, _, path = bare.partition("/")
    return host.lower(), [p for p in path.split("/") if p]


def _repo_url(host: str, parts: list[str]) -> str | None:
    """The canonical repository (or account) URL on a code host, None for none/placeholder."""
    if not parts or _PLACEHOLDER.match(parts[0]) or parts[0].lower() in _RESERVED:
        return None
    if host == "anonymous.4open.science":
        return f"https://{host}/r/{parts[1]}" if len(parts) > 1 and parts[0] == "r" else None
    if host == "sourceforge.net":
        return (f"https://{host}/projects/{parts[1]}"
                if len(parts) > 1 and parts[0] == "projects" else None)
    if host == "gitlab.com":  # groups nest: keep the path up to GitLab's "/-/" marker
        keep = parts[:parts.index("-")] if "-" in parts else parts
        keep = [re.sub(r"\.git$", "", p) for p in keep]
        return f"https://{host}/" + "/".join(keep)
    keep = [re.sub(r"\.git$", "", p) for p in parts[:2]]
    if len(keep) > 1 and (not keep[1] or _PLACEHOLDER.match(keep[1])):
        keep = keep[:1]
    return f"https://{host}/" + "/".join(keep)


def _classify(url: str, before: str) -> tuple[str, str] | None:
    host, parts = _host_path(url)
    if "." not in host:
        return None
    if host in _REPO_HOSTS:
        repo = _repo_url(host, parts)
        return ("code", repo) if repo else None
    full = url if re.match(r"https?://", url, re.I) else "https://" + url
    if host.endswith(_PROJECT_SUFFIXES) or host in _PROJECT_HOSTS:
        return "project", full
    if any(host == h or host.endswith("." + h) for h in _NOT_PROJECT):
        return None
    if _PROJECT_CUE.search(before[-60:]):
        return "project", full
    return None


def _from_text(text_: str, source: str) -> list[Link]:
    if text_.isascii() and not _may_have_url(text_.lower()):
        return []  # the regexes below would find nothing (most abstracts): skip them
    out = []
    text_ = _SPLIT_GITHUB.sub(r"\1", text_)
    for m in _URL.finditer(text_):
        url = m.group(0).rstrip(".:!?*~`|}")
        found = _classify(url, text_[:m.start()])
        if found:
            out.append(Link(found[0], found[1].rstrip("/"), source))
    return out


def extract_links(abstract: str | None, comment: str | None = None,
                  links: dict[str, Any] | None = None) -> list[Link]:
    """The paper's code and project links, each URL once: stored links (Hugging Face's
    githubRepo/projectPage) first, then the abstract's, then the comment's."""
    found: list[Link] = []
    for kind in ("code", "project"):
        url = (links or {}).get(kind)
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            found.append(Link(kind, url.rstrip("/"), "links"))
    found += _from_text(abstract or "", "abstract") + _from_text(comment or "", "comment")
    seen: set[str] = set()
    out = []
    for link in found:
        key = link.url.lower()
        if key not in seen:
            seen.add(key)
            out.append(link)
    return out


def _stored_links(row: Any) -> dict[str, Any]:
    hf = {"code": row.github_repo, "project": row.project_page}
    return {**{k: v for k, v in hf.items() if v}, **(loads(row.links) or {})}


def _mark(state: IndexState | None) -> int:
    if state is None or state.version != str(RULES_VERSION):
        return 0  # new rules: extract everything again
    return state.seq


def pending(engine: Engine) -> int:
    """Papers changed since the last catch-up."""
    with engine.connect() as conn:
        return papers_after(conn, _mark(get_state(conn, NAME)))


def catch_up(engine: Engine, batch: int = BATCH,
             progress: Callable[[int], None] | None = None) -> int:
    """Extract the links of every paper changed since the last run; return papers processed."""
    done = 0
    while True:
        with write_tx(engine) as conn:
            mark = _mark(get_state(conn, NAME))
            rows = conn.execute(text(
                "SELECT p.id, p.seq, p.abstract, p.comment, p.links, h.github_repo, "
                "h.project_page FROM papers p LEFT JOIN hf_papers h ON h.paper_id = p.id "
                "WHERE p.seq > :m ORDER BY p.seq LIMIT :n"), {"m": mark, "n": batch}).all()
            if not rows:
                if mark == 0:
                    if get_state(conn, NAME) is not None:  # new rules, nothing stored
                        conn.execute(text("DELETE FROM paper_code_links"))
                    set_state(conn, NAME, 0, str(RULES_VERSION))
                return done
            ph = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            if mark == 0:  # a first build or new rules: start from an empty table
                conn.execute(text("DELETE FROM paper_code_links"))
            else:
                conn.exec_driver_sql(f"DELETE FROM paper_code_links WHERE paper_id = {ph}",
                                     [(r.id,) for r in rows])
            out = [(r.id, n, link.kind, link.url, link.source) for r in rows
                   for n, link in enumerate(extract_links(r.abstract, r.comment,
                                                          _stored_links(r)))]
            if out:
                conn.exec_driver_sql(
                    "INSERT INTO paper_code_links (paper_id, position, kind, url, source) "
                    f"VALUES ({', '.join([ph] * 5)})", out)
            set_state(conn, NAME, rows[-1].seq, str(RULES_VERSION))
        done += len(rows)
        if progress:
            progress(done)


def rebuild(engine: Engine, batch: int = BATCH,
            progress: Callable[[int], None] | None = None) -> int:
    """Forget every link and extract them all again; return papers processed."""
    with write_tx(engine) as conn:
        conn.execute(text("DELETE FROM paper_code_links"))
        set_state(conn, NAME, 0, "")
    return catch_up(engine, batch, progress)


def code_links_for(conn: Connection, ids: list[str]) -> dict[str, dict[str, str]]:
    """{paper id: {"code": url, "project": url}} (the first of each kind) for `ids`."""
    if not ids:
        return {}
    params = {f"i{n}": pid for n, pid in enumerate(ids)}
    marks = ", ".join(f":{k}" for k in params)
    out: dict[str, dict[str, str]] = {}
    for pid, kind, url in conn.execute(text(
            "SELECT paper_id, kind, url FROM paper_code_links "
            f"WHERE paper_id IN ({marks}) ORDER BY paper_id, position"), params):
        out.setdefault(pid, {}).setdefault(kind, url)
    return out


def with_code(engine: Engine, ids: list[str]) -> set[str]:
    """Those of `ids` that have a code link."""
    if not ids:
        return set()
    with engine.connect() as conn:
        return {pid for pid, links in code_links_for(conn, ids).items() if "code" in links}


HAS_CODE_SQL = ("EXISTS (SELECT 1 FROM paper_code_links cl "
                "WHERE cl.paper_id = p.id AND cl.kind = 'code')")


DERIVED = Derived(
    NAME, "code and project links", "read for links",
    pending=lambda engine, _opts: pending(engine),
    catch_up=lambda engine, _opts, tick: catch_up(engine, progress=tick),
    rebuild=lambda engine, _opts, tick: rebuild(engine, progress=tick),
)
