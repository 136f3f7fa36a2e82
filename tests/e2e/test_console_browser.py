"""The review console in a real browser: Debian's chromium driven by Playwright against a real server.

A reviewer logs in, opens an item from the queue, corrects the reading with the
keyboard, posts it and finds it gone from the queue and present in the posted
log; two reviewers race for one claim; hostile e-mails run nothing and load
nothing from outside 127.0.0.1.  Screenshots of the queue and an item page are
kept in ``docs/`` for the README.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailworker.db.models import ReviewItem
from mailworker.web import WebConfig, create_app
from tests.conftest import _require
from tests.e2e import support

CHROMIUM = Path("/usr/bin/chromium")
DOCS = Path(__file__).resolve().parents[2] / "docs"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


@dataclass
class Console:
    """A console served on a free loopback port over a seeded SQLite database."""

    base: str
    factory: sessionmaker[Session]


@dataclass
class Watch:
    """What a browser context did: dialogs opened and requests that tried to leave the console."""

    base: str
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def console(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The console on a real threaded WSGI server, like ``mailworker serve``."""
    from werkzeug.serving import make_server

    folder = tmp_path_factory.mktemp("e2e")
    url = support.seeded_url(request, "sqlite", folder)
    factory = support.open_factory(url)
    app = create_app(factory, support.settings_for(url, folder), WebConfig("e2e-" + "z" * 40, secure_cookies=False))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Console(f"http://127.0.0.1:{server.server_port}", factory)
    server.shutdown()
    thread.join(10)
    factory.kw["bind"].dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian chromium (skipped on a developer machine without it, a failure in CI)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _require("playwright is not installed")
    if not CHROMIUM.exists():
        _require(f"{CHROMIUM} is not installed (apt-get install chromium)")
    playwright = sync_playwright().start()
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield launched
    launched.close()
    playwright.stop()


def open_context(browser: Any, console: Console) -> tuple[Any, Watch]:
    """A fresh browser profile that records dialogs and blocks (and records) any request off the console."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="uk-UA",
                                  timezone_id="Europe/Kyiv")
    context.set_default_timeout(10_000)
    watch = Watch(console.base)

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(console.base + "/"):
            route.continue_()
        else:
            watch.blocked.append(url)
            route.abort()

    context.route("**/*", guard)
    context.on("request", lambda r: watch.requests.append(r.url))
    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    context.on("page", lambda page: page.on("dialog", on_dialog))
    return context, watch


def log_in(context: Any, console: Console, name: str) -> Any:
    """A page logged in as ``name`` through the login form, on the queue."""
    page = context.new_page()
    page.goto(console.base + "/queue")
    assert "/login" in page.url
    page.fill("#name", name)
    page.fill("#password", support.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(console.base + "/queue")
    return page


def showcase_item(factory: sessionmaker[Session]) -> int:
    """The open dev item with the most candidate accounts (the item page at its busiest), for the screenshot."""
    with factory() as session:
        items = list(session.scalars(select(ReviewItem).where(ReviewItem.status == "open").order_by(ReviewItem.id)))
    hostile = set(support.hostile_item_ids(factory).values())
    items = [i for i in items if i.id not in hostile and (i.proposal or {}).get("readings")]
    return max(items, key=lambda i: len((i.candidates or {}).get("accounts") or [])).id


def test_reviewer_corrects_posts_and_finds_it_in_the_log(browser: Any, console: Console) -> None:
    """Log in, open the queue and an item, correct the reading, post: it leaves the queue and is in the log."""
    context, watch = open_context(browser, console)
    page = log_in(context, console, "alice")
    assert page.locator("h1").inner_text() == "Review queue"
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "queue.png"))
    page.goto(f"{console.base}/items/{showcase_item(console.factory)}")
    page.screenshot(path=str(DOCS / "item.png"), full_page=True)
    item_id, account = support.plain_item(console.factory)
    page.goto(console.base + "/queue")
    page.click(f'a.itemlink:text-is("{item_id}")')
    page.wait_for_url(f"{console.base}/items/{item_id}")
    assert account.account_id in page.locator("section.mail").inner_text()
    corrected = {k: v + 37 for k, v in account.last_readings.items()}
    page.keyboard.press("e")  # shortcut: focus the first reading field
    register = next(iter(corrected))
    assert page.evaluate("document.activeElement.id") == f"reading_{register}"
    for name, value in corrected.items():
        page.fill(f"#reading_{name}", str(value))
    page.fill("#account_other", account.account_id)
    page.locator(f"#reading_{register}").press("Enter")
    page.wait_for_url(lambda url: f"/items/{item_id}" not in url)
    assert f"Posted item {item_id}" in page.locator(".flash.success").inner_text()
    page.goto(console.base + "/queue")
    assert page.locator(f'a.itemlink:text-is("{item_id}")').count() == 0
    page.goto(f"{console.base}/posted")
    page.fill("input[name=account]", account.account_id)
    page.click(".filters button[type=submit]")
    row = page.locator("table.posted tbody tr").first
    assert str(corrected[register]) in row.inner_text() and "alice" in row.inner_text()
    assert watch.dialogs == [] and watch.blocked == []
    context.close()


def test_two_reviewers_claim_the_same_item(browser: Any, console: Console) -> None:
    """Both have the item open; alice claims first; bob's claim is refused and he sees it is alice's."""
    item_id, _ = support.plain_item(console.factory)
    alice_context, _ = open_context(browser, console)
    bob_context, _ = open_context(browser, console)
    alice = log_in(alice_context, console, "alice")
    bob = log_in(bob_context, console, "bob")
    for page in (alice, bob):
        page.goto(f"{console.base}/items/{item_id}")
        assert page.locator("#claim").is_visible()
    alice.keyboard.press("c")  # shortcut for the claim button
    alice.wait_for_selector("text=You are handling this item.")
    bob.click("#claim")
    bob.wait_for_selector(".flash.error")
    assert "is being handled by alice" in bob.locator(".flash.error").inner_text()
    assert "Being handled by alice" in bob.locator(".claimbox").inner_text()
    assert bob.locator("#post-button").is_disabled()
    alice_context.close()
    bob_context.close()


def test_hostile_mail_runs_nothing_and_loads_nothing(browser: Any, console: Console) -> None:
    """Script, onerror, javascript: links, CSS and remote images stay inert text; only 127.0.0.1 is contacted."""
    context, watch = open_context(browser, console)
    page = log_in(context, console, "bob")
    for kind, item_id in support.hostile_item_ids(console.factory).items():
        page.goto(f"{console.base}/items/{item_id}")
        page.wait_for_load_state("networkidle")
        text = page.locator("section.mail").inner_text()
        assert support.SCRIPT in text and support.ONERROR in text and "Показания счетчика 12345" in text, kind
        assert page.locator("section.mail a[href^='javascript']").count() == 0
        assert page.evaluate("document.querySelectorAll('script').length") == 1  # keys.js only
        assert page.evaluate("[...document.images].every(i => i.src.startsWith(location.origin))")
        assert page.locator("img.attached").first.evaluate("i => i.naturalWidth") == 1
        page.keyboard.press("x")  # typing in a field must not fire other shortcuts
        page.keyboard.type("pmqc")
        assert page.url.endswith(f"/items/{item_id}")
    page.goto(console.base + "/queue")
    assert support.SCRIPT in page.locator("table.queue").inner_text()
    assert watch.dialogs == [], watch.dialogs
    assert watch.blocked == [], watch.blocked
    assert all(url.startswith(console.base + "/") for url in watch.requests)
    context.close()
