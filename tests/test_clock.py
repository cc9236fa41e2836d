"""The platform's today (warehouse.clock): the machine's date unless DAJIANDU_TODAY names one."""

from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from assets.resources import RunSettings
from orchestration.cli import main
from warehouse import clock


def test_today_is_the_machines_date_unless_one_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # The session's conftest names one; without it the machine's date is used.
    monkeypatch.delenv(clock.ENV)
    assert clock.today() == date.today()
    monkeypatch.setenv(clock.ENV, "2025-03-01")
    assert clock.today() == date(2025, 3, 1)
    monkeypatch.setenv(clock.ENV, "  ")  # set but blank, as a shell's `export DAJIANDU_TODAY=` is
    assert clock.today() == date.today()


def test_a_named_today_that_is_no_date_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A typo in the variable must stop the command with what is wrong, not a traceback, and a run
    # launched from Dagster must fail with the same words.
    monkeypatch.setenv(clock.ENV, "2025-13-01")
    with pytest.raises(clock.ClockError, match="DAJIANDU_TODAY wants a date"):
        clock.today()
    assert main(["run", "--sources", "s.yaml", "--warehouse", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "DAJIANDU_TODAY wants a date like 2025-12-31, got '2025-13-01'" in err
    assert "Traceback" not in err
    with pytest.raises(dg.Failure, match="DAJIANDU_TODAY wants a date"):
        RunSettings().as_of_date()


def test_the_named_today_bounds_as_of(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every "after today" check reads the same clock: a day after the named today is refused by
    # the command line and by a Dagster run, and the named today itself is the default as-of.
    monkeypatch.setenv(clock.ENV, "2025-03-01")
    with pytest.raises(SystemExit) as caught:
        main(["run", "--sources", "s.yaml", "--warehouse", str(tmp_path), "--as-of", "2025-03-02"])
    assert caught.value.code == 2
    assert "--as-of 2025-03-02 is in the future" in capsys.readouterr().err
    with pytest.raises(dg.Failure, match="as_of 2025-03-02 is in the future"):
        RunSettings(as_of="2025-03-02").as_of_date()
    assert RunSettings().as_of_date() == date(2025, 3, 1)
    assert RunSettings(as_of="2025-02-28").as_of_date() == date(2025, 2, 28)
