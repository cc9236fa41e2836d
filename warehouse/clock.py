"""The platform's today: the day a run without ``--as-of`` evaluates its rules on, and the latest
day an ``--as-of`` or a record may name.

It is the machine's date unless ``DAJIANDU_TODAY`` names another (``2026-12-07``). A test session
sets it once at its start, so that a session crossing midnight keeps one date: a warehouse built
before midnight and rebuilt after would otherwise differ in every dated gold table.
"""

import os
from datetime import date

ENV = "DAJIANDU_TODAY"


class ClockError(ValueError):
    """``DAJIANDU_TODAY`` is set but is not a date."""


def today() -> date:
    """The machine's date, or the one ``DAJIANDU_TODAY`` names.

    Raises:
        ClockError: ``DAJIANDU_TODAY`` is set to something that is not a ``YYYY-MM-DD`` date.
    """
    named = os.environ.get(ENV, "").strip()
    if not named:
        return date.today()
    try:
        return date.fromisoformat(named)
    except ValueError:
        raise ClockError(f"{ENV} wants a date like 2025-12-31, got {named!r}") from None
