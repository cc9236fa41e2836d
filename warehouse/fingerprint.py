"""What a stored result depends on besides its input data: the code that computed it.

A table is carried over (a file's rows, a record's link decision) only while the code and rules
that made it are unchanged; the same fingerprint is each asset's Dagster ``code_version``, so the
UI can tell which tables are stale after an upgrade.
"""

import ast
import functools
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


PURE = "transforms"
"""The package of the pure computations: a module's fingerprint covers every module of it that
the module imports, directly or not (:func:`pure_imports`)."""


def _name(module: ModuleType | str) -> str:
    return module.__name__ if isinstance(module, ModuleType) else module


@functools.cache
def _imports(name: str) -> frozenset[str]:
    """The :data:`PURE` modules ``name`` imports itself (read from its source, not imported):
    ``import transforms.x``, ``from transforms.x import …``, ``from transforms import x`` (a
    name that is no module of it is no import of one) and relative imports within it."""
    package = name if module_file(name).name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(module_file(name).read_bytes())):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # from . import x, from .x import y: against the module's package
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([node.module] if node.module else [])])
            if (base == PURE or base.startswith(PURE + ".")) and _is_module(base):
                found.add(base)
                if module_file(base).name == "__init__.py":  # a package: its names may be modules
                    found |= {f"{base}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == PURE}
    return frozenset(n for n in found if _is_module(n))


def _is_module(name: str) -> bool:
    try:
        module_file(name)
    except (ModuleNotFoundError, ValueError):
        return False
    return True


def pure_imports(*modules: ModuleType | str) -> list[str]:
    """``modules`` and every :data:`PURE` module they import, directly or through another, by
    name: what a table computed by them depends on. A hand-kept list of modules misses one
    sooner or later (gold's missed the recognisers its case library is de-identified with)."""
    seen: dict[str, None] = {}
    todo = [_name(m) for m in modules]
    while todo:
        name = todo.pop(0)
        if name not in seen:
            seen[name] = None
            todo += sorted(_imports(name))
    return list(seen)


def code_fingerprint(*modules: ModuleType | str, extra: str = "") -> str:
    """16 hex digits of the SHA-256 of the source files of the modules (modules, or dotted
    names) and of every :data:`PURE` module they import (:func:`pure_imports`), the Polars
    version and ``extra``."""
    digest = hashlib.sha256(extra.encode())
    for name in pure_imports(*modules):
        digest.update(module_file(name).read_bytes())
    digest.update(pl.__version__.encode())
    return digest.hexdigest()[:16]
