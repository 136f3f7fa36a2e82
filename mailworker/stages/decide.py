"""Classify, match, validate, decide: the stages after extraction.

Each stage appends review reasons (names from SPEC.md) to the context; none
raises to ask for review.  ``DecideStage`` is the one place where the outcome
is chosen: ``accept`` only with no reason at all and enough confidence.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

from mailworker.config import DecisionSettings
from mailworker.matching import MatchResult, RegistryIndex
from mailworker.pipeline import Context
from mailworker.registry import RegistryRecord
from mailworker.stages.extract import Extraction
from parsers.dates import KYIV
from parsers.intent import auto_reply_evidence, hypothetical_evidence, question_evidence, spam_evidence

ZONE_REGISTERS = {1: ("total",), 2: ("day", "night"), 3: ("peak", "half_peak", "night")}
DAYS_PER_MONTH = 30.4375
NOT_SUBMISSIONS = ("auto_reply", "spam", "multiple_accounts")
DOCUMENT_TYPES = ("image/", "application/pdf", "application/msword", "application/vnd.")


class RegistryView(Protocol):
    """The registry as the stages see it: the match index and each account's latest state."""

    @property
    def index(self) -> RegistryIndex:
        """The lookup index for matching."""

    def current(self, account_id: str, session: Any = None) -> RegistryRecord | None:
        """The account with its last accepted readings as of now (read in ``session`` when given)."""


class MemoryRegistry:
    """A registry view over an index built in memory (classify, tests)."""

    def __init__(self, index: RegistryIndex) -> None:
        self._index = index

    @property
    def index(self) -> RegistryIndex:
        """The lookup index for matching."""
        return self._index

    def current(self, account_id: str, session: Any = None) -> RegistryRecord | None:
        """The account as loaded."""
        return self._index.get(account_id)


def _extraction(context: Context) -> Extraction:
    extraction = context.extraction
    assert isinstance(extraction, Extraction), "the extract stage must run first"
    return extraction


class ClassifyStage:
    """Auto-replies and spam are never submissions: mark them before anything else is judged."""

    name = "classify"

    def __call__(self, context: Context) -> None:
        """Add ``auto_reply`` or ``spam`` with the evidence."""
        decoded = context.decoded
        if decoded is None:
            return
        extraction = _extraction(context)
        body = extraction.texts.get("new", "") or decoded.body_text
        auto = auto_reply_evidence(decoded.auto_headers, decoded.subject, body, decoded.sender_address)
        if auto:
            context.add_reason("auto_reply")
            context.result["auto_reply_evidence"] = auto
            return
        names = [a.filename or "" for a in decoded.attachments]
        spam = spam_evidence(decoded.auto_headers, decoded.subject, decoded.body_text, names)
        if spam:
            context.add_reason("spam")
            context.result["spam_evidence"] = spam


class ReadingStage:
    """Reasons about the reading itself: none, conflicting, only in an attachment, a question."""

    name = "reading"

    def __call__(self, context: Context) -> None:
        """Add ``conflicting_readings``, ``reading_in_attachment_only``, ``no_reading`` or ``not_a_reading``."""
        extraction = _extraction(context)
        decoded = context.decoded
        if any(r in context.reasons for r in NOT_SUBMISSIONS):
            return  # an auto-reply, spam, or several accounts: the reading question does not arise
        if extraction.conflicting:
            context.add_reason("conflicting_readings")
            return
        if extraction.readings is not None:
            hypothetical = _hypothetical(extraction)
            if hypothetical:
                context.add_reason("not_a_reading")
                context.result["question_evidence"] = hypothetical
            return
        documents = [a for a in (decoded.attachments if decoded else []) if a.content_type.startswith(DOCUMENT_TYPES)]
        text = "\n".join(extraction.texts.get(n, "") for n in ("subject", "new"))
        if documents and not context.reasons:
            context.add_reason("reading_in_attachment_only")
        elif question_evidence(text) or not extraction.mentions_reading:
            context.add_reason("not_a_reading")
            if "no_account_match" in context.reasons:  # no submission: whose account it is does not matter
                context.reasons.remove("no_account_match")
        else:
            context.add_reason("no_reading")


