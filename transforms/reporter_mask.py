"""Reporter protection inside text (举报人保护): what a petition row may carry past extraction.

Clerks write the reporter into the free text (``举报人王建国反映…``, ``来电人（电话139-1234-5678）
称…``) and into other fields (``被反映人职务 = 副局长（举报人…电话139…）``). Before a petition row is
written or logged, :func:`mask_reporter_text` replaces the row's own reporter name, phone and ID
number wherever they occur and in any written form (``[举报人]``): a name with spaces inside
(``王 建国``), digits full-width, grouped or in Chinese numerals (``一三九…``, ``幺三九…``). In
the free-text fields it also masks every phone number (Chinese numerals too), ID number, e-mail,
bank number, WeChat/QQ id (with or without a label), IP address and the name that follows a
reporter cue (``举报人``/``来信人``/``来电人``/``反映人`` …). The recognisers are those of
:mod:`transforms.recognisers`; cue names are found without the word segmenter (the ingest stays
fast and jieba-free).

A field that names the record's subject (``被反映人姓名``, a field of kind ``name``) keeps a name
equal to the reporter's: the reporter and the accused may share a name, and the event must still
link. The row is then flagged (``同名``: a count in the counts column, never the value); the
reporter's phone and ID number, and the name everywhere else, are still masked.
:func:`mask_petitions` does it for a frame and adds a column counting what was masked, by kind:
never the values. It never raises on a row's content.

For a database source the row's own values are replaced inside the query (see
``warehouse.protection``), so they never reach memory; what arrives here carries ``[举报人]``
already, with the same-name flag computed in the query, and only the free-text pass runs.
"""

import re
from collections import Counter
from collections.abc import Sequence

import orjson
import polars as pl

from transforms import recognisers as rec
from transforms.deid import LABELS, DeidRules, resolve
from transforms.names import cue_names

PETITION_KINDS = ("reporter", "person", "phone", "id_number", "bank_card", "email", "im", "ip")
"""What is masked in a petition, in the order counts are listed."""
SAME_NAME = "same_name"
"""The count of fields naming the record's subject that hold the reporter's own name."""
COUNT_LABELS = {**LABELS, SAME_NAME: "举报人与被反映人同名"}
_NUMERIC = (rec.id_numbers, rec.bank_cards, rec.phones)
_OTHER = (rec.emails, rec.ip_addresses, rec.im_ids, rec.spoken_phones)
_DIGIT_FORMS = {
    "0": "0０零〇○洞", "1": "1１一幺壹", "2": "2２二两贰", "3": "3３三叁", "4": "4４四肆",
    "5": "5５五伍", "6": "6６六陆", "7": "7７七柒拐", "8": "8８八捌", "9": "9９九玖勾",
    "X": "XxＸｘ",
}  # fmt: skip
_GAP = r"[\s\-－—–.·]*"
_NAME_GAP = r"[ \t\u3000\u00a0·]*"


def own_values(reporter: Sequence[str | None], rules: DeidRules) -> list[str]:
    """The reporter values worth searching for: trimmed, at least ``reporter_min_length`` long,
    longest first (an ID number before a phone number it might contain)."""
    kept = {v.strip() for v in reporter if v and len(v.strip()) >= rules.reporter_min_length}
    return sorted(kept, key=lambda v: (-len(v), v))


def is_name(value: str) -> bool:
    """A reporter value with no digit in any script is the reporter's name."""
    return not any(c.isdigit() for c in rec.spoken_digits(value))


_CANONICAL = str.maketrans(
    {c: d for d, forms in _DIGIT_FORMS.items() for c in forms if c != d and d != "X"}
    | {"x": "X", "Ｘ": "X", "ｘ": "X"}
)
_SEPARATORS = re.compile(r"[\s\-－—–.·]")
_SPACES = (" ", "\t", "\u3000", "\u00a0", "·")


def _digits(value: str) -> str:
    """A number's characters as ASCII digits (and ``X``), separators dropped."""
    return _SEPARATORS.sub("", value.translate(_CANONICAL)).upper()


def own_pattern(value: str) -> "re.Pattern[str]":
    """``value`` in any written form, as a pattern over the text mapped by ``_CANONICAL`` (one
    character for one, so offsets hold): a number's digits with spaces, dashes or dots anywhere;
    a name with spaces inside. Built only when a cheap test says the value may be there (a
    pattern of character classes cost milliseconds to compile: per row, hours at scale)."""
    if not is_name(value):
        return re.compile(_GAP.join(re.escape(c) for c in _digits(value)))
    chars = [c for c in value if not c.isspace()]
    return re.compile(_NAME_GAP.join(re.escape(c) for c in chars))


