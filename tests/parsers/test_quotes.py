"""Tests for parsers.quotes: new text vs quoted history, forwarded messages and signatures."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.html import html_to_text
from parsers.quotes import SplitText, split_quotes

NEW = "Показания на 01.12.2016: 25684\nАдрес: Днепр, ул. Рабочая 23, кв. 1"
BODY = "Уважаемый абонент! Ваши показания 36721 приняты."

# (attribution line(s) that precede ">" quoted lines in a reply)
ATTRIBUTIONS = [
    "пн, 2 янв. 2017 г. в 10:15, Call-центр <callcenter@oblenergo.dp.ua>:",
    "1 декабря 2016 г., 10:15 пользователь Call-центр <callcenter@oblenergo.dp.ua> написал:",
    "1 декабря 2016 г., 10:15 пользователь Call-центр <\ncallcenter@oblenergo.dp.ua> написал:",
    '02.04.2012 14:20 пользователь "bob@x.org" <\nbob@x.org> написал:',
    "01.12.2016 10:15, Call-центр пишет:",
    "03.01.2017 10:12, Call-центр пише:",
    "1 дек. 2016 г., в 10:15, Call-центр <c@oblenergo.dp.ua> написал(а):",
    "1 грудня 2016 р. о 10:15 Call-центр <c@oblenergo.dp.ua> написав(ла):",
    "On Thu, Dec 1, 2016 at 10:15 AM, Bob <b@example.com> wrote:",
    "On Thu, Dec 1, 2016 at 10:15 AM, Bob Smith <\nb@example.com> wrote:",
    "Четверг, 1 декабря 2016, 10:15 +02:00 от Call-центр <c@oblenergo.dp.ua>:",
    '01.12.2016, 10:15, "Call-центр" <c@oblenergo.dp.ua>:',
    "On 04/02/2012 06:26 PM, Megan One wrote:",
]


@pytest.mark.parametrize("attribution", ATTRIBUTIONS)
def test_reply_attribution_and_quoted_lines_go_to_quoted_text(attribution: str) -> None:
    """Every client's attribution line (even wrapped over two lines) and the > lines are quoted."""
    split = split_quotes(f"{NEW}\n\n{attribution}\n\n> {BODY}\n> > старое\n>\n> --\n> Call-центр")
    assert split.new_text == NEW
    assert split.quoted_text.startswith(attribution.split("\n")[0])
    assert BODY in split.quoted_text and "старое" in split.quoted_text
    assert ">" not in split.quoted_text.replace("<", "").split("\n", 2)[-1]
    assert split.forwarded_text == "" and split.signature == ""


# (marker line, header lines) of quoted messages in the Outlook style.
OUTLOOK_BLOCKS = [
    (
        "-----Original Message-----",
        "From: Call-центр [mailto:c@x.ua]\nSent: Monday, January 02, 2017 11:20 AM\n"
        "To: Сергей <s@ukr.net>\nSubject: Показания приняты",
    ),
    (
        "----- Original Message -----",
        "From: c@x.ua\nTo: s@ukr.net\nSent: Monday, April 2, 2012 5:44:22 PM\nSubject: Test",
    ),
    (
        "-----Исходное сообщение-----",
        "От: Call-центр [mailto:c@x.ua]\nОтправлено: 2 января 2017 г. 11:20\n"
        "Кому: Сергей\nТема: Показания приняты",
    ),
    (
        "-----Оригінальне повідомлення-----",
        "Від: Call-центр [mailto:c@x.ua]\nНадіслано: 2 січня 2017 р. 11:20\n"
        "Кому: Сергій\nТема: Показники прийнято",
    ),
    (
        "________________________________",
        "From: Call-центр <c@x.ua>\nSent: Friday, December 2, 2016 9:05 AM\n"
        "To: Владимир\nSubject: RE: Показания",
    ),
    (
        "________________________________",
        "От: Call-центр <c@x.ua>\nОтправлено: 2 декабря 2016 г. 9:05\nКому: Владимир\nТема: RE: Показания",
    ),
    (
        "",
        "From: Call-центр [mailto:c@x.ua]\nSent: Friday, December 2, 2016 9:05 AM\nTo: Владимир\n"
        "Subject: RE: Показания",
    ),
    (
        "",
        "От: Call-центр [mailto:c@x.ua]\nОтправлено: пятница, 2 декабря 2016 г. 9:05\nКому: Владимир\n"
        "Тема: RE: Показания",
    ),
    ("", "Subject: Test\nFrom: c@x.ua\nTo: s@ukr.net\nDate: Mon, 2 Apr 2012 17:44:22 +0400"),
]


