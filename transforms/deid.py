"""De-identification of Chinese free text (去标识化), to the standard courts use for judgments online.

The reference is 法释〔2016〕19号 (最高人民法院关于人民法院在互联网公布裁判文书的规定), arts. 8–10:
people's names become 姓+某 (a compound surname stays whole, ``欧阳某``; a minority name keeps its
first character, ``阿某``); two people of one case who would both be ``张某`` become ``张某甲`` and
``张某乙``, the same in every field of the case; contact details, ID numbers, bank accounts,
licence plates and home addresses are removed (replaced by ``×××``); villages and communities
become ``某村``/``某社区`` and towns and counties ``某镇``/``某县`` (the level stays); a roster unit
keeps its kind and level (``某县发改局``); an exact date keeps its year. What must stay — the six
elements, policy terms, unit kinds, amounts, years — is listed in the rule file and is never
touched by a name or place guess (over-redaction is a failure too).

One recogniser per kind, each in :mod:`transforms.recognisers` (what each relies on is said there),
plus person names (:mod:`transforms.names`):

- roster names (every name of ``silver/cadre``, and the case's own) found by a set lookup per
  position and length (:class:`Lexicon`);
- a name right after a cue word of the rule file (``经办人``/``证人``/``负责人``/``村民`` …, and the
  reporter cues), and the names listed after it with ``、``/``和``/``与``: a surname of the rule
  file's list, then the word jieba segmented there or, failing that, up to two characters that are
  not in the rule file's name-ending characters;
- names found by jieba: words tagged ``nr`` in jieba's dictionary (the tag table ``jieba.posseg``
  loads) or new words its HMM found, that start with a surname; a lone surname followed by a word
  tagged ``nr``/``nz`` is joined to it. jieba's own ``posseg`` tagger finds the same tags but
  ran at 20,000 characters/s on this machine against 150,000 for ``jieba.tokenize`` with the tag
  table (measured), so the tag table is looked up directly;
- minority names written with a dot (``阿依古丽·买买提``).

Rules (cues, surnames, tokens, must-keep terms, words that are never names) are data:
``warehouse/rules/deid_rules.csv``, loaded by ``warehouse.deid_rules.load_deid_rules``. jieba is
imported on first use (0.6 s, then 1 s to load its dictionary and ~100 MB; it keeps a cache of its
prefix dictionary in the temp folder); nothing here reads or writes the warehouse.
"""

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from transforms import names
from transforms import recognisers as rec
from transforms.recognisers import Span

KINDS = ("person", "phone", "id_number", "bank_card", "plate", "email", "im", "ip", "uscc", "address", "unit", "date")  # fmt: skip
"""Every kind the de-identifier removes or generalises, in the order counts are listed."""


LABELS = {
    "reporter": "举报人", "person": "姓名", "phone": "电话", "id_number": "身份证号", "bank_card": "银行卡号",
    "plate": "车牌号", "email": "电子邮箱", "im": "QQ/微信号", "ip": "IP地址", "uscc": "统一社会信用代码", "address": "地址",
    "unit": "单位名称", "date": "具体日期",
}  # fmt: skip
"""The Chinese name of each kind, as counts are shown to auditors."""


TOKEN_KINDS = ("phone", "id_number", "bank_card", "plate", "email", "im", "ip", "uscc", "address")
"""Kinds replaced by a fixed token (the others are generalised: 姓+某, 某村, 某县发改局, the year)."""


_PRIORITY = {kind: n for n, kind in enumerate(("id_number", "bank_card", "uscc", "email", "ip", "im", "phone", "plate", "unit", "address", "person", "date"))}  # fmt: skip


_GUESSES = ("person", "address")  # kinds that never overlap a must-keep term


_BRANCH = "甲乙丙丁戊己庚辛壬癸"


