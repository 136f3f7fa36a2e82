"""The fast decode path gives exactly the stdlib path's DecodedMessage, or declines; it never raises.

Every comparison is field by field, on the values and on their ``repr`` (which also tells
time zones, str subclasses and list order apart).  The corpus tests print and record how many
messages took the fast path.
"""

from __future__ import annotations

import base64
import dataclasses
import email.utils
import itertools
import quopri
import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bench.mails import mails
from mailworker.mime import DecodedMessage, decode_message, decode_message_stdlib, header_text
from mailworker.mime_fast import clean_base64_size, decode_fast
from mailworker.mime_headers import parse_address, plain_header_text
from mailworker.mime_split import MAX_DEPTH
from tests.conftest import DEV_CORPUS, FIXTURES, MIME_CORPUS

INTERNALDATE = datetime(2026, 11, 1, 8, 0)
Draw = Callable[..., Any]  # st.DataObject.draw, passed to the generators below


def _differences(got: DecodedMessage, expected: DecodedMessage) -> list[str]:
    """Names of the fields whose values or reprs differ."""
    names = [f.name for f in dataclasses.fields(DecodedMessage)]
    return [n for n in names
            if getattr(got, n) != getattr(expected, n) or repr(getattr(got, n)) != repr(getattr(expected, n))]


def _seeded(decode: Callable[[bytes, datetime | None], DecodedMessage], raw: bytes,
            internaldate: datetime | None) -> DecodedMessage:
    """``decode(raw)`` after seeding ``random``: mail-parser's fallback names unnamed attachments at random."""
    random.seed(2026)
    return decode(raw, internaldate)


def same_as_stdlib(raw: bytes, internaldate: datetime | None = INTERNALDATE) -> bool:
    """Assert ``decode_message`` and ``decode_fast`` (when it accepts) equal the stdlib path; True when fast."""
    expected = _seeded(decode_message_stdlib, raw, internaldate)
    fast = decode_fast(raw, internaldate)
    for got in (_seeded(decode_message, raw, internaldate), fast):
        if got is not None:
            assert not _differences(got, expected), (_differences(got, expected), raw[:300])
            assert got == expected and repr(got) == repr(expected)
    return fast is not None


def _corpus(name: str) -> list[tuple[str, bytes]]:
    """The named corpus as (label, raw bytes) pairs; skips when a shared corpus is absent."""
    if name == "bench":
        return [(f"bench mail {i}", raw) for i, raw in enumerate(mails(2000))]
    folder = {"mime": MIME_CORPUS, "dev": DEV_CORPUS / "emails", "fixtures": FIXTURES / "emails"}[name]
    if not folder.is_dir():
        pytest.skip(f"{folder} not present")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [(str(p.relative_to(folder)), p.read_bytes()) for p in files]


# --- hand-written cases -------------------------------------------------------------------------

_NESTED = """From: =?utf-8?b?0JrQu9C40LXQvdGC?= <client@example.net>
To: call-centre@oblenergo.example
Subject: =?utf-8?b?0J/QvtC60LDQt9Cw0L3QuNGP?=
Date: Tue, 01 Dec 2026 09:00:00 +0200
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

This is a multi-part message in MIME format.
--b1
Content-Type: multipart/alternative; boundary=b1-alt

--b1-alt
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

0J/QvtC60LDQt9Cw0L3QuNGPIDA0NTIxLCDRg9C7LiDQoNCw0LHQvtGH0LDRjyA1
--b1-alt
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: 8bit

<p>Показания 04521</p>
--b1-alt--
--b1
Content-Type: image/jpeg; name="meter.jpg"
Content-Disposition: attachment; filename="meter.jpg"
Content-Transfer-Encoding: base64

/9j/4AAQSkZJRgABAQ==
--b1--
epilogue
"""
_HEAD = "From: a@example.net\nSubject: test\nContent-Type: multipart/mixed; boundary=b\n\n"
_TEXT_PART = "--b\nContent-Type: text/plain; charset=utf-8\n\nПоказания 04521\n"