def _find_own(text: str, value: str) -> list[tuple[int, int]]:
    """Where ``value`` is written in ``text``, in any form (see :func:`own_pattern`)."""
    if is_name(value):
        if value in text and not any(s in value for s in _SPACES):
            spans = []
            at = text.find(value)
            while at >= 0:
                spans.append((at, at + len(value)))
                at = text.find(value, at + len(value))
            if not any(s in text for s in _SPACES):
                return spans
        elif value[:1] not in text or not any(s in text for s in _SPACES):
            return []
        return [m.span() for m in own_pattern(value).finditer(text)]
    mapped = text.translate(_CANONICAL).upper()
    digits = _digits(value)
    if not digits or digits not in _SEPARATORS.sub("", mapped):
        return []
    return [m.span() for m in own_pattern(value).finditer(mapped)]


def _replace_own(text: str, values: Sequence[str], token: str, subject: bool) -> tuple[str, bool]:
    """``text`` with each own value replaced (in a subject field, names are kept), and whether
    a kept name was there."""
    kept = False
    for value in values:
        spans = _find_own(text, value)
        if subject and is_name(value):
            kept = kept or bool(spans)
            continue
        for start, end in reversed(spans):
            text = text[:start] + token + text[end:]
    return text, kept


def mask_reporter_text(
    text: str | None,
    reporter: Sequence[str | None],
    rules: DeidRules,
    free_text: bool = True,
    subject: bool = False,
) -> tuple[str | None, Counter[str]]:
    """``text`` without the row's own reporter values (in any written form) and, for a free-text
    field, without any phone, ID number, bank number, e-mail, WeChat/QQ id, IP address or name
    after a reporter cue; and what was masked. In a ``subject`` field (the accused's name) the
    reporter's name is kept and counted as ``same_name``."""
    counts: Counter[str] = Counter()
    if not text:
        return text, counts
    token = rules.petition_tokens["reporter"]
    text, same = _replace_own(text, own_values(reporter, rules), token, subject)
    counts["reporter"] = text.count(token)
    counts[SAME_NAME] = int(same)
    if free_text:
        text, found = _mask_free_text(text, rules)
        counts.update(found)
    return text, +counts


def _mask_free_text(text: str, rules: DeidRules) -> tuple[str, Counter[str]]:
    norm = rec.wide(text)
    spans: list[rec.Span] = []
    if rec.has_long_number(norm):
        for numeric in _NUMERIC:
            spans += numeric(text, norm)
    for other in _OTHER:
        spans += other(text, norm)
    spans += [s for s in cue_names(text, rules, {}, reporters_only=True) if "[" not in s.value]
    token = rules.petition_tokens["reporter"]
    spans = [s for s in spans if token not in s.value]
    chosen = resolve(spans, [])
    pieces, at = [], 0
    for span in chosen:
        pieces += [text[at : span.start], rules.petition_tokens[span.kind]]
        at = span.end
    return "".join([*pieces, text[at:]]), Counter(s.kind for s in chosen)


_FULL_DIGIT = re.compile("[０-９]")


def _mask_odd_forms(text: str, rules: DeidRules) -> tuple[str, Counter[str]]:
    """In a field that is not free text (被反映人职务, 被反映人单位): only numbers in forms no
    office writes its own number in — Chinese numerals, full-width digits. A unit's phone in
    ASCII digits stays; a reporter's phone dictated into the field goes."""
    norm = rec.wide(text)
    spans = list(rec.spoken_phones(text, norm))
    if _FULL_DIGIT.search(text) and rec.has_long_number(norm):
        for numeric in _NUMERIC:
            spans += [s for s in numeric(text, norm) if _FULL_DIGIT.search(s.value)]
    chosen = resolve(spans, [])
    pieces, at = [], 0
    for span in chosen:
        pieces += [text[at : span.start], rules.petition_tokens[span.kind]]
        at = span.end
    return "".join([*pieces, text[at:]]), Counter(s.kind for s in chosen)


def counts_json(counts: Counter[str]) -> str:
    """Counts as the bronze column holds them: ``[{"kind": "电话", "count": 2}, …]``."""
    return orjson.dumps(
        [
            {"kind": COUNT_LABELS[k], "count": counts[k]}
            for k in (*PETITION_KINDS, SAME_NAME)
            if counts[k]
        ]
    ).decode()


def _candidates(rules: DeidRules) -> str:
    """A regex any text that needs the free-text pass matches (a cheap filter first)."""
    cues = "|".join(re.escape(c) for c in rules.reporter_cues)
    return (
        rf"[0-9０-９][0-9０-９ \-－—.]{{5,}}[0-9０-９]|[@＠]|\(at\)|\[at\]|{cues}"
        rf"|[{rec.SPOKEN_NUMERALS}]{{3}}|[A-Za-zＡ-Ｚａ-ｚ][A-Za-z0-9_\-]{{5}}|[0-9A-Fa-f]*::|:[0-9A-Fa-f]{{1,4}}:"
    )


