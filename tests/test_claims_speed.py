"""The faster scans of the claim rules (issue #16) find what the plain regexes find: Folded
(re.I run on lowercased ASCII text, with its `needs` words), Needs, the digit-first number
scan, the rewritten W4A8 and sentence regexes; and bench/claims_same.py catches a change."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from paperfeed.claims import fastre, gates, normal, patterns
from paperfeed.claims import lexicon as lx
from paperfeed.claims.normalize import _PATTERN, _matches, normalize
from paperfeed.claims.numbers import TOKEN_RX, WA_RX

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"

# the regexes as they were before the speed work (the same matches are required)
OLD_TOKEN_HEAD = (r"(?=\d)(?<![\w.@/^#])(?<![A-WYZa-wyz]-)(?<![A-Za-z]\.)"
                  r"(?P<num>(?:\d{1,3}(?:,\d{3})+(?![\d,])|\d+)(?:\.\d+)?)")
OLD_WA = re.compile(r"(?<![A-Za-z0-9])W(?P<w>\d{1,2})A(?P<a>\d{1,2})(?![A-Za-z0-9])")
OLD_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])|\n\s*\n")

EXTRA = [
    "Prior work showed \u017fuffering; the KV cache \u212aeeps 4.5x. W4A8 and xW4A8, aW8A8.",
    "However, existing methods are well-known to fail.\n\nWe cut costs by 40% (vs. 60%).",
    "Costs fell 390x in one year; recent work showing that it could reach 1.58-bit.",
    "at an FMR of 0.01%, R in {2x, 4x}, alpha = 0.2, (< 20% solar), e.g. 3.5, i.e. 4.",
    "Our 1,234.5 GPU-hours, 3,000 tokens, 12 ms, 2^10, 3 x 10^4, $5 and 7\u00d7 and 8%.",
]


def _texts() -> list[str]:
    texts = list(EXTRA)
    for name in ("claims_annotated.jsonl", "claims_slice.jsonl"):
        with open(DATA / name, encoding="utf-8") as fh:
            texts += [json.loads(line)["abstract"] for line in fh]
    return texts


def _spans(it: object) -> list[tuple[tuple[tuple[int, int], ...], str | None]]:
    """Where each match and each of its groups is (a Folded match's text is lowercased)."""
    return [(m.regs, m.lastgroup) for m in it]  # type: ignore[attr-defined]


def _folded() -> list[tuple[str, fastre.Folded | fastre.Needs]]:
    out = []
    for mod in (lx, gates, normal, patterns):
        for name, v in vars(mod).items():
            if isinstance(v, fastre.Folded | fastre.Needs):
                out.append((f"{mod.__name__}.{name}", v))
    return out


def test_there_are_folded_regexes_with_needs() -> None:
    found = _folded()
    assert len(found) > 20
    assert any(isinstance(f, fastre.Folded) and f.needs for _, f in found)
    assert any(isinstance(f, fastre.Needs) for _, f in found)


@pytest.mark.parametrize("name, rx", _folded())
def test_folded_regexes_match_like_re_ignorecase(name: str, rx: object) -> None:
    plain = (re.compile(rx.pattern, re.I) if isinstance(rx, fastre.Folded)  # type: ignore[attr-defined]
             else re.compile(rx.pattern))  # type: ignore[attr-defined]
    for text in _texts():
        for s in [text, *re.split(r"(?<=[.;])\s+", text)]:
            assert _spans(rx.finditer(s)) == _spans(plain.finditer(s)), (name, s)  # type: ignore[attr-defined]
            got, want = rx.search(s, 3), plain.search(s, 3)  # type: ignore[attr-defined]
            assert (got and got.span()) == (want and want.span()), (name, s)
            if isinstance(rx, fastre.Folded):
                got, want = rx.match(s), plain.match(s)
                assert (got and got.span()) == (want and want.span()), (name, s)


def test_number_wa_and_sentence_scans_find_what_the_old_regexes_found() -> None:
    old_token = re.compile(OLD_TOKEN_HEAD + TOKEN_RX.pattern[TOKEN_RX.pattern.index(
        r"(?:\^\s*\(?(?P<pow>"):])
    for text in _texts():
        flat = normalize(text).text
        assert _spans(TOKEN_RX.finditer(flat)) == _spans(old_token.finditer(flat))
        assert _spans(WA_RX.finditer(flat)) == _spans(OLD_WA.finditer(flat))
        assert _spans(patterns.SENT_RX.finditer(flat)) == _spans(OLD_SENT.finditer(flat))
        assert _spans(_matches(text)) == _spans(_PATTERN.finditer(text))


def test_a_folded_match_of_non_ascii_text_uses_the_original() -> None:
    bg = lx.BACKGROUND_RX
    assert bg.search("Methods \u017fuffer from it") is not None   # long s: re.I says "suffer"
    assert bg.search("Methods suffer from it") is not None
    assert bg.search("Methods work well") is None


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "bench" / "claims_same.py"), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_claims_same_passes_unchanged_output_and_catches_a_change(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl.gz"
    with open(DATA / "claims_slice.jsonl", encoding="utf-8") as src, \
            gzip.open(corpus, "wt", encoding="utf-8") as dst:
        for line in src:
            r = json.loads(line)
            dst.write(json.dumps({"id": r["id"], "abstract": r["abstract"]}) + "\n")
    rec = tmp_path / "rec.jsonl.gz"
    assert _run("--write", str(rec), "--corpus", str(corpus)).returncode == 0
    ok = _run("--check", str(rec), "--corpus", str(corpus))
    assert ok.returncode == 0 and "0 of 30 abstracts differ" in ok.stdout
    with gzip.open(rec, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    changed = next(r for r in rows if r["claims"])
    changed["claims"][0]["value"] += 1
    with gzip.open(rec, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in rows)
    bad = _run("--check", str(rec), "--corpus", str(corpus))
    assert bad.returncode == 1 and "1 of 30 abstracts differ" in bad.stdout
