"""Reading rule files: YAML and CSV in a rules folder, every problem named with file and line.

The rules themselves (what each file means, and the typed object they make) are
:mod:`warehouse.rules`.
"""

import csv
from pathlib import Path
from typing import Any

import yaml

DEFAULT_RULES = Path(__file__).parent / "rules"
"""The rule files shipped with the platform; a deployment may point at a folder of its own."""


class RuleError(Exception):
    """A rule file that cannot be used: names the file, the line and the problem."""


def read_yaml(path: Path) -> dict[str, Any]:
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


def number(
    path: Path, data: dict[str, Any], key: str, low: float = 0.0, high: float = 1.0
) -> float:
    value = data.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise RuleError(f"{path}: {key} must be a number from {low} to {high}, found {value!r}")
    return float(value)


def csv_rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
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
