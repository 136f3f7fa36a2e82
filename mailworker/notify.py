"""Acknowledgement e-mails to customers: who gets one, in which language, what it says, and SMTP sending.

This is the only module that talks SMTP.  A reply is an RFC 3834 automatic
response (``Auto-Submitted: auto-replied``), threaded under the customer's
message, and never sent to other automatic mail, to mailing lists, to
bounce senders or to ourselves.  Addresses and phones are never logged.
"""

from __future__ import annotations

import email.policy
import email.utils
import hashlib
import logging
import os
import re
import smtplib
import ssl
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from typing import cast

log = logging.getLogger(__name__)

SECURITY_MODES = ("starttls", "ssl", "plain")
UNUSABLE_REASONS = frozenset({"no_reading", "not_a_reading", "reading_in_attachment_only",
                              "no_account_match"})
REGISTER_ORDER = ("total", "day", "peak", "half_peak", "night")
MAX_REFERENCES = 20

_UK_LETTERS = re.compile(r"[іїєґІЇЄҐ]|(?<=[а-яА-Я])[iI]|[iI](?=[а-яА-Я])|(?<=[а-яА-Я])['’ʼ](?=[а-яА-Я])")
_RU_LETTERS = re.compile(r"[ыэъёЫЭЪЁ]")
_WORD = re.compile(r"[^\W\d_]+(?:['’ʼ][^\W\d_]+)?")
_UK_WORDS = frozenset({
    "і", "й", "та", "це", "що", "як", "або", "показники", "показник", "показників", "будь", "ласка",
    "дякую", "лічильника", "лічильник", "лічильників", "прийняти", "станом", "повагою", "доброго",
    "добрий", "вітаю", "будинок", "рахунку", "особовий",
})
_RU_WORDS = frozenset({
    "и", "это", "что", "как", "или", "показания", "показание", "пожалуйста", "спасибо", "счетчика",
    "счетчик", "счётчика", "счётчик", "принять", "уважением", "здравствуйте", "дом", "лицевой", "счет",
})
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|отв|ответ|відп|відповідь)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*)+",
                           re.IGNORECASE)
_MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+>")
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9-]+)*\.[A-Za-z0-9-]{2,}$")
_ADDRESS_IN_TEXT = re.compile(r"[^\s<>\"']+@[^\s<>\"']+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_DAEMON_LOCALS = frozenset({
    "mailer-daemon", "mailer_daemon", "maildaemon", "postmaster", "noreply", "no-reply", "no_reply",
    "donotreply", "do-not-reply", "do_not_reply", "bounce", "bounces", "listserv", "majordomo",
})
_DAEMON_PREFIXES = ("noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply", "owner-")
_DAEMON_SUFFIXES = ("-request", "-bounces", "-owner")
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply", "auto-reply"})
_SUPPRESSING_TOKENS = frozenset({"all", "autoreply", "oof"})


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how acknowledgements are sent; the password comes from the environment."""

    enabled: bool = False
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # starttls | ssl | plain
    username: str = ""
    password_env: str = "MAILWORKER_SMTP_PASSWORD"
    from_address: str = "noreply@example.net"
    from_name: str = "Call-центр"
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class AckRequest:
    """What an acknowledgement needs to know about one decided customer message."""

    to_address: str
    to_name: str
    subject: str
    message_id: str | None
    references: str | None
    auto_headers: dict[str, str]
    text: str
    decision: str
    reasons: list[str]
    readings: dict[str, int] | None
    fixation_date: str | None


class NotifyError(Exception):
    """Sending an acknowledgement failed; ``kind`` says whether trying again later can help."""

    kind = "permanent"
    transient = False

    def __init__(self, message: str, smtp_code: int | None = None) -> None:
        super().__init__(message)
        self.smtp_code = smtp_code


class TransientNotifyError(NotifyError):
    """A failure that may go away: server down, timeout, 4xx reply."""

    kind = "transient"
    transient = True


class PermanentNotifyError(NotifyError):
    """A failure that will repeat: 5xx reply, TLS verification, no STARTTLS, missing password."""

    kind = "permanent"
    transient = False


# --- who gets an acknowledgement -------------------------------------------------------------------


def ascii_address(address: str) -> str | None:
    """The bare address in ASCII (IDN domain as punycode), or None when it is not a usable address."""
    if not address or _CONTROL.search(address):
        return None
    _name, bare = email.utils.parseaddr(address)
    local, at, domain = bare.strip().rpartition("@")
    if not at or not _LOCAL_PART.match(local) or local.startswith(".") or ".." in local:
        return None
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if not _DOMAIN.match(domain):
        return None
    return f"{local}@{domain.lower()}"


def _is_daemon(address: str) -> bool:
    local = address.rpartition("@")[0].lower().split("+", 1)[0]
    return (local in _DAEMON_LOCALS or local.startswith(_DAEMON_PREFIXES)
            or local.endswith(_DAEMON_SUFFIXES))


def _header(request: AckRequest, name: str) -> str:
    return " ".join(request.auto_headers.get(name, "").split()).lower()


def _is_auto_submitted(request: AckRequest) -> bool:
    auto_submitted = _header(request, "auto-submitted").split(";", 1)[0].strip()
    if auto_submitted not in ("", "no"):
        return True
    if _header(request, "x-autoreply") or _header(request, "x-autorespond"):
        return True
    suppress = {token.strip() for token in _header(request, "x-auto-response-suppress").split(",")}
    return bool(suppress & _SUPPRESSING_TOKENS)


def _is_bulk(request: AckRequest) -> bool:
    if _header(request, "precedence") in _BULK_PRECEDENCE:
        return True
    return bool(_header(request, "list-id") or _header(request, "list-unsubscribe"))


def _is_bounce_path(request: AckRequest) -> bool:
    if "return-path" not in request.auto_headers:
        return False
    path = _header(request, "return-path").strip("<> ")
    return not path or _is_daemon(path)


def _is_auto_reply_or_spam(request: AckRequest) -> bool:
    if any("auto_reply" in reason or "spam" in reason for reason in request.reasons):
        return True
    return _header(request, "x-spam-flag").startswith("yes")


def should_acknowledge(request: AckRequest, own_addresses: Sequence[str]) -> str | None:
    """None when the customer should get an acknowledgement, else the reason why not."""
    address = ascii_address(request.to_address)
    if address is None:
        return "no_sender"
    own = {(ascii_address(item) or "").lower() for item in own_addresses} - {""}
    if address.lower() in own:
        return "own_address"
    if _is_daemon(address) or _is_bounce_path(request):
        return "daemon_sender"
    if _is_auto_submitted(request):
        return "auto_submitted"
    if _is_bulk(request):
        return "bulk"
    if _is_auto_reply_or_spam(request):
        return "auto_reply_or_spam"
    return None


# --- language ---------------------------------------------------------------------------------------


def language_of(text: str) -> str:
    """``"uk"`` when the text reads as Ukrainian (letters і ї є ґ, Ukrainian words), else ``"ru"``."""
    sample = text[:20_000]
    uk_score = len(_UK_LETTERS.findall(sample))
    ru_score = len(_RU_LETTERS.findall(sample))
    for word in _WORD.findall(sample.lower()):
        word = word.replace("’", "'").replace("ʼ", "'")
        if word in _UK_WORDS:
            uk_score += 3
        elif word in _RU_WORDS:
            ru_score += 3
    return "uk" if uk_score > ru_score else "ru"


# --- the message ------------------------------------------------------------------------------------

_TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "greeting": "Здравствуйте!",
        "unit": "кВт·ч",
        "accepted_one": "Показания {value} {unit}{on_date} приняты.",
        "accepted_many": "Показания{on_date} приняты:",
        "accepted_none": "Ваши показания{on_date} приняты.",
        "on_date": " на {date}",
        "review": "Ваше письмо с показаниями получено. Его проверит специалист; "
                  "если понадобятся уточнения, мы с вами свяжемся.",
        "unusable": "Ваше письмо получено, но принять по нему показания не удалось.",
        "no_reading": "В письме не найдены показания счётчика.",
        "reading_in_attachment_only": "Показания во вложении (фото, файл) автоматически не принимаются — "
                                      "напишите их, пожалуйста, в тексте письма.",
        "no_account_match": "По указанным данным не удалось найти лицевой счёт.",
        "not_a_reading": "В письме не найдены показания счётчика.",
        "include": "Чтобы передать показания, отправьте письмо и укажите в нём:\n"
                   "- полный адрес (населённый пункт, улица, дом, квартира);\n"
                   "- номер лицевого счёта;\n"
                   "- показания счётчика (для двух- и трёхзонного счётчика — по каждой зоне);\n"
                   "- дату снятия показаний;\n"
                   "- контактный телефон.",
        "automatic": "Это письмо отправлено автоматически.",
        "regards": "С уважением,",
        "subject": "Показания счётчика",
        "total": "общий", "day": "день", "night": "ночь", "peak": "пик", "half_peak": "полупик",
    },
    "uk": {
        "greeting": "Доброго дня!",
        "unit": "кВт·год",
        "accepted_one": "Показники {value} {unit}{on_date} прийнято.",
        "accepted_many": "Показники{on_date} прийнято:",
        "accepted_none": "Ваші показники{on_date} прийнято.",
        "on_date": " на {date}",
        "review": "Ваш лист із показниками отримано. Його перевірить фахівець; "
                  "якщо знадобляться уточнення, ми з вами зв'яжемося.",
        "unusable": "Ваш лист отримано, але прийняти за ним показники не вдалося.",
        "no_reading": "У листі не знайдено показників лічильника.",
        "reading_in_attachment_only": "Показники у вкладенні (фото, файл) автоматично не приймаються — "
                                      "напишіть їх, будь ласка, у тексті листа.",
        "no_account_match": "За вказаними даними не вдалося знайти особовий рахунок.",
        "not_a_reading": "У листі не знайдено показників лічильника.",
        "include": "Щоб передати показники, надішліть лист і вкажіть у ньому:\n"
                   "- повну адресу (населений пункт, вулиця, будинок, квартира);\n"
                   "- номер особового рахунку;\n"
                   "- показники лічильника (для дво- і тризонного лічильника — за кожною зоною);\n"
                   "- дату зняття показників;\n"
                   "- контактний телефон.",
        "automatic": "Цей лист надіслано автоматично.",
        "regards": "З повагою,",
        "subject": "Показники лічильника",
        "total": "загальний", "day": "день", "night": "ніч", "peak": "пік", "half_peak": "напівпік",
    },
}


def outcome_of(request: AckRequest) -> str:
    """``"posted"``, ``"review"`` or ``"unusable"`` (nothing usable: tell the customer what to include)."""
    if request.decision == "accept":
        return "posted"
    if UNUSABLE_REASONS.intersection(request.reasons):
        return "unusable"
    return "review"


def _on_date(fixation_date: str | None, texts: dict[str, str]) -> str:
    try:
        day = date.fromisoformat((fixation_date or "").strip()[:10])
    except ValueError:
        return ""
    return texts["on_date"].format(date=day.strftime("%d.%m.%Y"))


def _posted_lines(request: AckRequest, texts: dict[str, str]) -> list[str]:
    on_date = _on_date(request.fixation_date, texts)
    readings = request.readings or {}
    if not readings:
        return [texts["accepted_none"].format(on_date=on_date)]
    if len(readings) == 1 and "total" in readings:
        return [texts["accepted_one"].format(value=readings["total"], unit=texts["unit"], on_date=on_date)]
    rank = {key: index for index, key in enumerate(REGISTER_ORDER)}
    ordered = sorted(readings, key=lambda key: (rank.get(key, len(rank)), key))
    lines = [texts["accepted_many"].format(on_date=on_date)]
    lines += [f"- {texts.get(key, key)}: {readings[key]} {texts['unit']}" for key in ordered]
    return lines


def _unusable_lines(request: AckRequest, texts: dict[str, str]) -> list[str]:
    lines = [texts["unusable"]]
    for reason in dict.fromkeys(request.reasons):
        sentence = texts.get(reason) if reason in UNUSABLE_REASONS else None
        if sentence and sentence not in lines:
            lines.append(sentence)
    return [" ".join(lines), "", texts["include"]]


def acknowledgement_body(request: AckRequest, language: str, signature: str) -> str:
    """The plain-text body for the request's outcome, in ``language``."""
    texts = _TEXTS.get(language, _TEXTS["ru"])
    outcome = outcome_of(request)
    if outcome == "posted":
        middle = _posted_lines(request, texts)
    elif outcome == "unusable":
        middle = _unusable_lines(request, texts)
    else:
        middle = [texts["review"]]
    lines = [texts["greeting"], "", *middle, "", texts["automatic"], "", texts["regards"], signature]
    return "\n".join(lines) + "\n"


