"""Reviewer actions through the console on SQLite and PostgreSQL: claims and their conflicts, edit
validation (nothing posted on error), warnings before the final confirm, posting, rejecting, next item."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from mailworker.db.models import Message, PostedReading, RegistryAccount, ReviewItem
from mailworker.db.review_models import ReviewEvent
from mailworker.web import WebConfig, create_app
from tests.e2e import support

SECRET = "test-secret-" + "y" * 40


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def console(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[sessionmaker[Session], Flask]]:
    """A copy of the seeded database and a console on it, per backend; each test works on items of its own."""
    folder = tmp_path_factory.mktemp("web_actions")
    url = support.seeded_url(request, request.param, folder)
    factory = support.open_factory(url)
    yield factory, create_app(factory, support.settings_for(url, folder), WebConfig(SECRET, secure_cookies=False))
    factory.kw["bind"].dispose()


def _client(console: tuple[sessionmaker[Session], Flask], name: str) -> tuple[FlaskClient, str]:
    client = console[1].test_client()
    return client, support.login(client, name)


def _item(factory: sessionmaker[Session], item_id: int) -> ReviewItem:
    with factory() as session:
        item = session.get(ReviewItem, item_id)
        assert item is not None
        return item


def _posted(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(PostedReading)) or 0)


def _form(token: str, account: RegistryAccount | str, readings: dict[str, Any], day: date | str,
          **extra: Any) -> dict[str, Any]:
    account_id = account if isinstance(account, str) else account.account_id
    data = {"csrf_token": token, "account_other": account_id, "fixation_date": str(day), **extra}
    data.update({f"reading_{reg}": str(value) for reg, value in readings.items()})
    return data


def _next_month(account: RegistryAccount) -> date:
    assert account.last_reading_date is not None
    first = account.last_reading_date.replace(day=1)
    return (first + timedelta(days=32)).replace(day=1)


def test_claim_conflict_between_two_users(console: tuple[sessionmaker[Session], Flask]) -> None:
    """Once alice claims an item, bob sees it held and can neither claim, post nor reject it; an admin frees it."""
    factory = console[0]
    item_id, account = support.plain_item(factory)
    alice, alice_token = _client(console, "alice")
    bob, bob_token = _client(console, "bob")
    assert alice.post(f"/items/{item_id}/claim", data={"csrf_token": alice_token}).status_code == 302
    page = bob.get(f"/items/{item_id}").text
    assert "Being handled by alice" in page and 'id="post-button" disabled' in page
    bob.post(f"/items/{item_id}/claim", data={"csrf_token": bob_token})
    assert "is being handled by alice" in bob.get(f"/items/{item_id}").text
    readings = {k: v + 10 for k, v in account.last_readings.items()}
    posted = _posted(factory)
    bob.post(f"/items/{item_id}/post", data=_form(bob_token, account, readings, _next_month(account)))
    bob.post(f"/items/{item_id}/reject", data={"csrf_token": bob_token, "reason_text": "mine"})
    item = _item(factory, item_id)
    assert item.status == "claimed" and item.claimed_by == "alice" and _posted(factory) == posted
    root, root_token = _client(console, "root")
    assert root.post(f"/items/{item_id}/release", data={"csrf_token": root_token}).status_code == 302
    assert bob.post(f"/items/{item_id}/claim", data={"csrf_token": bob_token}).status_code == 302
    assert _item(factory, item_id).claimed_by == "bob"


def test_claim_expires_after_the_configured_time(console: tuple[sessionmaker[Session], Flask]) -> None:
    """A claim older than the claim time no longer blocks anyone, and the queue shows the item as open."""
    factory = console[0]
    item_id, _ = support.plain_item(factory)
    alice, alice_token = _client(console, "alice")
    bob, bob_token = _client(console, "bob")
    alice.post(f"/items/{item_id}/claim", data={"csrf_token": alice_token})
    with factory.begin() as session:
        old = _item(factory, item_id).claimed_at
        assert old is not None
        session.execute(update(ReviewItem).where(ReviewItem.id == item_id)
                        .values(claimed_at=old - timedelta(minutes=31)))
    assert f'class="itemlink">{item_id}<' in bob.get("/queue?status=open").text
    bob.post(f"/items/{item_id}/claim", data={"csrf_token": bob_token})
    assert _item(factory, item_id).claimed_by == "bob"


def test_invalid_edits_show_form_errors_and_post_nothing(console: tuple[sessionmaker[Session], Flask]) -> None:
    """Negative, non-numeric or empty readings, an unknown account, a bad or future date, wrong registers: 422."""
    factory = console[0]
    item_id, account = support.plain_item(factory)
    client, token = _client(console, "alice")
    good = {k: v + 10 for k, v in account.last_readings.items()}
    day = _next_month(account)
    tomorrow = date.today() + timedelta(days=2)
    cases: list[tuple[RegistryAccount | str, dict[str, Any], date | str, str]] = [
        (account, {"total": "-5"}, day, "A reading cannot be negative."),
        (account, {"total": "12a45"}, day, "A reading is a whole number"),
        (account, {"total": "1234.5"}, day, "A reading is a whole number"),
        (account, {"total": ""}, day, "Enter the reading."),
        (account, {"total": "1" * 12}, day, "at most 9 digits"),
        ("0000000000", good, day, "Unknown account 0000000000"),
        ("", good, day, "Choose or type the account number."),
        (account, good, tomorrow, f"The date {tomorrow:%d.%m.%Y} is in the future."),
        (account, good, "31.02.2016", "Enter the date the meter was read"),
        (account, good, "", "Enter the date the meter was read"),
        (account, {"day": 100, "night": 50}, day, "has a 1-zone meter: enter total only"),
    ]
    posted = _posted(factory)
    for chosen, readings, when, message in cases:
        response = client.post(f"/items/{item_id}/post", data=_form(token, chosen, readings, when))
        assert response.status_code == 422, message
        assert message in response.text and "Nothing was posted" in response.text, message
    assert _posted(factory) == posted
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(ReviewEvent)
                              .where(ReviewEvent.item_id == item_id, ReviewEvent.action == "post")) == 0
    assert _item(factory, item_id).status == "open"


def test_warnings_need_a_confirmation_before_posting(console: tuple[sessionmaker[Session], Flask]) -> None:
    """A lower reading shows the warning and posts nothing; confirming the same values posts them."""
    factory = console[0]
    item_id, account = support.plain_item(factory)
    client, token = _client(console, "alice")
    lower = {k: v - 1 for k, v in account.last_readings.items()}
    before = _posted(factory)
    form = _form(token, account, lower, _next_month(account))
    page = client.post(f"/items/{item_id}/post", data=form)
    assert page.status_code == 200 and "Check before posting" in page.text
    assert "The reading is lower than the last one" in page.text and 'name="ack" value="reading_decreased"' in page.text
    assert _posted(factory) == before and _item(factory, item_id).status == "open"
    done = client.post(f"/items/{item_id}/post", data={**form, "ack": "reading_decreased"})
    assert done.status_code == 302 and _posted(factory) == before + 1
    with factory() as session:
        reading = session.scalar(select(PostedReading).where(PostedReading.message_id == _item(factory, item_id)
                                                             .message_id))
        assert reading is not None and reading.registers == lower and reading.reviewer == "alice"
        event = session.scalar(select(ReviewEvent).where(ReviewEvent.item_id == item_id, ReviewEvent.action == "post"))
        assert event is not None and event.after is not None and event.before is not None
        assert event.after["warnings_confirmed"] == ["reading_decreased"] and event.before["status"] == "open"


def test_post_leaves_the_queue_and_opens_the_next_item(console: tuple[sessionmaker[Session], Flask]) -> None:
    """A corrected reading is posted under the reviewer's name, leaves the queue, shows in the log and history."""
    factory = console[0]
    item_id, account = support.plain_item(factory)
    client, token = _client(console, "alice")
    corrected = {k: v + 25 for k, v in account.last_readings.items()}
    response = client.post(f"/items/{item_id}/post", data=_form(token, account, corrected, _next_month(account)))
    assert response.status_code == 302
    next_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert next_id != item_id and _item(factory, next_id).claimed_by == "alice"
    assert f"Posted item {item_id}" in client.get(response.headers["Location"]).text
    item = _item(factory, item_id)
    assert item.status == "posted" and item.decided_by == "alice"
    with factory() as session:
        message = session.get(Message, item.message_id)
        assert message is not None and message.status == "processed"
        row = session.get(RegistryAccount, account.account_id)
        assert row is not None and row.last_readings == corrected
    assert f'class="itemlink">{item_id}<' not in client.get("/queue").text
    log = client.get(f"/posted?account={account.account_id}").text
    assert f"<td>{account.account_id}</td>" in log and "alice" in log
    assert "post" in client.get(f"/history?item={item_id}").text
    again = client.post(f"/items/{item_id}/post", data=_form(token, account, corrected, _next_month(account)))
    assert again.status_code == 302 and "already decided" in client.get(again.headers["Location"]).text