@pytest.mark.parametrize(("marker", "headers"), OUTLOOK_BLOCKS)
def test_outlook_original_message_and_header_blocks_start_quoted_history(marker: str, headers: str) -> None:
    """An Original Message marker or a From/Sent/To/Subject block quotes everything after it."""
    block = f"{marker}\n{headers}" if marker else headers
    split = split_quotes(
        f"{NEW}\n\nС уважением, Сергей\n067 908 11 23\n\n{block}\n\n{BODY}\n\nFrom: x\nSent: y\nTo: z"
    )
    assert split.new_text == f"{NEW}\n\nС уважением, Сергей\n067 908 11 23"
    assert split.quoted_text.startswith(block.split("\n")[0])
    assert BODY in split.quoted_text
    assert split.forwarded_text == ""


FORWARD_HEADERS = [
    (
        "---------- Forwarded message ---------",
        "From: Наталья <n@ukr.net>\nDate: Sun, Jan 1, 2017 at 6:20 PM\nSubject: показания\nTo: <c@x.ua>",
    ),
    (
        "---------- Пересылаемое сообщение ----------",
        "От: Наталья <n@ukr.net>\nДата: 1 января 2017 г., 18:20\nТема: показания\nКому: c@x.ua",
    ),
    ("-------- Пересылаемое сообщение --------", '01.01.2017, 18:20, "Наталья" <n@ukr.net>:'),
    (
        "-------- Перенаправленное сообщение --------",
        "Тема: \tпоказания\nДата: \tSun, 1 Jan 2017 18:20:00 +0200\n"
        "От: \tНаталья <n@ukr.net>\nКому: \tc@x.ua",
    ),
    (
        "--- Переслане повідомлення ---",
        "Від: Наталія <n@ukr.net>\nДата: 1 січня 2017, 18:20:00\nТема: показники",
    ),
    (
        "Начало переадресованного сообщения:",
        "\nОт: Наталья <n@ukr.net>\nТема: показания\nДата: 1 января 2017 г., 18:20:00 GMT+2\nКому: c@x.ua",
    ),
    (
        "Begin forwarded message:",
        "\nFrom: Natalia <n@ukr.net>\nSubject: readings\nDate: January 1, 2017 at 18:20\nTo: c@x.ua",
    ),
    (
        "-----Original Message-----",
        "From: Наталья [mailto:n@ukr.net]\nSent: Sunday, January 01, 2017 6:20 PM\n"
        "To: Владимир\nSubject: FW: показания",
    ),
    (
        "________________________________",
        "От: Наталья <n@ukr.net>\nОтправлено: 1 января 2017 г. 18:20\nКому: Владимир\nТема: Fwd: показания",
    ),
]


@pytest.mark.parametrize(("marker", "headers"), FORWARD_HEADERS)
def test_inline_forwards_go_to_forwarded_text_with_their_headers(marker: str, headers: str) -> None:
    """The forwarded body (and its header lines, kept at its top) is forwarded_text; the note stays new."""
    forwarded_body = "Днепродзержинск, ул. Сыровца 12 кв 30\nПоказания на 01.01.2017 - 31145"
    split = split_quotes(
        f"Пересылаю, жена отправила не на тот адрес.\n\n{marker}\n{headers}\n\n{forwarded_body}\n"
    )
    assert split.new_text == "Пересылаю, жена отправила не на тот адрес."
    assert split.forwarded_text.startswith(marker)
    assert split.forwarded_text.endswith(forwarded_body)
    assert split.quoted_text == ""


