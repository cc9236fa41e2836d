"""What a stored result depends on besides its input data: the code that computed it.

A table is carried over (a file's rows, a record's link decision) only while the code and rules
that made it are unchanged; the same fingerprint is each asset's Dagster ``code_version``, so the
UI can tell which tables are stale after an upgrade.
"""

import hashlib
from importlib.util import find_spec
from pathlib import Path
from types import ModuleType

import polars as pl


def module_file(module: ModuleType | str) -> Path:
    """A module's source file; a dotted name is found without importing the module (only its
    packages), so a code version costs no import of what the module imports."""
    if isinstance(module, ModuleType):
        return Path(str(module.__file__))
    spec = find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"no module named {module!r}")
    return Path(spec.origin)


def code_fingerprint(*modules: ModuleType | str, extra: str = "") -> str:
    """16 hex digits of the SHA-256 of the modules' source files (modules, or dotted names), the
    Polars version and ``extra``."""
    digest = hashlib.sha256(extra.encode())
    for module in modules:
        digest.update(module_file(module).read_bytes())
    digest.update(pl.__version__.encode())
    return digest.hexdigest()[:16]