def test_reject_not_a_reading_and_release(console: tuple[sessionmaker[Session], Flask]) -> None:
    """Reject needs a reason; not-a-reading and release work; each is audited under the reviewer's name."""
    factory = console[0]
    first, _ = support.plain_item(factory)
    second, _ = support.plain_item(factory)
    third, _ = support.plain_item(factory)
    client, token = _client(console, "bob")
    client.post(f"/items/{first}/reject", data={"csrf_token": token, "reason_text": "  "})
    assert _item(factory, first).status == "open"
    assert "Give a reason" in client.get(f"/items/{first}").text
    client.post(f"/items/{first}/reject", data={"csrf_token": token, "reason_choice": "Duplicate of an e-mail"})
    assert _item(factory, first).status == "rejected" and _item(factory, first).note == "Duplicate of an e-mail"
    client.post(f"/items/{second}/not-a-reading", data={"csrf_token": token, "note": "a question"})
    assert _item(factory, second).status == "not_a_reading"
    client.post(f"/items/{third}/claim", data={"csrf_token": token})
    assert client.post(f"/items/{third}/release", data={"csrf_token": token}).headers["Location"] == "/queue"
    assert _item(factory, third).status == "open"
    with factory() as session:
        last = {item_id: session.scalars(select(ReviewEvent.action).where(
            ReviewEvent.item_id == item_id, ReviewEvent.actor == "bob").order_by(ReviewEvent.id.desc())).first()
            for item_id in (first, second, third)}
    assert last == {first: "reject", second: "not_a_reading", third: "release"}


def test_next_item_skips_what_others_hold(console: tuple[sessionmaker[Session], Flask]) -> None:
    """“Start next item” gives alice the oldest item nobody else holds, and claims it for her."""
    factory = console[0]
    oldest, _ = support.plain_item(factory)
    bob, bob_token = _client(console, "bob")
    bob.post(f"/items/{oldest}/claim", data={"csrf_token": bob_token})
    alice, alice_token = _client(console, "alice")
    response = alice.post("/queue/next", data={"csrf_token": alice_token})
    chosen = int(response.headers["Location"].rsplit("/", 1)[1])
    assert chosen != oldest and _item(factory, chosen).claimed_by == "alice"
    assert alice.post("/items/999999/claim", data={"csrf_token": alice_token}).status_code == 404
    assert alice.get("/items/999999").status_code == 404
