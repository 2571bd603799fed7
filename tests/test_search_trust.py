"""Search you can trust (#12): ids, honest counts, typos, authors, spans, LaTeX and BibTeX.

Store-backed tests run on SQLite and PostgreSQL (the `engine` fixture).
"""

# ruff: noqa: RUF001  (expected Unicode output, on purpose)

from __future__ import annotations

import re
import time
from pathlib import Path

import bibtexparser
import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from support.paths import FIXTURES
from test_search import ExactVectors

from paperfeed.export import bibtex_entry
from paperfeed.ids import find_reference, reference_only
from paperfeed.index.embed import HashEmbedder
from paperfeed.index.lexical import catch_up_after_import, parse_query
from paperfeed.index.lookups import catch_up_lookups
from paperfeed.index.passages import PassageEmbedder, pool, windows
from paperfeed.ingest.files import import_file
from paperfeed.latex import convert, math_regions, text_mode, to_unicode
from paperfeed.search import snippets
from paperfeed.search.hybrid import Searcher
from paperfeed.search.spelling import as_typed, edits1
from paperfeed.web.app import create_app
from paperfeed.web.render import excerpt, highlight
from paperfeed.web.settings import WebSettings

SAMPLE = FIXTURES / "arxiv-sample-305.jsonl.gz"
EXTRA = [
    {"id": "hep-th/9901001", "title": "Strings on old-style identifiers",
     "abstract": "An old paper about branes.", "authors": ["Ed Witten"],
     "categories": ["hep-th"], "date": "1999-01-04"},
    {"id": "2601.00042", "title": r"Codes over $\mathbb{F}_q$ beat 24\% of \textit{baselines}",
     "abstract": r"We show Schr\"odinger codes gain 24\% over $O(n^2)$ decoders --- see "
                 r"\textbf{Table 1}; the quokka decoder runs fast.",
     "authors": ["Zoë Quokkason", "A } and B"], "categories": ["cs.IT"], "date": "2026-01-09",
     "doi": "10.1234/Quokka.2026"},
]


@pytest.fixture
def corpus(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    import_file(engine, SAMPLE, parallel=False)
    extra = tmp_path / "extra.jsonl"
    extra.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in EXTRA))
    import_file(engine, extra, parallel=False)
    catch_up_lookups(engine)
    catch_up_after_import(engine)
    return engine


def _hybrid(engine: Engine) -> Searcher:
    rows = [orjson.loads(line) for line in __import__("gzip").open(SAMPLE)] + EXTRA
    emb = HashEmbedder(64)
    mat = emb.embed([f"{r['title']}. {r['abstract']}" for r in rows])
    return Searcher(engine, embedder=emb, vectors=ExactVectors([r["id"] for r in rows], mat))


# --- ids ---------------------------------------------------------------------------------

ID_FORMS = ["2505.22757", "2505.22757v2", "arXiv:2505.22757", "arxiv: 2505.22757",
            "https://arxiv.org/abs/2505.22757", "https://arxiv.org/abs/2505.22757v1",
            "http://export.arxiv.org/abs/2505.22757", "https://arxiv.org/pdf/2505.22757v3.pdf",
            "arxiv.org/pdf/2505.22757", "https://arxiv.org/html/2505.22757v1#S2",
            "https://doi.org/10.48550/arXiv.2505.22757", "10.48550/arXiv.2505.22757"]


def test_find_reference_reads_every_form() -> None:
    for form in ID_FORMS:
        assert find_reference(form) == ("arxiv", "2505.22757"), form
        assert reference_only(form), form
    assert find_reference("hep-th/9901001v2") == ("arxiv", "hep-th/9901001")
    assert find_reference("https://arxiv.org/abs/math.GT/0309136") == ("arxiv", "math/0309136")
    assert find_reference("doi:10.1234/ABC.5") == ("doi", "10.1234/abc.5")
    assert find_reference("see (2505.22757), it is good") == ("arxiv", "2505.22757")
    assert not reference_only("see 2505.22757 please")
    # numbers that only look like ids: a month 13+ is no arXiv id; short words are skipped
    assert find_reference("2013.45678 cases") is None
    assert find_reference("speculative decoding 12.5 GHz") is None


