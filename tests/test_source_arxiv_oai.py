"""arXiv OAI-PMH harvesting against recorded real replies, served by a real loopback server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lxml import etree
from support.fixture_server import FixtureServer, Reply

from paperfeed.sources.arxiv_oai import (
    OAIError,
    OAIHarvester,
    OAIParseError,
    next_from_date,
    parse_arxiv_record,
    parse_arxivraw_record,
    parse_get_record,
    parse_list_records,
    split_authors,
)
from paperfeed.sources.http import PoliteClient, SourceError

FIX = Path(__file__).parent / "fixtures" / "oai-pmh"
XML = {"Content-Type": "text/xml; charset=utf-8"}


def fixture(name: str) -> bytes:
    """A recorded reply, e.g. 'arXivRaw/ListRecordsResponse.xml'."""
    return (FIX / name).read_bytes()


def xml_reply(name: str) -> Reply:
    return Reply(200, fixture(name), XML)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> Iterator[PoliteClient]:
    def sleep(seconds: float) -> None:  # records what the client waited, and really waits
        sleeps.append(seconds)
        time.sleep(seconds)

    with PoliteClient(min_interval=0.05, max_retries=2, backoff=0.01, sleep=sleep) as c:
        yield c


def serve(route: Callable[[str, dict[str, str]], Reply]) -> FixtureServer:
    return FixtureServer(route)


# --- parsing: arXivRaw ---


def test_arxivraw_list_records_page() -> None:
    page = parse_list_records(fixture("arXivRaw/ListRecordsResponse.xml"))
    assert [r.id for r in page.records] == [
        "0704.0471", "0704.0716", "0704.0874", "0704.1109", "0704.1114", "0704.1586"]
    assert page.errors == [] and page.deleted_ids == []
    assert page.resumption_token == "726959|1001"
    assert (page.cursor, page.complete_list_size) == (0, 58011)
    assert page.max_datestamp == "2014-12-22"  # 0704.0716's header; the others are 2014-11-*
    assert page.response_date == "2015-01-06T20:49:59Z"
    assert all(r.source == "oai-arXivRaw" for r in page.records)


def test_arxivraw_fields() -> None:
    page = parse_list_records(fixture("arXivRaw/ListRecordsResponse.xml"))
    recs = {r.id: r for r in page.records}
    r = recs["0704.0716"]
    assert r.versions == [
        {"version": 1, "date": "2007-04-05"},  # Thu, 5 Apr 2007 12:45:03 GMT
        {"version": 2, "date": "2007-09-28"},
        {"version": 3, "date": "2008-02-29"},
        {"version": 4, "date": "2008-11-14"},
    ]
    assert (r.submitted, r.updated, r.version) == ("2007-04-05", "2008-11-14", 4)
    assert r.authors == ["Christoph Richard"]
    assert r.categories == ["math-ph", "math.MP"]
    assert r.journal_ref is not None and r.journal_ref.startswith("Polygons, polyominoes")
    assert r.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert r.raw["submitter"] == "Christoph Richard" and r.raw["msc_class"] == "05A15, 05A16"
    assert r.links["abs"] == "https://arxiv.org/abs/0704.0716"

    r = recs["0704.0471"]
    # Oxford comma in the real author string: "D.V. Shetty, S.J. Yennello, and G.A. Souliotis".
    assert r.authors == ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]
    assert r.title == ("Density dependence of the symmetry energy and the nuclear equation of "
                       "state: A Dynamical and Statistical model perspective")
    assert '"stiff"' not in r.abstract and '" stiff "' in r.abstract  # &quot; decoded
    # Two DOIs in one field: the first is the record's, all are kept as provenance.
    assert r.doi == "10.1103/PhysRevC.76.024606"
    assert r.raw["dois"] == ["10.1103/PhysRevC.76.024606", "10.1103/PhysRevC.76.039902"]
    assert r.license is None and r.comment == "16 pages, 14 figures"
    assert (r.submitted, r.updated, r.version) == ("2007-04-03", "2007-04-03", 1)

    assert recs["0704.1109"].authors == ["Valeria M. Rosa", "Patricio S. letelier"]
    assert recs["0704.1586"].authors == ["N.C. Summers", "F.M. Nunes"]


def test_arxivraw_get_record_parses_record_element() -> None:
    root = etree.fromstring(fixture("arXivRaw/GetRecordResponse.xml"))
    rec_el = root.find(".//{http://www.openarchives.org/OAI/2.0/}record")
    r = parse_arxivraw_record(rec_el)
    assert r.id == "1302.2146"
    assert r.title == "The Same-Sign Dilepton Signature of RPV/MFV SUSY"
    assert r.authors == ["Joshua Berger", "Maxim Perelstein", "Michael Saelim", "Philip Tanedo"]
    assert r.versions == [{"version": 1, "date": "2013-02-08"},
                          {"version": 2, "date": "2013-04-02"}]
    assert r.raw["sets"] == ["physics:hep-ex", "physics:hep-ph"]
    assert r.categories == ["hep-ph", "hep-ex"]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("D.V. Shetty, S.J. Yennello, and G.A. Souliotis",
         ["D.V. Shetty", "S.J. Yennello", "G.A. Souliotis"]),
        ("Valeria M. Rosa and Patricio S. letelier", ["Valeria M. Rosa", "Patricio S. letelier"]),
        # arXiv's numbered-affiliation style, nested parentheses.
        ("Hanno Rein (1), Daniel Tamayo (2) ((1) University of Toronto, (2) Princeton)",
         ["Hanno Rein", "Daniel Tamayo"]),
        # Affiliations with commas and " and " inside parentheses must not split names.
        ("A. Smith (Dept. of Physics and Astronomy, MIT), B. Jones, Jr. (Stanford) & C. Lee",
         ["A. Smith", "B. Jones Jr.", "C. Lee"]),
        ("Andrew Anderson and Sandy Andrews, et al.", ["Andrew Anderson", "Sandy Andrews"]),
        ("X. Yu (Univ. A; unclosed", ["X. Yu"]),
        ("", []),
    ],
)
def test_split_authors(text: str, names: list[str]) -> None:
    assert split_authors(text) == names


# --- parsing: arXiv ---


def test_arxiv_list_records_page() -> None:
    page = parse_list_records(fixture("arXiv/arxiv-physics-hep-ex.xml"))
    assert page.resumption_token is None and page.errors == []
    recs = {r.id: r for r in page.records}
    assert list(recs) == ["1706.05371", "1706.09418", "1707.00874"]
    r = recs["1706.05371"]
    assert r.source == "oai-arXiv"
    assert (r.submitted, r.updated) == ("2017-06-16", "2017-12-12")
    assert r.authors is not None and len(r.authors) == 13
    assert r.authors[:2] == ["Tyler Anderson", "Jacob Cutter"] and r.authors[-1] == "Mani Tripathi"
    assert r.categories == ["physics.ins-det", "hep-ex"]  # primary first, as arXiv lists them
    assert r.title == ("Evaluation of Silicon Photomultipliers for use as Photosensors in Liquid "
                       "Xenon Detectors")
    assert r.comment == "10 pages, 9 figures"
    r = recs["1706.09418"]
    assert r.authors is not None and "Manuel E. Krauss" in r.authors
    assert r.journal_ref == "Eur. Phys. J. C (2017) 77:856"
    assert r.doi == "10.1140/epjc/s10052-017-5414-4"
    assert r.raw["report_no"] == "BONN-TH-2017-03"
    assert page.max_datestamp == "2017-12-14"


def test_arxiv_get_record_fields() -> None:
    r = parse_get_record(fixture("arXiv/arxiv-single.xml"))
    assert r is not None and r.id == "1401.2122"
    assert r.authors == ["A. Sergyeyev"]
    assert r.categories == ["math.AP", "hep-th", "math-ph", "math.DG", "math.MP", "nlin.SI"]
    assert (r.submitted, r.updated) == ("2014-01-09", "2017-10-23")
    assert r.journal_ref == "Lett. Math. Phys. 108 (2018), no. 2, 359-376"
    assert r.doi == "10.1007/s11005-017-1013-4"
    assert r.raw["msc_class"] == "37K05 37K10 53D10"
    assert r.abstract.startswith("We introduce a novel systematic construction")


def test_arxiv_author_suffix_and_placeholder() -> None:
    r = parse_get_record(fixture("arXiv/sample_arxiv_record4.xml"))
    assert r is not None and r.authors is not None
    assert r.authors[:3] == ["Keck Array", "BICEP2 Collaborations", "P. Ade"]  # ':' dropped
    assert "R. W. IV" in r.authors  # <keyname>W.</keyname><forenames>R.</forenames><suffix>IV
    assert ":" not in r.authors
    assert r.updated is None  # no <updated>: only one version known


def test_arxiv_element_without_namespace() -> None:
    # This recorded reply's <arXiv> has no xmlns, so it is in the OAI-PMH namespace.
    r = parse_get_record(fixture("arXiv/sample_arxiv_record0.xml"))
    assert r is not None and r.id == "1601.03238"
    assert r.authors is not None and r.authors[0] == "Planck Collaboration"  # keyname only
    assert r.doi == "10.1103/PhysRevD.93.016005"
    assert r.raw["dois"][1:] == ["10.1103/PhysRevD.98.079901", "10.1103/PhysRevD.98.079903"]
    assert r.license == "https://creativecommons.org/licenses/by/3.0/"
    # And the bare element works too.
    md = etree.fromstring(fixture("arXiv/sample_arxiv_record0.xml")).find(".//{*}arXiv")
    assert parse_arxiv_record(md).id == "1601.03238"


# --- page-level behaviour ---

DELETED_PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2024-05-02T10:00:00Z</responseDate>
<request verb="ListRecords" metadataPrefix="arXiv">https://oaipmh.arxiv.org/oai</request>
<ListRecords>
<record><header status="deleted"><identifier>oai:arXiv.org:2403.01234</identifier>
<datestamp>2024-05-01</datestamp><setSpec>cs</setSpec></header></record>
<record><header status="deleted"><identifier>oai:arXiv.org:hep-th/9901001</identifier>
<datestamp>2024-04-30</datestamp></header></record>
<resumptionToken cursor="0" completeListSize="2"/>
</ListRecords>
</OAI-PMH>"""


