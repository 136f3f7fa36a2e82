"""The ``serve``, ``users`` and ``review`` commands: the console and the queue from a terminal.

``mailworker review ...`` acts under ``--as NAME`` (default: $USER); every
change is audited with channel ``cli``.  Exit statuses: 0 done; 1 the action
was refused (not found, held by someone else, invalid values, or warnings that
need ``--yes``); 2 bad usage.
"""

from __future__ import annotations

import argparse
import getpass
import ipaddress
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailworker.config import Settings
from mailworker.db.models import Message, RawBlob
from mailworker.db.review_models import ROLES, User
from mailworker.review import actions
from mailworker.review.common import (
    Actor,
    EditErrors,
    NeedsConfirmation,
    ReviewError,
    format_age,
    reason_text,
)
from mailworker.review.edits import EditInput
from mailworker.review.message_view import build_view
from mailworker.review.queue import STATUS_FILTERS, list_queue
from mailworker.users import UserError, add_user, set_password

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class AppLike(Protocol):
    """What the commands need from the main CLI's application object."""

    settings: Settings
    factory: sessionmaker[Session]


def claim_minutes(app: AppLike, args: argparse.Namespace) -> int:
    """``--claim-minutes`` when given, else settings.yaml ``review.claim_minutes``."""
    return int(args.claim_minutes or app.settings.review.claim_minutes)


def reviewer_name(args: argparse.Namespace) -> str:
    """``--as NAME``, else $USER, else the login name of the process."""
    name = (getattr(args, "as_name", None) or os.environ.get("USER") or getpass.getuser() or "").strip()
    if not name:
        raise ReviewError("say who you are with --as NAME")
    return name[:200]


def _actor(args: argparse.Namespace) -> Actor:
    return Actor(reviewer_name(args), "cli")


def _fail(message: str) -> int:
    print(f"mailworker: {message}", file=sys.stderr)
    return EXIT_REFUSED


def cmd_review_list(app: AppLike, args: argparse.Namespace) -> int:
    """Print the queue (oldest first), as a table or as JSON."""
    with app.factory() as session:
        page = list_queue(session, status=args.status, reason=args.reason, page=args.page, per_page=args.limit,
                          claim_minutes=claim_minutes(app, args))
    if args.json:
        rows = [{"id": r.id, "status": r.shown_status, "reasons": r.reasons, "created_at": r.created_at.isoformat(),
                 "deadline": r.deadline.isoformat(), "sender": r.sender, "subject": r.subject,
                 "summary": r.summary, "claimed_by": r.claimed_by if r.shown_status == "claimed" else None}
                for r in page.rows]
        print(json.dumps({"total": page.total, "page": page.page, "pages": page.pages, "items": rows},
                         ensure_ascii=False, indent=1))
        return EXIT_OK
    for r in page.rows:
        holder = f" [{r.claimed_by}]" if r.shown_status == "claimed" else ""
        print(f"{r.id:>6}  {format_age(r.age):>7}  {r.shown_status:<13}{holder}  {','.join(r.reasons)}  "
              f"{r.sender}  {r.summary}")
    print(f"{page.total} item(s); page {page.page} of {page.pages}", file=sys.stderr)
    return EXIT_OK


def _show_data(session: Session, item_id: int) -> dict[str, Any]:
    item = actions.load_item(session, item_id)
    message = session.get(Message, item.message_id)
    blob = session.get(RawBlob, message.sha256) if message is not None else None
    view = build_view(blob.data if blob is not None else b"", item.candidates)
    return {"id": item.id, "status": item.status, "reasons": item.reasons, "claimed_by": item.claimed_by,
            "decided_by": item.decided_by, "note": item.note, "proposal": item.proposal,
            "accounts": (item.candidates or {}).get("accounts", []),
            "sender": f"{view.sender_name} <{view.sender_address}>".strip(), "subject": view.subject,
            "sent_at": view.sent_at.isoformat() if view.sent_at else None,
            "texts": {b.name: "".join(s.text for s in b.segments) for b in view.blocks},
            "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size}
                            for a in view.attachments]}


def cmd_review_show(app: AppLike, args: argparse.Namespace) -> int:
    """Print one item: the e-mail's texts, what the worker read and the candidate accounts."""
    try:
        with app.factory() as session:
            data = _show_data(session, args.id)
    except ReviewError as error:
        return _fail(str(error))
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1, default=str))
        return EXIT_OK
    print(f"item {data['id']}  {data['status']}  {data['sender']}  {data['sent_at'] or ''}")
    for reason in data["reasons"]:
        print(f"  reason: {reason} — {reason_text(reason)}")
    print(f"  proposal: {json.dumps(data['proposal'], ensure_ascii=False)}")
    for account in data["accounts"]:
        print(f"  candidate: {json.dumps(account, ensure_ascii=False)}")
    for attachment in data["attachments"]:
        print(f"  attachment: {attachment['filename']} ({attachment['content_type']}, {attachment['size']} bytes)")
    for name, text in data["texts"].items():
        print(f"--- {name} ---\n{text}")
    return EXIT_OK