def test_every_id_form_finds_the_paper_first(corpus: Engine) -> None:
    s = _hybrid(corpus)
    for form in ID_FORMS:
        res = s.search(form, k=5, count=True)
        assert [h.id for h in res.hits] == ["2505.22757"], form
        assert res.total == 1 and res.mode_used == "id" and res.hits[0].match == "id"
        assert res.id_match == "2505.22757"
    for form in ("hep-th/9901001", "https://arxiv.org/abs/hep-th/9901001v1",
                 "https://doi.org/10.1234/quokka.2026", "DOI:10.1234/QUOKKA.2026"):
        res = s.search(form, k=3)
        assert res.hits and res.hits[0].id in ("hep-th/9901001", "2601.00042"), form
    # an id with words: that paper first, then the words' matches
    res = s.search("2505.22757 galaxy clusters", k=10)
    assert res.hits[0].id == "2505.22757" and res.hits[0].match == "id"
    assert len(res.hits) > 1 and all(h.id != "2505.22757" for h in res.hits[1:])
    missing = s.search("2512.99999", k=5)
    assert missing.hits == [] and "2512.99999" in (missing.note or "")


def test_a_pasted_title_finds_its_paper_first(corpus: Engine) -> None:
    s = _hybrid(corpus)
    for title, pid in [
        ("Pre-Training Curriculum for Multi-Token Prediction in Language Models", "2505.22757"),
        ("pre-training curriculum for multi-token prediction in language models.", "2505.22757"),
        # as arXiv's page shows it: the math rendered
        ("Constraints on the Thompson optical depth to the CMB from the Lyman-α forest",
         "2510.00107"),
        (r"Codes over $\mathbb{F}_q$ beat 24\% of \textit{baselines}", "2601.00042"),
    ]:
        assert s.search(title, k=5).hits[0].id == pid, title


# --- honest counts -----------------------------------------------------------------------

def test_meaning_only_results_are_labelled_under_a_true_count(corpus: Engine) -> None:
    s = _hybrid(corpus)
    res = s.search("zzqxjw flurbo", k=10, count=True)
    assert res.total == 0 and res.hits and all(h.match == "meaning" for h in res.hits)
    both = s.search("galaxy clusters", k=10, count=True)
    n = both.total or 0
    assert n > 0
    for h in both.hits:
        assert h.match == ("words" if h.lexical_rank is not None else "meaning")
    lexical = Searcher(corpus).search("zzqxjw flurbo", k=10, count=True)
    assert lexical.hits == [] and lexical.total == 0


def test_stop_words_and_punctuation_get_a_clear_answer(corpus: Engine) -> None:
    s = _hybrid(corpus)
    for q in ("the of and", "?!", "to be or not to be", "... --"):
        for sort in ("relevance", "date"):
            res = s.search(q, k=10, sort=sort, count=True)  # type: ignore[arg-type]
            assert res.hits == [] and res.total == 0 and res.reason == "stopwords", (q, sort)
            assert res.note and "common words" in res.note


def test_no_match_under_filters_says_how_many_match_without(corpus: Engine) -> None:
    s = Searcher(corpus)
    res = s.search("quokka", k=10, category="astro-ph.CO", count=True)
    assert res.hits == [] and res.total == 0 and res.without_filters == 1


# --- typos -------------------------------------------------------------------------------

def test_typos_are_corrected_from_the_index_vocabulary(corpus: Engine) -> None:
    s = Searcher(corpus)
    clean = s.search("multi-token prediction curriculum", k=5)
    typo = s.search("multi-token predictoin curriculm", k=5)
    assert typo.corrected == "multi-token prediction curriculum"
    assert typo.hits[0].id == clean.hits[0].id == "2505.22757"
    # exact queries are never rewritten; a quoted word is taken as typed
    assert clean.corrected is None
    quoted = s.search('"curriculm" prediction', k=5)
    assert quoted.corrected is None
    assert as_typed("multi predictoin", "multi prediction") == 'multi "predictoin"'
    # a word two edits away has no one-edit neighbour: the index's fuzzy terms find it
    far = s.search("quokkxxa", k=5, mode="lexical")
    assert far.corrected is None and [h.id for h in far.hits][:1] == ["2601.00042"]
    assert "predictoin" not in edits1("predictoin") and "prediction" in edits1("predictoin")


# --- authors -----------------------------------------------------------------------------

def test_an_author_name_ranks_their_papers_first(corpus: Engine) -> None:
    s = _hybrid(corpus)
    for name in ("Pengfei Liu", "pengfei   liu", '"Pengfei Liu"'):
        res = s.search(name, k=10)
        assert res.author == "Pengfei Liu", name
        mine = [h for h in res.hits if "Pengfei Liu" in h.authors]
        assert len(mine) == 3
        assert res.hits[:3] == mine and all(h.match == "author" for h in mine)
    assert s.search("Pengfei transformer", k=5).author is None


# --- snippets and spans ------------------------------------------------------------------