def _text(body: str, *headers: str) -> bytes:
    """A single-part message with ``headers`` and ``body`` (LF line ends)."""
    return ("From: a@example.net\n" + "".join(h + "\n" for h in headers) + "\n" + body).encode("utf-8")


def _multi(*parts: str, tail: str = "--b--\n") -> bytes:
    """A multipart/mixed message with boundary ``b`` made of ``parts`` (each starting with its boundary line)."""
    return (_HEAD + "".join(parts) + tail).encode("utf-8")


def _deep(levels: int) -> bytes:
    """A text part inside ``levels`` nested multiparts, each with its own boundary and close line."""
    inner = "Content-Type: text/plain\n\nПоказания 04521\n"
    for level in range(levels):
        inner = f"Content-Type: multipart/mixed; boundary=n{level}\n\n--n{level}\n{inner}\n--n{level}--\n"
    return ("Subject: deep\n" + inner).encode()


FAST: list[tuple[str, bytes]] = [
    ("nested multipart LF", _NESTED.encode()),
    ("nested multipart CRLF", _NESTED.replace("\n", "\r\n").encode()),
    ("mixed line ends", _NESTED.encode().replace(b"--b1\n", b"--b1\r\n").replace(b"8bit\n", b"8bit\r\n")),
    ("boundary look-alikes in the body", _multi(_TEXT_PART + "--bx\n --b\ntext --b\n--b-\n--b--x\n")),
    ("blanks after boundary lines", _multi(_TEXT_PART.replace("--b\n", "--b \t\n"), tail="--b--  \n")),
    ("close boundary at EOF without newline", _multi(_TEXT_PART, tail="--b--")),
    ("empty part without headers", _multi("--b\n\n", _TEXT_PART)),
    ("part with headers and no body", _multi("--b\nContent-Type: text/plain\n\n", _TEXT_PART)),
    ("preamble and epilogue", _multi("preamble\n\n" + _TEXT_PART, tail="--b--\nepilogue\n--b\nmore\n")),
    ("uppercase encodings", _multi("--b\nContent-Type: text/plain\nContent-Transfer-Encoding: BASE64\n\n"
                                   "0J/QvtC60LDQt9Cw0L3QuNGP\n", "--b\nContent-Transfer-Encoding: Quoted-Printable\n\n"
                                   "=D0=9F=D0=BE 04521=\n end\n")),
    ("encoding with a trailing blank stays undecoded", _text("0J/QvtC60LA=\n", "Content-Transfer-Encoding: base64 ")),
    ("charset quoted, unquoted, spaced, upper", _multi(*(f"--b\nContent-Type: text/plain; charset{c}\n\nтекст\n"
                                                        for c in ('="utf-8"', "=utf-8", ' = "UTF-8" ', "=UTF8")))),
    ("no content type", _text("Показания 04521\n")),
    ("content type without a slash", _text("hello\n", "Content-Type: text")),
    ("unix From line", b"From a@example.net Tue Dec  1 09:00:00 2026\n" + _text("body\n")),
    ("folded, empty and unspaced headers", _text("body\n", "Subject: a\n\tfolded\n  value", "X-Empty:", "To:b@c")),
    ("RFC 2231 and RFC 2047 file names", _multi(
        "--b\nContent-Type: application/pdf\nContent-Disposition: attachment;\n filename*=utf-8''%D0%9F.pdf\n\nJVBE\n",
        "--b\nContent-Type: image/png; name=\"=?utf-8?b?0J/QvtC60LA=?=.png\"\nContent-Transfer-Encoding: base64\n\n"
        "iVBORw0KGgo=\n")),
    ("raw UTF-8 subject and sender", _text("body\n", "Subject: Показания", "To: Іван <i@example.net>")),
    ("bad base64 padding in the message itself", _text("0J/QvtC60LA\n", "Content-Transfer-Encoding: base64")),
    ("base64 attachment with junk", _multi("--b\nContent-Type: image/jpeg\nContent-Transfer-Encoding: base64\n\n"
                                           "/9j/4A*AQ SkZJ\n")),
    ("bare CR inside a body", _multi("--b\nContent-Type: text/plain\n\nline\rnext\n")),
    ("message without headers", b"\nbody only\n"),
    ("multipart encoding 7BIT", _text("--b\n\nx\n--b--\n", "Content-Type: multipart/mixed; boundary=b",
                                      "Content-Transfer-Encoding: 7BIT")),
    ("boundary that prefixes the inner one", _multi("--b\nContent-Type: multipart/alternative; boundary=\"b-1\"\n\n"
                                                    "--b-1\n\ninner\n--b-1--\n", _TEXT_PART)),
    ("HTML only", _text("<html><body><p>Показания 04521</p></body></html>\n", "Content-Type: text/html")),
    ("nesting within the limit", _deep(MAX_DEPTH)),
    ("text attachment and inline image", _multi(
        "--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=readings.txt\n\n12345\n",
        "--b\nContent-Type: image/gif\nContent-Disposition: inline\n\nR0lGODlh\n")),
]
DECLINED: list[tuple[str, bytes]] = [
    ("no close boundary", _multi(_TEXT_PART, tail="")),
    ("no start boundary", _multi("just text\n", tail="")),
    ("multipart without boundary", _text("text\n", "Content-Type: multipart/mixed")),
    ("empty boundary", _text("--\n\nx\n----\n", 'Content-Type: multipart/mixed; boundary=""')),
    ("two boundary lines in a row", _multi("--b\n", _TEXT_PART)),
    ("same boundary nested", _multi("--b\nContent-Type: multipart/mixed; boundary=b\n\n", _TEXT_PART)),
    ("message/rfc822", _multi("--b\nContent-Type: message/rfc822\n\nSubject: inner\n\ntext\n")),
    ("multipart/digest", _text("--d\n\nSubject: x\n\ny\n--d--\n", "Content-Type: multipart/digest; boundary=d")),
    ("delivery status", _text("Reporting-MTA: x\n", "Content-Type: message/delivery-status")),
    ("bare CR in headers", b"Subject: a\rb\n\nbody\n"),
    ("bare CR before a boundary", _multi("--b\n\ntext\r--b\nmore\n")),
    ("bare CR after a boundary", _multi("--b\r\n\ntext\n--b\rx\n")),
    ("first header line a continuation", b" folded\nSubject: x\n\nbody\n"),
    ("text where headers should be", b"Subject: x\nnot a header\n\nbody\n"),
    ("headers only", b"Subject: x\nFrom: a@b"),
    ("empty message", b""),
    ("uuencode", _text("begin 644 a.txt\n#86)C\n`\nend\n", "Content-Type: application/octet-stream",
                       "Content-Transfer-Encoding: x-uuencode")),
    ("non-ASCII content disposition", _multi("--b\nContent-Disposition: attachment; filename=\"лічильник.jpg\"\n\n"
                                             "x\n")),
    ("two content types", _text("body\n", "Content-Type: text/plain", "Content-Type: text/html")),
    ("multipart in base64", _text("--b\n\nx\n--b--\n", "Content-Type: multipart/mixed; boundary=b",
                                  "Content-Transfer-Encoding: base64")),
    ("header line starting with a colon", b": no name\n\nbody\n"),
    ("envelope line among the headers", b"Subject: x\nFrom a@b Tue Dec  1 09:00:00 2026\n\nbody\n"),
    ("nesting deeper than the limit", _deep(MAX_DEPTH + 2)),
]

