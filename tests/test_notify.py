"""Acknowledgement e-mails: who gets one, language, headers and bodies, and sending to a real SMTP server."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import logging
import smtplib
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from hypothesis import given, settings
from hypothesis import strategies as st

from mailworker.notify import (
    Acknowledger,
    AckRequest,
    NotifyError,
    PermanentNotifyError,
    SmtpSettings,
    TransientNotifyError,
    ascii_address,
    build_acknowledgement,
    classify_smtp_error,
    language_of,
    outcome_of,
    reply_subject,
    should_acknowledge,
)

CUSTOMER = "ivan.petrenko@ukr.net"
OWN = ("pokazania@oblenergo.example", "callcenter@oblenergo.example")
RU_TEXT = "Здравствуйте! Передаю показания счётчика 12345 на 01.12.2016. Адрес: ул. Мира 5, кв. 3"
UK_TEXT = "Доброго дня! Прошу прийняти показники лічильника 12345 станом на 1 грудня. Будь ласка."
NOW = datetime(2016, 12, 2, 9, 30, tzinfo=UTC)


def make_request(**changes: Any) -> AckRequest:
    """A posted Russian one-zone request, with ``changes`` applied."""
    base = AckRequest(
        to_address=CUSTOMER, to_name="Иван Петренко", subject="Показания счётчика",
        message_id="<abc123@mail.ukr.net>", references=None, auto_headers={}, text=RU_TEXT,
        decision="accept", reasons=[], readings={"total": 12345}, fixation_date="2016-12-01",
    )
    return dataclasses.replace(base, **changes)


SKIP_CASES: list[tuple[dict[str, Any], str | None]] = [
    ({}, None),
    ({"decision": "review", "reasons": ["consumption_spike"]}, None),
    ({"decision": "review", "reasons": ["no_reading"], "readings": None}, None),
    ({"auto_headers": {"auto-submitted": "no"}}, None),
    ({"auto_headers": {"auto-submitted": "No"}}, None),
    ({"auto_headers": {"auto-submitted": ""}}, None),
    ({"auto_headers": {"precedence": "first-class"}}, None),
    ({"auto_headers": {"x-mailer": "Microsoft Outlook 14.0"}}, None),
    ({"auto_headers": {"return-path": f"<{CUSTOMER}>"}}, None),
    ({"auto_headers": {"x-spam-flag": "NO"}}, None),
    ({"to_address": "Ivan.Petrenko+meter@Ukr.Net"}, None),
    ({"to_address": "ivan@пошта.укр"}, None),
    ({"to_address": f"Иван <{CUSTOMER}>"}, None),
    ({"auto_headers": {"auto-submitted": "auto-replied"}}, "auto_submitted"),
    ({"auto_headers": {"auto-submitted": "auto-generated"}}, "auto_submitted"),
    ({"auto_headers": {"auto-submitted": "auto-replied; owner-email=x@y.z"}}, "auto_submitted"),
    ({"auto_headers": {"auto-submitted": "Auto-Notified"}}, "auto_submitted"),
    ({"auto_headers": {"x-autoreply": "yes"}}, "auto_submitted"),
    ({"auto_headers": {"x-autorespond": "Out of office"}}, "auto_submitted"),
    ({"auto_headers": {"x-auto-response-suppress": "All"}}, "auto_submitted"),
    ({"auto_headers": {"x-auto-response-suppress": "DR, OOF, AutoReply"}}, "auto_submitted"),
    ({"auto_headers": {"precedence": "bulk"}}, "bulk"),
    ({"auto_headers": {"precedence": " Junk "}}, "bulk"),
    ({"auto_headers": {"precedence": "list"}}, "bulk"),
    ({"auto_headers": {"precedence": "auto_reply"}}, "bulk"),
    ({"auto_headers": {"list-id": "<news.oblenergo.example>"}}, "bulk"),
    ({"auto_headers": {"list-unsubscribe": "<mailto:unsub@shop.example>"}}, "bulk"),
    ({"to_address": "MAILER-DAEMON@mx.ukr.net"}, "daemon_sender"),
    ({"to_address": "postmaster@gmail.com"}, "daemon_sender"),
    ({"to_address": "noreply@bank.example"}, "daemon_sender"),
    ({"to_address": "no-reply@accounts.google.com"}, "daemon_sender"),
    ({"to_address": "do-not-reply@shop.example"}, "daemon_sender"),
    ({"to_address": "noreply-alerts@shop.example"}, "daemon_sender"),
    ({"to_address": "owner-list@lists.example"}, "daemon_sender"),
    ({"to_address": "news-request@lists.example"}, "daemon_sender"),
    ({"auto_headers": {"return-path": "<>"}}, "daemon_sender"),
    ({"auto_headers": {"return-path": "<MAILER-DAEMON@mx.example>"}}, "daemon_sender"),
    ({"to_address": ""}, "no_sender"),
    ({"to_address": "   "}, "no_sender"),
    ({"to_address": "not an address"}, "no_sender"),
    ({"to_address": "ivan@"}, "no_sender"),
    ({"to_address": "@ukr.net"}, "no_sender"),
    ({"to_address": "ivan@localhost"}, "no_sender"),
    ({"to_address": "ivan..p@ukr.net"}, "no_sender"),
    ({"to_address": "іван@ukr.net"}, "no_sender"),
    ({"to_address": "ivan@ukr.net\r\nBcc: victim@example.com"}, "no_sender"),
    ({"to_address": "pokazania@oblenergo.example"}, "own_address"),
    ({"to_address": "CallCenter@OBLENERGO.example"}, "own_address"),
    ({"decision": "review", "reasons": ["auto_reply"]}, "auto_reply_or_spam"),
    ({"decision": "review", "reasons": ["spam"]}, "auto_reply_or_spam"),
    ({"decision": "review", "reasons": ["no_reading", "auto_reply"]}, "auto_reply_or_spam"),
    ({"auto_headers": {"x-spam-flag": "YES"}}, "auto_reply_or_spam"),
]


@pytest.mark.parametrize(("changes", "expected"), SKIP_CASES)
def test_should_acknowledge(changes: dict[str, Any], expected: str | None) -> None:
    """Automatic, bulk, bounce, invalid, own and spam senders are refused with a reason; people are not."""
    assert should_acknowledge(make_request(**changes), OWN) == expected


LANGUAGE_CASES = [
    (RU_TEXT, "ru"),
    (UK_TEXT, "uk"),
    ("", "ru"),
    ("12345", "ru"),
    ("Показания 12345", "ru"),
    ("Показники 12345", "uk"),
    ("показники 12345, будь ласка", "uk"),
    ("Будь ласка, прийміть показники", "uk"),
    ("Передаю показания: 5421. Спасибо!", "ru"),
    ("Дякую!", "uk"),
    ("Пожалуйста, примите показания", "ru"),
    ("Добрий день! Лічильник 4567, квартира 12", "uk"),
    ("Добрый день! Счетчик 4567, квартира 12", "ru"),
    ("Показания 12345, ул. Січеславська Набережна 5", "ru"),
    ("Добрый день, передаю показания 4521, просп. Яворницького 12, кв. 4", "ru"),
    ("Адреса: вул. Шевченка 1, кв. 2. Показники: 3456 кВт*год", "uk"),
    ("показникi 3456", "uk"),
    ("лiчильник 3456", "uk"),
    ("Телефон для зв'язку 0671234567", "uk"),
    ("Здравствуйте. Объявление: счётчик 12", "ru"),
    ("Вы можете принять показания? Это срочно", "ru"),
    ("Це показники за грудень, що я вам надсилаю", "uk"),
    ("ПОКАЗНИКИ ЛІЧИЛЬНИКА 9999", "uk"),
    ("ПОКАЗАНИЯ СЧЕТЧИКА 9999", "ru"),
    ("meter reading 12345", "ru"),
    ("Передаю показанія лічильника 30959. Спасибі", "uk"),
]


@pytest.mark.parametrize(("text", "expected"), LANGUAGE_CASES)
def test_language_of(text: str, expected: str) -> None:
    """Ukrainian letters and words make a text Ukrainian; Russian or undecidable text is Russian."""
    assert language_of(text) == expected


SUBJECT_CASES = [
    ("Показания", "Re: Показания"),
    ("Re: Показания", "Re: Показания"),
    ("RE: re: Показания", "Re: Показания"),
    ("Re[2]: Показания", "Re: Показания"),
    ("Отв: Показники", "Re: Показники"),
    ("Fwd: Показания", "Re: Fwd: Показания"),
    ("  Показания\r\n счётчика ", "Re: Показания счётчика"),
    ("Reading", "Re: Reading"),
    ("", "Re: Показания счётчика"),
    ("Re:", "Re: Показания счётчика"),
]


@pytest.mark.parametrize(("subject", "expected"), SUBJECT_CASES)
def test_reply_subject(subject: str, expected: str) -> None:
    """The reply subject has exactly one ``Re:`` prefix and never a line break."""
    assert reply_subject(subject) == expected


def test_reply_subject_default_follows_language() -> None:
    """An empty subject becomes a Ukrainian default for a Ukrainian reply."""
    assert reply_subject("", "uk") == "Re: Показники лічильника"


ADDRESS_CASES = [
    ("a@b.ua", "a@b.ua"),
    ("A.B@UKR.NET", "A.B@ukr.net"),
    ("<a@b.ua>", "a@b.ua"),
    ("Name <a@b.ua>", "a@b.ua"),
    ("a@пошта.укр", "a@" + "пошта.укр".encode("idna").decode()),
    ("", None),
    ("a@b", None),
    ("a b@c.ua", None),
    (".a@b.ua", None),
    ("a@b.ua\n", None),
    ("a@-b.ua", None),
]


@pytest.mark.parametrize(("address", "expected"), ADDRESS_CASES)
def test_ascii_address(address: str, expected: str | None) -> None:
    """Only well-formed addresses pass, as ASCII with a lower-case (punycode) domain."""
    assert ascii_address(address) == expected


def parse(message: EmailMessage) -> EmailMessage:
    """The message as a receiver sees it: serialised to bytes and parsed back."""
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body_of(message: EmailMessage) -> str:
    """The decoded text body of a parsed message."""
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def test_headers_thread_the_reply() -> None:
    """In-Reply-To, References, Auto-Submitted, a new Message-ID and a single Re: are set."""
    request = make_request(subject="Re: Показания", references="<root@x.ua> <abc123@mail.ukr.net> <mid@x.ua>")
    parsed = parse(build_acknowledgement(request, SmtpSettings(), now=NOW))
    assert parsed["In-Reply-To"] == "<abc123@mail.ukr.net>"
    assert parsed["References"].split() == ["<root@x.ua>", "<mid@x.ua>", "<abc123@mail.ukr.net>"]
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["Subject"] == "Re: Показания"
    assert parsed["Message-ID"].endswith("@example.net>") and parsed["Message-ID"] != request.message_id
    assert parsed["To"].addresses[0].addr_spec == CUSTOMER
    assert parsed["From"].addresses[0].display_name == "Call-центр"
    assert parsed["Date"].datetime == NOW


def test_headers_are_ascii_and_utf8_encoded() -> None:
    """Non-ASCII headers go out RFC 2047-encoded and the body is declared UTF-8."""
    raw = build_acknowledgement(make_request(), SmtpSettings(), now=NOW).as_bytes()
    head, _, _body = raw.partition(b"\r\n\r\n")
    head.decode("ascii")
    assert b"=?utf-8?" in head
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_charset() == "utf-8"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


@pytest.mark.parametrize(("message_id", "references", "in_reply_to", "chain"), [
    ("<a@b>", None, "<a@b>", "<a@b>"),
    ("a@b", None, "<a@b>", "<a@b>"),
    ("<a@b>", "<r1@b>", "<a@b>", "<r1@b> <a@b>"),
    ("<a@b>", "garbage <r1@b> more", "<a@b>", "<r1@b> <a@b>"),
])
def test_thread_header_values(message_id: str, references: str | None, in_reply_to: str, chain: str) -> None:
    """Message-IDs get angle brackets and References ends with the parent's Message-ID."""
    request = make_request(message_id=message_id, references=references)
    parsed = parse(build_acknowledgement(request, SmtpSettings()))
    assert parsed["In-Reply-To"] == in_reply_to
    assert " ".join(parsed["References"].split()) == chain


