"""The outcome of one check, whatever ran it: a GX expectation, a Polars invariant or a row rule."""

import sys
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["expectation", "invariant", "row rule"]

SAMPLE_ROWS = 20
"""Offending rows the report shows for each failed check or warning."""


@dataclass
class Outcome:
    """What one check found on one table in one run.

    Attributes:
        check: the check's stable id (``收件日期.plausible``, ``key.unique_across_partitions``).
        table: ``bronze/petition`` …
        kind: ``expectation`` (GX), ``invariant`` (Polars, whole table) or ``row rule`` (a
            cleaning rule that sent rows to quarantine).
        severity: ``ERROR`` blocks publication; ``WARN`` is reported.
        passed: no offending row (or the invariant holds).
        checked: rows examined.
        failed: offending rows.
        sample: some offending values, as text.
        partitions: offending rows per partition.
        why: the sentence an auditor reads.
        detail: what exactly ran (the GX expectation type, the threshold …).
        carried: offending rows counted in partitions validated by an earlier run and unchanged.
        checked_earlier: of ``checked``, the rows in those partitions (validated earlier).
        rows: up to :data:`SAMPLE_ROWS` offending rows as an auditor finds them: source file,
            row in it, the field checked and its value (never a protected field).
    """

    check: str
    table: str
    kind: Kind
    severity: str
    passed: bool
    checked: int
    failed: int = 0
    sample: list[str] = field(default_factory=list)
    partitions: dict[str, int] = field(default_factory=dict)
    why: str = ""
    detail: str = ""
    carried: int = 0
    checked_earlier: int = 0
    rows: list[dict[str, str]] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        return not self.passed and self.severity == "ERROR"

    def describe(self) -> str:
        """One line for a run failure: the check, the partitions, a sample of values."""
        where = ", ".join(f"{p} ({n})" for p, n in sorted(self.partitions.items())[:5]) or "—"
        sample = ", ".join(self.sample[:5]) or "—"
        rows = "; ".join(
            f"{r['file']} row {r['row']}" + (f" ({r['field']}: {r['value']})" if r["field"] else "")
            for r in self.rows[:3]
        )  # fmt: skip
        return (
            f"{self.table}: {self.kind} {self.check} failed on {self.failed:,} of "
            f"{self.checked:,} rows; partitions: {where}; sample: {sample} — {self.why}"
            + (f"; rows: {rows}" if rows else "")
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def as_text(value: object) -> str:
    """A sample value as an auditor reads it (dates without a time of day, no numpy noise)."""
    np = sys.modules.get("numpy")  # numpy values come from GX (pandas): numpy is loaded then
    if np is not None and isinstance(value, np.datetime64):
        value = value.astype("datetime64[s]").item()
    if isinstance(value, tuple | list):
        return " / ".join(as_text(v) for v in value)
    if hasattr(value, "isoformat"):
        text = str(value.isoformat())
        return text.removesuffix("T00:00:00").removesuffix(" 00:00:00")
    if value is None or value != value:  # NaN
        return "∅"
    return str(value)
