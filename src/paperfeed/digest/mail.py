"""Email on the wire: MIME messages (text + HTML) and SMTP delivery via smtplib.

Delivery splits DATA in two: the message body is sent, then the caller's `before_dot` hook
runs (it commits "the end of DATA is about to go out"), and only then the final "." that asks
the server to take the message. So a crash leaves one of two states we can tell apart: no
"data sent" mark (the server cannot have accepted the message: safe to send again) or the mark
(the server may have accepted it: the one window no protocol closes, see docs/digests.md).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, getaddresses
from typing import Any

from paperfeed.config import setting

SECURITY = ("starttls", "ssl", "none")
DEFAULT_PORT = {"starttls": 587, "ssl": 465, "none": 25}


# Headers whose value is a list of <URL>s (RFC 2369): never folded or RFC 2047-encoded, or
# mail clients cannot read the one-click unsubscribe address (RFC 8058) back.
URL_HEADERS = ("list-unsubscribe", "list-unsubscribe-post", "list-id")


class _MailPolicy(EmailPolicy):
    """The SMTP policy (CRLF), except that URL headers go out as one unencoded line."""

    def fold(self, name: str, value: Any) -> str:
        if name.lower() in URL_HEADERS and str(value).isascii():
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name: str, value: Any) -> bytes:
        if name.lower() in URL_HEADERS and str(value).isascii():
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


SMTP_POLICY = _MailPolicy(linesep="\r\n")


class SmtpConfigError(ValueError):
    """An SMTP setting is wrong; the message names it."""


class Uncertain(Exception):
    """The final "." went out but no reply came back: the server may have the message."""


class LeaseLost(Exception):
    """Another sender took this email over before the final "." (ours was too slow)."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    from_addr: str  # the From: header, e.g. "paperfeed <digest@example.org>"
    timeout: float

    @property
    def envelope_from(self) -> str:
        return getaddresses([self.from_addr])[0][1] or self.from_addr

    @property
    def domain(self) -> str:
        return self.envelope_from.rpartition("@")[2] or "localhost"


def smtp_config() -> SmtpConfig:
    """SMTP settings from the environment (PAPERFEED_SMTP_*)."""
    security = (setting("PAPERFEED_SMTP_SECURITY") or "starttls").lower()
    if security not in SECURITY:
        raise SmtpConfigError(f"PAPERFEED_SMTP_SECURITY={security!r}: use starttls, ssl or none")
    raw_port = setting("PAPERFEED_SMTP_PORT")
    try:
        port = int(raw_port) if raw_port else DEFAULT_PORT[security]
        timeout = float(setting("PAPERFEED_SMTP_TIMEOUT") or "30")
    except ValueError:
        raise SmtpConfigError("PAPERFEED_SMTP_PORT and PAPERFEED_SMTP_TIMEOUT must be "
                              "numbers") from None
    from_addr = setting("PAPERFEED_SMTP_FROM") or "paperfeed <paperfeed@localhost>"
    if "@" not in from_addr:
        raise SmtpConfigError(f"PAPERFEED_SMTP_FROM={from_addr!r} is not an email address")
    return SmtpConfig(setting("PAPERFEED_SMTP_HOST") or "localhost", port, security,
                      setting("PAPERFEED_SMTP_USER"), setting("PAPERFEED_SMTP_PASSWORD"),
                      from_addr, timeout)


def new_message_id(cfg: SmtpConfig, kind: str) -> str:
    """A unique Message-ID, short enough to stay on one header line."""
    return f"<{kind}.{secrets.token_hex(10)}@{cfg.domain}>"


def build_message(cfg: SmtpConfig, to: str, subject: str, text_body: str, html_body: str,
                  message_id: str, date: dt.datetime, unsubscribe_url: str | None = None
                  ) -> str:
    """multipart/alternative (text first, HTML preferred) with every header, CRLF line ends."""
    msg = EmailMessage(policy=SMTP_POLICY)
    msg["From"] = cfg.from_addr
    msg["To"] = Address(addr_spec=to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date.astimezone(dt.UTC))
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        # RFC 2369 + RFC 8058: mail clients show "Unsubscribe" and POST one click to it.
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        msg["List-Id"] = f"paperfeed digest <digest.{cfg.domain}>"
    msg.set_content(text_body, cte="quoted-printable")
    msg.add_alternative(html_body, subtype="html", cte="quoted-printable")
    return msg.as_string()


def _wire(message: str) -> bytes:
    """CRLF line ends and dot-stuffing, as DATA needs them (no final ".")."""
    data = re.sub(r"\r\n|\r|\n", "\r\n", message).encode("utf-8")
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data


class Connection:
    """One SMTP session, opened on first use and reused for several messages."""

    def __init__(self, cfg: SmtpConfig) -> None:
        self.cfg = cfg
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        cfg = self.cfg
        smtp: smtplib.SMTP
        if cfg.security == "ssl":
            smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        try:
            smtp.ehlo()
            if cfg.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if cfg.user:
                smtp.login(cfg.user, cfg.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def abort(self) -> None:
        """Drop the connection without QUIT (after an error mid-transaction)."""
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def send(self, recipient: str, message: str, before_dot: Callable[[], bool]) -> None:
        """Send one message; raise smtplib errors (with the server's code) or Uncertain."""
        if self._smtp is None:
            self._smtp = self._open()
        smtp = self._smtp
        try:
            if smtp.noop()[0] != 250:  # a reused connection the server has dropped
                raise smtplib.SMTPServerDisconnected("connection lost")
        except (smtplib.SMTPException, OSError):
            self.abort()
            smtp = self._smtp = self._open()
        code, resp = smtp.mail(self.cfg.envelope_from)
        if code != 250:
            smtp.rset()
            raise smtplib.SMTPSenderRefused(code, resp, self.cfg.envelope_from)
        code, resp = smtp.rcpt(recipient)
        if code not in (250, 251):
            smtp.rset()
            raise smtplib.SMTPRecipientsRefused({recipient: (code, resp)})
        code, resp = smtp.docmd("DATA")
        if code != 354:
            smtp.rset()
            raise smtplib.SMTPDataError(code, resp)
        smtp.send(_wire(message))
        if not before_dot():
            self.abort()  # no final ".": the server discards the message
            raise LeaseLost()
        try:
            smtp.send(b".\r\n")
            code, resp = smtp.getreply()
        except (smtplib.SMTPException, OSError) as e:
            self.abort()
            raise Uncertain(f"no reply to the end of DATA: {e}") from e
        if code != 250:
            raise smtplib.SMTPDataError(code, resp)


def send_one(cfg: SmtpConfig, recipient: str, message: str) -> None:
    """Send one message on its own connection (for email that is in no outbox)."""
    smtp = Connection(cfg)
    try:
        smtp.send(recipient, message, lambda: True)
    finally:
        smtp.close()


def error_code(e: BaseException) -> int | None:
    """The SMTP reply code behind an smtplib error, if the server gave one."""
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in e.recipients.values()]
        return codes[0] if codes else None
    if isinstance(e, smtplib.SMTPResponseException):
        return e.smtp_code
    return None


def describe_error(e: BaseException) -> str:
    code = error_code(e)
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        (c, resp), = e.recipients.values()
        return f"{c} {resp.decode(errors='replace') if isinstance(resp, bytes) else resp}"
    if isinstance(e, smtplib.SMTPResponseException):
        err = e.smtp_error
        return f"{code} {err.decode(errors='replace') if isinstance(err, bytes) else err}"
    return f"{type(e).__name__}: {e}"
