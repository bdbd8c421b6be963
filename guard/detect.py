"""Detect recovery phrases, private keys and card numbers in customer text before it is kept.

Every entry point that takes text from a customer (ticket form, replies, live chat, e-mail, API)
calls `scan_text`, `scan_conversation` or `contains_secret` before saving or sending anything.
Findings carry only a kind and a position, never the secret itself, and nothing here logs the
text. Text is read folded first (guard.text): NFKC (fullwidth, mathematical bold letters, circled
numbers), zero-width characters, soft hyphens and bidi marks removed, Cyrillic and Greek
look-alike letters made Latin; positions are mapped back to the text as typed.

`scan_conversation` reads a sender's last messages (RECENT_MESSAGES of them) with the new one, so
a phrase split across two chat messages, or a key cut in two, is found when it is completed; it
reports only what reaches into the newest message.

Recovery phrases, in every word list python-mnemonic ships (English, Chinese simplified and
traditional, Japanese, Korean, Spanish, French, Italian, Czech, Portuguese, Russian, Turkish),
numbered any way ("1.", "1)", "(1)", "#1", "①", "第1个", "word 1:", "1st" are blanked first):

* Words written with spaces: a run of list words with only separators between them, of which
  at least 10 are list words and at most 2 are near misses (a typo: same first four letters, one
  letter added, missing or changed), so a phrase with up to two words wrong or missing is still
  a run. It is a phrase when a window of 12-24 words has a valid BIP-39 checksum, or when it is
  laid out as a list (commas, lines, numbering), or when its words are as rare as words drawn at
  random: prose leans on a language's frequent words, and the mean log frequency rank of the
  run's words (ranks from real text, guard.language_model) must reach a floor that all but 1e-4
  of random phrases reach.
* Chinese, glued to prose or not ("我的助记词是<phrase>请帮我找回"): every window of 10-12
  characters is scored by a log-likelihood ratio of prose against characters drawn at random
  from the list: character frequencies and whether each pair of neighbours occurs in real
  Chinese (pairs from translation catalogues and a word-frequency dictionary). A window scoring
  like random draws, with at least 10 characters of one list and none that only the other list
  has (a phrase is written in one script; simplified prose run into traditional prose mixes
  them), is a phrase; 12-character windows use the
  threshold that all but 1e-4 of random windows stay below, 10 and 11 (one or two characters
  missing) the stricter one all but 1e-2 stay below. White space joins groups ("的一是 在不了");
  other punctuation joins single characters only, so clauses and hyphenated names are not read
  as one run. A whole delimited run of 12-24 list characters with a valid checksum that does not
  score as prose is a phrase too.
* More than 3 repeated words: not a phrase (file listings and spam repeat a lot).

Private keys: WIF (Base58Check, version 0x80/0xef, 51/52 characters), extended private keys
(xprv, tprv, yprv, zprv, uprv, vprv and the multisig capitals) whose checksum is valid, Solana
secret keys (base58 of 64 bytes, or the CLI's keypair file: a JSON array of 64 numbers) whose
second half is the ed25519 public key of the first, and any of these cut by single spaces or new
lines. A 64 (or 128) hex digit value, with or without 0x, has the shape of both a key and a
transaction hash, so the nearest cue word decides: within 40 characters before it (or, failing
that, 30 after) a key word ("private key", "secret", "seed", "私钥", "密钥", ...) makes it a key
and a hash word ("tx", "txid", "transaction", "hash", "交易", "哈希", "public key", "address",
...) makes it a hash. With no cue nearby, a value typed in a transaction-hash field
(`hash_field=True`) is a hash; in free text it is treated as a key only when the message as a
whole mentions a key word and no hash word.

Card numbers: 13-19 digits, optionally in groups of 3-6 split by single spaces, dashes or dots,
Luhn-valid, with a card IIN prefix and a length the scheme issues. Numbers glued to letters or
longer digit strings, dates and valid 18-digit Chinese resident ID numbers are not cards.

What it cannot catch, honestly:

* A phrase with three or more words wrong or missing, or broken into pieces of fewer than ten
  list words by other words ("abandon, then ability, then ..."), or in a word list python-mnemonic
  does not ship; words written in another script than their list's (romaji, pinyin).
* By design a small share of real phrases scores like prose: a plain space-separated phrase with
  a wrong word whose words happen to be common (about 1e-4), a Chinese phrase with one or two
  characters missing (about 1e-2). An exact phrase (valid checksum) is always caught.
* A key in another encoding (a 32-byte seed alone in base58 or base64, a Solana key without its
  public half, a hex key with no cue word among hash-like text), an encrypted keystore file, a
  key or phrase split across more than RECENT_MESSAGES + 1 messages, across chat sockets (the
  chat keeps its last texts per socket), or written in an image.
* A Chinese phrase with a character written in the other script (a simplified phrase with one
  traditional character): its windows are read in neither list.
* Prose the language model has not seen can score like a phrase (transliterated names and
  technical jargon come closest): held-out texts run together into long pastes of region names
  ("马圭省维多利亚州伊泽尔省") are refused most; docs/benchmarks.md gives the false-alarm rates
  measured on held-out real text, alone, as chat messages and run together.
"""

