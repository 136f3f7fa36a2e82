"""What kind of mail is this: an auto-reply, bulk/spam, or a question/complaint rather than a submission.

Pure functions of header values and text.  Each returns the evidence it found
(a short machine word plus what matched) so reviewers see why, or None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_I = re.IGNORECASE

_AUTO_SUBJECT = re.compile(
    r"^\s*(?:автоматический\s+ответ|автоответ|автовідповідь|автоматична\s+відповідь|auto(?:matic)?[\s-]*reply"
    r"|auto:|out\s+of\s+(?:the\s+)?office|отсутствую|я\s+в\s+отпуске|недоставлен|не\s+доставлен"
    r"|undeliver|delivery\s+status\s+notification|mail\s+delivery\s+(?:failed|system)|returned\s+mail"
    r"|не\s+вдалося\s+доставити)", _I)
_AUTO_BODY = re.compile(
    r"(?:это\s+автоматическ\w+\s+(?:ответ|сообщение)|це\s+автоматичн\w+\s+(?:відповідь|повідомлення)"
    r"|(?:я\s+)?(?:нахожусь|буду)\s+в\s+отпуске|перебуваю\s+у\s+відпустці|не\s+имею\s+доступа\s+к\s+почте"
    r"|не\s+маю\s+доступу\s+до\s+пошти|this\s+is\s+an\s+automatic(?:ally generated)?\s+(?:reply|message)"
    r"|i\s+am\s+(?:currently\s+)?out\s+of\s+(?:the\s+)?office)", _I)
_DAEMON_SENDER = re.compile(r"^(?:mailer-daemon|postmaster|no-?reply|noreply|auto-?reply|bounce)", _I)

_SPAM_WORDS = re.compile(
    r"(?:магнит\w*|магніт\w*|останов\w+\s+(?:электро)?сч[её]тчик|зупин\w+\s+лічильник|экономи\w+\s+до\s+\d+\s*%"
    r"|економі\w+\s+до\s+\d+\s*%|скидк\w+|знижк\w+|акци[яи]\b|доставк\w+\s+нов\w+\s+почт|купить|купити"
    r"|заработ\w+|viagra|casino|казино|кредит\w*\s+без|unsubscribe|отписаться|відписатися"
    r"|сч[её]т\s+на\s+оплату|рахунок\s+на\s+оплату|invoice|во\s+вложении\s+сч[её]т|просим\s+оплатить)", _I)
_RISKY_ATTACHMENT = re.compile(r"\.(?:zip|rar|7z|exe|scr|js|jar|vbs|bat|cmd|iso|img|html?|docm|xlsm)$", _I)
_QUESTION_WORDS = re.compile(
    r"(?<!\w)(?:почему|зачем|когда\s+(?:дадут|включат|будет)|поясните|объясните|поясніть|чому|коли\s+(?:дадуть|"
    r"увімкнуть|буде)|нет\s+света|немає\s+світла|нема\s+світла|отключ\w+|відключ\w+|жалоб\w+|скарг\w+"
    r"|перерасч[её]т\w*|перерахун\w*|не\s+согласн\w+|не\s+згодн\w+|как\s+(?:оплатить|узнать|передать)"
    r"|як\s+(?:оплатити|дізнатися|передати)|подскажите|підкажіть|нараховано|начислено|начислили|нарахували)"
    r"(?!\w)", _I)


def auto_reply_evidence(headers: Mapping[str, str], subject: str, body: str, sender: str) -> str | None:
    """Why this looks like an automatic reply or bounce (RFC 3834 headers, subject, wording), or None."""
    auto_submitted = headers.get("auto-submitted", "").strip().lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"header Auto-Submitted: {auto_submitted}"
    for key in ("x-autoreply", "x-autorespond"):
        if headers.get(key):
            return f"header {key}"
    if headers.get("precedence", "").strip().lower() in ("auto_reply", "auto-reply"):
        return "header Precedence: auto_reply"
    if _DAEMON_SENDER.match(sender or ""):
        return "sender is a mail daemon"
    if _AUTO_SUBJECT.search(subject or ""):
        return "auto-reply subject"
    match = _AUTO_BODY.search(body[:3000] if body else "")
    return f"auto-reply wording: {match.group(0)!r}" if match else None


def spam_evidence(headers: Mapping[str, str], subject: str, body: str, attachment_names: Sequence[str]) -> str | None:
    """Why this looks like bulk advertising or malware rather than a customer's mail, or None."""
    if headers.get("x-spam-flag", "").strip().lower() == "yes":
        return "header X-Spam-Flag: YES"
    risky = [n for n in attachment_names if n and _RISKY_ATTACHMENT.search(n.strip())]
    words = {m.group(0).lower() for m in _SPAM_WORDS.finditer(f"{subject}\n{body[:5000]}")}
    if risky and words:
        return f"risky attachment {risky[0]!r} with {sorted(words)[0]!r}"
    if headers.get("precedence", "").strip().lower() in ("bulk", "junk", "list") and words:
        return f"bulk mail with {sorted(words)[0]!r}"
    if len(words) >= 2:
        return "advertising wording: " + ", ".join(sorted(words)[:3])
    return None


def question_evidence(text: str) -> str | None:
    """The question or complaint wording in ``text`` (the sender asks something rather than submits), or None."""
    match = _QUESTION_WORDS.search(text or "")
    return match.group(0) if match else None


_CONDITIONAL = re.compile(r"(?<!\w)(?:если|якщо|коли\s+б|допустим|припустимо|предположим|скажем)(?!\w)", _I)
_SENTENCE_END = re.compile(r"[.!?\n]")


def hypothetical_evidence(text: str, span: tuple[int, int]) -> str | None:
    """The conditional word when the number at ``span`` sits in an "if ... ?" question, else None.

    "если на 1 декабря у меня показания 16050, сколько платить?" asks about a reading rather
    than submitting one.
    """
    start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, span[0])), default=0)
    end_match = _SENTENCE_END.search(text, span[1])
    end = end_match.start() if end_match else len(text)
    if end_match is None or text[end] != "?":
        return None
    conditional = _CONDITIONAL.search(text, start, end)
    return conditional.group(0) if conditional else None
