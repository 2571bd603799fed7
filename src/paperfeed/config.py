"""Settings, all from the environment: one documented table (`paperfeed config` prints it)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs


def choice(*options: str) -> Callable[[str], str]:
    """A parser accepting one of `options` (case-insensitive)."""
    def parse(raw: str) -> str:
        v = raw.strip().lower()
        if v not in options:
            raise ValueError(f"use {', '.join(options)}")
        return v
    parse.__name__ = "one of " + "|".join(options)
    return parse


def number(raw: str) -> float:
    """A number (of seconds, minutes...), never negative."""
    v = float(raw)
    if v < 0 or v != v:
        raise ValueError("must be a number >= 0")
    return v


def count(raw: str) -> int:
    """A whole number >= 0 ("8", also "8.0")."""
    v = float(raw)
    if v < 0 or v != int(v):
        raise ValueError("must be a whole number >= 0")
    return int(v)


@dataclass(frozen=True)
class Setting:
    env: str
    default: str | None  # as documented in docs/configuration.md (None: computed, see help)
    help: str
    secret: bool = False
    parse: Callable[[str], Any] = str  # raw text -> typed value (ValueError: not valid)

    def get(self) -> str | None:
        return os.environ.get(self.env) or self.default

    def value(self) -> Any:
        """The typed value (None when unset without a default); a bad value is a
        SettingsError naming the variable."""
        raw = self.get()
        if raw is None:
            return None
        try:
            return self.parse(raw)
        except ValueError as e:
            raise SettingsError(f"{self.env}={raw!r} is not valid: {e}") from None


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
            "(arXiv's terms: at least 3)", parse=number),
    Setting("PAPERFEED_HF_MIN_INTERVAL", "0.5", "seconds between Hugging Face requests",
            parse=number),
    Setting("PAPERFEED_EMBED_MODEL", "minilm",
            "embedding model: minilm (packaged all-MiniLM-L6-v2) or st:<model name>"),
    Setting("PAPERFEED_EMBED_RUNTIME", "onnx",
            "runtime of the default model: onnx (int8, fast) or torch (sentence-transformers)",
            parse=choice("onnx", "torch")),
    Setting("PAPERFEED_EMBED_THREADS", None, "threads for embedding (default: all cores)",
            parse=count),
    Setting("PAPERFEED_EMBED_DEVICE", "cpu",
            "device of the torch runtime and st: models: cpu, or cuda for a GPU (needs a CUDA "
            "build of torch)"),
    Setting("PAPERFEED_SECRET_KEY", None,
            "signs sessions and links; unset: a random key kept in the user data dir",
            secret=True),
    Setting("PAPERFEED_BASE_URL", None, "public address of the web app, for links and feeds"),
    Setting("PAPERFEED_MODEL_DIR", None,
            "a folder with your own ONNX export of the default model; unset: the one shipped "
            "with paperfeed"),
    Setting("PAPERFEED_WORKER_SCHEDULE", "fetch=every 1h; index=every 10m; digest=every 15m",
            "when `paperfeed worker` runs each job (UTC), e.g. "
            "'fetch=every 30m; index=every 10m; digest=daily 03:00 weekdays'"),
    Setting("PAPERFEED_WORKER_SOURCES", None,
            "what the worker's fetch job reads, e.g. 'rss:cs.LG,cs.CL hf oai:cs' (unset: nothing)"),
    Setting("PAPERFEED_WORKER_LEASE", "300",
            "seconds without a heartbeat after which another worker takes a running job over",
            parse=number),
    Setting("PAPERFEED_SMTP_HOST", "localhost", "SMTP server for digest and confirmation email"),
    Setting("PAPERFEED_SMTP_PORT", None,
            "SMTP port (default: 587 for starttls, 465 for ssl, 25 for none)", parse=count),
    Setting("PAPERFEED_SMTP_SECURITY", "starttls",
            "SMTP connection security: starttls, ssl or none",
            parse=choice("starttls", "ssl", "none")),
    Setting("PAPERFEED_SMTP_USER", None, "SMTP login (unset: no authentication)"),
    Setting("PAPERFEED_SMTP_PASSWORD", None, "SMTP password", secret=True),
    Setting("PAPERFEED_SMTP_FROM", "paperfeed <paperfeed@localhost>",
            "From: address of digest email"),
    Setting("PAPERFEED_SMTP_TIMEOUT", "30", "seconds before an SMTP connection or reply times out",
            parse=number),
    Setting("PAPERFEED_DIGEST_DELAY_MINUTES", "90",
            "minutes after arXiv's 20:00 US Eastern announcement before daily digests are due",
            parse=number),
    Setting("PAPERFEED_DIGEST_RETRY_SECONDS", "300",
            "first retry delay of a failed send; doubles with every attempt (capped at 6 h)",
            parse=count),
    Setting("PAPERFEED_DIGEST_MAX_ATTEMPTS", "8",
            "attempts before a temporarily failing email is given up (state failed)",
            parse=count),
    Setting("PAPERFEED_DIGEST_MAX_PERMANENT", "2",
            "attempts before an email the server rejects permanently (5xx) is given up",
            parse=count),
    Setting("PAPERFEED_DIGEST_LEASE_SECONDS", "600",
            "how long a sender holds an email it is sending before another may take it over",
            parse=count),
    Setting("PAPERFEED_DIGEST_ON_UNCERTAIN", "review",
            "an email whose delivery is unknown after a crash: review (hold it) or resend "
            "(same Message-ID)", parse=choice("review", "resend")),
    Setting("PAPERFEED_TRUSTED_PROXIES", None,
            "reverse proxies (addresses or networks, e.g. '127.0.0.1 10.0.0.0/8') whose "
            "X-Forwarded-For names the client; unset: the header is ignored"),
    # issue #14: availability and limits (docs/security.md, "Availability and limits")
    Setting("PAPERFEED_WRITE_LOCK_WAIT", "60",
            "seconds a writer (import, fetch, worker) waits for the writers' lock before it "
            "gives up with a clear error", parse=number),
    Setting("PAPERFEED_WEB_WRITE_WAIT", "5",
            "seconds a web write (vote, save, sign-in) waits for the writers' lock before it "
            "answers 503 with Retry-After", parse=number),
    Setting("PAPERFEED_IDLE_TX_TIMEOUT", "120",
            "PostgreSQL: a writer's session idle inside its transaction this many seconds is "
            "ended by the server, which frees the writers' lock", parse=number),
    Setting("PAPERFEED_REQUEST_BUDGET", "20",
            "seconds a web request may take before it answers 503 (the work is abandoned)",
            parse=number),
    Setting("PAPERFEED_HTTP_TIMEOUT", "30",
            "seconds before a source (arXiv, Hugging Face) connection or reply times out",
            parse=number),
    Setting("PAPERFEED_HTTP_RETRIES", "4",
            "retries of a failed source request (with backoff) before a fetch gives up",
            parse=count),
    # issue #12
    Setting("PAPERFEED_EMBED_PASSAGES", "off",
            "whole abstracts on the semantic side: off (first 256 tokens), mean or max "
            "(windows of 180 words embedded and pooled; a new model id, so papers re-embed)"),
)}


def setting(env: str) -> str | None:
    """The value of a documented setting (unknown names are a programming error)."""
    return SETTINGS[env].get()


def typed_setting(env: str) -> Any:
    """The typed value of a setting (its parser and default are in SETTINGS)."""
    return SETTINGS[env].value()


def float_setting(env: str) -> float:
    v = typed_setting(env)
    if v is None:
        raise SettingsError(f"{env} is not set")
    return float(v)


def int_setting(env: str) -> int:
    v = typed_setting(env)
    if v is None:
        raise SettingsError(f"{env} is not set")
    return int(v)


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message says which and what to do."""