def test_forwarded_auto_reply_is_quoted_history() -> None:
    """A forwarded auto-reply of the company is quoted text, never a forwarded customer message."""
    text = (
        "Повторяю показания: день 6194, ночь 2031 на 05.01.2017\n\n"
        "---------- Пересылаемое сообщение ----------\nОт: Call-центр <c@x.ua>\n"
        "Дата: 4 января 2017 г., 19:02\nТема: Автоответ: показания\nКому: k@gmail.com\n\n\n"
        "Это автоматическое сообщение. Пример: показания 012345"
    )
    split = split_quotes(text)
    assert split.new_text == "Повторяю показания: день 6194, ночь 2031 на 05.01.2017"
    assert split.forwarded_text == ""
    assert "Пример: показания 012345" in split.quoted_text


def test_history_inside_a_forwarded_message_is_quoted() -> None:
    """An Original Message block inside the forwarded body goes to quoted_text."""
    text = (
        "См. ниже\n---------- Forwarded message ---------\nFrom: A <a@x.ua>\nSubject: показания\n\n"
        "Показания 123\n\n-----Original Message-----\nFrom: B <b@x.ua>\nSent: вчера\nTo: A\n"
        "Subject: вопрос\n\nстарое"
    )
    split = split_quotes(text)
    assert split.forwarded_text.endswith("Показания 123")
    assert split.quoted_text.endswith("старое")


# (signature or footer block at the end of the new text)
SIGNATURES = [
    "-- \nС уважением,\n Александр                          mailto:alex.moroz@meta.ua",
    "--\nОлена",
    "-- \nИванова Татьяна Павловна\nмоб. (097)2214567",
    "Отправлено с iPhone",
    "Отправлено с устройства Samsung Galaxy",
    "Отправлено из мобильной Почты Mail.ru",
    "Надіслано з iPhone",
    "Надіслано з мого Android",
    "Sent from my iPhone",
    "Sent from Yahoo Mail on Android",
    "Get Outlook for Android",
    "Отправлено из приложения Яндекс.Почта",
    "CONFIDENTIALITY NOTICE: This e-mail is intended solely for the addressee.",
    "Это сообщение и любые приложения к нему содержат конфиденциальную информацию.",
    "Інформація, що міститься в цьому листі, є конфіденційною.",
]


@pytest.mark.parametrize("signature", SIGNATURES)
def test_signatures_mobile_footers_and_disclaimers_go_to_signature(signature: str) -> None:
    """A "-- " block, a mobile footer or a legal disclaimer is signature, not new text."""
    split = split_quotes(f"{NEW}\n\n{signature}\n")
    assert split.new_text == NEW
    assert split.signature == "\n".join(line.rstrip() for line in signature.split("\n"))


def test_signature_ends_at_the_quoted_history() -> None:
    """A signature runs only until the next quote boundary."""
    split = split_quotes(f"{NEW}\n-- \nИван\n\n01.12.2016 10:15, Call-центр пишет:\n> {BODY}")
    assert (split.new_text, split.signature) == (NEW, "--\nИван")
    assert BODY in split.quoted_text


# (text, expected new_text, expected quoted_text) for quoting without a header.
QUOTE_LAYOUTS = [
    ("> старое\n\nновое", "новое", "старое"),
    (">> совсем старое\n> старое\nновое", "новое", "совсем старое\nстарое"),
    ("> > a\n>b\nc", "c", "a\nb"),
    ("вопрос?\n> ответ\nещё вопрос\n> ответ 2", "вопрос?\nещё вопрос", "ответ\nответ 2"),
    ("01.12.2016 10:15, Bob пишет:\n> q\n\nmy answer", "my answer", "01.12.2016 10:15, Bob пишет:\nq"),
    ("just text", "just text", ""),
    ("Сосед пишет:\nПоказания 123", "Сосед пишет:\nПоказания 123", ""),
    (
        "Тема: показания\nДата: 01.12.2016\nПоказания 123",
        "Тема: показания\nДата: 01.12.2016\nПоказания 123",
        "",
    ),
    ("Я вам уже писал 01.12:\nПоказания 123", "Я вам уже писал 01.12:\nПоказания 123", ""),
    ("a\r\nb\r\n> c", "a\nb", "c"),
    ("", "", ""),
    ("\n\n\n", "", ""),
]


