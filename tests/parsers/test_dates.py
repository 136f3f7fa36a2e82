"""Tests for parsers.dates: the message date and fixation-date candidates."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.dates import KYIV, date_spans, find_fixation_dates, message_datetime

SKIPPED_LABELS = {"header", "previous", "range", "example"}


def kyiv(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An aware Kyiv datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=KYIV)


def best_date(text: str, reference: datetime) -> date | None:
    """The value of the most confident usable candidate, as a caller would choose it."""
    usable = [c for c in find_fixation_dates(text, reference) if c.label not in SKIPPED_LABELS]
    if not usable:
        return None
    return max(usable, key=lambda c: (c.confidence, -c.span[0])).value


REF = kyiv(2017, 1, 2, 12, 0)  # Monday 2 January 2017

# (text, expected date, expected label) with REF as the message date.
FORMS = [
    ("Показания на 01.12.2016: 25684", date(2016, 12, 1), "explicit"),
    ("на 1.12.16 - 26092", date(2016, 12, 1), "explicit"),
    ("дата 01/12/2016", date(2016, 12, 1), "explicit"),
    ("2016-12-01", date(2016, 12, 1), "explicit"),
    ("2016.12.01", date(2016, 12, 1), "explicit"),
    ("01-12-2016", date(2016, 12, 1), "explicit"),
    ("01.12.2016г.", date(2016, 12, 1), "explicit"),
    ("на 01.12.2016 г. показания", date(2016, 12, 1), "explicit"),
    ("03.01.17", date(2017, 1, 3), "explicit"),
    ("01.12.2017", date(2017, 12, 1), "explicit"),
    ("1 декабря 2016", date(2016, 12, 1), "explicit"),
    ("1 декабря 2016 г.", date(2016, 12, 1), "explicit"),
    ("1 грудня 2016 р.", date(2016, 12, 1), "explicit"),
    ("станом на 1 січня 2017 року", date(2017, 1, 1), "explicit"),
    ("1 дек. 2016", date(2016, 12, 1), "explicit"),
    ("першого грудня 2016", date(2016, 12, 1), "explicit"),
    ("1.XII.2016", date(2016, 12, 1), "explicit"),
    ("Dec 1, 2016", date(2016, 12, 1), "explicit"),
    ("1 декабря", date(2016, 12, 1), "no_year"),
    ("1-го декабря", date(2016, 12, 1), "no_year"),
    ("1го декабря", date(2016, 12, 1), "no_year"),
    ("1-е декабря", date(2016, 12, 1), "no_year"),
    ("3-го января", date(2016, 1, 3), "no_year"),
    ("2 января", date(2017, 1, 2), "no_year"),
    ("31 декабря", date(2016, 12, 31), "no_year"),
    ("1 грудня", date(2016, 12, 1), "no_year"),
    ("1 січня", date(2017, 1, 1), "no_year"),
    ("1 сiчня", date(2017, 1, 1), "no_year"),
    ("1 листопада", date(2016, 11, 1), "no_year"),
    ("15 мая", date(2016, 5, 15), "no_year"),
    ("1 ЯНВАРЯ", date(2017, 1, 1), "no_year"),
    ("на 1.XII", date(2016, 12, 1), "no_year"),
    ("на 1.02", date(2016, 2, 1), "no_year"),
    ("на 01.12", date(2016, 12, 1), "no_year"),
    ("Показания на 1.02: 21 157", date(2016, 2, 1), "no_year"),
    ("012345, 01.12", date(2016, 12, 1), "no_year"),
    ("01.12", date(2016, 12, 1), "no_year"),
    ("первого декабря", date(2016, 12, 1), "no_year"),
    ("на 1-е число", date(2017, 1, 1), "day_of_month"),
    ("на 1-ше число", date(2017, 1, 1), "day_of_month"),
    ("на 1 число", date(2017, 1, 1), "day_of_month"),
    ("1-го числа", date(2017, 1, 1), "day_of_month"),
    ("первого числа", date(2017, 1, 1), "day_of_month"),
    ("на перше число", date(2017, 1, 1), "day_of_month"),
    ("на 2 число", date(2017, 1, 2), "day_of_month"),
    ("на 3 число", date(2016, 12, 3), "day_of_month"),
    ("на 31 число", date(2016, 12, 31), "day_of_month"),
    ("сегодня", date(2017, 1, 2), "relative"),
    ("на сегодня", date(2017, 1, 2), "relative"),
    ("Сегодня", date(2017, 1, 2), "relative"),
    ("на сегодняшний день", date(2017, 1, 2), "relative"),
    ("вчера", date(2017, 1, 1), "relative"),
    ("сняла вчера", date(2017, 1, 1), "relative"),
    ("позавчера", date(2016, 12, 31), "relative"),
    ("сьогодні", date(2017, 1, 2), "relative"),
    ("на сьогодні", date(2017, 1, 2), "relative"),
    ("учора", date(2017, 1, 1), "relative"),
    ("вчора", date(2017, 1, 1), "relative"),
    ("позавчора", date(2016, 12, 31), "relative"),
    ("зняті учора", date(2017, 1, 1), "relative"),
]


@pytest.mark.parametrize(("text", "expected", "label"), FORMS)
def test_each_written_form_resolves_to_its_date(text: str, expected: date, label: str) -> None:
    """Every supported way of writing a date yields that date with the right label."""
    candidates = [c for c in find_fixation_dates(text, REF) if c.label not in SKIPPED_LABELS]
    assert [(c.value, c.label) for c in candidates] == [(expected, label)]


NOT_DATES = [
    "12345,6",
    "Показания 32259,1",
    "Показания: 15393.1",
    "Оплатила 245,60 грн",
    "12.10 грн",
    "на 1.5 кВт",
    "5.5%",
    "д.12/1",
    "буд. 12/1",
    "кв.12.05",
    "в 10:15",
    "18:20",
    "067-190-23-46",
    "8-067-631-44-20",
    "097-118-40-55",
    "192.168.0.186",
    "Трубников 22-41",
    "1 # 001952",
    "1#003613",
    "Т1 13783",
    "день 16038",
    "1 500 грн",
    "50x30 мм",
    "НИК 2102",
    "31.02.2016",
    "32.12",
    "12.13",
    "1.2",
    "показания за декабрь",
    "Счетчик № 54205062",
    "навчора",
    "лист 1 лист",
    "",
    "   ",
]


@pytest.mark.parametrize("text", NOT_DATES)
def test_numbers_that_are_not_dates_give_no_usable_candidate(text: str) -> None:
    """Decimals, money, times, phones, addresses and serials are not taken for dates."""
    assert best_date(text, REF) is None


# (text, message datetime, expected) for year-less and relative dates near year and month ends.
RESOLUTION = [
    ("31 декабря", kyiv(2017, 1, 2, 9, 30), date(2016, 12, 31)),
    ("на 01.12", kyiv(2016, 11, 30, 21, 15), date(2015, 12, 1)),
    ("на 01.12", kyiv(2016, 12, 1, 0, 5), date(2016, 12, 1)),
    ("1 февраля", kyiv(2017, 2, 2), date(2017, 2, 1)),
    ("29 февраля", kyiv(2017, 3, 1), date(2016, 2, 29)),
    ("29.02", kyiv(2016, 3, 1), date(2016, 2, 29)),
    ("на 1-е число", kyiv(2017, 2, 2), date(2017, 2, 1)),
    ("на 1-е число", kyiv(2017, 1, 1, 0, 1), date(2017, 1, 1)),
    ("на 5 число", kyiv(2017, 1, 3), date(2016, 12, 5)),
    ("на 30 число", kyiv(2017, 3, 2), date(2017, 1, 30)),
    ("сегодня", datetime(2016, 11, 30, 14, 30, tzinfo=timezone(timedelta(hours=-8))), date(2016, 12, 1)),
    ("сегодня", datetime(2017, 1, 1, 0, 15, tzinfo=timezone(timedelta(hours=3))), date(2016, 12, 31)),
    ("вчера", datetime(2016, 12, 2, 10, 5, tzinfo=timezone(timedelta(hours=3))), date(2016, 12, 1)),
    ("вчера", kyiv(2017, 3, 1), date(2017, 2, 28)),
    ("позавчора", kyiv(2016, 3, 1), date(2016, 2, 28)),
    ("сегодня", datetime(2017, 2, 2, 12, 0), date(2017, 2, 2)),
    ("на 01.02.2017", kyiv(2017, 1, 31, 21, 40), date(2017, 2, 1)),
]


@pytest.mark.parametrize(("text", "sent", "expected"), RESOLUTION)
def test_year_less_and_relative_dates_resolve_against_the_kyiv_message_day(
    text: str, sent: datetime, expected: date
) -> None:
    """Year-less dates take the latest such day not after the message; relative words use its Kyiv day."""
    assert best_date(text, sent) == expected


# (text, expected label of the date in it)
CONTEXT_LABELS = [
    ("Оплачено 2150 грн 28.11.", "other_event"),
    ("оплата до 20.12", "other_event"),
    ("Сплатила рахунок 25.11.2026", "other_event"),
    ("квитанция от 03.11", "other_event"),
    ("Оплатила за ноябрь, показания на 28.11", "no_year"),
    ("оплатила, дата снятия 28.11", "no_year"),
    ("Предыдущие показания - 2861 (01.12.2016)", "previous"),
    ("предыдущие показания от 01.11", "previous"),
    ("попередні показники 01.12.2016", "previous"),
    ("прошлые показания на 01.11.2016", "previous"),
    ("Текущие показания - 3038 (02.01.2017)", "explicit"),
    ("Я в отпуске с 26.12.2016 по 09.01.2017", "range"),
    ("передавать с 1 по 5 число месяца", "range"),
    ("пн, 2 янв. 2017 г. в 10:15, Call-центр <c@x.ua> пишет:", "header"),
    ("03.01.2017 10:12, Call-центр пише:", "header"),
    ("On Thu, Dec 1, 2016 at 10:15 AM, Bob <b@x.com> wrote:", "header"),
    ("1 декабря 2016 г., 10:15 пользователь X <x@y.ua> написал:", "header"),
    ("Пример: г. Днепр, ул. Рабочая, д. 1, кв. 1, показания 012345, 01.12.2016", "example"),
    ("Дата: 01.01.2017", "explicit"),
    ("Дата | 05.12.2016", "explicit"),
]


@pytest.mark.parametrize(("text", "label"), CONTEXT_LABELS)
def test_context_labels_previous_range_header_and_example_dates(text: str, label: str) -> None:
    """Dates of previous readings, ranges, quoted headers and templates get their own low labels."""
    candidates = find_fixation_dates(text, REF)
    assert candidates[-1].label == label
    if label not in ("explicit", "no_year"):
        assert candidates[-1].confidence <= 0.15


def test_forward_header_block_date_is_a_header() -> None:
    """The "Дата:" line of a forwarded header block is labelled header, the body date is usable."""
    text = (
        "---------- Пересылаемое сообщение ----------\nОт: Наталья <n@ukr.net>\n"
        "Дата: 1 января 2017 г., 18:20\nТема: показания\nКому: cc@oblenergo.dp.ua\n\n"
        "Показания на 01.01.2017 - 31145"
    )
    labels = [(c.value, c.label) for c in find_fixation_dates(text, kyiv(2017, 1, 3, 13, 40))]
    assert labels == [(date(2017, 1, 1), "header"), (date(2017, 1, 1), "explicit")]


# (text, expected best date): cue words make the reading's date win over others.
COMPETING = [
    ("Показания 36721 от 02.01.2017. Показания на 1-е число: 36867", date(2017, 1, 1)),
    ("Предыдущие 2861 (01.12.2016), текущие 3038 на 02.01.2017", date(2017, 1, 2)),
    ("Счет от 01.12.2016, показания на 02.01.2017", date(2017, 1, 2)),
    ("Дата снятия показаний: 01.12.2016", date(2016, 12, 1)),
    ("в 10.15 сняла показания на 01.01", date(2017, 1, 1)),
]


@pytest.mark.parametrize(("text", "expected"), COMPETING)
def test_cue_words_raise_the_confidence_of_the_reading_date(text: str, expected: date) -> None:
    """ "на", "дата", "снятия" next to a date make it the most confident candidate."""
    assert best_date(text, REF) == expected


def test_spans_point_at_the_date_text() -> None:
    """Each candidate's span covers exactly the date expression in the input."""
    text = "Адрес: ул. Рабочая 23\nПоказания на 01.12.2016 - 39690, сняты вчера"
    for candidate in find_fixation_dates(text, REF):
        assert text[candidate.span[0] : candidate.span[1]] == candidate.notes[0]
    assert [text[s:e] for s, e in date_spans(text, REF)] == ["01.12.2016", "вчера"]


