"""The row rules behind quarantine, counted like expectations so the report can show them.

Cleaning (``transforms.cleaning``) and the readers quarantine a row with one structured reason per
broken rule, ``{rule, field, value, message}``; the rule id (``决定日期.valid_date``,
``row.field_count`` …) is what an auditor counts, per source, with examples naming file and row.
Here each rule only gets the sentence that says what it guards.
"""

import polars as pl

from quality.checks import SAMPLE_ROWS, Outcome

WHY = {
    "required": "a required field is empty",
    "known_value": "a code outside its vocabulary",
    "valid_datetime": "an impossible date and time",
    "valid_date": "an impossible date",
    "valid_year_month": "an impossible year and month",
    "valid_amount": "an amount that cannot be read",
    "valid_number": "a number that cannot be read",
    "valid_share": "a share that cannot be read",
    "valid_bool": "a yes/no field that cannot be read",
    "valid_id_number": "an ID number of the wrong length or form",
    "valid_code": "a code that is still not one after normalisation (the reason shows the character)",
    "plausible_date": "a date before 1949-10-01 or after the run's as-of date (a typo: 2099)",
    "exact_duplicate": "a row repeating an earlier one field for field: the first landed",
    "has_period": "no year or month to file the row under",
    "one_person": "two people under one key: none of their rows is used",
    "present": "no 公民身份号码 and no 人员编号: the row names nobody",
    "field_count": "a ragged CSV row (fields missing or extra)",
    "valid_json": "a JSON line that does not parse",
    "json_object": "a JSON line that is not an object",
}

WARN_RULES = frozenset({"row.exact_duplicate"})
"""Row rules reported as WARN: the record itself landed (its first copy), nothing is missing."""
"""What each kind of row rule guards, by the last part of its id."""


def why(rule: str) -> str:
    """The sentence for a rule id."""
    return WHY.get(rule.rsplit(".", 1)[-1], "a rule of the cleaning step (see the reason text)")


def with_rules(quarantine: pl.DataFrame) -> pl.DataFrame:
    """One row per (quarantined row, reason): ``_source_file``, ``_source_row``, ``rule``,
    ``field``, ``value`` and ``message``."""
    return (
        quarantine.select("_source_file", "_source_row", pl.col("reasons").alias("reason"))
        .explode("reason")
        .drop_nulls("reason")
        .unnest("reason")
    )


def quarantine_outcomes(
    table: str, quarantine: pl.DataFrame, rows_read: int, sample: int = SAMPLE_ROWS
) -> list[Outcome]:
    """One outcome per row rule that sent rows of ``table`` to quarantine.

    ``quarantine`` is a ``quarantine/<source>`` frame (``reasons``, ``_source_file``,
    ``_source_row``).
    """
    ruled = with_rules(quarantine).with_columns(
        pl.col("_source_file").str.split("/").list.last().alias("file")
    )
    per_file = ruled.group_by("rule", "file").len().sort("rule", "file")
    by_rule = (
        ruled.group_by("rule", maintain_order=True)
        .agg(
            pl.len().alias("failed"),
            pl.format("{} row {}: {}", "file", "_source_row", pl.col("message").str.slice(0, 160))
            .head(sample)
            .alias("sample"),
            pl.struct(
                pl.col("file").cast(pl.String),
                pl.col("_source_row").cast(pl.String).alias("row"),
                pl.col("message").str.slice(0, 160).alias("value"),
            )
            .head(sample)
            .alias("rows"),
        )
        .sort("rule")
    )
    return [
        Outcome(
            rule, table, "row rule", "WARN" if rule in WARN_RULES else "QUARANTINE", False,
            rows_read, failed, list(examples),
            partitions=dict(per_file.filter(pl.col("rule") == rule).select("file", "len").iter_rows()),
            why=why(rule), detail="cleaning rule: the row is kept in quarantine with its raw values",
            rows=[{"file": r["file"] or "", "row": r["row"] or "", "field": "", "value": r["value"] or ""}
                  for r in rows],
        )
        for rule, failed, examples, rows in by_rule.iter_rows()
    ]  # fmt: skip


def reader_outcomes(
    table: str,
    text_counts: dict[str, dict[str, int]],
    skipped_files: dict[str, str],
    rows_read: int,
) -> list[Outcome]:
    """What the readers changed or left out, for the report: values whose invisible characters
    were removed (WARN) or whose digits and compatibility forms were made standard (INFO), per
    field — counts, never values — and files the glob matched that are no export (WARN)."""
    out = []
    for kind, check, severity, why in (
        ("invisible", "text.invisible_removed", "WARN",
         "zero-width, BOM, bidi or control characters removed at the reader (李\u200b勇 is 李勇)"),
        ("folded", "text.digits_folded", "INFO",
         "full-width or other-script digits and compatibility forms made standard (NFKC) in codes"),
    ):  # fmt: skip
        per_field = {f: n[kind] for f, n in text_counts.items() if n.get(kind)}
        if per_field:
            out.append(
                Outcome(check, table, "row rule", severity, False, rows_read, sum(per_field.values()),
                        [f"{f}: {n:,} value(s)" for f, n in per_field.items()], per_field, why,
                        "reader boundary normalisation: the rows landed, the counts are by field")
            )  # fmt: skip
    if skipped_files:
        out.append(
            Outcome("file.not_an_export", table, "row rule", "WARN", False, len(skipped_files),
                    len(skipped_files), [f"{f}: {why}" for f, why in skipped_files.items()],
                    dict.fromkeys(skipped_files, 1), "files the glob matched that are no export "
                    "(Office lock files ~$…, hidden files): skipped, not read",
                    "the source's glob in sources.yaml")
        )  # fmt: skip
    return out