def test_deleted_records_are_reported_not_yielded() -> None:
    # Synthetic (no deletion was recorded), in the OAI-PMH 2.0 shape.
    page = parse_list_records(DELETED_PAGE)
    assert page.records == [] and page.errors == []
    assert page.deleted_ids == ["2403.01234", "hep-th/9901001"]
    assert page.max_datestamp == "2024-05-01"
    assert page.resumption_token is None  # empty token: the list is complete
    assert page.complete_list_size == 2


def test_bad_record_is_an_error_entry_not_a_failed_page() -> None:
    body = fixture("arXivRaw/ListRecordsResponse.xml").replace(
        b"<title>Limit distributions and scaling functions</title>", b"<title> </title>"
    ).replace(b"<date>Fri, 6 Apr 2007 11:07:01 GMT</date>", b"<date>sometime in April</date>")
    page = parse_list_records(body)
    assert [r.id for r in page.records] == ["0704.0471", "0704.1109", "0704.1114", "0704.1586"]
    assert [e.identifier for e in page.errors] == ["oai:arXiv.org:0704.0716",
                                                   "oai:arXiv.org:0704.0874"]
    assert "title" in page.errors[0].error
    assert "sometime in April" in page.errors[1].error
    assert page.resumption_token == "726959|1001"


def test_no_records_match_is_an_empty_page() -> None:
    page = parse_list_records(fixture("arXivRaw/ErrorResponseNoRecordsMatch.xml"))
    assert page.records == [] and page.resumption_token is None and page.errors == []


