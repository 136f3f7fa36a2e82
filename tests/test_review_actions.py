"""The review operations shared by the console and the CLI, on SQLite and PostgreSQL: claims, expiry,
concurrent claims, posting with validation and warnings, rejecting, and the audit trail they leave."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailworker.config import DecisionSettings
from mailworker.db.models import Message, PostedReading, RegistryAccount
from mailworker.db.review_models import ReviewEvent
from mailworker.review import actions
from mailworker.review.common import Actor, Conflict, EditErrors, NeedsConfirmation, NotFound, ReviewError
from mailworker.review.edits import EditInput
from tests.e2e import support

ALICE, BOB, ROOT = Actor("alice", "cli"), Actor("bob"), Actor("root", admin=True)
SETTINGS = DecisionSettings()
LAST = date(2024, 2, 1)


def add_account(session: Session, account_id: str, zones: int = 1) -> RegistryAccount:
    """A registry account with last reading 1000 (per register) on LAST, 100 kWh a month."""
    registers = {1: ("total",), 2: ("day", "night")}[zones]
    account = RegistryAccount(account_id=account_id, meter_id="M1", zones=zones, city="Дніпро",
                              street="вул. Тестова", house="1", apartment="2", phones="+380501112233",
                              last_readings=dict.fromkeys(registers, 1000), last_reading_date=LAST,
                              avg_monthly_kwh=100, updated_at=datetime.now(UTC))
    session.add(account)
    return account


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def factory(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[sessionmaker[Session]]:
    """One empty database per backend for this module; every test makes its own accounts and item."""
    made = support.open_factory(support.fresh_url(request, request.param, tmp_path_factory.mktemp("actions")))
    yield made
    made.kw["bind"].dispose()


@dataclass(frozen=True)
class Case:
    """A test's own item, its 1-zone account and a 2-zone account."""

    item_id: int
    account: str
    two_zones: str

    def edit(self, total: str = "1100", account: str | None = None, day: str = "2024-03-01") -> EditInput:
        """An edit of the total register (of this case's account unless another is named)."""
        return EditInput(self.account if account is None else account, {"total": total}, day)


@pytest.fixture
def case(factory: sessionmaker[Session]) -> Case:
    """An open item sent on 2024-03-02 for a fresh account whose last reading is 1000 on 2024-02-01."""
    one, two = (str(uuid.uuid4().int)[:10] for _ in range(2))
    with factory.begin() as session:
        add_account(session, one)
        add_account(session, two, zones=2)
        session.flush()
        sent = datetime(2024, 3, 2, 9, 0, tzinfo=UTC)
        item = support.insert_item(session, support.simple_email(f"{one} 1100", sent=sent),
                                   reasons=["low_confidence"], proposal={"account_id": one, "readings": {"total": 1100},
                                             "fixation_date": "2024-03-01"}, sent_at=sent)
        return Case(item.id, one, two)


def _events(factory: sessionmaker[Session], item_id: int) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(ReviewEvent)
                                  .where(ReviewEvent.item_id == item_id)) or 0)


def test_claim_renew_conflict_and_release(factory: sessionmaker[Session], case: Case) -> None:
    """A claim blocks others, its holder may renew and release it, an admin may release anyone's."""
    with factory.begin() as session:
        actions.claim(session, case.item_id, ALICE)
    with factory.begin() as session:
        actions.claim(session, case.item_id, ALICE)  # renewing one's own claim is fine
    for action in (lambda s: actions.claim(s, case.item_id, BOB), lambda s: actions.release(s, case.item_id, BOB),
                   lambda s: actions.reject(s, case.item_id, BOB, "no")):
        with pytest.raises(Conflict, match="being handled by alice"), factory.begin() as session:
            action(session)
    with factory.begin() as session:
        actions.release(session, case.item_id, ROOT)
    with pytest.raises(Conflict, match="not claimed"), factory.begin() as session:
        actions.release(session, case.item_id, ALICE)
    with pytest.raises(NotFound), factory.begin() as session:
        actions.claim(session, 999_999, ALICE)


def test_expired_claim_can_be_taken(factory: sessionmaker[Session], case: Case) -> None:
    """A claim older than the claim time does not block another reviewer."""
    with factory.begin() as session:
        item = actions.claim(session, case.item_id, ALICE)
        item.claimed_at = datetime.now(UTC) - timedelta(minutes=11)
    with factory.begin() as session:
        assert actions.claim(session, case.item_id, BOB, claim_minutes=10).claimed_by == "bob"


