"""The Claims page in a real browser (Debian's Chromium via Playwright), on both backends."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import Engine
from test_web_claims import EVIL_ID, PAPERS, SECRET, app_engine, expected_claims  # noqa: F401

from paperfeed.rank.claims import math_regions
from paperfeed.web.app import create_app
from paperfeed.web.settings import WebSettings

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("PAPERFEED_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(app_engine: Engine) -> Iterator[str]:  # noqa: F811
    """uvicorn in a thread, serving the app over the claims corpus."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(app_engine, WebSettings(SECRET)),
                                        host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One Chromium for both backends."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: object, server: str) -> Iterator[object]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    yield pg
    ctx.close()
    assert not errors, errors


def test_filter_by_kind_then_open_a_row_at_its_span(server: str, page) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    want = [c for c in expected_claims() if c["kind"] == "memory"]
    assert want
    page.goto(server + "/")
    page.get_by_role("link", name="Claims", exact=True).click()
    expect(page.locator("table.claims-table tbody tr").first).to_be_visible()
    page.get_by_label("Kind").select_option("memory")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**kind=memory**")
    rows = page.locator("table.claims-table tbody tr")
    expect(rows).to_have_count(len(want))
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.kind)")) == {"memory"}
    assert {t.strip() for t in page.locator("td.claim-cell .kind-name").all_inner_texts()
            } == {"memory"}
    expect(page.get_by_role("status")).to_contain_text(f"{len(want)} claim")

    # click the sentence of the first row: the paper page, scrolled to the highlighted span
    first = rows.first
    span = first.locator("td.ctx mark").inner_text()
    href = first.locator("a.ctx-link").get_attribute("href")
    assert href and href.startswith("/papers/") and "#claim-" in href
    first.locator("a.ctx-link").click()
    page.wait_for_url(f"**{href}")
    target = page.locator("mark.claim:target")
    expect(target).to_be_visible()
    expect(target).to_have_text(span)
    assert target.get_attribute("id") == href.split("#")[1]
    assert target.evaluate("m => m.getBoundingClientRect().top < innerHeight")
    expect(page.locator(".paper-claims .claim-chip").first).to_be_visible()


def test_paper_with_html_and_math_keeps_text_and_marks(server: str, page) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    paper = next(p for p in PAPERS if p["id"] == EVIL_ID)
    regions = math_regions(paper["abstract"])
    outside = [c for c in expected_claims() if c["paper_id"] == EVIL_ID
               and not any(c["start"] < e and s < c["end"] for s, e in regions)]
    page.goto(server + f"/papers/{EVIL_ID}")
    body = page.locator(".abstract-full")
    expect(body).to_contain_text("<script>alert(1)</script>")
    expect(body.locator(".katex").first).to_be_visible()  # $O(n^2)$ still rendered
    marks = body.locator("mark.claim")
    expect(marks).to_have_count(len(outside))
    assert sorted(marks.all_inner_texts()) == sorted(c["span"] for c in outside)


def test_scatter_points_link_to_papers(server: str, page) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    page.goto(server + "/claims?q=kv+cache+compression")
    dots = page.locator("figure.scatter a.dot")
    expect(dots.first).to_be_visible()
    href = dots.first.get_attribute("href")
    tip = dots.first.locator("title").text_content()
    title = next(p["title"] for p in PAPERS if f"/papers/{p['id']}" == href)
    assert tip and tip.startswith(title)
    dots.first.click()
    page.wait_for_url(f"**{href}")
    expect(page.locator("#paper-title")).to_have_text(title)