def one_line(text: str) -> str:
    """``text`` as one header-safe line: control characters, lone surrogates and extra spaces removed."""
    encodable = text.encode("utf-8", "ignore").decode("utf-8")
    return " ".join(_CONTROL.sub(" ", encodable).split())


def reply_subject(subject: str, language: str = "ru") -> str:
    """``Re: <subject>`` with any existing reply prefixes folded into one."""
    clean = one_line(subject)
    rest = _REPLY_PREFIX.sub("", clean).strip()
    return f"Re: {rest or _TEXTS.get(language, _TEXTS['ru'])['subject']}"


def normalized_message_id(value: str | None) -> str | None:
    """The first ``<id>`` in a Message-ID header value (brackets added to a bare id), or None."""
    found = _MESSAGE_ID.findall(value or "")
    if found:
        return str(found[0])
    bare = f"<{(value or '').strip()}>"
    return bare if value and _MESSAGE_ID.fullmatch(bare) else None


def _thread_headers(message_id: str | None, references: str | None) -> tuple[str | None, str | None]:
    parent = normalized_message_id(message_id)
    if parent is None:
        return None, None
    chain = [ref for ref in _MESSAGE_ID.findall(references or "") if ref != parent] + [parent]
    if len(chain) > MAX_REFERENCES:
        chain = chain[:1] + chain[-(MAX_REFERENCES - 1):]
    return parent, " ".join(chain)


