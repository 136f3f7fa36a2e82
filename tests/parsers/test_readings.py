"""Tests for parsers.readings: the reading an expert takes from a text, and what else is in it."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.readings import REGISTERS, ReadingsFound, find_readings


def T(total: int) -> dict[str, int]:  # noqa: N802 - short table constructor
    """A one-register reading."""
    return {"total": total}


def DN(day: int, night: int) -> dict[str, int]:  # noqa: N802 - short table constructor
    """A two-zone reading."""
    return {"day": day, "night": night}


def PHN(peak: int, half_peak: int, night: int) -> dict[str, int]:  # noqa: N802 - short table constructor
    """A three-zone reading."""
    return {"peak": peak, "half_peak": half_peak, "night": night}


# text -> (current reading, conflicting)
READINGS: list[tuple[str, dict[str, int] | None, bool]] = [
    # transliterated registers (with a transliterated reading word), consumption, a house before "kv"
    ("Dobryi den. pokazaniya schetchika: den 5180, noch 2390.", {"day": 5180, "night": 2390}, False),
    ("pokazaniya den 9010.", {"day": 9010}, False),
    ("pokazaniya pik 1200 polupik 800 nich 400", {"peak": 1200, "half_peak": 800, "night": 400}, False),
    ("Es sind nur noch 44 kostenfreie Plätze", None, False),
    ("Показники: День 18700, Ніч 10060. За місяць нагоріло 398 кВт.", {"day": 18700, "night": 10060}, False),
    ("pokazaniya 5180. Dneprovskoe shosse 14 kv 130", T(5180), False),
    # letter registers on one line, a table's pipe after the register word
    ("Д 18990 Н 8935", {"day": 18990, "night": 8935}, False),
    ("Д 18990, Н 8935", {"day": 18990, "night": 8935}, False),
    ("П 1200; ПП 800; Н 400", {"peak": 1200, "half_peak": 800, "night": 400}, False),
    ("вул. Робоча, д 18 Н 8935", T(8935), False),
    ("День (Т1) | 7520\nНіч (Т2) | 4040", {"day": 7520, "night": 4040}, False),
    ("Дата | 30.11.2026\nДень | 7520", {"day": 7520}, False),
    # forms seen in the dev corpus
    ("Показания: 25684\nДата снятия показаний: 01.12.2016\nКонтактный телефон: 067-190-23-46", T(25684), False),
    ("Гагарина 5 кв 12, 012345, 01.12\n\nОтправлено с устройства Samsung Galaxy", T(12345), False),
    ("Показники: 22949 кВт*год\nТелефон для зв'язку: +38 067 563 21 09", T(22949), False),
    ("Рабочая 23 кв 1 показания 018022", T(18022), False),
    ("9879937850\n1 # 001952", T(1952), False),
    ("1#003613\nНикополь, Трубников 22-41\n0957731842", T(3613), False),
    ("Показания сняла вчера:\nдень 16038\nночь 8684\nАдрес: Днепр, ул. Дзержинского 8, кв.3", DN(16038, 8684), False),
    ("Показники лічильника на 1-ше число:\nТ1 - 005661\nТ2 - 002840", DN(5661, 2840), False),
    ("Показания трехзонного счетчика на 01.12.16:\nпик - 2138\nполупик - 8105\nночь - 9344", PHN(2138, 8105, 9344),
     False),
    ("Показания счетчика на 1 декабря: 014066,7\nАдрес: Днепр, ул. Криворожская 17 кв.64", T(14066), False),
    ("Предыдущие показания - 2861 (01.12.2016)\nТекущие показания - 3038 (02.01.2017)", T(3038), False),
    ("Показания счетчика на сегодня - 33942\nОплатила 245,60 грн за январь.", T(33942), False),
    ("г. Кривой Рог, пр. Карла Маркса, 31, кв. 14\nСчетчик № 54205062\nПоказания 13261 на 01.12.2016", T(13261),
     False),
    ("Показания на 01.02.2017: день 19186, ночь 6211.\n-----Original Message-----\n"
     "Ваши показания по адресу г. Днепр, пр. Героев 12, кв. 150 (день 18955, ночь 6072) приняты.",
     DN(19186, 6211), False),
    ("Показания на 1-е число: 36867\n> Ваши показания 36721 от 02.01.2017 приняты.", T(36867), False),
    ("Показания на 1.02: 21 157 кВт*ч", T(21157), False),
    ("Показания на 01.01.2017: 15393.1", T(15393), False),
    ("Лицевой счет 0992981635. Показания 32447 кВт на 04.01.2017.", T(32447), False),
    ("л/с 11055495\nг. Днепр, ул. Ленинградская 3, кв. 26\nпоказания 20953", T(20953), False),
    ("Добрый день показания на 1 число 9193 с.Любимовка ул.Центральная 3", T(9193), False),
    ("денна зона - 17053\nнічна зона - 8956", DN(17053, 8956), False),
    ("Кривой Рог ул. Кобылянского 140 частный дом\nдн. 27073\nноч. 13358\n01.12", DN(27073, 13358), False),
    ("T1 (день) - 6158\nT2 (ночь) - 2769\nТел. дом. (056) 744-12-34", DN(6158, 2769), False),
    ("Показания\nЯворницкого 101\r\nпоказания 13784\r\n", T(13784), False),
    ("Показания: день 126, ночь 47", DN(126, 47), False),
    ("Повторяю показания:\nдень 6194\nночь 2031\n---\n"
     "Пример: г. Днепр, ул. Рабочая, д. 1, кв. 1, показания 012345, 01.12.2016, тел. 0671234567", DN(6194, 2031),
     False),
    ("Поясніть, чому нараховано 412 кВт*год? Я передавала показники 1 листопада, 32124.", None, False),
    ("Показания 34403\nДобрый день, показания счетчика 34430 на 01.12.16", None, True),
    ("Показания 12435 или 12431, последнюю цифру плохо видно", None, True),
    ("г. Днепр, пр. Пушкина 55, кв. 20 - 21063\nг. Днепр, пр. Пушкина 55, кв. 21 - 16688", None, True),
    ("Мої показники: м. Дніпро, вул. Короленка 3, кв. 18 — 30306\n"
     "Мамин будинок: с. Петриківка, вул. Гоголя, 40 — 40900", None, True),
    ("Я нахожусь в отпуске с 26.12.2016 по 09.01.2017.\nПо срочным вопросам (056) 370-11-22.", None, False),
    ("> Ваші показники 3666 за особовим рахунком 6957515822 прийнято 03.01.2017.", None, False),
    ("Работает на счетчиках НИК 2102, Энергомера CE101, GAMA 100. Магнит 50x30 мм 1 500 грн, экономия до 90%",
     None, False),
    ("Во вложении счет на оплату № 3487 от 01.12.2016 на сумму 12 480,00 грн.", None, False),
    # general forms
    ("pokazaniya 12345 ul. Rabochaya 5 kv 12", T(12345), False),
    ("Dnipro, vul. Robocha 5, kv. 12, reading 12345", T(12345), False),
    ('Показания счетчика: 12345', T(12345), False),
    ('показания 012345', T(12345), False),
    ('Показание 12345 кВт/ч', T(12345), False),
    ('Показники: 12345 кВт·год', T(12345), False),
    ('Передаю показання лічильника 12345', T(12345), False),
    ('покази 12345', T(12345), False),
    ('12345', T(12345), False),
    ('Показания 12 345', T(12345), False),
    ('Показания 12345,6', T(12345), False),
    ('Показания 12345.6', T(12345), False),
    ('Показания 12345,67 кВт', T(12345), False),
    ('Показания: 12,345', None, True),
    ('Показания на 01.12.2016 - 12345', T(12345), False),
    ('Показания 12345 на 01.12.2016', T(12345), False),
    ('01.12.2016 показания 12345', T(12345), False),
    ('Показания на 1 декабря 12345', T(12345), False),
    ('Показания за ноябрь 12345', T(12345), False),
    ('Показания за ноябрь 2016 г. 12345', T(12345), False),
    ('Показания за 12.2016: 12345', T(12345), False),
    ('Показания (01.12): 12345', T(12345), False),
    ('Показания счетчика №123456: 12345', T(12345), False),
    ('Счетчик № 054205062, показания 12345', T(12345), False),
    ('Заводской номер 123456, показания 12345', T(12345), False),
    ('Показания 12345, оплачено 245,60 грн', T(12345), False),
    ('Показания 12345. Сумма к оплате 345 грн', T(12345), False),
    ('Показания 12345, расход 150 кВт', T(12345), False),
    ('Показания 12345 (расход за месяц 150 кВт)', T(12345), False),
    ('Показники 12345, спожито 120 кВт·год', T(12345), False),
    ('Адрес: ул. Рабочая 5, кв. 12. Показания 12345', T(12345), False),
    ('ул. Рабочая, д. 5, кв. 12, показания 12345', T(12345), False),
    ('Рабочая 5/1 кв 12 показания 12345', T(12345), False),
    ('Рабочая 5-12 показания 12345', T(12345), False),
    ('Показания 12345 тел. 0671234567', T(12345), False),
    ('Показания 12345 тел. 067 123 45 67', T(12345), False),
    ('Лицевой счет 0123456789 показания 12345', T(12345), False),
    ('л/с 123456789, показания 12345', T(12345), False),
    ('л/с 1234567 показания 12345', T(12345), False),
    ('Показания 12345, время 10:30', T(12345), False),
    ('Показания на 10:00 12345', T(12345), False),
    ('Скидка 50%, показания 12345', T(12345), False),
    ('Показания 12345 (было 12000)', T(12345), False),
    ('Предыдущие 12000, текущие 12345', T(12345), False),
    ('Прошлые показания 12000, сейчас 12345', T(12345), False),
    ('Показания: было 12000 стало 12345', T(12345), False),
    ('попередні показники 12000, поточні 12345', T(12345), False),
    ('Показания 12345, в прошлом месяце передавала 12000', T(12345), False),
    ('Показания 12345. Извините, ошиблась, правильно 12354', T(12354), False),
    ('Виправлення: вірні показники 12354 (замість 12345)', T(12354), False),
    ('Ранее отправила неверные показания 12345, верные 12354', T(12354), False),
    ('Показания за прошлый месяц 12345', T(12345), False),
    ('День 12345 Ночь 6789', DN(12345, 6789), False),
    ('день: 12345, ночь: 6789', DN(12345, 6789), False),
    ('Т1 - 12345, Т2 - 6789', DN(12345, 6789), False),
    ('T1=12345 T2=6789', DN(12345, 6789), False),
    ('т1 12345 т2 6789', DN(12345, 6789), False),
    ('T1: 12345; T2: 6789; T0: 19134', DN(12345, 6789), False),
    ('Т0 19134 Т1 12345 Т2 6789', DN(12345, 6789), False),
    ('день/ночь 12345/6789', DN(12345, 6789), False),
    ('Т1/Т2: 12345/6789', DN(12345, 6789), False),
    ('Дневной тариф 12345, ночной тариф 6789', DN(12345, 6789), False),
    ('по дневному тарифу 12345, по ночному 6789', DN(12345, 6789), False),
    ('денна зона 12345, нічна зона 6789', DN(12345, 6789), False),
    ('дн. 12345 ноч. 6789', DN(12345, 6789), False),
    ('день - 12345 кВт, ночь - 6789 кВт', DN(12345, 6789), False),
    ('12345 (день), 6789 (ночь)', DN(12345, 6789), False),
    ('Показания двухтарифного: день 12345, ночь 6789, всего 19134', DN(12345, 6789), False),
    ('Денний 012345,4 Нічний 006789,1', DN(12345, 6789), False),
    ('Добрый день 12345', T(12345), False),
    ('Добрый день! Показания: день 100, ночь 50', DN(100, 50), False),
    ('пик 1234 полупик 5678 ночь 9012', PHN(1234, 5678, 9012), False),
    ('пік: 1234, напівпік: 5678, ніч: 9012', PHN(1234, 5678, 9012), False),
    ('Т1 1234 Т2 5678 Т3 9012', PHN(1234, 5678, 9012), False),
    ('Т1 (пик) 1234, Т2 (полупик) 5678, Т3 (ночь) 9012', PHN(1234, 5678, 9012), False),
    ('1#001952', T(1952), False),
    ('1 # 001952', T(1952), False),
    ('1#12345.6', T(12345), False),
    ('Показания 18022 ул. Рабочая 5 кв 1', T(18022), False),
    ('Рабочая 23 кв 1 показания 018022', T(18022), False),
    ('Показания, Рабочая 15 кв 3', None, False),
    ('показания Кобылянского 140', None, False),
    ('Показания за декабрь', None, False),
    ('Re: Показания 12345', T(12345), False),
    ('Показания не изменились', None, False),
    ('Когда дадут свет? Тел. 0671234567', None, False),
    ('Счет на оплату № 3487 от 01.12.2016 на сумму 12 480,00 грн', None, False),
    ('Магнит 1 500 грн, экономия до 90%, НИК 2102', None, False),
    ('Я нахожусь в отпуске с 26.12.2016 по 09.01.2017', None, False),
    ('ИНН 1234567890', None, False),
    ('Звоните с 9:00 до 18:00', None, False),
    ('Индекс 49000, г. Днепр', None, False),
    ('49000, г. Днепр, ул. Рабочая 5', None, False),
    ('Модель счетчика: GAMA 100, NIK 2102', None, False),
    ('в 2016 году', None, False),
    ('Мне 75 лет, живу одна', None, False),
    ('Прошу пересчитать за 3 месяца', None, False),
    ('Ваши показания 36721 от 02.01.2017 приняты.', None, False),
    ('Пример: показания 012345', None, False),
    ('нараховано 412 кВт*год', None, False),
    ('Мощность 3,5 кВт', None, False),
    ('Показания 12435 или 12431', None, True),
    ('Показания 12345, 12354', None, True),
    ('Показания 12345. Показания 12345', T(12345), False),
    ('кв. 20 - 21063\nкв. 21 - 16688', None, True),
    ('день 12345 ночь 6789 день 12346', None, True),
    ('Показания 123456 (6 цифр)', T(123456), False),
    ('показания счетчика электроэнергии по адресу ул. Рабочая 5 кв 12 на 01.12.2016 '
     'составляют 12345 кВт', T(12345), False),
    ('Показания 15.12.2016 — 12345', T(12345), False),
    ('Показания на 1.12 12345', T(12345), False),
    ('Показания 12345квт', T(12345), False),
    ('Показания:\n\nдень - 12345\nночь - 6789', DN(12345, 6789), False),
    ('Показания\n12345\n', T(12345), False),
    ('ул. 8 Марта 5 кв 3, показания 12345', T(12345), False),
    ('Днепр, пр. Яворницкого 101/1, кв. 45, показания 012345', T(12345), False),
    ('Показания на 1-е число 12345', T(12345), False),
    ('Показники на 1-ше число: 12345', T(12345), False),
    ('Показання станом на 1 грудня 2016 р.: 12345', T(12345), False),
    ('Показания 12345 снял 3-го числа', T(12345), False),
    ('показания 12345 по адресу Рабочая 5 кв 12', T(12345), False),
    ('Показания счетчика 3-х зонного: пик 100, полупик 200, ночь 300', PHN(100, 200, 300), False),
    ('Показания двухзонного счетчика Т1 12345 Т2 6789', DN(12345, 6789), False),
    ('Квартира 12, показания 12345', T(12345), False),
    ('Показания 12345 кВт*ч, л/с 0123456789, тел. (067) 123-45-67, 01.12.2016', T(12345), False),
    ('Sent: Friday, December 2, 2016 9:05 AM\nПоказания 12345', T(12345), False),
    ('пн, 2 янв. 2017 г. в 10:15, Call-центр пишет:\nПоказания 12345', T(12345), False),
    ('Показания: 00123', T(123), False),
    ('показания 0', T(0), False),
    ('Поставили новый счетчик, показания 15', T(15), False),
    ('ПОКАЗАНИЯ 12345 УЛ. РАБОЧАЯ 5 КВ 1', T(12345), False),
    ('Показания: день 12345 ночь 6789 (сумма 19134)', DN(12345, 6789), False),
    ('день 12345\r\nночь 6789\r\n', DN(12345, 6789), False),
    ('Показания 12345 кВт. Стоимость 1,68 грн/кВт', T(12345), False),
    ('Прошу принять показания. Квартира 5, 12345', T(12345), False),
    ('Показания 12345\nИванов И.И. 1954 г.р.', T(12345), False),
    ('12345 - показания', T(12345), False),
    ('Текущие показания 12345, предыдущие 12000', T(12345), False),
    ('Показания 12345 (предыдущие 12000)', T(12345), False),
    ('Показания за октябрь 12000, за ноябрь 12345', None, True),
    ('показания 12345, за месяц 150 кВт', None, True),
    ('СЧЕТЧИК 12345', None, False),
    ('Т1-12345 Т2-6789', DN(12345, 6789), False),
    ('Т1 12345 кВт, Т2 6789 кВт', DN(12345, 6789), False),
    ('Показания: Т1=12345, Т2=6789, Т=19134', DN(12345, 6789), False),
    ('день 12345\nночь 6789\nИтого 19134', DN(12345, 6789), False),
    ('Ночной 6789, дневной 12345', DN(12345, 6789), False),
    ('Показания электросчетчика на 01.12.2016г. - 12345', T(12345), False),
    ('Показания счетчика - 12 345,6 кВт*ч', T(12345), False),
    ('Показ. 12345', T(12345), False),
    ('Показання лічильника: 12345', T(12345), False),
    ('Добрый день!\nПрошу принять показания счетчика.\nАдрес: г. Днепр, ул. Рабочая, д. 5, кв. 12\n'
     'Показания: 12345\nТел. 067-123-45-67\n\nС уважением,\nИванов И.И.\n--\nОтправлено с iPhone',
     T(12345), False),
    ('Показания 12345\n\n2016-12-01 10:15 GMT+02:00 Call-центр <c@o.ua>:\n'
     '> Ваши показания 12000 приняты', T(12345), False),
    ('On Thu, Dec 1, 2016 at 10:15 AM Call-центр wrote:\nПоказания 12345', T(12345), False),
    ('Среда, 30 ноября 2016, 14:30 +03:00 от Call-центр:\nПоказания 12345', T(12345), False),
    ('Показания 12345\n-- \nООО Ромашка, ЕДРПОУ 12345678', T(12345), False),
    ('Показания 12345, фото прилагаю', T(12345), False),
    ('Показания на фото', None, False),
    ('Показания 12345 0671234567', T(12345), False),
    ('Показания: 12345 (двенадцать тысяч)', T(12345), False),
    ('Показания в прошлом месяце были 12000, сейчас 12345', T(12345), False),
    ('Предыдущие показания:\n12000\nТекущие показания:\n12345', T(12345), False),
    ('Уточнение: показания 12354', T(12354), False),
    ('12345 кВт', T(12345), False),
    ('Оплачу 12345 грн', None, False),
    ('за 2 месяца показания 12345', T(12345), False),
    ('показания 12345 с 1 по 5 число', T(12345), False),
    ('Номер счетчика 0123456, показания 012345', T(12345), False),
    ('NIK 2303 показания 12345', T(12345), False),
    ('показания 12345, счетчик NIK 2102', T(12345), False),
    ('Тел.: +38 (067) 123-45-67, показания 012345', T(12345), False),
    ('Днепр, Рабочая ул., 5, кв. 12 - показания 12345', T(12345), False),
    ('с. Петриківка, вул. Гоголя, 40 — 40900', T(40900), False),
    ('Показания 12345 на 01.12, предыдущие 12000 на 01.11', T(12345), False),
    ('пик - 2138 кВт\nполупик - 8105 кВт\nночь - 9344 кВт', PHN(2138, 8105, 9344), False),
    ('Пік 2138, напівпік 8105, ніч 9344', PHN(2138, 8105, 9344), False),
    ('Полупиковая зона 8105, пиковая зона 2138, ночная зона 9344', PHN(2138, 8105, 9344), False),
    ('день 12345, ночь 6789, пик 100', None, True),
    ('1#12345 2#6789', DN(12345, 6789), False),
    ('Показания: 12345\n> Показания: 12000', None, True),
    ('показания 1/2 12345/6789', None, True),
    ('Показания 12345 кВт, 5 квартира', T(12345), False),
    ('кв 12 345 показания 12345', T(12345), False),
    ('показания 50 000', T(50000), False),
]


@pytest.mark.parametrize(("text", "current", "conflicting"), READINGS)
def test_find_readings(text: str, current: dict[str, int] | None, conflicting: bool) -> None:
    """The current reading and the conflict flag are what an expert clerk would take from the text."""
    found = find_readings(text)
    assert (found.current, found.conflicting) == (current, conflicting)


# text -> the (value, role) of every candidate
ROLES: list[tuple[str, list[tuple[dict[str, int], str]]]] = [
    ("Предыдущие: день 5630 ночь 2410\nТекущие: день 5801 ночь 2489",
     [({"day": 5630}, "previous"), ({"night": 2410}, "previous"), ({"day": 5801}, "current"),
      ({"night": 2489}, "current")]),
    ("Попередні показники - день 7400, ніч 3900\nНові: день 7520 ніч 4040",
     [({"day": 7400}, "previous"), ({"night": 3900}, "previous"), ({"day": 7520}, "current"),
      ({"night": 4040}, "current")]),
    ("Предыдущие 12000, текущие 12345", [(T(12000), "previous"), (T(12345), "current")]),
    ("было 12000 стало 12345", [(T(12000), "previous"), (T(12345), "current")]),
    ("Ваши показания 36721 приняты", [(T(36721), "confirmed")]),
    ("Пример: показания 012345", [(T(12345), "example")]),
    ("Показания 12345, ошибся, правильно 12354", [(T(12345), "superseded"), (T(12354), "current")]),
    ("Т0 19134 Т1 12345 Т2 6789", [(T(19134), "meter_total"), ({"day": 12345}, "current"),
                                   ({"night": 6789}, "current")]),
    ("день 100 ночь 50 всего 150", [({"day": 100}, "current"), ({"night": 50}, "current"), (T(150), "meter_total")]),
    ("Показания 12345, 12354", [(T(12345), "conflicting"), (T(12354), "conflicting")]),
    ("Показания 12345\nкв. 20 - 21063", [(T(12345), "conflicting"), (T(21063), "stray")]),
    ("Показания: 12,345", [(T(12), "ambiguous")]),
    ("Т1 1234 Т2 5678 Т3 9012", [({"peak": 1234}, "current"), ({"half_peak": 5678}, "current"),
                                 ({"night": 9012}, "current")]),
]


@pytest.mark.parametrize(("text", "expected"), ROLES)
def test_candidate_roles(text: str, expected: list[tuple[dict[str, int], str]]) -> None:
    """Each reading-like number is kept as a candidate whose label says the role it played."""
    assert [(candidate.value, candidate.label) for candidate in find_readings(text).candidates] == expected


NOTES: list[tuple[str, str]] = [
    ("Показания 012345", "leading_zeros"),
    ("Показания 12345,6", "decimal_dropped"),
    ("Показания 12 345", "grouped_digits"),
    ("Т1 1 Т2 2 Т3 3", "t123_convention"),
    ("1#001952", "sms"),
    ("день 12345", "register"),
    ("Показания 12345", "keyword"),
    ("12345", "bare"),
]


@pytest.mark.parametrize(("text", "note"), NOTES)
def test_candidate_notes(text: str, note: str) -> None:
    """Candidate notes say how the number was found and what was done to it."""
    assert note in find_readings(text).candidates[0].notes


MENTIONS: list[tuple[str, bool]] = [
    ("Показания не изменились, счетчик стоит", True),
    ("Показники лічильника за листопад.\nПоказники:\nТел. 0503307812", True),
    ("Показания на фото во вложении", True),
    ("pokazaniya", True),
    ("день 12345 ночь 6789", True),
    ("1#12345", True),
    ("Третий день нет света, когда дадут?", False),
    ("Счет на оплату № 3487", False),
    ("", False),
]


@pytest.mark.parametrize(("text", "mentions"), MENTIONS)
def test_mentions_reading(text: str, mentions: bool) -> None:
    """``mentions_reading`` tells a text about readings (even without a number) from one that is not."""
    assert find_readings(text).mentions_reading is mentions


def test_exclude_spans_are_never_readings() -> None:
    """A number overlapping a span claimed by another parser is not read, whatever its label."""
    text = "Показания 12345 и 67890"
    assert find_readings(text).conflicting
    assert find_readings(text, exclude=[(18, 23)]).current == T(12345)


def test_exclude_tolerates_spans_outside_the_text() -> None:
    """Exclude spans beyond the text or reversed do no harm."""
    assert find_readings("Показания 12345", exclude=[(-5, 2), (100, 200), (9, 3)]).current == T(12345)


def test_subject_and_body_are_readable_separately() -> None:
    """A subject and a body each give their own reading; the same value twice is no conflict."""
    subject, body = "Показания 18022 ул. Рабочая 5 кв 1", "показания 018022"
    assert find_readings(subject).current == find_readings(body).current == T(18022)
    assert find_readings(subject + "\n" + body).current == T(18022)


def test_current_confidence_is_lower_for_bare_numbers() -> None:
    """A bare number is a weaker candidate than a labelled one."""
    bare = find_readings("Гагарина 5 кв 12, 012345").candidates[0].confidence
    labelled = find_readings("Показания 012345").candidates[0].confidence
    assert bare < labelled


def test_result_type() -> None:
    """The result is a frozen ReadingsFound whose registers are the documented ones."""
    found = find_readings("пик 1 полупик 2 ночь 3")
    assert isinstance(found, ReadingsFound)
    assert found.current is not None and set(found.current) <= set(REGISTERS)
    with pytest.raises(AttributeError):
        found.current = None  # type: ignore[misc]


def test_huge_input_is_bounded() -> None:
    """Long adversarial inputs are read quickly and without error."""
    for text in ("1 " * 20_000, "показания 12345 " * 5_000, "ул " + "аааа " * 10_000 + "5", "067 123 45 67 " * 2_000):
        assert isinstance(find_readings(text), ReadingsFound)


TEXTS = st.one_of(
    st.text(),
    st.lists(st.sampled_from(["0", "1", "12", "345", "012345", "6,7", " ", ".", ",", ":", "-", "#", "/", "(", ")",
                              "\n", "показания", "день", "ночь", "пик", "Т1", "Т3", "T0", "кв", "ул. Рабочая",
                              "тел.", "л/с", "грн", "было", "ошибся", "Пример:", "Ваши показания приняты",
                              "01.12.2016", "Рабочая"]), max_size=40).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_never_raises_and_values_come_from_the_input(text: str) -> None:
    """Any input is accepted, and every value's digits are written under its candidate's span."""
    found = find_readings(text)
    for candidate in found.candidates:
        ((register, value),) = candidate.value.items()
        assert register in REGISTERS and value >= 0
        assert str(value) in re.sub(r"[^0-9]", "", text[candidate.span[0] : candidate.span[1]]) or value == 0
    if found.current is not None:
        assert not found.conflicting
        used = {(register, value) for c in found.candidates for register, value in c.value.items()}
        assert set(found.current.items()) <= used


@pytest.mark.parametrize("value", [None, 12345, b"\xff\xfe"])
def test_non_text_gives_nothing(value: object) -> None:
    """A value that is not a string yields an empty result instead of an error."""
    assert find_readings(value) == ReadingsFound(None, [], False, False)  # type: ignore[arg-type]