def test_date_spans_without_reference_still_finds_every_date() -> None:
    """date_spans works without a reference date (spans only)."""
    assert len(date_spans("на 01.12 и 1 декабря 2016, вчера")) == 3


# (Date header, Received headers, INTERNALDATE, expected Kyiv datetime, source)
MESSAGE_DATES = [
    ("Thu, 01 Dec 2016 09:14:22 +0200", (), None, kyiv(2016, 12, 1, 9, 14, 22), "date"),
    ("Thu, 1 Dec 2016 08:03:11 +0300", (), None, kyiv(2016, 12, 1, 7, 3, 11), "date"),
    ("Wed, 30 Nov 2016 14:30:41 -0800", (), None, kyiv(2016, 12, 1, 0, 30, 41), "date"),
    ("Sun, 01 Jan 2017 00:15:27 +0300", (), None, kyiv(2016, 12, 31, 23, 15, 27), "date"),
    ("Thu, 01 Dec 2016 12:45:00 +0200 (EET)", (), None, kyiv(2016, 12, 1, 12, 45), "date"),
    ("Thu, 01 Dec 2016 12:45:00", (), None, kyiv(2016, 12, 1, 12, 45), "date"),
    ("Thu, 01 Dec 2016 12:45:00 -0000", (), None, kyiv(2016, 12, 1, 12, 45), "date"),
    ("Mon, 01 Jul 2019 10:00:00", (), None, kyiv(2019, 7, 1, 10, 0), "date"),
    ("Thu, 01 Dec 2016 12:45:00 EET", (), None, kyiv(2016, 12, 1, 12, 45), "date"),
    ("Thu, 01 Dec 2016 12:45:00 MSK", (), None, kyiv(2016, 12, 1, 11, 45), "date"),
    ("Thu, 01 Dec 2016 10:45:00 GMT", (), None, kyiv(2016, 12, 1, 12, 45), "date"),
    ("01 Dec 2016 10:45 +0000", (), None, kyiv(2016, 12, 1, 12, 45), "date"),
    ("Четверг, 1 декабря 2016 10:00", (), None, kyiv(2016, 12, 1, 10, 0), "date"),
    (
        "garbage",
        ("from a by b; Thu, 1 Dec 2016 09:14:25 +0200", "from c by d; Thu, 1 Dec 2016 09:14:20 +0200"),
        None,
        kyiv(2016, 12, 1, 9, 14, 25),
        "received",
    ),
    (
        "",
        ("from a by b with ESMTP id x;\n\tThu, 1 Dec 2016 07:14:25 +0000",),
        None,
        kyiv(2016, 12, 1, 9, 14, 25),
        "received",
    ),
    (
        None,
        ("no date here", "from x; Thu, 1 Dec 2016 09:00:00 +0200"),
        None,
        kyiv(2016, 12, 1, 9),
        "received",
    ),
    (
        "Mon, 30 Jun 3609 15:33:50 +0600",
        ("x; Mon, 30 Jun 2008 02:34:00 -0700",),
        None,
        kyiv(2008, 6, 30, 12, 34),
        "received",
    ),
    (None, (), datetime(2016, 12, 1, 7, 0), kyiv(2016, 12, 1, 9, 0), "internaldate"),
    (None, (), datetime(2016, 12, 1, 9, 0, tzinfo=KYIV), kyiv(2016, 12, 1, 9, 0), "internaldate"),
    ("not a date", ("broken; also broken",), None, None, "none"),
    (None, (), None, None, "none"),
    ("Thu, 32 Dec 2016 10:00:00 +0200", (), None, None, "none"),
]