# --- generated structures and mutations ------------------------------------------------------------

_BOUNDARIES = [b"b", b"b1", b"b1-alt", b"=_x_1", b"----=_Part_0_1", b"with space", b"q'()+_,-./:=?"]
_CHARSETS = [b"utf-8", b'"utf-8"', b"windows-1251", b"KOI8-U", b"x-unknown", b"us-ascii", b"cp1251 "]
_CODECS = {b"windows-1251": "cp1251", b"KOI8-U": "koi8_u", b"cp1251 ": "cp1251"}
_ENCODINGS = [b"", b"7bit", b"8bit", b"base64", b"BASE64", b"quoted-printable", b"Quoted-Printable", b"base64 "]
_TEXTS = ["Показания 04521", "Показники: день 1234, ніч 567\nвул. Робоча 5", "ascii 12345", "", "-- \nsig"]
_DISPOSITIONS = [b"", b"inline", b"attachment", b"attachment; filename=meter.jpg", b'inline; filename="a b.txt"',
                 b"attachment; filename*=utf-8''%D0%9F.jpg", b'attachment; filename="=?utf-8?b?0J/QvtC60LA=?=.jpg"']
_TYPES = [b"text/plain", b"text/html", b"image/jpeg; name=m.jpg", b"application/pdf", b"TEXT/PLAIN", b"text"]


