"""``sources.yaml``: which upstream export feeds which source, resolved to absolute places.

A source is a SQL table reached through a SQLAlchemy URL, or a set of dropped files named by a
glob. Relative globs and ``sqlite:///`` paths are resolved against the folder of ``sources.yaml``;
``${VAR}`` is read from the environment so credentials never sit in the file. A source left out
is "no data yet".

Sources stay inside that folder: a glob or SQLite path that resolves outside it, or a matched file
that is a link to somewhere outside, is refused unless the entry says ``allow_outside: true``.
"""

import glob
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import sqlalchemy as sa
import yaml

# The contract's source names, and the keys a sources.yaml may use for them.
SOURCE_KEYS: dict[str, str] = {
    "roster": "roster",
    "post_history": "post_history",
    "inspections": "inspection",
    "inspection": "inspection",
    "audits": "audit",
    "audit": "audit",
    "petitions": "petition",
    "petition": "petition",
    "assessments": "assessment",
    "assessment": "assessment",
    "sanctions": "sanction",
    "sanction": "sanction",
    "tolerance": "tolerance",
}

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class SourceError(Exception):
    """A named source that cannot be read: names the source, the file (or table), row and problem."""

    def __init__(self, source: str, where: str | None, problem: str, row: int | None = None):
        self.source, self.where, self.problem, self.row = source, where, problem, row
        place = f" ({where}" + (f", row {row}" if row is not None else "") + ")" if where else ""
        super().__init__(f"source {source}{place}: {problem}")


class ConfigError(Exception):
    """``sources.yaml`` itself is wrong: a message naming the file and the entry."""


@dataclass(frozen=True)
class SourceConfig:
    """One configured source, resolved.

    Attributes:
        name: the contract name (``petition``).
        kind: ``sql`` or ``files``.
        url: the SQLAlchemy URL (sql), with ``${VAR}`` filled in and relative SQLite paths resolved.
        table: the table (sql).
        pattern: the absolute glob (files).
        full_refresh_days: a SQL source is read in full (deletions reconciled) when its last
            full read is this many days old; between, only rows changed since the last good
            ``更新时间`` watermark are read (``full_refresh_days`` in ``sources.yaml``, default 7).
    """

    name: str
    kind: Literal["sql", "files"]
    url: str | None = None
    table: str | None = None
    pattern: str | None = None
    base: str | None = None
    allow_outside: bool = False
    full_refresh_days: int = 7

    def _matched(self) -> list[Path]:
        assert self.pattern is not None
        found = glob.glob(self.pattern, recursive=True, include_hidden=True)
        return sorted(Path(p) for p in found if Path(p).is_file())

    def skipped_files(self) -> dict[Path, str]:
        """Files the glob matches that are no export, and why: an Office lock file (``~$…``,
        left while a workbook is open) or a hidden file (``.…``, also inside a hidden folder).
        They are left out of :meth:`files` and listed in the run summary, not an error."""
        return {p: why for p in self._matched() if (why := self._not_an_export(p))}

    def _not_an_export(self, path: Path) -> str | None:
        if path.name.startswith("~$"):
            return "skipped: an Office lock file (~$…), left while the workbook was open"
        assert self.pattern is not None
        root = _glob_root(self.pattern)
        parts = path.relative_to(root).parts if path.is_relative_to(root) else (path.name,)
        if any(part.startswith(".") for part in parts):
            return "skipped: a hidden file (its name or folder begins with '.')"
        return None

    def files(self) -> list[Path]:
        """The files the glob matches now, sorted by name (a later re-issue sorts later),
        without the ones :meth:`skipped_files` lists.

        Raises:
            SourceError: a matched file resolves outside the folder of ``sources.yaml`` (a link
                to elsewhere) and the source does not allow that.
        """
        found = [p for p in self._matched() if not self._not_an_export(p)]
        for path in found:
            if not self.inside(path):
                raise SourceError(
                    self.name,
                    str(path),
                    f"refused: it resolves outside {self.base} (a link?); set allow_outside: true "
                    "for this source in sources.yaml if that is intended",
                )
        return found

    def inside(self, path: Path) -> bool:
        """Whether ``path`` (links resolved) is under the folder of ``sources.yaml``, or need not be."""
        if self.allow_outside or self.base is None:
            return True
        return path.resolve().is_relative_to(self.base)

    @property
    def display(self) -> str:
        """Where the data comes from, with any password hidden (safe for logs and reports)."""
        if self.kind == "files":
            return str(self.pattern)
        return f"{safe_url(str(self.url))}#{self.table}"

    @property
    def lineage(self) -> str:
        """The SQL source as lineage columns name it: password hidden, SQLite path relative to ``base``."""
        url = safe_url(str(self.url))
        prefix = re.match(r"^sqlite(\+\w+)?:///", url)
        if prefix and self.base:
            url = prefix.group(0) + self.lineage_path(Path(url[prefix.end() :]))
        return f"{url}#{self.table}"

    def lineage_path(self, path: Path) -> str:
        """A file as lineage columns name it: relative to the folder of ``sources.yaml`` when inside it.

        Lineage that does not depend on where the inbox is mounted keeps reruns byte-identical.
        """
        if self.base:
            try:
                return path.resolve().relative_to(self.base).as_posix()
            except ValueError:
                pass
        return str(path)


