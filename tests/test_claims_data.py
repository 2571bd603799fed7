"""The annotated claim files of tests/data (issue #13) are valid JSONL in the schema of
tests/data/CLAIMS_GUIDE.md: one abstract a line, each claim with a kind of the guide, a numeric
value, a unit, a text that occurs in the abstract, and a direction. Reads the files only (the
extractor is not run on them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
KINDS = {"speedup", "memory", "compression", "compute", "precision", "quality", "scale", "cost"}
DIRECTIONS = {"higher", "lower", "reduction", "increase"}
FILES = ["claims_annotated.jsonl", "claims_fresh.jsonl", "claims_fresh5.jsonl",
         "claims_fresh6.jsonl", "claims_fresh7.jsonl", "claims_fresh8.jsonl",
         "claims_fresh9.jsonl"]
# the fresh held-out sets carry a direction on every claim; elsewhere it is optional
DIRECTION_REQUIRED = {"claims_fresh5.jsonl", "claims_fresh6.jsonl", "claims_fresh7.jsonl",
                      "claims_fresh8.jsonl", "claims_fresh9.jsonl"}


def _rows(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    assert lines[-1] == "", f"{name}: no newline at the end"
    return [json.loads(line) for line in lines[:-1]]


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


@pytest.mark.parametrize("name", FILES)
def test_annotated_file_is_valid_jsonl_in_the_schema(name: str) -> None:
    rows = _rows(name)
    assert rows, name
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), f"{name}: an abstract twice"
    for r in rows:
        assert {"id", "title", "abstract", "claims"} <= r.keys(), (name, r["id"])
        assert isinstance(r["abstract"], str) and r["abstract"], (name, r["id"])
        assert isinstance(r["claims"], list), (name, r["id"])
        for c in r["claims"]:
            where = (name, r["id"], c.get("text"))
            assert c["kind"] in KINDS, where
            assert _is_number(c["value"]), where
            assert isinstance(c["unit"], str) and c["unit"], where
            assert isinstance(c["text"], str) and c["text"] in r["abstract"], where
            if name in DIRECTION_REQUIRED or c.get("direction") is not None:
                assert c.get("direction") in DIRECTIONS, where
            if "low" in c or "high" in c:
                assert _is_number(c["low"]) and _is_number(c["high"]), where
                assert c["low"] <= c["high"] and c["value"] == c["high"], where


def test_the_fresh_sets_share_no_abstract_with_each_other_or_the_development_data() -> None:
    seen: dict[str, str] = {}
    for name in FILES:
        for r in _rows(name):
            assert r["id"] not in seen, (r["id"], seen.get(r["id"]), name)
            seen[r["id"]] = name


FRESH_IN_FULL = ["claims_fresh6.jsonl", "claims_fresh7.jsonl", "claims_fresh8.jsonl",
                 "claims_fresh9.jsonl"]


@pytest.mark.parametrize("name", FRESH_IN_FULL)
def test_fresh6_to_fresh9_are_their_batches_in_full(name: str) -> None:
    rows = _rows(name)
    assert len(rows) == 89
    for r in rows:
        assert r.get("claims") is not None
        for c in r["claims"]:
            # fresh6 and fresh7 leave baseline and condition unannotated; fresh8 and fresh9
            # annotate them where the sentence names them (a string) and leave them null otherwise
            if name in ("claims_fresh8.jsonl", "claims_fresh9.jsonl"):
                assert c["baseline"] is None or isinstance(c["baseline"], str), (r["id"], c["text"])
                condition = c["condition"]
                assert condition is None or isinstance(condition, str), (r["id"], c["text"])
            else:
                assert c["baseline"] is None and c["condition"] is None, (r["id"], c["text"])
