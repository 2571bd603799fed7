"""A real SMTP server on loopback (aiosmtpd) that records what it accepts.

Knobs for fault tests: `replies` answers the next DATA commands with the given codes instead of
accepting; `delay` slows every accepted message; `hold_at`/`hold_in` stall the n-th message in
RCPT (before DATA) or after the final "." (the message is taken, the 250 is late) and set
`held` so a test can kill the client exactly there.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        msg = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]

    def part(self, subtype: str) -> str:
        """The text/plain or text/html body."""
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_subtype() == subtype, subtype
        content = body.get_content()
        assert isinstance(content, str)
        return content


@dataclass
class Recorder:
    messages: list[Received] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)  # e.g. "451 4.3.0 try again later"
    delay: float = 0.0
    hold_at: int | None = None  # 1-based number of the message to stall
    hold_in: str = "data"  # "data" (after the final ".") or "rcpt" (before DATA)
    hold_s: float = 5.0
    held: threading.Event = field(default_factory=threading.Event)
    _rcpts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        with self._lock:
            self._rcpts += 1
            n = self._rcpts
        if self.hold_in == "rcpt" and n == self.hold_at:
            self.held.set()
            await asyncio.sleep(self.hold_s)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.replies:
            return self.replies.pop(0)
        with self._lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          bytes(envelope.content)))
            n = len(self.messages)
        if self.hold_in == "data" and n == self.hold_at:
            self.held.set()  # taken: the client may die before it sees the 250
            await asyncio.sleep(self.hold_s)
        elif self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def to(self, addr: str) -> list[Received]:
        return [m for m in self.messages if addr in m.rcpt_tos]

    def counts(self) -> Counter[str]:
        return Counter(m.to for m in self.messages)

    def wait_for(self, n: int, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while len(self.messages) < n:
            if time.monotonic() > end:
                raise AssertionError(f"{len(self.messages)} messages arrived, expected {n}")
            time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    """(recorder, port) of an SMTP server on 127.0.0.1, stopped afterwards."""
    rec = Recorder()
    port = free_port()
    ctl = Controller(rec, hostname="127.0.0.1", port=port, ready_timeout=10)
    ctl.start()
    try:
        yield rec, port
    finally:
        ctl.stop()
