"""Send the web app's queued email (confirmations, notices) from a background thread.

A request only writes the outbox row and wakes this thread: no SMTP inside a request, so a slow
or refusing mail server never holds a request thread or changes the answer. A failure is logged
and the row stays in the outbox with its error and its next attempt time, where the worker's
digest job or `paperfeed digest send` retries it (docs/digests.md).
"""

from __future__ import annotations

import logging
import queue
import threading

from fastapi import FastAPI
from sqlalchemy import Engine

from paperfeed.digest.outbox import send_due

log = logging.getLogger("paperfeed.web.mail")


class BackgroundSender:
    """One daemon thread per app that sends the outbox rows it is told about, in order."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.Queue[int] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="paperfeed-mail", daemon=True)
        self._thread.start()

    def notify(self, outbox_id: int) -> None:
        """Send this outbox row soon (returns at once)."""
        self._queue.put(outbox_id)

    def idle(self) -> bool:
        """Whether everything notified so far has been tried."""
        return self._queue.unfinished_tasks == 0

    def _run(self) -> None:
        while True:
            oid = self._queue.get()
            try:
                report = send_due(self.engine, only_id=oid)
                for err in report.errors:
                    log.warning("email %s not sent: %s (it stays in the outbox: the worker or "
                                "`paperfeed digest send` retries it)", oid, err)
            except Exception:  # a database problem: logged, the thread goes on
                log.exception("sending outbox email #%s", oid)
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
