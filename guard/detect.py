"""Detect recovery phrases, private keys and card numbers in customer text before it is kept.

Every entry point that takes text from a customer (ticket form, replies, live chat, e-mail, API)
calls `scan_text` or `contains_secret` before saving or sending anything. Findings carry only a
kind and a position, never the secret itself, and nothing here logs the text.

Recovery phrases (BIP-39, 12/15/18/21/24 words; English, Chinese simplified and traditional lists
from python-mnemonic). Text is cut into tokens: runs of Latin letters, runs of CJK characters.
Tokens are "consecutive" when only separators lie between them (spaces, punctuation, numbering
such as "1." or "#1"); a letter or any other word in between breaks the run. Then:

* English: any window of N consecutive list words, N in {12, 15, 18, 21, 24}, whose BIP-39
  checksum is valid is a phrase. Prose almost never reaches 12 consecutive list words, because
  "I", "my", "the", "to", "is" are not on the list (20 MB of English licence and README text had
  no such run outside file listings), and the checksum then passes 1 window in 16 or fewer.
* A run of 12+ that is laid out as a list (numbered, or comma/newline/tab/dash/slash separated)
  is a phrase even when no checksum holds, so a mistyped word (even one off the list, at most 2)
  does not let a phrase through. A plain space-separated run with no valid checksum passes:
  prose can produce one, while a written-out list does not look like prose.
* Chinese: about 97% of the characters of ordinary Chinese are on the list, so a 12-character
  window inside a longer run passes the 4-bit checksum by chance once in 16 windows. Windows
  are therefore not scanned. A phrase must be a whole delimited run of exactly N list
  characters with a valid checksum: unspaced, between text edges, whitespace, punctuation,
  digits, Latin letters or characters off the list; one character per token, split by
  separators or numbering ("的 一 是", "1.的 2.一"), where the run ends at the first token of
  two or more characters; or equal-size groups split by white space ("的一是 在不了 有和人").
  Trade-off: a phrase glued to list characters on both sides ("助记词是<phrase>请帮我") is missed.
* Chinese also needs a frequency test: the Chinese lists run from common to rare characters, so
  prose mostly uses low indices while a real phrase draws them uniformly. The mean of
  log(index + 30) must reach a floor that all but 1e-4 of random phrases reach (1e-6 for
  characters written one by one, which prose rarely is). Measured: no flags in the seed article
  or hand-written support messages, 6 in 20,000 generated support messages (1.1M characters),
  and 1 in 55 delimited list-only clauses of technical text (man pages).
* Any candidate with more than 3 repeated words is rejected (a random 12-word phrase repeats a
  word with probability ~3%; file listings and spam repeat a lot).

Private keys: WIF (Base58Check, version 0x80/0xef, 51/52 characters) and extended private keys
(xprv, tprv, yprv, zprv, uprv, vprv and the multisig capitals) whose checksum is valid. A 64 (or
128) hex digit value, with or without 0x, has the shape of both a key and a transaction hash, so
the nearest cue word decides: within 40 characters before it (or, failing that, 30 after) a key
word ("private key", "secret", "seed", "私钥", "密钥", ...) makes it a key and a hash word ("tx",
"txid", "transaction", "hash", "交易", "哈希", "public key", "address", ...) makes it a hash. With
no cue nearby, a value typed in a transaction-hash field (`hash_field=True`) is a hash; in free
text it is treated as a key only when the message as a whole mentions a key word and no hash
word, since hashes are far more common in support messages than bare keys.

Card numbers: 13-19 digits, optionally in groups of 3-6 split by single spaces or dashes,
Luhn-valid, with a card IIN prefix and a length the scheme issues. Numbers glued to letters or
longer digit strings, dates and valid 18-digit Chinese resident ID numbers are not cards.
"""

import enum
import functools
import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from mnemonic import Mnemonic

