"""A process's children and whether a process still runs, read from /proc (Linux)."""

from __future__ import annotations

from pathlib import Path


def children(pid: int) -> set[int]:
    """The direct children of `pid` (empty when it is gone)."""
    try:
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    except OSError:
        return set()


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
