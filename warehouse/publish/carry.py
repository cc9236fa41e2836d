"""Outputs rebuilt only for what changed: the fingerprint of what a product (a booklet volume, a
serving table, a scope's bundle) is made from, and carrying a finished file over unchanged.

A fingerprint covers the product's input rows (or the content-addressed versions of the tables it
reads), the plain values it is rendered with (as-of, labels) and :func:`render_version`: the
code, templates and fonts that shape it and the versions of the libraries that write it. A
product whose fingerprint equals the one recorded beside it last time is not rebuilt, and a file
carried into a new folder is hard-linked (no render, no rewrite of its bytes).
"""

import functools
import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import polars as pl

from transforms.publishing import cst_text
from warehouse.fingerprint import code_fingerprint

_HERE = Path(__file__).parent


@functools.cache
def render_version() -> str:
    """16 hex digits over the publishing code, the page shaping, the templates, the vendored
    fonts' names and sizes, and the versions of WeasyPrint, Jinja2, fontTools and openpyxl."""
    from transforms import pages, publishing, scope
    from warehouse.publish import booklet, bundle, excel, fonts, pdf
    from warehouse.publish import pages as render_pages

    extra = hashlib.sha256()
    for path in sorted((_HERE / "templates").rglob("*")):
        if path.is_file():
            extra.update(path.name.encode() + path.read_bytes())
    for path in sorted((_HERE / "vendor").rglob("*")):
        if path.is_file():
            extra.update(f"{path.name}:{path.stat().st_size}".encode())
    for package in ("weasyprint", "jinja2", "fonttools", "openpyxl"):
        try:
            extra.update(f"{package}={metadata.version(package)}".encode())
        except metadata.PackageNotFoundError:
            extra.update(f"{package}=absent".encode())
    modules = (pages, publishing, scope, booklet, bundle, excel, fonts, pdf, render_pages)
    return code_fingerprint(*modules, extra=extra.hexdigest())


def fingerprint(*parts: Any) -> str:
    """16 hex digits of the SHA-256 of ``parts`` as JSON (dates and other values as text)."""
    text = json.dumps(parts, default=str, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def frame_digest(frame: pl.DataFrame, ordered: bool = True) -> str:
    """A digest of a frame's columns, types and rows (as JSON: stable across runs), in order, or
    as a multiset when not ``ordered`` (a frame cut by a join whose row order may vary from one
    process to the next, for pages that sort what they show)."""
    digest = hashlib.sha256(json.dumps(list(map(str, frame.schema.items()))).encode())
    if not ordered:
        lines = sorted(json.dumps(row, default=str, ensure_ascii=False) for row in frame.rows())
        digest.update("\n".join(lines).encode("utf-8"))
        return digest.hexdigest()[:16]
    for start in range(0, frame.height, 50_000):
        chunk = frame.slice(start, 50_000).rows()
        digest.update(json.dumps(chunk, default=str, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()[:16]


def recorded(folder: Path) -> dict[str, Any]:
    """The ``manifest.json`` of a folder published before, or ``{}`` (none, or unreadable)."""
    try:
        loaded = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def carry_file(source: str | Path, target: str | Path) -> None:
    """``source`` into ``target`` as a hard link (the same bytes, nothing rewritten), or copied
    where the file system cannot link. (Also ``shutil.copytree``'s ``copy_function``.)"""
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@dataclass(frozen=True)
class Stamp:
    """The generation time and the as-of date a page shows (生成于 …, 数据截至 …), kept out of
    what the page is made from.

    Pages are rendered with :attr:`token` where the time goes and :attr:`date_token` where the
    as-of date goes; :meth:`key` fingerprints a page without them, and :meth:`fill` puts in the
    time the file is written at and the run's as-of date. A file carried over (its key unchanged)
    keeps the time and the as-of date it was written with, which its folder's manifest records
    beside it: it is that file, made from the same inputs then, and what it says held on its
    date and still holds (a statement that changed with the date changed the page).
    ``as_of`` None: pages show no as-of date but where it is written in."""

    as_of: date | None = None
    token: str = field(default_factory=lambda: f"@@generated-{uuid.uuid4().hex}@@")
    date_token: str = field(default_factory=lambda: f"@@as-of-{uuid.uuid4().hex}@@")

    def key(self, *parts: Any) -> str:
        """:func:`fingerprint` of :func:`render_version` and ``parts``, texts without the tokens."""
        return fingerprint(render_version(), *(
            p.replace(self.token, "").replace(self.date_token, "") if isinstance(p, str) else p
            for p in parts
        ))  # fmt: skip

    def fill(self, text: str, when: datetime) -> str:
        """``text`` with the time ``when`` (:func:`~transforms.publishing.cst_text`) and the
        as-of date shown."""
        return self.dated(text).replace(self.token, cst_text(when))

    def dated(self, text: str) -> str:
        """``text`` with the as-of date shown (a file that is not carried over: a list's Excel)."""
        shown = "" if self.as_of is None else f"{self.as_of:%Y-%m-%d}"
        return text.replace(self.date_token, shown)
