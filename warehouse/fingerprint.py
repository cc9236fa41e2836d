"""What a stored result depends on besides its input data: the code that computed it.

A table is carried over (a file's rows, a record's link decision) only while the code and rules
that made it are unchanged; the same fingerprint is each asset's Dagster ``code_version``, so the
UI can tell which tables are stale after an upgrade.
"""

import hashlib
from pathlib import Path
from types import ModuleType

import polars as pl


def code_fingerprint(*modules: ModuleType, extra: str = "") -> str:
    """16 hex digits of the SHA-256 of the modules' source files, the Polars version and ``extra``."""
    digest = hashlib.sha256(extra.encode())
    for module in modules:
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(pl.__version__.encode())
    return digest.hexdigest()[:16]
