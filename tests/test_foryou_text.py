"""For-you's fast analysis (foryou_words) gives exactly the lexical index's terms (EN)."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import numpy as np
import pytest

from paperfeed.index.lexical import EN
from paperfeed.rank import foryou_text as ft
from paperfeed.rank import foryou_words as fw

TEXTS = [
    ("Gaussian Splatting for Real-Time Rendering", "We present 3D Gaussian splatting: "
     "real-time rendering of radiance fields at 1080p, 30 fps; the splats' opacity (alpha) is "
     "learned. GPT-4o and H2O_cache do x-y well, e.g. in 2024."),
    ("Über naïve Bayes: a café study", "Naïve Bayes classifiers, Übersetzung, résumé; "
     "Ωmega and 東京 words."),
    ("A" * 39 + " " + "b" * 40, "supercalifragilisticexpialidociousnessxyzabcdefghij is long; "
     "so is " + "c" * 45 + " and the of and"),
    ("", ""),
    ("Attention is all you need", "the the the attention attention heads of naive Bayes"),
]


def _reference(title: str, abstract: str) -> Counter[str]:
    """The terms as the lexical index's analyser gives them, title words and pairs twice."""
    tok = lambda s: [t for t in EN.analyze(s) if len(t) > 1 and not t.isdigit()]  # noqa: E731
    tt, at = tok(title), tok(abstract)
    out = Counter(at) + Counter(tt) + Counter(tt)
    out.update(a + " " + b for a, b in itertools.pairwise(at))
    pairs = [a + " " + b for a, b in itertools.pairwise(tt)]
    out.update(pairs + pairs)
    return out


def _bags_as_counters(bags: ft.Bags) -> list[Counter[str]]:
    v = ft.Vocab(bags.codes, bags.shift, bags.table.stems)
    return [Counter({v[j]: int(bags.counts[j]) for j in range(bags.ptr[r], bags.ptr[r + 1])})
            for r in range(bags.n_rows)]


def test_terms_are_the_lexical_analysers_even_after_a_reset(
        monkeypatch: pytest.MonkeyPatch) -> None:
    want = [_reference(t, a) for t, a in TEXTS]
    assert _bags_as_counters(ft.analyse(TEXTS)) == want
    assert _bags_as_counters(ft.analyse(TEXTS[::-1])) == want[::-1]  # remembered words
    monkeypatch.setattr(fw, "WORDS", fw.Words())  # a fresh table
    assert _bags_as_counters(ft.analyse(TEXTS)) == want


def test_the_word_table_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fw, "WORDS_MAX", 10)
    want = [_reference(t, a) for t, a in TEXTS]
    for _ in range(2):  # the second call starts from a forgotten table
        assert _bags_as_counters(ft.analyse(TEXTS)) == want
    everything = fw.WORDS.size
    ft.analyse(TEXTS[:1])
    assert 10 < fw.WORDS.size < everything  # forgotten, then the first paper's words


def test_keys_too_wide_to_pack_give_the_same_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    packed = ft.tfidf(ft.analyse(TEXTS), None, min_df_local=2)
    monkeypatch.setattr(fw, "WIDTH", 8)
    wide = ft.tfidf(ft.analyse(TEXTS), None, min_df_local=2)
    for a in ("ptr", "cols", "vals"):
        assert np.array_equal(getattr(packed, a), getattr(wide, a))
    assert list(packed.vocab) == list(wide.vocab)


def test_tfidf_rows_are_unit_norm_and_rare_pairs_dropped() -> None:
    X = ft.tfidf(ft.analyse(TEXTS), None, min_df_local=2)
    norms = [np.linalg.norm(X.vals[X.ptr[r]:X.ptr[r + 1]]) for r in range(X.n_rows)]
    assert np.allclose([n for n in norms if n], 1.0) and norms[3] == 0.0
    vocab = [X.vocab[i] for i in range(len(X.vocab))]
    assert {"attent", "gaussian", "naiv bay"} <= set(vocab)  # a pair in two papers stays
    assert "radianc field" not in vocab  # a pair of one paper goes
    everything = ft.tfidf(ft.analyse(TEXTS), None, min_df_local=1)
    assert "radianc field" in [everything.vocab[i] for i in range(len(everything.vocab))]


