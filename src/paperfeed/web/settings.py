"""The web app's settings from the environment: secret key and public base URL."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import platformdirs

SECRET_ENV = "PAPERFEED_SECRET_KEY"
BASE_URL_ENV = "PAPERFEED_BASE_URL"
MIN_SECRET = 32
PLACEHOLDERS = {"changeme", "change-me", "change_me", "secret", "secret-key", "dev", "devkey",
                "development", "placeholder", "test", "xxx", "password"}


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message says which and what to do."""


@dataclass(frozen=True)
class WebSettings:
    secret_key: str
    base_url: str | None = None  # e.g. https://papers.example.org (absolute links, cookies)

    @property
    def https(self) -> bool:
        """Whether the site is served over HTTPS (cookies are then marked Secure)."""
        return bool(self.base_url and self.base_url.startswith("https://"))


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
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    return value


def load_settings() -> WebSettings:
    """Settings from PAPERFEED_SECRET_KEY and PAPERFEED_BASE_URL."""
    raw = os.environ.get(SECRET_ENV)
    secret = check_secret(raw) if raw else persisted_secret()
    base = (os.environ.get(BASE_URL_ENV) or "").rstrip("/") or None
    if base and not base.startswith(("http://", "https://")):
        raise SettingsError(f"{BASE_URL_ENV}={base!r}: expected an http:// or https:// URL")
    return WebSettings(secret, base)
