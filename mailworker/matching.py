"""Which registry account an e-mail leads to (SPEC.md policy 4).

``RegistryIndex.build`` indexes the registry once: folded city names (official and
renamed, via ``street_aliases.csv``), folded street names per city (official, renamed
and Russian spellings; an alias row applies in its own city only), and
(city, street, house) -> {apartment -> accounts}. ``match`` then combines three kinds
of evidence:

* an **address** leads to the accounts at exactly that city (optional when the rest is
  unique), street (type optional, typos forgiven by rapidfuzz above ``fuzzy_threshold``),
  house (exact: ``12`` != ``12А`` != ``12/1``) and apartment (exact: ``1`` != ``11``; a
  block without an apartment gives all its flats, i.e. ambiguity);
* an **account number** (6-9 digits are padded with leading zeros); a confidently written
  number the registry lacks contradicts an address or phone;
* a **phone**, used only when there is neither address nor account number, and only
  when it belongs to exactly one account (or narrows an ambiguous address to one).

Outcome reasons: ``no_account_match`` (nothing leads anywhere, or only to accounts the
registry lacks), ``ambiguous_account`` (evidence points at several accounts, or an
account number contradicts the address or phone), ``multiple_accounts`` (two addresses
or account numbers each identify a different account).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import phonenumbers
from rapidfuzz import fuzz, process

from mailworker.registry import RegistryRecord, StreetAlias
from parsers.addresses import Address
from parsers.text import (
    fold,
    has_latin,
    normalise_apartment,
    normalise_house,
    split_street_type,
    transliterate_latin,
)
from parsers.types import Candidate

__all__ = ["AccountMatch", "MatchResult", "RegistryIndex"]

_CONFIDENT_ADDRESS = 0.6  # an unmatched address at least this sure may contradict other evidence
_CONFIDENT_UNKNOWN_ACCOUNT = 0.6  # an account number not in the registry counts only if this sure
_MIN_PHONE_CONFIDENCE = 0.3
_PARTIAL_PENALTY = 0.95  # "Яворницкого" for "Дмитра Яворницького": the surname alone
_CLEAR_LEAD = 8.0  # a street this many points closer than another one with the same house wins
_KEY_CACHE_SIZE = 20_000
_BUCKET_ABOVE = 2_000  # street tables bigger than this are searched fuzzily by first letter only
_TYPE_WORDS = {"наб.": "набережна", "пл.": "площа", "бульв.": "бульвар", "узвіз": "узвиз"}


@dataclass(frozen=True, slots=True)
class AccountMatch:
    """One account the e-mail may be about, how strongly, and through which evidence."""

    account_id: str
    score: float
    via: str  # "account", "address", "phone" or a "+"-joined combination
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The single account the e-mail leads to (or None) with ranked candidates and review reasons."""

    account_id: str | None
    candidates: list[AccountMatch] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


class _StreetRef(NamedTuple):
    city: str
    street: str
    street_type: str | None


class _Mention(NamedTuple):
    """What one written address (all its alternative readings) leads to."""

    accounts: tuple[str, ...]
    streets: frozenset[tuple[str, str]]  # registry (city, street) pairs the street name resolved to
    confidence: float
    specific: bool  # names a flat or a private house, not just a building
    text: str


def _name_key(name: str, endings: bool = True) -> str:
    return transliterate_latin(name) if has_latin(name) else fold(name, endings=endings)


def _with_type_word(street_type: str | None, name: str) -> str | None:
    """The name led by its type word ("наб." + "Ленина" -> "набережна Ленина") for types people write as
    part of the name, or None."""
    word = _TYPE_WORDS.get(street_type or "")
    return None if word is None or fold(name).startswith(word) else f"{word} {name}"


def _words_without_initials(key: str) -> str:
    return " ".join(w for w in key.split() if len(w) > 2)


