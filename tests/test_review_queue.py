"""The review queue with thousands of items on SQLite and PostgreSQL: order, filters, counts, paging,
claim expiry and the next item, through the query functions and the rendered queue page."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from mailworker.config import Settings
from mailworker.db.models import Message, RawBlob, ReviewItem
from mailworker.review.common import Actor, billing_deadline
from mailworker.review.queue import list_queue, next_item_id, one_line_summary, reason_counts, status_counts
from mailworker.web import WebConfig, create_app
from tests.e2e import support

REASONS = ("no_account_match", "ambiguous_account", "reading_decreased", "date_stale", "no_reading", "spam")
START = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


def generate_queue(factory: sessionmaker[Session], count: int) -> None:
    """``count`` items: reasons in rotation (every 7th has two), every 10th claimed (half expired), 20th posted."""
    raw = support.simple_email("Показания 12345")
    now = datetime.now(UTC)
    messages, items = [], []
    for n in range(1, count + 1):
        created = START + timedelta(minutes=n)
        messages.append({"id": n, "mailbox": "gen", "folder": "INBOX", "uidvalidity": 0, "source_key": f"g{n}",
                         "sha256": "f" * 64, "size": len(raw), "headers_only": False, "fetched_at": created,
                         "status": "review", "post_action_done": False, "attempts": 1, "subject": f"Показания {n}",
                         "sender": f"c{n}@example.com", "sent_at": created})
        reasons = [REASONS[n % len(REASONS)]] + ([REASONS[(n + 1) % len(REASONS)]] if n % 7 == 0 else [])
        status = "posted" if n % 20 == 0 else "claimed" if n % 10 == 0 else "open"
        claimed_at = (now - timedelta(minutes=5 if n % 40 == 10 else 90)) if status == "claimed" else None
        items.append({"id": n, "message_id": n, "status": status, "reasons": reasons, "created_at": created,
                      "proposal": {"account_id": f"{n:010d}", "readings": {"total": 1000 + n},
                                   "fixation_date": "2024-03-01", "phone": None, "confidence": 0.5},
                      "candidates": {}, "claimed_by": "bob" if status == "claimed" else None,
                      "claimed_at": claimed_at})
    with factory.begin() as session:
        session.add(RawBlob(sha256="f" * 64, size=len(raw), data=raw))
        session.flush()
        session.execute(insert(Message), messages)
        session.execute(insert(ReviewItem), items)


def expected(count: int) -> dict[str, list[int]]:
    """Which generated ids fall in each status filter (claims of n % 40 == 10 are live, the rest expired)."""
    live = [n for n in range(1, count + 1) if n % 40 == 10]
    posted = [n for n in range(1, count + 1) if n % 20 == 0]
    todo = [n for n in range(1, count + 1) if n % 20 != 0]
    return {"todo": todo, "claimed": live, "posted": posted, "open": [n for n in todo if n not in live]}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def big(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """A database with 3,000 generated review items, shared by this module's tests (they only read the queue)."""
    factory = support.open_factory(support.fresh_url(request, request.param, tmp_path_factory.mktemp("queue")))
    generate_queue(factory, 3000)
    support.add_users(factory)
    yield factory
    factory.kw["bind"].dispose()


def test_list_queue_filters_orders_and_pages(big: sessionmaker[Session]) -> None:
    """Each status filter returns exactly its items, oldest first, 50 a page, with the right totals."""
    want = expected(3000)
    with big() as session:
        for status, ids in want.items():
            page = list_queue(session, status=status, per_page=50)
            assert page.total == len(ids) and [r.id for r in page.rows] == ids[:50], status
        last = list_queue(session, status="todo", page=10_000, per_page=50)
        assert last.page == last.pages and [r.id for r in last.rows] == want["todo"][(last.pages - 1) * 50:]
        with_reason = list_queue(session, status="todo", reason="spam", page=2, per_page=20)
        spam = [n for n in want["todo"] if REASONS[n % 6] == "spam" or (n % 7 == 0 and REASONS[(n + 1) % 6] == "spam")]
        assert with_reason.total == len(spam) and [r.id for r in with_reason.rows] == spam[20:40]
        assert not list_queue(session, reason="spam_", per_page=5).rows  # LIKE wildcards are escaped
        counts = reason_counts(session)
        assert sum(counts.values()) == sum(1 + (n % 7 == 0) for n in want["todo"])
        assert status_counts(session)["posted"] == len(want["posted"])


def test_queue_rows_say_who_holds_what(big: sessionmaker[Session]) -> None:
    """Live claims show the holder; expired ones show as open; deadlines follow the 4th-of-month rule."""
    with big() as session:
        rows = {r.id: r for r in list_queue(session, status="todo", per_page=100).rows}
    assert rows[10].shown_status == "claimed" and rows[10].claimed_by == "bob"
    assert rows[30].shown_status == "open" and rows[30].claim_expired
    assert rows[1].deadline == billing_deadline(START.date()) and rows[1].summary.startswith("account 0000000001")


def test_next_item_prefers_own_claim_then_oldest_free(big: sessionmaker[Session]) -> None:
    """bob resumes his live claim first; alice gets the oldest item not held by anybody else."""
    with big() as session:
        assert next_item_id(session, Actor("bob")) == 10
        assert next_item_id(session, Actor("alice")) == 1
        assert next_item_id(session, Actor("alice"), after=1) == 2


def test_queue_page_with_3000_items(big: sessionmaker[Session]) -> None:
    """The rendered queue page shows the 50 oldest of 3,000 items, the counts and the pager (time reported)."""
    app = create_app(big, Settings(), WebConfig("q" * 40, secure_cookies=False))
    client = app.test_client()
    support.login(client)
    started = time.perf_counter()
    response = client.get("/queue")
    first_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    filtered = client.get("/queue?status=open&reason=date_stale&page=5")
    filtered_ms = (time.perf_counter() - started) * 1000
    links = [int(x) for x in re.findall(r'class="itemlink">(\d+)<', response.text)]
    assert response.status_code == 200 and links == expected(3000)["todo"][:50]
    assert f"Page 1 of {-(-len(expected(3000)['todo']) // 50)}" in response.text
    stale = [n for n in expected(3000)["open"] if "date_stale" in
             [REASONS[n % 6]] + ([REASONS[(n + 1) % 6]] if n % 7 == 0 else [])]
    assert [int(x) for x in re.findall(r'class="itemlink">(\d+)<', filtered.text)] == stale[200:250]
    print(f"\nqueue page, 3000 items: {first_ms:.0f} ms; filtered page 5: {filtered_ms:.0f} ms", file=sys.stderr)


@pytest.mark.parametrize(("proposal", "text"), [
    ({"account_id": "1", "readings": {"total": 5}, "fixation_date": "2024-03-01", "phone": "+380"},
     "account 1 · total 5 · 2024-03-01 · +380"),
    ({"account_id": None, "readings": None}, "no reading found"),
    ({"readings": {"day": 1, "night": 2}}, "day 1, night 2"),
    ({}, "no reading found"),
    (None, "no reading found"),
])
def test_one_line_summary(proposal: dict[str, object] | None, text: str) -> None:
    """The queue's one-line summary lists account, readings, date and phone, or says no reading was found."""
    assert one_line_summary(proposal) == text