def test_other_oai_errors_raise() -> None:
    with pytest.raises(OAIError) as e:
        parse_list_records(fixture("arXivRaw/ErrorResponseBadArgument.xml"))
    assert e.value.code == "badArgument"
    assert "illegal argument 'identifier'" in e.value.message


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<OAI-PMH><ListRecords><record>", "malformed OAI-PMH XML"),
        (b"", "empty reply"),
        (b"<html><body>Service Unavailable</body></html>", "not an OAI-PMH reply"),
        (b'<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"/>', "neither <ListRecords>"),
    ],
)
def test_malformed_xml_is_a_clear_error(body: bytes, words: str) -> None:
    with pytest.raises(OAIParseError, match=words):
        parse_list_records(body)


# --- the harvester over HTTP ---


def test_paging_with_resumption_token(client: PoliteClient) -> None:
    # Page 2 is the recorded hep-ex page, given the empty token arXiv puts on a last page.
    last = fixture("arXiv/arxiv-physics-hep-ex.xml").replace(
        b"</ListRecords>",
        b'<resumptionToken cursor="1001" completeListSize="58011"/></ListRecords>',
    )

    def route(path: str, q: dict[str, str]) -> Reply:
        if "resumptionToken" in q:
            return Reply(200, last, XML)
        return xml_reply("arXivRaw/ListRecordsResponse.xml")

    with serve(route) as srv:
        h = OAIHarvester(client, base_url=f"{srv.url}/oai")
        pages = list(h.list_records(prefix="arXivRaw", set_="physics", from_="2014-10-01",
                                    until="2014-12-31"))
    assert [len(p.records) for p in pages] == [6, 3]
    assert pages[0].resumption_token == "726959|1001" and pages[1].resumption_token is None
    assert pages[1].cursor == 1001
    assert [r.path for r in srv.requests] == ["/oai", "/oai"]
    assert srv.requests[0].query == {"verb": "ListRecords", "metadataPrefix": "arXivRaw",
                                     "set": "physics", "from": "2014-10-01", "until": "2014-12-31"}
    # OAI-PMH: a resumptionToken request carries the verb and the token only.
    assert srv.requests[1].query == {"verb": "ListRecords", "resumptionToken": "726959|1001"}
    assert h.max_datestamp == "2017-12-14"


