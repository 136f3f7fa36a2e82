"""Tests for mailworker.registry: loading and validating registry.csv and street_aliases.csv."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from mailworker.registry import RegistryError, RegistryRecord, StreetAlias, load_aliases_csv, load_registry_csv

HEADER = ("account_id,meter_id,zones,city,street,house,apartment,phones,last_total,last_day,last_night,"
          "last_peak,last_half_peak,last_reading_date,avg_monthly_kwh")
ROW_1 = '0011055495,8982229875,1,Дніпро,вул. Князя Ярослава Мудрого,3,26,+380682321596,20796,,,,,2016-11-01,130'
ROW_2 = '1090566443,5328995083,2,Дніпро,просп. Героїв,2,77,+380634175598|0671234567,,7000,15000,,,2016-12-01,221'
ROW_3 = "4257039899,27057880,3,Дніпро,вул. Тиха,5,,,,,4000,3000,5000,2016-11-01,158"
ROW_4 = "\"0185881292\",9269919552,1,Кам'янське,\"вул. Сировця\",20/1,,,6615,,,,,,132"


def write(tmp_path: Path, *lines: str, name: str = "registry.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_loads_every_zone_layout(tmp_path: Path) -> None:
    """A valid registry loads with typed fields, the registers that fit the zones and E.164 phones."""
    records = load_registry_csv(write(tmp_path, HEADER, ROW_1, ROW_2, ROW_3, ROW_4))
    assert [r.account_id for r in records] == ["0011055495", "1090566443", "4257039899", "0185881292"]
    one, two, three, private = records
    assert one == RegistryRecord("0011055495", "8982229875", 1, "Дніпро", "вул. Князя Ярослава Мудрого", "3", "26",
                                 ("+380682321596",), {"total": 20796}, date(2016, 11, 1), 130)
    assert two.last == {"day": 7000, "night": 15000}
    assert two.phones == ("+380634175598", "+380671234567")
    assert three.last == {"night": 4000, "peak": 3000, "half_peak": 5000}
    assert three.apartment is None and three.phones == ()
    assert private.house == "20/1" and private.last_reading_date is None


def test_loads_the_dev_corpus_registry() -> None:
    """The dev corpus registry and alias files load completely, when present."""
    corpus = Path("/work/shared/corpus/dev")
    if not (corpus / "registry.csv").exists():
        pytest.skip("dev corpus not available")
    records = load_registry_csv(corpus / "registry.csv")
    assert len(records) == 150 and len({r.account_id for r in records}) == 150
    aliases = load_aliases_csv(corpus / "street_aliases.csv")
    assert StreetAlias(None, "Днепропетровск", "Дніпро") in aliases


def test_bom_and_blank_lines_are_accepted(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark and blank lines do not disturb loading."""
    path = tmp_path / "registry.csv"
    path.write_text("\ufeff" + HEADER + "\n\n" + ROW_1 + "\n\n", encoding="utf-8")
    assert len(load_registry_csv(path)) == 1


BAD_ROWS = [
    ("011055495,8982229875,1,Дніпро,вул. Робоча,3,26,,20796,,,,,2016-11-01,130", 1, "10 digits"),
    ("00110554951,8982229875,1,Дніпро,вул. Робоча,3,26,,20796,,,,,2016-11-01,130", 1, "10 digits"),
    ("001105549A,8982229875,1,Дніпро,вул. Робоча,3,26,,20796,,,,,2016-11-01,130", 1, "10 digits"),
    (",8982229875,1,Дніпро,вул. Робоча,3,26,,20796,,,,,2016-11-01,130", 1, "empty"),
    ("0011055495,89822X9875,1,Дніпро,вул. Робоча,3,26,,20796,,,,,2016-11-01,130", 2, "digits"),
    ("0011055495,8982229875,4,Дніпро,вул. Робоча,3,26,,20796,,,,,2016-11-01,130", 3, "1, 2 or 3"),
    ("0011055495,8982229875,,Дніпро,вул. Робоча,3,26,,20796,,,,,2016-11-01,130", 3, "empty"),
    ("0011055495,8982229875,1,,вул. Робоча,3,26,,20796,,,,,2016-11-01,130", 4, "empty"),
    ("0011055495,8982229875,1,Дніпро,,3,26,,20796,,,,,2016-11-01,130", 5, "empty"),
    ("0011055495,8982229875,1,Дніпро,вул. Робоча,,26,,20796,,,,,2016-11-01,130", 6, "empty"),
    ("0011055495,8982229875,1,Дніпро,вул. Робоча,три,26,,20796,,,,,2016-11-01,130", 6, "12А"),
    ("0011055495,8982229875,1,Дніпро,вул. Робоча,3,кв,,20796,,,,,2016-11-01,130", 7, "number"),
    ("0011055495,8982229875,1,Дніпро,вул. Робоча,3,26,12345,20796,,,,,2016-11-01,130", 8, "phone"),
    ("0011055495,8982229875,1,Дніпро,вул. Робоча,3,26,+380001234567,20796,,,,,2016-11-01,130", 8, "phone"),
    ("0011055495,8982229875,1,Дніпро,вул. Робоча,3,26,,,,,,,2016-11-01,130", 9, "integer"),
    ("0011055495,8982229875,1,Дніпро,вул. Робоча,3,26,,20796.5,,,,,2016-11-01,130", 9, "integer"),
    ("0011055495,8982229875,1,Дніпро,вул. Робоча,3,26,,-5,,,,,2016-11-01,130", 9, "integer"),
    ("0011055495,8982229875,1,Дніпро,вул. Робоча,3,26,,20796,100,,,,2016-11-01,130", 10, "must be empty"),
    ("0011055495,8982229875,2,Дніпро,вул. Робоча,3,26,,,100,,,,2016-11-01,130", 11, "integer"),
    ("0011055495,8982229875,2,Дніпро,вул. Робоча,3,26,,5,100,200,,,2016-11-01,130", 9, "must be empty"),
    ("0011055495,8982229875,3,Дніпро,вул. Робоча,3,26,,,,1,2,,2016-11-01,130", 13, "integer"),
    ("0011055495,8982229875,1,Дніпро,вул. Робоча,3,26,,20796,,,,,01.11.2016,130", 14, "ISO date"),
    ("0011055495,8982229875,1,Дніпро,вул. Робоча,3,26,,20796,,,,,2016-13-01,130", 14, "ISO date"),
    ("0011055495,8982229875,1,Дніпро,вул. Робоча,3,26,,20796,,,,,2016-11-01,", 15, "integer"),
    ("0011055495,8982229875,1,Дніпро,вул. Робоча,3,26,,20796,,,,,2016-11-01", 15, "expected 15 fields"),
]