import bisect
import enum
import functools
import hashlib
import json
import math
import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, pairwise

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from mnemonic import Mnemonic

from guard import language_model
from guard.text import fold, numbering_blanked, origins

PHRASE_LENGTHS = (12, 15, 18, 21, 24)
# How many of a sender's previous messages a conversation's guard reads with the new one.
RECENT_MESSAGES = 3
_MIN_WORDS = PHRASE_LENGTHS[0]
# A phrase with up to two words wrong (off the list) or missing still holds 10 list words.
_MIN_KNOWN = _MIN_WORDS - 2
_MAX_NEAR_MISSES = 2
_MAX_REPEATS = 3
_LIST_LIKE_SHARE = 0.75
_CHINESE = ("chinese_simplified", "chinese_traditional")
_LATIN_SCRIPT = ("english", "spanish", "french", "italian", "czech", "portuguese", "turkish")
_SPACED = (*_LATIN_SCRIPT, "japanese", "korean", "russian")
_WINDOWS = (10, 11, 12)
_BARRIER = 1e6
# Between a sender's messages read together (scan_conversation): white space, but remembered.
_MESSAGE_BREAK = "\u2029"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD_RE = re.compile(rf"[^\W\d_{_CJK}]+")  # words of the lists written with spaces
_CJK_SPLIT_RE = re.compile(rf"([{_CJK}]+)")
_LETTER_RE = re.compile(r"[^\W\d_]")
_MAX_GAP = 24
_CANDIDATE_RE = re.compile(rb"\x01(?:\x00{0,2}\x01){%d,}" % (_MIN_KNOWN - 1))
_LIST_SEPARATOR_RE = re.compile(r"[,;|/\n\t\-\u2013\u2014\u3001\uff0c\uff1b]")

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_VALUES = {char: value for value, char in enumerate(_B58_ALPHABET)}
_B58 = "1-9A-HJ-NP-Za-km-z"
# Keys are whole runs of ASCII letters and digits, at least as long as a WIF key.
_LONG_WORD_RE = re.compile(r"[0-9A-Za-z]{51,}")
_WIF_RE = re.compile(rf"[5KL9c][{_B58}]{{50,51}}")
_EXTENDED_KEY_RE = re.compile(rf"[xtyzuvYZUV]prv[{_B58}]{{100,110}}")
_SOLANA_RE = re.compile(rf"[{_B58}]{{85,88}}")
_HEX_RE = re.compile(r"(?:0[xX])?(?:[0-9a-fA-F]{128}|[0-9a-fA-F]{64})")
# A key split by white space: pieces of 4+ characters, one space, tab or new line apart. (The
# pattern starts with a character, not the lookbehind, so the search skips to one in C.)
_SPLIT_KEY_RE = re.compile(
    r"[0-9A-Za-z](?<![0-9A-Za-z].)[0-9A-Za-z]{3,}(?:[ \t\n\u2029][0-9A-Za-z]{4,}){1,24}"
)
_DIGIT_RE = re.compile(r"[0-9]")
_SPLIT_KEY_LENGTHS = frozenset((51, 52, 64, 66, 85, 86, 87, 88, 111, 112, 128, 130))
_BYTE_ARRAY_RE = re.compile(r"\[\s*(?:\d{1,3}\s*,\s*){63}\d{1,3}\s*\]")
_HEX_CUE_RE = re.compile(
    r"(?P<hash>public[\s_-]*key|pub[\s_-]*key|xpub|公钥|"
    r"(?<![a-z])t(?:x|rx|xn)(?![a-z])|txid|tx[\s_-]*(?:hash|id)|transaction|hash|交易|哈希|"
    r"区块|\bblock|address|地址|转账|订单)|"
    r"(?P<key>priv(?:ate)?[\s_-]*key|privkey|secret|seed|\bkeys?\b|私钥|密钥|秘钥|私匙|密匙|种子)",
    re.IGNORECASE,
)
_HEX_CUE_BEFORE = 40
_HEX_CUE_AFTER = 30
_CARD_RE = re.compile(r"[0-9]+(?:[ \-.][0-9]+)*")
_CARD_SPLIT_RE = re.compile(r"[ \-.]")


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
    folded = fold(text)
    spans: dict[SecretKind, list[tuple[int, int]]] = {
        SecretKind.RECOVERY_PHRASE: list(_phrase_spans(numbering_blanked(folded))),
        SecretKind.PRIVATE_KEY: list(_key_spans(folded, hash_field=hash_field)),
        SecretKind.CARD_NUMBER: list(_card_spans(folded)),
    }
    if not any(spans.values()):
        return []
    positions = origins(text)
    if len(positions) != len(folded) + 1:  # NFKC of the whole text differed: report it all
        positions = [0] * len(folded) + [len(text)]
    findings = [
        Finding(kind, positions[start], max(positions[end - 1] + 1, positions[start] + 1))
        for kind, found in spans.items()
        for start, end in _merge(found)
    ]
    return sorted(findings, key=lambda f: (f.start, f.end))


