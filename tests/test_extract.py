"""The extract stage: which text each field comes from, and when an older text must not be trusted."""

from __future__ import annotations

import pytest

from mailworker.pipeline import Context, DecodeStage
from mailworker.stages.extract import Extraction, ExtractStage, without_forward_header
from parsers.readings import find_readings


def extract(body: str, subject: str = "Показания", date: str = "Mon, 16 Jan 2017 20:05:12 +0200") -> Extraction:
    raw = (f"From: a@example.net\r\nSubject: {subject}\r\nDate: {date}\r\nMIME-Version: 1.0\r\n"
           f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}").encode()
    context = Context(raw=raw)
    DecodeStage()(context)
    ExtractStage()(context)
    assert isinstance(context.extraction, Extraction)
    return context.extraction


def test_correction_in_reply_to_own_mail_beats_quoted_reading() -> None:
    """A corrected reading in the new text wins over the wrong one quoted below; address comes from the quote."""
    found = extract("Извините, в предыдущем письме ошиблась. Правильные показания на 15.01.2017 — 27310.\n\n"
                    "16 января 2017 г., 19:48 пользователь Алла <alla@example.net> написал:\n\n"
                    "> Показания на 15.01.2017: 27130\n> Днепр, ул. Горького 12, кв. 61\n> Алла, 068 636 56 12\n")
    assert found.readings == {"total": 27310} and found.reading_source == "new"
    assert str(found.fixation_date) == "2017-01-15"
    assert found.addresses and found.addresses[0].source == "quoted"
    assert found.phone == "+380686365612"


def test_unplaced_numbers_in_new_text_block_the_quoted_fallback() -> None:
    """When the new text has reading-like numbers the parser cannot place, the quoted reading is not taken."""
    found = extract("ну вот опять 27310 или 27301, не помню\n\n"
                    "16 января 2017 г., 19:48 пользователь Алла <alla@example.net> написал:\n\n"
                    "> Показания на 15.01.2017: 27130\n")
    assert found.readings is None


def test_reply_adding_only_the_address_takes_the_quoted_reading() -> None:
    """A reply that only adds the address keeps the reading of the quoted original."""
    found = extract("Забыла адрес: Днепр, ул. Горького 12, кв. 61\n\n"
                    "16 января 2017 г., 19:48 пользователь Алла <alla@example.net> написал:\n\n"
                    "> Показания на 15.01.2017: 27130\n")
    assert found.readings == {"total": 27130} and found.reading_source == "quoted"


def test_forward_header_block_is_not_parsed_as_fields() -> None:
    """The header block of an inline forward (tab-separated Тема/Дата/Від/Кому) yields no reading or address."""
    body = ("Пересилаю лист доньки.\n\n-------- Переслане повідомлення --------\nТема: \tпоказники\n"
            "Дата: \tMon, 2 Jan 2017 18:40:12 +0200\nВід: \tОксана <o@example.net>\nКому: \tcall@example.net\n\n"
            "Дніпро, просп. Героїв, 30, кв. 81\nдень 19690, ніч 10020 (на 01.01.2017)\n")
    found = extract(body, subject="Fwd: показники", date="Tue, 03 Jan 2017 13:02:40 +0200")
    assert found.readings == {"day": 19690, "night": 10020}
    assert str(found.fixation_date) == "2017-01-01"
    assert len(without_forward_header(body)) == len(body)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Д 9610\nН 4650", {"day": 9610, "night": 4650}),
        ("П - 4442\nПП - 14003\nН - 6105", {"peak": 4442, "half_peak": 14003, "night": 6105}),
        ("Д. 15 кв 3\nпоказания 12345", {"total": 12345}),
        ("Показания те же, что и в прошлый раз - 3841", {"total": 3841}),
        ("в предыдущем письме ошибся, правильные показания 27310", {"total": 27310}),
        ("Отписаться: https://promo.example/unsub?u=55512", None),
        ("пишите на client12345@mail.ru", None),
    ],
)
def test_reading_forms_found_by_the_held_out_review(text: str, expected: dict[str, int] | None) -> None:
    """Letter registers, "same as last time", corrections after a previous-cue, and URL numbers."""
    assert find_readings(text).current == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Зона | Попередні | Поточні\nДень | 15935 | 16290\nНіч | 5985 | 6150", {"day": 16290, "night": 6150}),
        ("Попередні | Поточні\n39416 | 39146", {"total": 39146}),
        ("Показники 3-зонного лічильника", None),
        ("Показания за 1 квартал", None),
        ("Показания 23440, сняты 1/12", {"total": 23440}),
    ],
)
def test_reading_forms_found_by_the_second_review(text: str, expected: dict[str, int] | None) -> None:
    """Tables with previous/current columns, numbers glued to words, quarters and day/month dates."""
    assert find_readings(text).current == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Снял 1-го, 16050", "2016-12-01"), ("Дата снятия: 1/12", "2016-12-01"), ("на 5-е", "2016-11-05"),
     ("кв. 1-го подъезда", None)],
)
def test_bare_ordinal_days_and_slashed_dates(text: str, expected: str | None) -> None:
    """"1-го" and "1/12" after a taking-the-reading word are dates; elsewhere they are not."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from parsers.dates import find_fixation_dates

    found = find_fixation_dates(text, datetime(2016, 12, 3, 10, 0, tzinfo=ZoneInfo("Europe/Kyiv")))
    assert (str(found[0].value) if found else None) == expected


def test_hypothetical_reading_in_a_question_is_not_submitted() -> None:
    """"Если ... показания 16050, сколько платить?" asks about a reading: routed as not_a_reading."""
    from mailworker.stages.decide import ReadingStage

    raw = ("From: a@example.net\r\nSubject: вопрос\r\nDate: Sat, 03 Dec 2016 10:00:00 +0200\r\n"
           "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           "Если на 1 декабря у меня показания 16050, сколько платить?\r\n").encode()
    context = Context(raw=raw)
    DecodeStage()(context)
    ExtractStage()(context)
    ReadingStage()(context)
    assert "not_a_reading" in context.reasons


def test_address_in_signature_is_only_a_fallback() -> None:
    """An office address in the signature does not compete with the home address in the new text."""
    found = extract("Показания 11320 на 10.01.2017. Адрес: Днепр, ул. Титова 6, кв. 78\n\n-- \n"
                    "ТОВ «Сервіс», м. Дніпро, вул. Робоча 15, оф. 301, тел. 067 111 22 33\n")
    assert [c.source for c in found.addresses] and {c.source for c in found.addresses} == {"new"}
    assert found.phone == "+380671112233"
