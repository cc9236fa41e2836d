"""Person names in Chinese free text, for the de-identifier (:mod:`transforms.deid`).

Four recognisers, each returning spans: a name after a cue word of the rule file
(:func:`cue_names`) and before one (:func:`names_before`); names jieba segments and tags as person
names (:func:`segmenter_names`, through the tag table — ``posseg`` was 7× slower, measured);
names listed after a found one with ``、``/``和``/``与`` (:func:`listed_names`); and minority names
written with a dot (:func:`minority_name`). jieba is imported on first use (0.6 s, then 1 s and
~100 MB for its dictionary, cached in the temp folder).
"""

import logging
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from transforms.recognisers import Span, Token

if TYPE_CHECKING:
    from transforms.deid import DeidRules

PLACE_SUFFIX = ("县", "镇", "村", "区", "市", "乡", "社区", "街道", "局", "委", "办")
"""Words that end a place, never a name."""

_NAME_TAGS = ("nr", "nrt", "nrfg", "OOV")


_CLAUSE = set('，,。；;：:、（(“" \n')


MINORITY = re.compile(r"[\u4e00-\u9fff]{2,6}[·•・‧.．][\u4e00-\u9fff]{2,8}")


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


def _surname(text: str, at: int, rules: "DeidRules", rare: bool = False) -> int:
    """The length of the surname starting at ``at`` (0 when none does); with ``rare``, any
    surname of the full table (``surnames_rare``: 竺, 忻, 仉 …; 第五, 百里 …)."""
    pair = text[at : at + 2]
    if pair in rules.compound_set():
        return 2
    if at < len(text) and text[at] in rules.surnames:
        return 1
    if rare and pair in rules.compound_set(rare=True):
        return 2
    return 1 if rare and at < len(text) and text[at] in rules.rare_surnames else 0


def _rare(name: str, surname: int, rules: "DeidRules") -> bool:
    """Whether ``name`` starts with a surname outside the common list."""
    return name[:surname] not in rules.surnames and name[:surname] not in rules.compound_surnames


def _given_common(name: str, surname: int, rules: "DeidRules") -> bool:
    """A rare surname is trusted only before a given name of common given-name characters
    (有 and 都 are surnames too: 有关, 都是 are no names)."""
    return all(c in rules.given_chars for c in name[surname:])


def _plausible(name: str, rules: "DeidRules") -> bool:
    return (
        2 <= len(name) <= 4
        and _cjk(name)
        and name[1] != "某"
        and name not in rules.not_names
        and not name.endswith(PLACE_SUFFIX)
        and not any(c in rules.name_stop for c in name[1:])
    )


def _name_at(text: str, at: int, rules: "DeidRules", words: Mapping[int, Token]) -> int:
    """The end of a person's name starting at ``at``, or ``at`` when none starts there: after a
    cue word, so a surname of the full table counts (:func:`_given_common` guards it)."""
    surname = _surname(text, at, rules, rare=True)
    if not surname:
        return at
    end = _common_name_at(text, at, surname, rules, words)
    if end > at and _rare(text[at:end], surname, rules):
        return end if _given_common(text[at:end], surname, rules) else at
    return end


def _common_name_at(
    text: str, at: int, surname: int, rules: "DeidRules", words: Mapping[int, Token]
) -> int:
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
    text: str, rules: "DeidRules", words: Mapping[int, Token], reporters_only: bool = False
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


def names_before(text: str, rules: "DeidRules") -> list[Span]:
    """A name right before a cue word that follows names (``：孔繁荣反映``, ``王强等人``), when it
    starts the clause or follows a boundary character."""
    out = []
    for m in rules.after_pattern().finditer(text):
        for size in (3, 2, 4):
            start = m.start() - size
            if start < 0 or not (start == 0 or text[start - 1] in _CLAUSE):
                continue
            name = text[start : m.start()]
            surname = _surname(name, 0, rules, rare=True)
            if (
                surname
                and _plausible(name, rules)
                and (not _rare(name, surname, rules) or _given_common(name, surname, rules))
            ):
                out.append(Span(start, m.start(), "person", name))
                break
    return out


