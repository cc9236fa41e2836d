"""Small pieces every part of the quality report uses: China Standard Time, atomic writes, slugs."""

import os
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")
"""Readers are in China: every time in the report is China Standard Time, and says so."""


def now_cst() -> str:
    return datetime.now(CST).isoformat(timespec="seconds")


def shown_time(stamp: str) -> str:
    """A stored time as a reader sees it: ``2026-12-01 16:05:03 CST`` (older UTC stamps converted)."""
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        return stamp
    return moment.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S CST")


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def slug(table: str) -> str:
    return table.replace("/", ".")