def _leaf(draw: Draw, eol: bytes) -> tuple[list[bytes], bytes]:
    """Headers and body of a random single part: type, charset, encoding, disposition, text or bytes."""
    content_type, encoding = draw(st.sampled_from(_TYPES)), draw(st.sampled_from(_ENCODINGS))
    charset, disposition = draw(st.sampled_from(_CHARSETS)), draw(st.sampled_from(_DISPOSITIONS))
    headers = [b"Content-Type: " + content_type + b"; charset=" + charset] if draw(st.booleans()) else []
    headers += [b"Content-Transfer-Encoding: " + encoding] if encoding else []
    headers += [b"Content-Disposition: " + disposition] if disposition else []
    codec = _CODECS.get(charset, "utf-8")
    data = draw(st.sampled_from(_TEXTS)).encode(codec) if draw(st.booleans()) else draw(st.binary(max_size=300))
    if encoding.strip().lower() == b"base64":
        body = base64.encodebytes(data)
    elif encoding.lower() == b"quoted-printable":
        body = quopri.encodestring(data)
    else:
        body = data + b"\n"
    return headers, body.replace(b"\n", eol)


def _entity(draw: Draw, eol: bytes, depth: int, outer: bytes) -> bytes:
    """A random entity: a leaf, or a multipart whose parts are entities; look-alike lines sprinkled in."""
    if depth > 2 or draw(st.integers(0, 2)) > 0:
        headers, body = _leaf(draw, eol)
    else:
        boundary = draw(st.sampled_from(_BOUNDARIES))
        quote = b'"' if b" " in boundary or draw(st.booleans()) else b""
        headers = [b"Content-Type: multipart/" + draw(st.sampled_from([b"mixed", b"alternative", b"Related"]))
                   + b";" + draw(st.sampled_from([b" ", eol + b"\t"])) + b"boundary=" + quote + boundary + quote]
        blanks = draw(st.sampled_from([b"", b" ", b"\t ", b"x"]))
        parts = [b"--" + boundary + blanks + eol + _entity(draw, eol, depth + 1, boundary) + eol
                 for _ in range(draw(st.integers(0, 3)))]
        close = b"--" + boundary + b"--" + blanks + eol if draw(st.integers(0, 4)) else b""
        body = draw(st.sampled_from([b"", b"preamble" + eol])) + b"".join(parts) + close
    if outer and draw(st.integers(0, 5)) == 0:
        body += draw(st.sampled_from([b"--" + outer, b"--" + outer + b"x", b" --" + outer])) + eol
    if draw(st.booleans()):
        subject = draw(st.sampled_from([b"plain", b"=?utf-8?b?0J/QvtC60LA=?=", b"a" + eol + b" b"]))
        headers.insert(0, b"Subject: " + subject)
    return b"".join(h + eol for h in headers) + eol + body


