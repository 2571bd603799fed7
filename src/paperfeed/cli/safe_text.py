"""Paper text on a terminal: never markup, never control sequences.

Titles, abstracts and author names come from other people's data. Printed through rich they
would be read as console markup (a title with `[/]` crashes the printer), and escape sequences
in them (`ESC]0;` retitles the window, `ESC[2J` clears the screen) would reach the terminal.
`safe` makes such text inert: every C0/C1 control but tab and newline, and the bidirectional
overrides, become U+FFFD, and rich markup is escaped.
"""

from __future__ import annotations

import re

from rich.markup import escape

# C0 controls but \t and \n, DEL, C1 controls (0x9b is a one-byte CSI), bidi overrides/isolates
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def inert(text: object) -> str:
    """`text` with control characters replaced (for plain, non-markup output)."""
    return CONTROLS.sub("\ufffd", str(text))


def safe(text: object) -> str:
    """`text` ready to embed in rich markup: controls replaced, markup escaped."""
    return escape(inert(text))
