"""Rule files: versioned data (YAML, CSV) shipped in ``warehouse/rules/``, loaded and checked at start.

A deployment can point ``DAJIANDU_RULES`` (or the ``rules`` setting) at its own folder holding
files of the same names. A malformed file is a :class:`RuleError` naming the file and the line.
"""

import csv
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from transforms.deid import TOKEN_KINDS, DeidRules
from transforms.reporter_mask import PETITION_KINDS
from transforms.specs import PETITION_RESULT

DEFAULT_RULES = Path(__file__).parent / "rules"


class RuleError(Exception):
    """A rule file that cannot be used: names the file, the line and the problem."""


def _yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise RuleError(f"{path}: no such rule file")
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise RuleError(
            f"{path}{line}: not valid YAML: {getattr(error, 'problem', error)}"
        ) from error
    if not isinstance(loaded, dict):
        raise RuleError(f"{path}: expected a mapping at the top")
    return loaded


def _number(
    path: Path, data: dict[str, Any], key: str, low: float = 0.0, high: float = 1.0
) -> float:
    value = data.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise RuleError(f"{path}: {key} must be a number from {low} to {high}, found {value!r}")
    return float(value)


def _csv_rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.is_file():
        raise RuleError(f"{path}: no such rule file")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise RuleError(f"{path}, line 1: missing column(s) {', '.join(missing)}")
        rows = []
        for row in reader:
            empty = [c for c in columns if not (row.get(c) or "").strip()]
            if empty:
                raise RuleError(f"{path}, line {reader.line_num}: empty {', '.join(empty)}")
            rows.append({k: (v or "").strip() for k, v in row.items() if k})
        return rows


def load_linking_rules(folder: Path = DEFAULT_RULES) -> dict[str, Any]:
    """Read ``linking.yaml`` and ``unit_abbreviations.csv`` from ``folder``.

    Returns the fields of ``transforms.linking.LinkRules`` as a mapping.

    Raises:
        RuleError: a file is missing or malformed; the message names the file and line.
    """
    path = folder / "linking.yaml"
    data = _yaml(path)
    weights = data.get("weights") or {}
    similarity = data.get("unit_similarity") or {}
    for key in ("name", "unit", "post"):
        _number(path, weights, key)
    for key in ("same", "prefix_missing", "other_region", "different"):
        _number(path, similarity, key)
    if abs(sum(float(weights[k]) for k in ("name", "unit", "post")) - 1.0) > 1e-6:
        raise RuleError(f"{path}: weights name + unit + post must add up to 1")
    link_threshold = _number(path, data, "link_threshold")
    review_threshold = _number(path, data, "review_threshold")
    if review_threshold > link_threshold:
        raise RuleError(f"{path}: review_threshold must not exceed link_threshold")
    return dict(
        weights={k: float(weights[k]) for k in ("name", "unit", "post")},
        unit_similarity={
            k: float(similarity[k]) for k in ("same", "prefix_missing", "other_region", "different")
        },
        pinyin_name=_number(path, data, "pinyin_name"),
        link_threshold=link_threshold,
        review_threshold=review_threshold,
        margin=_number(path, data, "margin"),
        name_only_candidates=int(_number(path, data, "name_only_candidates", 0, 1000)),
        abbreviations={
            row["abbreviation"]: row["full_name"]
            for row in _csv_rows(folder / "unit_abbreviations.csv", ("abbreviation", "full_name"))
        },
    )


PERIOD_COLUMNS = (
    "rule_id", "category", "measure", "months", "plus_term", "source_document", "article", "confidence",
)  # fmt: skip


