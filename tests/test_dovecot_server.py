"""The private Dovecot test server behaves as the rest of the suite relies on."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import imapclient
import pytest

from tests.dovecot import DovecotServer, _group_pids, dovecot_available

pytestmark = [
    pytest.mark.dovecot,
    pytest.mark.skipif(
        not dovecot_available(),
        reason="dovecot is not installed (no /usr/sbin/dovecot); apt-get install dovecot-imapd",
    ),
]

MakeServer = Callable[..., DovecotServer]


def message(number: int, subject: str = "Показання лічильника") -> bytes:
    """A small RFC 5322 message with a unique Message-ID."""
    return (
        f"From: Klient {number} <klient{number}@example.com>\r\n"
        f"To: meter@example.com\r\n"
        f"Subject: =?utf-8?b?{subject.encode().hex()}?=\r\n"
        f"Message-ID: <m{number}.{time.monotonic_ns()}@example.com>\r\n"
        f"Date: Mon, 03 Mar 2025 10:00:00 +0200\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Показник {10000 + number}\r\n"
    ).encode()


@pytest.fixture(scope="module")
def server() -> Iterator[DovecotServer]:
    """One server shared by the tests that only add their own messages or folders."""
    with DovecotServer() as shared:
        yield shared


@pytest.fixture
def make_server() -> Iterator[MakeServer]:
    """Factory for fresh servers; every one is stopped and its temp dirs removed, even on failure."""
    created: list[DovecotServer] = []

    def factory(**options: object) -> DovecotServer:
        instance = DovecotServer(**options)  # type: ignore[arg-type]
        created.append(instance)
        instance.start()
        return instance

    yield factory
    for instance in created:
        instance.close()


def test_start_gives_a_port_and_login_works(server: DovecotServer) -> None:
    """A started server listens on a chosen loopback port and accepts the configured LOGIN."""
    assert server.port > 0 and server.pid is not None
    client = server.client()
    try:
        assert client.noop()
    finally:
        client.logout()


def test_wrong_password_fails_without_slowing_later_logins(server: DovecotServer) -> None:
    """A wrong password is refused, and the next good LOGIN is not delayed by an auth penalty."""
    for _ in range(2):
        bad = imapclient.IMAPClient(server.host, port=server.port, ssl=False, timeout=10)
        with pytest.raises(imapclient.exceptions.LoginError):
            bad.login(server.user, "not-the-password")
        bad.shutdown()
    started = time.monotonic()
    server.client().logout()
    assert time.monotonic() - started < 1.0


def test_capabilities_include_idle_move_and_uidplus(server: DovecotServer) -> None:
    """The server advertises the IMAP extensions the worker depends on."""
    client = server.client()
    try:
        capabilities = set(client.capabilities())
    finally:
        client.logout()
    assert {b"IDLE", b"MOVE", b"UIDPLUS"} <= capabilities


def test_append_returns_uid_and_flags_are_reported(server: DovecotServer) -> None:
    """append() returns the new UID, and flags() shows the flags each message was stored with."""
    server.create_folder("AppendCheck")
    first = server.append(message(1), folder="AppendCheck")
    second = server.append(message(2), folder="AppendCheck", flags=["\\Seen", "\\Flagged"])
    assert second == first + 1
    assert server.uids("AppendCheck") == [first, second]
    flags = server.flags("AppendCheck")
    assert b"\\Seen" not in flags[first]
    assert {b"\\Seen", b"\\Flagged"} <= set(flags[second])


def test_append_many_is_fast_ordered_and_byte_exact(server: DovecotServer) -> None:
    """append_many() stores thousands of messages at over 1,000 msg/s with ascending UIDs, bytes intact."""
    server.create_folder("Bulk")
    raws = [message(number) for number in range(3000)]
    started = time.monotonic()
    uids = server.append_many(raws, folder="Bulk")
    rate = len(raws) / (time.monotonic() - started)
    assert rate > 1000, f"{rate:.0f} msg/s"
    assert uids == sorted(uids) and len(set(uids)) == len(raws)
    assert server.uids("Bulk") == uids
    client = server.client()
    try:
        client.select_folder("Bulk", readonly=True)
        fetched = client.fetch([uids[0], uids[-1]], ["BODY.PEEK[]"])
    finally:
        client.logout()
    assert fetched[uids[0]][b"BODY[]"] == raws[0]
    assert fetched[uids[-1]][b"BODY[]"] == raws[-1]


def test_append_many_sets_system_flags_and_continues_uids(server: DovecotServer) -> None:
    """append_many() honours system flags and its UIDs follow those of earlier appends."""
    server.create_folder("FlaggedBulk")
    before = server.append(message(1), folder="FlaggedBulk")
    uids = server.append_many([message(2), message(3)], folder="FlaggedBulk", flags=["\\Seen"])
    assert uids == [before + 1, before + 2]
    flags = server.flags("FlaggedBulk")
    assert all(b"\\Seen" in flags[uid] for uid in uids)
    with pytest.raises(ValueError):
        server.append_many([message(4)], folder="FlaggedBulk", flags=["$Keyword"])


def test_restart_keeps_mail_uidvalidity_and_port(make_server: MakeServer) -> None:
    """restart() comes back on the same port with the same messages and UIDVALIDITY."""
    instance = make_server()
    uids = instance.append_many([message(number) for number in range(5)])
    port, uidvalidity, old_pid = instance.port, instance.uidvalidity(), instance.pid
    instance.restart()
    assert instance.port == port and instance.pid not in (None, old_pid)
    assert instance.uids() == uids
    assert instance.uidvalidity() == uidvalidity


def test_recreate_inbox_changes_uidvalidity_and_refills(make_server: MakeServer) -> None:
    """recreate_folder('INBOX') gives INBOX a new UIDVALIDITY and only the new messages, from UID 1."""
    instance = make_server()
    instance.append_many([message(number) for number in range(3)])
    old_uidvalidity = instance.uidvalidity()
    instance.recreate_folder("INBOX", [message(10), message(11)])
    assert instance.uidvalidity() != old_uidvalidity
    assert instance.uids() == [1, 2]


def test_recreate_other_folder_changes_uidvalidity(server: DovecotServer) -> None:
    """recreate_folder() on a normal folder deletes it and creates it again with a new UIDVALIDITY."""
    server.create_folder("Recreated")
    server.append(message(1), folder="Recreated")
    old_uidvalidity = server.uidvalidity("Recreated")
    server.recreate_folder("Recreated", [message(2)])
    assert server.uidvalidity("Recreated") != old_uidvalidity
    assert server.uids("Recreated") == [1]


def test_idle_push_arrives_within_two_seconds(server: DovecotServer) -> None:
    """A client in IDLE is told about a message appended from another connection within ~2 s."""
    server.create_folder("IdleWatch")
    watcher = server.client()
    try:
        watcher.select_folder("IdleWatch")
        watcher.idle()
        started = time.monotonic()
        server.append(message(1), folder="IdleWatch")
        pushed: list[tuple[object, ...]] = []
        while time.monotonic() - started < 3 and not any(b"EXISTS" in reply for reply in pushed):
            pushed.extend(watcher.idle_check(timeout=0.2))
        elapsed = time.monotonic() - started
        watcher.idle_done()
    finally:
        watcher.logout()
    assert any(b"EXISTS" in reply for reply in pushed), pushed
    assert elapsed < 2.0


def test_two_servers_run_side_by_side(make_server: MakeServer) -> None:
    """Two servers at once get different ports, processes and mail stores."""
    first, second = make_server(), make_server()
    assert first.port != second.port and first.pid != second.pid
    assert first.maildir != second.maildir
    first.append(message(1))
    assert len(first.uids()) == 1 and second.uids() == []


def test_stop_is_idempotent_and_leaves_no_process(make_server: MakeServer) -> None:
    """stop() twice is fine and leaves neither the master nor any of its children alive."""
    instance = make_server()
    watcher = instance.client()  # an open session must not keep anything alive
    watcher.select_folder("INBOX")
    watcher.idle()
    master = instance.pid
    assert master is not None
    started = time.monotonic()
    instance.stop()
    instance.stop()
    assert time.monotonic() - started < 2.0
    with pytest.raises(ProcessLookupError):
        os.kill(master, 0)
    assert _group_pids(master) == []
    assert instance.pid is None and not instance.running
    watcher.shutdown()


def test_start_after_a_crash_recovers_with_the_same_mail(make_server: MakeServer) -> None:
    """If the master is killed behind our back, running turns false and start() brings the mail back."""
    instance = make_server()
    uid = instance.append(message(1))
    crashed = instance.pid
    assert crashed is not None
    os.kill(crashed, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while instance.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not instance.running
    instance.start()
    assert instance.uids() == [uid]
    assert _group_pids(crashed) == []


def test_close_removes_temp_dirs_but_keeps_a_given_root(make_server: MakeServer, tmp_path: Path) -> None:
    """close() removes the dirs the server created itself and leaves a caller's root in place."""
    owned = make_server()
    given = make_server(root=tmp_path / "dovecot")
    scratch_dirs = [owned.root, given.base_dir.parent]
    owned.close()
    given.close()
    assert not any(directory.exists() for directory in scratch_dirs)
    assert (tmp_path / "dovecot" / "dovecot.conf").exists()


def test_start_failure_names_the_cause_and_leaves_nothing_running(tmp_path: Path) -> None:
    """When the port is taken, start() fails fast with Dovecot's log in the message and no process left."""
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        instance = DovecotServer(root=tmp_path / "dovecot", port=blocker.getsockname()[1])
        try:
            with pytest.raises(RuntimeError, match="Address already in use"):
                instance.start()
            assert instance.pid is None
        finally:
            instance.close()


def test_tls_port_never_equals_the_imap_port(tmp_path: Path) -> None:
    """A TLS server whose two free-port probes return the same port still gets two listeners and starts."""
    from tests.dovecot import free_port

    port = free_port()
    with DovecotServer(root=tmp_path / "dc", port=port, tls=True, tls_port=port) as tls_server:
        assert tls_server.tls_port != tls_server.port == port
        tls_server.client().logout()
