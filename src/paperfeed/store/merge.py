"""Merge what a source says about a paper into the stored row: one paper, never duplicates."""

from __future__ import annotations

from typing import Any

import orjson

from paperfeed.records import SOURCE_PRIORITY, PaperRecord

# Fields a winning source replaces; the rest are combined (dates, versions, links).
_REPLACED = (
    "title", "abstract", "authors", "categories", "comment", "journal_ref", "doi", "license",
)


def dumps(value: Any) -> str | None:
    """JSON text for a list/dict column (None stays NULL)."""
    return None if value is None else orjson.dumps(value).decode()


def loads(value: str | None) -> Any:
    return None if value is None else orjson.loads(value)


def row_from_record(rec: PaperRecord) -> dict[str, Any]:
    """A papers row (without seq and timestamps) from a validated record."""
    return {
        "id": rec.id,
        "title": rec.title,
        "abstract": rec.abstract,
        "authors": dumps(rec.authors),
        "categories": dumps(rec.categories),
        "primary_category": rec.categories[0] if rec.categories else None,
        "submitted": rec.submitted,
        "updated": rec.updated,
        "announced": rec.announced,
        "version": rec.version,
        "versions": dumps(_sorted_versions(rec.versions)),
        "comment": rec.comment,
        "journal_ref": rec.journal_ref,
        "doi": rec.doi,
        "license": rec.license,
        "links": dumps(rec.links or None),
        "priority": SOURCE_PRIORITY.get(rec.source, 1),
    }


def _sorted_versions(versions: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if not versions:
        return None
    by_n = {int(v["version"]): v for v in versions if v.get("version") is not None}
    return [by_n[n] for n in sorted(by_n)] or None


def _min(a: str | None, b: str | None) -> str | None:
    return min(x for x in (a, b) if x) if (a or b) else None


def _max(a: str | None, b: str | None) -> str | None:
    return max(x for x in (a, b) if x) if (a or b) else None


def merge_rows(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Combine a stored row with an incoming one.

    The incoming source wins the replaced fields when it describes a newer version, or the same
    version with at least the stored source's priority; otherwise it only fills gaps. Dates take
    the earliest submission and announcement and the latest update; versions are a union.
    """
    v_old, v_new = old.get("version") or 0, new.get("version") or 0
    wins = v_new > v_old or (v_new == v_old and new["priority"] >= old["priority"])
    out = dict(old)
    for name in _REPLACED:
        if new[name] is not None and (wins or old[name] is None):
            out[name] = new[name]
    out["primary_category"] = (
        loads(out["categories"])[0] if out["categories"] else old.get("primary_category")
    )
    out["submitted"] = _min(old["submitted"], new["submitted"])
    out["announced"] = _min(old["announced"], new["announced"])
    out["updated"] = _max(old["updated"], new["updated"])
    out["version"] = max(v_old, v_new) or None
    versions = (loads(old["versions"]) or []) + (loads(new["versions"]) or [])
    out["versions"] = dumps(_sorted_versions(versions))
    old_links, new_links = loads(old["links"]) or {}, loads(new["links"]) or {}
    links = {**new_links, **old_links} if not wins else {**old_links, **new_links}
    out["links"] = dumps(links or None)
    if wins:
        out["priority"] = max(old["priority"], new["priority"])
    return out


def content_equal(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when two rows say the same thing (bookkeeping columns ignored)."""
    skip = {"seq", "created_at", "modified_at"}
    return all(a.get(k) == b.get(k) for k in a.keys() | b.keys() if k not in skip)
