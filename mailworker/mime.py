"""Raw RFC 5322 bytes → a decoded message: headers, text body, forwarded parts, attachment list.

Well-formed messages are split by :mod:`mailworker.mime_fast` straight on the
bytes.  Everything else walks the stdlib ``email`` tree (compat32 policy, which
never raises on bad headers); both decode every text part with
:func:`mailworker.charsets.decode_bytes` and give identical results.  When the
stdlib walk fails on a broken message, mail-parser's more forgiving parse is the
fallback, and failing both, the message decodes to its headers only: it never
raises.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message as EmailMessage

import mailparser

from mailworker.charsets import decode_bytes, repair_mojibake
from parsers.dates import message_datetime
from parsers.html import html_to_text

MAX_TEXT_CHARS = 200_000


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attached file, described but not kept apart (the raw message holds it)."""

    filename: str | None
    content_type: str
    size: int


@dataclass(slots=True)
class DecodedMessage:
    """What later stages read of one e-mail."""

    subject: str = ""
    sender_name: str = ""
    sender_address: str = ""
    to: str = ""
    message_id: str | None = None
    in_reply_to: str | None = None
    references: str | None = None
    date_header: str | None = None
    sent_at: datetime | None = None
    sent_at_source: str = "none"
    body_text: str = ""
    body_source: str = "none"  # plain | html | none
    forwarded_texts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    auto_headers: dict[str, str] = field(default_factory=dict)
    charsets: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


_AUTO_HEADERS = ("auto-submitted", "precedence", "x-autoreply", "x-autorespond", "x-auto-response-suppress",
                 "x-mailer", "list-id", "list-unsubscribe", "return-path", "x-spam-flag", "x-spam-status")


def header_text(value: object) -> str:
    """A header value with RFC 2047 words decoded (tolerating unknown charsets), as one line."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        chunks = email.header.decode_header(value)
    else:
        try:
            chunks = email.header.decode_header(str(value))
        except Exception:  # noqa: BLE001 - malformed encoded words: keep the raw text
            return " ".join(str(value).split()).replace("\x00", "")
    parts: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            parts.append(decode_bytes(chunk, charset)[0])
        else:
            parts.append(chunk)
    return repair_mojibake(" ".join("".join(parts).split())).replace("\x00", "")


def _part_text(part: EmailMessage, decoded: DecodedMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload() or "").encode("utf-8", "replace")
    return payload_text(payload, part.get_content_charset(), decoded)


def payload_text(payload: bytes, charset: str | None, decoded: DecodedMessage) -> str:
    """A text part's decoded payload as text; the codec used is recorded in ``decoded.charsets``."""
    text, codec = decode_bytes(payload[: MAX_TEXT_CHARS * 4], charset)
    decoded.charsets.append(codec)
    # NUL never means anything in mail text, and PostgreSQL text columns refuse it.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _filename(part: EmailMessage) -> str | None:
    try:
        raw = part.get_filename()
    except Exception:  # noqa: BLE001 - broken RFC 2231 parameters
        return None
    return header_text(raw) if raw else None


def _is_attachment(part: EmailMessage) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or (disposition != "inline" and _filename(part) is not None)


def _walk(message: EmailMessage, decoded: DecodedMessage) -> tuple[list[str], list[str]]:
    """Collect plain and HTML bodies; forwarded messages and attachments go into ``decoded``."""
    plain: list[str] = []
    html: list[str] = []
    stack: list[EmailMessage] = [message]
    while stack:
        part = stack.pop(0)
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            decoded.forwarded_texts.append(_forwarded_text(part, decoded))
            continue
        if part.is_multipart():
            children = part.get_payload()
            stack[0:0] = [c for c in children if isinstance(c, EmailMessage)] if isinstance(children, list) else []
            continue
        if _is_attachment(part) or not content_type.startswith("text/"):
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            decoded.attachments.append(Attachment(_filename(part), content_type, size))
        elif content_type == "text/html":
            html.append(_part_text(part, decoded))
        else:
            plain.append(_part_text(part, decoded))
    return plain, html


def _forwarded_text(part: EmailMessage, decoded: DecodedMessage) -> str:
    inner_payload = part.get_payload()
    inner = inner_payload[0] if isinstance(inner_payload, list) and inner_payload else None
    if not isinstance(inner, EmailMessage):
        return ""
    nested = DecodedMessage()
    _fill_from_tree(inner, nested)
    decoded.attachments.extend(nested.attachments)  # a photo inside a forwarded mail is still a photo
    subject = f"{nested.subject}\n" if nested.subject else ""
    return subject + nested.body_text


