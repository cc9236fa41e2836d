"""Sample upstream exports, generated: all seven sources as ``SOURCES.md`` describes them, mess included.

``generate(out, cadres, seed)`` writes SQLite tables for the roster and petitions, ``.xlsx``
workbooks with title and 合计 rows, GB18030 and UTF-8 CSV, JSONL, a ``sources.yaml``, and the
ground truth under ``truth/``: which roster person each record really concerns
(``truth/links.parquet``) and every corrupt row that was injected (``truth/defects.csv``, written
from the defect table in :mod:`warehouse.samples.defects`). Deterministic for a seed. Protected
reporter values are recorded in ``truth/reporters.csv`` so a test can prove none of them leaves
extraction. Some petitions' 问题摘要 also mention the reporter and other contact details, and some
容错 事项描述 carry identifiers of every kind the case library must remove (written as clerks write
them); each planted value, as written, is in ``truth/planted.csv``. The planting draws from its
own random stream, so every other byte is what it would be without it.

Modules: one per source (:mod:`~warehouse.samples.roster`, ``petitions``, ``inspections``,
``audits``, ``assessments``, ``sanctions``, ``tolerance``); ``vocabulary`` and ``columns`` (the
words and headers), ``mess`` (how clerks write names, IDs, dates and units), ``identifiers``
(what is planted in free text), ``defects`` (the table) and ``injection`` (applying it),
``writers`` (SQLite, xlsx, CSV, JSONL), ``truth`` (the sink) and ``compose`` (``generate()``, the entry point).
"""

from warehouse.samples.columns import (
    ASSESSMENT_COLUMNS,
    AUDIT_COLUMNS,
    INSPECTION_COLUMNS,
    PETITION_COLUMNS,
    POST_HISTORY_COLUMNS,
    ROSTER_COLUMNS,
    SANCTION_COLUMNS,
    TOLERANCE_COLUMNS,
)
from warehouse.samples.compose import SOURCES_YAML, generate
from warehouse.samples.defects import DEFECTS, CutShort, Defect, Ragged
from warehouse.samples.identifiers import PLANTED_GIVEN
from warehouse.samples.mess import check_char
from warehouse.samples.models import Cadre

__all__ = [
    "ASSESSMENT_COLUMNS",
    "AUDIT_COLUMNS",
    "DEFECTS",
    "INSPECTION_COLUMNS",
    "PETITION_COLUMNS",
    "POST_HISTORY_COLUMNS",
    "PLANTED_GIVEN",
    "ROSTER_COLUMNS",
    "SANCTION_COLUMNS",
    "SOURCES_YAML",
    "TOLERANCE_COLUMNS",
    "Cadre",
    "CutShort",
    "Defect",
    "Ragged",
    "check_char",
    "generate",
]