MIXED = [
    ("Naïve-Bayes vs \u03b1-helix", "x\u00d7y and a\u00a0b; café-au-lait, 東京 ok. pfqsepqpf is the "
     "separator word, PFQSEPQPF too; " + "w" * 33 + " and " + "v" * 32 + " and "
     + "u" * 8 + " " + "t" * 9 + " " + "s" * 16 + " " + "r" * 17 + " end"),
    ("Plain ASCII title", "plain ascii words only, with numbers 42 and x2 and mixed CaSe"),
    ("", "Ünïcödé only: ÀÉÎÕÜ and ßtraße"),
]


def test_mixed_scripts_long_words_and_the_separator_word_are_exact(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fw, "WORDS", fw.Words())
    want = [_reference(t, a) for t, a in MIXED + TEXTS]
    assert _bags_as_counters(ft.analyse(MIXED + TEXTS)) == want
    assert _bags_as_counters(ft.analyse(MIXED + TEXTS)) == want  # all remembered now


def test_words_that_share_a_hash_or_a_slot_stay_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every word of one hash: the table probes, new words are told apart by their bytes."""
    monkeypatch.setattr(fw, "WORDS", fw.Words())
    monkeypatch.setattr(fw, "_hash", lambda p0, at, parts: np.zeros(len(p0), dtype=np.uint64))
    want = [_reference(t, a) for t, a in TEXTS + MIXED]
    for _ in range(2):
        assert _bags_as_counters(ft.analyse(TEXTS + MIXED)) == want


def test_the_byte_table_grows_and_still_finds_every_word(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fw, "WORDS", fw.Words())
    words = [f"w{i}q{i * 7919 % 1000}x" for i in range(5000)]  # more than the first table
    texts = [(" ".join(words[i:i + 3]), " ".join(words[i:i + 50])) for i in range(0, 5000, 50)]
    first = _bags_as_counters(ft.analyse(texts))
    assert len(fw.WORDS.table) > 4 * 1024  # grown
    assert first == [_reference(t, a) for t, a in texts]
    assert _bags_as_counters(ft.analyse(texts[::-1])) == first[::-1]


def test_the_bags_groups_are_numpys_unique() -> None:
    bags = ft.analyse(TEXTS + MIXED)
    assert bags.groups is not None
    terms, first, inverse, counts = np.unique(bags.codes, return_index=True,
                                              return_inverse=True, return_counts=True)
    for got, want in zip(bags.groups, (terms, first, inverse.ravel(), counts), strict=True):
        assert np.array_equal(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_equal_the_dense_matrix_products(dtype: Any) -> None:
    rng = np.random.default_rng(3)
    X = ft.tfidf(ft.analyse(TEXTS + MIXED), None, min_df_local=1)
    X = ft.Sparse(X.ptr, X.cols, X.vals.astype(dtype), X.vocab)
    D = np.stack([X.dense_row(i) for i in range(X.n_rows)]).astype(np.float64)
    w = rng.standard_normal(len(X.vocab)).astype(dtype)
    r = rng.standard_normal(X.n_rows).astype(dtype)
    M = np.stack([X.dense_row(0), X.dense_row(4)])
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for _ in range(2):  # computed, then from the matrix kept
        assert X.dot(w).dtype == dtype and np.allclose(X.dot(w), D @ w, rtol=tol, atol=tol)
        assert np.allclose(X.tdot(r), D.T @ r, rtol=tol, atol=tol)
    assert X.mul_dense(M).shape == (X.n_rows, 2)
    assert np.allclose(X.mul_dense(M), D @ M.T, rtol=tol, atol=tol)