@pytest.mark.parametrize("message_id", [None, "", "not an id with spaces"])
def test_no_thread_headers_without_a_message_id(message_id: str | None) -> None:
    """Without a usable Message-ID the reply still goes out, just without In-Reply-To/References."""
    parsed = parse(build_acknowledgement(make_request(message_id=message_id), SmtpSettings()))
    assert parsed["In-Reply-To"] is None and parsed["References"] is None


def test_long_message_ids_are_folded_not_encoded() -> None:
    """Message-IDs longer than a line are folded between ids and never turned into RFC 2047 words."""
    long_id = "<" + "x" * 120 + "@mail.example.com>"
    request = make_request(message_id=long_id, references="<" + "y" * 90 + "@z.ua> <a@b.ua> " + long_id)
    raw = build_acknowledgement(request, SmtpSettings()).as_bytes()
    head = raw.partition(b"\r\n\r\n")[0]
    assert b"=?" not in head.split(b"In-Reply-To:")[1]
    assert f"In-Reply-To: {long_id}\r\n".encode() in head
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["In-Reply-To"].strip() == long_id
    assert parsed["References"].split() == ["<" + "y" * 90 + "@z.ua>", "<a@b.ua>", long_id]


def test_long_reference_chains_are_trimmed() -> None:
    """A very long References chain keeps its root and the newest ids, at most twenty."""
    references = " ".join(f"<id{n}@x.ua>" for n in range(50))
    parsed = parse(build_acknowledgement(make_request(references=references), SmtpSettings()))
    chain = parsed["References"].split()
    assert len(chain) == 20 and chain[0] == "<id0@x.ua>" and chain[-1] == "<abc123@mail.ukr.net>"