PHRASE_LENGTHS = (12, 15, 18, 21, 24)
_MIN_WORDS = PHRASE_LENGTHS[0]
_CHINESE = ("chinese_simplified", "chinese_traditional")
_MAX_REPEATS = 3
_MAX_NEAR_MISSES = 2
_LIST_LIKE_SHARE = 0.75
# Floors for mean(log(index + 30)) that all but 1e-4 (strict) or 1e-6 (lists) of random phrases
# reach, computed exactly by convolving the per-word distribution.
_STRICT_FLOOR = {12: 5.60, 15: 5.73, 18: 5.83, 21: 5.90, 24: 5.95}
_LIST_FLOOR = {12: 5.25, 15: 5.42, 18: 5.55, 21: 5.64, 24: 5.72}
_FREQUENCY_OFFSET = 30

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LATIN_RE = re.compile(r"[A-Za-z\uff21-\uff3a\uff41-\uff5a]+")  # with fullwidth letters
_CJK_RE = re.compile(rf"[{_CJK}]+")
_LETTER_RE = re.compile(r"[^\W\d_]")
_MAX_GAP = 24
_MAX_GROUP = 6
# \uff0c \uff1b \uff1a \uff09 \uff0e: fullwidth comma, semicolon, colon, parenthesis, stop.
_NUMBERING_RE = re.compile(r"(?<!\d)\d{1,3}\s*[.)\]:\u3001\uff09\uff0e\uff1a\-]?\s*$")
_LIST_SEPARATOR_RE = re.compile(r"[,;|/\n\t\-\u2013\u2014\u3001\uff0c\uff1b]")

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58 = "1-9A-HJ-NP-Za-km-z"
# Keys are whole runs of ASCII letters and digits, at least as long as a WIF key.
_LONG_WORD_RE = re.compile(r"[0-9A-Za-z]{51,}")
_WIF_RE = re.compile(rf"[5KL9c][{_B58}]{{50,51}}")
_EXTENDED_KEY_RE = re.compile(rf"[xtyzuvYZUV]prv[{_B58}]{{100,110}}")
_HEX_RE = re.compile(r"(?:0[xX])?(?:[0-9a-fA-F]{128}|[0-9a-fA-F]{64})")
_HEX_CUE_RE = re.compile(
    r"(?P<hash>public[\s_-]*key|pub[\s_-]*key|xpub|公钥|"
    r"(?<![a-z])t(?:x|rx|xn)(?![a-z])|txid|tx[\s_-]*(?:hash|id)|transaction|hash|交易|哈希|"
    r"区块|\bblock|address|地址|转账|订单)|"
    r"(?P<key>priv(?:ate)?[\s_-]*key|privkey|secret|seed|\bkeys?\b|私钥|密钥|秘钥|私匙|密匙|种子)",
    re.IGNORECASE,
)
_HEX_CUE_BEFORE = 40
_HEX_CUE_AFTER = 30
_CARD_RE = re.compile(r"[0-9\uff10-\uff19]+(?:[ \-\u3000][0-9\uff10-\uff19]+)*")  # fullwidth too
_CARD_SPLIT_RE = re.compile(r"[ \-\u3000]")


class SecretKind(enum.StrEnum):
    """The kinds of secret the guard refuses."""

    RECOVERY_PHRASE = "recovery_phrase"
    PRIVATE_KEY = "private_key"
    CARD_NUMBER = "card_number"


@dataclass(frozen=True)
class Finding:
    """Where a secret was found; holds no part of the secret."""

    kind: SecretKind
    start: int
    end: int


def scan_text(text: str, *, hash_field: bool = False) -> list[Finding]:
    """All secrets found in text; hash_field=True: typed in a tx-hash field (bare 64-hex = hash)."""
    spans: dict[SecretKind, list[tuple[int, int]]] = {
        SecretKind.RECOVERY_PHRASE: list(_phrase_spans(text)),
        SecretKind.PRIVATE_KEY: list(_key_spans(text, hash_field=hash_field)),
        SecretKind.CARD_NUMBER: list(_card_spans(text)),
    }
    findings = [
        Finding(kind, start, end) for kind, found in spans.items() for start, end in _merge(found)
    ]
    return sorted(findings, key=lambda f: (f.start, f.end))


