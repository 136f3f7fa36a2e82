"""The ``review``, ``users`` and ``serve`` commands on SQLite and PostgreSQL: listing, showing, posting
(warnings need --yes, invalid values post nothing), rejecting, and adding users with hashed passwords."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailworker.config import Settings, load_settings
from mailworker.db.models import PostedReading, ReviewItem
from mailworker.db.review_models import ReviewEvent, User
from mailworker.db.session import make_engine, session_factory
from mailworker.review.cli import is_loopback, parse_reading_args, register
from mailworker.users import authenticate
from tests.e2e import support


@dataclass
class CliApp:
    """What the main CLI hands to a command."""

    settings: Settings
    engine: object
    factory: sessionmaker[Session]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def config(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A settings file on a copy of the seeded database, per backend."""
    folder = tmp_path_factory.mktemp("review_cli")
    yield support.write_config(folder, support.seeded_url(request, request.param, folder))


@pytest.fixture
def db(config: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on the module's database."""
    engine = make_engine(load_settings(config).database.url)
    yield session_factory(engine)
    engine.dispose()


def run(config: Path, *argv: str) -> int:
    """Parse ``argv`` with the registered commands and run the chosen one, like ``mailworker`` does."""
    parser = argparse.ArgumentParser(prog="mailworker")
    register(parser.add_subparsers(dest="command", required=True), lambda settings: None)
    args = parser.parse_args(list(argv))
    settings = load_settings(config)
    engine = make_engine(settings.database.url)
    try:
        return int(args.func(CliApp(settings, engine, session_factory(engine)), args))
    finally:
        engine.dispose()


def test_list_as_json_and_by_reason(config: Path, db: sessionmaker[Session],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """``review list --json`` gives every open item oldest first; ``--reason`` keeps only items with it."""
    with db() as session:
        todo = session.scalar(select(func.count()).select_from(ReviewItem)
                              .where(ReviewItem.status.in_(("open", "claimed"))))
    assert run(config, "review", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["total"] == todo and len(listed["items"]) == min(todo or 0, 100)
    reason = listed["items"][0]["reasons"][0]
    assert run(config, "review", "list", "--json", "--reason", reason) == 0
    assert all(reason in item["reasons"] for item in json.loads(capsys.readouterr().out)["items"])
    assert run(config, "review", "list", "--status", "all") == 0
    assert "item(s); page 1" in capsys.readouterr().err


def test_show_prints_the_mail_and_candidates(config: Path, db: sessionmaker[Session],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """``review show`` prints reasons, proposal and texts; ``--json`` is machine-readable; unknown id fails."""
    item_id, account = support.plain_item(db)
    assert run(config, "review", "show", str(item_id)) == 0
    out = capsys.readouterr().out
    assert f"item {item_id}" in out and account.account_id in out and "--- new ---" in out
    assert run(config, "review", "show", str(item_id), "--json") == 0
    assert json.loads(capsys.readouterr().out)["proposal"]["account_id"] == account.account_id
    assert run(config, "review", "show", "999999") == 1


def _posted(db: sessionmaker[Session]) -> int:
    with db() as session:
        return int(session.scalar(select(func.count()).select_from(PostedReading)) or 0)


def test_post_warning_needs_yes(config: Path, db: sessionmaker[Session], capsys: pytest.CaptureFixture[str]) -> None:
    """A lower reading is refused with the warning until ``--yes``; then it is posted under ``--as``."""
    item_id, account = support.plain_item(db)
    lower = [f"{k}={v - 1}" for k, v in account.last_readings.items()]
    before = _posted(db)
    assert run(config, "review", "post", str(item_id), *sum((["--reading", r] for r in lower), []),
               "--as", "carol") == 1
    assert "warning: reading_decreased" in capsys.readouterr().err and _posted(db) == before
    assert run(config, "review", "post", str(item_id), *sum((["--reading", r] for r in lower), []),
               "--as", "carol", "--yes") == 0
    assert f"posted item {item_id}" in capsys.readouterr().out and _posted(db) == before + 1
    with db() as session:
        event = session.scalar(select(ReviewEvent).where(ReviewEvent.item_id == item_id, ReviewEvent.action == "post"))
        assert event is not None and event.actor == "carol" and event.channel == "cli"


@pytest.mark.parametrize(("options", "message"), [
    (["--reading", "total=-5"], "cannot be negative"),
    (["--reading", "total=12x"], "whole number"),
    (["--account", "0000000000"], "Unknown account"),
    (["--date", "2999-01-01"], "in the future"),
    (["--reading", "day=1", "--reading", "night=2"], "1-zone meter"),
])
def test_post_invalid_values_post_nothing(config: Path, db: sessionmaker[Session], capsys: pytest.CaptureFixture[str],
                                          options: list[str], message: str) -> None:
    """Invalid values are named on stderr, the exit status is 1 and nothing is posted."""
    item_id, _ = support.plain_item(db)
    before = _posted(db)
    assert run(config, "review", "post", str(item_id), *options, "--as", "carol") == 1
    err = capsys.readouterr().err
    assert message in err and "nothing was posted" in err and _posted(db) == before


def test_post_defaults_to_the_proposal_and_user(config: Path, db: sessionmaker[Session],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Without options the worker's proposal is posted, under $USER."""
    monkeypatch.setenv("USER", "dave")
    item_id, _ = support.plain_item(db)
    assert run(config, "review", "post", str(item_id)) == 0
    with db() as session:
        item = session.get(ReviewItem, item_id)
        assert item is not None and item.status == "posted" and item.decided_by == "dave"
        reading = session.scalar(select(PostedReading).where(PostedReading.message_id == item.message_id))
        assert reading is not None and reading.registers == item.proposal["readings"]


def test_reject_claim_release_and_not_a_reading(config: Path, db: sessionmaker[Session]) -> None:
    """``reject`` needs ``--reason``; claim, release and not-a-reading work and respect others' claims."""
    first, _ = support.plain_item(db)
    second, _ = support.plain_item(db)
    with pytest.raises(SystemExit) as usage:
        run(config, "review", "reject", str(first))
    assert usage.value.code == 2
    assert run(config, "review", "claim", str(first), "--as", "erin") == 0
    assert run(config, "review", "reject", str(first), "--reason", "duplicate", "--as", "frank") == 1
    assert run(config, "review", "release", str(first), "--as", "erin") == 0
    assert run(config, "review", "reject", str(first), "--reason", "duplicate", "--as", "frank") == 0
    assert run(config, "review", "not-a-reading", str(second), "--note", "question", "--as", "frank") == 0
    with db() as session:
        statuses = {i: session.get(ReviewItem, i).status for i in (first, second)}  # type: ignore[union-attr]
    assert statuses == {first: "rejected", second: "not_a_reading"}


def test_users_add_reads_stdin_and_hashes(config: Path, db: sessionmaker[Session],
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``users add`` takes the password from stdin, stores only a scrypt hash, and refuses bad input."""
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-passphrase\n"))
    assert run(config, "users", "add", "gina", "--role", "admin") == 0
    with db.begin() as session:
        user = session.scalar(select(User).where(User.name == "gina"))
        assert user is not None and user.role == "admin" and user.password_hash.startswith("scrypt:")
        assert "s3cret" not in user.password_hash and authenticate(session, "gina", "s3cret-passphrase")
    for name, password in (("gina", "another-password"), ("hal", "short"), ("with space", "long-enough-pw")):
        monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        assert run(config, "users", "add", name) == 1
    assert "already exists" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        run(config, "users", "add", "ivan", "--role", "boss")
    assert run(config, "users", "list") == 0
    assert "gina\tadmin" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new pass\n"))
    assert run(config, "users", "passwd", "gina") == 0
    with db() as session:
        assert authenticate(session, "gina", "a brand new pass")
        assert not authenticate(session, "gina", "s3cret-passphrase")


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("::1", True), ("localhost", True),
                                                ("127.0.0.2", True), ("0.0.0.0", False), ("10.0.0.5", False),
                                                ("review.example", False), ("[::1]", True)])
def test_is_loopback(host: str, loopback: bool) -> None:
    """Cookies are Secure-only unless the console listens on loopback only."""
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(("values", "readings"), [
    (["12345"], {"total": "12345"}), (["day=1", "night=2"], {"day": "1", "night": "2"}),
    (["Half-Peak=7"], {"half_peak": "7"}), ([], {}), (None, {}),
])
def test_parse_reading_args(values: list[str] | None, readings: dict[str, str]) -> None:
    """``--reading`` accepts REG=N pairs and a bare number for the total register."""
    assert parse_reading_args(values) == readings


def test_claim_expiry_comes_from_settings(tmp_path: Path) -> None:
    """Without --claim-minutes the review commands use review.claim_minutes from settings.yaml."""
    from mailworker.review.cli import claim_minutes

    config = tmp_path / "settings.yaml"
    config.write_text("review: {claim_minutes: 7}\n")

    class _App:
        settings = load_settings(config)

    assert claim_minutes(_App(), argparse.Namespace(claim_minutes=None)) == 7  # type: ignore[arg-type]
    assert claim_minutes(_App(), argparse.Namespace(claim_minutes=3)) == 3  # type: ignore[arg-type]
