"""Reporter protection inside text (举报人保护): what a petition row may carry past extraction.

Clerks write the reporter into the free text (``举报人王建国反映…``, ``来电人（电话139-1234-5678）
称…``). Before a petition row is written or logged, :func:`mask_reporter_text` replaces the row's own
reporter name, phone and ID number wherever they occur (``[举报人]``), and in the free-text fields
masks every phone number, ID number, e-mail and bank number in any written form and the name that
follows a reporter cue (``举报人``/``来信人``/``来电人``/``反映人`` …). The recognisers are those of
:mod:`transforms.recognisers`; cue names are found without the word segmenter (the ingest stays
fast and jieba-free). :func:`mask_petitions` does it for a frame and adds a column counting what
was masked, by kind: never the values.

For a database source the row's own values are replaced inside the query (see
``warehouse.readers``), so they never reach memory; what arrives here carries ``[举报人]`` already
and only the free-text pass runs.
"""

import re
from collections import Counter
from collections.abc import Sequence

import orjson
import polars as pl

from transforms import recognisers as rec
from transforms.deid import LABELS, DeidRules, resolve
from transforms.names import cue_names

PETITION_KINDS = ("reporter", "person", "phone", "id_number", "bank_card", "email")
"""What is masked in a petition, in the order counts are listed."""
_NUMERIC = (rec.id_numbers, rec.bank_cards, rec.phones)


def own_values(reporter: Sequence[str | None], rules: DeidRules) -> list[str]:
    """The reporter values worth searching for: trimmed, at least ``reporter_min_length`` long,
    longest first (an ID number before a phone number it might contain)."""
    kept = {v.strip() for v in reporter if v and len(v.strip()) >= rules.reporter_min_length}
    return sorted(kept, key=lambda v: (-len(v), v))


def mask_reporter_text(
    text: str | None, reporter: Sequence[str | None], rules: DeidRules, free_text: bool = True
) -> tuple[str | None, Counter[str]]:
    """``text`` without the row's own reporter values and, for a free-text field, without any
    phone, ID number, bank number, e-mail or name after a reporter cue; and what was masked."""
    counts: Counter[str] = Counter()
    if not text:
        return text, counts
    token = rules.petition_tokens["reporter"]
    for value in own_values(reporter, rules):
        if value in text:
            text = text.replace(value, token)
    counts["reporter"] = text.count(token)
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
    spans += rec.emails(text, norm)
    spans += [s for s in cue_names(text, rules, {}, reporters_only=True) if "[" not in s.value]
    chosen = resolve(spans, [])
    pieces, at = [], 0
    for span in chosen:
        pieces += [text[at : span.start], rules.petition_tokens[span.kind]]
        at = span.end
    return "".join([*pieces, text[at:]]), Counter(s.kind for s in chosen)


def counts_json(counts: Counter[str]) -> str:
    """Counts as the bronze column holds them: ``[{"kind": "电话", "count": 2}, …]``."""
    return orjson.dumps(
        [{"kind": LABELS[k], "count": counts[k]} for k in PETITION_KINDS if counts[k]]
    ).decode()


def _candidates(rules: DeidRules) -> str:
    """A regex any text that needs the free-text pass matches (a cheap filter first)."""
    cues = "|".join(re.escape(c) for c in rules.reporter_cues)
    return rf"[0-9０-９][0-9０-９ \-－—.]{{5,}}[0-9０-９]|[@＠]|\(at\)|\[at\]|{cues}"


def mask_petitions(
    frame: pl.DataFrame,
    fields: Sequence[str],
    free_text: Sequence[str],
    counts_column: str,
    rules: DeidRules,
    reporter_columns: Sequence[str] = (),
) -> pl.DataFrame:
    """``frame`` with every field masked (see :func:`mask_reporter_text`), ``counts_column`` set
    to what was masked per row, and the ``reporter_columns`` dropped.

    ``reporter_columns`` hold the row's own reporter values (a file source); a database source
    passes none, its values having been replaced in the query.
    """
    fields = [f for f in fields if f in frame.columns and f != counts_column]
    if reporter_columns:
        frame = _mask_own(frame, fields, reporter_columns, rules)
    token = rules.petition_tokens["reporter"]
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
    own = frame.select(
        pl.sum_horizontal(
            pl.col(f).str.count_matches(token, literal=True).fill_null(0) for f in fields
        )
    ).to_series()
    counts = [
        counts_json(Counter({"reporter": n}) + extra[i]) if n or i in extra else "[]"
        for i, n in enumerate(own.to_list())
    ]
    return frame.with_columns(
        *(pl.Series(f, masked[f], dtype=pl.String) for f in free_text),
        pl.Series(counts_column, counts, dtype=pl.String),
    ).drop(reporter_columns)


def _mask_own(
    frame: pl.DataFrame,
    fields: Sequence[str],
    reporter_columns: Sequence[str],
    rules: DeidRules,
) -> pl.DataFrame:
    """Every field with the row's own reporter values replaced (rows without any are untouched)."""
    has = pl.any_horizontal(
        pl.col(c).str.strip_chars().str.len_chars() >= rules.reporter_min_length
        for c in reporter_columns
    )
    rows = frame.with_row_index("_at").filter(has.fill_null(False))
    columns = {f: frame.get_column(f).to_list() for f in fields}
    token = rules.petition_tokens["reporter"]
    for row in rows.iter_rows(named=True):
        values = own_values([row[c] for c in reporter_columns], rules)
        for f in fields:
            text = row[f]
            if text:
                for value in values:
                    text = text.replace(value, token)
                columns[f][row["_at"]] = text
    return frame.with_columns(pl.Series(f, columns[f], dtype=frame.schema[f]) for f in fields)
