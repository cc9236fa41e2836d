"""sources.yaml resolution: relative paths, ${VAR}, missing and broken entries."""

from pathlib import Path

import pytest

from warehouse.sources import ConfigError, load_sources


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "cfg").mkdir()
    file = tmp_path / "cfg" / "sources.yaml"
    file.write_text(text, encoding="utf-8")
    return file


def test_relative_paths_resolve_against_the_file_folder(tmp_path: Path) -> None:
    file = _write(
        tmp_path,
        'roster: {sql: "sqlite:///inbox/r.db", table: t}\naudits: {files: "inbox/a/*.csv"}\n',
    )
    sources = load_sources(file)
    assert sources["roster"].url == f"sqlite:///{tmp_path / 'cfg' / 'inbox' / 'r.db'}"
    assert sources["audit"].pattern == str(tmp_path / "cfg" / "inbox" / "a" / "*.csv")


def test_environment_variables_fill_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PETITION_DB_URL", "postgresql+psycopg://u:secret@127.0.0.1/x")
    sources = load_sources(
        _write(tmp_path, 'petitions: {sql: "${PETITION_DB_URL}", table: petition}\n')
    )
    assert sources["petition"].url == "postgresql+psycopg://u:secret@127.0.0.1/x"
    assert "secret" not in sources["petition"].display  # what logs and reports see


def test_a_missing_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_SUCH_VAR", raising=False)
    with pytest.raises(ConfigError, match="petitions: environment variable NO_SUCH_VAR is not set"):
        load_sources(_write(tmp_path, 'petitions: {sql: "${NO_SUCH_VAR}", table: petition}\n'))


def test_a_left_out_source_is_no_data_yet(tmp_path: Path) -> None:
    assert set(load_sources(_write(tmp_path, 'audits: {files: "a/*.csv"}\n'))) == {"audit"}


def test_a_glob_matching_nothing_is_no_data_yet(tmp_path: Path) -> None:
    assert load_sources(_write(tmp_path, 'audits: {files: "a/*.csv"}\n'))["audit"].files() == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rosters: {files: x}\n", "rosters: unknown source"),  # a typo in a source name
        ("roster: {sql: 'sqlite:///r.db'}\n", "roster: a sql source needs a table"),
        ("roster: [1, 2]\n", "roster: expected"),
        (
            "roster: {files: x}\nroster: {files: y}\n",
            "roster is named twice",
        ),  # YAML keeps the last
        ("roster: {files: [\n", "not a readable YAML"),
    ],
)
def test_broken_entries_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_sources(_write(tmp_path, text))


def test_a_missing_sources_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such sources file"):
        load_sources(tmp_path / "nope.yaml")