def load_influence_periods(folder: Path = DEFAULT_RULES) -> pl.DataFrame:
    """``influence_periods.csv``: one row per (处理类别, 处理措施, validity window) with its citation.

    Raises:
        RuleError: a missing column, an empty required cell, a bad number or date, a duplicate
            rule id, or two rows for the same measure whose windows overlap; names file and line.
    """
    path = folder / "influence_periods.csv"
    rows = _csv_rows(path, PERIOD_COLUMNS)
    out = []
    for line, row in enumerate(rows, start=2):
        try:
            months = int(row["months"])
            start = (
                date.fromisoformat(row["effective_from"]) if row.get("effective_from") else date.min
            )
            end = date.fromisoformat(row["effective_to"]) if row.get("effective_to") else date.max
        except ValueError as error:
            raise RuleError(f"{path}, line {line}: {error}") from error
        if months <= 0 or row["plus_term"] not in ("true", "false") or end < start:
            raise RuleError(
                f"{path}, line {line}: months must be positive, plus_term true/false, dates in order"
            )
        out.append({**{c: row[c] for c in PERIOD_COLUMNS}, "months": months, "plus_term": row["plus_term"] == "true",
                    "effective_from": start, "effective_to": end, "note": row.get("note", "")})  # fmt: skip
    frame = pl.DataFrame(out)
    if not frame["rule_id"].is_unique().all():
        raise RuleError(f"{path}: rule_id must be unique")
    for (category, measure), group in frame.group_by("category", "measure"):
        spans = sorted(zip(group["effective_from"], group["effective_to"], strict=True))
        if any(later[0] <= earlier[1] for earlier, later in zip(spans, spans[1:], strict=False)):
            raise RuleError(f"{path}: {category} {measure}: two rules apply on the same date")
    return frame


def load_promotion_bar(folder: Path = DEFAULT_RULES) -> dict[str, dict[str, str]]:
    """``promotion_bar.csv``: the conditions that bar a promotion, by condition, with citations."""
    path = folder / "promotion_bar.csv"
    rows = _csv_rows(path, ("rule_id", "condition", "source_document", "article"))
    known = {"influence_period", "last_annual_grade"}
    bars = {}
    for line, row in enumerate(rows, start=2):
        if row["condition"] not in known:
            raise RuleError(
                f"{path}, line {line}: unknown condition {row['condition']!r} (known: {', '.join(sorted(known))})"
            )
        bars[row["condition"]] = row
    return bars


WARNING_COLUMNS = ("rule_id", "level", "label", "kind", "source", "match", "min_count", "basis")
WARNING_LEVELS = ("red", "yellow", "blue")
WARNING_KINDS = ("running_period", "count", "overdue", "last_year")


def load_warning_rules(folder: Path = DEFAULT_RULES) -> list[dict[str, Any]]:
    """``warning_rules.csv``: the red/yellow/blue warning rules (a deployment replaces the file).

    ``kind``: ``running_period`` (an influence period of a ``match`` category is running),
    ``count`` (events of ``source`` whose category/outcome ``match`` within ``window_months``),
    ``overdue`` (findings whose date — the deadline — has passed with an outcome in ``match``),
    ``last_year`` (last calendar year's events). ``match`` lists outcomes or ``category/outcome``
    pairs separated by ``|``; an audit outcome ``直接责任/未申请`` matches ``直接责任``.
    ``min_count``/``max_count`` bound how many matching events fire the rule.

    Raises:
        RuleError: a missing column or cell, an unknown level or kind, a bad number, a repeated id.
    """
    path = folder / "warning_rules.csv"
    rows = _csv_rows(path, WARNING_COLUMNS)
    out: list[dict[str, Any]] = []
    for line, row in enumerate(rows, start=2):
        where = f"{path}, line {line}"
        if row["level"] not in WARNING_LEVELS:
            raise RuleError(
                f"{where}: level must be one of {', '.join(WARNING_LEVELS)}, found {row['level']!r}"
            )
        if row["kind"] not in WARNING_KINDS:
            raise RuleError(
                f"{where}: kind must be one of {', '.join(WARNING_KINDS)}, found {row['kind']!r}"
            )
        if row.get("counts_against", "") not in ("", "true", "false"):
            raise RuleError(f"{where}: counts_against must be true, false or empty")
        try:
            numbers = {
                k: int(row[k]) if row.get(k) else None
                for k in ("window_months", "min_count", "max_count")
            }
        except ValueError as error:
            raise RuleError(f"{where}: {error}") from error
        if row["kind"] == "count" and not numbers["window_months"]:
            raise RuleError(f"{where}: a count rule needs window_months")
        if any(rule["rule_id"] == row["rule_id"] for rule in out):
            raise RuleError(f"{where}: rule_id {row['rule_id']!r} appears twice")
        counts = {"true": True, "false": False}.get(row.get("counts_against", ""))
        out.append({**row, **numbers, "counts_against": counts, "match": row["match"].split("|")})
    return out


