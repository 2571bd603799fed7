"""JSON-lines files: paperfeed's normalised format and the arXiv metadata snapshot, `.gz` ok.

The format is detected per line, so a file may even mix the two:
- normalised: {"id", "title", "abstract", "authors": [..], "categories": [..], "date", "comment"}
- snapshot (arxiv-metadata-oai-snapshot.json): {"id", "submitter", "authors", "title",
  "comments", "journal-ref", "doi", "categories", "license", "abstract", "update_date",
  "authors_parsed", "versions": [{"version": "v1", "created": RFC 2822}]}
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from paperfeed.records import PaperRecord, RecordError, iso_date, validate

# The longest line read (bytes): a longer one is skipped without holding it in memory. The
# arXiv snapshot's longest lines (3,000-author collaborations) are a few hundred kB.
MAX_LINE_BYTES = 8 << 20


class InputError(OSError):
    """The file cannot be read past a line (truncated .gz, damaged data, I/O error)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(slots=True)
class Line:
    """One input line: a valid record, or the reason it is not one."""

    number: int
    record: PaperRecord | None
    error: str | None = None


class _Counting(io.RawIOBase):
    """Counts bytes read from the file on disk, so progress works for .gz input too."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.pos = raw, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self.raw.readinto(b)  # type: ignore[attr-defined]
        self.pos += n or 0
        return n or 0


class JsonlFile:
    """Iterate a JSON-lines file's records; `bytes_read` tracks progress on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = path.stat().st_size
        self._counter: _Counting | None = None

    @property
    def bytes_read(self) -> int:
        return self._counter.pos if self._counter else 0

    def lines(self, skip: int = 0) -> Iterator[Line]:
        """Parse every line after the first `skip` lines (blank lines are ignored)."""
        with open(self.path, "rb") as f:
            self._counter = _Counting(f)
            stream: IO[bytes] = io.BufferedReader(self._counter, 1 << 20)
            if _is_gzip(self.path):
                stream = gzip.GzipFile(fileobj=stream)  # type: ignore[assignment]
            for number, raw in enumerate(_bounded(stream, self.path), start=1):
                if number <= skip:
                    continue
                if isinstance(raw, int):
                    yield Line(number, None, f"line of {raw:,} bytes, over the limit of "
                                             f"{MAX_LINE_BYTES:,} (skipped)")
                    continue
                if not raw.strip():
                    continue
                line = parse_line(raw, number)
                if line.record is not None:
                    # Provenance of a file import is the file and line it came from, and a
                    # hash to tell a changed line: the record itself is the file's to keep.
                    line.record.raw = {"file": self.path.name, "line": number,
                                       "sha1": hashlib.sha1(raw.strip()).hexdigest()}
                yield line


def _bounded(stream: IO[bytes], path: Path) -> Iterator[bytes | int]:
    """The stream's lines; a line over MAX_LINE_BYTES comes as its length, read in pieces.

    A read failure (a truncated or damaged .gz, an I/O error) raises InputError naming the
    file and the line it could not finish.
    """
    number = 0
    try:
        while raw := stream.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(raw) <= MAX_LINE_BYTES or raw.endswith(b"\n"):
                yield raw
                continue
            size = len(raw)
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(1 << 20)
                size += len(raw)
            yield size
    except (EOFError, OSError, zlib.error) as e:
        cause = "the file ends early (truncated?)" if isinstance(e, EOFError) else str(e)
        raise InputError(f"{path}:{number + 1}: cannot read further: {cause}",
                         number + 1) from None


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def parse_line(raw: bytes, number: int) -> Line:
    """One line -> a validated record, or a one-line error saying what is wrong."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        return Line(number, None, f"not valid JSON ({e})")
    if not isinstance(obj, dict):
        return Line(number, None, f"expected a JSON object, got {type(obj).__name__}")
    try:
        rec = from_snapshot(obj) if _is_snapshot(obj) else from_normalised(obj)
        return Line(number, validate(rec))
    except RecordError as e:
        return Line(number, None, str(e))
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        return Line(number, None, f"unexpected shape ({type(e).__name__}: {e})")


def _is_snapshot(obj: dict[str, Any]) -> bool:
    return "authors_parsed" in obj or "update_date" in obj or "journal-ref" in obj


def _str_or_none(obj: dict[str, Any], key: str) -> str | None:
    v = obj.get(key)
    if v is not None and not isinstance(v, str):
        raise RecordError(f"{key}: expected text, got {type(v).__name__}")
    return v


def from_normalised(obj: dict[str, Any]) -> PaperRecord:
    """paperfeed's own line format (that of arxiv-102k.jsonl.gz)."""
    return PaperRecord(
        id=_id(obj),
        title=obj.get("title"),  # type: ignore[arg-type]  # validate() checks it
        abstract=obj.get("abstract"),  # type: ignore[arg-type]
        source="jsonl",
        authors=obj.get("authors"),
        categories=obj.get("categories"),
        announced=obj.get("date"),
        submitted=obj.get("submitted"),
        updated=obj.get("updated"),
        comment=_str_or_none(obj, "comment"),
        version=obj.get("version"),
        doi=_str_or_none(obj, "doi"),
        journal_ref=_str_or_none(obj, "journal_ref"),
        license=_str_or_none(obj, "license"),
    )


def _id(obj: dict[str, Any]) -> str:
    pid = obj.get("id")
    if isinstance(pid, int | float):
        raise RecordError(
            f"id: {pid!r} is a number; quote it (arXiv ids like 1501.00010 lose zeros)")
    if not isinstance(pid, str):
        raise RecordError("id: missing")
    return pid


def from_snapshot(obj: dict[str, Any]) -> PaperRecord:
    """A line of Kaggle's/arXiv's `arxiv-metadata-oai-snapshot.json`."""
    dated: list[tuple[int, str | None]] = []
    for v in obj.get("versions") or []:
        n = str(v.get("version", "")).lstrip("v")
        if n.isdigit():
            dated.append((int(n), iso_date(v.get("created"), "versions")))
    dated.sort()
    versions = [{"version": n, "date": d} for n, d in dated]
    cats = obj.get("categories")
    if cats is not None and not isinstance(cats, str):
        raise RecordError("categories: expected space-separated text")
    return PaperRecord(
        id=_id(obj),
        title=obj.get("title"),  # type: ignore[arg-type]
        abstract=obj.get("abstract"),  # type: ignore[arg-type]
        source="arxiv-snapshot",
        authors=_snapshot_authors(obj),
        categories=cats.split() if cats else None,
        submitted=dated[0][1] if dated else None,
        updated=dated[-1][1] if dated else iso_date(obj.get("update_date")),
        version=dated[-1][0] if dated else None,
        versions=versions or None,
        comment=_str_or_none(obj, "comments"),
        journal_ref=_str_or_none(obj, "journal-ref"),
        doi=_str_or_none(obj, "doi"),
        license=_str_or_none(obj, "license"),
    )


def _snapshot_authors(obj: dict[str, Any]) -> list[str] | None:
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        names = []
        for parts in parsed:
            if not isinstance(parts, list) or not parts:
                raise RecordError("authors_parsed: expected [last, first, suffix] lists")
            last, first, suffix = ([*parts, "", ""])[:3]
            names.append(" ".join(p.strip() for p in (first, last, suffix) if p and p.strip()))
        return [n for n in names if n] or None
    raw = obj.get("authors")
    if isinstance(raw, str) and raw.strip():
        return [a.strip() for a in raw.replace(" and ", ", ").split(",") if a.strip()]
    return None