def test_two_reviewers_claiming_at_once_one_wins(factory: sessionmaker[Session], case: Case) -> None:
    """Two simultaneous claims on the same item: exactly one succeeds, the other gets a Conflict."""
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def attempt(actor: Actor) -> None:
        barrier.wait()
        try:
            with factory.begin() as session:
                actions.claim(session, case.item_id, actor)
            results[actor.name] = "won"
        except Conflict:
            results[actor.name] = "conflict"

    threads = [threading.Thread(target=attempt, args=(actor,)) for actor in (ALICE, BOB)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results.values()) == ["conflict", "won"]


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"total": "-1"}, "reading_total", "cannot be negative"),
    ({"total": "abc"}, "reading_total", "whole number"),
    ({"total": ""}, "reading_total", "Enter the reading"),
    ({"account": "999"}, "account", "Unknown account 999"),
    ({"account": "two_zones"}, "readings", "2-zone meter: enter day and night only (not total)"),
    ({"day": "2999-01-01"}, "fixation_date", "in the future"),
    ({"day": "1999-12-31"}, "fixation_date", "too old"),
    ({"day": "someday"}, "fixation_date", "Enter the date"),
])
def test_invalid_edit_posts_nothing(factory: sessionmaker[Session], case: Case, change: dict[str, str],
                                    field: str, message: str) -> None:
    """Each invalid value is named with a plain message and nothing is written."""
    if change.get("account") == "two_zones":
        change = {"account": case.two_zones}
    with pytest.raises(EditErrors) as raised, factory.begin() as session:
        actions.post(session, case.item_id, ALICE, case.edit(**change), SETTINGS)
    assert message in raised.value.errors[field]
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(PostedReading)
                              .where(PostedReading.account_id.in_((case.account, case.two_zones)))) == 0
    assert _events(factory, case.item_id) == 0


@pytest.mark.parametrize(("total", "day", "warnings"), [
    ("999", "2024-03-01", ["reading_decreased"]),
    ("9000", "2024-03-01", ["consumption_spike"]),
    ("1100", "2024-03-05", ["date_in_future"]),
    ("1100", "2024-01-05", ["date_stale"]),
])
def test_warnings_need_acknowledging(factory: sessionmaker[Session], case: Case, total: str, day: str,
                                     warnings: list[str]) -> None:
    """Implausible values raise NeedsConfirmation with the worker's reasons; acknowledged, they are posted."""
    with pytest.raises(NeedsConfirmation) as raised, factory.begin() as session:
        actions.post(session, case.item_id, ALICE, case.edit(total, day=day), SETTINGS)
    assert raised.value.warnings == warnings
    with factory.begin() as session:
        outcome = actions.post(session, case.item_id, ALICE, case.edit(total, day=day), SETTINGS,
                               acknowledged=warnings)
    assert outcome.new and outcome.reading.registers == {"total": int(total)} and outcome.reading.reviewer == "alice"


def test_post_is_audited_and_closes_the_message(factory: sessionmaker[Session], case: Case) -> None:
    """Posting records before → after, marks the ledger row processed and refuses a second decision."""
    with factory.begin() as session:
        outcome = actions.post(session, case.item_id, ALICE, case.edit("1 150"), SETTINGS)
    assert outcome.reading.registers == {"total": 1150} and outcome.reading.decided_by == "reviewer"
    with factory() as session:
        event = session.scalar(select(ReviewEvent).where(ReviewEvent.action == "post",
                                                         ReviewEvent.item_id == case.item_id))
        assert event is not None and event.actor == "alice" and event.channel == "cli"
        assert event.before is not None and event.before["proposal"]["readings"] == {"total": 1100}
        assert event.after is not None and event.after["readings"] == {"total": 1150}
        message = session.get(Message, outcome.item.message_id)
        assert message is not None and message.status == "processed"
        account = session.get(RegistryAccount, case.account)
        assert account is not None and account.last_readings == {"total": 1150}
    with pytest.raises(Conflict, match="already decided by alice"), factory.begin() as session:
        actions.reject(session, case.item_id, BOB, "late")


def test_same_reading_for_same_date_warns_when_different(factory: sessionmaker[Session], case: Case) -> None:
    """A different reading already posted for that account and date is a warning, not a silent second post."""
    with factory.begin() as session:
        session.add(PostedReading(account_id=case.account, registers={"total": 1050}, registers_key="total=1050",
                                  fixation_date=date(2024, 3, 1), posted_at=datetime.now(UTC), decided_by="auto",
                                  resubmissions=0))
    with factory() as session:
        checked = actions.check_post(session, case.item_id, case.edit("1100"), SETTINGS)
    assert checked.warnings == ["already_posted"] and checked.implied["consumption_kwh"] == 100


def test_reject_and_not_a_reading(factory: sessionmaker[Session], case: Case) -> None:
    """Reject needs a reason and keeps it as the note; a decided item cannot be marked again."""
    with pytest.raises(ReviewError, match="Give a reason"), factory.begin() as session:
        actions.reject(session, case.item_id, ALICE, "   ")
    with factory.begin() as session:
        item = actions.reject(session, case.item_id, ALICE, "  photo   unreadable ")
    assert item.status == "rejected" and item.note == "photo unreadable" and item.decided_by == "alice"
    with pytest.raises(Conflict), factory.begin() as session:
        actions.mark_not_a_reading(session, case.item_id, ALICE)
