"""Every route of the review console through Flask's test client, on SQLite and PostgreSQL: login,
CSRF, security headers, safe rendering of hostile e-mails, attachments, queue, history and posted log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailworker.db.models import ReviewItem
from mailworker.db.review_models import ReviewEvent, WebSession
from mailworker.web import WebConfig, create_app
from tests.e2e import support

SECRET = "test-secret-" + "x" * 40
PAGES = ("/", "/queue", "/queue?status=all", "/history", "/posted", "/items/1", "/items/1/attachments/0")
POSTS = ("/queue/next", "/items/1/claim", "/items/1/release", "/items/1/post", "/items/1/reject",
         "/items/1/not-a-reading", "/logout")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[sessionmaker[Session], Flask]]:
    """One seeded database and console per backend, shared by this module's read-mostly tests."""
    folder = tmp_path_factory.mktemp("web_routes")
    url = support.seeded_url(request, request.param, folder)
    factory = support.open_factory(url)
    app = create_app(factory, support.settings_for(url, folder), WebConfig(SECRET, secure_cookies=False))
    yield factory, app
    factory.kw["bind"].dispose()


@pytest.fixture
def db(seeded: tuple[sessionmaker[Session], Flask]) -> sessionmaker[Session]:
    """The module's session factory."""
    return seeded[0]


@pytest.fixture
def client(seeded: tuple[sessionmaker[Session], Flask]) -> FlaskClient:
    """A fresh browser (no cookies) on the module's console."""
    return seeded[1].test_client()


def _count(db: sessionmaker[Session], model: Any) -> int:
    with db() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_every_page_needs_login(client: FlaskClient) -> None:
    """Without a session every page redirects to the login form and every POST is refused."""
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    for path in POSTS:
        assert client.post(path, data={"csrf_token": "x"}).status_code == 401, path


def test_login_keeps_the_page_asked_for(client: FlaskClient) -> None:
    """After logging in from a redirect the reviewer lands on the page they asked for, never another site."""
    first = client.get("/history?who=alice")
    assert "next=/history?who%3Dalice" in first.headers["Location"]
    page = client.get(first.headers["Location"])
    token = support.csrf_from(page.text)
    response = client.post("/login", data={"name": "alice", "password": support.PASSWORD, "csrf_token": token,
                                           "next": "/history?who=alice"})
    assert response.headers["Location"] == "/history?who=alice"
    client.post("/logout", data={"csrf_token": support.csrf_from(client.get("/queue").text)})
    token = support.csrf_from(client.get("/login").text)
    response = client.post("/login", data={"name": "alice", "password": support.PASSWORD, "csrf_token": token,
                                           "next": "//evil.example/x"})
    assert response.headers["Location"] == "/queue"


@pytest.mark.parametrize(("name", "password"), [("alice", "wrong password"), ("nobody", support.PASSWORD),
                                                ("<script>", "x"), ("", "")])
def test_bad_login_is_refused_with_one_message(client: FlaskClient, name: str, password: str) -> None:
    """A wrong password and an unknown name get the same answer, no session, and an audit event."""
    token = support.csrf_from(client.get("/login").text)
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": token})
    assert response.status_code == 401 and "Wrong name or password." in response.text
    assert "<script>" not in response.text
    assert client.get("/queue").status_code == 302


