"""Child processes that end with their parent, however it ends (kill -9 included).

Import followers, claims extraction workers and `paperfeed serve`'s web workers call
`die_with_parent` first thing: a parent killed without a chance to clean up leaves no
process behind holding the database, a port or memory.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time


def die_with_parent(parent: int) -> None:
    """Make this (child) process end when `parent` does, however the parent ends."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # SIGKILL when the parent dies
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:  # elsewhere (and as a second line): notice being re-parented
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