@pytest.mark.parametrize(("row", "column", "words"), BAD_ROWS)
def test_bad_row_names_file_line_and_column(tmp_path: Path, row: str, column: int, words: str) -> None:
    """A bad cell raises RegistryError naming file:line:column and what is wrong, and nothing loads."""
    path = write(tmp_path, HEADER, ROW_2, row)
    with pytest.raises(RegistryError) as error:
        load_registry_csv(path)
    message = str(error.value)
    assert message.startswith(f"{path}:3:{column} ")
    assert words in message


def test_duplicate_account_is_an_error(tmp_path: Path) -> None:
    """The same account twice is an error pointing at the second line and naming the first."""
    path = write(tmp_path, HEADER, ROW_1, ROW_2, ROW_1)
    with pytest.raises(RegistryError, match=r":4:1 \(account_id\): duplicate account 0011055495 \(first on line 2\)"):
        load_registry_csv(path)


@pytest.mark.parametrize(
    "header",
    [HEADER.replace("zones,", ""), HEADER.replace("account_id", "account"), "", HEADER + ",zones"],
)
def test_bad_header(tmp_path: Path, header: str) -> None:
    """A header without the expected columns (or with a repeated one) is rejected at line 1."""
    path = write(tmp_path, header, ROW_1)
    with pytest.raises(RegistryError, match=r":1:1 \(header\)"):
        load_registry_csv(path)


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is a RegistryError, not an OSError."""
    with pytest.raises(RegistryError, match="cannot open"):
        load_registry_csv(tmp_path / "nope.csv")


def test_not_utf8(tmp_path: Path) -> None:
    """A file in another encoding is reported as unreadable."""
    path = tmp_path / "registry.csv"
    path.write_bytes((HEADER + "\n" + ROW_1 + "\n").encode("cp1251"))
    with pytest.raises(RegistryError, match="unreadable"):
        load_registry_csv(path)


def test_aliases_load(tmp_path: Path) -> None:
    """City renames have no city; street aliases keep the city they apply to."""
    path = write(tmp_path, "city,old_name,new_name", ",Днепропетровск,Дніпро",
                 "Дніпро,пр. Карла Маркса,просп. Дмитра Яворницького",
                 'Кривий Ріг,"пр. Карла Маркса",просп. Поштовий', name="street_aliases.csv")
    assert load_aliases_csv(path) == [
        StreetAlias(None, "Днепропетровск", "Дніпро"),
        StreetAlias("Дніпро", "пр. Карла Маркса", "просп. Дмитра Яворницького"),
        StreetAlias("Кривий Ріг", "пр. Карла Маркса", "просп. Поштовий"),
    ]


@pytest.mark.parametrize(
    ("row", "column"),
    [(",,Дніпро", 2), (",Днепр,", 3), ("Дніпро,ул. Ленина", 3)],
)
def test_bad_alias_rows(tmp_path: Path, row: str, column: int) -> None:
    """An alias row without an old or a new name, or short of a field, is rejected with line and column."""
    path = write(tmp_path, "city,old_name,new_name", row, name="street_aliases.csv")
    with pytest.raises(RegistryError, match=rf":2:{column} "):
        load_aliases_csv(path)
