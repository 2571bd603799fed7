"""Claims on the web: chips on cards, highlighted spans, /claims, /claims.csv and /api/claims.

Expectations come from the data: each abstract's claims are computed here with the extractor
(upstream of the web), then filtered and sorted in Python and compared with what is served.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from conftest import pg_schema_url
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text

from paperfeed.claims import extract_claims
from paperfeed.index.refresh import refresh
from paperfeed.ingest.files import import_file
from paperfeed.latex import convert
from paperfeed.rank.claims import (
    PRIORITY,
    UNIT_ORDER,
    chip_label,
    math_regions,
)
from paperfeed.store import open_store
from paperfeed.web.app import create_app
from paperfeed.web.render import claims_abstract
from paperfeed.web.settings import WebSettings

SECRET = "c" * 48
EVIL_ID = "2601.10004"
TEX_ID = "2601.10009"
MATH_ID = "2601.10007"
PAPERS: list[dict[str, Any]] = [
    {"id": "2601.10001", "title": "FastKV: KV cache compression for long contexts",
     "abstract": "We propose FastKV, a KV cache compression method for long-context inference. "
                 "FastKV achieves a 2.7x speedup in decoding and reduces memory usage by 38% "
                 "while retaining 99% accuracy.",
     "authors": ["Ada Lovelace"], "categories": ["cs.LG", "cs.CL"], "date": "2026-01-05"},
    {"id": "2601.10002", "title": "Four-bit translation models",
     "abstract": "We quantize large language models to 4-bit weights with a new rounding scheme. "
                 "Our method improves BLEU by 1.2 points and runs 1.5x faster than the "
                 "full-precision model.",
     "authors": ["Alan Turing"], "categories": ["cs.CL"], "date": "2026-01-12"},
    {"id": "2601.10003", "title": "Sparse attention for vision",
     "abstract": "Our sparse attention achieves a 5.1x speedup and 92% accuracy on ImageNet "
                 "classification.",
     "authors": ["Grace Hopper"], "categories": ["cs.CV"], "date": "2026-02-10"},
    {"id": EVIL_ID, "title": "<script>alert('t')</script> Kernels <b>fast</b>",
     "abstract": "We show that <script>alert(1)</script> our kernel achieves a 3.2x speedup & "
                 "cuts memory by 20%. With $O(n^2)$ cost it reaches a $2.5\\times$ throughput "
                 "gain.",
     "authors": ["Mallory"], "categories": ["cs.CR", "cs.LG"], "date": "2026-02-11"},
    {"id": "2601.10005", "title": "Graph colouring bounds",
     "abstract": "A study of graph colouring bounds.", "authors": ["Paul Erdos"],
     "categories": ["math.CO"], "date": "2026-01-05"},
    {"id": "2601.10006", "title": "Cheaper KV cache compression",
     "abstract": "Our KV cache compression reduces memory by 60% and gives a 1.9x speedup with "
                 "85% accuracy.",
     "authors": ["Edsger Dijkstra"], "categories": ["cs.CL"], "date": "2026-03-01"},
    # a speed-up in two units (a latency in ms and a factor): sorting never mixes them
    {"id": "2601.10008", "title": "A streaming decoder",
     "abstract": "Our streaming decoder cuts latency to 12 ms per frame and is 3.1x faster "
                 "than the baseline.",
     "authors": ["Claude Shannon"], "categories": ["eess.AS"], "date": "2026-03-02"},
    # text-mode LaTeX around and inside the spans (an escaped percent, italics, a dollar)
    {"id": TEX_ID, "title": "\\textit{Lean} attention at 50\\% size",
     "abstract": "We present \\textit{LeanKV}, which reduces memory by 24\\% and runs 2.2x "
                 "faster than \\emph{FlashAttention} on \\$100 GPUs.",
     "authors": ["Barbara Liskov"], "categories": ["cs.DS"], "date": "2026-03-03"},
]


def expected_claims() -> list[dict[str, Any]]:
    """Every claim of the corpus, with its paper's date and categories (from the extractor)."""
    out = []
    for p in PAPERS:
        for n, c in enumerate(extract_claims(p["abstract"])):
            out.append({"paper_id": p["id"], "kind": c.kind, "value": float(c.value),
                        "unit": c.unit, "span": c.text, "start": c.start, "end": c.end,
                        "date": p["date"], "categories": p["categories"], "position": n,
                        "what": c.what})
    return out


