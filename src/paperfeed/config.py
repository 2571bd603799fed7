"""Settings, all from the environment: one documented table (`paperfeed config` prints it)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    env: str
    default: str | None
    help: str
    secret: bool = False

    def get(self) -> str | None:
        return os.environ.get(self.env) or self.default


SETTINGS: dict[str, Setting] = {s.env: s for s in (
    Setting("PAPERFEED_DATABASE_URL", None,
            "SQLite file path or postgresql:// URL (default: a file in the user data dir)",
            secret=True),
    Setting("PAPERFEED_INDEX_DIR", None,
            "folder for derived search indexes (default: beside the SQLite file, or the cache)"),
    Setting("PAPERFEED_ARXIV_OAI_URL", "https://oaipmh.arxiv.org/oai", "arXiv OAI-PMH endpoint"),
    Setting("PAPERFEED_ARXIV_API_URL", "https://export.arxiv.org/api/query", "arXiv API endpoint"),
    Setting("PAPERFEED_ARXIV_RSS_URL", "https://rss.arxiv.org", "arXiv announcement feeds"),
    Setting("PAPERFEED_HF_URL", "https://huggingface.co", "Hugging Face (Daily Papers API)"),
    Setting("PAPERFEED_ARXIV_MIN_INTERVAL", "3",
            "seconds between arXiv requests, shared by every process on the database "
            "(arXiv's terms: at least 3)"),
    Setting("PAPERFEED_HF_MIN_INTERVAL", "0.5", "seconds between Hugging Face requests"),
    Setting("PAPERFEED_EMBED_MODEL", "minilm",
            "embedding model: minilm (packaged all-MiniLM-L6-v2) or st:<model name>"),
    Setting("PAPERFEED_EMBED_RUNTIME", "onnx",
            "runtime of the default model: onnx (int8, fast) or torch (sentence-transformers)"),
    Setting("PAPERFEED_EMBED_THREADS", None, "threads for embedding (default: all cores)"),
    Setting("PAPERFEED_SECRET_KEY", None,
            "signs sessions and links; unset: a random key kept in the user data dir",
            secret=True),
    Setting("PAPERFEED_BASE_URL", None, "public address of the web app, for links and feeds"),
    Setting("PAPERFEED_MODEL_DIR", None,
            "where the exported ONNX model is cached (default: the user cache dir)"),
)}


def setting(env: str) -> str | None:
    """The value of a documented setting (unknown names are a programming error)."""
    return SETTINGS[env].get()


def float_setting(env: str) -> float:
    raw = setting(env)
    try:
        return float(raw or "")
    except ValueError:
        raise ValueError(f"{env}={raw!r} is not a number of seconds") from None