@dataclass(frozen=True, eq=False)
class DeidRules:
    """What to remove and what to keep (``deid_rules.csv``)."""

    tokens: Mapping[str, str]
    petition_tokens: Mapping[str, str]
    reporter_cues: tuple[str, ...]
    person_cues: tuple[str, ...]
    person_after: tuple[str, ...]
    surnames: frozenset[str]
    compound_surnames: tuple[str, ...]
    given_chars: frozenset[str]
    name_stop: frozenset[str]
    not_names: frozenset[str]
    not_places: tuple[str, ...]
    must_keep: tuple[str, ...]
    reporter_min_length: int = 2
    rare_surnames: frozenset[str] = frozenset()
    rare_compounds: tuple[str, ...] = ()
    _compiled: dict[str, Any] = field(default_factory=dict, repr=False)

    def fingerprint(self) -> str:
        """The rules as one stable text (for the ingest's reuse check): sets sorted."""
        parts = [sorted(self.tokens.items()), sorted(self.petition_tokens.items()), self.reporter_cues,
                 self.person_cues, self.person_after, sorted(self.surnames), self.compound_surnames, sorted(self.given_chars), sorted(self.name_stop),
                 sorted(self.not_names), self.not_places, self.must_keep, self.reporter_min_length,
                 sorted(self.rare_surnames), self.rare_compounds]  # fmt: skip
        return repr(parts)

    def compound_set(self, rare: bool = False) -> frozenset[str]:
        """The compound surnames (with ``rare``, those trusted only after a cue) as a set."""
        key = f"compounds{rare}"
        if key not in self._compiled:
            self._compiled[key] = frozenset(self.rare_compounds if rare else self.compound_surnames)
        found: frozenset[str] = self._compiled[key]
        return found

    def after_pattern(self) -> "re.Pattern[str]":
        """Any of the words that follow a name (``反映``, ``等人`` …), longest first."""
        if "after" not in self._compiled:
            words = sorted(set(self.person_after), key=len, reverse=True)
            self._compiled["after"] = re.compile("|".join(re.escape(w) for w in words))
        pattern: re.Pattern[str] = self._compiled["after"]
        return pattern

    def cue_pattern(self, reporters_only: bool = False) -> "re.Pattern[str]":
        """Any cue word (longest first), then optional ``：``/spaces: a name may start at the end."""
        key = f"cues{reporters_only}"
        if key not in self._compiled:
            cues = (
                self.reporter_cues if reporters_only else (*self.reporter_cues, *self.person_cues)
            )
            words = "|".join(re.escape(c) for c in sorted(set(cues), key=len, reverse=True))
            self._compiled[key] = re.compile(f"(?:{words})[:：]?\\s?")
        pattern: re.Pattern[str] = self._compiled[key]
        return pattern


def pseudonym(
    name: str | None, compound: Sequence[str] = ("欧阳", "司马", "诸葛", "上官")
) -> str | None:
    """``张伟`` → ``张某``; ``欧阳修`` → ``欧阳某``; ``阿依古丽·买买提`` → ``阿某`` (法释〔2016〕19号 art. 9)."""
    if not name:
        return name
    if names.MINORITY.fullmatch(name):
        return f"{name[0]}某"
    if len(name) == 2 and name[0] in "老小":  # 老王 → 王某
        return f"{name[1]}某"
    surname = next((s for s in compound if name.startswith(s)), name[0])
    return f"{surname}某"


_PLACE = re.compile(
    r"[\u4e00-\u9fff]{1,8}?(省|自治区|市|自治州|州|盟|县|自治县|旗|区|镇|乡|街道|村)"
)


def generic_unit(unit: str | None) -> str | None:
    """``安平县发改局`` → ``某县发改局``: place names become 某, the kind and level stay."""
    if not unit:
        return unit
    return _PLACE.sub(lambda m: f"某{m.group(1)}", unit)


@dataclass(frozen=True)
class Lexicon:
    """Words to find in a text (the roster's names, or its units) and the lengths they come in."""

    words: frozenset[str]
    lengths: tuple[int, ...]

    @classmethod
    def of(cls, words: Iterable[str | None]) -> "Lexicon":
        kept = frozenset(w for w in words if w and len(w) >= 2)
        return cls(kept, tuple(sorted({len(w) for w in kept})))

    def spans(self, text: str, kind: str) -> list[Span]:
        """Every occurrence of every word in ``text``: a set lookup per position and length that
        words have (a cap of 4 missed the roster's 7- and 8-character names; every length up to 30
        was most of the case library's time)."""
        return [
            Span(i, i + n, kind, text[i : i + n])
            for n in self.lengths
            for i in range(len(text) - n + 1)
            if text[i : i + n] in self.words
        ]


def kept_spans(text: str, rules: DeidRules) -> list[tuple[int, int]]:
    """Where the must-keep terms of the rules occur in ``text``."""
    out = []
    for term in rules.must_keep:
        at = text.find(term)
        while at >= 0:
            out.append((at, at + len(term)))
            at = text.find(term, at + 1)
    return out


def resolve(
    spans: Iterable[Span], keep: Sequence[tuple[int, int]], own: str | None = None
) -> list[Span]:
    """Non-overlapping spans, in text order: the case's own name first, then by kind (ID numbers
    before phones before names …), then the longer, then the earlier. A name or place guess that
    overlaps a must-keep term is dropped. The result does not depend on the order of ``spans``."""
    order = sorted(
        set(spans),
        key=lambda s: (s.value != own, _PRIORITY[s.kind], s.start - s.end, s.start, s.value),
    )
    taken: list[tuple[int, int]] = []
    chosen = []
    for span in order:
        if any(span.start < e and s < span.end for s, e in taken):
            continue
        if span.kind in _GUESSES and any(span.start < e and s < span.end for s, e in keep):
            continue
        taken.append((span.start, span.end))
        chosen.append(span)
    return sorted(chosen)