def load_petition_counting(folder: Path = DEFAULT_RULES) -> dict[str, list[str]]:
    """``petition_counting.csv``: which 办理结果 count against a cadre, and which flags void a report.

    Returns ``{"counting": [outcomes that count], "voiding": [flag columns that void a report]}``.

    Raises:
        RuleError: a missing column, an unknown kind, counts not true/false, or an outcome listed twice.
    """
    path = folder / "petition_counting.csv"
    rows = _csv_rows(path, ("kind", "value", "counts", "basis"))
    seen: set[tuple[str, str]] = set()
    out: dict[str, list[str]] = {"counting": [], "voiding": []}
    for line, row in enumerate(rows, start=2):
        where = f"{path}, line {line}"
        if row["kind"] not in ("outcome", "flag") or row["counts"] not in ("true", "false"):
            raise RuleError(f"{where}: kind must be outcome or flag, counts true or false")
        if (row["kind"], row["value"]) in seen:
            raise RuleError(f"{where}: {row['value']} appears twice")
        seen.add((row["kind"], row["value"]))
        if row["kind"] == "outcome" and row["value"] not in PETITION_RESULT.values():
            raise RuleError(f"{where}: {row['value']!r} is not a 办理结果 the sources use")
        if row["kind"] == "outcome" and row["counts"] == "true":
            out["counting"].append(row["value"])
        if row["kind"] == "flag" and row["counts"] == "false":
            out["voiding"].append(row["value"])
    missing = set(PETITION_RESULT.values()) - {v for k, v in seen if k == "outcome"}
    if missing:
        raise RuleError(f"{path}: no rule for 办理结果 {', '.join(sorted(missing))}")
    return out


def load_tolerance_exclusions(folder: Path = DEFAULT_RULES) -> list[dict[str, str]]:
    """``tolerance_exclusions.csv``: situations never tolerated (谋取私利 …), each with an id."""
    path = folder / "tolerance_exclusions.csv"
    rows = _csv_rows(path, ("exclusion_id", "text", "basis"))
    ids = [r["exclusion_id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise RuleError(f"{path}: exclusion_id must be unique")
    return rows


def load_fields(folder: Path = DEFAULT_RULES) -> list[str]:
    """``fields.csv``: the field (领域) vocabulary the case library classifies by."""
    path = folder / "fields.csv"
    fields = [r["field"] for r in _csv_rows(path, ("field",))]
    if len(set(fields)) != len(fields):
        raise RuleError(f"{path}: a field is listed twice")
    return fields


def check_rules(folder: Path = DEFAULT_RULES) -> list[str]:
    """Load every rule file of ``folder`` (as a run starts); the names of the files checked.

    Raises:
        RuleError: the first malformed file, naming the file and the line.
    """
    load_linking_rules(folder)
    load_influence_periods(folder)
    load_promotion_bar(folder)
    load_warning_rules(folder)
    load_petition_counting(folder)
    load_tolerance_exclusions(folder)
    load_fields(folder)
    load_deid_rules(folder)
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".csv", ".yaml"))


