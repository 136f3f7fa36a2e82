"""Turn a MIME part's bytes into text: declared charset first, repaired when it is wrong.

Customers' mail clients lie about charsets (cp1251 declared as koi8-r, utf-8
declared as latin-1, no charset at all, ``X-UNKNOWN``).  The declared charset is
tried first; when it is unknown, fails, or gives text that is implausible for
Cyrillic mail (mojibake, replacement characters), charset-normalizer chooses
among the Cyrillic encodings.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

CYRILLIC_ENCODINGS = ("utf_8", "cp1251", "koi8_u", "koi8_r", "iso8859_5", "mac_cyrillic")
_ALIASES = {
    "win-1251": "cp1251", "windows-1251": "cp1251", "cp-1251": "cp1251", "x-cp1251": "cp1251",
    "koi8": "koi8_r", "koi8r": "koi8_r", "koi8u": "koi8_u", "x-mac-cyrillic": "mac_cyrillic",
    "utf8": "utf_8", "unicode-1-1-utf-8": "utf_8", "us-ascii": "ascii", "ansi_x3.4-1968": "ascii",
}
_MOJIBAKE = re.compile(r"[ÐÑÃÂâ€][\x80-\xbf\u0080-\u00ff\u2018-\u203a]|[\u00c0-\u00ff]{4,}")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_BOX_DRAWING = re.compile(r"[\u2500-\u259f]")
# Frequent letter pairs of Russian and Ukrainian text.  Cyrillic decoded with the wrong
# Cyrillic codec (cp1251 read as koi8-r: "дНАПШИ ДЕМЭ") has almost none of them.
_COMMON_BIGRAMS = re.compile(
    "ст|но|то|на|ен|ов|ни|ра|во|ко|по|ан|пр|ер|ре|ла|ка|ал|ле|ть|ли|ва|ат|ос|ол|ор|ит|ор|ом|ав|ри|ки|ви|"
    "ня|ці|ий|ає|ої|ти|за|ди|ін|аз|да|де|ед|ел|ем|ес|ет|ие|ия|ль|ми|ым|ых|ую|чи|яв|іч|ль|ку"
)
COHERENT = 0.3
_CYRILLIC_LETTER = re.compile(r"[\u0400-\u04ff]")


def codec_for(charset: str | None) -> str | None:
    """The Python codec name for a declared MIME charset, or None when unknown or empty."""
    if not charset:
        return None
    name = charset.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def implausible(text: str) -> bool:
    """True when ``text`` looks mis-decoded: replacement characters, UTF-8-as-Latin-1 or box-drawing junk."""
    if not text or text.isascii():  # every sign looked for below is outside ASCII
        return False
    if "\ufffd" in text:
        return True
    if _MOJIBAKE.search(text):
        return True
    # koi8 bytes read as cp866/mac or the like come out as box-drawing characters.
    if _BOX_DRAWING.search(text) and len(_BOX_DRAWING.findall(text)) > 3:
        return True
    return cyrillic_coherence(text) < COHERENT


def cyrillic_coherence(text: str) -> float:
    """Share of Cyrillic letters that sit in common Russian/Ukrainian letter pairs (1.0 without Cyrillic)."""
    if len(text) < 20:  # fewer than 20 Cyrillic letters for certain
        return 1.0
    letters = len(_CYRILLIC_LETTER.findall(text))
    if letters < 20:
        return 1.0
    return 2 * len(_COMMON_BIGRAMS.findall(text.lower())) / letters


def _detect(data: bytes) -> str | None:
    best = from_bytes(data, cp_isolation=list(CYRILLIC_ENCODINGS)).best()
    return str(best) if best is not None else None


def _utf8_or_none(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _plausibility(text: str) -> float:
    if "\ufffd" in text or _MOJIBAKE.search(text) or len(_BOX_DRAWING.findall(text)) > 3:
        return -1.0
    return cyrillic_coherence(text) - 0.02 * len(_BOX_DRAWING.findall(text))


def _best_cyrillic(data: bytes) -> tuple[str, str] | None:
    """The Cyrillic codec whose text reads most like Russian/Ukrainian, when one clearly does."""
    scored: list[tuple[float, str, str]] = []
    for codec in CYRILLIC_ENCODINGS:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        scored.append((_plausibility(text), codec, text))
    scored.sort(key=lambda item: item[0], reverse=True)
    if scored and scored[0][0] >= COHERENT and scored[0][0] < 1.0:
        return scored[0][2], scored[0][1]
    return None


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str]:
    """Decode ``data``; returns the text and the codec actually used (``"detected"`` when repaired)."""
    codec = codec_for(declared)
    if not data:
        return "", codec or "ascii"
    if codec is not None:
        try:
            text = data.decode(codec)
            if not implausible(text):
                return text, codec
        except (UnicodeDecodeError, LookupError):
            pass
    elif data.isascii():
        return data.decode("ascii"), "ascii"
    as_utf8 = _utf8_or_none(data)
    if as_utf8 is not None and not implausible(as_utf8):
        return as_utf8, "utf_8"
    repaired = _best_cyrillic(data)
    if repaired is not None:
        return repaired
    detected = _detect(data)
    if detected is not None and not implausible(detected):
        return detected, "detected"
    fallback = codec or "cp1251"
    return data.decode(fallback, errors="replace"), f"{fallback}:replace"


def repair_mojibake(text: str) -> str:
    """Undo the commonest mis-decoding (UTF-8 bytes read as Latin-1/cp1252), else return ``text``."""
    if not _MOJIBAKE.search(text) or _CYRILLIC.search(text):
        return text
    for wrong in ("latin-1", "cp1252"):
        try:
            fixed = text.encode(wrong).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if _CYRILLIC.search(fixed):
            return fixed
    return text