def test_resume_from_checkpointed_token(client: PoliteClient) -> None:
    with serve(lambda p, q: xml_reply("arXiv/arxiv-physics-hep-ex.xml")) as srv:
        h = OAIHarvester(client, base_url=srv.url)
        pages = list(h.list_records(resumption_token="726959|1001"))
    assert len(pages) == 1 and len(pages[0].records) == 3
    assert srv.requests[0].query == {"verb": "ListRecords", "resumptionToken": "726959|1001"}


def test_no_records_match_over_http_is_nothing_new(client: PoliteClient) -> None:
    with serve(lambda p, q: xml_reply("arXivRaw/ErrorResponseNoRecordsMatch.xml")) as srv:
        pages = list(OAIHarvester(client, srv.url).list_records(set_="cs", from_="2030-01-01"))
    assert len(pages) == 1 and pages[0].records == [] and pages[0].max_datestamp is None
    assert len(srv.requests) == 1


def test_bad_resumption_token_says_it_expired(client: PoliteClient) -> None:
    reply = xml_reply("arXivRaw/ErrorResponseBadResumptionToken.xml")
    with serve(lambda p, q: reply) as srv, pytest.raises(OAIError) as e:
        list(OAIHarvester(client, srv.url).list_records(resumption_token="3"))
    assert e.value.code == "badResumptionToken"
    text = str(e.value)
    assert "'3'" in text and "expire" in text and "watermark" in text


def test_503_retry_after_is_honoured(client: PoliteClient, sleeps: list[float]) -> None:
    calls: list[int] = []

    def route(path: str, q: dict[str, str]) -> Reply:
        calls.append(1)
        if len(calls) == 1:
            return Reply(503, "Retry after 1 second", {"Retry-After": "1"})
        return xml_reply("arXiv/arxiv-physics-hep-ex.xml")

    with serve(route) as srv:
        pages = list(OAIHarvester(client, srv.url).list_records())
    assert len(pages[0].records) == 3
    assert 1.0 in sleeps
    assert srv.requests[1].at - srv.requests[0].at >= 0.95  # the server saw the client wait


def test_500_past_max_retries_is_source_error(client: PoliteClient) -> None:
    with serve(lambda p, q: Reply(500, "boom")) as srv, pytest.raises(
        SourceError, match="giving up after 3 attempts"
    ):
        list(OAIHarvester(client, srv.url).list_records())
    assert len(srv.requests) == 3  # first try + max_retries=2


