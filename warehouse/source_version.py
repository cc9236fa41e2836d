"""An upstream source's data version: what its observation reports to Dagster.

Files: every matched file's name (relative to ``sources.yaml``), size and SHA-256. SQL: the row
count and the latest ``更新时间`` (the sources that have it; the contract's incremental column),
else the row count alone. A changed version is what the automation reads as "this source has
new data": the assets downstream of it, and only those, are materialised again.
"""

import hashlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from warehouse.read_sql import check_sqlite_file
from warehouse.sources import SourceConfig, SourceError, safe_url

UPDATED = "更新时间"
CHUNK = 1 << 20


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def source_version(config: SourceConfig) -> tuple[str, dict[str, Any]]:
    """``(version, metadata)``: 16 hex digits, and what they were computed from.

    Raises:
        SourceError: the database cannot be read, or a file resolves outside the sources folder.
    """
    digest = hashlib.sha256()
    if config.kind == "files":
        files = config.files()
        size = 0
        for path in files:
            stat = path.stat()
            size += stat.st_size
            line = f"{config.lineage_path(path)}\t{stat.st_size}\t{_file_sha256(path)}\n"
            digest.update(line.encode())
        return digest.hexdigest()[:16], {"files": len(files), "bytes": size}
    url, table = str(config.url), str(config.table)
    check_sqlite_file(url, config.name, config.display)  # SQLite would create a missing file
    try:
        engine = sa.create_engine(url)
        try:
            with engine.connect() as conn:
                columns = {c["name"] for c in sa.inspect(conn).get_columns(table)}
                t = sa.table(table, *(sa.column(c) for c in columns))
                select: list[sa.ColumnElement[Any]] = [sa.func.count()]
                if UPDATED in columns:
                    select.append(sa.func.max(sa.cast(t.c[UPDATED], sa.Text)))
                row = conn.execute(sa.select(*select).select_from(t)).one()
        finally:
            engine.dispose()
    except sa.exc.SQLAlchemyError as error:
        problem = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise SourceError(
            config.name, f"{safe_url(url)}#{table}", f"cannot observe: {problem}"
        ) from None
    rows, latest = int(row[0]), (str(row[1]) if len(row) > 1 and row[1] is not None else None)
    digest.update(f"{rows}\t{latest}".encode())
    meta: dict[str, Any] = {"rows": rows}
    if latest is not None:
        meta[f"max_{UPDATED}"] = latest
    return digest.hexdigest()[:16], meta