_INSERTS = [b"\r", b"\n", b"\r\n", b"--", b"--b\n", b"--b--\r\n", b"--b1\r\n", b"\n\n", b" ", b"\t", b":", b"=",
            b"=?utf-8?b?0J/QvtC60LA=?=", "Показ".encode(), b"\x00", b"From ", b"Content-Type: multipart/mixed; "
            b"boundary=b\r\n", b"Content-Transfer-Encoding: base64\r\n", b"Content-Type: message/rfc822\n"]


def mutate(raw: bytes, draw: Draw) -> bytes:
    """``raw`` with one to four random edits: an insertion, a deletion, a duplicated line or a cut."""
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(raw)))
        edit = draw(st.sampled_from(["insert", "delete", "duplicate", "cut"]))
        if edit == "insert":
            raw = raw[:at] + draw(st.sampled_from(_INSERTS)) + raw[at:]
        elif edit == "delete":
            raw = raw[:at] + raw[at + draw(st.integers(1, 8)):]
        elif edit == "duplicate":
            start, end = raw.rfind(b"\n", 0, at) + 1, raw.find(b"\n", at)
            raw = raw[:end + 1] + raw[start:end + 1] + raw[end + 1:] if end >= 0 else raw
        else:
            raw = raw[:at]
    return raw


@pytest.mark.parametrize(("name", "minimum_share"), [("mime", 0.75), ("dev", 0.95), ("fixtures", 1.0), ("bench", 1.0)])
def test_every_corpus_message_decodes_identically(name: str, minimum_share: float, record_property) -> None:
    """Each message of each corpus decodes to the stdlib path's result, and most take the fast path."""
    messages = _corpus(name)
    fast, mismatched = 0, []
    for label, raw in messages:
        try:
            fast += same_as_stdlib(raw)
        except AssertionError as error:
            mismatched.append(f"{label}: {str(error)[:300]}")
    record_property("fast_path", f"{fast}/{len(messages)}")
    print(f"\n{name}: {fast} of {len(messages)} messages took the fast path ({100 * fast / len(messages):.1f}%)")
    assert not mismatched, mismatched[:5]
    assert fast >= minimum_share * len(messages)


@pytest.mark.parametrize(("label", "raw"), FAST, ids=[label for label, _ in FAST])
def test_well_formed_edge_cases_take_the_fast_path_identically(label: str, raw: bytes) -> None:
    """Each well-formed edge case (CRLF/LF, preamble, odd spacing, empty parts...) is decoded fast and identically."""
    assert same_as_stdlib(raw), f"{label} was declined"
    assert same_as_stdlib(raw, None)


@pytest.mark.parametrize(("label", "raw"), DECLINED, ids=[label for label, _ in DECLINED])
def test_unusual_messages_are_declined_and_still_decode_identically(label: str, raw: bytes) -> None:
    """Each structure the fast path does not reproduce (defects, message/*, bare CR...) falls back unchanged."""
    assert decode_fast(raw) is None, f"{label} was not declined"
    assert not same_as_stdlib(raw)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from([b"\n", b"\r\n"]), st.data())
def test_generated_mime_structures_decode_identically(eol: bytes, data: st.DataObject) -> None:
    """Random MIME trees (nesting, boundaries, encodings, line ends, look-alike boundary lines) match the stdlib."""
    event("fast" if same_as_stdlib(_entity(data.draw, eol, 0, b"")) else "declined")


_SEEDS = [raw for _, raw in FAST] + [raw for _, raw in DECLINED] + list(itertools.islice(mails(40), 40))
_SEEDS += [p.read_bytes() for p in sorted((FIXTURES / "emails").glob("*.eml"))]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_SEEDS), st.data())
def test_mutated_messages_decode_identically(seed: bytes, data: st.DataObject) -> None:
    """Real and edge-case messages with bytes inserted, deleted, duplicated or cut still match the stdlib."""
    event("fast" if same_as_stdlib(mutate(seed, data.draw)) else "declined")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise_and_match_the_stdlib(raw: bytes) -> None:
    """Arbitrary bytes never make the fast path raise, and whatever it accepts matches the stdlib."""
    same_as_stdlib(raw)