SECRET_ENV = "PAPERFEED_SECRET_KEY"
MIN_SECRET = 32
PLACEHOLDERS = {"changeme", "change-me", "change_me", "secret", "secret-key", "dev", "devkey",
                "development", "placeholder", "test", "xxx", "password"}


def check_secret(value: str) -> str:
    """The secret, or SettingsError for a placeholder or a short one."""
    if value.strip().lower() in PLACEHOLDERS or len(value) < MIN_SECRET:
        raise SettingsError(
            f"{SECRET_ENV} looks like a placeholder or is shorter than {MIN_SECRET} characters: "
            "set it to a random value, e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`, or unset it to have one generated and kept "
            "in the data directory")
    return value


def secret_file() -> Path:
    """Where a generated secret is kept when PAPERFEED_SECRET_KEY is unset."""
    return Path(platformdirs.user_data_dir("paperfeed")) / "secret_key"


def persisted_secret(path: Path | None = None) -> str:
    """The secret in the data directory, created (random, mode 600) on first use."""
    path = path or secret_file()
    if path.is_file():
        return check_secret(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return check_secret(path.read_text().strip())
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value


def secret_key() -> str:
    """The key that signs sessions and links: PAPERFEED_SECRET_KEY, else the persisted one.

    Lives here (not in web/) so every surface (web, CLI, digests) signs with the same key.
    """
    raw = os.environ.get(SECRET_ENV)
    return check_secret(raw) if raw else persisted_secret()
