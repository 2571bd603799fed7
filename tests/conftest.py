"""Shared fixtures: every store test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, create_engine, text
from support.paths import SHARED

from paperfeed.store import open_store

PG_ENV = "PAPERFEED_TEST_POSTGRES"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    """In CI nothing may be skipped: a skip there means a missing install, so fail it."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI (CI=true forbids skips): {report.longrepr}"


_pg_admin: Engine | None = None
_pg_error: str | None = None


def _pg() -> Engine | None:
    global _pg_admin, _pg_error
    if _pg_admin is None and _pg_error is None:
        url = os.environ.get(PG_ENV, PG_DEFAULT)
        try:
            eng = create_engine(url, isolation_level="AUTOCOMMIT")
            with eng.connect() as c:
                c.execute(text("SELECT 1"))
            _pg_admin = eng
        except Exception as e:  # any failure to connect means: no server here
            _pg_error = f"PostgreSQL not reachable at {url} ({type(e).__name__}); set {PG_ENV}"
    return _pg_admin


def pg_schema_url() -> Iterator[str]:
    """A fresh schema on the test server, as a URL whose connections use it; dropped after."""
    admin = _pg()
    if admin is None:
        pytest.skip(_pg_error or "PostgreSQL not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    base = admin.url.render_as_string(hide_password=False)
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "paperfeed.sqlite")
    else:
        yield from pg_schema_url()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated store on each backend."""
    eng = open_store(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def shared_data() -> Path:
    """../shared/data (real data sets); tests needing it skip with a reason where it is absent."""
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip(f"{path} is missing (the shared data sets sit beside the repository)")
    return path
