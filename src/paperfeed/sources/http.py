"""A polite HTTP client: one connection, a minimum interval between requests, honest retries.

arXiv's terms allow at most one request every 3 seconds and one connection at a time. The
interval is enforced by a `Gate`; the default gate is per process, and a deployment with several
machines passes a gate shared through its database.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import httpx

from paperfeed import __version__
from paperfeed.config import float_setting

log = logging.getLogger("paperfeed.sources")

USER_AGENT = f"paperfeed/{__version__} (+https://github.com/paperfeed/paperfeed)"
RETRY_STATUSES = {429, 500, 502, 503, 504}


class SourceError(RuntimeError):
    """A source could not be read; the message says which URL and why."""


class Gate(Protocol):
    """Blocks until the caller may start its next request."""

    def wait(self) -> None: ...


class IntervalGate:
    """At most one request start every `min_interval` seconds, within this process."""

    def __init__(self, min_interval: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.min_interval = min_interval
        self._clock, self._sleep = clock, sleep
        self._last: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            if self._last is not None and (delay := self._last + self.min_interval - now) > 0:
                self._sleep(delay)
                now = self._clock()
            self._last = now


def retry_after_seconds(value: str | None, default: float) -> float:
    """Parse a Retry-After header: seconds or an HTTP date."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


def _why(e: httpx.HTTPError, timeout: float) -> str:
    """A failed request, as a person would say it."""
    if isinstance(e, httpx.ConnectTimeout):
        return f"no connection within {timeout:g} s (is the network up?)"
    if isinstance(e, httpx.TimeoutException):
        return f"timed out: no answer within {timeout:g} s"
    if isinstance(e, httpx.ConnectError):
        return f"cannot connect ({e or 'refused'}; is the network up?)"
    return f"{type(e).__name__}: {e}"


class PoliteClient:
    """GET with a gate, retries with backoff, and Retry-After honoured."""

    def __init__(
        self,
        min_interval: float = 3.0,
        *,
        gate: Gate | None = None,
        max_retries: int | None = None,
        backoff: float = 5.0,
        max_wait: float = 600.0,
        timeout: float | None = None,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.gate: Gate = gate or IntervalGate(min_interval, sleep=sleep)
        if max_retries is None:
            max_retries = int(float_setting("PAPERFEED_HTTP_RETRIES"))
        if timeout is None:
            timeout = float_setting("PAPERFEED_HTTP_TIMEOUT")
        self.max_retries, self.backoff, self.max_wait = max_retries, backoff, max_wait
        self.timeout = timeout
        self._sleep = sleep
        # One connection at a time: a single pooled connection, used serially. Every phase
        # (connect, each read, the pool) is bounded, so a silent server cannot stall a fetch.
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            follow_redirects=True,
            transport=transport,
        )
        self.requests_made = 0
        self._one_at_a_time = threading.Lock()

    def _send(self, url: str, params: dict[str, str] | None) -> httpx.Response:
        """Pass the gate only once the connection is ours, so queued threads cannot bunch up."""
        with self._one_at_a_time:
            self.gate.wait()
            self.requests_made += 1
            return self._http.get(url, params=params)

    def get(self, url: str, params: dict[str, str] | None = None) -> httpx.Response:
        """Fetch `url`; retry transient failures; raise SourceError when it gives up."""
        attempt = 0
        while True:
            try:
                resp = self._send(url, params)
            except httpx.HTTPError as e:
                reason = _why(e, self.timeout)
                wait = self.backoff * 2**attempt
            else:
                if resp.status_code not in RETRY_STATUSES:
                    return resp
                reason = f"HTTP {resp.status_code}"
                wait = retry_after_seconds(
                    resp.headers.get("Retry-After"), self.backoff * 2**attempt)
            attempt += 1
            if attempt > self.max_retries:
                raise SourceError(f"{url}: giving up after {attempt} attempts ({reason})")
            if wait > self.max_wait:
                raise SourceError(f"{url}: server asks to wait {wait:.0f} s ({reason}); try later")
            log.warning("%s: %s; retry %d of %d in %.0f s", url, reason, attempt,
                        self.max_retries, wait)
            self._sleep(wait)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
