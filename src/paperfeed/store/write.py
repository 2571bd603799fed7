"""Write a batch of records in one transaction: merged, idempotent, with a change sequence."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, text

from paperfeed import clock
from paperfeed.records import PaperRecord
from paperfeed.store.merge import content_equal, dumps, merge_rows, row_from_record

PAPER_COLS = (
    "id", "seq", "title", "abstract", "authors", "categories", "primary_category", "submitted",
    "updated", "announced", "version", "versions", "comment", "journal_ref", "doi", "license",
    "links", "priority", "created_at", "modified_at",
)
HF_COLS = (
    "paper_id", "upvotes", "num_comments", "submitter", "ai_summary", "ai_keywords",
    "github_repo", "project_page", "published_at", "submitted_daily_at", "organization",
    "fetched_at",
)
_CHUNK = 900  # ids per IN (...) query, below every backend's parameter limit


@dataclass
class WriteResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    upvotes_updated: int = 0

    def add(self, other: WriteResult) -> None:
        for k, v in asdict(other).items():
            setattr(self, k, getattr(self, k) + v)


utcnow = clock.now_iso  # the stored form of "now"


def _ph(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _insert_many(conn: Connection, table: str, cols: Sequence[str], rows: list[tuple[Any, ...]],
                 upsert_key: Sequence[str] = ()) -> None:
    """executemany straight to the driver: the bulk path must not pay per-row ORM costs."""
    if not rows:
        return
    ph = _ph(conn)
    quoted = ", ".join(f'"{c}"' for c in cols)
    sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join([ph] * len(cols))})"
    if upsert_key:
        sets = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c not in upsert_key)
        sql += f" ON CONFLICT ({', '.join(upsert_key)}) DO UPDATE SET {sets}"
    conn.exec_driver_sql(sql, rows)


def _fetch(conn: Connection, sql: str, ids: list[str], *, rows: bool = True) -> list[Any]:
    """Run `sql` with `{ids}` standing for the id list; collect the rows.

    SQLite gets chunks of `?` placeholders; PostgreSQL gets `= ANY(array)`, whose plan stays an
    index lookup even when a prepared statement's generic plan was made on a small table.
    """
    out: list[Any] = []
    pg = conn.dialect.name == "postgresql"
    for i in range(0, len(ids), 10 * _CHUNK if pg else _CHUNK):
        chunk = ids[i : i + (10 * _CHUNK if pg else _CHUNK)]
        if pg:
            query = sql.replace(" IN ({ids})", " = ANY(%s)")
            result = conn.exec_driver_sql(query, (chunk,))
        else:
            result = conn.exec_driver_sql(sql.format(ids=", ".join(["?"] * len(chunk))),
                                          tuple(chunk))
        if rows:
            out.extend(result.mappings().all())
    return out


def _source_data(rec: PaperRecord) -> str:
    if isinstance(rec.raw, str):
        return rec.raw
    if rec.raw is not None:
        return orjson.dumps(rec.raw).decode()
    return orjson.dumps({k: v for k, v in rec.content_fields().items() if v}).decode()


def next_seq(conn: Connection) -> int:
    """The next change-sequence number (callers hold the writers' lock)."""
    return int(conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM papers")).scalar_one()) + 1


def write_records(conn: Connection, records: Iterable[PaperRecord]) -> WriteResult:
    """Merge `records` (validated) into the store inside the caller's write transaction.

    A record whose source already said exactly this about the paper is skipped before any
    merging: re-importing the same data changes nothing and costs one indexed read.
    """
    records = list(records)
    result = WriteResult()
    if not records:
        return result
    sources = {(r.id, r.source): (r.version, _source_data(r)) for r in records}
    ids = list(dict.fromkeys(r.id for r in records))
    stored = {
        (r["paper_id"], r["source"]): r["data"]
        for r in _fetch(conn, "SELECT paper_id, source, data FROM paper_sources "
                              "WHERE paper_id IN ({ids})", ids)
    }
    fresh = {k: v for k, v in sources.items() if stored.get(k) != v[1]}
    batch: dict[str, dict[str, Any]] = {}
    hf: dict[str, PaperRecord] = {}
    for rec in records:
        if (rec.id, rec.source) not in fresh:
            continue
        row = row_from_record(rec)
        batch[rec.id] = merge_rows(batch[rec.id], row) if rec.id in batch else row
        if rec.hf is not None:
            hf[rec.id] = rec
    result.unchanged = len(ids) - len(batch)
    if not batch:
        return result
    found = _fetch(conn, "SELECT * FROM papers WHERE id IN ({ids})", list(batch))
    existing = {r["id"]: dict(r) for r in found}
    now = utcnow()
    seq = next_seq(conn)
    inserts: list[tuple[Any, ...]] = []
    updates: list[dict[str, Any]] = []
    for pid, row in batch.items():
        old = existing.get(pid)
        if old is None:
            row.update(seq=seq, created_at=now, modified_at=now)
            inserts.append(tuple(row[c] for c in PAPER_COLS))
        else:
            merged = merge_rows(old, row)
            if content_equal(old, merged):
                result.unchanged += 1
                continue
            merged.update(seq=seq, modified_at=now)
            updates.append(merged)
        seq += 1
    _insert_many(conn, "papers", PAPER_COLS, inserts)
    if updates:
        sets = ", ".join(f'"{c}" = :{c}' for c in PAPER_COLS if c not in ("id", "created_at"))
        conn.execute(text(f"UPDATE papers SET {sets} WHERE id = :id"), updates)
    result.inserted, result.updated = len(inserts), len(updates)
    _write_sources(conn, [(pid, src, v, now, now, data)
                          for (pid, src), (v, data) in fresh.items()])
    result.upvotes_updated = _write_hf(conn, hf, now)
    return result


def _write_sources(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Record what each source said; first_seen survives an update (the upsert keeps it)."""
    if rows:
        ph = _ph(conn)
        conn.exec_driver_sql(
            "INSERT INTO paper_sources (paper_id, source, version, first_seen, changed_at, data) "
            f"VALUES ({', '.join([ph] * 6)}) ON CONFLICT (paper_id, source) DO UPDATE SET "
            "version = excluded.version, changed_at = excluded.changed_at, data = excluded.data",
            rows,
        )


def _write_hf(conn: Connection, hf: dict[str, PaperRecord], now: str) -> int:
    if not hf:
        return 0
    stored = {
        r["paper_id"]: dict(r)
        for r in _fetch(conn, "SELECT * FROM hf_papers WHERE paper_id IN ({ids})", list(hf))
    }
    rows = []
    for pid, rec in hf.items():
        info = rec.hf
        assert info is not None
        row = {"paper_id": pid, **asdict(info), "fetched_at": now}
        row["ai_keywords"] = dumps(info.ai_keywords)
        old = stored.get(pid)
        if old and all(old[k] == row[k] for k in HF_COLS if k != "fetched_at"):
            continue
        rows.append(tuple(row[c] for c in HF_COLS))
    _insert_many(conn, "hf_papers", HF_COLS, rows, upsert_key=("paper_id",))
    return len(rows)