class MessageIdListHeader(UnstructuredHeader):
    """In-Reply-To/References: folded between ids only, never RFC 2047-encoded however long an id is."""

    name: str  # provided by BaseHeader, which the registry mixes in at run time

    def fold(self, *, policy: email.policy.Policy) -> str:
        """The header folded at the spaces between message ids."""
        width = policy.max_line_length or 78
        lines = [f"{self.name}:"]
        for index, token in enumerate(str(self).split()):
            if index and len(lines[-1]) + 1 + len(token) > width:
                lines.append("")
            lines[-1] += f" {token}"
        return policy.linesep.join(lines) + policy.linesep


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("in-reply-to", cast("type[BaseHeader]", MessageIdListHeader))
_HEADERS.map_to_type("references", cast("type[BaseHeader]", MessageIdListHeader))
REPLY_POLICY = email.policy.SMTP.clone(header_factory=_HEADERS)


def _display_name(name: str, address: str) -> str:
    clean = one_line(name)[:100]
    return "" if clean.lower() == address.lower() else clean


def build_acknowledgement(request: AckRequest, settings: SmtpSettings,
                          now: datetime | None = None) -> EmailMessage:
    """The acknowledgement message for ``request`` (raises ValueError when an address is unusable)."""
    to_address, from_address = ascii_address(request.to_address), ascii_address(settings.from_address)
    if to_address is None or from_address is None:
        raise ValueError("acknowledgement needs a valid recipient and from_address")
    language = language_of(request.text)
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    message = EmailMessage(policy=REPLY_POLICY)
    message["From"] = Address(_display_name(settings.from_name, from_address), addr_spec=from_address)
    message["To"] = Address(_display_name(request.to_name, to_address), addr_spec=to_address)
    message["Subject"] = reply_subject(request.subject, language)
    message["Date"] = email.utils.format_datetime(moment)
    message["Message-ID"] = email.utils.make_msgid(domain=from_address.rpartition("@")[2])
    in_reply_to, references = _thread_headers(request.message_id, request.references)
    if in_reply_to and references:
        message["In-Reply-To"] = in_reply_to
        message["References"] = references
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message["Content-Language"] = language
    signature = one_line(settings.from_name)
    message.set_content(acknowledgement_body(request, language, signature), charset="utf-8", cte="base64")
    return message


# --- sending ----------------------------------------------------------------------------------------


def _redact(text: str) -> str:
    return _ADDRESS_IN_TEXT.sub("<address>", text)[:300]


