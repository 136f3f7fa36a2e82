"""Pure parts of the review console: reading and date input, highlighting segments, the e-mail view,
attachment file names, deadlines, users and the session secret file."""

from __future__ import annotations

import os
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from mailworker.review.common import billing_deadline, format_age, reason_text
from mailworker.review.edits import parse_day, parse_reading, registers_text
from mailworker.review.message_view import attachment, build_view, safe_filename, segments
from mailworker.users import UserError, add_user, authenticate, check_name, set_password
from mailworker.web.app import SecretError, load_secret_key
from tests.e2e import support


@pytest.mark.parametrize(("raw", "value", "error"), [
    ("12345", 12345, None), (" 12 345 ", 12345, None), ("0", 0, None), ("007", 7, None),
    ("12\u00a0345", 12345, None), ("12'345", 12345, None), ("123456789", 123456789, None),
    ("-1", None, "negative"), ("-0", None, "negative"), ("1.5", None, "whole number"), ("1,5", None, "whole number"),
    ("12a", None, "whole number"), ("+5", None, "whole number"), ("", None, "Enter the reading"),
    ("   ", None, "Enter the reading"), ("1234567890", None, "at most 9"), ("١٢٣", None, "whole number"),
    ("²", None, "whole number"), ("1e3", None, "whole number"), ("0x10", None, "whole number"),
])
def test_parse_reading(raw: str, value: int | None, error: str | None) -> None:
    """Typed readings: digits (with group spaces) are accepted; anything else gets a plain message."""
    parsed, problem = parse_reading(raw)
    assert parsed == value
    assert (problem is None) if error is None else (problem is not None and error in problem)


@given(st.text(max_size=40))
def test_parse_reading_never_raises_and_keeps_digits(raw: str) -> None:
    """Any input gives a value or an error, and a value's digits are the input's digits."""
    value, problem = parse_reading(raw)
    assert (value is None) != (problem is None)
    if value is not None:
        assert str(value) in "".join(ch for ch in raw if ch.isdigit()).lstrip("0") or value == 0


@pytest.mark.parametrize(("raw", "day"), [
    ("2024-03-01", date(2024, 3, 1)), ("01.03.2024", date(2024, 3, 1)), ("1/3/2024", date(2024, 3, 1)),
    (" 2024-03-01 ", date(2024, 3, 1)), ("31.02.2024", None), ("2024-13-01", None), ("", None), ("yesterday", None),
])
def test_parse_day(raw: str, day: date | None) -> None:
    """ISO dates (the date field) and day.month.year are read; impossible dates are None."""
    assert parse_day(raw) == day


@given(st.text(max_size=60), st.lists(st.tuples(st.integers(-5, 70), st.integers(-5, 70)), max_size=8))
def test_segments_rebuild_the_text(text: str, spans: list[tuple[int, int]]) -> None:
    """Whatever the spans, the segments put together are exactly the text, marks never overlap."""
    marks = [(a, b, "reading", "") for a, b in spans if 0 <= a < b <= len(text)]
    pieces = segments(text, marks)
    assert "".join(p.text for p in pieces) == text
    assert all(p.text for p in pieces)


def test_segments_mark_the_spans() -> None:
    """A span becomes one marked segment between plain ones; a nested span is dropped."""
    pieces = segments("Показания 12345 на 01.12", [(10, 15, "reading", "r"), (11, 13, "date", "x"),
                                                   (19, 24, "date", "d")])
    assert [(p.text, p.field) for p in pieces] == [("Показания ", None), ("12345", "reading"), (" на ", None),
                                                   ("01.12", "date")]


@pytest.mark.parametrize("raw", [b"", b"\x00\xff" * 100, b"Subject: x\r\n\r\nbody", b"Content-Type: multipart/mixed"],
                         ids=["empty", "binary", "minimal", "broken-multipart"])
def test_build_view_never_raises(raw: bytes) -> None:
    """Broken or empty messages still give a view (possibly with no text)."""
    view = build_view(raw, {"readings": [{"source": "new", "span": [0, 999]}, "junk"]})
    assert isinstance(view.blocks, list)


def test_hostile_view_lists_attachments_and_text() -> None:
    """The hostile e-mail's texts keep the script as text, its attachments are listed with real types."""
    raw = support.hostile_emails()["plain"]
    view = build_view(raw, {})
    text = "".join(s.text for b in view.blocks for s in b.segments)
    assert support.SCRIPT in text and "Показания счетчика 12345" in text
    assert [(a.filename, a.content_type) for a in view.attachments] == [
        (f"{support.ONERROR}.png", "image/png"), ("fake.png", "image/png"), ("evil.svg", "image/svg+xml"),
        (f'{support.SCRIPT}".html', "text/html")]
    found = attachment(raw, 0)
    assert found is not None and found[1] == support.PNG_1PX and attachment(raw, 4) is None