def contains_secret(text: str, *, hash_field: bool = False) -> SecretKind | None:
    """The first kind of secret found, or None."""
    findings = scan_text(text, hash_field=hash_field)
    return findings[0].kind if findings else None


def scan_conversation(texts: Sequence[str], *, hash_field: bool = False) -> list[Finding]:
    """Secrets in the newest of `texts` (a sender's last messages, oldest first), read alone and
    together with the ones before it, so a phrase or key split across messages is found.
    Positions are in the newest text; a secret wholly in an earlier text is not reported again."""
    if not texts:
        return []
    newest = texts[-1]
    earlier = _MESSAGE_BREAK.join(texts[:-1])
    if not earlier:
        return scan_text(newest, hash_field=hash_field)
    offset = len(earlier) + 1
    findings = []
    for finding in scan_text(f"{earlier}{_MESSAGE_BREAK}{newest}", hash_field=hash_field):
        if finding.end > offset:
            findings.append(
                Finding(finding.kind, max(finding.start - offset, 0), finding.end - offset)
            )
    return findings


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# Recovery phrases ---------------------------------------------------------------------------


def _strip_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _typed_form(word: str) -> str:
    return fold(unicodedata.normalize("NFKC", word)).lower()


@functools.cache
def _lexicon() -> tuple[dict[str, dict[str, int]], dict[str, int], dict[str, int]]:
    """Word -> {language: index}; and near-miss forms -> bitmask of languages."""
    exact: dict[str, dict[str, int]] = {}
    prefixes: dict[str, int] = {}
    deletions: dict[str, int] = {}
    for bit, language in enumerate(_SPACED):
        for index, word in enumerate(Mnemonic(language).wordlist):
            form = _typed_form(word)
            forms = {form}
            if language in _LATIN_SCRIPT:
                forms.add(_strip_accents(form))
            for typed in forms:
                exact.setdefault(typed, {}).setdefault(language, index)
                if language in _LATIN_SCRIPT and len(typed) >= 4:
                    prefixes[typed[:4]] = prefixes.get(typed[:4], 0) | 1 << bit
                for i in range(len(typed)):
                    shorter = typed[:i] + typed[i + 1 :]
                    deletions[shorter] = deletions.get(shorter, 0) | 1 << bit
    return exact, prefixes, deletions