def parse_reading_args(values: list[str] | None) -> dict[str, str]:
    """``REG=N`` pairs (a bare ``N`` is the total register) into raw register texts."""
    readings: dict[str, str] = {}
    for value in values or []:
        register, sep, number = value.partition("=")
        if not sep:
            register, number = "total", value
        readings[register.strip().lower().replace("-", "_")] = number
    return readings


def _edit_for(session: Session, item_id: int, args: argparse.Namespace) -> EditInput:
    """The command line's values, each one defaulting to the worker's proposal."""
    item = actions.load_item(session, item_id)
    proposal = item.proposal or {}
    readings = parse_reading_args(args.reading) or {k: str(v) for k, v in (proposal.get("readings") or {}).items()}
    fixation = args.date or proposal.get("fixation_date") or actions.message_day(session, item).isoformat()
    return EditInput(str(args.account or proposal.get("account_id") or ""), readings, str(fixation))


def cmd_review_post(app: AppLike, args: argparse.Namespace) -> int:
    """Post an item's reading (edited by the options); warnings need --yes."""
    settings = app.settings.decision
    try:
        actor = _actor(args)
        with app.factory.begin() as session:
            edit = _edit_for(session, args.id, args)
            checked = actions.check_post(session, args.id, edit, settings)
            if checked.warnings and not args.yes:
                raise NeedsConfirmation(checked.warnings)
            outcome = actions.post(session, args.id, actor, edit, settings, acknowledged=checked.warnings,
                                   claim_minutes=claim_minutes(app, args))
            reading = outcome.reading
            text = ", ".join(f"{k}={v}" for k, v in reading.registers.items())
            print(f"posted item {args.id}: account {reading.account_id} {text} on {reading.fixation_date} "
                  f"(reading {reading.id}{'' if outcome.new else ', already posted before'})")
    except EditErrors as error:
        for name, message in error.errors.items():
            print(f"mailworker: {name}: {message}", file=sys.stderr)
        return _fail("nothing was posted")
    except NeedsConfirmation as error:
        for warning in error.warnings:
            print(f"warning: {warning} — {reason_text(warning)}", file=sys.stderr)
        return _fail("nothing was posted; check the values and run again with --yes to post anyway")
    except ReviewError as error:
        return _fail(str(error))
    return EXIT_OK


def _simple_action(app: AppLike, args: argparse.Namespace, action: Callable[..., Any], done: str,
                   *extra: Any) -> int:
    try:
        actor = _actor(args)
        with app.factory.begin() as session:
            action(session, args.id, actor, *extra, claim_minutes=claim_minutes(app, args))
    except ReviewError as error:
        return _fail(str(error))
    print(done.format(id=args.id, who=actor.name))
    return EXIT_OK


def cmd_review_reject(app: AppLike, args: argparse.Namespace) -> int:
    """Reject an item with a reason."""
    return _simple_action(app, args, actions.reject, "rejected item {id}", args.reason)


def cmd_review_not_a_reading(app: AppLike, args: argparse.Namespace) -> int:
    """Mark an item as not a meter reading."""
    return _simple_action(app, args, actions.mark_not_a_reading, "item {id} marked not a reading", args.note)


def cmd_review_claim(app: AppLike, args: argparse.Namespace) -> int:
    """Claim an item."""
    return _simple_action(app, args, actions.claim, "item {id} claimed by {who}")


def cmd_review_release(app: AppLike, args: argparse.Namespace) -> int:
    """Release one's claim on an item."""
    return _simple_action(app, args, actions.release, "item {id} released")


def read_new_password(stdin: Any = None) -> str:
    """A password typed twice at a terminal, or the first line of standard input otherwise."""
    stream = stdin or sys.stdin
    if stream.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != first:
            raise UserError("the two passwords differ")
        return first
    return stream.readline().rstrip("\r\n")


def cmd_users_add(app: AppLike, args: argparse.Namespace) -> int:
    """Create a console user with a hashed password."""
    try:
        password = read_new_password()
        with app.factory.begin() as session:
            add_user(session, args.name, password, args.role)
    except UserError as error:
        return _fail(str(error))
    print(f"user {args.name} ({args.role}) added")
    return EXIT_OK


def cmd_users_passwd(app: AppLike, args: argparse.Namespace) -> int:
    """Set a new password for a user (their open sessions end)."""
    try:
        password = read_new_password()
        with app.factory.begin() as session:
            set_password(session, args.name, password)
    except UserError as error:
        return _fail(str(error))
    print(f"password of {args.name} changed")
    return EXIT_OK


