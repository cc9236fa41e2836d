"""The harness every benchmark uses: timed child processes, sample sources, tables, saved figures.

A bench measures each phase in its own child process, so that each has its own peak memory. A
child is a function of a bench module, started as ``python -m orchestration.bench.<module> <name>
<args>`` (see :func:`child_command`); the module ends with ``child_main({...})``, which runs the
named function, then prints the child's peak RSS as its last line. A child reports its figures as
JSON lines (:func:`emit`); the parent reads them back from :attr:`ChildRun.records`.

Two children are shared by every bench and live here: ``generate`` (sample sources, with truth)
and ``run`` (the whole pipeline on them): see :func:`generate_sample` and :func:`run_pipeline`.

Keep a bench module's top-level imports light, and import what only its children need inside
them: on Linux a child's peak RSS starts at its parent's high-water mark (it is carried across
``vfork`` and ``exec``), so whatever the parent imports shows in every child's figure.
"""

import json
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PEAK_RSS = "peak_rss_mb="
"""The prefix of the last line a child prints: its peak resident memory in MB."""


@dataclass(frozen=True)
class ChildRun:
    """One finished child process: wall-clock seconds, peak RSS and what it printed."""

    seconds: float
    peak_mb: float
    stdout: str

    @property
    def records(self) -> list[dict[str, Any]]:
        """The JSON objects the child printed (:func:`emit`), one a line, in order."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]


def timed(command: Sequence[object], what: str) -> ChildRun:
    """Run ``command`` as a child process and time it.

    Args:
        command: the program and its arguments (each turned into a string).
        what: what the child measures, for the error message (e.g. ``"run at 2,000 cadres"``).

    Returns:
        The child's seconds, its peak RSS (NaN when it printed no ``peak_rss_mb=`` line) and its
        standard output.

    Raises:
        RuntimeError: the child failed; the message ends with its last 3,000 characters of stderr.
    """
    start = time.perf_counter()
    child = subprocess.run([str(c) for c in command], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        raise RuntimeError(f"bench {what} failed:\n{child.stderr[-3000:]}")
    return ChildRun(seconds, _peak_mb(child.stdout), child.stdout)


def _peak_mb(stdout: str) -> float:
    for line in stdout.splitlines():
        if line.startswith(PEAK_RSS):
            return float(line.removeprefix(PEAK_RSS))
    return float("nan")


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_command(module: str, *args: object) -> list[str]:
    """The command line of a child: ``python -m orchestration.bench.<module> <args>``."""
    return [sys.executable, "-m", f"orchestration.bench.{module}", *(str(a) for a in args)]


def emit(record: Mapping[str, Any]) -> None:
    """Print one figure record as a JSON line (in a child, for the parent to read back)."""
    print(json.dumps(record, default=float, ensure_ascii=False), flush=True)


def child_main(
    children: Mapping[str, Callable[..., object]], argv: list[str] | None = None
) -> None:
    """Entry point of a bench module run as a child: ``<name> <args>`` calls ``children[name]``.

    The arguments are passed on as strings. The child's peak RSS is printed last.

    Args:
        children: the functions a parent may start, by name.
        argv: the command-line arguments after the module (default: ``sys.argv[1:]``).
    """
    name, *args = sys.argv[1:] if argv is None else argv
    if name not in children:
        raise SystemExit(f"unknown bench child {name!r}; one of {', '.join(children)}")
    children[name](*args)
    print(f"{PEAK_RSS}{peak_rss_mb():.1f}", flush=True)


@dataclass(frozen=True)
class Sample:
    """Sample sources generated under ``root``, and the warehouse a run of them fills.
    ``generation``: the child that generated them, None when a previous bench did."""

    cadres: int
    root: Path
    generation: ChildRun | None = None

    @property
    def sources_yaml(self) -> Path:
        """The ``sources.yaml`` naming the generated exports."""
        return self.root / "sources" / "sources.yaml"

    @property
    def truth(self) -> Path:
        """The generator's ground truth (``links.parquet`` and the rest)."""
        return self.root / "sources" / "truth"

    @property
    def warehouse(self) -> Path:
        """The warehouse root a run of the sources writes (empty until :func:`run_pipeline`)."""
        return self.root / "warehouse"


