"""Decoding text exports: UTF-8 (with or without BOM) or GB18030, decided per file — and per line
when a GB18030 file holds UTF-8 lines pasted in from another export — and UTF-16/UTF-32, with or
without a BOM."""

import charset_normalizer

from warehouse.sources import SourceError


def decode_text(data: bytes, source: str, file: str) -> tuple[str, str]:
    """Decode an export: BOM first, then UTF-16/UTF-32 by their NUL bytes, then strict UTF-8,
    then GB18030, then a detector's best guess.

    A GB18030 file holding some UTF-8 lines (rows pasted in from another export) is decoded line
    by line: each line in the encoding it was written in, and the encoding says so
    (``gb18030+utf-8:<lines>``), instead of landing those rows as mojibake (陈海 → 闄堟捣).

    Raises:
        SourceError: no encoding reads the bytes cleanly.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    wide = _wide(data, source, file)
    if wide is not None:
        return wide
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text, utf8_lines = _decode_lines(data)
    except UnicodeDecodeError:
        pass
    else:
        return text, f"gb18030+utf-8:{utf8_lines}" if utf8_lines else "gb18030"
    guess = charset_normalizer.from_bytes(data[:200_000]).best()
    if guess is not None and guess.encoding not in ("utf_8", "gb18030"):
        try:
            return data.decode(guess.encoding), guess.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        data.decode("gb18030")
    except UnicodeDecodeError as error:
        problem = (
            f"cannot decode text: not UTF-8 and not GB18030 (bad bytes at offset {error.start})"
        )
        raise SourceError(source, file, problem) from error
    raise AssertionError("unreachable")  # pragma: no cover


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),  # before UTF-16's: it begins with the same two bytes
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _wide(data: bytes, source: str, file: str) -> tuple[str, str] | None:
    """A UTF-16 or UTF-32 export (Excel's "Unicode text", some database tools): by its BOM, or
    without one by its NUL bytes (every ASCII character — commas, digits, line breaks — carries
    one or three); the text and the encoding, or None for a file of 8-bit text.

    Raises:
        SourceError: the file is UTF-16/UTF-32 by its BOM or its NUL bytes, but does not decode.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), encoding
            except UnicodeDecodeError as error:
                problem = (
                    f"file is {encoding.upper()} (by its byte-order mark) but cannot be decoded "
                    f"(bad bytes at offset {error.start + len(bom)})"
                )
                raise SourceError(source, file, problem) from error
    head = data[:65536]
    nuls = head.count(0)
    if nuls < 8 or nuls * 20 < len(head):  # a stray NUL in a UTF-8 field is no wide encoding
        return None
    best: tuple[float, str, str] | None = None
    for encoding in ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        sample = text[:20000]
        ascii_share = sum(1 for c in sample if " " <= c <= "~" or c in "\r\n\t") / len(sample)
        if "\x00" not in text and ascii_share >= 0.2 and (best is None or ascii_share > best[0]):
            best = (ascii_share, text, encoding)
    if best is None:
        try:
            data.decode("utf-8")
            return None  # NUL bytes inside UTF-8 text: read as UTF-8, the NULs removed later
        except UnicodeDecodeError:
            pass
        width = "UTF-32" if head.count(b"\x00\x00\x00") * 8 > len(head) else "UTF-16"
        raise SourceError(
            source, file, f"file is {width} (no byte-order mark) but cannot be decoded as it"
        )
    return best[1], best[2]


def _mostly_cjk(text: str) -> bool:
    """Whether most non-ASCII characters are CJK: true of real Chinese text, false of GB18030
    bytes that happen to be valid UTF-8 (they decode to U+0080–U+07FF: Latin, Greek, Arabic …)."""
    wide = [c for c in text if ord(c) > 0x7F]
    cjk = sum(1 for c in wide if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef")
    return bool(wide) and cjk * 2 >= len(wide)


def _decode_lines(data: bytes) -> tuple[str, int]:
    """A GB18030 file decoded line by line (a newline byte never sits inside a GB18030 or UTF-8
    character): lines that are valid UTF-8 Chinese are taken as UTF-8. The text, and how many."""
    out, utf8 = [], 0
    for line in data.split(b"\n"):
        if line.isascii():
            out.append(line.decode("ascii"))
            continue
        try:
            candidate = line.decode("utf-8")
        except UnicodeDecodeError:
            out.append(line.decode("gb18030"))
            continue
        if _mostly_cjk(candidate):
            out.append(candidate)
            utf8 += 1
        else:
            out.append(line.decode("gb18030"))
    return "\n".join(out), utf8