def contains_secret(text: str, *, hash_field: bool = False) -> SecretKind | None:
    """The first kind of secret found, or None."""
    findings = scan_text(text, hash_field=hash_field)
    return findings[0].kind if findings else None


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# Recovery phrases ---------------------------------------------------------------------------


@functools.cache
def _word_index(language: str) -> dict[str, int]:
    return {word: i for i, word in enumerate(Mnemonic(language).wordlist)}


@functools.cache
def _english_near_forms() -> tuple[frozenset[str], frozenset[str]]:
    words = _word_index("english")
    prefixes = frozenset(word[:4] for word in words)
    deletions = frozenset(word[:i] + word[i + 1 :] for word in words for i in range(len(word)))
    return prefixes, deletions


@functools.cache
def _frequency_log() -> tuple[float, ...]:
    return tuple(math.log(i + _FREQUENCY_OFFSET) for i in range(2048))


@functools.lru_cache(maxsize=4096)
def _near_english(word: str) -> bool:
    """A likely typo of a list word: same first four letters, or one letter added or missing."""
    if len(word) < 3:
        return False
    prefixes, deletions = _english_near_forms()
    if len(word) >= 4 and word[:4] in prefixes:
        return True
    words = _word_index("english")
    return word in deletions or any(
        word[:i] + word[i + 1 :] in words or word[:i] + word[i + 1 :] in deletions
        for i in range(len(word))
    )