BODY_CASES: list[tuple[dict[str, Any], list[str], list[str]]] = [
    ({}, ["Показания 12345 кВт·ч на 01.12.2016 приняты.", "С уважением,", "Call-центр"], ["Т1"]),
    ({"text": UK_TEXT}, ["Показники 12345 кВт·год на 01.12.2016 прийнято.", "З повагою,"], ["кВт·ч"]),
    ({"readings": {"night": 3586, "day": 11150}},
     ["Показания на 01.12.2016 приняты:", "- день: 11150 кВт·ч\n- ночь: 3586 кВт·ч"], []),
    ({"readings": {"night": 3586, "day": 11150}, "text": UK_TEXT},
     ["Показники на 01.12.2016 прийнято:", "- день: 11150 кВт·год\n- ніч: 3586 кВт·год"], []),
    ({"readings": {"night": 1, "peak": 3, "half_peak": 2}},
     ["- пик: 3 кВт·ч\n- полупик: 2 кВт·ч\n- ночь: 1 кВт·ч"], []),
    ({"readings": {"night": 1, "peak": 3, "half_peak": 2}, "text": UK_TEXT},
     ["- пік: 3 кВт·год\n- напівпік: 2 кВт·год\n- ніч: 1 кВт·год"], []),
    ({"fixation_date": None}, ["Показания 12345 кВт·ч приняты."], []),
    ({"fixation_date": "garbage"}, ["Показания 12345 кВт·ч приняты."], []),
    ({"decision": "review", "reasons": ["consumption_spike"]},
     ["проверит специалист"], ["12345", "лицевого"]),
    ({"decision": "review", "reasons": ["date_stale"], "text": UK_TEXT}, ["перевірить фахівець"], ["12345"]),
    ({"decision": "review", "reasons": ["no_reading"], "readings": None},
     ["не найдены показания", "полный адрес", "номер лицевого счёта", "дату снятия", "контактный телефон"],
     ["проверит"]),
    ({"decision": "review", "reasons": ["no_reading"], "readings": None, "text": UK_TEXT},
     ["не знайдено показників", "повну адресу", "номер особового рахунку", "дату зняття",
      "контактний телефон"],
     ["перевірить"]),
    ({"decision": "review", "reasons": ["reading_in_attachment_only"], "readings": None},
     ["во вложении", "полный адрес"], []),
    ({"decision": "review", "reasons": ["no_account_match", "date_stale"]},
     ["лицевой счёт", "контактный телефон"], ["12345"]),
    ({"decision": "review", "reasons": ["not_a_reading"], "readings": None, "text": UK_TEXT},
     ["не знайдено показників", "повну адресу"], []),
]


