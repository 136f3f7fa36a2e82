"""History of changes (who, when, before → after) and the searchable log of posted readings."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template, request

from mailworker.review.audit import search_events, search_posted
from mailworker.review.edits import parse_day
from mailworker.web.app import state

blueprint = Blueprint("logs", __name__)
ACTIONS = ("claim", "release", "post", "reject", "not_a_reading", "login", "logout", "login_failed")


def _page() -> int:
    value = request.args.get("page", "")
    return int(value) if value.isdigit() and len(value) < 9 else 1


def _day(name: str) -> tuple[date | None, str | None]:
    text = request.args.get(name, "").strip()
    if not text:
        return None, None
    day = parse_day(text)
    return (day, None) if day else (None, f"“{text[:20]}” is not a date (use day.month.year, e.g. 01.03.2024).")


@blueprint.route("/history")
def history() -> str:
    """Every recorded change, newest first, by item, person and action."""
    item_text = request.args.get("item", "").strip()
    item_id = int(item_text) if item_text.isdigit() and len(item_text) < 9 else None
    actor = request.args.get("who", "").strip()[:200] or None
    action = request.args.get("action", "").strip()
    action = action if action in ACTIONS else ""
    with state().factory() as db:
        page = search_events(db, item_id=item_id, actor=actor, action=action or None, page=_page(),
                             per_page=state().config.per_page)
    return render_template("history.html", page=page, item=item_text, who=actor or "", action=action,
                           actions=ACTIONS)


@blueprint.route("/posted")
def posted() -> str:
    """Posted readings (automatic and by reviewers), searchable by account, address and date."""
    account = request.args.get("account", "").strip()[:20]
    address = request.args.get("address", "").strip()[:200]
    date_from, error_from = _day("from")
    date_to, error_to = _day("to")
    with state().factory() as db:
        page = search_posted(db, account=account or None, address=address or None, date_from=date_from,
                             date_to=date_to, page=_page(), per_page=state().config.per_page)
    errors = [e for e in (error_from, error_to) if e]
    return render_template("posted.html", page=page, account=account, address=address,
                           date_from=request.args.get("from", "")[:20], date_to=request.args.get("to", "")[:20],
                           errors=errors)