class CountingList(list):  # type: ignore[type-arg]
    """A list that counts element reads (indexing and iteration)."""

    reads = 0

    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        got = super().__getitem__(i)
        CountingList.reads += len(got) if isinstance(i, slice) else 1
        return got

    def __iter__(self):  # type: ignore[no-untyped-def]
        for x in super().__iter__():
            CountingList.reads += 1
            yield x


def _reads(n: int) -> int:
    marks = CountingList((i * 7, i * 7 + 5, f"w{i % 13}") for i in range(n))
    CountingList.reads = 0
    snippets.best_window(marks, 240)
    return CountingList.reads


def test_snippet_window_is_linear_in_the_matches() -> None:
    # a quadratic sweep reads ~n^2/2 marks: 8x the matches would cost 64x the reads
    small, big = _reads(1000), _reads(8000)
    assert big / small < 10, (small, big)
    assert big < 8000 * 6


def test_snippet_of_a_huge_abstract_is_fast_and_marks_real_words() -> None:
    text = " ".join(["We propose speculative decoding with draft models."] * 28_000)
    q = parse_query("speculative decoding")
    t0 = time.perf_counter()
    snip = snippets.make_snippet(text, q)
    took = time.perf_counter() - t0
    assert len(text.split()) >= 196_000 and len(snip.text) < 300
    assert {snip.text[a:b].lower() for a, b in snip.spans} == {"speculative", "decoding"}
    assert took < 30  # generous: the quadratic version took minutes at this size


def test_snippet_never_marks_or_cuts_inside_math() -> None:
    text = "Filler words. " * 30 + r"We bound the loss by $\mathcal{L}(loss) \le 1$ so loss drops."
    snip = snippets.make_snippet(text, parse_query("loss"), width=80)
    assert [snip.text[a:b] for a, b in snip.spans] == ["loss", "loss"]
    assert snip.text.count("$") % 2 == 0
    html = str(highlight(snip.text, snip.spans))
    assert "$\\mathcal{L}(loss) \\le 1$" in html and html.count("<mark>") == 2


# --- LaTeX -------------------------------------------------------------------------------

def test_latex_to_plain_unicode() -> None:
    assert to_unicode(r"gains of 24\% on \textit{ImageNet}") == "gains of 24% on ImageNet"
    assert to_unicode(r"Schr\"odinger, Erd\H{o}s, Fran\c{c}ois, G\"{o}del") == (
        "Schrödinger, Erdős, François, Gödel")
    assert to_unicode(r"a--b --- c~d ``q''") == "a–b — c\u00a0d “q”"
    assert to_unicode(r"codes over $\mathbb{F}_q$ in $O(n^2)$, $\alpha \to \infty$") == (
        "codes over 𝔽_q in O(n²), α → ∞")
    assert to_unicode(r"$\frac{1}{2}\sqrt{n}$ and $x_{i}^{3/2}$") == "1/2√n and xᵢ^(3/2)"
    assert to_unicode("no latex here") == "no latex here"
    # text mode resolved, math kept for KaTeX
    assert text_mode(r"24\% of $\mathbb{F}_q$") == r"24% of $\mathbb{F}_q$"
    # a style command whose argument holds math (from the demo corpus): its math stays math
    assert text_mode(r"up to \textbf{20$\times$ compression}.") == r"up to 20$\times$ compression."
    assert to_unicode(r"\emph{gains of $2\times$} here") == "gains of 2× here"
    m = r"a \$5 and $x$ and \(y\)"
    assert math_regions(m) == [(m.index("$x"), m.index("$x") + 3), (m.index("\\("), len(m))]


def test_converted_text_keeps_span_offsets() -> None:
    src = r"Erd\H{o}s gains 24\% on \textit{ImageNet} models"
    conv = convert(src)
    spans = [(src.index("gains"), src.index("gains") + 5),
             (src.index(r"\textit"), src.index("models") - 1),
             (src.index("models"), len(src))]
    assert [conv.text[a:b] for a, b in conv.map_spans(spans)] == ["gains", "ImageNet", "models"]
    html = str(highlight(src, spans))
    assert html == ("Erdős <mark>gains</mark> 24% on <mark>ImageNet</mark> <mark>models</mark>")
    assert excerpt("x " * 140 + r"$\alpha + \beta$ tail", 290).count("$") in (0, 2)


# --- BibTeX ------------------------------------------------------------------------------