def test_login_form_needs_its_csrf_token(client: FlaskClient) -> None:
    """A login POST without the form's token (a cross-site login) is refused."""
    response = client.post("/login", data={"name": "alice", "password": support.PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400 and client.get("/queue").status_code == 302


def test_repeated_failures_lock_the_name(client: FlaskClient, db: sessionmaker[Session]) -> None:
    """After ten failed logins within 15 minutes even the right password is refused for that name."""
    for _ in range(10):
        token = support.csrf_from(client.get("/login").text)
        client.post("/login", data={"name": "root", "password": "guess", "csrf_token": token})
    token = support.csrf_from(client.get("/login").text)
    response = client.post("/login", data={"name": "root", "password": support.PASSWORD, "csrf_token": token})
    assert response.status_code == 429 and "Too many failed attempts" in response.text
    with db.begin() as session:  # let the other tests log in as root again
        for event in session.scalars(select(ReviewEvent).where(ReviewEvent.action == "login_failed",
                                                               ReviewEvent.actor == "root")):
            session.delete(event)


def test_logout_ends_the_session_on_the_server(seeded: tuple[sessionmaker[Session], Flask],
                                               db: sessionmaker[Session]) -> None:
    """A cookie saved before logout no longer opens any page afterwards."""
    client = seeded[1].test_client()
    token = support.login(client, "bob")
    cookie = client.get_cookie("mw_session")
    assert cookie is not None
    sessions = _count(db, WebSession)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert _count(db, WebSession) == sessions - 1
    thief = seeded[1].test_client()
    thief.set_cookie("mw_session", cookie.value)
    assert thief.get("/queue").status_code == 302


def test_cookies_are_httponly_strict_and_secure_when_configured(seeded: tuple[sessionmaker[Session], Flask],
                                                                tmp_path: Path) -> None:
    """The session cookie is HttpOnly and SameSite=Strict, and Secure when the console says so."""
    client = seeded[1].test_client()
    client.get("/login")
    token = support.csrf_from(client.get("/login").text)
    response = client.post("/login", data={"name": "alice", "password": support.PASSWORD, "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    secure_app = create_app(seeded[0], seeded[1].extensions["mailworker"].settings, WebConfig(SECRET))
    secure = secure_app.test_client().get("/login", base_url="https://localhost")
    assert "Secure" in secure.headers["Set-Cookie"]


def test_every_post_checks_the_csrf_token(client: FlaskClient, db: sessionmaker[Session]) -> None:
    """A POST with a missing or wrong token, or from another origin, changes nothing."""
    token = support.login(client)
    events, sessions = _count(db, ReviewEvent), _count(db, WebSession)
    with db() as session:
        statuses = dict(session.execute(select(ReviewItem.id, ReviewItem.status)).all())
    for path in POSTS:
        for data in ({}, {"csrf_token": "wrong"}, {"csrf_token": token[:-1]}):
            assert client.post(path, data={**data, "reason_text": "x"}).status_code == 400, path
        foreign = client.post(path, data={"csrf_token": token}, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403, path
    assert _count(db, ReviewEvent) == events and _count(db, WebSession) == sessions
    with db() as session:
        assert dict(session.execute(select(ReviewItem.id, ReviewItem.status)).all()) == statuses


def test_security_headers_on_every_response(client: FlaskClient) -> None:
    """Pages, static files, errors and the login form all carry the strict headers."""
    responses = [client.get("/login"), client.get("/static/style.css"), client.get("/static/keys.js")]
    support.login(client)
    responses += [client.get(path) for path in ("/queue", "/items/1", "/history", "/posted", "/items/999999")]
    for response in responses:
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert responses[-1].status_code == 404


def test_queue_lists_filters_and_counts(client: FlaskClient, db: sessionmaker[Session]) -> None:
    """The queue shows every open item oldest first, counts per reason, and filters by reason and status."""
    support.login(client)
    with db() as session:
        open_items = list(session.execute(select(ReviewItem.id, ReviewItem.reasons)
                                          .where(ReviewItem.status.in_(("open", "claimed")))
                                          .order_by(ReviewItem.created_at, ReviewItem.id)))
    page = client.get("/queue").text
    positions = [page.find(f'class="itemlink">{item_id}<') for item_id, _ in open_items]
    assert all(p > 0 for p in positions) and positions == sorted(positions)
    reason = open_items[0][1][0]
    expected = [item_id for item_id, reasons in open_items if reason in reasons]
    filtered = client.get(f"/queue?reason={reason}").text
    assert sorted(int(x) for x in _item_links(filtered)) == sorted(expected)
    assert f'{len(expected)}</span></a>' in filtered
    assert not _item_links(client.get("/queue?status=posted&reason=spam").text)
    assert client.get("/queue?status=bogus&page=-3").status_code == 200


def _item_links(html: str) -> list[str]:
    import re

    return re.findall(r'class="itemlink">(\d+)<', html)


def test_hostile_mail_is_escaped_everywhere(client: FlaskClient, db: sessionmaker[Session]) -> None:
    """Script, onerror and javascript: in subject, sender, text, HTML and file names come out as text."""
    support.login(client)
    ids = support.hostile_item_ids(db)
    assert set(ids) == {"plain", "html"}
    pages = [client.get("/queue").text] + [client.get(f"/items/{item_id}").text for item_id in ids.values()]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html and 'href="javascript' not in html
        assert "203.0.113.9/x.png\"" not in html.replace("&#34;", '"').split("<pre", 1)[0]
    for html in pages[1:]:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "Показания счетчика" in html
        assert "&lt;img src=x onerror=alert(1)&gt;.png" in html  # the attachment's name, as text


def test_extracted_fields_are_highlighted(client: FlaskClient, db: sessionmaker[Session]) -> None:
    """The reading the worker found is wrapped in a mark inside the escaped text."""
    support.login(client)
    with db() as session:
        item = session.scalars(select(ReviewItem).order_by(ReviewItem.id)).first()
        assert item is not None
        spans = [c for c in item.candidates.get("readings", []) if c.get("source") in ("new", "subject")]
    html = client.get(f"/items/{item.id}").text
    if spans:
        assert '<mark class="f-reading"' in html


def test_attachments_are_served_safely(client: FlaskClient, db: sessionmaker[Session]) -> None:
    """Images inline with their type; fake or scriptable ones never as HTML; everything sandboxed and nosniff."""
    support.login(client)
    item_id = support.hostile_item_ids(db)["plain"]
    image = client.get(f"/items/{item_id}/attachments/0")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == support.PNG_1PX
    assert image.headers["Content-Disposition"].startswith("inline") and "onerror" in image.headers[
        "Content-Disposition"] and "<" not in image.headers["Content-Disposition"]
    for index in (0, 1, 2, 3):
        response = client.get(f"/items/{item_id}/attachments/{index}")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"].startswith("sandbox")
        assert "html" not in str(response.mimetype) and "svg" not in str(response.mimetype)
    svg = client.get(f"/items/{item_id}/attachments/2")
    assert svg.mimetype == "application/octet-stream" and svg.headers["Content-Disposition"].startswith("attachment")
    assert client.get(f"/items/{item_id}/attachments/9").status_code == 404
    assert client.get("/items/999999/attachments/0").status_code == 404


def test_history_and_posted_log_search(client: FlaskClient) -> None:
    """The posted log finds automatic postings by account, address words (any case) and date range."""
    support.login(client)
    everything = client.get("/posted").text
    assert "automatic" in everything
    assert "<td>5256534116</td>" in client.get("/posted?account=5256534116").text
    assert "<td>5256534116</td>" not in client.get("/posted?account=5256534116&from=2030-01-01").text
    assert "not a date" in client.get("/posted?from=yesterday").text
    history = client.get("/history?who=alice&action=login").text
    assert "alice" in history and "login" in history
    assert client.get("/history?item=abc&action=<x>").status_code == 200


def test_posted_log_address_search_ignores_case(client: FlaskClient, db: sessionmaker[Session]) -> None:
    """Typing a street in lower case finds readings of accounts on that street (Cyrillic too)."""
    support.login(client)
    from mailworker.db.models import PostedReading, RegistryAccount

    with db() as session:
        street = session.scalar(select(RegistryAccount.street).join(
            PostedReading, PostedReading.account_id == RegistryAccount.account_id).limit(1))
    assert street
    word = max(street.split(), key=len)
    found = client.get("/posted", query_string={"address": word.lower()}).text
    assert street in found
