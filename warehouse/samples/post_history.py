"""S8 任职经历 (post history): the table ``cadre_post_history`` beside the roster in ``roster.db``.

One row per post a cadre held, the current one included (免职时间 empty), the unit as it was
named when the post began (a bureau renamed in 2019 keeps its old name for a post begun
before), dates in the forms clerks write, and the appointment document (任免文号).
"""

from datetime import date
from pathlib import Path

import numpy as np

from warehouse.samples.careers import Careers
from warehouse.samples.columns import POST_HISTORY_COLUMNS
from warehouse.samples.injection import damage_rows
from warehouse.samples.mess import date_text
from warehouse.samples.models import Cadre, Row
from warehouse.samples.truth import Sink
from warehouse.samples.writers import add_sqlite_table, sql_order


def _document(unit: str, start: date, n: int) -> str:
    """An appointment document number: 安组干〔2021〕12号 (the county's organisation department)."""
    return f"{unit.removeprefix('中共')[0]}组干〔{start.year}〕{n % 97 + 1}号"


def history_rows(careers: Careers, cadres: list[Cadre], rng: np.random.Generator) -> list[Row]:
    """Every post of every cadre, oldest first per cadre."""
    rows: list[Row] = []
    for c in cadres:
        for n, post in enumerate(careers.posts[c.person_no]):
            end = post.end
            rows.append([
                c.person_no, post.unit.code, post.unit.named_on(post.start), post.title,
                date_text(rng, post.start), date_text(rng, end) if end else None,
                _document(post.unit.full, post.start, n + int(rng.integers(0, 50))),
            ])  # fmt: skip
    return rows


def write_post_history(
    root: Path, careers: Careers, cadres: list[Cadre], seed: int, sink: Sink
) -> None:
    """Damage the rows as the defect table says and write ``cadre_post_history`` into
    ``inbox/roster.db`` (its own random stream)."""
    stream = np.random.default_rng([seed, 22])
    if sink.geo is None:
        rows = history_rows(careers, cadres, stream)
    else:
        from warehouse.samples.local import history_rows as profile_rows

        rows = profile_rows(careers, cadres, stream)
    damage_rows(sink, "post_history", 0, rows, POST_HISTORY_COLUMNS)
    ordered = sql_order(rows, (4, 0, 2, 3))
    path = root / "inbox" / "roster.db"
    add_sqlite_table(path, "cadre_post_history", POST_HISTORY_COLUMNS, ordered)
    sink.place(ordered, f"sqlite:///{path.parent.name}/{path.name}#cadre_post_history", 1)
