"""Text as the guard reads it: the look-alike and invisible characters a user may type undone.

`fold` removes format characters (zero-width space, joiner and non-joiner, soft hyphen, BOM, bidi
marks, variation selectors), applies Unicode NFKC (fullwidth forms, mathematical alphanumerics,
circled and parenthesised numbers, compatibility ideographs) and maps Cyrillic and Greek letters
that look like Latin ones to those. It works on each character with the marks that follow it, so
`origins` can map a position in the folded text back to the text the customer typed.
"""

import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from itertools import filterfalse, repeat

# Format and invisible characters that draw nothing between two letters.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF9, 0xFFFB),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE007F),
    (0xE0100, 0xE01EF),
)
# Cyrillic and Greek letters drawn like Latin ones in common fonts.
_CONFUSABLES = {
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "һ": "h", "ԛ": "q", "ԝ": "w", "ү": "y", "ɡ": "g", "ı": "i",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J", "Ԛ": "Q", "Ԝ": "W", "Һ": "H",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "γ": "y",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}  # fmt: skip
_TABLE: dict[int, str | None] = {
    code: None for low, high in _INVISIBLE_RANGES for code in range(low, high + 1)
}
_TABLE.update({ord(char): latin for char, latin in _CONFUSABLES.items()})

# Fullwidth forms and the ideographic space, as NFKC maps them: Chinese text is then mostly
# NFKC already, and normalizing it whole (the slow step) is skipped.
_TABLE.update({code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)})
_TABLE[0x3000] = " "


def _char_class(codes: list[int]) -> str:
    """A regular-expression class of these code points, as ranges."""
    ranges: list[list[int]] = []
    for code in sorted(codes):
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(
        re.escape(chr(low)) + ("-" + re.escape(chr(high)) if high > low else "")
        for low, high in ranges
    )


# Runs of the characters `_TABLE` changes (translating only those is much faster than
# translating the whole text), and of those it removes.
_FOLDED_RE = re.compile(f"([{_char_class(list(_TABLE))}]+)")
_REMOVED_RE = re.compile(f"[{_char_class([c for c, v in _TABLE.items() if v is None])}]")
# NFKC of a text equals that of its pieces cut before ASCII characters and CJK unified
# ideographs (starters that never compose with what precedes them); pieces of about this many
# characters are normalised alone, so one compatibility character costs no more than its piece.
_BOUNDARY_RE = re.compile("[\x00-\x7f\u4e00-\u9fff]")
_CHUNK = 256

# Numbering a user puts before each word: "1.", "1)", "(1)", "#1", "No. 1", "word 1:", "1st",
# "第1个", and circled numbers (NFKC turns "①" into "1").
_NUMBERING_RE = re.compile(
    # One character first, and no IGNORECASE (cases spelled out, "ſ" as IGNORECASE reads "s"),
    # so the search skips to a candidate in C instead of trying every branch everywhere.
    r"[第wWnN\d#№](?:"
    # "第 9." may be the phrase's own "第" before the number of the next word.
    r"(?<=第)(?:\d{1,2}|\s*\d{1,2}\s*[个個位])[个個位]?(?:单词|單詞|词|詞|字)?\s*[是为為]?|"
    # "word 1", "no. 1", "nr 1", "number #1", not inside a word (the lookbehinds are a \b).
    r"(?<=[wW])(?<!\w.)[oO][rR][dD][sSſ]?\s*\.?\s*#?\s*\d{1,2}\b|"
    r"(?<=[nN])(?<!\w.)(?:[oO]|[rR]|[uU][mM][bB][eE][rR])\s*\.?\s*#?\s*\d{1,2}\b|"
    r"(?<=\d)\d?(?:[sSſ][tT]|[nN][dD]|[rR][dD]|[tT][hH])\b|"
    r"(?<=[#№])\s*\d{1,2}"
    r")"
)


_DIGIT_RE = re.compile(r"\d")


@functools.lru_cache(maxsize=8192)
def _fold_segment(segment: str) -> str:
    return unicodedata.normalize("NFKC", segment.translate(_TABLE)).translate(_TABLE)


def _continues(char: str) -> bool:
    """A combining mark, or a Hangul vowel or final consonant: composed with what precedes."""
    return bool(unicodedata.combining(char)) or "\u1160" <= char <= "\u11ff"


def _segments(text: str) -> list[tuple[int, str]]:
    """(position, characters) of each base character with the marks that follow it."""
    segments: list[tuple[int, str]] = []
    for position, char in enumerate(text):
        if segments and _continues(char):
            segments[-1] = (segments[-1][0], segments[-1][1] + char)
        else:
            segments.append((position, char))
    return segments


def _translated(text: str) -> str:
    """`text.translate(_TABLE)`."""
    pieces = _FOLDED_RE.split(text)
    if len(pieces) == 1:
        return text
    pieces[1::2] = map(str.translate, pieces[1::2], repeat(_TABLE))
    return "".join(pieces)


def _chunks(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of pieces of `text` that NFKC treats apart (see `_BOUNDARY_RE`)."""
    start = 0
    while len(text) - start > _CHUNK:
        boundary = _BOUNDARY_RE.search(text, start + _CHUNK)
        if boundary is None:
            break
        yield start, boundary.start()
        start = boundary.start()
    yield start, len(text)


def _normalized(text: str) -> str:
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text).translate(_TABLE)


def fold(text: str) -> str:
    """The text with invisible characters removed, NFKC applied and look-alikes made Latin."""
    if text.isascii():
        return text
    text = _translated(text)
    # NFKC of the whole text equals that of each character with its marks (`origins` checks).
    if unicodedata.is_normalized("NFKC", text):
        return text
    return "".join(_normalized(text[start:end]) for start, end in _chunks(text))


def origins(text: str) -> Sequence[int]:
    """For each position of `fold(text)` (and its end), the position in `text` it came from."""
    if text.isascii():
        return range(len(text) + 1)
    translated = _translated(text)
    if len(translated) == len(text) and unicodedata.is_normalized("NFKC", translated):
        return range(len(text) + 1)
    positions: list[int] = []
    for start, end in _chunks(text):
        chunk = text[start:end]
        translated = _translated(chunk)
        if not unicodedata.is_normalized("NFKC", translated):
            positions.extend(
                start + position
                for position, segment in _segments(chunk)
                for _ in range(len(_fold_segment(segment)))
            )
        elif len(translated) == len(chunk):
            positions.extend(range(start, end))
        else:
            removed = {start + match.start() for match in _REMOVED_RE.finditer(chunk)}
            positions.extend(filterfalse(removed.__contains__, range(start, end)))
    positions.append(len(text))
    return positions


def numbering_blanked(text: str) -> str:
    """`text` with list numbering turned into spaces, same length, so words read as a run."""
    if not _DIGIT_RE.search(text):
        return text
    return _NUMBERING_RE.sub(lambda match: " " * len(match.group()), text)
