"""The source registry: one declaration per source, read by merges, the worker and the CLI."""

from __future__ import annotations

import pytest

from paperfeed.config import SETTINGS
from paperfeed.records import SOURCE_PRIORITY
from paperfeed.sources.registry import SOURCES, parse_item, source_priority, spec
from paperfeed.worker.schedule import ConfigError, parse_sources


def test_priorities_come_from_the_registry() -> None:
    assert source_priority() == SOURCE_PRIORITY
    assert SOURCE_PRIORITY["hf"] < SOURCE_PRIORITY["arxiv-rss"] < SOURCE_PRIORITY["jsonl"] \
        < SOURCE_PRIORITY["arxiv-api"] == SOURCE_PRIORITY["oai-arXivRaw"]
    for s in SOURCES:  # every declared setting exists (and so is documented)
        for env in (s.url_setting, s.interval_setting):
            assert env is None or env in SETTINGS, (s.name, env)
        assert (s.fetch is not None) or s.harvest or s.name == "files"


def test_worker_grammar_is_the_registry_s() -> None:
    got = parse_sources("rss:cs.LG,cs.CL hf; oai:physics:hep-th oai")
    assert [(x.kind, x.arg) for x in got] == [("rss", ("cs.LG", "cs.CL")), ("hf", ()),
                                              ("oai", ("physics:hep-th",)), ("oai", ())]
    assert str(got[0]) == "rss:cs.LG,cs.CL"
    for bad, message in (("arxiv", "'arxiv' is not rss:CATEGORIES, hf or oai[:SET]"),
                         ("api:2501.00001", "is not rss:CATEGORIES"),  # not a worker source
                         ("hf:today", "hf takes nothing after it"),
                         ("oai:c$", "is not an OAI set"), ("rss:", "category")):
        with pytest.raises(ConfigError, match="PAPERFEED_WORKER_SOURCES: ") as e:
            parse_sources(bad)
        assert message in str(e.value), (bad, str(e.value))
    assert parse_item("HF")[0] is spec("hf")
    with pytest.raises(ValueError, match="unknown source 'nope'; known: rss, hf"):
        spec("nope")