@pytest.mark.parametrize(("text", "new", "quoted"), QUOTE_LAYOUTS)
def test_quote_layouts_without_headers(text: str, new: str, quoted: str) -> None:
    """> lines are quoted at any depth and place; plain customer lines stay new."""
    split = split_quotes(text)
    assert (split.new_text, split.quoted_text) == (new, quoted)


def test_outlook_reply_where_new_text_has_no_reading_keeps_quoted_original() -> None:
    """A reply adding only an address keeps the quoted original's reading in quoted_text."""
    text = (
        "Адрес: г. Днепр, ул. Лесопильная 14, частный дом.\n\nFrom: Call-центр [mailto:c@x.ua] \n"
        "Sent: Friday, December 2, 2016 9:05 AM\nTo: В. <v@ukr.net>\nSubject: RE: Показания\n\n"
        "Укажите адрес.\n\nFrom: В. [mailto:v@ukr.net] \nSent: Thursday, December 1, 2016 8:40 PM\n"
        "To: c@x.ua\nSubject: Показания\n\nПоказания на 01.12.2016 - 39690"
    )
    split = split_quotes(text)
    assert split.new_text == "Адрес: г. Днепр, ул. Лесопильная 14, частный дом."
    assert split.quoted_text.endswith("Показания на 01.12.2016 - 39690")


def test_html_blockquote_is_seen_as_quoted() -> None:
    """A Gmail HTML reply converted by html_to_text splits like the plain-text reply."""
    html = (
        '<div dir="ltr">Показания на 1-е число: 36867<br><br>пн, 2 янв. 2017 г. в 10:15, Call-центр '
        '&lt;c@x.ua&gt; пишет:<br><blockquote class="gmail_quote">Ваши показания 36721 приняты.<br>--<br>'
        "Call-центр</blockquote></div>"
    )
    split = split_quotes(html_to_text(html))
    assert split.new_text == "Показания на 1-е число: 36867"
    assert "36721" in split.quoted_text and split.signature == ""


def _content_lines(text: str) -> Counter[str]:
    """Non-blank lines without quote markers or surrounding whitespace."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return Counter(s for s in (re.sub(r"^\s*(?:>[ \t]?)+", "", line).strip() for line in lines) if s)


def _parts(split: SplitText) -> str:
    return "\n".join((split.new_text, split.quoted_text, split.forwarded_text, split.signature))


LINES = st.sampled_from([
    "> q", ">> qq", "-- ", "--", "Отправлено с iPhone", "-----Original Message-----", "From: a <a@x>",
    "Sent: now", "To: b", "Subject: FW: x", "Тема: Автоответ", "От: c", "Дата: 1 января", "Кому: d",
    "---------- Forwarded message ---------", "01.12.2016 10:15, X пишет:", "X <", "x@y> wrote:", "",
    "Показания 12345", "________________________________", "CONFIDENTIAL: intended for", "текст",
])  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(LINES, st.text(max_size=30)), max_size=25).map("\n".join))
def test_no_line_is_lost_or_invented(text: str) -> None:
    """Every non-blank input line is in exactly one part (quote markers removed), and nothing raises."""
    assert _content_lines(_parts(split_quotes(text))) == _content_lines(text)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_splits_without_raising(text: str) -> None:
    """Arbitrary text never makes split_quotes raise and always gives four strings."""
    split = split_quotes(text)
    assert all(
        isinstance(part, str)
        for part in (split.new_text, split.quoted_text, split.forwarded_text, split.signature)
    )
