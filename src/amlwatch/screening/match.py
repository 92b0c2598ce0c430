"""Screening parties against list entries: an index of the entries' name keys, identity
numbers and accounts, and `screen`, which scores every party that shares a key with an entry.

Candidates come from exact keys only (`names.NameForms.keys`, identity numbers, accounts), so
screening a million customers is a million dictionary lookups, not a million times the list;
only those candidates are scored. The forms of a name are worked out once per distinct name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from amlwatch.screening.lists import ListEntry
from amlwatch.screening.names import (
    NameForms,
    PartyType,
    id_key,
    key_prefixes,
    lookup_keys,
    name_forms,
)
from amlwatch.screening.score import (
    MAX_BONUS,
    NAME_ONLY_CEILING,
    WEAK_ALIAS,
    NameScore,
    clamp,
    name_only,
    name_score,
    qualifier_adjustment,
)

# who a screened party is to the bank
SUBJECT_KINDS = {
    "customer": "客户", "legal_rep": "法定代表人", "controller": "控股股东或实际控制人",
    "counterparty": "交易对手", "agent": "代办人",
}  # fmt: skip
_MIN_ID = 5  # shorter "numbers" (a stray "0", "N/A") are not compared


@dataclass(frozen=True, slots=True)
class Subject:
    """A party to screen: a customer, its legal representative or controller, an agent, or a
    transaction's counterparty."""

    party_type: PartyType
    names: tuple[str, ...]
    id_numbers: tuple[str, ...] = ()
    birth_date: str | None = None  # YYYY-MM-DD
    nationality: str | None = None  # ISO 3166 alpha-3
    accounts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    """A subject and an entry alike enough to look at: `band` "hit" or "review"."""

    subject: int  # position in the screened sequence
    entry: int  # position in the index's entries
    score: int
    band: str
    reasons: tuple[str, ...]
    subject_name: str  # the subject's name that matched (or its first)
    entry_name: str  # the entry's name that matched (or its first)


@dataclass(frozen=True)
class Thresholds:
    hit: int
    review: int

    def band(self, score: int) -> str | None:
        if score >= self.hit:
            return "hit"
        return "review" if score >= self.review else None