class _StreetTable:
    """Street names of one city (or of every city) -> streets, with the fuzzy choice lists."""

    __slots__ = ("exact", "light", "partial", "choices")

    def __init__(self) -> None:
        self.exact: dict[str, set[_StreetRef]] = defaultdict(set)
        self.light: dict[str, set[_StreetRef]] = defaultdict(set)
        self.partial: dict[str, set[_StreetRef]] = defaultdict(set)
        self.choices: dict[tuple[bool, str], list[str]] = {}  # (light?, first letter or "") -> keys

    def add(self, written: str, ref: _StreetRef) -> None:
        street_type, name = split_street_type(written)
        key = _name_key(name)
        if not key:
            return
        self.exact[key].add(ref)
        self.light[_name_key(name, endings=False)].add(ref)
        if (full := _with_type_word(street_type, name)) is not None:
            self.exact[_name_key(full)].add(ref)  # "Набережная Ленина" for an alias "наб. Ленина"
            self.light[_name_key(full, endings=False)].add(ref)
        words = _words_without_initials(key).split()
        if len(words) >= 2 and len(words[-1]) >= 5 and split_street_type(words[0] + " x")[0] is None:
            self.partial[words[-1]].add(ref)  # "Яворницкого" for "Дмитра Яворницького", not "Победы"

    def freeze(self) -> None:
        """Prepare the fuzzy choice lists; a big table is split by first letter (typos rarely hit it)."""
        for light, table in ((False, self.exact), (True, self.light)):
            self.choices[(light, "")] = list(table)
            if len(table) > _BUCKET_ABOVE:
                for key in table:
                    self.choices.setdefault((light, key[:1]), []).append(key)

    def fuzzy_choices(self, light: bool, query: str) -> list[str]:
        everything = self.choices.get((light, ""), [])
        return everything if len(everything) <= _BUCKET_ABOVE else self.choices.get((light, query[:1]), [])

    def find(self, key: str, light: str, threshold: float) -> dict[_StreetRef, float]:
        """Streets named by ``key``: exact, surname alone, then fuzzy (``light``: key without endings)."""
        short = _words_without_initials(key)
        exact = self.exact.get(key) or self.exact.get(short)
        if exact:
            return dict.fromkeys(exact, 100.0)
        found = dict.fromkeys(self.partial.get(short, ()), 100.0 * _PARTIAL_PENALTY)
        for query, is_light, table in ((key, False, self.exact), (light, True, self.light)):
            choices = self.fuzzy_choices(is_light, query)
            for choice, score, _ in process.extract(query, choices, scorer=fuzz.ratio,
                                                    score_cutoff=threshold, limit=None):
                for ref in table[choice]:
                    found[ref] = max(found.get(ref, 0.0), score)
            if found:
                break  # the fuller key (no folded endings) is only a second chance
        return found


