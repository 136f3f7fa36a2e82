"""The review queue: operations shared by the web console and the ``mailworker review`` commands.

Importing this package registers the console's tables (users, web sessions,
review events) on ``mailworker.db.models.Base.metadata``.
"""

from __future__ import annotations

from mailworker.db import review_models as review_models
from mailworker.review.actions import (
    PostOutcome,
    check_post,
    claim,
    holder,
    load_item,
    mark_not_a_reading,
    post,
    reject,
    release,
)
from mailworker.review.common import Actor, Conflict, EditErrors, NeedsConfirmation, NotFound, ReviewError
from mailworker.review.edits import EditInput
from mailworker.review.queue import list_queue, next_item_id, reason_counts

__all__ = [
    "Actor", "Conflict", "EditErrors", "EditInput", "NeedsConfirmation", "NotFound", "PostOutcome", "ReviewError",
    "check_post", "claim", "holder", "list_queue", "load_item", "mark_not_a_reading", "next_item_id", "post",
    "reason_counts", "reject", "release", "review_models",
]