def _checksum_ok(indices: Sequence[int]) -> bool:
    """BIP-39 checksum: the first len/3 bits of sha256(entropy) end the word bits."""
    value = 0
    for index in indices:
        value = (value << 11) | index
    checksum_bits = len(indices) // 3
    entropy = (value >> checksum_bits).to_bytes(len(indices) * 4 // 3, "big")
    expected = hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
    return expected == value & ((1 << checksum_bits) - 1)


def _random_enough(indices: Sequence[int], *, strict: bool) -> bool:
    """Chinese lists run from common to rare characters; prose leans on the common ones."""
    floors = _STRICT_FLOOR if strict else _LIST_FLOOR
    floor = floors[max(n for n in PHRASE_LENGTHS if n <= max(len(indices), _MIN_WORDS))]
    logs = _frequency_log()
    return sum(logs[i] for i in indices) / len(indices) >= floor


def _plausible(indices: Sequence[int], language: str, *, strict: bool = False) -> bool:
    if len(indices) - len(set(indices)) > _MAX_REPEATS:
        return False
    return language == "english" or _random_enough(indices, strict=strict)


def _is_phrase(indices: Sequence[int], language: str, *, strict: bool = False) -> bool:
    return _plausible(indices, language, strict=strict) and _checksum_ok(indices)


class _Unit(NamedTuple):
    start: int
    end: int
    index: int | None  # None: a near miss of a list word
    lead_from: int  # where the separator text before the unit starts


def _joinable(text: str, start: int, end: int) -> bool:
    """Only separators (spaces, punctuation, numbering) between two tokens."""
    if end - start == 1 and text[start] == " ":
        return True
    return 0 < end - start <= _MAX_GAP and not _LETTER_RE.search(text, start, end)


def _list_like(text: str, units: Sequence[_Unit]) -> bool:
    """Numbered, or split by commas/newlines/tabs/dashes/slashes rather than sentence spaces."""
    leads = [text[max(unit.lead_from, unit.start - _MAX_GAP) : unit.start] for unit in units]
    numbered = sum(bool(_NUMBERING_RE.search(lead)) for lead in leads)
    separated = sum(bool(_LIST_SEPARATOR_RE.search(lead)) for lead in leads[1:])
    enough = _LIST_LIKE_SHARE * (len(units) - 1)
    return numbered >= enough or separated >= enough


def _unit_spans(
    text: str, units: Sequence[_Unit], language: str, *, windows: bool
) -> Iterator[tuple[int, int]]:
    """Phrases among runs of list words, or the whole run when it is a written-out list."""
    if len(units) < _MIN_WORDS:
        return
    i = 0
    while i < len(units):
        j = i
        while j < len(units) and units[j].index is not None:
            j += 1
        indices = [unit.index for unit in units[i:j] if unit.index is not None]
        for offset, length in _phrase_windows(indices, language, windows=windows):
            yield units[i + offset].start, units[i + offset + length - 1].end
        i = j + 1
    known = [unit.index for unit in units if unit.index is not None]
    if (
        len(units) - len(known) <= _MAX_NEAR_MISSES
        and _plausible(known, language)
        and _list_like(text, units)
    ):
        yield units[0].start, units[-1].end


def _phrase_windows(
    indices: Sequence[int], language: str, *, windows: bool
) -> Iterator[tuple[int, int]]:
    """(offset, length) of phrases: any checksum-valid window, or only the whole run."""
    if not windows:
        if len(indices) in PHRASE_LENGTHS and _is_phrase(indices, language):
            yield 0, len(indices)
        return
    start = 0
    while start + _MIN_WORDS <= len(indices):
        lengths = [
            n
            for n in PHRASE_LENGTHS
            if start + n <= len(indices) and _is_phrase(indices[start : start + n], language)
        ]
        # Windows starting inside a phrase would only be merged into it.
        start += lengths[-1] if lengths else 1
        if lengths:
            yield start - lengths[-1], lengths[-1]


def _english_spans(text: str) -> Iterator[tuple[int, int]]:
    """Runs of consecutive English list words (and near misses), as windows and lists."""
    words = _word_index("english")
    run: list[tuple[int, int, int | None, int]] = []
    previous_end = 0
    for match in _LATIN_RE.finditer(text):
        start, end = match.span()
        word = match.group().lower()
        if not word.isascii():
            word = unicodedata.normalize("NFKC", word)
        index = words.get(word)
        if index is None and not _near_english(word):
            if len(run) >= _MIN_WORDS:
                yield from _unit_spans(text, [_Unit(*u) for u in run], "english", windows=True)
            run = []
        else:
            if run and not _joinable(text, previous_end, start):
                if len(run) >= _MIN_WORDS:
                    units = [_Unit(*u) for u in run]
                    yield from _unit_spans(text, units, "english", windows=True)
                run = []
            run.append((start, end, index, previous_end))
        previous_end = end
    if len(run) >= _MIN_WORDS:
        yield from _unit_spans(text, [_Unit(*u) for u in run], "english", windows=True)


def _chinese_spans(text: str) -> Iterator[tuple[int, int]]:
    """Separated single characters, equal-size groups, and delimited unspaced runs."""
    for language in _CHINESE:
        for match in _delimited_run_re(language).finditer(text):
            if len(match.group()) in PHRASE_LENGTHS:
                index = _word_index(language)
                indices = [index[char] for char in match.group()]
                if _is_phrase(indices, language, strict=True):
                    yield match.span()
    singles: list[re.Match[str]] = []
    groups: list[re.Match[str]] = []
    previous_end = 0
    for match in _CJK_RE.finditer(text):
        size = match.end() - match.start()
        if size == 1:
            gap = text[previous_end : match.start()]
            # A single character may be the short last group ("的一是在 不了有和 人").
            last = [match] if groups and gap.isspace() and len(gap) <= _MAX_GAP else []
            yield from _grouped_spans([*groups, *last])
            groups = []
            if singles and not _joinable(text, previous_end, match.start()):
                yield from _separated_spans(text, singles)
                singles = []
            singles.append(match)
        else:
            yield from _separated_spans(text, singles)
            singles = []
            # Groups are split by white space only: other punctuation marks clauses of prose.
            gap = text[previous_end : match.start()]
            if groups and not (size <= _MAX_GROUP and gap.isspace() and len(gap) <= _MAX_GAP):
                yield from _grouped_spans(groups)
                groups = []
            if size <= _MAX_GROUP:
                groups.append(match)
        previous_end = match.end()
    yield from _separated_spans(text, singles)
    yield from _grouped_spans(groups)


@functools.cache
def _delimited_run_re(language: str) -> re.Pattern[str]:
    chars = "".join(_word_index(language))
    return re.compile(rf"(?<![{chars}])[{chars}]{{12,24}}(?![{chars}])")


def _separated_spans(text: str, singles: Sequence[re.Match[str]]) -> Iterator[tuple[int, int]]:
    """One character per token, split by spaces, commas, new lines or numbering."""
    if len(singles) < _MIN_WORDS:
        return
    for language in _CHINESE:
        index = _word_index(language)
        units = [
            _Unit(match.start(), match.end(), index.get(match.group()), previous.end())
            for previous, match in zip([singles[0], *singles], singles, strict=False)
        ]
        # Like unspaced text, only whole runs count: spaced-out Chinese prose exists.
        yield from _unit_spans(text, units, language, windows=False)


def _grouped_spans(groups: Sequence[re.Match[str]]) -> Iterator[tuple[int, int]]:
    """Equal-size groups ("的一是 在不了 ...", last one may be shorter) read as one run."""
    start = 0
    while start < len(groups) - 1:
        size = len(groups[start].group())
        end = start + 1
        while end < len(groups) and len(groups[end].group()) == size:
            end += 1
        if end < len(groups) and len(groups[end].group()) < size:
            end += 1
        chars = "".join(group.group() for group in groups[start:end])
        if end - start > 1 and size <= _MAX_GROUP and len(chars) in PHRASE_LENGTHS:
            for language in _CHINESE:
                index = _word_index(language)
                indices = [index[char] for char in chars if char in index]
                if len(indices) == len(chars) and _is_phrase(indices, language, strict=True):
                    yield groups[start].start(), groups[end - 1].end()
        start = end


def _phrase_spans(text: str) -> Iterator[tuple[int, int]]:
    yield from _english_spans(text)
    yield from _chinese_spans(text)


# Private keys -------------------------------------------------------------------------------


def _b58check_payload(encoded: str) -> bytes | None:
    """The payload of a Base58Check string, or None when the checksum is wrong."""
    value = 0
    for char in encoded:
        value = value * 58 + _B58_ALPHABET.index(char)
    leading = len(encoded) - len(encoded.lstrip("1"))
    raw = b"\x00" * leading + value.to_bytes((value.bit_length() + 7) // 8, "big")
    payload, checksum = raw[:-4], raw[-4:]
    if len(raw) < 5 or hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] != checksum:
        return None
    return payload


def _is_wif(encoded: str) -> bool:
    payload = _b58check_payload(encoded)
    if payload is None or payload[0] not in (0x80, 0xEF):
        return False
    return len(payload) == 33 or (len(payload) == 34 and payload[33] == 0x01)


def _is_extended_private_key(encoded: str) -> bool:
    payload = _b58check_payload(encoded)
    # 4 version, 1 depth, 4 fingerprint, 4 child, 32 chain code, then 0x00 + 32-byte key.
    return payload is not None and len(payload) == 78 and payload[45] == 0


def _hex_is_key(text: str, start: int, end: int, *, hash_field: bool) -> bool:
    """Nearest cue word decides; see the module docstring for the rule without one."""
    before = list(_HEX_CUE_RE.finditer(text, max(0, start - _HEX_CUE_BEFORE), start))
    if before:
        return before[-1].lastgroup == "key"
    after = _HEX_CUE_RE.search(text, end, end + _HEX_CUE_AFTER)
    if after:
        return after.lastgroup == "key"
    if hash_field:
        return False
    cues = {cue.lastgroup for cue in _HEX_CUE_RE.finditer(text)}
    return cues == {"key"}


def _key_spans(text: str, *, hash_field: bool) -> Iterator[tuple[int, int]]:
    for match in _LONG_WORD_RE.finditer(text):
        word = match.group()
        if _WIF_RE.fullmatch(word):
            found = _is_wif(word)
        elif _EXTENDED_KEY_RE.fullmatch(word):
            found = _is_extended_private_key(word)
        elif _HEX_RE.fullmatch(word):
            found = _hex_is_key(text, match.start(), match.end(), hash_field=hash_field)
        else:
            found = False
        if found:
            yield match.span()


# Card numbers -------------------------------------------------------------------------------


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _card_scheme_ok(digits: str) -> bool:
    """An IIN prefix some scheme issues, at a length that scheme uses."""
    length = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    if digits[0] == "4":  # Visa
        return length in (13, 16, 19)
    if 51 <= two <= 55 or 2221 <= four <= 2720:  # Mastercard
        return length == 16
    if two in (34, 37):  # American Express
        return length == 15
    if 2200 <= four <= 2204:  # Mir
        return 16 <= length <= 19
    if two == 62 or two == 81:  # UnionPay
        return 16 <= length <= 19
    if four == 6011 or two == 65 or 644 <= int(digits[:3]) <= 649:  # Discover
        return 16 <= length <= 19
    if 3528 <= four <= 3589:  # JCB
        return 16 <= length <= 19
    if two in (36, 38, 39) or 300 <= int(digits[:3]) <= 305:  # Diners Club
        return 14 <= length <= 19
    if four in (5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763):  # Maestro
        return 12 <= length <= 19
    return False


def _chinese_resident_id(digits: str) -> bool:
    """An 18-digit PRC resident ID (ISO 7064 MOD 11-2 check digit, plausible birth date)."""
    if len(digits) != 18 or not ("1900" <= digits[6:10] <= "2099"):
        return False
    if not ("01" <= digits[10:12] <= "12" and "01" <= digits[12:14] <= "31"):
        return False
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=False))
    return "10X98765432"[total % 11] == digits[17]


