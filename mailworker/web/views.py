"""Queue and item pages, the reviewer's actions, and attachment downloads."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from mailworker.db.models import Message, RawBlob
from mailworker.review import actions
from mailworker.review.common import (
    Conflict,
    EditErrors,
    NeedsConfirmation,
    NotFound,
    ReviewError,
    format_age,
    kyiv_today,
    utcnow,
)
from mailworker.review.message_view import attachment, safe_filename
from mailworker.review.queue import STATUS_FILTERS, list_queue, next_item_id, reason_counts, status_counts
from mailworker.web.app import state
from mailworker.web.auth import current_user
from mailworker.web.item_page import FormValues, build_item_page

blueprint = Blueprint("views", __name__)
ATTACHMENT_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'none'"


def _int_arg(name: str, default: int = 1) -> int:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 9 else default


@blueprint.route("/")
def home() -> Response:
    """The queue is the start page."""
    return redirect(url_for("views.queue"))


@blueprint.route("/queue")
def queue() -> str:
    """Items to review, oldest first, with filters by status and reason and counts per reason."""
    config = state().config
    status = request.args.get("status", "todo")
    status = status if status in STATUS_FILTERS else "todo"
    reason = request.args.get("reason", "").strip()[:40] or None
    with state().factory() as db:
        page = list_queue(db, status=status, reason=reason, page=_int_arg("page"), per_page=config.per_page,
                          claim_minutes=config.claim_minutes)
        counts = reason_counts(db, status=status, claim_minutes=config.claim_minutes)
        statuses = status_counts(db, claim_minutes=config.claim_minutes)
    return render_template("queue.html", page=page, counts=counts, statuses=statuses, status=status,
                           reason=reason, status_filters=STATUS_FILTERS, format_age=format_age,
                           today=kyiv_today())


def _claim_next(after: int | None) -> int | None:
    """Claim the next item for the current user (another reviewer may be quicker: try a few)."""
    config = state().config
    actor = current_user().actor
    skip = after
    for _ in range(5):
        with state().factory.begin() as db:
            found = next_item_id(db, actor, claim_minutes=config.claim_minutes, after=skip)
            if found is None:
                return None
            try:
                actions.claim(db, found, actor, claim_minutes=config.claim_minutes)
                return found
            except ReviewError:
                skip = found
    return None


def _go_next(after: int | None) -> Response:
    found = _claim_next(after)
    if found is None:
        flash("The queue is empty: every e-mail has been handled.", "success")
        return redirect(url_for("views.queue"))
    return redirect(url_for("views.item", item_id=found))


@blueprint.route("/queue/next", methods=["POST"])
def take_next() -> Response:
    """Claim the oldest free item (or resume one's own claim) and open it."""
    return _go_next(None)


def _render_item(item_id: int, values: FormValues | None = None, errors: dict[str, str] | None = None,
                 warnings: list[str] | None = None, status: int = 200) -> tuple[str, int]:
    config = state().config
    with state().factory() as db:
        try:
            page = build_item_page(db, item_id, values, config.claim_minutes)
        except NotFound:
            abort(404, f"There is no review item {item_id}.")
        html = render_template("item.html", p=page, errors=errors or {}, warnings=warnings or [],
                               me=current_user(), format_age=format_age, now=utcnow())
    return html, status


@blueprint.route("/items/<int:item_id>")
def item(item_id: int) -> tuple[str, int]:
    """One e-mail with what the worker found, the candidate accounts and the decision form."""
    return _render_item(item_id)


def _act(item_id: int, action: Callable[..., Any], done: str, *args: Any) -> Response:
    """Run one item action for the current user; on success open the next item."""
    config = state().config
    try:
        with state().factory.begin() as db:
            action(db, item_id, current_user().actor, *args, claim_minutes=config.claim_minutes)
    except NotFound as error:
        abort(404, str(error))
    except ReviewError as error:
        flash(str(error), "error")
        return redirect(url_for("views.item", item_id=item_id))
    flash(done, "success")
    return _go_next(item_id)


@blueprint.route("/items/<int:item_id>/claim", methods=["POST"])
def claim(item_id: int) -> Response:
    """Take the item so other reviewers see it is being handled."""
    config = state().config
    try:
        with state().factory.begin() as db:
            actions.claim(db, item_id, current_user().actor, claim_minutes=config.claim_minutes)
        flash(f"Item {item_id} is yours for {config.claim_minutes} minutes.", "success")
    except NotFound as error:
        abort(404, str(error))
    except ReviewError as error:
        flash(str(error), "error")
    return redirect(url_for("views.item", item_id=item_id))


@blueprint.route("/items/<int:item_id>/release", methods=["POST"])
def release(item_id: int) -> Response:
    """Give the item back to the queue."""
    config = state().config
    try:
        with state().factory.begin() as db:
            actions.release(db, item_id, current_user().actor, claim_minutes=config.claim_minutes)
    except NotFound as error:
        abort(404, str(error))
    except ReviewError as error:
        flash(str(error), "error")
        return redirect(url_for("views.item", item_id=item_id))
    flash(f"Item {item_id} is back in the queue.", "info")
    return redirect(url_for("views.queue"))


@blueprint.route("/items/<int:item_id>/post", methods=["POST"])
def post(item_id: int) -> Any:
    """Post the (edited) reading: errors and warnings come back on the item page, nothing is posted."""
    config = state().config
    values = FormValues.from_form(request.form)
    try:
        with state().factory.begin() as db:
            outcome = actions.post(db, item_id, current_user().actor, values.edit(), state().settings.decision,
                                   acknowledged=values.acknowledged, claim_minutes=config.claim_minutes)
            summary = ", ".join(f"{k} {v}" for k, v in outcome.reading.registers.items())
            done = f"Posted item {item_id}: account {outcome.reading.account_id}, {summary}."
    except NotFound as error:
        abort(404, str(error))
    except EditErrors as error:
        return _render_item(item_id, values, errors=error.errors, status=422)
    except NeedsConfirmation as error:
        return _render_item(item_id, values, warnings=error.warnings)
    except Conflict as error:
        flash(str(error), "error")
        return redirect(url_for("views.item", item_id=item_id))
    flash(done if outcome.new else done + " (the same reading was already posted)", "success")
    return _go_next(item_id)


@blueprint.route("/items/<int:item_id>/reject", methods=["POST"])
def reject(item_id: int) -> Response:
    """Close the item without posting, with a reason."""
    reason = request.form.get("reason_text", "").strip() or request.form.get("reason_choice", "").strip()
    return _act(item_id, actions.reject, f"Rejected item {item_id}.", reason)


@blueprint.route("/items/<int:item_id>/not-a-reading", methods=["POST"])
def not_a_reading(item_id: int) -> Response:
    """Close the item as not a meter reading."""
    note = request.form.get("note", "")
    return _act(item_id, actions.mark_not_a_reading, f"Item {item_id} marked as not a reading.", note)


@blueprint.route("/items/<int:item_id>/attachments/<int:index>")
def attachment_file(item_id: int, index: int) -> Response:
    """An attachment: images inline with their real type, anything else as a download; always sandboxed."""
    with state().factory() as db:
        try:
            item_row = actions.load_item(db, item_id)
        except NotFound as error:
            abort(404, str(error))
        message = db.get(Message, item_row.message_id)
        blob = db.get(RawBlob, message.sha256) if message is not None else None
        found = attachment(blob.data, index) if blob is not None else None
    if found is None:
        abort(404, "There is no such attachment.")
    info, data = found
    inline = info.inline_image
    response = send_file(io.BytesIO(data), mimetype=info.content_type if inline else "application/octet-stream",
                         as_attachment=not inline, download_name=safe_filename(info.filename, index),
                         max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = ATTACHMENT_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response
