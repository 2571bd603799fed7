"""For-you's classifiers: both losses learn what the positives share; float32 = float64."""

from __future__ import annotations

import numpy as np
import pytest

from paperfeed.rank import foryou_model as fm
from paperfeed.rank import foryou_text as ft

PAPERS = ([("Kv cache compression", "We compress the kv cache of long context decoding.")] * 3
          + [("Protein folding", "Structure prediction of proteins with diffusion.")] * 20
          + [("Galaxy surveys", "Photometric redshift of galaxies in wide surveys.")] * 20)


@pytest.mark.parametrize("loss", ["logistic", "hinge2"])
def test_the_classifier_scores_the_positives_subject_first(loss: str) -> None:
    X = ft.tfidf(ft.analyse(PAPERS), None)
    train = np.r_[0, 1, np.arange(3, len(PAPERS))]  # the third kv paper is held out
    y = np.r_[np.ones(2), np.zeros(len(train) - 2)]
    wt, _, b = fm.logistic(fm._subset(X, train), None, y, loss=loss)
    s = X.dot(wt) + b
    assert s[2] > s[3:].max()
    assert wt[list(X.vocab).index("kv")] > 0 > wt[list(X.vocab).index("galaxi")]


def test_a_float32_fit_ranks_as_a_float64_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(300)]
    papers = [(" ".join(rng.choice(words, 4)), " ".join(rng.choice(words, 60)))
              for _ in range(400)]
    X = ft.tfidf(ft.analyse(papers), None, min_df_local=2)
    y = (np.arange(400) < 12).astype(float)
    got = {}
    for dt in (np.float64, np.float32):
        monkeypatch.setattr(fm, "FIT_DTYPE", dt)
        wt, _, b = fm.logistic(X, None, y)
        got[dt] = X.dot(wt) + b
    assert np.abs(got[np.float64] - got[np.float32]).max() < 1e-4 * got[np.float64].std()
    assert (np.argsort(-got[np.float64])[:50] == np.argsort(-got[np.float32])[:50]).all()


def test_the_blend_follows_the_number_of_positives(monkeypatch: pytest.MonkeyPatch) -> None:
    few, many = {"lex_centroid": 1.0}, {"clf_all": 1.0}
    monkeypatch.setattr(fm, "SIZE_WEIGHTS", ((1, few),))
    monkeypatch.setattr(fm, "WEIGHTS", many)
    assert fm.weights_for(1) is few and fm.weights_for(2) is many
    X = ft.tfidf(ft.analyse(PAPERS), None)
    rows = np.arange(len(PAPERS))
    cand = rows[3:]
    E = np.random.default_rng(3).standard_normal((len(PAPERS), 8)).astype(np.float32)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    has = np.ones(len(PAPERS), bool)
    one = fm.score(X, E, has, rows[:1], rows[:0], rows[1:3], cand)
    two = fm.score(X, E, has, rows[:2], rows[:0], rows[2:3], cand)
    assert "clf_all" not in one.parts and np.allclose(one.total, fm._z(one.parts["lex_centroid"]))
    assert "clf_all" in two.parts and np.allclose(two.total, fm._z(two.parts["clf_all"]))
    # without vectors: the words-only blend, whatever the size
    words = fm.score(X, None, np.zeros(len(PAPERS), bool), rows[:2], rows[:0], rows[2:3], cand)
    assert "clf" in words.parts and np.allclose(words.total, fm.blend(words.parts, fm.WORDS_ONLY))


def test_the_fits_run_numpy_blas_on_one_thread() -> None:
    # OpenBLAS's threads spin on a busy machine: after a fit this process uses one
    from threadpoolctl import threadpool_info

    X = ft.tfidf(ft.analyse(PAPERS), None)
    rows = np.arange(len(PAPERS))
    fm.score(X, None, np.zeros(len(PAPERS), bool), rows[:2], rows[:0], rows[2:3], rows[3:])
    blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
    assert blas and all(i["num_threads"] == 1 for i in blas)
