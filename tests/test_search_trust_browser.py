"""Search in a real browser (#12): LaTeX rendered by KaTeX in titles and snippets, marks
around the query words, an arXiv id jumping to its paper, honest labels."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_web_browser import browser, page, playwright_api, server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def test_search_renders_math_and_marks(server: str, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    expect = playwright_api.expect
    page.goto(server + "/search?q=Lyman+optical+depth+reionization")
    card = page.locator("article.card").first
    expect(card.locator("h2")).to_contain_text("Lyman")
    expect(card.locator("h2 .katex").first).to_be_visible()  # the alpha in the title
    expect(card.locator(".snippet .katex").first).to_be_visible()  # math in the snippet
    assert card.locator(".snippet mark").count() > 0
    raw = card.locator(".snippet").inner_text()
    assert "$" not in raw and "\\alpha" not in raw  # no raw LaTeX left
    shots = Path(os.environ.get("PAPERFEED_SCREENSHOTS", tmp_path))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(shots / "search-math-1280.png"), full_page=False)


def test_an_arxiv_url_opens_the_paper_and_gibberish_says_so(server: str, page) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    expect = playwright_api.expect
    page.goto(server + "/search?q=https%3A%2F%2Farxiv.org%2Fabs%2F2505.22757v1")
    assert page.url.endswith("/papers/2505.22757")
    expect(page.locator("#paper-title")).to_contain_text("Multi-Token Prediction")
    page.goto(server + "/search?q=zzqxjw+flurbo")
    expect(page.get_by_role("status")).to_contain_text("No paper has these words")
    page.goto(server + "/search?q=multi-token+predictoin")
    expect(page.locator(".did-you-mean")).to_contain_text("multi-token prediction")
    expect(page.locator("article.card h2").first).to_contain_text("Multi-Token Prediction")
