"""Helpers for the publishing tests: is PDF rendering possible here, and every readable text of
a bundle (HTML, CSV, JSON, each xlsx part unzipped, each PDF's text through pdftotext)."""

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from warehouse.publish import pdf

POPPLER = shutil.which("pdftotext") and shutil.which("pdftoppm") and shutil.which("pdffonts")


def need_pdf() -> None:
    """Skip (saying why) where PDFs cannot be made or read back; under CI=true, fail instead."""
    reason = pdf.unavailable()
    if reason is None and not POPPLER:
        reason = (
            "poppler-utils is not installed (apt-get install poppler-utils): PDFs not read back"
        )
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}; .ci/run installs libpangoft2-1.0-0 and poppler-utils")
    pytest.skip(reason)


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return done.stdout.decode("utf-8")


def bundle_texts(folder: Path) -> dict[str, str]:
    """Every file of ``folder`` as text: decoded, unzipped (xlsx) or extracted (PDF); other
    files (fonts) as Latin-1, so that any ASCII key or ID number in them is found too."""
    out: dict[str, str] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = path.relative_to(folder).as_posix()
        if path.suffix in (".html", ".json", ".csv", ".txt"):
            out[name] = path.read_text(encoding="utf-8-sig")
        elif path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                out[name] = "\n".join(book.read(m).decode("utf-8") for m in book.namelist())
        elif path.suffix == ".pdf":
            out[name] = pdf_text(path) if POPPLER else ""
            out[name + " (bytes)"] = path.read_bytes().decode("latin-1")
        else:
            out[name] = path.read_bytes().decode("latin-1")
    return out