@pytest.mark.parametrize(("changes", "present", "absent"), BODY_CASES)
def test_acknowledgement_bodies(changes: dict[str, Any], present: list[str], absent: list[str]) -> None:
    """Posted, review and nothing-usable outcomes say the right thing in the customer's language."""
    body = body_of(parse(build_acknowledgement(make_request(**changes), SmtpSettings(), now=NOW)))
    for fragment in present:
        assert fragment in body
    for fragment in absent:
        assert fragment not in body
    assert "@" not in body


@pytest.mark.parametrize(("decision", "reasons", "expected"), [
    ("accept", [], "posted"),
    ("review", ["consumption_spike"], "review"),
    ("review", [], "review"),
    ("review", ["date_stale", "no_account_match"], "unusable"),
    ("review", ["reading_in_attachment_only"], "unusable"),
    ("duplicate", [], "review"),
])
def test_outcome_of(decision: str, reasons: list[str], expected: str) -> None:
    """Any reason meaning 'nothing usable' outweighs a plain review."""
    assert outcome_of(make_request(decision=decision, reasons=reasons)) == expected


def test_build_rejects_unusable_recipient() -> None:
    """Building a reply to an invalid address is an error, not a silent malformed message."""
    with pytest.raises(ValueError, match="recipient"):
        build_acknowledgement(make_request(to_address="nobody"), SmtpSettings())


