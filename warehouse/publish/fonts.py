"""The CJK font pages and PDFs use: Noto Sans SC, vendored in ``vendor/fonts`` (OFL-1.1).

A bundle carries a subset holding only the characters its pages use (TrueType, a few hundred KB
instead of 10 MB per weight), so it opens the same on a machine with no Chinese font and no
network. The vendored files are never changed; subsets are made from them at publish time.
"""

import io
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

from warehouse.publish.carry import carry_file

VENDOR = Path(__file__).parent / "vendor" / "fonts"
WEIGHTS = {"Regular": VENDOR / "NotoSansSC-Regular.ttf", "Bold": VENDOR / "NotoSansSC-Bold.ttf"}
LICENCE = VENDOR / "OFL.txt"
FAMILY = "Noto Sans SC"
_ALWAYS = (
    "".join(chr(c) for c in range(0x20, 0x7F)) + "，。：；、（）“”《》—…·／０１２３４５６７８９"
)


def subset_font(source: Path, text: str) -> bytes:
    """TrueType bytes of ``source`` cut to the characters of ``text`` (and printable ASCII)."""
    options = subset.Options()
    options.flavor = None
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    font = TTFont(source, recalcTimestamp=False)  # the same text gives the same bytes
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=font_characters([text]))
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


def subset_name(weight: str) -> str:
    """The file name of a weight's subset (``NotoSansSC-Regular.ttf``), as pages link it."""
    return f"NotoSansSC-{weight}.ttf"


def font_characters(texts: Iterable[str]) -> str:
    """The characters the subsets made for ``texts`` hold, in order (printable ASCII and the
    common punctuation always): equal for two texts, the subsets are the same bytes."""
    return "".join(sorted(set("".join(texts)) | set(_ALWAYS)))


def write_fonts(folder: Path, texts: Iterable[str], earlier: Path | None = None) -> list[Path]:
    """The subset fonts (one per weight) and the licence into ``folder``; the files written.
    ``earlier``: a folder holding subsets made for the same characters (:func:`font_characters`),
    linked instead of made again (a subset of a 10 MB CJK font takes about a second)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "".join(set("".join(texts)))
    written = []
    for weight, source in WEIGHTS.items():
        target = folder / subset_name(weight)
        made = earlier / target.name if earlier is not None else None
        if made is not None and made.is_file():
            carry_file(made, target)
        else:
            target.write_bytes(subset_font(source, text))
        written.append(target)
    licence = folder / "OFL.txt"
    licence.write_bytes(LICENCE.read_bytes())
    written.append(licence)
    return written