def keys(claims: list[dict[str, Any]]) -> set[tuple[str, str, float]]:
    return {(c["paper_id"], c["kind"], float(c["value"])) for c in claims}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[Engine]:
    """The corpus, loaded once per backend (every test here only reads)."""
    tmp = tmp_path_factory.mktemp("claims")
    urls = (iter([str(tmp / "paperfeed.sqlite")]) if request.param == "sqlite"
            else pg_schema_url())
    url = next(urls)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PAPERFEED_INDEX_DIR", str(tmp / "index"))
        engine = open_store(url)
        path = tmp / "papers.jsonl"
        path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in PAPERS))
        import_file(engine, path, parallel=False)
        refresh(engine, slow=False)
        yield engine
        engine.dispose()
    next(urls, None)  # drops the PostgreSQL schema


@pytest.fixture(scope="module")
def client(app_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(app_engine, WebSettings(SECRET))) as c:
        yield c


def api(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/api/claims", params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    assert body["total"] == len(body["claims"]) or params.get("limit")
    return body


def test_the_corpus_has_claims_of_several_kinds() -> None:
    exp = expected_claims()  # guards the other tests against an extractor that finds nothing
    assert {"speedup", "memory", "quality", "precision"} <= {c["kind"] for c in exp}
    assert len({c["paper_id"] for c in exp}) >= 5


def test_api_lists_every_claim_with_the_schema(client: TestClient) -> None:
    exp = expected_claims()
    body = api(client)
    assert body["total"] == len(exp)
    assert keys(body["claims"]) == keys(exp)
    titles = {p["id"]: p["title"] for p in PAPERS}
    by_key = {(c["paper_id"], c["position"]): c for c in exp}
    for c in body["claims"]:
        e = by_key[(c["paper_id"], c["position"])]
        assert (c["span"], c["start"], c["end"], c["unit"], c["date"]) == (
            e["span"], e["start"], e["end"], e["unit"], e["date"])
        assert c["title"] == titles[c["paper_id"]]
        assert c["url"].endswith(f"#claim-{c['position']}")
        assert c["label"]


FILTERS: list[dict[str, str]] = [
    {"kind": "speedup"}, {"kind": "memory"}, {"kind": "precision"}, {"unit": "x"},
    {"unit": "%"}, {"kind": "quality", "unit": "%"}, {"category": "cs.CL"},
    {"category": "cs.LG"}, {"since": "2026-02-01"}, {"until": "2026-01-12"},
    {"since": "2026-01-06", "until": "2026-02-10"}, {"category": "math.CO"},
    {"kind": "speedup", "category": "cs.LG", "since": "2026-01-06"},
    {"kind": "memory", "unit": "", "category": "", "since": "", "until": ""},  # empty form
]


def _passes(c: dict[str, Any], params: dict[str, str]) -> bool:
    return ((not params.get("kind") or c["kind"] == params["kind"])
            and (not params.get("unit") or c["unit"] == params["unit"])
            and (not params.get("category") or params["category"] in c["categories"])
            and (not params.get("since") or c["date"] >= params["since"])
            and (not params.get("until") or c["date"] <= params["until"]))


def test_api_filters_keep_exactly_the_matching_claims(client: TestClient) -> None:
    exp = expected_claims()
    for params in FILTERS:
        want = [c for c in exp if _passes(c, params)]
        assert 0 < len(want) < len(exp) or params == {"category": "math.CO"}, params
        body = api(client, **params)
        assert keys(body["claims"]) == keys(want) and body["total"] == len(want), params


def test_category_filter_counts_cross_lists(client: TestClient) -> None:
    # 2601.10001 is primarily cs.LG and cross-listed in cs.CL
    ids = {c["paper_id"] for c in api(client, category="cs.CL")["claims"]}
    assert "2601.10001" in ids and "2601.10002" in ids and "2601.10003" not in ids


def test_query_restricts_to_matching_papers(client: TestClient) -> None:
    words = ("translation", "bleu")  # only 2601.10002 has either
    matching = {p["id"] for p in PAPERS
                if any(w in (p["title"] + " " + p["abstract"]).lower() for w in words)}
    assert matching
    body = api(client, q="translation BLEU")
    assert {c["paper_id"] for c in body["claims"]} == matching
    assert keys(body["claims"]) == keys([c for c in expected_claims()
                                         if c["paper_id"] in matching])
    assert api(client, q="zzzzunheardofword")["total"] == 0
    # a phrase must match as a phrase
    assert api(client, q='"bleu translation"')["total"] == 0
    # the other filters apply with the query
    assert api(client, q="kv cache", category="cs.LG")["total"] == len(
        [c for c in expected_claims() if c["paper_id"] == "2601.10001"])


def test_sorting_by_value_and_date(client: TestClient) -> None:
    for sort, reverse in (("date_desc", True), ("date_asc", False)):
        got = [c["date"] for c in api(client, sort=sort)["claims"]]
        assert got == sorted(got, reverse=reverse), sort
        assert len(got) == len(expected_claims())
    # one kind: factors first, largest first, then absolute latencies (fastest first)
    speed = [(c["unit"], c["value"])
             for c in api(client, kind="speedup", sort="value_desc")["claims"]]
    factors = sorted((c["value"] for c in expected_claims()
                      if c["kind"] == "speedup" and c["unit"] == "x"), reverse=True)
    assert speed == [("x", v) for v in factors] + [("ms", 12)]
    assert [v for _, v in speed[:2]] == [5.1, 3.2] and 12 not in [v for _, v in speed[:-1]]
    slow = [(c["unit"], c["value"])
            for c in api(client, kind="speedup", sort="value_asc")["claims"]]
    assert slow == [("x", v) for v in reversed(factors)] + [("ms", 12)]


@pytest.mark.parametrize("sort", ["value_desc", "value_asc"])
def test_sorting_by_value_never_mixes_kinds_or_units(client: TestClient, sort: str) -> None:
    """By value, claims come in groups of one kind and one normalised unit (38% memory saved
    and 99% accuracy are not compared), each group sorted by its normalised value."""
    got = api(client, sort=sort, limit=500)["claims"]
    assert len(got) == len(expected_claims())
    groups = [(c["kind"], c["norm_unit"]) for c in got]
    # each group is one contiguous run; the runs go by kind, then relative units first
    runs = [g for n, g in enumerate(groups) if n == 0 or groups[n - 1] != g]
    rank = {u: n for n, u in enumerate(UNIT_ORDER)}
    assert runs == sorted(set(groups), key=lambda g: (g[0], rank.get(g[1], 99), g[1]))
    assert len({g[0] for g in groups}) > 1   # the corpus has several kinds to keep apart
    for g in runs:
        vals = [c["norm_value"] for c in got if (c["kind"], c["norm_unit"]) == g]
        assert vals == sorted(vals, reverse=sort == "value_desc"), g
    # memory: 60% and 38% saved are one group, best (largest fraction saved) first
    mem = [(c["value"], c["norm_value"]) for c in got if c["kind"] == "memory"]
    if sort == "value_desc":
        assert mem[:2] == [(60, 0.6), (38, 0.38)]


def test_claims_page_groups_value_sort_per_kind_and_unit(client: TestClient) -> None:
    page = client.get("/claims", params={"sort": "value_desc"}).text
    heads = re.findall(r'<tr class="group-row" data-group="([^"]+)"', page)
    api_groups = []
    for c in api(client, sort="value_desc", limit=50)["claims"]:
        g = f"{c['kind']}|{c['norm_unit']}"
        if not api_groups or api_groups[-1] != g:
            api_groups.append(g)
    assert heads == api_groups and len(heads) == len(set(heads)) > 1
    # by date there are no group headings
    assert 'class="group-row"' not in client.get("/claims").text


def test_pagination_walks_the_whole_list_once(client: TestClient) -> None:
    full = api(client, sort="value_desc")["claims"]
    pages = []
    for offset in range(0, len(full) + 3, 3):
        body = api(client, sort="value_desc", limit=3, offset=offset)
        assert body["total"] == len(full) and len(body["claims"]) <= 3
        pages += body["claims"]
    assert [(c["paper_id"], c["position"]) for c in pages] == [
        (c["paper_id"], c["position"]) for c in full]
    # the HTML page pages too: 50 a page, so one page here, and page 2 is empty
    assert "No claims match" in client.get("/claims", params={"page": 2}).text


def test_csv_matches_the_json(client: TestClient) -> None:
    params = {"category": "cs.CL", "sort": "value_asc"}
    r = client.get("/claims.csv", params=params)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    # the first 13 columns as before; the facets of issue #13 after them
    assert rows and list(rows[0]) == ["paper_id", "title", "date", "kind", "value", "low",
                                      "high", "unit", "what", "span", "start", "end", "url",
                                      "direction", "norm_value", "norm_unit", "subkind",
                                      "baseline", "condition"]
    claims = api(client, **params)["claims"]
    assert len(rows) == len(claims)
    for row, c in zip(rows, claims, strict=True):
        assert (row["paper_id"], row["title"], row["date"], row["kind"], row["unit"],
                row["what"], row["span"]) == (c["paper_id"], c["title"], c["date"],
                                              c["kind"], c["unit"], c["what"], c["span"])
        assert float(row["value"]) == c["value"]  # not rounded away
        assert int(row["start"]) == c["start"] and int(row["end"]) == c["end"]
        assert row["url"].endswith(c["url"])
        assert (row["direction"], row["norm_unit"]) == (c["direction"], c["norm_unit"])
        assert float(row["norm_value"]) == c["norm_value"]
    # every claim of an unfiltered download, header included
    everything = list(csv.reader(io.StringIO(client.get("/claims.csv").text)))
    assert len(everything) == 1 + len(expected_claims())


def test_bad_parameters_are_422_naming_them(client: TestClient) -> None:
    for params, name in (({"kind": "bogus"}, "kind"), ({"since": "yesterday"}, "since"),
                         ({"until": "2026-13-01"}, "until"), ({"sort": "random"}, "sort"),
                         ({"limit": "0"}, "limit"), ({"unit": "u" * 41}, "unit"),
                         ({"category": "c" * 41}, "category")):
        r = client.get("/api/claims", params=params)
        assert r.status_code == 422, params
        body = r.json()
        assert body["status"] == 422 and f"'{name}'" in body["error"]
        assert any(name in d["parameter"] for d in body["detail"])
        if name != "limit":
            for url in ("/claims", "/claims.csv"):  # pages name it too
                page = client.get(url, params=params)
                assert page.status_code == 422 and "text/html" in page.headers["content-type"]
                assert name in page.text


def test_api_is_documented(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    op = spec["paths"]["/api/claims"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"kind", "unit", "category", "since", "until", "q", "sort", "limit",
            "offset"} <= names
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/ClaimsOut")
    assert {"paper_id", "kind", "value", "low", "high", "unit", "what", "span", "start",
            "end"} <= set(spec["components"]["schemas"]["ClaimOut"]["properties"])


def _card(page: str, paper_id: str) -> str:
    anchor = f'href="/papers/{paper_id}"'
    start = page.rindex('<article class="card"', 0, page.index(anchor))
    return page[start:page.index("</article>", start)]


def test_cards_show_up_to_three_chips(client: TestClient) -> None:
    exp = expected_claims()
    for url, pid in (("/?date=2026-01-05", "2601.10001"), ("/categories/cs.CL", "2601.10002"),
                     ("/search?q=kernel", EVIL_ID), ("/authors/Grace%20Hopper", "2601.10003")):
        r = client.get(url)
        assert r.status_code == 200, url
        card = _card(r.text, pid)
        chips = re.findall(r'class="claim-chip k-(\w+)"[^>]*>([^<]*)</a>', card)
        mine = [c for c in exp if c["paper_id"] == pid]
        assert 1 <= len(chips) == min(3, len(mine)), (url, chips)
        labels = {html.unescape(chip_label({**c, "low": None, "high": None})) for c in mine}
        assert {html.unescape(label) for _, label in chips} <= labels
    # a chip links to its highlighted span, or to the list when the span is not marked
    paper = next(p for p in PAPERS if p["id"] == EVIL_ID)
    regions = math_regions(paper["abstract"])
    card = _card(client.get("/search", params={"q": "kernel"}).text, EVIL_ID)
    hrefs = re.findall(r'class="claim-chip k-\w+" href="([^"]+)"', card)
    mine = sorted((c for c in exp if c["paper_id"] == EVIL_ID),
                  key=lambda c: (PRIORITY[c["kind"]], c["position"]))[:3]
    assert hrefs == [f"/papers/{EVIL_ID}" + (
        "#claims-h" if any(c["start"] < e and s < c["end"] for s, e in regions)
        else f"#claim-{c['position']}") for c in mine]
    assert any(h.endswith("#claims-h") for h in hrefs)
    # a paper without claims has no chips
    assert "claim-chip" not in _card(client.get("/?date=2026-01-05").text, "2601.10005")
    # the JSON cards carry the claims too
    daily = client.get("/api/daily", params={"date": "2026-01-05"}).json()
    card = next(p for p in daily["papers"] if p["id"] == "2601.10001")
    assert keys([{**c, "paper_id": card["id"]} for c in card["claims"]]) == keys(
        [c for c in exp if c["paper_id"] == "2601.10001"])


def test_claims_of_a_page_of_cards_take_one_query(client: TestClient,
                                                  app_engine: Engine) -> None:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "paper_claims" in statement:
            seen.append(statement)

    event.listen(app_engine, "before_cursor_execute", count)
    try:
        for n, url in enumerate(("/?date=2026-01-05&span=month", "/categories/cs.CL?",
                                 "/api/daily?")):
            seen.clear()  # a query parameter of its own: rendered now, not from the page cache
            assert client.get(f"{url}&fresh={n}").status_code == 200
            assert len(seen) == 1, (url, seen)
    finally:
        event.remove(app_engine, "before_cursor_execute", count)


def _abstract_html(page: str) -> str:
    m = re.search(r'<p class="abstract-full math">(.*?)</p>', page, re.S)
    assert m
    return m.group(1)


def test_paper_page_highlights_each_span(client: TestClient) -> None:
    pid = "2601.10001"
    paper = next(p for p in PAPERS if p["id"] == pid)
    page = client.get(f"/papers/{pid}").text
    body = _abstract_html(page)
    marks = re.findall(r'<mark class="claim claim-(\w+)" id="claim-(\d+)"[^>]*>(.*?)</mark>',
                       body)
    exp = [c for c in expected_claims() if c["paper_id"] == pid]
    assert sorted((k, int(n), html.unescape(t)) for k, n, t in marks) == sorted(
        (c["kind"], c["position"], c["span"]) for c in exp)
    # taking the marks out gives the abstract back, character for character
    assert html.unescape(re.sub(r"</?mark[^>]*>", "", body)) == paper["abstract"]
    # all chips on the paper page, each linking to its span
    for c in exp:
        assert f'href="#claim-{c["position"]}"' in page


def test_highlighting_keeps_html_as_text_and_skips_math(client: TestClient) -> None:
    paper = next(p for p in PAPERS if p["id"] == EVIL_ID)
    page = client.get(f"/papers/{EVIL_ID}").text
    assert "<script>alert(1)" not in page and "<script>alert('t')" not in page
    body = _abstract_html(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert html.unescape(re.sub(r"</?mark[^>]*>", "", body)) == paper["abstract"]
    exp = [c for c in expected_claims() if c["paper_id"] == EVIL_ID]
    regions = math_regions(paper["abstract"])
    in_math = [c for c in exp if any(c["start"] < e and s < c["end"] for s, e in regions)]
    outside = [c for c in exp if c not in in_math]
    assert in_math and outside  # the fixture has both
    marked = {html.unescape(t) for t in re.findall(r"<mark[^>]*>(.*?)</mark>", body)}
    assert marked == {c["span"] for c in outside}
    # the claim inside math still has its chip, not linked to a mark
    assert all(f'id="claim-{c["position"]}"' not in body for c in in_math)


def test_claims_abstract_escapes_and_skips_unsafe_spans() -> None:
    abstract = 'A <b>"x"</b> costs \\$5 and runs 2x faster; $a<b$ then 3x faster & more'
    claims = [
        {"kind": "speedup", "unit": "x", "value": 2, "span": "2x faster",
         "start": abstract.index("2x"), "end": abstract.index("2x") + 9, "position": 0},
        {"kind": "speedup", "unit": "x", "value": 3, "span": "3x faster",
         "start": abstract.index("3x"), "end": abstract.index("3x") + 9, "position": 1},
        {"kind": "cost", "unit": "usd", "value": 5, "span": "wrong text", "start": 0,
         "end": 10, "position": 2},  # stored for another version: not marked
        {"kind": "speedup", "unit": "x", "value": 2, "span": "x faster",
         "start": abstract.index("2x") + 1, "end": abstract.index("2x") + 9,
         "position": 3},  # overlaps claim 0: not marked
    ]
    out = str(claims_abstract(abstract, claims))
    assert "<b>" not in out and "&lt;b&gt;&#34;x&#34;&lt;/b&gt;" in out
    assert out.count("<mark") == 2 and 'id="claim-0"' in out and 'id="claim-1"' in out
    # marks out: the abstract back, its text-mode LaTeX resolved (\\$ is a dollar sign)
    assert html.unescape(re.sub(r"</?mark[^>]*>", "", out)) == convert(abstract).text
    assert "\\$" not in out
    assert [c["marked"] for c in claims] == [True, True, False, False]
    # the escaped dollar is no math; the pair $a<b$ is
    assert math_regions(abstract) == [(abstract.index("$a"), abstract.index("$ then") + 1)]
    # an unclosed $ runs to the end: nothing after it is marked
    tail = "we pay $ and get 2x faster"
    cl = [{"kind": "speedup", "unit": "x", "value": 2, "span": "2x faster",
           "start": tail.index("2x"), "end": len(tail), "position": 0}]
    assert "<mark" not in str(claims_abstract(tail, cl))


def test_claims_page_filters_and_links_rows_to_spans(client: TestClient) -> None:
    r = client.get("/claims", params={"kind": "speedup", "sort": "value_desc"})
    assert r.status_code == 200
    kinds = re.findall(r'<tr data-kind="(\w+)"', r.text)
    exp = [c for c in expected_claims() if c["kind"] == "speedup"]
    assert kinds == ["speedup"] * len(exp)
    for c in exp:
        assert f'href="/papers/{c["paper_id"]}#claim-{c["position"]}"' in r.text
    assert "<script>alert('t')" not in r.text and "&lt;script&gt;" in r.text
    # a submitted form with empty fields means "any"
    empty = {"q": "", "kind": "", "unit": "", "category": "", "since": "", "until": ""}
    for url in ("/claims", "/claims.csv"):
        assert client.get(url, params=empty).status_code == 200
    # the CSV link keeps the filter
    assert 'href="/claims.csv?kind=speedup&amp;sort=value_desc"' in r.text


def test_claims_page_contexts_render_text_mode_latex(client: TestClient) -> None:
    r = client.get("/claims", params={"q": "LeanKV"})
    assert r.status_code == 200
    rows = re.findall(r'<td class="ctx"><a [^>]*>(.*?)</a></td>', r.text, re.S)
    exp = [c for c in expected_claims() if c["paper_id"] == TEX_ID]
    assert len(rows) == len(exp) >= 2
    for row in rows:  # the LaTeX is rendered, never shown raw
        assert "\\%" not in row and "\\textit" not in row and "\\emph" not in row
        assert "\\$" not in row
    marks = {html.unescape(m) for row in rows for m in re.findall(r"<mark>(.*?)</mark>", row)}
    assert marks == {convert(c["span"]).text for c in exp}
    assert "by 24%" in marks
    page_titles = re.findall(r'<a class="paper-link math"[^>]*>(.*?)</a>', r.text)
    assert page_titles and all("\\textit" not in t and "\\%" not in t for t in page_titles)


def _circles(page: str) -> list[str]:
    return re.findall(r'<a class="dot" href="([^"]+)"[^>]*><circle', page)


def test_scatter_chart_plots_papers_with_both_kinds(client: TestClient) -> None:
    q = "kv cache compression"
    words = q.split()
    exp = expected_claims()
    want = {p["id"] for p in PAPERS
            if any(w in (p["title"] + " " + p["abstract"]).lower() for w in words)
            and {"speedup", "quality"} <= {c["kind"] for c in exp
                                           if c["paper_id"] == p["id"]}}
    assert len(want) >= 2
    page = client.get("/claims", params={"q": q}).text
    assert '<figure class="chart scatter">' in page
    assert sorted(_circles(page)) == sorted(f"/papers/{pid}" for pid in want)
    assert len(re.findall(r"<circle [^>]*><title>[^<]+</title>", page)) == len(want)
    # other axes: memory against speedup
    want_mem = {p["id"] for p in PAPERS if {"speedup", "memory"} <= {
        c["kind"] for c in exp if c["paper_id"] == p["id"]}}
    page = client.get("/claims", params={"x": "speedup", "y": "memory"}).text
    assert sorted(_circles(page)) == sorted(f"/papers/{pid}" for pid in want_mem)


def test_scatter_chart_follows_the_paper_filters(client: TestClient) -> None:
    exp = expected_claims()
    kinds = {p["id"]: {c["kind"] for c in exp if c["paper_id"] == p["id"]} for p in PAPERS}
    for params in ({"category": "cs.LG"}, {"since": "2026-02-01"}, {"until": "2026-02-10"},
                   {"category": "cs.CL", "until": "2026-02-28"}, {"kind": "precision"}):
        want = {p["id"] for p in PAPERS if {"speedup", "memory"} <= kinds[p["id"]]
                and _passes({"date": p["date"], "categories": p["categories"], "kind": "",
                             "unit": ""}, {k: v for k, v in params.items() if k != "kind"})}
        page = client.get("/claims", params={"x": "speedup", "y": "memory", **params}).text
        assert sorted(_circles(page)) == sorted(f"/papers/{pid}" for pid in want), params


def test_no_scatter_points_gets_an_explanation(client: TestClient) -> None:
    page = client.get("/claims", params={"q": "graph colouring"}).text
    assert _circles(page) == [] and '<figure class="chart scatter">' not in page
    assert "nothing to plot" in page


def test_the_chart_looks_at_the_newest_claims_only_when_asked(app_engine: Engine,
                                                              client: TestClient) -> None:
    from paperfeed.rank.claims import ClaimQuery, scatter_pairs

    q = ClaimQuery(None, None, None, None, None, None)
    with app_engine.connect() as conn:  # quality (4 claims) is the rarer of the two here
        every, *_, scanned = scatter_pairs(conn, q, "speedup", "quality")
        assert scanned is None and len(every) >= 2
        newest, *_, scanned = scatter_pairs(conn, q, "speedup", "quality", newest=1)
        quality = conn.execute(text("SELECT paper_id, announced FROM paper_claims "
                                    "WHERE kind = 'quality' ORDER BY announced DESC")).all()
    assert len(quality) == 4 and scanned == 4  # newest=1: its newest 4 claims are looked at
    assert {p.paper_id for p in newest} == {p.paper_id for p in every}
    with app_engine.connect() as conn:
        capped, *_, scanned = scatter_pairs(conn, q, "speedup", "speedup", newest=1)
    assert scanned == 4 and len(capped) <= 4  # 8 speedup claims, the newest 4 looked at
    page = client.get("/claims", params={"x": "speedup", "y": "memory"}).text
    assert "drawn from the newest" not in page  # the demo-sized set is looked at whole
