"""Issue #17 in a real browser (Chromium via Playwright) against a real uvicorn server: the Code
badge and "With code only", uploading a Zotero RIS file, making a tag a public collection."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from support.corpus import load_corpus
from support.live_server import live_server

from paperfeed.accounts.users import signup
from paperfeed.web.app import create_app
from paperfeed.web.settings import WebSettings

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("PAPERFEED_CHROMIUM", "/usr/bin/chromium")
pytestmark = pytest.mark.slow
PAPERS = [
    {"id": "2611.00001", "title": "Sparse attention with code", "date": "2026-11-30",
     "abstract": "Fast attention. Code: https://github.com/ada/sparse-attn.",
     "authors": ["Ada Lovelace"], "categories": ["cs.CL"]},
    {"id": "2611.00002", "title": "Bounds without code", "date": "2026-11-30",
     "abstract": "Only proofs here.", "authors": ["Paul Erdos"], "categories": ["math.CO"]},
]
RIS = ("TY  - PREPRINT\nTI  - Sparse attention with code\nUR  - http://arxiv.org/abs/2611.00001"
       "\nER  - \n\nTY  - BOOK\nTI  - Some book\nER  - \n")


@pytest.fixture
def base(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    load_corpus(engine, tmp_path, PAPERS)
    signup(engine, "ada@example.org", "correct horse battery", display_name="Ada")
    with live_server(create_app(engine, WebSettings("k" * 48))) as url:
        yield url


def test_badge_upload_and_public_collection(base: str, tmp_path: Path) -> None:
    expect = playwright_api.expect
    ris = tmp_path / "zotero.ris"
    ris.write_text(RIS)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 390, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(base + "/?date=2026-11-30")
        badge = page.locator("a.code-badge")
        expect(badge).to_have_count(1)
        expect(badge).to_have_attribute("href", "https://github.com/ada/sparse-attn")
        page.get_by_role("link", name="With code only").click()
        expect(page.get_by_text("Bounds without code")).to_have_count(0)
        expect(page.get_by_text("Sparse attention with code")).to_be_visible()
        page.goto(base + "/login")
        page.get_by_label("Email").fill("ada@example.org")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()
        page.goto(base + "/library")
        page.get_by_text("Import and export").click()
        page.get_by_label("BibTeX or RIS file").set_input_files(str(ris))
        page.get_by_label("Tag them").fill("picks")
        page.get_by_role("button", name="Import").click()
        expect(page.locator("main")).to_contain_text("Saved 1 paper")
        expect(page.locator("main")).to_contain_text("Some book (no arXiv id or DOI)")
        page.goto(base + "/library?tag=picks")
        page.get_by_role("button", name="Make it a public collection").click()
        link = page.locator('a[href^="/c/picks-"]')
        expect(link).to_be_visible()
        link.click()
        expect(page.locator("h1")).to_have_text("picks")
        expect(page.get_by_text("Collection by Ada")).to_be_visible()
        browser.close()
    assert not errors, errors
