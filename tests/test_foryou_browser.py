"""For you in a real browser (Chromium via Playwright) against a real `paperfeed serve`: a
reader votes and saves, sees a list that follows them, says "not interested", pages on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.foryou_corpus import topic_of, write
from support.paths import FIXTURES
from support.server import free_port, serving
from test_web_browser import ARGS, CHROMIUM, _serve_argv

from paperfeed.index.lexical import catch_up_after_import
from paperfeed.index.lookups import catch_up_lookups
from paperfeed.ingest.files import import_file
from paperfeed.store import open_store

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    tmp = tmp_path_factory.mktemp("foryou")
    db = tmp / "paperfeed.sqlite"
    env = {**os.environ, "PAPERFEED_SECRET_KEY": "c" * 48,
           "PAPERFEED_INDEX_DIR": str(tmp / "index"), "PAPERFEED_EMBED_MODEL": "hash"}
    os.environ["PAPERFEED_INDEX_DIR"] = env["PAPERFEED_INDEX_DIR"]
    try:
        engine = open_store(str(db))
        import_file(engine, FIXTURES / "arxiv-sample-305.jsonl.gz", parallel=False)
        import_file(engine, write(tmp / "topics.jsonl"), parallel=False)
        catch_up_lookups(engine)
        catch_up_after_import(engine)
        engine.dispose()
    finally:
        del os.environ["PAPERFEED_INDEX_DIR"]
    with serving(_serve_argv(db, free_port()), env, tmp / "server.log") as base:
        yield base


def _ids(page) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.split("/papers/")[1] for h in
            page.locator(".foryou-list article.card h2 a").evaluate_all(
                "els => els.map(e => e.getAttribute('href'))")]


def test_for_you_follows_votes_not_interested_and_never_repeats(server: str, tmp_path: Path
                                                                ) -> None:
    expect = playwright_api.expect
    shots = Path(os.environ.get("PAPERFEED_SCREENSHOTS", tmp_path))
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server + "/signup")
        page.get_by_label("Email").fill("fy@example.org")
        page.get_by_label("Password").fill("a long enough password")
        page.get_by_role("button", name="Sign up").click()
        page.get_by_label("Email").fill("fy@example.org")
        page.get_by_label("Password").fill("a long enough password")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("link", name="For you").click()
        expect(page.get_by_role("heading", name="Teach For you what you read")).to_be_visible()

        # upvote two protein papers and save a third
        for pid in ("2601.01000", "2601.01001"):
            page.goto(f"{server}/papers/{pid}")
            vote = page.locator(".paper-head .vote-btn")
            vote.click()
            expect(vote).to_have_attribute("aria-pressed", "true")
        page.goto(f"{server}/papers/2601.01002")
        page.get_by_role("button", name="Save to library").click()

        page.goto(server + "/")  # the home page is For you now
        assert page.url.endswith("/for-you")
        first = _ids(page)
        assert len(first) >= 8 and all(topic_of(i) == "protein" for i in first[:6]), first
        whys = page.locator(".foryou-list .why").all_inner_texts()
        assert len(whys) == len(first) and all("Why:" in w and len(w) > 10 for w in whys)
        page.screenshot(path=str(shots / "foryou-1280.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(shots / "foryou-390.png"))
        page.locator(".foryou-controls").screenshot(path=str(shots / "foryou-controls-390.png"))
        page.set_viewport_size({"width": 1280, "height": 900})

        # not interested: that paper leaves and the list changes
        gone = first[0]
        page.locator(".foryou-list article.card").first.get_by_role(
            "button", name="Not interested").click()
        page.wait_for_url("**/for-you")
        after = _ids(page)
        assert gone not in after and after != first

        # next: the papers shown are marked seen and never come back
        page.get_by_role("button", name="mark these as seen").click()
        page.wait_for_url("**/for-you")
        later = _ids(page)
        assert later and not set(after) & set(later), (after, later)
        page.reload()
        assert not set(after) & set(_ids(page))
        assert not errors, errors
        ctx.close()
        browser.close()
