"""The row rules behind quarantine, named like expectations so the report can count them.

Cleaning (``transforms.cleaning``) and the readers send a row to quarantine with one reason per
broken rule. Each reason is classified here into a stable rule id (``决定日期.valid_date``,
``row.field_count`` …), so that an auditor sees, per source, which rule caught how many rows, with
examples that name the file and row.
"""

import re

import polars as pl

from quality.checks import Outcome

_RULES: list[tuple[str, str, str]] = [
    (r"^(?P<f>[^:]+): empty \(required\)$", "{f}.required", "a required field is empty"),
    (r"^(?P<f>[^:]+): '.*' is not a known value", "{f}.known_value", "a code outside its vocabulary"),
    (r"^(?P<f>[^:]+): '.*' is not a valid date and time$", "{f}.valid_datetime", "an impossible date and time"),
    (r"^(?P<f>[^:]+): '.*' is not a valid date$", "{f}.valid_date", "an impossible date"),
    (r"^(?P<f>[^:]+): '.*' is not a valid year and month$", "{f}.valid_year_month", "an impossible year and month"),
    (r"^(?P<f>[^:]+): '.*' is not an amount$", "{f}.valid_amount", "an amount that cannot be read"),
    (r"^(?P<f>[^:]+): '.*' is not a (whole )?number$", "{f}.valid_number", "a number that cannot be read"),
    (r"^(?P<f>[^:]+): '.*' is not a share", "{f}.valid_share", "a share that cannot be read"),
    (r"^(?P<f>[^:]+): '.*' is not a yes/no value$", "{f}.valid_bool", "a yes/no field that cannot be read"),
    (r"^(?P<f>[^:]+): '.*' is not an ID number", "{f}.valid_id_number", "an ID number of the wrong length or form"),
    (r"^(?P<f>[^:]+): cannot tell the", "{f}.has_period", "no year or month to file the row under"),
    (r"^(?P<f>[^:]+): '.*' is held by rows naming different people", "{f}.one_person", "two people under one key: none of their rows is used"),
    (r"^no person key", "person_key.present", "no 公民身份号码 and no 人员编号: the row names nobody"),
    (r"^row has \d+ fields, the header has \d+$", "row.field_count", "a ragged CSV row (fields missing or extra)"),
    (r"^not valid JSON", "row.valid_json", "a JSON line that does not parse"),
    (r"^not a JSON object", "row.json_object", "a JSON line that is not an object"),
]  # fmt: skip


def classify(reason: str) -> tuple[str, str]:
    """The rule id and its description for one quarantine reason."""
    for pattern, rule, why in _RULES:
        match = re.match(pattern, reason)
        if match:
            return rule.format(**match.groupdict()), why
    return "other", "a reason no rule id is known for (see the reason text)"


def with_rules(quarantine: pl.DataFrame) -> pl.DataFrame:
    """One row per (quarantined row, reason): ``_source_file``, ``_source_row``, ``reason``,
    ``rule`` and ``why`` (each distinct reason classified once)."""
    # frame.explode, not an explode inside select: there the other columns do not follow and a
    # row with two reasons raised ShapeError (the Polars 2 pitfall in DESIGN.md).
    exploded = (
        quarantine.select("_source_file", "_source_row", pl.col("reasons").alias("reason"))
        .explode("reason")
        .drop_nulls("reason")
    )
    distinct = exploded["reason"].unique().to_list()
    rules = pl.DataFrame(
        [(r, *classify(r)) for r in distinct],
        schema={"reason": pl.String, "rule": pl.String, "why": pl.String},
        orient="row",
    )
    return exploded.join(rules, on="reason", how="left", maintain_order="left")


def quarantine_outcomes(
    table: str, quarantine: pl.DataFrame, rows_read: int, sample: int = 5
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
            pl.col("why").first(),
            pl.format("{} row {}: {}", "file", "_source_row", pl.col("reason").str.slice(0, 160))
            .head(sample)
            .alias("sample"),
        )
        .sort("rule")
    )
    return [
        Outcome(
            rule, table, "row rule", "QUARANTINE", False, rows_read, failed, list(examples),
            partitions=dict(per_file.filter(pl.col("rule") == rule).select("file", "len").iter_rows()),
            why=why, detail="cleaning rule: the row is kept in quarantine with its raw values",
        )
        for rule, failed, why, examples in by_rule.iter_rows()
    ]  # fmt: skip