class RegistryIndex:
    """Lookup structures over the registry; build once, match many e-mails."""

    def __init__(self, records: Sequence[RegistryRecord], threshold: float) -> None:
        self.threshold = threshold
        self.records = {r.account_id: r for r in records}
        self.city_keys: dict[str, str] = {}
        self.city_choices: list[str] = []
        self.streets: dict[str, _StreetTable] = defaultdict(_StreetTable)
        self.all_streets = _StreetTable()
        self.houses: dict[tuple[str, str, str], dict[str | None, list[str]]] = defaultdict(
            lambda: defaultdict(list))
        self.phones: dict[str, list[str]] = defaultdict(list)
        self.key_cache: dict[tuple[str, bool], str] = {}

    @classmethod
    def build(cls, records: Sequence[RegistryRecord], aliases: Sequence[StreetAlias], *,
              fuzzy_threshold: float = 85.0) -> RegistryIndex:
        """Index ``records`` with ``aliases`` (renamed cities and streets, Russian spellings)."""
        index = cls(records, fuzzy_threshold)
        cities = {r.city for r in records}
        for city in cities:
            index.city_keys[_name_key(city)] = city
        for alias in aliases:
            renames_city = alias.new_name in cities or split_street_type(alias.old_name)[0] is None
            if alias.city is None and renames_city:
                index.city_keys.setdefault(_name_key(alias.old_name), alias.new_name)
        for city, street in dict.fromkeys((r.city, r.street) for r in records):
            index.add_street(city, street, _StreetRef(city, street, split_street_type(street)[0]))
        for record in records:
            house_key = (record.city, record.street, normalise_house(record.house))
            index.houses[house_key][normalise_apartment(record.apartment)].append(record.account_id)
            for phone in record.phones:
                index.phones[phone].append(record.account_id)
        for alias in aliases:
            if alias.city is not None or split_street_type(alias.old_name)[0] is not None:
                for city in [alias.city] if alias.city else sorted(cities):
                    ref = _StreetRef(city, alias.new_name, split_street_type(alias.new_name)[0])
                    index.add_street(city, alias.old_name, ref)
        index.city_choices = list(index.city_keys)
        for table in (*index.streets.values(), index.all_streets):
            table.freeze()
        index.streets = dict(index.streets)
        return index

    def add_street(self, city: str, written: str, ref: _StreetRef) -> None:
        self.streets[city].add(written, ref)
        self.all_streets.add(written, ref)

    def get(self, account_id: str) -> RegistryRecord | None:
        """The registry record of ``account_id`` (10 digits), or None."""
        return self.records.get(account_id)

    # ---- cities and streets --------------------------------------------------------------
    def key(self, name: str, endings: bool = True) -> str:
        """``_name_key`` with a bounded cache: the same city and street names come again and again."""
        cached = self.key_cache.get((name, endings))
        if cached is None:
            if len(self.key_cache) >= _KEY_CACHE_SIZE:
                self.key_cache.clear()
            cached = self.key_cache[(name, endings)] = _name_key(name, endings)
        return cached

    def resolve_city(self, written: str) -> str | None:
        key = self.key(written)
        if key in self.city_keys:
            return self.city_keys[key]
        best = process.extractOne(key, self.city_choices, scorer=fuzz.ratio, score_cutoff=self.threshold)
        return self.city_keys[best[0]] if best else None

    def street_refs(self, cities: list[str] | None, written: str,
                    street_type: str | None) -> dict[_StreetRef, float]:
        """Streets that ``written`` names in ``cities`` (None: anywhere), with a 0-100 score."""
        variants = [written]
        if street_type in _TYPE_WORDS and not self.key(written).startswith(_TYPE_WORDS[street_type]):
            variants.append(f"{_TYPE_WORDS[street_type]} {written}")  # "наб. Победы" = "Набережна Победы"
        tables = [self.all_streets] if cities is None else [self.streets[c] for c in cities if c in self.streets]
        found: dict[_StreetRef, float] = {}
        for variant in variants:
            key, light = self.key(variant), self.key(variant, endings=False)
            for table in tables:
                for ref, score in table.find(key, light, self.threshold).items():
                    found[ref] = max(found.get(ref, 0.0), score)
        return found

    def accounts_at(self, ref: _StreetRef, house: str | None, apartment: str | None) -> tuple[str, ...]:
        flats = self.houses.get((ref.city, ref.street, normalise_house(house or "")))
        if not flats:
            return ()
        apartment_key = normalise_apartment(apartment)
        if apartment_key is not None:
            return tuple(flats.get(apartment_key, ()))
        if None in flats:
            return tuple(flats[None])
        return tuple(a for accounts in flats.values() for a in accounts)  # a block, no flat given

    # ---- one address -----------------------------------------------------------------------
    def city_and_street(self, address: Address, notes: tuple[str, ...]) -> tuple[list[str] | None, str]:
        """Cities to search (None: all) and the street as written; an unknown city gives ``[]``."""
        street = address.street or ""
        if address.city:
            city = self.resolve_city(address.city)
            if city is not None:
                return [city], street
            # An unknown word after the address, or a bare capitalised word before a flat's address
            # (often a name: "Иванова Мария, Рабочая 5 кв 12"), does not rule the address out.
            marked = "city_source=marked" in notes
            if not ("city_source=after" in notes or (address.apartment is not None and not marked)):
                return [], street
        words = street.split()
        for n in (1, 2):
            if len(words) > n and (city := self.city_keys.get(self.key(" ".join(words[:n])))) is not None:
                return [city], " ".join(words[n:])
        return None, street

    def read_address(self, candidate: Candidate[Address]) -> tuple[dict[str, float], set[tuple[str, str]]]:
        """Accounts one reading of an address leads to (with scores) and the streets it resolved."""
        address = candidate.value
        if not address.street or not address.house:
            return {}, set()
        cities, street = self.city_and_street(address, candidate.notes)
        refs = self.street_refs(cities, street, address.street_type)
        by_street: dict[_StreetRef, tuple[str, ...]] = {}
        for ref in refs:
            accounts = self.accounts_at(ref, address.house, address.apartment)
            if accounts:
                by_street[ref] = accounts
        by_street = _prefer_close_streets(by_street, refs, address.street_type)
        scores = {a: round(candidate.confidence * refs[ref] / 100.0, 3) for ref, accs in by_street.items()
                  for a in accs}
        return scores, {(ref.city, ref.street) for ref in refs}

    def mention(self, group: list[Candidate[Address]]) -> tuple[_Mention, dict[str, float]]:
        """Combine the alternative readings of one written address."""
        unique: dict[str, float] = {}
        several: dict[str, float] = {}
        streets: set[tuple[str, str]] = set()
        for candidate in group:
            scores, resolved = self.read_address(candidate)
            streets |= resolved
            target = unique if len(scores) == 1 else several
            for account, score in scores.items():
                target[account] = max(target.get(account, 0.0), score)
        chosen = unique or several
        best = max(group, key=lambda c: c.confidence)
        value = best.value
        parts = (value.city, value.street_type, value.street, value.house, value.apartment)
        text = " ".join(filter(None, parts))
        ranked = tuple(sorted(chosen, key=lambda a: -chosen[a]))
        specific = any(c.value.apartment or "private_house" in c.notes for c in group)
        return _Mention(ranked, frozenset(streets), best.confidence, specific, text), chosen

    # ---- account numbers and phones ------------------------------------------------------
    def account_numbers(self, accounts: Sequence[Candidate[str]]) -> tuple[dict[str, float], list[str]]:
        """Registry accounts written in the e-mail (with confidence) and confident numbers it lacks."""
        known: dict[str, float] = {}
        unknown: list[str] = []
        for candidate in accounts:
            digits = "".join(ch for ch in str(candidate.value) if ch.isdigit())
            if not 6 <= len(digits) <= 10:
                continue
            account = digits.zfill(10)
            if account in self.records:
                known[account] = max(known.get(account, 0.0), candidate.confidence)
            elif candidate.confidence >= _CONFIDENT_UNKNOWN_ACCOUNT and account not in unknown:
                unknown.append(account)
        return known, unknown

    def phone_accounts(self, phones: Sequence[Candidate[str]]) -> list[tuple[str, ...]]:
        """For each registry phone in the e-mail, the accounts it belongs to."""
        out: list[tuple[str, ...]] = []
        for candidate in phones:
            if candidate.confidence < _MIN_PHONE_CONFIDENCE:
                continue
            e164 = _e164(str(candidate.value))
            owners = tuple(self.phones.get(e164, ())) if e164 else ()
            if owners and owners not in out:
                out.append(owners)
        return out

    # ---- the decision ----------------------------------------------------------------------
    def match(self, addresses: Sequence[Candidate[Address]], accounts: Sequence[Candidate[str]],
              phones: Sequence[Candidate[str]]) -> MatchResult:
        """The one account the e-mail leads to, or None with the reasons (SPEC.md policy 4)."""
        evidence = _Evidence()
        mentions = []
        for group in _group_by_span(addresses):
            mention, scores = self.mention(group)
            mentions.append(mention)
            evidence.add("address", scores, f"address: {mention.text}")
        known, unknown = self.account_numbers(accounts)
        evidence.add("account", known, "account number")
        phone_sets = self.phone_accounts(phones)
        for owners in phone_sets:
            note = "phone of one account" if len(owners) == 1 else f"phone shared by {len(owners)} accounts"
            evidence.add("phone", {a: round(0.5 / len(owners), 3) for a in owners}, note)
        account, reason = self.decide(mentions, known, unknown, phone_sets)
        return MatchResult(account, evidence.ranked(), [reason] if reason else [])

    def decide(self, mentions: list[_Mention], known: dict[str, float], unknown: list[str],
               phone_sets: list[tuple[str, ...]]) -> tuple[str | None, str | None]:
        resolved = list(dict.fromkeys(m.accounts[0] for m in mentions if len(m.accounts) == 1))
        ambiguous = [m for m in mentions if len(m.accounts) > 1]
        unmatched = [m for m in mentions if not m.accounts and m.confidence >= _CONFIDENT_ADDRESS]
        if len(resolved) > 1:
            return None, "multiple_accounts"
        if resolved:
            if unknown:
                return None, "ambiguous_account"  # a written account number that is not this address's
            return self.decide_by_address(resolved[0], ambiguous, unmatched, known)
        if ambiguous:
            pool = set.intersection(*(set(m.accounts) for m in ambiguous))
            if known:
                consistent = len(known) == 1 and set(known) <= pool
                return (next(iter(known)), None) if consistent else (None, "ambiguous_account")
            narrowed = {owners[0] for owners in phone_sets if len(owners) == 1 and owners[0] in pool}
            return (narrowed.pop(), None) if len(narrowed) == 1 else (None, "ambiguous_account")
        if known:
            return self.decide_by_account(known, unmatched, phone_sets)
        if unknown:
            return None, "ambiguous_account" if phone_sets and not unmatched else "no_account_match"
        if unmatched or not phone_sets:
            return None, "no_account_match"
        owners = {a for s in phone_sets for a in s}
        return (owners.pop(), None) if len(owners) == 1 else (None, "ambiguous_account")

    def decide_by_address(self, account: str, ambiguous: list[_Mention], unmatched: list[_Mention],
                          known: dict[str, float]) -> tuple[str | None, str | None]:
        if set(known) - {account}:
            return None, "multiple_accounts" if account in known else "ambiguous_account"
        record = self.records[account]
        if any(account not in m.accounts for m in ambiguous if m.specific) or \
                any((record.city, record.street) in m.streets for m in unmatched):
            return None, "ambiguous_account"  # another flat elsewhere, or the same street with another number
        return account, None

    def decide_by_account(self, known: dict[str, float], unmatched: list[_Mention],
                          phone_sets: list[tuple[str, ...]]) -> tuple[str | None, str | None]:
        if len(known) > 1:
            return None, "multiple_accounts"
        account = next(iter(known))
        if any(m.streets for m in unmatched):
            return None, "ambiguous_account"  # the address names a registry street, but not this account
        if not unmatched and any(account not in owners for owners in phone_sets):
            return None, "ambiguous_account"  # no address, and the phone belongs to someone else
        return account, None


