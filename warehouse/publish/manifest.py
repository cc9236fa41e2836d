"""``manifest.json``: what a folder handed over holds and from which data, verifiable.

Every file is listed with its size and SHA-256; the recipient runs :func:`verify` (or
``dajiandu verify DIR``) to learn whether anything was changed, added or removed since.
"""

import hashlib
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def write_manifest(
    folder: Path, meta: dict[str, Any], made: dict[str, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Write ``folder/manifest.json``: ``meta`` plus every file (path, bytes, sha256, and what
    ``made`` says of it: what it was made from, when)."""
    made = made or {}
    files = []
    for p in _files(folder):
        name = p.relative_to(folder).as_posix()
        entry = {"path": name, "bytes": p.stat().st_size, "sha256": _sha256(p)}
        files.append({**entry, **made.get(name, {})})
    body = {**meta, "files": files}
    (folder / MANIFEST).write_text(
        json.dumps(body, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return files


def intact(folder: Path) -> list[dict[str, Any]]:
    """The entries of ``folder``'s manifest whose file is there with the bytes listed (none when
    there is no readable manifest)."""
    try:
        listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [
        f for f in listed
        if isinstance(f, dict) and isinstance(f.get("path"), str)
        and (folder / f["path"]).is_file() and _sha256(folder / f["path"]) == f.get("sha256")
    ]  # fmt: skip


def verify(folder: Path) -> list[str]:
    """What differs between ``folder`` and its manifest; an empty list when nothing does."""
    path = folder / MANIFEST
    if not path.is_file():
        return [f"{folder}: no {MANIFEST}"]
    try:
        listed = {f["path"]: f for f in json.loads(path.read_text(encoding="utf-8"))["files"]}
    except (ValueError, KeyError, TypeError) as error:
        return [f"{path}: not a readable manifest ({error})"]
    present = {p.relative_to(folder).as_posix(): p for p in _files(folder)}
    problems = [f"missing: {name}" for name in sorted(set(listed) - set(present))]
    problems += [f"not in the manifest: {name}" for name in sorted(set(present) - set(listed))]
    for name in sorted(set(listed) & set(present)):
        if _sha256(present[name]) != listed[name]["sha256"]:
            problems.append(f"changed: {name} (SHA-256 differs)")
    return problems


def swap_in(staging: Path, target: Path) -> None:
    """Put the finished folder ``staging`` where ``target`` is, with renames; the old one is
    removed last, so a failure before this leaves the previous folder as it was."""
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