def _reply_error(code: int, text: object, what: str) -> NotifyError:
    detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    error_type = TransientNotifyError if 400 <= code < 500 or code < 0 else PermanentNotifyError
    return error_type(f"SMTP {what} refused: {code} {_redact(detail)}", smtp_code=code)


def classify_smtp_error(error: BaseException) -> NotifyError:
    """The NotifyError (transient or permanent) for an exception raised while talking SMTP."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()] or [550]
        worst = max(codes)
        transient = all(400 <= code < 500 for code in codes)
        error_type = TransientNotifyError if transient else PermanentNotifyError
        return error_type(f"SMTP recipient refused: {worst}", smtp_code=worst)
    if isinstance(error, smtplib.SMTPResponseException):
        return _reply_error(error.smtp_code, error.smtp_error, type(error).__name__)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return TransientNotifyError(f"SMTP server disconnected: {_redact(str(error))}")
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return PermanentNotifyError(f"SMTP server does not support: {_redact(str(error))}")
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = getattr(error, "verify_message", "") or str(error)
        return PermanentNotifyError(f"SMTP TLS certificate not trusted: {detail}")
    if isinstance(error, smtplib.SMTPException):
        return PermanentNotifyError(f"SMTP failed: {type(error).__name__}: {_redact(str(error))}")
    if isinstance(error, OSError):
        return TransientNotifyError(f"SMTP connection: {type(error).__name__}: {_redact(str(error))}")
    return PermanentNotifyError(f"SMTP failed: {type(error).__name__}: {_redact(str(error))}")


class Acknowledger:
    """Sends acknowledgements over SMTP, at most once per original Message-ID for this instance."""

    def __init__(self, settings: SmtpSettings, password: str | None = None, *,
                 own_addresses: Sequence[str] = ()) -> None:
        if settings.security not in SECURITY_MODES:
            raise ValueError(f"smtp security must be one of {SECURITY_MODES}: {settings.security!r}")
        if settings.enabled and ascii_address(settings.from_address) is None:
            raise ValueError("smtp from_address is not a valid e-mail address")
        self.settings = settings
        self.own_addresses = (settings.username, settings.from_address, *own_addresses)
        self._password = password
        self._done: set[str] = set()
        self._lock = threading.Lock()

    def send(self, request: AckRequest) -> str:
        """Send the acknowledgement: ``"sent"`` or ``"skipped:<reason>"``; NotifyError on SMTP failure."""
        if not self.settings.enabled:
            return "skipped:disabled"
        reason = should_acknowledge(request, self.own_addresses)
        if reason is not None:
            log.info("acknowledgement skipped: %s", reason)
            return f"skipped:{reason}"
        key = _dedup_key(request)
        with self._lock:
            if key in self._done:
                return "skipped:already_sent"
            self._done.add(key)
        try:
            message = build_acknowledgement(request, self.settings)
            self._transmit(message, str(ascii_address(request.to_address)))
        except BaseException:
            with self._lock:
                self._done.discard(key)
            raise
        log.info("acknowledgement sent: outcome=%s language=%s", outcome_of(request),
                 message.get("Content-Language", ""))
        return "sent"

    def _transmit(self, message: EmailMessage, recipient: str) -> None:
        sender = str(ascii_address(self.settings.from_address))
        password = self._resolve_password()
        try:
            with self._connect() as client:
                if self.settings.username:
                    client.login(self.settings.username, password)
                client.send_message(message, from_addr=sender, to_addrs=[recipient])
        except (smtplib.SMTPException, OSError) as error:
            raise classify_smtp_error(error) from error

    def _resolve_password(self) -> str:
        if not self.settings.username:
            return ""
        password = self._password
        if password is None:
            password = os.environ.get(self.settings.password_env)
        if not password:
            raise PermanentNotifyError(f"SMTP username is set but ${self.settings.password_env} is empty")
        return password

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        context = ssl.create_default_context()
        if settings.security == "ssl":
            return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            client.ehlo()
            if settings.security == "starttls":
                client.starttls(context=context)
                client.ehlo()
        except BaseException:
            client.close()
            raise
        return client


def _dedup_key(request: AckRequest) -> str:
    message_id = normalized_message_id(request.message_id)
    if message_id is not None:
        return message_id
    digest = hashlib.sha256("\x00".join((request.to_address, request.subject, request.text)).encode())
    return "sha256:" + digest.hexdigest()