@settings(max_examples=150, deadline=None)
@given(st.text(), st.text(max_size=200), st.text(max_size=80),
       st.dictionaries(st.text(max_size=20), st.text()))
def test_no_input_raises(text: str, subject: str, name: str, headers: dict[str, str]) -> None:
    """Any text, subject, name or headers give a language, a verdict and a serialisable ASCII header block."""
    request = make_request(text=text, subject=subject, to_name=name, auto_headers=headers,
                           references=text[:200])
    assert language_of(text) in ("ru", "uk")
    should_acknowledge(request, OWN)
    raw = build_acknowledgement(request, SmtpSettings()).as_bytes()
    raw.partition(b"\r\n\r\n")[0].decode("ascii")


def test_lone_surrogates_and_controls_are_dropped_from_headers() -> None:
    """Undecodable leftovers (lone surrogates) and line breaks in names and subjects never break the reply."""
    request = make_request(subject="Показ\udcffания\r\nBcc: x@y.ua", to_name="Iв\udc80ан\n")
    parsed = parse(build_acknowledgement(request, SmtpSettings()))
    assert parsed["Subject"] == "Re: Показания Bcc: x@y.ua" and parsed["Bcc"] is None
    assert parsed["To"].addresses[0].display_name == "Iван"


@pytest.mark.parametrize(("error", "kind"), [
    (ConnectionRefusedError(111, "refused"), "transient"),
    (TimeoutError("timed out"), "transient"),
    (socket.gaierror(-2, "Name or service not known"), "transient"),
    (smtplib.SMTPServerDisconnected("gone"), "transient"),
    (smtplib.SMTPConnectError(421, "busy"), "transient"),
    (smtplib.SMTPConnectError(554, "blocked"), "permanent"),
    (smtplib.SMTPSenderRefused(451, b"later", "a@b.ua"), "transient"),
    (smtplib.SMTPDataError(552, "too big"), "permanent"),
    (smtplib.SMTPAuthenticationError(535, b"bad credentials"), "permanent"),
    (smtplib.SMTPRecipientsRefused({"a@b.ua": (450, b"greylisted")}), "transient"),
    (smtplib.SMTPRecipientsRefused({"a@b.ua": (550, b"no such user a@b.ua")}), "permanent"),
    (smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."), "permanent"),
    (smtplib.SMTPException("No suitable authentication method found."), "permanent"),
    (ssl.SSLCertVerificationError(1, "certificate verify failed"), "permanent"),
])
def test_classify_smtp_error(error: BaseException, kind: str) -> None:
    """4xx replies and network trouble are transient; 5xx, TLS trust and missing features are permanent."""
    result = classify_smtp_error(error)
    assert isinstance(result, NotifyError) and result.kind == kind
    assert result.transient == (kind == "transient")
    assert "a@b.ua" not in str(result)


# --- a real SMTP server -------------------------------------------------------------------------------


class Collector:
    """An aiosmtpd handler that keeps every envelope and can be told to refuse recipients."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.rcpt_reply: str | None = None
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        """Accept the recipient unless a refusal is configured."""
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keep the envelope."""
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        """Accept user/secret only."""
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"user", b"secret")
        if ok:
            self.logins.append((data.login, data.password))
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Collector, int]]:
    """A plain aiosmtpd server on 127.0.0.1 (AUTH allowed without TLS), shared by this module."""
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port, authenticator=collector.authenticate,
                            auth_require_tls=False, ready_timeout=5.0)
    controller.start()
    yield collector, port
    controller.stop()