def _fill_from_tree(message: EmailMessage, decoded: DecodedMessage) -> None:
    decoded.subject = header_text(message.get("Subject"))
    plain, html = _walk(message, decoded)
    choose_body(plain, html, decoded)
    decoded.defects.extend(type(d).__name__ for d in getattr(message, "defects", []))


def choose_body(plain: list[str], html: list[str], decoded: DecodedMessage) -> None:
    """The body is the non-blank plain parts, else the HTML parts as text; cut to ``MAX_TEXT_CHARS``."""
    plain_text = "\n\n".join(t for t in plain if t.strip())
    if plain_text.strip():
        decoded.body_text, decoded.body_source = plain_text, "plain"
    elif html:
        decoded.body_text, decoded.body_source = "\n\n".join(html_to_text(h) for h in html), "html"
    decoded.body_text = decoded.body_text[:MAX_TEXT_CHARS]


def fill_headers_with(message: EmailMessage, decoded: DecodedMessage, internaldate: datetime | None,
                      text_of: Callable[[object], str] = header_text,
                      address_of: Callable[[str], tuple[str, str]] = email.utils.parseaddr) -> None:
    """Fill the header fields of ``decoded``, reading values with ``text_of`` and ``address_of``."""
    decoded.sender_name, decoded.sender_address = address_of(text_of(message.get("From")))
    decoded.to = text_of(message.get("To"))
    decoded.message_id = text_of(message.get("Message-ID")) or None
    decoded.in_reply_to = text_of(message.get("In-Reply-To")) or None
    decoded.references = text_of(message.get("References")) or None
    decoded.date_header = text_of(message.get("Date")) or None
    received = [" ".join(str(v).split()).replace("\x00", "") for v in (message.get_all("Received") or [])]
    decoded.sent_at, decoded.sent_at_source = message_datetime(decoded.date_header, received, internaldate)
    for key in _AUTO_HEADERS:
        value = message.get(key)
        if value is not None:
            decoded.auto_headers[key] = text_of(value)


def _fallback(raw: bytes, decoded: DecodedMessage, error: Exception) -> None:
    decoded.defects.append(f"fallback:{type(error).__name__}")
    try:
        parsed = mailparser.parse_from_bytes(raw)
        decoded.subject = decoded.subject or (parsed.subject or "")
        plain = "\n\n".join(parsed.text_plain or [])
        html = "\n\n".join(parsed.text_html or [])
        if plain.strip():
            decoded.body_text, decoded.body_source = plain[:MAX_TEXT_CHARS], "plain"
        elif html.strip():
            decoded.body_text, decoded.body_source = html_to_text(html)[:MAX_TEXT_CHARS], "html"
        for item in parsed.attachments or []:
            decoded.attachments.append(Attachment(item.get("filename"), item.get("mail_content_type", ""),
                                                  len(item.get("payload") or "")))
    except Exception as second:  # noqa: BLE001 - headers only, recorded as a defect
        decoded.defects.append(f"undecodable:{type(second).__name__}")


def decode_message(raw: bytes, internaldate: datetime | None = None) -> DecodedMessage:
    """Decode ``raw`` into a :class:`DecodedMessage`; never raises for any bytes.

    Well-formed messages take :func:`mailworker.mime_fast.decode_fast`, which gives exactly what
    :func:`decode_message_stdlib` gives (tests/test_mime_fast.py); the rest take the stdlib path.
    """
    from mailworker.mime_fast import decode_fast  # imported here: mime_fast builds on this module

    decoded = decode_fast(raw, internaldate)
    return decoded if decoded is not None else decode_message_stdlib(raw, internaldate)


def decode_message_stdlib(raw: bytes, internaldate: datetime | None = None) -> DecodedMessage:
    """Decode ``raw`` with the stdlib ``email`` parser (compat32); never raises for any bytes."""
    decoded = DecodedMessage()
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    try:
        fill_headers_with(message, decoded, internaldate)
    except Exception as error:  # noqa: BLE001 - a header we cannot read is a defect, not a crash
        decoded.defects.append(f"headers:{type(error).__name__}")
    try:
        _fill_from_tree(message, decoded)
    except Exception as error:  # noqa: BLE001 - broken MIME tree: try mail-parser, then give up
        _fallback(raw, decoded, error)
    return decoded