def _hypothetical(extraction: Extraction) -> str | None:
    """Conditional wording around the chosen reading ("если ... показания 16050, сколько ...?")."""
    for candidate in extraction.reading_candidates:
        if candidate.source == extraction.reading_source and candidate.label == "current":
            found = hypothetical_evidence(extraction.texts.get(candidate.source, ""), candidate.span)
            if found:
                return found
    return None


class MatchStage:
    """Find the one registry account the e-mail leads to."""

    name = "match"

    def __init__(self, registry: RegistryView) -> None:
        self.registry = registry

    def __call__(self, context: Context) -> None:
        """Fill ``context.match``; its reasons join the context's."""
        extraction = _extraction(context)
        result: MatchResult = self.registry.index.match(extraction.addresses, extraction.accounts, extraction.phones)
        context.match = result
        if context.reasons:
            return  # an auto-reply or spam: the account question is moot
        for reason in result.reasons:
            context.add_reason(reason)
        if result.reasons and "multiple_accounts" in result.reasons:
            extraction.readings = None


def plausibility_reasons(record: RegistryRecord, readings: dict[str, int], fixation: date,
                         message_day: date, settings: DecisionSettings) -> list[str]:
    """SPEC policy 2, 3 and 5 for one reading of one account."""
    reasons = []
    if set(readings) != set(ZONE_REGISTERS.get(record.zones, ())):
        reasons.append("zones_mismatch")
    else:
        if any(readings[r] < record.last.get(r, 0) for r in readings):
            reasons.append("reading_decreased")
        elif record.last_reading_date is not None and record.last:
            used = sum(readings.values()) - sum(record.last.values())
            months = max(1.0, (fixation - record.last_reading_date).days / DAYS_PER_MONTH)
            if used > settings.spike_factor * record.avg_monthly_kwh * months:
                reasons.append("consumption_spike")
    if fixation > message_day:
        reasons.append("date_in_future")
    elif (message_day - fixation).days > settings.stale_days:
        reasons.append("date_stale")
    return reasons


class ValidateStage:
    """VEE-style plausibility checks of the reading against the matched account."""

    name = "validate"

    def __init__(self, registry: RegistryView, settings: DecisionSettings) -> None:
        self.registry = registry
        self.settings = settings

    def __call__(self, context: Context) -> None:
        """Add zones, decrease, spike and date reasons."""
        extraction = _extraction(context)
        match = context.match
        if extraction.readings is None or extraction.fixation_date is None:
            return
        if any(reason in context.reasons for reason in (*NOT_SUBMISSIONS, "not_a_reading")):
            return  # nothing was submitted: plausibility of a number in it means nothing
        message_day = _message_day(context)
        account_id = match.account_id if match else None
        record = self.registry.current(account_id, context.session) if account_id else None
        if record is None:
            if message_day is not None and extraction.fixation_date > message_day:
                context.add_reason("date_in_future")
            return
        for reason in plausibility_reasons(record, extraction.readings, extraction.fixation_date,
                                           message_day or extraction.fixation_date, self.settings):
            context.add_reason(reason)


def _message_day(context: Context) -> date | None:
    decoded = context.decoded
    if decoded is None or decoded.sent_at is None:
        return None
    return decoded.sent_at.astimezone(KYIV).date()


class DecideStage:
    """Accept only with no reason and enough confidence; everything else goes to review."""

    name = "decide"

    def __init__(self, settings: DecisionSettings) -> None:
        self.settings = settings

    def __call__(self, context: Context) -> None:
        """Set ``context.decision`` and ``context.confidence``."""
        extraction = _extraction(context)
        match = context.match
        match_score = match.candidates[0].score if match and match.candidates else 0.0
        parts = [extraction.reading_confidence, extraction.date_confidence, min(1.0, match_score)]
        context.confidence = round(min(parts), 3) if extraction.readings else 0.0
        if not context.reasons and match and match.account_id and extraction.readings:
            if context.confidence >= self.settings.min_confidence:
                context.decision = "accept"
                return
            context.add_reason("low_confidence")
        context.decision = "review"