def _userinfo(url: str) -> tuple[str, str, str, str] | None:
    """``(scheme://, user, password, rest after @)`` of a URL with a password, or None.

    The password runs to the *last* ``@`` before the query, so one with an unencoded ``@``
    (``u:p@ss@host/db``) is split where a person means it, not where SQLAlchemy splits it
    (password ``p``, host ``ss@host``: the tail of the password shown as the host)."""
    scheme = re.match(r"^[A-Za-z][\w+.-]*://", url)
    if not scheme:
        return None
    rest = url[scheme.end() :]
    at = rest.rfind("@", 0, rest.find("?") if "?" in rest else len(rest))
    if at < 0 or rest.startswith("/") or ":" not in rest[:at]:
        return None
    user, password = rest[:at].split(":", 1)
    return scheme.group(0), user, password, rest[at + 1 :]


def encode_password(url: str) -> str:
    """The URL with an unencoded ``@`` in its password percent-encoded, so that SQLAlchemy
    connects with the whole password to the right host (other URLs are returned as they are)."""
    parts = _userinfo(url)
    if parts is None or "@" not in parts[2]:
        return url
    scheme, user, password, rest = parts
    return f"{scheme}{user}:{quote(password, safe='')}@{rest}"


def safe_url(url: str) -> str:
    """The URL with its whole password replaced by ``***`` (an unencoded ``@`` in it too)."""
    parts = _userinfo(url)
    if parts is not None:
        scheme, user, _password, rest = parts
        return f"{scheme}{user}:***@{rest}"
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


class _UniqueKeyLoader(yaml.SafeLoader):  # type: ignore[misc]
    """A YAML loader that refuses a key given twice (PyYAML would silently keep the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"{key} is named twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _expand(value: str, where: str) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError(f"{where}: environment variable {name} is not set")
        return os.environ[name]

    return _VAR.sub(sub, value)


def _resolve_sqlite(url: str, base: Path) -> str:
    prefix = re.match(r"^sqlite(\+\w+)?:///", url)
    if not prefix:
        return url
    path = url[prefix.end() :]
    if not path or path.startswith((":memory:", "/")) or path.startswith("file:"):
        return url
    query = ""
    if "?" in path:
        path, query = path.split("?", 1)
        query = "?" + query
    return f"{prefix.group(0)}{(base / path).resolve()}{query}"


def load_sources(path: str | os.PathLike[str]) -> dict[str, SourceConfig]:
    """Read and resolve ``sources.yaml``.

    Raises:
        ConfigError: the file is missing, is not YAML, names an unknown source, or an entry lacks
            ``sql``+``table`` or ``files``.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{file}: no such sources file")
    try:
        entries = yaml.load(file.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader) or {}  # noqa: S506
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file}: not a readable YAML file: {error}") from error
    if not isinstance(entries, dict):
        raise ConfigError(f"{file}: expected a mapping of source name to its place")
    base = file.parent.resolve()
    out: dict[str, SourceConfig] = {}
    for key, entry in entries.items():
        where = f"{file}: {key}"
        if key not in SOURCE_KEYS:
            known = ", ".join(
                sorted({k for k in SOURCE_KEYS if k.endswith("s")} | {"roster", "post_history"})
            )
            raise ConfigError(f"{where}: unknown source (known: {known}, tolerance)")
        name = SOURCE_KEYS[key]
        if name in out:
            raise ConfigError(f"{where}: source {name} is named twice")
        out[name] = _entry(name, entry, base, where)
    return out


def _entry(name: str, entry: object, base: Path, where: str) -> SourceConfig:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected {{sql: URL, table: NAME}} or {{files: GLOB}}")
    outside = entry.get("allow_outside", False)
    if not isinstance(outside, bool):
        raise ConfigError(f"{where}: allow_outside must be true or false")
    if "sql" in entry:
        if not entry.get("table"):
            raise ConfigError(f"{where}: a sql source needs a table")
        url = encode_password(_resolve_sqlite(_expand(str(entry["sql"]), where), base))
        _confine(_sqlite_path(url), base, outside, where)
        table = _expand(str(entry["table"]), where)
        days = entry.get("full_refresh_days", 7)
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise ConfigError(
                f"{where}: full_refresh_days must be a whole number of days, 1 or more"
            )
        return SourceConfig(
            name, "sql", url=url, table=table, base=str(base), allow_outside=outside,
            full_refresh_days=days,
        )  # fmt: skip
    if "files" in entry:
        pattern = str(base / _expand(str(entry["files"]), where))
        _confine(_glob_root(pattern), base, outside, where)
        return SourceConfig(name, "files", pattern=pattern, base=str(base), allow_outside=outside)
    raise ConfigError(f"{where}: expected {{sql: URL, table: NAME}} or {{files: GLOB}}")


def _glob_root(pattern: str) -> Path:
    """The folder a glob starts from: its path up to the first wildcard."""
    parts = Path(pattern).parts
    first = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts))
    return Path(*parts[:first])


def _sqlite_path(url: str) -> Path | None:
    prefix = re.match(r"^sqlite(\+\w+)?:///", url)
    path = url[prefix.end() :].split("?", 1)[0] if prefix else ""
    return Path(path) if path and not path.startswith((":memory:", "file:")) else None


def _confine(path: Path | None, base: Path, allowed: bool, where: str) -> None:
    if path is None or allowed or path.resolve().is_relative_to(base):
        return
    raise ConfigError(
        f"{where}: {path} is outside {base}; sources stay inside the folder of sources.yaml "
        "unless the entry says allow_outside: true"
    )