NASTY = [
    {"id": "2601.00042", "title": r"Codes over $\mathbb{F}_q$ with 24\% & 50% gains_ #1",
     "authors": ["A } and B", "Zoë Quokkason"], "submitted": "2026-01-02"},
    {"id": "2601.00043", "title": "Unbalanced { brace and } two } closers {",
     "authors": ["C { D", "E and F", "Ann O'Neil"], "announced": "2026-02-02",
     "doi": "10.1/a}b", "journal_ref": "J. Odd & Co. 5 (2020) 1--2"},
    {"id": "doi:10.5/x", "title": r"Math $a_{b}^{c} \% 3$ and \textit{text} ~ ^ <tag>",
     "authors": ["Eve }, title = {pwned"], "submitted": "2025-12-31"},
]


@pytest.mark.parametrize("paper", NASTY, ids=lambda p: p["id"])
def test_bibtex_of_nasty_papers_parses_with_a_real_parser(paper: dict[str, object]) -> None:
    entry = bibtex_entry(dict(paper))
    lib = bibtexparser.parse_string(entry)
    assert not lib.failed_blocks, entry
    assert len(lib.entries) == 1, entry
    fields = {f.key: f.value for f in lib.entries[0].fields}
    assert "pwned" not in set(fields) and set(fields) <= {
        "title", "author", "year", "eprint", "archivePrefix", "primaryClass", "url", "doi",
        "journal"}
    names = [n.strip() for n in re.split(r"\s+and\s+(?![^{}]*\})", fields["author"])]
    assert len(names) == len(paper["authors"])  # type: ignore[arg-type]
    depth = 0
    for ch in entry:  # braces balance (BibTeX counts them even after a backslash)
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0


def test_bibtex_keeps_math_as_math() -> None:
    entry = bibtex_entry(dict(NASTY[0]))
    assert r"$\mathbb{F}_q$" in entry and r"24\% \& 50\% gains\_ \#1" in entry
    assert r"\$\mathbb" not in entry


# --- whole abstracts (passages) ------------------------------------------------------------

def test_passages_window_and_pool_long_texts() -> None:
    long = " ".join(f"w{i}" for i in range(400))
    ws = windows(long, size=180, stride=150)
    assert len(ws) == 3 and ws[0].split()[0] == "w0" and ws[-1].split()[-1] == "w399"
    assert windows("short text") == ["short text"]
    inner = HashEmbedder(32)
    pe = PassageEmbedder(inner, "mean")
    assert pe.model_id == "hash-bow-32+passages-mean"
    out = pe.embed(["short text", long])
    assert out.shape == (2, 32) and np.allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)
    assert np.allclose(out[0], inner.embed(["short text"])[0], atol=1e-6)
    assert np.allclose(out[1], pool(inner.embed(windows(long)), [3], "mean")[0], atol=1e-6)
    assert np.allclose(pe.embed(["q"], kind="query"), inner.embed(["q"], kind="query"))


# --- the web page and the API --------------------------------------------------------------

@pytest.fixture
def client(corpus: Engine) -> TestClient:
    return TestClient(create_app(corpus, WebSettings("s" * 48)))


def test_web_search_jumps_to_the_paper_and_says_what_matched(client: TestClient) -> None:
    for form in ("2505.22757", "arXiv:2505.22757v1", "https://arxiv.org/pdf/2505.22757v2"):
        r = client.get("/search", params={"q": form}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/papers/2505.22757"
    page = client.get("/search", params={"q": "zzqxjw flurbo"}).text
    assert "No paper</strong> has these words" in page and "Check the spelling" in page
    page = client.get("/search", params={"q": "multi-token predictoin"}).text
    assert "Showing results for" in page and "multi-token prediction" in page
    assert "%22predictoin%22" in page  # the link that searches it as typed
    page = client.get("/search", params={"q": "the of"}).text
    assert "Nothing searched" in page and "common words" in page
    page = client.get("/search", params={"q": "quokka decoder"}).text
    assert "Codes over $\\mathbb{F}_q$ beat 24% of baselines" in page  # text mode resolved
    assert "<mark>quokka</mark>" in page
    r = client.get("/feeds/search.atom", params={"q": "the and"})
    assert r.status_code == 422 and "common words" in r.text


def test_api_returns_spans_and_the_id_match_first(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "https://arxiv.org/abs/2505.22757"}).json()
    assert body["id_match"] == "2505.22757" and body["hits"][0]["id"] == "2505.22757"
    body = client.get("/api/search", params={"q": "quokka decoder", "mode": "lexical"}).json()
    h = body["hits"][0]
    assert h["id"] == "2601.00042" and h["match"] == "words"
    assert {h["snippet_text"][a:b] for a, b in h["spans"]} == {"quokka", "decoder", "decoders"}
    assert "<mark>quokka</mark>" in h["snippet"]