def mask_petitions(
    frame: pl.DataFrame,
    fields: Sequence[str],
    free_text: Sequence[str],
    counts_column: str,
    rules: DeidRules,
    reporter_columns: Sequence[str] = (),
    subject_fields: Sequence[str] = (),
    same_name_column: str | None = None,
    other_text: Sequence[str] = (),
) -> pl.DataFrame:
    """``frame`` with every field masked (see :func:`mask_reporter_text`), ``counts_column`` set
    to what was masked per row, and the ``reporter_columns`` dropped.

    ``reporter_columns`` hold the row's own reporter values (a file source); a database source
    passes none, its values having been replaced in the query, and may pass
    ``same_name_column`` (computed in the query: 1 when a subject field holds the reporter's
    name), which is counted and dropped. ``subject_fields`` name the record's subject: the
    reporter's name is kept there. ``other_text`` fields lose numbers written in Chinese
    numerals or full-width digits (:func:`_mask_odd_forms`).
    """
    fields = [f for f in fields if f in frame.columns and f != counts_column]
    subject = [f for f in subject_fields if f in fields]
    same = [0] * frame.height
    if same_name_column is not None and same_name_column in frame.columns:
        same = [int(v or 0) for v in frame.get_column(same_name_column).cast(pl.Int64).to_list()]
        frame = frame.drop(same_name_column)
    if reporter_columns:
        frame, flagged = _mask_own(frame, fields, reporter_columns, rules, subject)
        same = [a + b for a, b in zip(same, flagged, strict=True)]
    token = rules.petition_tokens["reporter"]
    free_text = [f for f in free_text if f in frame.columns]
    needs = pl.any_horizontal(
        pl.col(f).str.contains(_candidates(rules)).fill_null(False) for f in free_text
    )
    rows = frame.with_row_index("_at").filter(needs).select("_at", *free_text)
    masked: dict[str, list[str | None]] = {f: frame.get_column(f).to_list() for f in free_text}
    extra: dict[int, Counter[str]] = {}
    for row in rows.iter_rows(named=True):
        for f in free_text:
            if row[f]:
                text, found = _mask_free_text(row[f], rules)
                masked[f][row["_at"]] = text
                extra.setdefault(row["_at"], Counter()).update(found)
    odd = [f for f in other_text if f in frame.columns and f not in free_text and f not in subject]
    odd_needs = pl.any_horizontal(
        pl.col(f).str.contains(f"[{rec.SPOKEN_NUMERALS}]{{3}}|[０-９]").fill_null(False)
        for f in odd
    )
    if odd:
        for row in (
            frame.with_row_index("_at").filter(odd_needs).select("_at", *odd).iter_rows(named=True)
        ):
            for f in odd:
                if row[f]:
                    text, found = _mask_odd_forms(row[f], rules)
                    masked.setdefault(f, frame.get_column(f).to_list())[row["_at"]] = text
                    extra.setdefault(row["_at"], Counter()).update(found)
    own = frame.select(
        pl.sum_horizontal(
            pl.col(f).str.count_matches(token, literal=True).fill_null(0) for f in fields
        )
    ).to_series()
    counts = [
        counts_json(Counter({"reporter": n, SAME_NAME: same[i]}) + extra.get(i, Counter()))
        for i, n in enumerate(own.to_list())
    ]
    return frame.with_columns(
        *(pl.Series(f, values, dtype=pl.String) for f, values in masked.items()),
        pl.Series(counts_column, counts, dtype=pl.String),
    ).drop(reporter_columns)


def _mask_own(
    frame: pl.DataFrame,
    fields: Sequence[str],
    reporter_columns: Sequence[str],
    rules: DeidRules,
    subject: Sequence[str],
) -> tuple[pl.DataFrame, list[int]]:
    """Every field with the row's own reporter values replaced in any written form (rows
    without any are untouched), and per row whether a subject field holds the reporter's name."""
    has = pl.any_horizontal(
        pl.col(c).str.strip_chars().str.len_chars() >= rules.reporter_min_length
        for c in reporter_columns
    )
    rows = frame.with_row_index("_at").filter(has.fill_null(False))
    columns = {f: frame.get_column(f).to_list() for f in fields}
    token = rules.petition_tokens["reporter"]
    same = [0] * frame.height
    for row in rows.iter_rows(named=True):
        values = own_values([row[c] for c in reporter_columns], rules)
        for f in fields:
            text = row[f]
            if text and isinstance(text, str):
                text, kept = _replace_own(text, values, token, f in subject)
                columns[f][row["_at"]] = text
                same[row["_at"]] += kept
    return frame.with_columns(pl.Series(f, columns[f], dtype=frame.schema[f]) for f in fields), same