DEID_KINDS = (
    "token", "petition_token", "setting", "reporter_cue", "person_cue", "person_after", "surnames", "compound_surname",
    "given_chars", "name_stop", "not_name", "not_place", "must_keep",
)  # fmt: skip


def load_deid_rules(folder: Path = DEFAULT_RULES) -> DeidRules:
    """``deid_rules.csv``: what the de-identifier removes, what replaces it and what must stay.

    One row per rule: ``kind`` (``token``/``petition_token``: ``value`` a recognised kind and
    ``replacement`` its token; ``setting``; cue words before and after a name; ``surnames`` as a run of characters;
    ``compound_surname``; ``given_chars`` and ``name_stop`` characters; ``not_name``/``not_place`` guards;
    ``must_keep`` terms), ``value`` and the ``basis`` it follows.

    Raises:
        RuleError: a missing column or cell, an unknown kind, a token for a kind no recogniser
            has, a kind without its token, a surname that is not one Chinese character, a term
            listed twice, a bad setting; names the file and the line.
    """
    path = folder / "deid_rules.csv"
    rows = _csv_rows(path, ("kind", "value", "basis"))
    by_kind: dict[str, list[tuple[int, dict[str, str]]]] = {k: [] for k in DEID_KINDS}
    seen: dict[tuple[str, str], int] = {}
    for line, row in enumerate(rows, start=2):
        where = f"{path}, line {line}"
        if row["kind"] not in DEID_KINDS:
            raise RuleError(
                f"{where}: kind must be one of {', '.join(DEID_KINDS)}, found {row['kind']!r}"
            )
        if (row["kind"], row["value"]) in seen:
            raise RuleError(
                f"{where}: {row['kind']} {row['value']!r} is already on line {seen[(row['kind'], row['value'])]}"
            )
        seen[(row["kind"], row["value"])] = line
        by_kind[row["kind"]].append((line, row))
    tokens = {}
    for kind, known in (("token", TOKEN_KINDS), ("petition_token", PETITION_KINDS)):
        table = {}
        for line, row in by_kind[kind]:
            if row["value"] not in known or not row.get("replacement"):
                raise RuleError(
                    f"{path}, line {line}: a {kind} names one of {', '.join(known)} and has a replacement"
                )
            table[row["value"]] = row["replacement"]
        if missing := [k for k in known if k not in table]:
            raise RuleError(f"{path}: no {kind} for {', '.join(missing)}")
        tokens[kind] = table
    surnames = "".join(row["value"] for _, row in by_kind["surnames"])
    runs = ("surnames", "compound_surname", "given_chars", "name_stop")
    for line, row in [item for kind in runs for item in by_kind[kind]]:
        if not all("\u4e00" <= c <= "\u9fff" for c in row["value"]):
            raise RuleError(
                f"{path}, line {line}: {row['kind']} must be Chinese characters, found {row['value']!r}"
            )
    settings = {
        row["value"]: (line, row.get("replacement", "")) for line, row in by_kind["setting"]
    }
    line, minimum = settings.get("reporter_min_length", (0, "2"))
    if not minimum.isdigit() or int(minimum) < 2:
        raise RuleError(f"{path}, line {line}: reporter_min_length must be a whole number ≥ 2")

    def values(kind: str) -> tuple[str, ...]:
        return tuple(row["value"] for _, row in by_kind[kind])

    return DeidRules(
        tokens=tokens["token"],
        petition_tokens=tokens["petition_token"],
        reporter_cues=values("reporter_cue"),
        person_cues=values("person_cue"),
        person_after=values("person_after"),
        surnames=frozenset(surnames),
        compound_surnames=values("compound_surname"),
        given_chars=frozenset("".join(values("given_chars"))),
        name_stop=frozenset("".join(values("name_stop"))),
        not_names=frozenset(values("not_name")),
        not_places=values("not_place"),
        must_keep=values("must_keep"),
        reporter_min_length=int(minimum),
    )
