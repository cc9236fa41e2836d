"""Source readers: every upstream export as rows of text with their lineage.

One reader per kind of export: a SQL table (:mod:`warehouse.read_sql`), ``.xlsx``, ``.csv`` and
``.jsonl`` files (:mod:`warehouse.read_files`). Each finds the header, maps it onto the source's
fields, drops protected reporter fields at once (keeping only whether they were filled), and
returns every data row as text with ``_source_file``, ``_source_row`` and ``_load_id``. Rows that
cannot even be split into fields (a ragged CSV line, a line that is not JSON) come back as
rejects with a reason. Structural rows (titles, blank rows, 合计 totals) are counted, not
returned. A file that cannot be read at all raises :class:`SourceError`.
"""

from pathlib import Path

from transforms.deid import DeidRules
from warehouse import protection
from warehouse.encoding import decode_text
from warehouse.read_files import file_load_id, read_file
from warehouse.read_sql import read_sql
from warehouse.reading import (
    REJECT_SCHEMA,
    Collector,
    FileRead,
    RawBatch,
    ReadSpec,
    boundary,
    empty_rows,
)
from warehouse.sources import SourceConfig

__all__ = [
    "REJECT_SCHEMA", "FileRead", "RawBatch", "ReadSpec", "decode_text", "empty_rows",
    "file_load_id", "read_source",
]  # fmt: skip


def read_source(
    config: SourceConfig,
    spec: ReadSpec,
    skip: frozenset[Path] = frozenset(),
    deid: DeidRules | None = None,
    since: tuple[str, str] | None = None,
) -> RawBatch:
    """Read every row of one configured source (files in ``skip`` are left out).

    A source with reporter fields is masked on the way (:mod:`warehouse.protection`, with the
    ``deid`` rules; the shipped ones when None). ``since``: a SQL table's watermark and the
    time of the read (:func:`warehouse.read_sql.read_sql`); None reads every row.

    Raises:
        SourceError: the database is unreachable, a table or file cannot be read, or a required
            column is missing. The message names the source, the file or table, and the problem.
    """
    if config.kind == "sql":
        return read_sql(config, spec, deid, since)
    collector = Collector()
    files: list[FileRead] = []
    for path in config.files():
        if path not in skip:
            files.append(read_file(path, config.lineage_path(path), spec, collector))
    counts: dict[str, dict[str, int]] = {}
    rows = protection.protect_rows(boundary(collector.frame(spec), spec, counts), spec, deid)
    skipped = {config.lineage_path(path): why for path, why in config.skipped_files().items()}
    return RawBatch(rows, collector.reject_frame(), files, counts, skipped)
