"""Rule files: versioned data (YAML, CSV) shipped in ``warehouse/rules/``, loaded and checked at start.

A deployment can point ``DAJIANDU_RULES`` (or the ``rules`` setting) at its own folder holding
files of the same names. A malformed file is a :class:`RuleError` naming the file and the line.
"""

import csv
from pathlib import Path
from typing import Any

import yaml

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
