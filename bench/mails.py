"""Realistic synthetic customer e-mails for benchmarks: varied clients, charsets, sizes and layouts."""

from __future__ import annotations

import base64
import quopri
import random
from collections.abc import Iterator

STREETS = ["ул. Рабочая", "пр. Карла Маркса", "вул. Робоча", "ул. Шевченко", "просп. Гагаріна", "ул. Титова",
           "бул. Славы", "вул. Сировця", "ж/м Тополь-2", "пер. Тихий"]
CITIES = ["Днепр", "Днепропетровск", "Дніпро", "Кам'янське", "Павлоград", "Никополь", "Кривой Рог"]
TEMPLATES = [
    "Добрый день!\nПрошу принять показания счетчика.\nАдрес: г. {city}, {street}, д. {house}, кв. {flat}\n"
    "Показания: {reading}\nДата снятия: {day:02d}.{month:02d}.2026\nТел. 067-{p1:03d}-{p2:02d}-{p3:02d}\n",
    "Доброго дня. {city}, {street} {house}, кв. {flat}. Показники: день {reading}, ніч {night} "
    "станом на {day} листопада. Тел. 050 {p1:03d} {p2:02d} {p3:02d}\n",
    "{street} {house}-{flat} показания 1 # 0{reading}\n",
    "Здравствуйте, передаю показания {reading} кВт. Л/с 0{account}. {city}, {street} {house}/{flat}.\n"
    "С уважением, клиент\n\n-- \nОтправлено с iPhone\n",
]


def _body(rng: random.Random) -> str:
    values = {"city": rng.choice(CITIES), "street": rng.choice(STREETS), "house": rng.randint(1, 150),
              "flat": rng.randint(1, 200), "reading": rng.randint(1000, 99999), "night": rng.randint(100, 50000),
              "day": rng.randint(1, 28), "month": rng.randint(1, 12), "p1": rng.randint(100, 999),
              "p2": rng.randint(10, 99), "p3": rng.randint(10, 99), "account": rng.randint(100000000, 999999999)}
    text = rng.choice(TEMPLATES).format(**values)
    if rng.random() < 0.25:
        quoted = "".join(f"> {line}\n" for line in rng.choice(TEMPLATES).format(**values).splitlines())
        text += f"\n\n1 ноября 2026 г., 10:15 пользователь Колл-центр написал:\n{quoted}"
    return text


def _headers(i: int, rng: random.Random, content_type: str, encoding: str, subject: str | None = None) -> str:
    subject = subject if subject is not None else f"Показания {i}"
    return (f"Return-Path: <client{i}@example.net>\r\nReceived: from mx.example.net by mx1.oblenergo.example "
            f"with ESMTPS; Tue, 1 Dec 2026 09:{i % 60:02d}:00 +0200\r\nFrom: Client {i} <client{i}@example.net>\r\n"
            f"To: call-centre@oblenergo.example\r\nSubject: =?utf-8?b?"
            f"{base64.b64encode(subject.encode()).decode()}?=\r\n"
            f"Date: Tue, 01 Dec 2026 09:{i % 60:02d}:{rng.randint(0, 59):02d} +0200\r\n"
            f"Message-ID: <bench-{i}-{rng.getrandbits(32):08x}@example.net>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n")


def _plain(text: str, charset: str, encoding: str) -> bytes:
    data = text.encode(charset)
    if encoding == "base64":
        return base64.encodebytes(data)
    if encoding == "quoted-printable":
        return quopri.encodestring(data)
    return data


def make_mail(i: int, rng: random.Random) -> bytes:
    """Message number ``i``: plain cp1251/koi8-r/utf-8, HTML alternative, or with a photo attachment."""
    return wrap_text(i, rng, _body(rng))


def wrap_text(i: int, rng: random.Random, text: str, subject: str | None = None) -> bytes:
    """``text`` as message number ``i``: plain in a Cyrillic charset, HTML alternative, or with a photo."""
    kind = rng.random()
    if kind < 0.6:
        charset, encoding = rng.choice([("windows-1251", "quoted-printable"), ("koi8-u", "8bit"),
                                        ("utf-8", "base64"), ("utf-8", "quoted-printable")])
        head = _headers(i, rng, f'text/plain; charset="{charset}"', encoding, subject)
        return head.encode("ascii") + _plain(text, charset, encoding)
    boundary = f"=_bench_{i}"
    html = "<html><body>" + "".join(f"<p>{line}</p>" for line in text.splitlines()) + "</body></html>"
    parts = [f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
             + base64.encodebytes(text.encode()).decode(),
             f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
             + base64.encodebytes(html.encode()).decode()]
    subtype = "alternative"
    if kind > 0.9:
        subtype = "mixed"
        photo = base64.encodebytes(rng.randbytes(rng.randint(20_000, 120_000))).decode()
        parts.append(f"--{boundary}\r\nContent-Type: image/jpeg; name=meter.jpg\r\nContent-Disposition: attachment;"
                     f" filename=meter.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\n{photo}")
    head = _headers(i, rng, f'multipart/{subtype}; boundary="{boundary}"', "7bit", subject)
    return (head + "\r\n".join(parts) + f"\r\n--{boundary}--\r\n").encode("utf-8")


def mails(count: int, seed: int = 2026) -> Iterator[bytes]:
    """``count`` messages, the same for the same seed."""
    rng = random.Random(seed)
    for i in range(count):
        yield make_mail(i, rng)
