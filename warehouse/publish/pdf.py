"""PDF through WeasyPrint, from the same HTML the pages show (print CSS: A4, headers, page numbers).

WeasyPrint needs the system's Pango. Where Pango cannot be loaded, :func:`unavailable` says why
(once) and publishing goes on without PDFs; nothing else depends on them.
"""

import functools
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PANGO_HINT = (
    "PDFs skipped: WeasyPrint cannot load the Pango library "
    "(install Debian's libpangoft2-1.0-0: apt-get install libpangoft2-1.0-0)"
)


@functools.cache
def unavailable() -> str | None:
    """None when PDFs can be written; otherwise the one sentence that says why not."""
    try:
        import weasyprint  # noqa: F401  (loading it loads Pango through cffi)
    except (OSError, ImportError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        return f"{PANGO_HINT}; the loader said: {first}"
    return None


def write_pdf(html: str, base: Path, target: Path) -> int:
    """Render ``html`` (relative URLs resolve against the folder ``base``) to ``target``.

    Returns the number of pages. Raises RuntimeError naming the reason when PDFs are unavailable.
    """
    reason = unavailable()
    if reason is not None:
        raise RuntimeError(reason)
    import weasyprint

    document = weasyprint.HTML(string=html, base_url=str(base) + "/").render()
    target.parent.mkdir(parents=True, exist_ok=True)
    document.write_pdf(target)
    return len(document.pages)


@contextmanager
def print_fonts(folder: Path) -> Iterator[Path]:
    """A folder (made inside ``folder``, removed after) whose ``assets/`` links the vendored fonts
    whole: a PDF rendered against it (WeasyPrint embeds only the glyphs it uses) depends on its
    own HTML only, not on a subset made for every page of its folder, so one whose HTML did not
    change can be carried over and still equal a fresh render byte for byte."""
    from warehouse.publish import fonts

    base = folder / ".print"
    (base / "assets").mkdir(parents=True)
    try:
        for weight, source in fonts.WEIGHTS.items():
            (base / "assets" / fonts.subset_name(weight)).symlink_to(source.resolve())
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)