@functools.lru_cache(maxsize=8192)
def _near_languages(word: str) -> int:
    """Languages for which `word` is a likely typo of a list word: the same first four letters,
    or one letter added, missing or changed."""
    if len(word) < (3 if word.isascii() else 2):
        return 0
    exact, prefixes, deletions = _lexicon()
    if len(word) == 3 and word.isascii():  # one letter changed only: "and" is not "hand"
        return functools.reduce(
            operator.or_, (deletions.get(word[:i] + word[i + 1 :], 0) for i in range(3))
        )
    mask = deletions.get(word, 0)
    if len(word) >= 4:
        mask |= prefixes.get(word[:4], 0)
    for i in range(len(word)):
        shorter = word[:i] + word[i + 1 :]
        mask |= deletions.get(shorter, 0)
        for language in exact.get(shorter, ()):
            mask |= 1 << _SPACED.index(language)
    return mask


@functools.cache
def _chinese_index(language: str) -> dict[str, int]:
    return {word: i for i, word in enumerate(Mnemonic(language).wordlist)}


@functools.cache
def _rank_scores(language: str) -> tuple[float, ...]:
    """log(rank + 30) per list index, the rank being its frequency rank in real text."""
    order = language_model.word_order(language)
    unseen = len(order)
    ranks = [unseen] * 2048
    for rank, index in enumerate(order):
        ranks[index] = rank
    return tuple(math.log(rank + language_model.RANK_OFFSET) for rank in ranks)


def _rare_enough(indices: Sequence[int], language: str) -> bool:
    """Prose leans on a language's frequent words; a phrase draws its words uniformly."""
    floors = language_model.rank_floors(language)
    if not floors:
        return False
    floor = floors[min(max(len(indices), min(floors)), max(floors))]
    scores = _rank_scores(language)
    return sum(scores[i] for i in indices) / len(indices) >= floor


