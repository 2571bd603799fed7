"""Schema migrations: a database made by an older version keeps its data when upgraded."""

from __future__ import annotations

from sqlalchemy import inspect, text

from paperfeed.records import PaperRecord, validate
from paperfeed.store import connect, open_store, upgrade, write_tx
from paperfeed.store.migrate import current_revision, head_revision
from paperfeed.store.read import get_paper
from paperfeed.store.write import write_records


def test_upgrade_from_first_revision_keeps_papers(db_url: str) -> None:
    engine = connect(db_url)
    upgrade(engine, "0001")
    assert current_revision(engine) == "0001"
    assert "paper_claims" not in inspect(engine).get_table_names()
    rec = validate(PaperRecord(id="2401.00001v2", title="Kept", abstract="Across upgrades.",
                               source="jsonl", authors=["Ada Lovelace"]))
    with write_tx(engine) as conn:
        write_records(conn, [rec])
    engine.dispose()

    engine = open_store(db_url)  # upgrades to head on open
    assert current_revision(engine) == head_revision()
    assert "paper_claims" in inspect(engine).get_table_names()
    with engine.connect() as conn:
        paper = get_paper(conn, "2401.00001")
    assert paper is not None
    assert (paper["title"], paper["version"], paper["authors"]) == ("Kept", 2, ["Ada Lovelace"])
    engine.dispose()


def test_opening_a_current_database_again_is_a_no_op(db_url: str) -> None:
    open_store(db_url).dispose()
    engine = open_store(db_url)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert versions == [head_revision()]
    engine.dispose()


def test_processes_opening_a_new_database_at_once_all_succeed(db_url: str) -> None:
    """Four processes open the same empty database together: one migrates, none fails."""
    import subprocess
    import sys

    code = ("import sys; from paperfeed.store import open_store; "
            "open_store(sys.argv[1]).dispose(); print('ok')")
    procs = [subprocess.Popen([sys.executable, "-c", code, db_url], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [e[-2000:] for _, e in outs]
    engine = open_store(db_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()