def test_html_error_page_is_a_clear_error(client: PoliteClient) -> None:
    with serve(lambda p, q: Reply(404, "<html>Not Found</html>")) as srv, pytest.raises(
        SourceError, match="HTTP 404"
    ):
        list(OAIHarvester(client, srv.url).list_records())
    html = Reply(200, "<html><body>maintenance</body></html>")
    with serve(lambda p, q: html) as srv, pytest.raises(
        OAIParseError, match=r"127\.0\.0\.1.*not an OAI-PMH reply"
    ):
        list(OAIHarvester(client, srv.url).list_records())


def test_rate_limit_and_one_connection(client: PoliteClient) -> None:
    served: list[int] = []

    def route(path: str, q: dict[str, str]) -> Reply:
        served.append(1)
        time.sleep(0.01)  # hold the connection a moment, so overlap would show
        if len(served) < 4:
            body = fixture("arXivRaw/ListRecordsResponse.xml").replace(
                b"726959|1001", f"tok{len(served)}".encode())
            return Reply(200, body, XML)
        return xml_reply("arXiv/arxiv-physics-hep-ex.xml")

    with serve(route) as srv:
        pages = list(OAIHarvester(client, srv.url).list_records(prefix="arXivRaw"))
    assert len(pages) == 4
    assert [r.query.get("resumptionToken") for r in srv.requests] == [None, "tok1", "tok2", "tok3"]
    gaps = [b.at - a.at for a, b in zip(srv.requests, srv.requests[1:], strict=False)]
    # min_interval=0.05: arrival times at the server jitter by a few ms on a loaded machine, so
    # check the span (which jitter cannot shrink much) and that no two requests came together.
    assert srv.requests[-1].at - srv.requests[0].at >= 3 * 0.05 - 0.03, gaps
    assert min(gaps) >= 0.025, gaps
    assert srv.max_active == 1


def test_get_record_and_id_does_not_exist(client: PoliteClient) -> None:
    def route(path: str, q: dict[str, str]) -> Reply:
        if q.get("identifier") == "oai:arXiv.org:1302.2146":
            return xml_reply("arXivRaw/GetRecordResponse.xml")
        return xml_reply("arXivRaw/ErrorResponseIdDoesNotExist.xml")

    with serve(route) as srv:
        h = OAIHarvester(client, srv.url)
        rec = h.get_record("arXiv:1302.2146v2", "arXivRaw")
        missing = h.get_record("0813.2274", "arXivRaw")
    assert rec is not None and rec.id == "1302.2146" and rec.version == 2
    assert missing is None
    assert srv.requests[0].query == {"verb": "GetRecord", "identifier": "oai:arXiv.org:1302.2146",
                                     "metadataPrefix": "arXivRaw"}


# --- validation and watermarks ---


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"prefix": "oai_dc"}, "metadataPrefix 'oai_dc' is not supported"),
        ({"from_": "2024-1-5"}, "from: '2024-1-5' is not a date; expected YYYY-MM-DD"),
        ({"until": "2024-02-30"}, "until: '2024-02-30' is not a date"),
        ({"from_": "2024-03-02", "until": "2024-03-01"}, "is after until"),
        ({"set_": "cs AI"}, "is not a set spec"),
    ],
)
def test_bad_arguments_fail_before_any_request(kwargs: dict[str, str], words: str) -> None:
    with serve(lambda p, q: Reply(500)) as srv, PoliteClient(0.0) as c:
        with pytest.raises(ValueError, match=words):
            next(OAIHarvester(c, srv.url).list_records(**kwargs))
        with pytest.raises(ValueError, match="not supported"):
            OAIHarvester(c, srv.url).get_record("1302.2146", "oai_dc")
    assert srv.requests == []


def test_next_from_date() -> None:
    assert next_from_date(None) is None
    assert next_from_date("2024-03-01") == "2024-02-29"  # one day of overlap, leap year
    assert next_from_date("2024-03-01", overlap_days=0) == "2024-03-01"
    assert next_from_date("2024-01-01T12:30:00Z", overlap_days=3) == "2023-12-29"
    with pytest.raises(ValueError, match="not a date"):
        next_from_date("yesterday")
    with pytest.raises(ValueError, match="overlap_days"):
        next_from_date("2024-03-01", overlap_days=-1)