def _is_card(digits: str) -> bool:
    return (
        13 <= len(digits) <= 19
        and _card_scheme_ok(digits)
        and _luhn_ok(digits)
        and not _chinese_resident_id(digits)
    )


def _card_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _CARD_RE.finditer(text):
        if len(match.group()) < 13:
            continue
        groups, offsets = [], []
        position = match.start()
        for group in _CARD_SPLIT_RE.split(match.group()):
            groups.append(group if group.isascii() else unicodedata.normalize("NFKC", group))
            offsets.append(position)
            position += len(group) + 1
        first = 1 if _glued(text, match.start() - 1) else 0
        last = len(groups) - 1 if _glued(text, match.end()) else len(groups)
        yield from _card_candidates(groups[first:last], offsets[first:last])


def _glued(text: str, position: int) -> bool:
    return 0 <= position < len(text) and text[position].isascii() and text[position].isalnum()


def _card_candidates(groups: Sequence[str], offsets: Sequence[int]) -> Iterator[tuple[int, int]]:
    """Contiguous digit groups that spell a card; groups of 3-6 unless written as one block."""
    i = 0
    while i < len(groups):
        best = None
        for j in range(i, len(groups)):
            if j > i and not all(3 <= len(group) <= 6 for group in groups[i : j + 1]):
                break
            digits = "".join(groups[i : j + 1])
            if len(digits) > 19:
                break
            if _is_card(digits):
                best = j
        if best is None:
            i += 1
        else:
            yield offsets[i], offsets[best] + len(groups[best])
            i = best + 1