@pytest.mark.parametrize(("header", "received", "internal", "expected", "source"), MESSAGE_DATES)
def test_message_datetime_sources_and_zones(
    header: str | None,
    received: tuple[str, ...],
    internal: datetime | None,
    expected: datetime | None,
    source: str,
) -> None:
    """Date header first (no zone = Kyiv), then the newest Received, then INTERNALDATE (naive = UTC)."""
    got, got_source = message_datetime(header, received, internal)
    assert got_source == source
    assert got == expected
    if got is not None:
        assert got.tzinfo is KYIV


@settings(max_examples=300, deadline=None)
@given(st.text(), st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)))
def test_find_fixation_dates_never_raises_and_spans_are_valid(text: str, sent: datetime) -> None:
    """Any text gives a list whose spans lie inside the text and whose values are dates."""
    candidates = find_fixation_dates(text, sent.replace(tzinfo=KYIV))
    for candidate in candidates:
        assert 0 <= candidate.span[0] < candidate.span[1] <= len(text)
        assert isinstance(candidate.value, date)
        assert 0.0 <= candidate.confidence <= 1.0


ALPHABET = st.sampled_from(
    list("0123456789./- \n:,нагодчислдекабрясьгдняI") + ["на ", "числа", "декабря", "вчера"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_date_like_noise_never_raises_and_every_candidate_has_digits_or_words(text: str) -> None:
    """Texts made of date fragments never raise, and each candidate's span is non-blank text."""
    for candidate in find_fixation_dates(text, REF):
        assert text[candidate.span[0] : candidate.span[1]].strip()


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=80)), st.lists(st.text(max_size=80), max_size=3))
def test_message_datetime_never_raises(header: str | None, received: list[str]) -> None:
    """Any header values give a Kyiv datetime or (None, "none")."""
    got, source = message_datetime(header, received)
    assert source in {"date", "received", "none"}
    assert (got is None) == (source == "none")


def test_huge_text_is_fast() -> None:
    """A large digit-heavy text is searched quickly (linear scan, first 100,000 characters)."""
    text = "Показания на 01.12.2016: 12345,6; тел. 067-190-23-46; 12.10 грн\n" * 5000
    started = time.perf_counter()
    candidates = find_fixation_dates(text, REF)
    assert candidates
    assert time.perf_counter() - started < 2.0