def _checksum_ok(indices: Sequence[int]) -> bool:
    """BIP-39 checksum: the first len/3 bits of sha256(entropy) end the word bits."""
    value = 0
    for index in indices:
        value = (value << 11) | index
    checksum_bits = len(indices) // 3
    entropy = (value >> checksum_bits).to_bytes(len(indices) * 4 // 3, "big")
    expected = hashlib.sha256(entropy).digest()[0] >> (8 - checksum_bits)
    return expected == value & ((1 << checksum_bits) - 1)


def _few_repeats(indices: Sequence[int]) -> bool:
    # A random 12-word phrase repeats a word with probability ~3%; listings and spam repeat a lot.
    return len(indices) - len(set(indices)) <= _MAX_REPEATS


def _list_like(text: str, units: Sequence[tuple[int, int, int | None]]) -> bool:
    """Split by commas, new lines, tabs, dashes, slashes or numbering, not by sentence spaces."""
    gaps = [text[previous[1] : unit[0]] for previous, unit in pairwise(units)]
    separated = sum(bool(_LIST_SEPARATOR_RE.search(gap)) or len(gap) > 2 for gap in gaps)
    return separated >= _LIST_LIKE_SHARE * len(gaps)


def _checksum_windows(
    units: Sequence[tuple[int, int, int | None]],
) -> Iterator[tuple[int, int]]:
    """Spans of checksum-valid windows of 12-24 consecutive list words."""
    i = 0
    while i + _MIN_WORDS <= len(units):
        lengths = [
            n
            for n in PHRASE_LENGTHS
            if i + n <= len(units)
            and all(unit[2] is not None for unit in units[i : i + n])
            and _checksum_ok([unit[2] for unit in units[i : i + n]])  # type: ignore[misc]
        ]
        if lengths:
            yield units[i][0], units[i + lengths[-1] - 1][1]
            i += lengths[-1]
        else:
            i += 1


def _run_spans(
    text: str, units: Sequence[tuple[int, int, int | None]], language: str
) -> Iterator[tuple[int, int]]:
    """A run of list words (and at most two near misses) with what a phrase has and prose lacks:
    a valid checksum, words as rare as random ones, or the layout of a written-out list."""
    known = [unit[2] for unit in units if unit[2] is not None]
    if len(known) < _MIN_KNOWN or not _few_repeats(known):
        return
    found = list(_checksum_windows(units))
    yield from found
    if not found and (_rare_enough(known, language) or _list_like(text, units)):
        yield units[0][0], units[-1][1]


def _joinable(text: str, start: int, end: int) -> bool:
    """Only separators (spaces, punctuation, blanked numbering) between two words."""
    if end - start == 1 and text[start] == " ":
        return True
    return 0 < end - start <= _MAX_GAP and not _LETTER_RE.search(text, start, end)


def _spaced_spans(text: str) -> Iterator[tuple[int, int]]:
    """Runs of list words of every word list written with spaces between words."""
    exact = _lexicon()[0]
    words = list(map(str.lower, _WORD_RE.findall(text)))
    # Cheaply first: stretches of 10 list words or more, at most two other words apart.
    regions = [m.span() for m in _CANDIDATE_RE.finditer(bytes(map(exact.__contains__, words)))]
    if not regions:
        return
    spans = [match.span() for match in _WORD_RE.finditer(text)]
    for first, last in regions:
        first = max(first - 1, 0)  # the first word may be the mistyped one
        last = min(last + _MAX_NEAR_MISSES, len(words))
        yield from _region_spans(text, words[first:last], spans[first:last])


def _region_spans(
    text: str, words: Sequence[str], spans: Sequence[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    exact = _lexicon()[0]
    runs: dict[str, list[tuple[int, int, int | None]]] = {}
    misses: dict[str, int] = {}
    previous: tuple[int, int, str] | None = None
    for word, (start, end) in zip(words, spans, strict=True):
        if previous is not None and not _joinable(text, previous[1], start):
            for language, run in runs.items():
                yield from _run_spans(text, run, language)
            runs, misses = {}, {}
        languages = exact.get(word, {})
        for language in list(runs):
            if language in languages:
                continue
            if misses[language] < _MAX_NEAR_MISSES and _near(word, language):
                runs[language].append((start, end, None))
                misses[language] += 1
            else:
                yield from _run_spans(text, runs.pop(language), language)
                del misses[language]
        for language, index in languages.items():
            if language not in runs:
                runs[language], misses[language] = [], 0
                # The first word may be the mistyped one.
                if previous is not None and _near(previous[2], language):
                    runs[language].append((previous[0], previous[1], None))
                    misses[language] = 1
            runs[language].append((start, end, index))
        previous = (start, end, word)
    for language, run in runs.items():
        yield from _run_spans(text, run, language)


def _near(word: str, language: str) -> bool:
    return bool(_near_languages(word) & 1 << _SPACED.index(language))


def _chinese_spans(text: str) -> Iterator[tuple[int, int]]:
    """Windows of 10-12 Chinese characters in a row (glued, or split by separators) that score
    as characters drawn at random from a list rather than as prose (guard.language_model)."""
    if text.isascii():
        return
    pieces = _CJK_SPLIT_RE.split(text)  # text between runs, a run, text between, ...
    runs = pieces[1::2]
    chars = "".join(runs)
    count = len(chars)
    if count < _WINDOWS[0]:
        return
    model = language_model.chinese_model()
    # The score of a window: its characters' scores, plus a weight per pair of neighbours. This
    # is the guard's busiest loop for Chinese text, so every step over the characters is one
    # NumPy operation; Python looks only at the few windows that can score below a threshold.
    unigram, weights = _chinese_scores(chars, model)
    steps = unigram[:-1] + weights
    lengths = list(map(len, runs))
    run_starts = [0, *accumulate(lengths)]
    positions = list(accumulate(map(len, pieces), initial=0))[1::2]  # of each run in `text`
    streams = [0]  # indices of the runs that start a stream
    usual, strict = model.thresholds[_MIN_WORDS]
    for k, gap in enumerate(pieces[2:-1:2], 1):
        if _chinese_joinable(gap, lengths[k - 1], lengths[k]):
            if _MESSAGE_BREAK in gap:
                # Two messages read as one must score as low as a short window: short clauses
                # in a row ("瓦德", "泰晤士河畔金斯顿市") read like random characters more
                # than a clause.
                steps[run_starts[k] - 1] += usual - strict
        else:
            steps[run_starts[k] - 1] += _BARRIER  # no window spans two streams
            streams.append(k)
    streams.append(len(runs))
    prefix = np.concatenate(((0.0,), np.cumsum(steps)))
    starts: set[int] = set()
    # Windows of 12 below their threshold; and 10-character prefixes of the 10 and 11 below
    # theirs (a character and its pair change a score by at most `model.slack`).
    for size, limit in ((12, model.thresholds[12][0]), (10, model.short_bound)):
        if count < size:
            continue
        limit -= (size - 1) * model.unknown + model.lowest
        heads = prefix[size - 1 :] - prefix[: count - size + 1]
        starts.update(np.flatnonzero(heads <= limit).tolist())
    flagged = [False] * count
    if starts:
        prefix_list, unigram_list = prefix.tolist(), unigram.tolist()
        for i in sorted(starts):
            for length in _WINDOWS:
                if i + length > count:
                    break
                score = prefix_list[i + length - 1] - prefix_list[i] + unigram_list[i + length - 1]
                usual, strict = model.thresholds[length]
                # A phrase short of a character or two carries less evidence than prose clauses
                # of that length can (measured: "则这些锁将被页级锁替换"), so it must score lower.
                limit = strict if length < _MIN_WORDS else usual
                if score + (length - 1) * model.unknown > limit:
                    continue
                if _listed_enough(chars[i : i + length]):
                    flagged[i : i + length] = [True] * length
    if True in flagged:
        yield from _flagged_spans(positions, run_starts, flagged)
    yield from _checksum_streams(chars, positions, run_starts, streams, steps.tolist(), flagged)


def _chinese_scores(
    chars: str, model: language_model.ChineseModel
) -> tuple[np.ndarray, np.ndarray]:
    """Each character's score, and the weight of each pair of neighbours (0 if unknown)."""
    # The characters' UTF-16 code units (all below 0x10000) index the scores.
    codes = np.frombuffer(chars.encode("utf-16-le"), dtype="<u2")
    unigram = model.code_scores[codes]
    pairs = model.first_ids[codes[:-1]] * model.pair_width + model.second_ids[codes[1:]]
    known = model.pair_bits[pairs >> 3] >> (pairs & 7) & 1
    return unigram, known * model.pair_weight


@functools.cache
def _other_script(language: str) -> frozenset[str]:
    """The characters only the other Chinese list has (the lists are aligned word for word: a
    phrase typed in the other script is that list's phrase, with the same indices)."""
    (other,) = (name for name in _CHINESE if name != language)
    return frozenset(_chinese_index(other).keys() - _chinese_index(language).keys())


def _listed_enough(window: str) -> bool:
    """At least 10 characters of one list, and none that only the other list has: a phrase is
    written in one script, while simplified prose glued to traditional prose mixes them
    ("钱包我昨天轉帳給朋友")."""
    for language in _CHINESE:
        index = _chinese_index(language)
        if not _other_script(language).isdisjoint(window):
            continue
        listed = [index[c] for c in window if c in index]
        if len(listed) >= _MIN_KNOWN and _few_repeats(listed):
            return True
    return False


def _flagged_spans(
    positions: Sequence[int], run_starts: Sequence[int], flagged: Sequence[bool]
) -> Iterator[tuple[int, int]]:
    i = 0
    while i < len(flagged):
        if not flagged[i]:
            i += 1
            continue
        j = i
        while j < len(flagged) and flagged[j]:
            j += 1
        first, last = _trimmed(run_starts, i, j)
        yield (
            _char_position(positions, run_starts, first),
            _char_position(positions, run_starts, last - 1) + 1,
        )
        i = j


def _checksum_streams(
    chars: str,
    positions: Sequence[int],
    run_starts: Sequence[int],
    streams: Sequence[int],
    steps: Sequence[float],
    flagged: Sequence[bool],
) -> Iterator[tuple[int, int]]:
    """A whole stream of 12-24 list characters with a valid checksum that does not read like
    prose either (a negative score): the few real phrases the window score leaves in doubt."""
    model = language_model.chinese_model()
    for first, last in pairwise(streams):
        start, end = run_starts[first], run_starts[last]
        if end - start not in PHRASE_LENGTHS or all(flagged[start:end]):
            continue
        stream = chars[start:end]
        score = sum(steps[start : end - 1]) + model.chars[stream[-1]]
        if score + (end - start - 1) * model.unknown > 0:
            continue
        for language in _CHINESE:
            index = _chinese_index(language)
            if all(c in index for c in stream) and _checksum_ok([index[c] for c in stream]):
                yield positions[first], positions[last - 1] + end - run_starts[last - 1]
                break


def _chinese_joinable(gap: str, previous: int, following: int) -> bool:
    """White space joins groups ("的一是 在不了"); other separators join single characters only
    ("的，一，是"): between words of prose they end a clause or a name ("石勒苏益格-荷尔斯泰因").
    `previous` and `following` are the lengths of the runs of Chinese around `gap`."""
    if len(gap) > _MAX_GAP:
        return False
    if gap.isspace():
        return True
    return previous == 1 == following and not _LETTER_RE.search(gap)


def _char_position(positions: Sequence[int], run_starts: Sequence[int], k: int) -> int:
    run = bisect.bisect_right(run_starts, k) - 1
    return positions[run] + k - run_starts[run]


def _trimmed(run_starts: Sequence[int], i: int, j: int) -> tuple[int, int]:
    """Cut prose glued to a phrase behind a separator ("新钱包：<phrase>"): a head or tail of up
    to three glued characters before a gap, when the rest is laid out alike."""
    breaks = set(run_starts)
    glued = [k + 1 not in breaks for k in range(i, j - 1)]
    for k in range(min(3, len(glued))):
        if not glued[k]:
            rest = glued[k + 1 : k + 5]
            if (k and len(set(rest)) <= 1) or all(rest):
                i += k + 1
            break
    for k in range(min(3, len(glued))):
        if not glued[-1 - k]:
            rest = glued[max(0, len(glued) - k - 5) : len(glued) - 1 - k]
            if (k and len(set(rest)) <= 1) or all(rest):
                j -= k + 1
            break
    return i, j


def _phrase_spans(text: str) -> Iterator[tuple[int, int]]:
    yield from _spaced_spans(text)
    yield from _chinese_spans(text)


# Private keys -------------------------------------------------------------------------------


def _b58decode(encoded: str) -> bytes:
    value = 0
    for char in encoded:
        value = value * 58 + _B58_VALUES[char]
    leading = len(encoded) - len(encoded.lstrip("1"))
    return b"\x00" * leading + value.to_bytes((value.bit_length() + 7) // 8, "big")


def _b58check_payload(encoded: str) -> bytes | None:
    """The payload of a Base58Check string, or None when the checksum is wrong."""
    raw = _b58decode(encoded)
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


def _is_solana_keypair(secret: bytes) -> bool:
    """A Solana secret key: a 32-byte ed25519 seed followed by the public key it derives."""
    if len(secret) != 64:
        return False
    public = Ed25519PrivateKey.from_private_bytes(secret[:32]).public_key().public_bytes_raw()
    return public == secret[32:]


def _is_key(text: str, start: int, end: int, word: str, *, hash_field: bool) -> bool:
    if _WIF_RE.fullmatch(word):
        return _is_wif(word)
    if _EXTENDED_KEY_RE.fullmatch(word):
        return _is_extended_private_key(word)
    if _SOLANA_RE.fullmatch(word):
        return _is_solana_keypair(_b58decode(word))
    if _HEX_RE.fullmatch(word):
        return _hex_is_key(text, start, end, hash_field=hash_field)
    return False


def _key_spans(text: str, *, hash_field: bool) -> Iterator[tuple[int, int]]:
    for match in _LONG_WORD_RE.finditer(text):
        if _is_key(text, *match.span(), match.group(), hash_field=hash_field):
            yield match.span()
    yield from _split_key_spans(text, hash_field=hash_field)
    if "[" in text:
        for match in _BYTE_ARRAY_RE.finditer(text):
            values = json.loads(match.group())
            if all(value < 256 for value in values) and _is_solana_keypair(bytes(values)):
                yield match.span()


def _split_key_spans(text: str, *, hash_field: bool) -> Iterator[tuple[int, int]]:
    """A key cut into pieces by single spaces or new lines, as a chat or a narrow field does."""
    for match in _SPLIT_KEY_RE.finditer(text):
        if not _DIGIT_RE.search(match.group()):  # every key has digits; prose rarely does
            continue
        pieces = [(m.start(), m.end()) for m in re.finditer(r"[0-9A-Za-z]+", match.group())]
        base = match.start()
        for i in range(len(pieces)):
            length = 0
            for j in range(i, len(pieces)):
                length += pieces[j][1] - pieces[j][0]
                if length > 130:
                    break
                if j > i and length in _SPLIT_KEY_LENGTHS:
                    start, end = base + pieces[i][0], base + pieces[j][1]
                    word = "".join(text[base + p[0] : base + p[1]] for p in pieces[i : j + 1])
                    if _is_key(text, start, end, word, hash_field=hash_field):
                        yield start, end


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
            groups.append(group)
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
