"""The fast decode path: the same :class:`DecodedMessage` as the stdlib path, from bytes split directly.

:func:`decode_fast` takes the tree of :mod:`mailworker.mime_split` and walks it the way
``mime._walk`` walks the stdlib tree: same part order, same header methods, same text decoding.
Payloads are decoded from the raw bytes exactly as ``Message.get_payload(decode=True)`` would
(``binascii.a2b_qp`` for quoted-printable, ``email._encoded_words.decode_b`` for base64); an
attachment's base64 size is counted without decoding when the data is the clean case where the
decoded length is plain arithmetic.  It returns ``None`` whenever it declines, and then the
stdlib path decodes the message, so a decline can never change a result.
"""

from __future__ import annotations

import binascii
from datetime import datetime
from email._encoded_words import decode_b  # the very function Message.get_payload uses for base64

from mailworker.mime import (
    Attachment,
    DecodedMessage,
    _filename,
    _is_attachment,
    choose_body,
    payload_text,
)
from mailworker.mime_headers import fill_headers, plain_header_text
from mailworker.mime_split import Declined, MimeNode, split_message

_UUENCODE = ("x-uuencode", "uuencode", "uue", "x-uue")
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_NEWLINES = b"\r\n"


def decode_fast(raw: bytes, internaldate: datetime | None = None) -> DecodedMessage | None:
    """``raw`` decoded exactly as :func:`mailworker.mime.decode_message_stdlib` would, or None to decline."""
    if type(raw) is not bytes:  # bytearray, memoryview...: the stdlib path decides what they give
        return None
    try:
        tree = split_message(raw)
        if tree is None:
            return None
        decoded = DecodedMessage()
        fill_headers(tree.message, decoded, internaldate)  # raising: the stdlib path records its defect
        decoded.subject = plain_header_text(tree.message.get("Subject"))
        plain: list[str] = []
        html: list[str] = []
        _walk(raw, tree, decoded, plain, html)
        choose_body(plain, html, decoded)
        return decoded
    except Exception:  # noqa: BLE001 - Declined, or anything unforeseen: the stdlib path decides
        return None


def _walk(raw: bytes, node: MimeNode, decoded: DecodedMessage, plain: list[str], html: list[str]) -> None:
    """Depth-first, in document order, as ``mime._walk``: bodies into the lists, attachments into ``decoded``."""
    if node.children is not None:
        for child in node.children:
            _walk(raw, child, decoded, plain, html)
        return
    message, content_type = node.message, node.content_type
    encoding = str(message.get("content-transfer-encoding", "")).lower()
    if _is_attachment(message) or not content_type.startswith("text/"):
        size = _payload_size(raw, node, encoding, decoded)
        decoded.attachments.append(Attachment(_filename(message), content_type, size))
        return
    text = payload_text(_payload(raw, node, encoding, decoded), message.get_content_charset(), decoded)
    (html if content_type == "text/html" else plain).append(text)


def _payload(raw: bytes, node: MimeNode, encoding: str, decoded: DecodedMessage) -> bytes:
    """What ``get_payload(decode=True)`` returns for this leaf; base64 defects of the top part are kept."""
    data = raw[node.start : node.end]
    if encoding == "quoted-printable":
        return binascii.a2b_qp(data)
    if encoding == "base64":
        value, defects = decode_b(data.translate(None, _NEWLINES))
        if node.top:  # the stdlib path reports the defects of the message itself, not of its parts
            decoded.defects.extend(type(defect).__name__ for defect in defects)
        return bytes(value)
    if encoding in _UUENCODE:
        raise Declined("uuencode")
    return data


def _payload_size(raw: bytes, node: MimeNode, encoding: str, decoded: DecodedMessage) -> int:
    """``len(get_payload(decode=True))`` for an attachment, counted without decoding clean base64."""
    if encoding == "base64":
        size = clean_base64_size(raw[node.start : node.end])
        if size is not None:
            return size
    return len(_payload(raw, node, encoding, decoded))


def clean_base64_size(data: bytes) -> int | None:
    """The decoded length of base64 ``data`` when, once its line ends are removed, it is clean, else None.

    Clean means only alphabet characters, a length that is a multiple of four and at most two
    ``=`` at the very end: exactly the input ``decode_b`` decodes at its first attempt, without a
    defect, to ``3 * len / 4 - padding`` bytes (see tests/test_mime_fast.py).  One pass over the
    data: deleting the alphabet leaves only the line ends, the padding and any junk.
    """
    rest = data.translate(None, _BASE64_ALPHABET)
    length = len(data) - rest.count(b"\n") - rest.count(b"\r")
    if length % 4:
        return None
    padding = rest.translate(None, _NEWLINES)
    if not padding:
        return length // 4 * 3
    if padding not in (b"=", b"=="):
        return None
    last = len(data)
    while last and data[last - 1] in b"\r\n=":  # the padding must be the last thing before the line ends
        last -= 1
    if data.count(b"=", last) != len(padding):
        return None
    return length // 4 * 3 - len(padding)