@pytest.fixture
def server(smtp_server: tuple[Collector, int]) -> tuple[Collector, int]:
    """The shared server, emptied and accepting again."""
    collector, port = smtp_server
    collector.envelopes.clear()
    collector.logins.clear()
    collector.rcpt_reply = None
    return collector, port


def plain_settings(port: int, **changes: Any) -> SmtpSettings:
    """Enabled settings for the local plain server."""
    base = SmtpSettings(enabled=True, host="127.0.0.1", port=port, security="plain",
                        from_address="pokazania@oblenergo.example", timeout=5.0)
    return dataclasses.replace(base, **changes)


def test_sends_one_message_with_envelope_and_headers(server: tuple[Collector, int],
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """One acknowledgement arrives with our envelope sender, the customer as recipient, and threading."""
    collector, port = server
    caplog.set_level(logging.INFO, logger="mailworker.notify")
    result = Acknowledger(plain_settings(port)).send(make_request(text=UK_TEXT))
    assert result == "sent"
    assert len(collector.envelopes) == 1
    envelope = collector.envelopes[0]
    assert envelope.mail_from == "pokazania@oblenergo.example"
    assert envelope.rcpt_tos == [CUSTOMER]
    received = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert isinstance(received, EmailMessage)
    assert received["In-Reply-To"] == "<abc123@mail.ukr.net>"
    assert received["Auto-Submitted"] == "auto-replied"
    assert received["Subject"] == "Re: Показания счётчика"
    assert "Показники 12345 кВт·год на 01.12.2016 прийнято." in body_of(received)
    assert "@" not in caplog.text and "sent" in caplog.text


@pytest.mark.parametrize(("changes", "expected"), [
    ({"auto_headers": {"auto-submitted": "auto-replied"}}, "skipped:auto_submitted"),
    ({"auto_headers": {"precedence": "bulk"}}, "skipped:bulk"),
    ({"auto_headers": {"list-id": "<x.example>"}}, "skipped:bulk"),
    ({"to_address": "MAILER-DAEMON@mx.example"}, "skipped:daemon_sender"),
    ({"to_address": ""}, "skipped:no_sender"),
    ({"to_address": "pokazania@oblenergo.example"}, "skipped:own_address"),
    ({"to_address": "box@oblenergo.example"}, "skipped:own_address"),
    ({"reasons": ["spam"], "decision": "review"}, "skipped:auto_reply_or_spam"),
])
def test_skipped_requests_send_nothing(server: tuple[Collector, int], changes: dict[str, Any],
                                       expected: str) -> None:
    """Every refused request returns its reason and puts nothing on the wire."""
    collector, port = server
    acknowledger = Acknowledger(plain_settings(port, username=""), own_addresses=["box@oblenergo.example"])
    assert acknowledger.send(make_request(**changes)) == expected
    assert collector.envelopes == []


def test_disabled_sends_nothing(server: tuple[Collector, int]) -> None:
    """With acknowledgements off (the default) nothing is sent."""
    collector, port = server
    assert Acknowledger(dataclasses.replace(plain_settings(port), enabled=False)).send(make_request()) == \
        "skipped:disabled"
    assert collector.envelopes == []


def test_at_most_once_per_message_id(server: tuple[Collector, int]) -> None:
    """A second send for the same Message-ID is skipped; another Message-ID is sent."""
    collector, port = server
    acknowledger = Acknowledger(plain_settings(port))
    assert acknowledger.send(make_request()) == "sent"
    again = make_request(decision="review", reasons=["date_stale"])
    assert acknowledger.send(again) == "skipped:already_sent"
    assert acknowledger.send(make_request(message_id="abc123@mail.ukr.net")) == "skipped:already_sent"
    assert acknowledger.send(make_request(message_id="<other@mail.ukr.net>")) == "sent"
    assert len(collector.envelopes) == 2


def test_at_most_once_without_message_id(server: tuple[Collector, int]) -> None:
    """A message without a Message-ID is recognised again by its sender, subject and text."""
    collector, port = server
    acknowledger = Acknowledger(plain_settings(port))
    assert acknowledger.send(make_request(message_id=None)) == "sent"
    assert acknowledger.send(make_request(message_id=None)) == "skipped:already_sent"
    assert len(collector.envelopes) == 1


def test_server_down_is_transient(server: tuple[Collector, int]) -> None:
    """No server listening gives a transient NotifyError, and the message can be sent later."""
    with pytest.raises(TransientNotifyError) as caught:
        Acknowledger(plain_settings(free_port(), timeout=2.0)).send(make_request())
    assert isinstance(caught.value, NotifyError) and caught.value.kind == "transient"


def test_failed_send_can_be_retried(server: tuple[Collector, int]) -> None:
    """A 4xx refusal is transient and does not count as sent, so the retry goes out."""
    collector, port = server
    acknowledger = Acknowledger(plain_settings(port))
    collector.rcpt_reply = "451 4.7.1 Try again later"
    with pytest.raises(TransientNotifyError):
        acknowledger.send(make_request())
    collector.rcpt_reply = None
    assert acknowledger.send(make_request()) == "sent"
    assert len(collector.envelopes) == 1


def test_rejected_recipient_is_permanent(server: tuple[Collector, int]) -> None:
    """A 5xx recipient refusal is a permanent NotifyError that does not name the address."""
    collector, port = server
    collector.rcpt_reply = f"550 5.1.1 <{CUSTOMER}> no such user"
    with pytest.raises(PermanentNotifyError) as caught:
        Acknowledger(plain_settings(port)).send(make_request())
    assert caught.value.smtp_code == 550 and CUSTOMER not in str(caught.value)


def test_starttls_is_not_silently_skipped(server: tuple[Collector, int]) -> None:
    """With security=starttls a server without STARTTLS is a permanent error, never a plain-text fallback."""
    collector, port = server
    with pytest.raises(PermanentNotifyError):
        Acknowledger(plain_settings(port, security="starttls")).send(make_request())
    assert collector.envelopes == []


def test_login_uses_password_from_environment(server: tuple[Collector, int],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """With a username set, the password comes from the configured environment variable and logs in."""
    collector, port = server
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "secret")
    settings_ = plain_settings(port, username="user", password_env="TEST_SMTP_PASSWORD")
    assert Acknowledger(settings_).send(make_request()) == "sent"
    assert collector.logins == [(b"user", b"secret")]


def test_missing_password_is_permanent(server: tuple[Collector, int],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A username without a password fails permanently before anything is sent."""
    collector, port = server
    monkeypatch.delenv("TEST_SMTP_PASSWORD", raising=False)
    settings_ = plain_settings(port, username="user", password_env="TEST_SMTP_PASSWORD")
    with pytest.raises(PermanentNotifyError, match="TEST_SMTP_PASSWORD"):
        Acknowledger(settings_).send(make_request())
    assert collector.envelopes == []


def test_wrong_password_is_permanent(server: tuple[Collector, int]) -> None:
    """Refused credentials are a permanent error."""
    _collector, port = server
    with pytest.raises(PermanentNotifyError):
        Acknowledger(plain_settings(port, username="user"), password="wrong").send(make_request())


def test_unknown_security_mode_is_refused() -> None:
    """A typo in the security setting is caught when the Acknowledger is made."""
    with pytest.raises(ValueError, match="security"):
        Acknowledger(SmtpSettings(security="tls"))


def test_invalid_from_address_is_refused() -> None:
    """An enabled Acknowledger needs a valid from_address, checked when it is made."""
    with pytest.raises(ValueError, match="from_address"):
        Acknowledger(SmtpSettings(enabled=True, from_address="call centre"))
