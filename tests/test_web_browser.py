"""The web app in a real browser (Chromium via Playwright) against a real `paperfeed serve`."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine
from support.paths import FIXTURES
from support.server import free_port, prepared_store, serving

from paperfeed.ingest.files import import_file

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("PAPERFEED_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
EVIL_ID = "2607.99999"
EVIL = {"id": EVIL_ID, "title": "<script>window.pwned=1</script><b>Bold</b> claims",
        "abstract": "An abstract with <img src=x onerror=\"window.pwned=2\"> and $x^2$ math.",
        "authors": ["Eve <i>Hacker</i>"], "categories": ["cs.CR"], "date": "2026-07-02"}
pytestmark = pytest.mark.slow


def _serve_argv(db: Path, port: int) -> list[str]:
    """`python -m paperfeed --db DB serve --port N` (registering `serve` if the CLI lacks it)."""
    import typer.main

    from paperfeed.cli import app

    tail = ["--db", str(db), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if "serve" in typer.main.get_command(app).commands:  # type: ignore[attr-defined]
        return [sys.executable, "-m", "paperfeed", *tail]
    code = ("from paperfeed.cli import app; from paperfeed.cli.serve_cmd import serve_command; "
            "app.command('serve')(serve_command); app()")
    return [sys.executable, "-c", code, *tail]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server process over the 305-paper sample plus one paper full of HTML."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    tmp = tmp_path_factory.mktemp("web")
    evil = tmp / "evil.jsonl"
    evil.write_bytes(orjson.dumps(EVIL) + b"\n")

    def fill(engine: Engine) -> None:
        import_file(engine, FIXTURES / "arxiv-sample-305.jsonl.gz", parallel=False)
        import_file(engine, evil, parallel=False)

    db, env = prepared_store(tmp, "b" * 48, fill)
    with serving(_serve_argv(db, free_port()), env, tmp / "server.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """A fresh browser context; a screenshot is kept when the test fails."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        out = Path(os.environ.get("PAPERFEED_SCREENSHOTS", tmp_path))
        pg.screenshot(path=str(out / f"{request.node.name}.png"), full_page=True)
    ctx.close()
    assert not errors, errors


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


def test_sign_up_search_vote_save_and_log_out(server: str, page) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    page.goto(server + "/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("reader@example.org")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status")).to_contain_text("log in")
    page.get_by_label("Email").fill("reader@example.org")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Account")).to_be_visible()

    # search, then narrow by category
    page.get_by_role("searchbox", name="Search papers").fill("language models")
    page.keyboard.press("Enter")
    expect(page.locator("article.card").first).to_be_visible()
    assert page.locator(".snippet mark").count() > 0
    assert page.locator(".chart rect").count() > 0
    page.get_by_text("Filters", exact=True).click()
    page.get_by_label("Category").fill("cs.CL")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("article.card").first).to_be_visible()
    for cats in page.locator("article.card .meta").all_inner_texts():
        assert "cs.CL" in cats
    assert "category=cs.CL" in page.url

    # open a paper and vote for it (the page updates without a reload)
    page.locator("article.card h2 a").first.click()
    paper_url = page.url
    title = page.locator("#paper-title").inner_text()
    vote = page.locator(".paper-head .vote-btn")
    before = int(vote.locator(".vote-count").inner_text())
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote.locator(".vote-count")).to_have_text(str(before + 1))
    page.reload()
    expect(page.locator(".paper-head .vote-btn")).to_have_attribute("aria-pressed", "true")

    # it now trends today
    page.goto(server + "/trending?window=day")
    expect(page.locator("article.card h2").first).to_contain_text(title[:30])

    # save it to the library with tags
    page.goto(paper_url)
    page.get_by_label("Tags").fill("to-read, lm")
    page.get_by_role("button", name="Save to library").click()
    page.get_by_role("link", name="Library").click()
    expect(page.locator("article.card h2")).to_contain_text(title[:30])
    expect(page.locator("nav.tags")).to_contain_text("to-read")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto(server + "/library")
    assert "/login" in page.url


def test_html_in_a_paper_is_shown_as_text(server: str, page) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    for url in ("/", f"/papers/{EVIL_ID}", "/search?q=claims"):
        page.goto(server + url)
        expect(page.get_by_text("<script>window.pwned=1</script><b>Bold</b> claims").first
               ).to_be_visible()
        assert page.evaluate("window.pwned") is None
        assert page.locator("article b, h1 b, article img[src=x]").count() == 0
    page.goto(server + f"/papers/{EVIL_ID}")
    expect(page.locator(".abstract-full")).to_contain_text('<img src=x onerror="window.pwned=2">')
    expect(page.locator(".abstract-full .katex").first).to_be_visible()  # $x^2$ rendered
    expect(page.locator(".authors.full")).to_have_text("Eve <i>Hacker</i>")


def test_keyboard_reaches_the_skip_link_and_voting_asks_to_log_in(server: str, page) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    page.goto(server + "/")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.locator("article.card .vote-btn").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/login?next=*")
    assert page.get_by_label("Email").is_visible()


def test_unknown_paper_shows_a_404_page(server: str, page) -> None:  # type: ignore[no-untyped-def]
    r = page.goto(server + "/papers/2601.99999")
    assert r.status == 404
    playwright_api.expect(page.get_by_role("heading", level=1)).to_have_text("Not Found")


def test_api_docs_run_under_their_csp(server: str, page) -> None:  # type: ignore[no-untyped-def]
    """Swagger UI starts from one inline script, allowed by its hash and nothing else."""
    expect = playwright_api.expect
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text)
            if "Content Security Policy" in m.text else None)
    resp = page.goto(server + "/docs")
    assert "'unsafe-inline'" not in resp.headers["content-security-policy"].split(
        "script-src")[1].split(";")[0]
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("paperfeed")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert not blocked, blocked


def test_account_page_scoped_token_and_password_forms(server: str, page) -> None:  # type: ignore[no-untyped-def]
    expect = playwright_api.expect
    page.goto(server + "/signup")
    page.get_by_label("Email").fill("tokens@example.org")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("Email").fill("tokens@example.org")
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    page.goto(server + "/account")
    page.get_by_label("Token name").fill("reader script")
    page.get_by_label("vote").check()
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_contain_text("pf_")
    expect(page.locator("table.tokens")).to_contain_text("read, vote")
    expect(page.get_by_role("button", name="Log out everywhere else")).to_be_visible()
    out = Path(os.environ.get("PAPERFEED_SCREENSHOTS", "/tmp"))
    page.screenshot(path=str(out / "account-1280.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(out / "account-390.png"), full_page=True)
    page.goto(server + "/password/forgot")
    expect(page.get_by_role("button", name="Email me a link")).to_be_visible()
