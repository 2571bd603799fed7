"""Zotero in and out: Zotero-style BibTeX and RIS files import into a library (matched by arXiv
id or DOI, the rest named), and the library exports as BibTeX and RIS that real parsers
(bibtexparser, rispy) read back with the same ids and titles; CLI and web upload; both backends.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import orjson
import pytest
import rispy
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from support.corpus import load_corpus

from paperfeed.accounts.references import (
    BadReferences,
    export_papers,
    import_references,
    library_ids,
    parse_bibtex,
)
from paperfeed.accounts.users import signup
from paperfeed.web.app import create_app
from paperfeed.web.settings import WebSettings

PAPERS = [
    {"id": "2601.00001", "title": "Sparse attention for long documents",
     "abstract": "Sparse attention.", "authors": ["Ada Lovelace", "Alan Turing"],
     "categories": ["cs.CL"], "date": "2026-01-05"},
    {"id": "2601.00002", "title": "Protein folding: a diffusion model", "abstract": "Folds.",
     "authors": ["Rosalind Franklin"], "categories": ["q-bio.BM"], "date": "2026-01-05",
     "doi": "10.1038/s41586-026-00001-x"},
    {"id": "2601.00003", "title": "Attention is still all you need", "abstract": "Again.",
     "authors": ["Alan Turing"], "categories": ["cs.CL"], "date": "2026-01-06"},
    {"id": "hep-th/9901001", "title": "Strings on branes", "abstract": "Old style.",
     "authors": ["Ed Witten"], "categories": ["hep-th"], "date": "1999-01-04"},
]

# what Zotero 7 writes for arXiv preprints and a journal article, plus Google Scholar's style
ZOTERO_BIB = r"""
@comment{exported by Zotero}
@misc{lovelace_sparse_2026,
	title = {Sparse attention for long documents},
	url = {http://arxiv.org/abs/2601.00001},
	doi = {10.48550/arXiv.2601.00001},
	abstract = {We study {sparse} attention, with $O(n \log n)$ cost.},
	urldate = {2026-11-30},
	publisher = {arXiv},
	author = {Lovelace, Ada and Turing, Alan},
	month = jan,
	year = {2026},
	note = {arXiv:2601.00001 [cs]},
	keywords = {Computer Science - Computation and Language},
}

@article{franklin_protein_2026,
	title = {Protein folding: a diffusion model},
	volume = {600},
	issn = {0028-0836},
	doi = {10.1038/S41586-026-00001-X},
	journal = {Nature},
	author = {Franklin, Rosalind},
	year = {2026},
	pages = {1--10},
}

@article{turing2026attention,
  title={Attention is still all you need},
  author={Turing, Alan},
  journal={arXiv preprint arXiv:2601.00003},
  year={2026}
}

@article{witten1999strings,
  title = "Strings on branes",
  eprint = "hep-th/9901001",
  archivePrefix = "arXiv",
  year = 1999
}

@book{knuth_art_1968,
	title = {The {Art} of {Computer} {Programming}},
	publisher = {Addison-Wesley},
	author = {Knuth, Donald E.},
	year = {1968},
}

@misc{nobody_missing_2026,
	title = {A paper this server has not fetched},
	url = {http://arxiv.org/abs/2602.99999},
	year = {2026},
}
"""

ZOTERO_RIS = """TY  - PREPRINT
TI  - Sparse attention for long documents
AU  - Lovelace, Ada
AU  - Turing, Alan
AB  - Sparse attention.
DA  - 2026/01/05/
PY  - 2026
DO  - 10.48550/arXiv.2601.00001
DP  - arXiv.org
PB  - arXiv
UR  - http://arxiv.org/abs/2601.00001
Y2  - 2026/11/30/12:00:00
N1  - arXiv:2601.00001 [cs]
KW  - Computer Science - Computation and Language
ER  -

TY  - JOUR
TI  - Protein folding: a diffusion model
AU  - Franklin, Rosalind
T2  - Nature
DO  - 10.1038/s41586-026-00001-x
PY  - 2026
ER  -

TY  - BOOK
TI  - The Art of Computer Programming
AU  - Knuth, Donald E.
PY  - 1968
ER  -
""".replace("ER  -\n", "ER  - \n")  # Zotero ends each record with "ER  - "


def _unbrace(s: str) -> str:
    return " ".join(re.sub(r"\\(.)", r"\1", s).replace("{", "").replace("}", "").split())


@pytest.fixture
def users(engine: Engine, tmp_path: Path) -> tuple[int, int]:
    load_corpus(engine, tmp_path, PAPERS, indexes=False)
    for email in ("ada@example.org", "bob@example.org"):
        signup(engine, email, "correct horse battery")
    with engine.connect() as conn:
        a, b = conn.execute(text("SELECT id FROM users ORDER BY email")).scalars()
    return int(a), int(b)


def test_zotero_bibtex_imports_by_arxiv_id_and_doi(engine: Engine,
                                                   users: tuple[int, int]) -> None:
    ada, _ = users
    res = import_references(engine, ada, ZOTERO_BIB, "My Library.bib", tag="reading")
    assert sorted(res.matched) == ["2601.00001", "2601.00002", "2601.00003", "hep-th/9901001"]
    assert res.unmatched == ["The Art of Computer Programming (no arXiv id or DOI)",
                             "A paper this server has not fetched (arXiv 2602.99999 is not "
                             "stored here)"]
    with engine.connect() as conn:
        assert sorted(library_ids(conn, ada, "reading")) == sorted(res.matched)
    again = import_references(engine, ada, ZOTERO_BIB, "again.bib", tag="ml")  # tags add up
    assert sorted(again.matched) == sorted(res.matched)
    with engine.connect() as conn:
        assert len(library_ids(conn, ada, "reading")) == len(library_ids(conn, ada, "ml")) == 4


def test_zotero_ris_imports_and_bad_files_say_why(engine: Engine,
                                                  users: tuple[int, int]) -> None:
    ada, _ = users
    res = import_references(engine, ada, ZOTERO_RIS, "export.ris")
    assert res.matched == ["2601.00001", "2601.00002"]
    assert res.unmatched == ["The Art of Computer Programming (no arXiv id or DOI)"]
    with pytest.raises(BadReferences, match=r"BibTeX .* or RIS"):
        import_references(engine, ada, "just some words", "notes.txt")
    with pytest.raises(BadReferences, match="no references"):
        import_references(engine, ada, "", "empty.bib")


@pytest.mark.parametrize("fmt", ["bibtex", "ris"])
def test_export_round_trips_through_real_parsers(engine: Engine, users: tuple[int, int],
                                                 fmt: str) -> None:
    ada, bob = users
    import_references(engine, ada, ZOTERO_BIB, "lib.bib")
    with engine.connect() as conn:
        ids = library_ids(conn, ada)
        body = export_papers(conn, ids, fmt)
    titles = {p["id"]: p["title"] for p in PAPERS}
    if fmt == "bibtex":
        lib = bibtexparser.parse_string(body)
        assert not lib.failed_blocks
        got = {e["eprint"]: _unbrace(e["title"]) for e in lib.entries}
    else:
        got = {}
        for e in rispy.loads(body):
            m = re.search(r"arxiv\.org/abs/(.+)$", e["urls"][0])
            assert m, e
            got[m.group(1)] = e["title"]
            assert e["doi"] and e["authors"]
    assert got == {pid: titles[pid] for pid in ids}
    back = import_references(engine, bob, body, f"export.{fmt}")  # and into another library
    assert sorted(back.matched) == sorted(ids) and back.unmatched == []


def test_bibtex_reader_handles_nesting_quotes_and_concatenation() -> None:
    refs = parse_bibtex('@article{k, title = {A {B} \\{c\\}} # " d", year = 2026, '
                        'note = "x, y"}')
    assert refs[0].title == "A B {c} d" and refs[0].fields["year"] == "2026"
    assert refs[0].fields["note"] == "x, y"


def test_cli_import_and_export(engine: Engine, users: tuple[int, int], db_url: str,
                               tmp_path: Path) -> None:
    bib = tmp_path / "zotero.bib"
    bib.write_text(ZOTERO_BIB, encoding="utf-8")
    base = [sys.executable, "-m", "paperfeed", "--db", db_url, "library"]
    r = subprocess.run([*base, "import", str(bib), "--user", "ada@example.org", "--tag", "z",
                        "--json"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert len(orjson.loads(r.stdout)["matched"]) == 4
    r = subprocess.run([*base, "export", "--user", "ada@example.org", "--tag", "z",
                        "--format", "ris"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert len(rispy.loads(r.stdout)) == 4
    r = subprocess.run([*base, "import", str(bib), "--user", "nobody@example.org"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 1 and "no account for nobody@example.org" in r.stderr


@pytest.fixture
def client(engine: Engine, users: tuple[int, int]) -> Iterator[TestClient]:
    with TestClient(create_app(engine, WebSettings("k" * 48))) as c:
        yield c


def _login(c: TestClient) -> str:
    def csrf(html: str) -> str:
        m = re.search(r'name="csrf" value="([^"]*)"', html)
        assert m
        return m.group(1)
    r = c.post("/login", data={"email": "ada@example.org", "password": "correct horse battery",
                               "csrf": csrf(c.get("/login").text)}, follow_redirects=False)
    assert r.status_code == 303
    return csrf(c.get("/library").text)


def test_web_upload_and_download(client: TestClient) -> None:
    token = _login(client)
    r = client.post("/library/import", data={"csrf": token, "tag": "zotero"},
                    files={"file": ("My Library.ris", ZOTERO_RIS.encode(), "text/plain")})
    assert r.status_code == 200 and "Saved <strong>2</strong> papers" in r.text
    assert "The Art of Computer Programming (no arXiv id or DOI)" in r.text
    bad = client.post("/library/import", data={"csrf": token},
                      files={"file": ("x.txt", b"hello", "text/plain")})
    assert bad.status_code == 422 and "Nothing was imported" in bad.text
    forged = client.post("/library/import", data={"csrf": "nope"},
                         files={"file": ("x.ris", ZOTERO_RIS.encode(), "text/plain")})
    assert forged.status_code == 403
    bib = client.get("/library/export.bib", params={"tag": "zotero"})
    assert bib.status_code == 200 and "attachment" in bib.headers["content-disposition"]
    assert sorted(e["eprint"] for e in bibtexparser.parse_string(bib.text).entries) == [
        "2601.00001", "2601.00002"]
    assert len(rispy.loads(client.get("/library/export.ris").text)) == 2
