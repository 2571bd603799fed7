"""Send the web app's email (confirmations, notices, password resets) from a background thread.

A request only writes the outbox row (or hands over a reset email) and wakes this thread: no
SMTP inside a request, so a slow or refusing mail server never holds a request thread or changes
the answer. A failure is logged; an outbox row stays in the outbox with its error and its next
attempt time, where the worker's digest job or `paperfeed digest send` retries it
(docs/digests.md). Reset emails are not kept (their links expire within the hour): they are
tried RESET_ATTEMPTS times, then the user asks again.
"""

from __future__ import annotations

import logging
import queue
import smtplib
import threading
import time
from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy import Engine

from paperfeed.digest.outbox import send_due

log = logging.getLogger("paperfeed.web.mail")
RESET_ATTEMPTS = 3
RETRY_PAUSE_S = 2.0


class BackgroundSender:
    """One daemon thread per app that sends the outbox rows it is told about, in order."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="paperfeed-mail", daemon=True)
        self._thread.start()

    def notify(self, outbox_id: int) -> None:
        """Send this outbox row soon (returns at once)."""
        self._queue.put(lambda: self._send_row(outbox_id))

    def send_later(self, what: str, send: Callable[[], None]) -> None:
        """Run `send` (one email that is in no outbox) soon, retrying temporary failures."""
        self._queue.put(lambda: self._send_call(what, send))

    def _send_row(self, oid: int) -> None:
        report = send_due(self.engine, only_id=oid)
        for err in report.errors:
            log.warning("email %s not sent: %s (it stays in the outbox: the worker or "
                        "`paperfeed digest send` retries it)", oid, err)

    def _send_call(self, what: str, send: Callable[[], None]) -> None:
        for attempt in range(1, RESET_ATTEMPTS + 1):
            try:
                send()
                return
            except (smtplib.SMTPException, OSError, ValueError) as e:
                permanent = isinstance(e, smtplib.SMTPResponseException) and \
                    500 <= e.smtp_code < 600
                log.warning("%s not sent (attempt %d of %d): %s", what, attempt,
                            RESET_ATTEMPTS, f"{type(e).__name__}: {e}")
                if permanent or attempt == RESET_ATTEMPTS:
                    return
                time.sleep(RETRY_PAUSE_S * attempt)

    def idle(self) -> bool:
        """Whether everything notified so far has been tried."""
        return self._queue.unfinished_tasks == 0

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                job()
            except Exception:  # a database problem: logged, the thread goes on
                log.exception("sending email")
            finally:
                self._queue.task_done()


_LOCK = threading.Lock()


def sender_of(app: FastAPI) -> BackgroundSender:
    """The app's sender, started on first use."""
    with _LOCK:
        sender: BackgroundSender | None = getattr(app.state, "mail_sender", None)
        if sender is None:
            sender = app.state.mail_sender = BackgroundSender(app.state.engine)
        return sender
