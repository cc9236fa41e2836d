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
plus person names here:

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
``warehouse/rules/deid_rules.csv``, loaded by ``warehouse.rules.load_deid_rules``. jieba is
imported on first use (0.6 s, then 1 s to load its dictionary and ~100 MB; it keeps a cache of its
prefix dictionary in the temp folder); nothing here reads or writes the warehouse.
"""

import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from transforms import recognisers as rec
from transforms.recognisers import Span, Token

KINDS = ("person", "phone", "id_number", "bank_card", "plate", "email", "im", "uscc", "address", "unit", "date")  # fmt: skip
"""Every kind the de-identifier removes or generalises, in the order counts are listed."""
LABELS = {
    "reporter": "举报人", "person": "姓名", "phone": "电话", "id_number": "身份证号", "bank_card": "银行卡号",
    "plate": "车牌号", "email": "电子邮箱", "im": "QQ/微信号", "uscc": "统一社会信用代码", "address": "地址",
    "unit": "单位名称", "date": "具体日期",
}  # fmt: skip
"""The Chinese name of each kind, as counts are shown to auditors."""
TOKEN_KINDS = ("phone", "id_number", "bank_card", "plate", "email", "im", "uscc", "address")
"""Kinds replaced by a fixed token (the others are generalised: 姓+某, 某村, 某县发改局, the year)."""
_PRIORITY = {kind: n for n, kind in enumerate(("id_number", "bank_card", "uscc", "email", "im", "phone", "plate", "unit", "address", "person", "date"))}  # fmt: skip
_GUESSES = ("person", "address")  # kinds that never overlap a must-keep term
_PLACE_SUFFIX = ("县", "镇", "村", "区", "市", "乡", "社区", "街道", "局", "委", "办")
_MINORITY = re.compile(r"[\u4e00-\u9fff]{2,6}[·•・‧.．][\u4e00-\u9fff]{2,8}")
_BRANCH = "甲乙丙丁戊己庚辛壬癸"
_NAME_TAGS = ("nr", "nrt", "nrfg", "OOV")
_CLAUSE = set('，,。；;：:、（(“" \n')


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
    _compiled: dict[str, Any] = field(default_factory=dict, repr=False)

    def fingerprint(self) -> str:
        """The rules as one stable text (for the ingest's reuse check): sets sorted."""
        parts = [sorted(self.tokens.items()), sorted(self.petition_tokens.items()), self.reporter_cues,
                 self.person_cues, self.person_after, sorted(self.surnames), self.compound_surnames, sorted(self.given_chars), sorted(self.name_stop),
                 sorted(self.not_names), self.not_places, self.must_keep, self.reporter_min_length]  # fmt: skip
        return repr(parts)

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
    if _MINORITY.fullmatch(name):
        return f"{name[0]}某"
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


@cache
def _jieba() -> tuple[Any, Mapping[str, str]]:
    """jieba's tokenizer and its dictionary's part-of-speech table, loaded once."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.initialize()
    return jieba.dt, jieba.posseg.dt.word_tag_tab


def segment(text: str) -> list[Token]:
    """``text`` as jieba's words, each with its dictionary tag (``OOV`` for a word the HMM found)."""
    tokenizer, tags = _jieba()
    return [Token(s, e, w, tags.get(w, "OOV")) for w, s, e in tokenizer.tokenize(text, HMM=True)]


def _cjk(word: str) -> bool:
    return bool(word) and all("\u4e00" <= c <= "\u9fff" for c in word)


def _surname(text: str, at: int, rules: DeidRules) -> int:
    """The length of the surname starting at ``at`` (0 when none does)."""
    if any(text.startswith(s, at) for s in rules.compound_surnames):
        return 2
    return 1 if at < len(text) and text[at] in rules.surnames else 0


def _plausible(name: str, rules: DeidRules) -> bool:
    return (
        2 <= len(name) <= 4
        and _cjk(name)
        and name[1] != "某"
        and name not in rules.not_names
        and not name.endswith(_PLACE_SUFFIX)
        and not any(c in rules.name_stop for c in name[1:])
    )


def _name_at(text: str, at: int, rules: DeidRules, words: Mapping[int, Token]) -> int:
    """The end of a person's name starting at ``at``, or ``at`` when none starts there."""
    surname = _surname(text, at, rules)
    if not surname:
        return at
    word = words.get(at)
    if (  # the segmenter's word there, when it is tagged a name (武学 is a word, 武学文 a name)
        word is not None
        and word.tag in _NAME_TAGS
        and surname < len(word.word) <= surname + 2
        and _plausible(word.word, rules)
    ):
        return _third(text, at, word.end, rules)
    if word is not None and len(word.word) == surname:  # 周 + 建华: the given name is the next word
        given = words.get(word.end)
        if given is not None and len(given.word) <= 2 and _plausible(word.word + given.word, rules):
            return given.end
    end = at + surname
    while end < len(text) and end - at - surname < 2 and _cjk(text[end]):
        if text[end] in rules.name_stop:
            break
        end += 1
    if end - at - surname == 2 and rules.after_pattern().match(text, end - 1):
        end -= 1  # 杜建 + 家住, 上官燕 + 电话: the last character starts the next word
    return end if end > at + surname and _plausible(text[at:end], rules) else at


def cue_names(
    text: str, rules: DeidRules, words: Mapping[int, Token], reporters_only: bool = False
) -> list[Span]:
    """Names right after a cue word (``经办人王强``), and those listed after them (``、李四和王五``)."""
    out = []
    for m in rules.cue_pattern(reporters_only).finditer(text):
        at = m.end()
        while (end := _name_at(text, at, rules, words)) > at:
            out.append(Span(at, end, "person", text[at:end]))
            if end < len(text) and text[end] in "、和与及":
                at = end + 1
            else:
                break
    return out


def names_before(text: str, rules: DeidRules) -> list[Span]:
    """A name right before a cue word that follows names (``：孔繁荣反映``, ``王强等人``), when it
    starts the clause or follows a boundary character."""
    out = []
    for m in rules.after_pattern().finditer(text):
        for size in (3, 2, 4):
            start = m.start() - size
            if start < 0 or not (start == 0 or text[start - 1] in _CLAUSE):
                continue
            name = text[start : m.start()]
            if _surname(name, 0, rules) and _plausible(name, rules):
                out.append(Span(start, m.start(), "person", name))
                break
    return out


def segmenter_names(text: str, tokens: Sequence[Token], rules: DeidRules) -> list[Span]:
    """Words jieba tags as a person (``nr``) or found as new words, starting with a surname."""
    out = []
    for i, tok in enumerate(tokens):
        if tok.word.startswith(rules.compound_surnames):  # 欧阳明 + 辉: jieba cuts these short
            if (end := _name_at(text, tok.start, rules, {})) > tok.start + 2:
                out.append(Span(tok.start, end, "person", text[tok.start : end]))
            continue
        tagged = tok.tag in ("nr", "nrt", "nrfg") or (
            tok.tag == "OOV" and _given_like(tok.word, rules)
        )
        if tagged and _surname(tok.word, 0, rules) and _plausible(tok.word, rules):
            end = _third(text, tok.start, tok.end, rules)
            out.append(Span(tok.start, end, "person", text[tok.start : end]))
            continue
        start, surname = tok.start, tok.word
        if tok.tag == "OOV" and len(surname) == 2 and surname[0] in rules.name_stop:
            start, surname = start + 1, surname[1:]  # 由倪 + 红霞: a preposition glued on
        if len(surname) == _surname(surname, 0, rules) and i + 1 < len(tokens):
            given = tokens[i + 1]
            name = surname + given.word
            if _given_word(given, rules) and _plausible(name, rules):
                out.append(Span(start, given.end, "person", name))
    for m in _MINORITY.finditer(text):
        if (span := _minority(text, m, rules)) is not None:
            out.append(span)
    return out


def _third(text: str, start: int, end: int, rules: DeidRules) -> int:
    """``end``, or one character further when a two-character name word is cut short: jieba's
    dictionary tags 常青 and 龙凤 as names, but 常青松 and 龙凤英 are the people. The next
    character must be a given-name character and end the clause (punctuation or a name-ending
    character after it)."""
    if end - start != 2 or end >= len(text) or text[end] not in rules.given_chars:
        return end
    after = text[end + 1 : end + 2]
    return end + 1 if not after or not _cjk(after) or after in rules.name_stop else end


def _given_word(given: Token, rules: DeidRules) -> bool:
    """A word that can be the given name after a lone surname: tagged a name, or two common
    given-name characters that the segmenter took for a noun or adjective (童 + 小兵, 甘 + 明亮)."""
    if len(given.word) > 2 or not _cjk(given.word):
        return False
    if given.tag in ("nr", "nz", "nrfg", "OOV"):
        return True
    return (
        len(given.word) == 2
        and given.tag in ("n", "a", "ns", "t")
        and all(c in rules.given_chars for c in given.word)
    )


def _given_like(word: str, rules: DeidRules) -> bool:
    """A new word the HMM found looks like a name: its given name is of common name characters
    (易涝, 封控 and 银企 are new words too, and start with surnames)."""
    given = word[_surname(word, 0, rules) or 1 :]
    if len(word) == 2:
        return given in rules.given_chars
    return any(c in rules.given_chars for c in given)


def listed_names(
    text: str, names: Sequence[Span], rules: DeidRules, words: Mapping[int, Token]
) -> list[Span]:
    """Names listed after a found one: ``张三、李四和王五``, also past a bracket (``张三（电话…）、李四``)."""
    out: list[Span] = []
    todo = [s.end for s in names]
    seen: set[int] = set()
    while todo:
        end = todo.pop()
        if end in seen or end >= len(text):
            continue
        seen.add(end)
        if text[end] in "（(" and (close := text.find("）" if text[end] == "（" else ")", end)) > 0:
            end = close + 1
        if end < len(text) and text[end] in "、和与及":
            at = end + 1
            if (stop := _name_at(text, at, rules, words)) > at:
                out.append(Span(at, stop, "person", text[at:stop]))
                todo.append(stop)
    return out


def _minority(text: str, m: "re.Match[str]", rules: DeidRules) -> Span | None:
    """A dotted minority name, cut where a name-ending character or a cue word bounds it."""
    dot = next(i for i in range(m.start(), m.end()) if not _cjk(text[i]))
    end = dot + 1
    while end < m.end() and text[end] not in rules.name_stop:
        end += 1
    start = dot
    while start > m.start() and text[start - 1] not in rules.name_stop:
        start -= 1
    cues = sorted((*rules.person_cues, *rules.reporter_cues), key=len, reverse=True)
    head = text[start:dot]
    start += next((len(c) for c in cues if head.startswith(c) and len(head) - len(c) >= 2), 0)
    if dot - start < 2 or end - dot < 3:
        return None
    return Span(start, end, "person", text[start:end])


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
        tokens = segment(text)
        words = {t.start: t for t in tokens}
        found: list[Span] = []
        if rec.has_long_number(norm):
            for numeric in (rec.id_numbers, rec.bank_cards, rec.credit_codes, rec.phones):
                found += numeric(text, norm)
        for other in (rec.emails, rec.im_ids, rec.plates, rec.exact_dates):
            found += other(text, norm)
        found += rec.addresses(text, norm, tokens, self.rules.not_places, self.rules.not_names)
        found += self.units.spans(text, "unit")
        people = cue_names(text, self.rules, words) + segmenter_names(text, tokens, self.rules)
        people += names_before(text, self.rules)
        people += self.names.spans(text, "person")
        found += people + listed_names(text, people, self.rules, words)
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
    for alias, names in groups.items():
        for n, name in enumerate(names):
            out[name] = (
                alias
                if len(names) == 1
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