class ListIndex:
    """The entries of the lists in force, indexed by name key, identity number and account."""

    def __init__(self, entries: Sequence[ListEntry]) -> None:
        self.entries = tuple(entries)
        self.digests = tuple(e.digest() for e in self.entries)  # each entry's version
        self._names: list[tuple[int, NameForms, str]] = []
        self._by_key: dict[str, list[int]] = defaultdict(list)
        self._by_id: dict[str, list[int]] = defaultdict(list)
        self._by_account: dict[str, list[int]] = defaultdict(list)
        for e, entry in enumerate(self.entries):
            for name in entry.names:
                forms = name_forms(name.text, entry.party_type)
                n = len(self._names)
                self._names.append((e, forms, name.quality))
                for key in forms.keys:
                    self._by_key[key].append(n)
            for number in entry.id_numbers:
                if len(id_key(number)) >= _MIN_ID:
                    self._by_id[id_key(number)].append(e)
            for account in entry.accounts:
                if len(id_key(account)) >= _MIN_ID:
                    self._by_account[id_key(account)].append(e)
        # a Chinese name walks its readings towards the listed Latin names only (a listed
        # Chinese name it meets by its characters or its Mandarin reading, "H:" and "P:")
        latin = {
            key for _, forms, _ in self._names if forms.script == "latin" for key in forms.keys
        }
        self._prefixes = key_prefixes(latin)

    @property
    def names(self) -> int:
        return len(self._names)

    @property
    def id_keys(self) -> list[str]:
        """The listed identity numbers, as compared (`names.id_key`)."""
        return list(self._by_id)

    @property
    def account_keys(self) -> list[str]:
        """The listed accounts, as compared."""
        return list(self._by_account)

    def names_with_candidates(
        self, names: Sequence[tuple[str, PartyType]]
    ) -> list[tuple[str, PartyType]]:
        """Those of `names` (name, party type) that share a key with a listed name: the only
        ones a screening has to look at, apart from identity numbers and accounts."""
        keys = lookup_keys(names, self._prefixes)
        return [n for n, k in zip(names, keys, strict=True) if self.name_candidates(k, n[1])]

    def name_candidates(self, keys: Iterable[str], party_type: PartyType) -> set[int]:
        """The entry names sharing one of `keys`, of entries of the same party type."""
        found: set[int] = set()
        for key in keys:
            for n in self._by_key.get(key, ()):
                if self.entries[self._names[n][0]].party_type == party_type:
                    found.add(n)
        return found

    def id_candidates(self, subject: Subject) -> tuple[set[int], set[int]]:
        """Entries sharing an identity number, and entries sharing an account, with `subject`."""
        ids = {e for number in subject.id_numbers for e in self._by_id.get(id_key(number), ())}
        accounts = {e for a in subject.accounts for e in self._by_account.get(id_key(a), ())}
        return ids, accounts

    def screen(self, subjects: Sequence[Subject], thresholds: Thresholds) -> list[Match]:
        """Every (subject, entry) pair scoring at least the review threshold, best first per
        subject. Each distinct name is looked up and scored against its candidates once;
        only the qualifiers are a subject's own."""
        distinct = list(dict.fromkeys((n, s.party_type) for s in subjects for n in s.names))
        keys = lookup_keys(distinct, self._prefixes)
        scored: dict[tuple[str, str], list[tuple[int, NameScore, str]]] = {}
        floor = thresholds.review - MAX_BONUS
        for pair, name_keys in zip(distinct, keys, strict=True):
            candidates = self.name_candidates(name_keys, pair[1])
            if candidates:
                forms = name_forms(*pair)
                pairs = [(n, name_score(forms, self._names[n][1])) for n in sorted(candidates)]
                scored[pair] = [(n, ns, forms.text) for n, ns in pairs if ns.score >= floor]
        look_up_ids = bool(self._by_id or self._by_account)
        matches: list[Match] = []
        for s, subject in enumerate(subjects):
            best: dict[int, Match] = {}
            for name in subject.names:
                for n, ns, text in scored.get((name, subject.party_type), ()):
                    found = self._qualified(s, subject, n, ns, text, thresholds)
                    if found is not None and (
                        found.entry not in best or found.score > best[found.entry].score
                    ):
                        best[found.entry] = found
            if look_up_ids:
                self._by_numbers(s, subject, best)
            if best:
                matches += sorted(best.values(), key=lambda m: (-m.score, m.entry))
        return matches

    def _by_numbers(self, s: int, subject: Subject, best: dict[int, Match]) -> None:
        """Entries sharing an identity number or an account with the subject: hits."""
        ids, accounts = self.id_candidates(subject)
        for e in ids | accounts:
            reasons: tuple[str, ...] = ("ID_MATCH",) if e in ids else ("ACCOUNT_MATCH",)
            prior = best.get(e)
            name = prior.entry_name if prior else self.entries[e].names[0].text
            subject_name = (
                prior.subject_name if prior else (subject.names[0] if subject.names else "")
            )
            reasons += prior.reasons if prior else ()
            best[e] = Match(s, e, 100, "hit", reasons, subject_name, name)

    def _qualified(
        self, s: int, subject: Subject, n: int, scored: NameScore, text: str, thresholds: Thresholds
    ) -> Match | None:
        e, entry_forms, quality = self._names[n]
        entry = self.entries[e]
        points, qualifiers = qualifier_adjustment(
            subject.birth_date, entry.birth_dates, subject.nationality, entry.nationalities
        )
        reasons = scored.reasons
        if quality == "weak_alias":
            points += WEAK_ALIAS
            reasons += ("WEAK_ALIAS",)
        elif quality == "alias":
            reasons += ("ALIAS",)
        elif quality == "original_script":
            reasons += ("ORIGINAL_SCRIPT",)
        score = clamp(scored.score + points)
        if entry.party_type == "individual" and name_only(
            entry_forms, entry.birth_dates, subject.birth_date, subject.id_numbers
        ):
            score = min(score, NAME_ONLY_CEILING)
            qualifiers += ("NO_QUALIFIER",)
        band = thresholds.band(score)
        if band is None:
            return None
        return Match(s, e, score, band, reasons + qualifiers, text, entry_forms.text)
