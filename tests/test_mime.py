"""Decoding hostile and broken MIME into text, headers and attachments without raising."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from mailworker.mime import decode_message
from tests.conftest import FIXTURES

SAMPLES = FIXTURES / "emails"


def test_cp1251_quoted_printable_body_and_encoded_subject() -> None:
    """A cp1251 quoted-printable body and an RFC 2047 subject decode to readable Russian."""
    decoded = decode_message((SAMPLES / "0001-cp1251-qp.eml").read_bytes())
    assert decoded.subject == "Показания счетчика"
    assert "Показания счетчика: 04521" in decoded.body_text
    assert decoded.sent_at is not None and decoded.sent_at.utcoffset() is not None


def test_koi8u_8bit_body() -> None:
    """An 8bit KOI8-U body keeps its Ukrainian letters."""
    decoded = decode_message((SAMPLES / "0002-koi8u-8bit.eml").read_bytes())
    assert "Кам'янське" in decoded.body_text and "ніч" in decoded.body_text


def test_html_only_becomes_text_and_attachment_is_listed() -> None:
    """An HTML-only body is converted to text; an image attachment is recorded with its decoded name."""
    html = decode_message((SAMPLES / "0004-html-only.eml").read_bytes())
    assert html.body_source == "html" and "0123456789" in html.body_text and "<td>" not in html.body_text
    photo = decode_message((SAMPLES / "0005-photo-only.eml").read_bytes())
    assert [(a.filename, a.content_type) for a in photo.attachments] == [("лічильник.jpg", "image/jpeg")]


def test_forwarded_rfc822_part_text_is_kept() -> None:
    """The text of an attached message/rfc822 counts as forwarded text."""
    inner = (SAMPLES / "0001-cp1251-qp.eml").read_bytes()
    outer = (b"From: a@b\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
             b"--XX\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--XX\r\nContent-Type: message/rfc822\r\n\r\n"
             + inner + b"\r\n--XX--\r\n")
    decoded = decode_message(outer)
    assert any("04521" in text for text in decoded.forwarded_texts)


def test_unknown_charset_and_missing_headers() -> None:
    """A part in an unknown charset and a message without Date or From still decode."""
    raw = b"Content-Type: text/plain; charset=X-UNKNOWN\r\n\r\n" + "Показания 12345".encode("cp1251")
    decoded = decode_message(raw, internaldate=datetime(2026, 11, 1, 8, 0))
    assert decoded.body_text == "Показания 12345"
    assert decoded.sent_at_source == "internaldate"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_decode_without_raising(raw: bytes) -> None:
    """Arbitrary bytes never make the decoder raise."""
    decoded = decode_message(raw)
    assert isinstance(decoded.body_text, str)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400), st.sampled_from(["multipart/mixed", "text/html", "message/rfc822", "text/plain"]))
def test_broken_structures_decode_without_raising(body: str, content_type: str) -> None:
    """Declared multiparts without boundaries and junk bodies decode without raising."""
    raw = f"Content-Type: {content_type}; boundary=\"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}"
    assert isinstance(decode_message(raw.encode("utf-8", "surrogateescape")).body_text, str)