def test_clean_base64_size_is_exact_for_every_short_input() -> None:
    """For every string of up to 7 of ``A = CR LF !``, a size given is exactly the defect-free decoded length."""
    from email._encoded_words import decode_b

    accepted = 0
    for length in range(8):
        for chars in itertools.product(b"A=\r\n!", repeat=length):
            data = bytes(chars)
            size = clean_base64_size(data)
            if size is not None:
                value, defects = decode_b(data.translate(None, b"\r\n"))
                assert (len(value), defects) == (size, []), data
                accepted += 1
    assert accepted > 1000


@given(st.binary(max_size=3000), st.sampled_from([b"\n", b"\r\n"]), st.integers(0, 3))
def test_clean_base64_size_counts_real_attachments(payload: bytes, newline: bytes, cut: int) -> None:
    """Encoded attachments (any line end, padding cut or not) get the exact size, and uncut ones always get one."""
    from email._encoded_words import decode_b

    data = base64.encodebytes(payload).replace(b"\n", newline)
    data = data[: len(data) - cut] if cut else data
    size = clean_base64_size(data)
    if size is not None:
        value, defects = decode_b(data.translate(None, b"\r\n"))
        assert (len(value), defects) == (size, [])
    assert cut or size == len(payload)


_ADDRESS_CHARS = list("aZ9.@<> \"(),:;[]\\-_'+=!#\tЖé")


@given(st.text(alphabet=_ADDRESS_CHARS, max_size=30))
def test_parse_address_is_parseaddr_on_any_text(value: str) -> None:
    """``parse_address`` answers exactly what ``email.utils.parseaddr`` answers, shortcut or not."""
    assert parse_address(value) == email.utils.parseaddr(value)


_WORDS = st.text(alphabet=list("abcXYZ019.!#-_'Жіé"), min_size=1, max_size=6)
_ATOMS = st.text(alphabet=list("abcXYZ019.!#$%&'*+/=?^_`{|}~-"), min_size=1, max_size=8)


@given(st.lists(_WORDS, max_size=3), _ATOMS, _ATOMS, st.sampled_from(["", " "]), st.booleans())
def test_parse_address_shortcut_shapes_match_parseaddr(words: list[str], local: str, domain: str,
                                                       gap: str, bare: bool) -> None:
    """The shapes the shortcut reads (``a@b``, ``<a@b>``, ``Name <a@b>``) match ``parseaddr`` exactly."""
    address = f"{local}@{domain}"
    value = address if bare else (" ".join(words) + gap if words else "") + f"<{address}>"
    assert parse_address(value) == email.utils.parseaddr(value)


_PIECES = st.characters(max_codepoint=0x4FF) | st.sampled_from(["=?", "?=", "ÐŸÐ¾", "â€", "=?utf-8?q?", " \t"])
_HEADER_TEXT = st.lists(_PIECES, max_size=30).map("".join)


@given(_HEADER_TEXT | st.builds("=?utf-8?b?{}?=".format, st.text(max_size=20).map(
    lambda t: base64.b64encode(t.encode()).decode())))
def test_plain_header_text_is_header_text_on_any_text(value: str) -> None:
    """The ASCII shortcut of header decoding gives exactly ``header_text``, for ASCII and any other text."""
    assert plain_header_text(value) == header_text(value)


def test_quoted_printable_and_base64_text_parts_match() -> None:
    """Text parts in quoted-printable and base64 (the payload decoding the fast path redoes) match the stdlib."""
    text = "Показания 04521\nвул. Робоча 5\n".encode("cp1251")
    for encoding, body in (("quoted-printable", quopri.encodestring(text)), ("base64", base64.encodebytes(text))):
        raw = (b"Content-Type: text/plain; charset=windows-1251\nContent-Transfer-Encoding: " + encoding.encode()
               + b"\n\n" + body)
        assert same_as_stdlib(raw)