class _Evidence:
    """Per-account scores and notes from each kind of evidence, for the ranked candidate list."""

    _ORDER = ("account", "address", "phone")

    def __init__(self) -> None:
        self.scores: dict[str, dict[str, float]] = defaultdict(dict)
        self.notes: dict[str, list[str]] = defaultdict(list)

    def add(self, source: str, scores: dict[str, float], note: str) -> None:
        for account, score in scores.items():
            previous = self.scores[account].get(source, 0.0)
            self.scores[account][source] = max(previous, score)
            if note not in self.notes[account]:
                self.notes[account].append(note)

    def ranked(self) -> list[AccountMatch]:
        matches = [
            AccountMatch(account, round(sum(by_source.values()), 3),
                         "+".join(s for s in self._ORDER if s in by_source), tuple(self.notes[account]))
            for account, by_source in self.scores.items()
        ]
        return sorted(matches, key=lambda m: (-m.score, m.account_id))


def _prefer_close_streets(by_street: dict[_StreetRef, tuple[str, ...]], refs: dict[_StreetRef, float],
                          street_type: str | None) -> dict[_StreetRef, tuple[str, ...]]:
    """Among streets of one city that have the house keep the clearly closer name, then the written type."""
    by_city: dict[str, list[_StreetRef]] = defaultdict(list)
    for ref in by_street:
        by_city[ref.city].append(ref)
    kept: dict[_StreetRef, tuple[str, ...]] = {}
    for city_refs in by_city.values():
        best = max(refs[ref] for ref in city_refs)
        close = [ref for ref in city_refs if refs[ref] > best - _CLEAR_LEAD]
        typed = [ref for ref in close if ref.street_type == street_type]
        use_type = street_type is not None and typed and len({r.street for r in close}) > 1
        for ref in typed if use_type else close:
            kept[ref] = by_street[ref]
    return kept


def _group_by_span(candidates: Sequence[Candidate[Address]]) -> list[list[Candidate[Address]]]:
    """Group the alternative readings of one written address: same span, same city and street.

    Exact equality (not overlap) keeps apart addresses that a caller parsed from different texts.
    """
    groups: dict[tuple[tuple[int, int], str | None, str | None], list[Candidate[Address]]] = {}
    for candidate in candidates:
        key = (candidate.span, candidate.value.city, candidate.value.street)
        groups.setdefault(key, []).append(candidate)
    return list(groups.values())


def _e164(value: str) -> str | None:
    if value.startswith("+") and value[1:].isdigit():
        return value
    try:
        number = phonenumbers.parse(value, "UA")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
