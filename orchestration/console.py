"""The console logger of every run: Dagster's progress lines, without its failure noise, and every
line in a file.

A blocked table or a bad source fails its step with a message naming the source, file, row or
check (``dg.Failure``), and the CLI says that message once at the end, then the path of the full
log. Dagster's own console lines around a failure — the step's Python stack, its internal error
class names (``dagster._core.definitions.events.Failure``), one "Dependencies for step … were not
executed: ['gold', 'gold', …]" line per skipped step and the run-failure echo — read as a crash
to a data engineer and bury the one useful line, so the console leaves them out. The log file
(``<warehouse>/logs/run-<run id>.log``) keeps every line; the stack traces stay in the run's event
log only (``make ui``: a stack may quote a value of a protected field).
"""

import logging
import sys
from pathlib import Path

import dagster as dg

STACK = "\n\nStack Trace:"
NOISE = (" - STEP_FAILURE - ", " - RUN_FAILURE - ", "Dependencies for step ")
"""Dagster's console lines about a failure that the CLI's closing lines say better."""

FORMAT = "%(asctime)s - dagster - %(levelname)s - %(message)s"


class WithoutStack(logging.Formatter):
    """Dagster's line format, cut before the stack trace of a failure."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).split(STACK, 1)[0]


def without_noise(record: logging.LogRecord) -> bool:
    """False for Dagster's failure lines (:data:`NOISE`): the CLI explains the failure."""
    message = record.getMessage()
    return not any(mark in message for mark in NOISE)


def log_path(warehouse: Path, run_id: str) -> Path:
    """Where a run's full log is kept."""
    return warehouse.resolve() / "logs" / f"run-{run_id}.log"


@dg.logger(
    {
        "log_level": dg.Field(str, is_required=False, default_value="INFO"),
        "log_file": dg.Field(str, is_required=False, default_value=""),
    },
    description="Dagster's console lines without stack traces and failure noise; every line "
    "in log_file.",
)
def console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("dajiandu.console")
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(WithoutStack(FORMAT))
    console.addFilter(without_noise)
    console.setLevel(str(init_context.logger_config["log_level"]).upper())
    log.handlers = [console]
    target = str(init_context.logger_config["log_file"])
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        full = logging.FileHandler(target, encoding="utf-8")
        full.setFormatter(WithoutStack(FORMAT))  # a stack may quote a protected value
        full.setLevel(logging.DEBUG)
        log.handlers.append(full)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    return log
