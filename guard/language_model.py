"""What real text looks like, as the guard needs to tell prose from a recovery phrase.

Built by `manage.py guard_model_build` from the training part of `guard.corpora` (translation
catalogues and package documentation this machine ships) and kept in `guard/data/`:

* `zh_bigrams.txt`: the Chinese character pairs seen at least twice in real Chinese text, one line
  per first character followed by every character seen after it. Prose is made of such pairs; a
  phrase's characters are drawn at random from 2,048, so its neighbours almost never are.
* `word_ranks.json`: for each word list, its words from the most to the least frequent in real
  text of that language, and the floors a random phrase's mean word rank stays above; for
  Chinese, a log-likelihood ratio of prose against random list characters (character shares,
  pair weights, the characters of transliterated names) and its thresholds per window size.
"""

import collections
import functools
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
BIGRAMS_FILE = DATA / "zh_bigrams.txt"
WORD_RANKS_FILE = DATA / "word_ranks.json"
RANK_OFFSET = 30
# The last code point the guard reads as a Han character (the CJK compatibility ideographs).
LAST_HAN = 0xFAFF


@functools.cache
def chinese_bigrams() -> frozenset[str]:
    pairs = set()
    for line in BIGRAMS_FILE.read_text(encoding="utf-8").splitlines():
        first = line[:1]
        pairs.update(first + second for second in line[1:])
    return frozenset(pairs)


@functools.cache
def _word_ranks() -> dict:
    return json.loads(WORD_RANKS_FILE.read_text(encoding="utf-8"))


def word_order(language: str) -> list[int]:
    """The list indices of `language`, most frequent in real text first (seen words only)."""
    return _word_ranks()["order"].get(language, [])


def rank_floors(language: str) -> dict[int, float]:
    """Per count of words, the mean log(rank + 30) all but 1e-4 of random phrases reach."""
    return {int(n): floor for n, floor in _word_ranks()["floors"].get(language, {}).items()}


class ChineseModel(NamedTuple):
    chars: collections.defaultdict[str, float]  # log(share in prose * 2048); off-list: +1
    pairs: frozenset[str]  # pairs seen in prose, and every pair of two name characters
    known: float  # log-likelihood ratio of a known pair (prose against random list characters)
    unknown: float
    thresholds: dict[int, tuple[float, float]]  # per size: all but 1e-4 / 1e-2 of random below
    lowest: float  # the lowest score of a character
    short_bound: float  # a window of 10 or 11 below its strict threshold: its first 10 below
    # The same, as the scan reads text (guard.detect, in NumPy): a character's score by its code
    # point; the known pairs as a bit table, `pair_bits[first_ids[a] * pair_width +
    # second_ids[b]]` for code points a, b (id 0: a character that starts, or ends, no known
    # pair); and the weight a known pair adds, `known - unknown`.
    code_scores: np.ndarray
    first_ids: np.ndarray
    second_ids: np.ndarray
    pair_width: int
    pair_bits: np.ndarray
    pair_weight: float


@functools.cache
def chinese_model() -> ChineseModel:
    model = _word_ranks()["chinese"]
    chars = collections.defaultdict(lambda: model["unlisted"], model["chars"])
    names = model["names"]
    pairs = chinese_bigrams() | {a + b for a in names for b in names}
    thresholds = {
        int(size): (values["0.0001"], values["0.01"])
        for size, values in model["thresholds"].items()
    }
    lowest = min(chars.values())
    # Dropping a character and its pair changes a score by at most `slack`.
    slack = -(lowest + min(model["known"], model["unknown"]))
    short_bound = max(thresholds[10][1], thresholds[11][1] + slack)
    code_scores = np.array(
        [chars.get(chr(code), model["unlisted"]) for code in range(LAST_HAN + 1)], dtype=np.float64
    )
    firsts, seconds = (
        np.array(sorted({ord(pair[side]) for pair in pairs} - {*range(LAST_HAN + 1, 0x110000)}))
        for side in (0, 1)
    )
    first_ids, second_ids = np.zeros(LAST_HAN + 1, np.int32), np.zeros(LAST_HAN + 1, np.int32)
    first_ids[firsts] = np.arange(1, len(firsts) + 1)
    second_ids[seconds] = np.arange(1, len(seconds) + 1)
    width = len(seconds) + 1
    table = np.zeros((len(firsts) + 1) * width, dtype=bool)
    known = [(ord(a), ord(b)) for a, b in pairs if ord(a) <= LAST_HAN >= ord(b)]
    table[[first_ids[a] * width + second_ids[b] for a, b in known]] = True
    return ChineseModel(
        chars,
        pairs,
        model["known"],
        model["unknown"],
        thresholds,
        lowest,
        short_bound,
        code_scores,
        first_ids,
        second_ids,
        width,
        np.packbits(table, bitorder="little"),
        model["known"] - model["unknown"],
    )