class Deidentifier:
    """The recognisers over one roster: :meth:`case` de-identifies the text fields of one case."""

    def __init__(
        self, rules: DeidRules, names: Iterable[str | None] = (), units: Iterable[str | None] = ()
    ):
        self.rules = rules
        self.names = Lexicon.of(names)
        self.units = Lexicon.of(units)
        self._found: dict[str, list[Span]] = {}

    def find(self, text: str) -> list[Span]:
        """Every candidate span of every recogniser (overlapping; see :func:`resolve`), memoised:
        the case library repeats many texts."""
        if text in self._found:
            return self._found[text]
        norm = rec.wide(text)
        tokens = names.segment(text)
        words = {t.start: t for t in tokens}
        found: list[Span] = []
        if rec.has_long_number(norm):
            for numeric in (rec.id_numbers, rec.bank_cards, rec.credit_codes, rec.phones):
                found += numeric(text, norm)
        for other in (
            rec.emails,
            rec.ip_addresses,
            rec.im_ids,
            rec.spoken_phones,
            rec.plates,
            rec.exact_dates,
        ):
            found += other(text, norm)
        found += rec.addresses(
            text, norm, tokens, self.rules.not_places, self.rules.not_names, self.rules.surnames
        )
        found += self.units.spans(text, "unit")
        people = names.cue_names(text, self.rules, words) + names.segmenter_names(
            text, tokens, self.rules
        )
        people += names.names_before(text, self.rules) + names.nicknames(text, self.rules)
        people += self.names.spans(text, "person")
        found += people + names.listed_names(text, people, self.rules, words)
        self._found[text] = found
        return found

    def case(
        self, texts: Sequence[str | None], own_name: str | None = None, own_unit: str | None = None
    ) -> "CaseText":
        """The ``texts`` of one case de-identified together: one pseudonym per person throughout."""
        chosen: list[list[Span]] = []
        for text in texts:
            if not text:
                chosen.append([])
                continue
            own = _all(text, own_name, "person") + _all(text, own_unit, "unit")
            keep = kept_spans(text, self.rules)
            chosen.append(resolve([*self.find(text), *own], keep, own_name))
        people = [own_name] if own_name else []
        people += [s.value for spans in chosen for s in spans if s.kind == "person"]
        names = pseudonyms(people, self.rules.compound_surnames)
        out = [
            _render(t, spans, names, self.rules) if t else t
            for t, spans in zip(texts, chosen, strict=True)
        ]
        counts = Counter(s.kind for spans in chosen for s in spans)
        return CaseText(out, names.get(own_name) if own_name else None, counts)


def _all(text: str, word: str | None, kind: str) -> list[Span]:
    """Every occurrence of ``word`` (the case's own name or unit) as a span of ``kind``."""
    if not word or len(word) < 2:
        return []
    found, at = [], text.find(word)
    while at >= 0:
        found.append(Span(at, at + len(word), kind, word))
        at = text.find(word, at + 1)
    return found


@dataclass(frozen=True)
class CaseText:
    """One case de-identified: its texts, the pseudonym of its own person, and what was removed."""

    texts: list[str | None]
    person: str | None
    removed: Counter[str]

    def removed_list(self) -> list[dict[str, object]]:
        """The counts by kind (Chinese label), in the order of :data:`KINDS`, kinds found only."""
        return [{"kind": LABELS[k], "count": self.removed[k]} for k in KINDS if self.removed[k]]


def pseudonyms(people: Sequence[str], compound: Sequence[str]) -> dict[str, str]:
    """姓+某 for each person, in order of first mention; when two people share one (``张伟`` and
    ``张强`` are both ``张某``) each gets 甲, 乙 … in that order (法释〔2016〕19号 art. 9)."""
    first: dict[str, str] = {}
    for name in people:
        first.setdefault(name, str(pseudonym(name, compound)))
    groups: dict[str, list[str]] = {}
    for name, alias in first.items():
        groups.setdefault(alias, []).append(name)
    out = {}
    for alias, same in groups.items():
        for n, name in enumerate(same):
            out[name] = (
                alias
                if len(same) == 1
                else alias + _BRANCH[n % len(_BRANCH)] + (str(n // 10) if n >= 10 else "")
            )
    return out


def _render(text: str, spans: Sequence[Span], names: Mapping[str, str], rules: DeidRules) -> str:
    pieces, at = [], 0
    for span in spans:
        pieces.append(text[at : span.start])
        pieces.append(_replacement(span, text[span.start : span.end], names, rules))
        at = span.end
    return "".join([*pieces, text[at:]])


def _replacement(span: Span, written: str, names: Mapping[str, str], rules: DeidRules) -> str:
    if span.kind == "person":
        return names[span.value]
    if span.kind == "unit":
        return str(generic_unit(written))
    if span.kind == "date":
        return f"{span.value}年"
    if span.kind == "address" and span.value in rec.SETTLEMENT + rec.LEVELS:
        return f"某{span.value}"
    return rules.tokens[span.kind]
