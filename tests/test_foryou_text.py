"""For-you's fast analysis (foryou_words) gives exactly the lexical index's terms (EN)."""

from __future__ import annotations

import itertools
from collections import Counter

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
