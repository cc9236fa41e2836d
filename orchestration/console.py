"""The console logger of every run: Dagster's lines, without the stack traces.

A blocked table or a bad source fails its step with a message naming the source, file, row or
check (``dg.Failure``), and the CLI explains the failure again in its summary. Dagster's own
console logger appends the Python stack of every failed step, which reads as a crash to a data
engineer; the stack stays in the run's event log (``make ui``) for whoever debugs the code.
"""

import logging
import sys

import dagster as dg

STACK = "\n\nStack Trace:"


class WithoutStack(logging.Formatter):
    """Dagster's line format, cut before the stack trace of a failure."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).split(STACK, 1)[0]


@dg.logger(
    {"log_level": dg.Field(str, is_required=False, default_value="INFO")},
    description="Dagster's console lines without stack traces (they stay in the event log).",
)
def console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    log = logging.getLogger("dajiandu.console")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(WithoutStack("%(asctime)s - dagster - %(levelname)s - %(message)s"))
    log.handlers = [handler]
    log.setLevel(str(init_context.logger_config["log_level"]).upper())
    log.propagate = False
    return log