@pytest.mark.parametrize(("name", "safe"), [
    ("photo.jpg", "photo.jpg"), ("../../etc/passwd", "_.._etc_passwd"), ('a"b\r\nc.png', "a_b__c.png"),
    ("<script>.html", "_script_.html"), ("", "attachment-3"), ("...", "attachment-3"), ("фото 1.png", "фото 1.png"),
])
def test_safe_filename(name: str, safe: str) -> None:
    """Attachment names lose paths, quotes, control characters and markup before reaching a header."""
    assert safe_filename(name, 2) == safe


@pytest.mark.parametrize(("day", "deadline"), [
    (date(2024, 3, 1), date(2024, 3, 4)), (date(2024, 3, 4), date(2024, 3, 4)), (date(2024, 3, 5), date(2024, 4, 4)),
    (date(2024, 12, 31), date(2025, 1, 4)), (date(2024, 1, 31), date(2024, 2, 4)),
])
def test_billing_deadline(day: date, deadline: date) -> None:
    """A message belongs to the billing close on the 4th of its month, or of the next month after the 4th."""
    assert billing_deadline(day) == deadline


def test_format_age_and_reason_text() -> None:
    """Ages are short; unknown reasons fall back to readable words."""
    assert [format_age(timedelta(minutes=m)) for m in (0, 59, 60, 47 * 60, 3 * 24 * 60)] == [
        "0 min", "59 min", "1 h", "47 h", "3 d"]
    assert reason_text("some_new_reason") == "some new reason" and "lower" in reason_text("reading_decreased")


def test_users_are_validated_and_hashed(factory: sessionmaker[Session]) -> None:
    """Names, roles and passwords are checked; only the right password authenticates; disabled users cannot."""
    with factory.begin() as session:
        user = add_user(session, "olena.k", "long enough pw", "reviewer", method=support.FAST_HASH)
        assert "long enough pw" not in user.password_hash
        for name, password, role in (("a b", "long enough pw", "reviewer"), ("olena.k", "long enough pw", "admin"),
                                     ("x", "short", "reviewer"), ("y", "long enough pw", "boss")):
            with pytest.raises(UserError):
                add_user(session, name, password, role, method=support.FAST_HASH)
    with factory.begin() as session:
        assert authenticate(session, "olena.k", "long enough pw") is not None
        assert authenticate(session, "olena.k", "wrong") is None and authenticate(session, "nobody", "x") is None
        set_password(session, "olena.k", "a new password", method=support.FAST_HASH)
        assert authenticate(session, "olena.k", "a new password") is not None
        again = authenticate(session, "olena.k", "a new password")
        assert again is not None
        again.active = False
    with factory() as session:
        assert authenticate(session, "olena.k", "a new password") is None
    assert check_name("Олена_1") == "Олена_1"


def test_secret_key_from_env_or_private_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The secret comes from the environment, else from a file created once with mode 0600 (tightened if loose)."""
    monkeypatch.delenv("MAILWORKER_WEB_SECRET", raising=False)
    path = tmp_path / "var" / "web_secret"
    first = load_secret_key(path)
    assert len(first) >= 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_key(path) == first
    os.chmod(path, 0o644)
    assert load_secret_key(path) == first and stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("MAILWORKER_WEB_SECRET", "e" * 40)
    assert load_secret_key(path) == "e" * 40
    monkeypatch.setenv("MAILWORKER_WEB_SECRET", "short")
    with pytest.raises(SecretError):
        load_secret_key(path)
    monkeypatch.delenv("MAILWORKER_WEB_SECRET")
    path.write_text("tiny\n")
    with pytest.raises(SecretError):
        load_secret_key(path)


def test_registers_text() -> None:
    """Register lists read naturally."""
    assert registers_text(["total"]) == "total" and registers_text(["day", "night"]) == "day and night"
    assert registers_text(["peak", "half_peak", "night"]) == "peak, half-peak and night"


def test_wsgi_factory_reads_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``mailworker.web.wsgi:create()`` builds the console from the environment and rejects a bad claim time."""
    from mailworker.config import ConfigError
    from mailworker.web.wsgi import create

    config = support.write_config(tmp_path, f"sqlite:///{tmp_path / 'w.db'}")
    monkeypatch.setenv("MAILWORKER_WEB_SECRET", "w" * 40)
    monkeypatch.setenv("MAILWORKER_CLAIM_MINUTES", "45")
    app = create(str(config))
    assert app.extensions["mailworker"].config.claim_minutes == 45 and app.config["SESSION_COOKIE_SECURE"]
    assert app.test_client().get("/queue").status_code == 302
    monkeypatch.setenv("MAILWORKER_CLAIM_MINUTES", "soon")
    with pytest.raises(ConfigError):
        create(str(config))
