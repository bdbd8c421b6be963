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
from collections.abc import Sequence

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
_FOLDED = frozenset(map(chr, _TABLE))

# Numbering a user puts before each word: "1.", "1)", "(1)", "#1", "No. 1", "word 1:", "1st",
# "第1个", and circled numbers (NFKC turns "①" into "1").
_NUMBERING_RE = re.compile(
    # "第 9." may be the phrase's own "第" before the number of the next word.
    r"第(?:\d{1,2}|\s*\d{1,2}\s*[个個位])[个個位]?(?:单词|單詞|词|詞|字)?\s*[是为為]?|"
    r"\b(?:words?|no|nr|number)\s*\.?\s*#?\s*\d{1,2}\b|"
    r"\d{1,2}(?:st|nd|rd|th)\b|"
    r"[#№]\s*\d{1,2}",
    re.IGNORECASE,
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


def fold(text: str) -> str:
    """The text with invisible characters removed, NFKC applied and look-alikes made Latin."""
    if text.isascii():
        return text
    if not _FOLDED.isdisjoint(text):
        text = text.translate(_TABLE)
    # NFKC of the whole text equals that of each character with its marks (`origins` checks).
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text).translate(_TABLE)
    return text


def origins(text: str) -> Sequence[int]:
    """For each position of `fold(text)` (and its end), the position in `text` it came from."""
    if text.isascii():
        return range(len(text) + 1)
    translated = text.translate(_TABLE)
    if unicodedata.is_normalized("NFKC", translated):
        positions = [p for p, char in enumerate(text) if _TABLE.get(ord(char), char) is not None]
    else:
        positions = [
            position
            for position, segment in _segments(text)
            for _ in range(len(_fold_segment(segment)))
        ]
    positions.append(len(text))
    return positions


def numbering_blanked(text: str) -> str:
    """`text` with list numbering turned into spaces, same length, so words read as a run."""
    if not _DIGIT_RE.search(text):
        return text
    return _NUMBERING_RE.sub(lambda match: " " * len(match.group()), text)
