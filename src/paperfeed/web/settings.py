"""The web app's settings from the environment: secret key and public base URL."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

# The secret-key loader lives in config (the CLI and digests sign links without the web app);
# re-exported here for the web app and its callers.
from paperfeed.config import (  # noqa: F401
    MIN_SECRET,
    PLACEHOLDERS,
    SECRET_ENV,
    SettingsError,
    check_secret,
    persisted_secret,
    secret_file,
    secret_key,
    setting,
)

BASE_URL_ENV = "PAPERFEED_BASE_URL"


@dataclass(frozen=True)
class WebSettings:
    secret_key: str
    base_url: str | None = None  # e.g. https://papers.example.org (absolute links, cookies)
    # reverse proxies whose X-Forwarded-For is believed (addresses or networks); none: never
    trusted_proxies: tuple[str, ...] = ()

    @property
    def https(self) -> bool:
        """Whether the site is served over HTTPS (cookies are then marked Secure)."""
        return bool(self.base_url and self.base_url.startswith("https://"))


def load_settings() -> WebSettings:
    """Settings from PAPERFEED_SECRET_KEY and PAPERFEED_BASE_URL."""
    secret = secret_key()
    base = (os.environ.get(BASE_URL_ENV) or "").rstrip("/") or None
    if base and not base.startswith(("http://", "https://")):
        raise SettingsError(f"{BASE_URL_ENV}={base!r}: expected an http:// or https:// URL")
    return WebSettings(secret, base, parse_proxies(setting(PROXIES_ENV) or ""))


PROXIES_ENV = "PAPERFEED_TRUSTED_PROXIES"


def parse_proxies(raw: str) -> tuple[str, ...]:
    """Addresses or CIDR networks, comma or space separated; SettingsError naming a bad one."""
    out = []
    for item in raw.replace(",", " ").split():
        try:
            out.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise SettingsError(f"{PROXIES_ENV}: {item!r} is not an IP address or network "
                                "(e.g. 127.0.0.1, 10.0.0.0/8, ::1)") from None
    return tuple(out)