def segmenter_names(text: str, tokens: Sequence[Token], rules: "DeidRules") -> list[Span]:
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
    out += rare_names(text, tokens, rules)
    for m in MINORITY.finditer(text):
        if (span := minority_name(text, m, rules)) is not None:
            out.append(span)
    return out


def nicknames(text: str, rules: "DeidRules") -> list[Span]:
    """``老王``, ``小李``: 老/小 and a common surname, when neither the pair (小时, 老师 — in the
    rule file's ``not_name``), the three characters from it (老师傅, 小金库) nor 老/小 with the
    character before (养老, 缩小) is a word of jieba's dictionary."""
    if "老" not in text and "小" not in text:
        return []
    tokenizer, _ = _jieba()
    words = tokenizer.FREQ
    out = []
    for m in _NICK.finditer(text):
        start, pair = m.start(), m.group()
        if pair[1] not in rules.surnames or pair in rules.not_names:
            continue
        if words.get(text[start : start + 3]) or (start and words.get(text[start - 1 : start + 1])):
            continue
        out.append(Span(start, start + 2, "person", pair))
    return out


_NICK = re.compile(r"[老小](?=[\u4e00-\u9fff])[\u4e00-\u9fff]")


_RARE_TAGS = frozenset({"nr", "nrfg", "nrt", "zg", "g", "OOV"})
"""Tags jieba gives a rare surname standing alone (竺 nr, 忻 zg, 厍 g); 有 (v), 和 (c), 都 (d)
are words first."""


def rare_names(text: str, tokens: Sequence[Token], rules: "DeidRules") -> list[Span]:
    """Names with a surname outside the common list and no cue (``委托竺建平搭建``): the surname
    alone as a word jieba tags a name or does not know, or the start of a new word the HMM
    found (``郗文斌``, ``訾雪梅家``), then one or two common given-name characters."""
    out = []
    for i, tok in enumerate(tokens):
        start, word = tok.start, tok.word
        if tok.tag == "OOV" and len(word) >= 3 and word[0] in rules.name_stop:
            start, word = start + 1, word[1:]  # 系 + 钭晓红: a copula glued on
        head = word[:1]
        if head not in rules.rare_surnames or tok.tag not in _RARE_TAGS | {"ns"}:
            continue
        if len(word) == 1 and i + 1 < len(tokens):
            after = tokens[i + 1]
            given = after.word if len(after.word) <= 2 else ""
            if after.tag == "OOV" and len(after.word) > 2:
                given = after.word[:2]  # 厍 + 永红家: the HMM glued the next word on
            if tok.tag == "ns" and len(given) < 2:
                continue  # 濮 (ns) + 明亮: a place character is a surname before a full given name only
        elif tok.tag == "OOV" and len(word) >= 2:
            given = word[1:3]
        else:
            continue
        size = len(given) if given and all(c in rules.given_chars for c in given) else 0
        name = head + given[:size]
        if size and _plausible(name, rules):
            out.append(Span(start, start + len(name), "person", name))
    return out


def _third(text: str, start: int, end: int, rules: "DeidRules") -> int:
    """``end``, or one character further when a two-character name word is cut short: jieba's
    dictionary tags 常青 and 龙凤 as names, but 常青松 and 龙凤英 are the people. The next
    character must be a given-name character and end the clause (punctuation or a name-ending
    character after it)."""
    if end - start != 2 or end >= len(text) or text[end] not in rules.given_chars:
        return end
    after = text[end + 1 : end + 2]
    return end + 1 if not after or not _cjk(after) or after in rules.name_stop else end


def _given_word(given: Token, rules: "DeidRules") -> bool:
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


def _given_like(word: str, rules: "DeidRules") -> bool:
    """A new word the HMM found looks like a name: its given name is of common name characters
    (易涝, 封控 and 银企 are new words too, and start with surnames)."""
    given = word[_surname(word, 0, rules) or 1 :]
    if len(word) == 2:
        return given in rules.given_chars
    return any(c in rules.given_chars for c in given)


def listed_names(
    text: str, names: Sequence[Span], rules: "DeidRules", words: Mapping[int, Token]
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


def minority_name(text: str, m: "re.Match[str]", rules: "DeidRules") -> Span | None:
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
