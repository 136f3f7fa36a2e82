"""Benchmark mail that matches a registry: customers with accounts, meters and last readings.

The e-mails use the same layouts, charsets and attachments as ``bench/mails.py``
but each one is written by a registry customer (old or Russian street and city
names included, resolved through the aliases), so the benchmark exercises the
whole decision: matching, plausibility checks, posting and review items.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass

from bench.mails import wrap_text

# (official city, official street, how customers write the city, how they write the street)
PLACES = [
    ("Дніпро", "вул. Робоча", ["Днепр", "Днепропетровск", "Дніпро"], ["ул. Рабочая", "вул. Робоча"]),
    ("Дніпро", "просп. Гагаріна", ["Днепр", "Дніпро"], ["пр. Гагарина", "просп. Гагаріна"]),
    ("Дніпро", "вул. Титова", ["Днепр", "Дніпро"], ["ул. Титова", "вул. Титова"]),
    ("Кам'янське", "вул. Сировця", ["Днепродзержинск", "Кам'янське"], ["ул. Сыровца", "вул. Сировця"]),
    ("Павлоград", "вул. Шевченка", ["Павлоград"], ["ул. Шевченко", "вул. Шевченка"]),
]
ALIASES_CSV = """city,old_name,new_name
,Днепр,Дніпро
,Днепропетровск,Дніпро
,Днепродзержинск,Кам'янське
Дніпро,ул. Рабочая,вул. Робоча
Дніпро,пр. Гагарина,просп. Гагаріна
Дніпро,ул. Титова,вул. Титова
Кам'янське,ул. Сыровца,вул. Сировця
Павлоград,ул. Шевченко,вул. Шевченка
"""
ONE_ZONE = [
    "Добрый день!\nПрошу принять показания счетчика.\nАдрес: г. {city}, {street}, д. {house}, кв. {flat}\n"
    "Показания: {total}\nДата снятия: {day:02d}.11.2026\nТел. {phone}\n",
    "{city}, {street} {house}-{flat} показания 1 # 0{total}\n",
    "Здравствуйте, передаю показания {total} кВт. Л/с {account}. {city}, {street} {house}/{flat}.\n"
    "С уважением, клиент\n\n-- \nОтправлено с iPhone\n",
]
TWO_ZONES = [
    "Доброго дня. {city}, {street} {house}, кв. {flat}. Показники: день {day_reading}, ніч {night_reading} "
    "станом на {day} листопада. Тел. {phone}\n",
]

SUBJECTS = ["Показания счетчика", "Показники лічильника", "показания", "Передача показаний", "Re: показания за ноябрь"]


@dataclass(frozen=True, slots=True)
class Customer:
    """One registry account."""

    account_id: str
    place: int
    house: int
    flat: int
    zones: int
    phone: str  # E.164
    last: tuple[int, ...]


def customers(count: int = 5000, seed: int = 7) -> list[Customer]:
    """``count`` customers with distinct addresses, the same for the same seed."""
    rng = random.Random(seed)
    chosen: list[Customer] = []
    seen: set[tuple[int, int, int]] = set()
    while len(chosen) < count:
        address = (rng.randrange(len(PLACES)), rng.randint(1, 150), rng.randint(1, 400))
        if address in seen:
            continue
        seen.add(address)
        zones = 2 if rng.random() < 0.3 else 1
        last = tuple(rng.randint(1000, 60000) for _ in range(zones))
        chosen.append(Customer(f"{rng.randint(100_000_000, 999_999_999):010d}", *address, zones,
                               f"+38067{rng.randint(1_000_000, 9_999_999)}", last))
    return chosen


def registry_csv(people: list[Customer]) -> str:
    """The registry CSV (SPEC format) for ``people``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["account_id", "meter_id", "zones", "city", "street", "house", "apartment", "phones",
                     "last_total", "last_day", "last_night", "last_peak", "last_half_peak", "last_reading_date",
                     "avg_monthly_kwh"])
    for n, person in enumerate(people):
        city, street = PLACES[person.place][:2]
        total = [person.last[0], "", ""] if person.zones == 1 else ["", *person.last]
        writer.writerow([person.account_id, 20_000_000 + n, person.zones, city, street, person.house, person.flat,
                         person.phone, *total, "", "", "2026-10-28", 150])
    return out.getvalue()


def _text(person: Customer, rng: random.Random) -> str:
    _, _, cities, streets = PLACES[person.place]
    used = [last + rng.randint(40, 300) for last in person.last]
    local = "0" + person.phone[4:]
    values = {"city": rng.choice(cities), "street": rng.choice(streets), "house": person.house,
              "flat": person.flat, "account": person.account_id, "day": rng.randint(25, 30),
              "phone": f"{local[:3]}-{local[3:6]}-{local[6:8]}-{local[8:]}", "total": used[0],
              "day_reading": used[0], "night_reading": used[-1]}
    return rng.choice(ONE_ZONE if person.zones == 1 else TWO_ZONES).format(**values)


def customer_mails(count: int, people: list[Customer], seed: int = 2026) -> Iterator[bytes]:
    """``count`` messages, each from a random customer of ``people``."""
    rng = random.Random(seed)
    for i in range(count):
        yield wrap_text(i, rng, _text(rng.choice(people), rng), rng.choice(SUBJECTS))