def cmd_users_list(app: AppLike, args: argparse.Namespace) -> int:
    """List the console users and their roles."""
    with app.factory() as session:
        for user in session.scalars(select(User).order_by(User.name)):
            print(f"{user.name}\t{user.role}\t{'active' if user.active else 'disabled'}")
    return EXIT_OK


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _request_handler() -> Any:
    """Werkzeug's handler, logging requests without their query strings (searches may hold addresses)."""
    from werkzeug.serving import WSGIRequestHandler

    class Handler(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            path = self.path.split("?", 1)[0]
            self.log("info", '"%s %s" %s %s', self.command, path, code, size)

    return Handler


def cmd_serve(app: AppLike, args: argparse.Namespace) -> int:
    """Run the console (threaded WSGI server) until interrupted or terminated."""
    from werkzeug.serving import make_server

    from mailworker.web import SecretError, WebConfig, create_app, load_secret_key

    secure = {"yes": True, "no": False}.get(args.secure_cookies, not is_loopback(args.host))
    try:
        config = WebConfig(secret_key=load_secret_key(), claim_minutes=claim_minutes(app, args), secure_cookies=secure)
    except SecretError as error:
        print(f"mailworker: {error}", file=sys.stderr)
        return EXIT_USAGE
    web_app = create_app(app.factory, app.settings, config)
    server = make_server(args.host, args.port, web_app, threaded=True, request_handler=_request_handler())
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    if not is_loopback(args.host):
        print("mailworker: serving beyond this machine: put it behind HTTPS (cookies are Secure-only)",
              file=sys.stderr)
    print(f"review console on http://{args.host}:{server.server_port}/ (Ctrl-C stops)", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _review_parser(parent: Any, name: str, helptext: str, func: Callable[..., int], *, acts: bool = True) -> Any:
    parser = parent.add_parser(name, help=helptext)
    parser.add_argument("--claim-minutes", type=_positive, default=None,
                        help="claims older than this are expired (default: review.claim_minutes in settings.yaml)")
    if acts:
        parser.add_argument("id", type=int, help="review item number")
        parser.add_argument("--as", dest="as_name", metavar="NAME", help="reviewer name (default: $USER)")
    parser.set_defaults(func=func)
    return parser


def _add_serve(subparsers: Any) -> None:
    serve = subparsers.add_parser("serve", help="run the review console (web)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--claim-minutes", type=_positive, default=None,
                       help="claim expiry (default: review.claim_minutes in settings.yaml)")
    serve.add_argument("--secure-cookies", choices=("auto", "yes", "no"), default="auto",
                       help="auto: Secure cookies unless serving on loopback")
    serve.set_defaults(func=cmd_serve)


def _add_users(subparsers: Any) -> None:
    users = subparsers.add_parser("users", help="console users").add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add", help="add a user (password prompted, or read from stdin)")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="reviewer")
    add.set_defaults(func=cmd_users_add)
    passwd = users.add_parser("passwd", help="set a new password (prompted, or read from stdin)")
    passwd.add_argument("name")
    passwd.set_defaults(func=cmd_users_passwd)
    users.add_parser("list", help="list users").set_defaults(func=cmd_users_list)


def _add_review(subparsers: Any) -> None:
    review = subparsers.add_parser("review", help="work the review queue from a terminal")
    sub = review.add_subparsers(dest="review_command", required=True)
    listing = _review_parser(sub, "list", "items to review, oldest first", cmd_review_list, acts=False)
    listing.add_argument("--reason", help="only items with this reason")
    listing.add_argument("--status", choices=STATUS_FILTERS, default="todo")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--page", type=_positive, default=1)
    listing.add_argument("--limit", type=_positive, default=100)
    show = sub.add_parser("show", help="one item with its e-mail")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_review_show)
    post = _review_parser(sub, "post", "post an item's reading", cmd_review_post)
    post.add_argument("--account", help="account number (default: the worker's proposal)")
    post.add_argument("--reading", action="append", metavar="REG=N", help="register=value (repeat), or just N")
    post.add_argument("--date", help="fixation date YYYY-MM-DD or DD.MM.YYYY (default: the proposal's)")
    post.add_argument("--yes", action="store_true", help="post even when the plausibility checks warn")
    reject = _review_parser(sub, "reject", "reject an item", cmd_review_reject)
    reject.add_argument("--reason", required=True)
    nar = _review_parser(sub, "not-a-reading", "mark an item as not a reading", cmd_review_not_a_reading)
    nar.add_argument("--note")
    _review_parser(sub, "claim", "claim an item", cmd_review_claim)
    _review_parser(sub, "release", "release your claim", cmd_review_release)


def register(subparsers: Any, open_app: Callable[[Settings], Any]) -> None:
    """Add ``serve``, ``users add|passwd|list`` and ``review list|show|post|reject|...`` to the main parser.

    ``open_app`` is accepted for symmetry with the main CLI; the commands receive its result as ``app``.
    """
    _add_serve(subparsers)
    _add_users(subparsers)
    _add_review(subparsers)