def generate_sample(workdir: Path, cadres: int, seed: int) -> Sample:
    """Fresh sample sources in ``workdir/<cadres>`` (emptied first), generated in a timed child."""
    root = workdir / str(cadres)
    shutil.rmtree(root, ignore_errors=True)
    command = child_command("harness", "generate", root / "sources", cadres, seed)
    return Sample(cadres, root, timed(command, f"generate at {cadres:,} cadres"))


def run_pipeline(sample: Sample) -> ChildRun:
    """``dajiandu run`` (ingest, linking, gold, the quality gate) on a sample, in a timed child."""
    command = child_command("harness", "run", sample.sources_yaml, sample.warehouse)
    return timed(command, f"run at {sample.cadres:,} cadres")


def _generate(out: str, cadres: str, seed: str) -> None:
    from warehouse.samples import generate

    generate(out, cadres=int(cadres), seed=int(seed))


def _run(sources_yaml: str, warehouse: str) -> None:
    from orchestration.runner import run_pipeline as run

    outcome = run(Path(sources_yaml), Path(warehouse), log_level="WARNING")
    if not outcome.success:
        raise SystemExit(f"run failed: {outcome.failure}")


def ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, NaN when the denominator is zero."""
    return numerator / denominator if denominator else float("nan")


@dataclass(frozen=True)
class Column:
    """One column of a :class:`Table`: its title and how its values are written.

    Attributes:
        title: the header.
        width: the characters the column takes, suffix included.
        spec: the format spec of a value, without alignment and width (``","``, ``".4f"``).
        left: left-aligned (text); numbers are right-aligned.
        suffix: written right after each value (``"×"`` for a ratio); none after the title.
        gap: spaces before the column.
    """

    title: str
    width: int
    spec: str = ""
    left: bool = False
    suffix: str = ""
    gap: int = 0

    def cell(self, value: object) -> str:
        """``value`` written in the column; ``None`` leaves the cell blank."""
        if value is None:
            return " " * (self.gap + self.width)
        align = "<" if self.left else ">"
        text = format(value, f"{align}{self.width - len(self.suffix)}{self.spec}")
        return " " * self.gap + text + self.suffix

    def heading(self) -> str:
        """The title, aligned as the values are."""
        return " " * self.gap + format(self.title, f"{'<' if self.left else '>'}{self.width}")


class Table:
    """An aligned table of figures, a line at a time as they are measured: header, rows, notes."""

    def __init__(self, *columns: Column) -> None:
        """Describe the table by its columns, from left to right."""
        self.columns = columns

    def header(self) -> str:
        """The line of column titles."""
        return "".join(c.heading() for c in self.columns)

    def row(self, *values: object) -> str:
        """One line of values, one per column (``None`` for a blank cell)."""
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} values for {len(self.columns)} columns")
        return "".join(c.cell(v) for c, v in zip(self.columns, values, strict=True))

    def aside(self, text: str) -> str:
        """A note (a ratio, a comparison) written under the second column."""
        first = self.columns[0]
        indent = first.gap + first.width + (self.columns[1].gap if len(self.columns) > 1 else 0)
        return " " * indent + text


def save_figures(workdir: Path, what: str, figures: object) -> Path:
    """Write ``figures`` to ``workdir/bench-<what>.json`` and say where.

    Args:
        workdir: the bench's scratch folder (created when missing).
        what: the bench's name (``ingest``, ``link`` …).
        figures: anything JSON can hold (other numbers are written as floats).

    Returns:
        The path written.
    """
    path = workdir / f"bench-{what}.json"
    workdir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=1, default=float))
    print(f"figures saved to {path}")
    return path


if __name__ == "__main__":
    child_main({"generate": _generate, "run": _run})
