"""The e-mail as a reviewer sees it: decoded texts cut into plain and highlighted pieces, attachments.

Nothing here produces markup.  Texts are returned as segments (plain text plus
which field, if any, the worker extracted from it); the template escapes each
segment and wraps the extracted ones in ``<mark>``.  Attachments are read from
the raw message on demand.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message as EmailMessage
from typing import Any

from mailworker.mime import header_text
from mailworker.pipeline import Context, DecodeStage
from mailworker.stages.extract import ORDER, split_texts

TEXT_TITLES = {"subject": "Subject", "new": "Message", "signature": "Signature", "forwarded": "Forwarded text",
               "quoted": "Quoted earlier mail"}
FIELD_TITLES = {"readings": "reading", "dates": "date", "phones": "phone", "addresses": "address",
                "accounts": "account"}
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_UNSAFE_NAME = re.compile(r"[^\w .()\[\]+,=-]")


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of text, with the field it was extracted as (None for plain text)."""

    text: str
    field: str | None = None
    title: str = ""


@dataclass(frozen=True, slots=True)
class TextBlock:
    """One named text of the e-mail (subject, new text, signature, forwarded, quoted)."""

    name: str
    title: str
    segments: list[Segment]


@dataclass(frozen=True, slots=True)
class AttachmentInfo:
    """An attached file as listed to the reviewer."""

    index: int
    filename: str
    content_type: str
    size: int

    @property
    def inline_image(self) -> bool:
        """True for image types a browser may show inline."""
        return self.content_type in INLINE_IMAGE_TYPES


@dataclass(slots=True)
class MessageView:
    """Headers, highlighted texts and attachments of one e-mail."""

    subject: str = ""
    sender_name: str = ""
    sender_address: str = ""
    to: str = ""
    sent_at: datetime | None = None
    body_source: str = "none"
    blocks: list[TextBlock] = field(default_factory=list)
    attachments: list[AttachmentInfo] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


def _marks(candidates: dict[str, Any], source: str, length: int) -> list[tuple[int, int, str, str]]:
    """(start, end, field, title) of every candidate found in the text named ``source``."""
    marks = []
    for key, field_name in FIELD_TITLES.items():
        entries = candidates.get(key)
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            span = entry.get("span")
            if entry.get("source") != source or not isinstance(span, list | tuple) or len(span) != 2:
                continue
            start, end = span
            if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= length:
                label = str(entry.get("label") or "")
                marks.append((start, end, field_name, f"{field_name}: {label}" if label else field_name))
    return marks


def segments(text: str, marks: list[tuple[int, int, str, str]]) -> list[Segment]:
    """``text`` cut into plain and marked pieces; overlapping marks keep the earlier (then longer) one."""
    pieces: list[Segment] = []
    position = 0
    for start, end, field_name, title in sorted(marks, key=lambda m: (m[0], -(m[1] - m[0]))):
        if start < position:
            continue
        if start > position:
            pieces.append(Segment(text[position:start]))
        pieces.append(Segment(text[start:end], field_name, title))
        position = end
    if position < len(text):
        pieces.append(Segment(text[position:]))
    return pieces


def build_view(raw: bytes, candidates: dict[str, Any] | None) -> MessageView:
    """Decode ``raw`` and cut its named texts into segments, marking what the worker extracted."""
    context = Context(raw=raw)
    DecodeStage()(context)
    decoded = context.decoded
    view = MessageView()
    if decoded is None:
        return view
    view.subject, view.sender_name, view.sender_address = decoded.subject, decoded.sender_name, decoded.sender_address
    view.to, view.sent_at, view.body_source = decoded.to, decoded.sent_at, decoded.body_source
    view.defects = list(decoded.defects)
    texts = split_texts(context)
    for name in ORDER:
        text = texts.get(name)
        if text:
            block_segments = segments(text, _marks(candidates or {}, name, len(text)))
            view.blocks.append(TextBlock(name, TEXT_TITLES.get(name, name), block_segments))
    view.attachments = [info for info, _ in _attachment_parts(raw)]
    return view


def _filename(part: EmailMessage) -> str:
    try:
        raw_name = part.get_filename()
    except Exception:  # noqa: BLE001 - broken RFC 2231 parameters: no name
        return ""
    return header_text(raw_name) if raw_name else ""


def _is_attachment(part: EmailMessage) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    if disposition == "attachment" or not part.get_content_type().startswith("text/"):
        return True
    return disposition != "inline" and bool(_filename(part))


def _attachment_parts(raw: bytes) -> list[tuple[AttachmentInfo, EmailMessage]]:
    """Every attached leaf part of the top-level message (forwarded messages' own parts excluded)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    found: list[tuple[AttachmentInfo, EmailMessage]] = []
    stack: list[EmailMessage] = [message]
    while stack:
        part = stack.pop(0)
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            continue
        if part.is_multipart():
            children = part.get_payload()
            stack[0:0] = [c for c in children if isinstance(c, EmailMessage)] if isinstance(children, list) else []
            continue
        if not _is_attachment(part):
            continue
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        found.append((AttachmentInfo(len(found), _filename(part), content_type, size), part))
    return found


def attachment(raw: bytes, index: int) -> tuple[AttachmentInfo, bytes] | None:
    """The ``index``-th attachment's description and decoded bytes, or None."""
    parts = _attachment_parts(raw)
    if not 0 <= index < len(parts):
        return None
    info, part = parts[index]
    payload = part.get_payload(decode=True)
    return info, payload if isinstance(payload, bytes) else b""


def safe_filename(name: str, index: int) -> str:
    """A file name fit for a Content-Disposition header: letters, digits and a few signs; no paths or quotes."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip(" .")[:150]
    return cleaned or f"attachment-{index + 1}"
