"""Build guard/data/ (guard.language_model) from the training part of guard.corpora."""

import collections
import hashlib
import itertools
import json
import math
import random
import re
from pathlib import Path

from django.core.management.base import BaseCommand
from mnemonic import Mnemonic

from guard import corpora, language_model
from guard.text import fold

CORPUS_OF = {"chinese_simplified": "chinese", "chinese_traditional": "chinese"}
LANGUAGES = (
    "english",
    "spanish",
    "french",
    "italian",
    "czech",
    "portuguese",
    "turkish",
    "japanese",
    "korean",
    "russian",
    "chinese_simplified",
    "chinese_traditional",
)
MIN_PAIR_COUNT = 2
# A dictionary of Chinese words with their frequency in general text (Debian's rime-essay):
# everyday words ("酒店", "妈妈") that software catalogues never use. Optional: without it the
# model is built from the catalogues alone.
ESSAY = Path("/usr/share/rime-data/essay.txt")
MIN_ESSAY_WEIGHT = 1000
NAME_SHARE = 0.9
WINDOW_SIZES = (10, 11, 12)
# Shares of random windows that score above (miss) the thresholds kept: the usual one, and a
# strict one for 10 characters glued to prose on both sides, which carry the least evidence.
WINDOW_QUANTILES = (1e-4, 1e-2)
SAMPLES = 200_000
# A random phrase's mean score falls below its floor with this probability at most.
FLOOR_QUANTILE = 1e-4
BIN = 0.05
WORD_RE = re.compile(r"[^\W\d_]+")
CJK_RUN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


class Command(BaseCommand):
    help = "Build the guard's Chinese bigram table and word ranks from real text."

    def handle(self, *args, **options) -> None:
        from guard.detect import _lexicon  # the typed forms the scanner looks words up by

        pairs: collections.Counter[str] = collections.Counter()
        chars: collections.Counter[str] = collections.Counter()
        for text in corpora.texts("chinese", corpora.Part.TRAIN):
            for run in CJK_RUN_RE.findall(fold(text)):
                chars.update(run)
                pairs.update(run[k : k + 2] for k in range(len(run) - 1))
        known = {pair for pair, count in pairs.items() if count >= MIN_PAIR_COUNT}
        char_share = _shares(chars)
        if ESSAY.exists():
            essay_pairs, essay_chars = _essay()
            known |= essay_pairs
            char_share = dict(
                collections.Counter(char_share) + collections.Counter(_shares(essay_chars))
            )
        table: dict[str, list[str]] = collections.defaultdict(list)
        for pair in sorted(known):
            table[pair[0]].append(pair[1])
        language_model.DATA.mkdir(exist_ok=True)
        language_model.BIGRAMS_FILE.write_text(
            "".join(first + "".join(seconds) + "\n" for first, seconds in table.items()),
            encoding="utf-8",
        )
        chinese = _chinese_model(known, char_share, pairs)
        orders, floors = {}, {}
        exact = _lexicon()[0]
        for language in LANGUAGES:
            if language in CORPUS_OF:
                counts = collections.Counter(
                    {i: char_share[w] for i, w in enumerate(Mnemonic(language).wordlist)}
                )
            else:
                counts = collections.Counter()
                for text in corpora.texts(language, corpora.Part.TRAIN):
                    for word in WORD_RE.findall(fold(text).lower()):
                        index = exact.get(word, {}).get(language)
                        if index is not None:
                            counts[index] += 1
            order = [index for index, count in counts.most_common() if count > 0]
            orders[language] = order
            floors[language] = _floors(order)
            self.stdout.write(f"{language}: {len(order)} of 2048 words seen")
        language_model.WORD_RANKS_FILE.write_text(
            json.dumps(
                {"order": orders, "floors": floors, "chinese": chinese},
                ensure_ascii=False,
                separators=(",", ":"),
            )
            + "\n",
            encoding="utf-8",
        )
        self.stdout.write(f"bigrams: {sum(map(len, table.values()))} pairs")


def _names() -> set[str]:
    """The characters that write 90% of the names of countries, regions and languages (the ISO
    catalogues): transliterations ("南桑德韦奇岛") pair them freely, in pairs no text had before."""
    counts: collections.Counter[str] = collections.Counter()
    for path in corpora.catalogues("chinese"):
        if corpora._part(path) == corpora.Part.TRAIN and path.name.startswith("iso_"):
            for entry in corpora._entries(path):
                for run in CJK_RUN_RE.findall(fold(entry.msgstr)):
                    counts.update(run)
    total, covered, names = sum(counts.values()), 0, set()
    for char, count in counts.most_common():
        if covered >= NAME_SHARE * total:
            break
        names.add(char)
        covered += count
    return names


def _chinese_model(
    known: set[str], char_share: dict[str, float], pairs: collections.Counter[str]
) -> dict:
    """Log-likelihood ratio weights (prose against uniform list characters) and, per window
    size, the scores that all but WINDOW_QUANTILES of random windows stay below."""
    names = _names()
    lists = [
        Mnemonic(language).wordlist for language in ("chinese_simplified", "chinese_traditional")
    ]
    listed = {char for wordlist in lists for char in wordlist}

    def is_known(pair: str) -> bool:
        return pair in known or (pair[0] in names and pair[1] in names)

    in_prose = _validated_known_share(known - set(pairs), names)
    at_random = sum(is_known(a + b) for wordlist in lists for a in wordlist for b in wordlist) / (
        2 * 2048 * 2048
    )
    total = sum(char_share.values())
    chars = {
        char: round(math.log(max(char_share.get(char, 0) / total, 1e-7) * 2048), 2)
        for char in listed | names
    }
    model = {
        "known": round(math.log(in_prose / at_random), 3),
        "unknown": round(math.log((1 - in_prose) / (1 - at_random)), 3),
        # A character off both lists is evidence of prose: a phrase has at most two (typos).
        "unlisted": 1.0,
        "names": "".join(sorted(names)),
        "chars": chars,
    }
    rng = random.Random(17)  # noqa: S311 (a fixed sample, not a secret)
    thresholds = {}
    for size in WINDOW_SIZES:
        scores = []
        for _ in range(SAMPLES):
            wordlist = lists[rng.randrange(2)]
            window = [rng.choice(wordlist) for _ in range(size)]
            score = sum(chars[c] for c in window) + sum(
                model["known"] if is_known(a + b) else model["unknown"]
                for a, b in itertools.pairwise(window)
            )
            scores.append(score)
        scores.sort()
        thresholds[size] = {
            str(quantile): round(scores[int((1 - quantile) * SAMPLES)], 2)
            for quantile in WINDOW_QUANTILES
        }
    model["thresholds"] = thresholds
    return model


def _validated_known_share(dictionary_pairs: set[str], names: set[str]) -> float:
    """The share of pairs of unseen prose that the table knows: pairs of half the training
    catalogues (and the dictionary's) tried on the other half."""
    halves: list[collections.Counter[str]] = [collections.Counter(), collections.Counter()]
    for text in corpora.texts("chinese", corpora.Part.TRAIN):
        half = halves[hashlib.sha256(text.encode()).digest()[0] % 2]
        for run in CJK_RUN_RE.findall(fold(text)):
            half.update(run[k : k + 2] for k in range(len(run) - 1))
    table = dictionary_pairs | {
        pair for pair, count in halves[0].items() if count >= MIN_PAIR_COUNT
    }
    hits = sum(
        count
        for pair, count in halves[1].items()
        if pair in table or (pair[0] in names and pair[1] in names)
    )
    return hits / sum(halves[1].values())


def _shares(counts: collections.Counter[str]) -> dict[str, float]:
    total = sum(counts.values()) or 1
    return {key: count / total for key, count in counts.items()}


def _essay() -> tuple[set[str], collections.Counter[str]]:
    """Pairs inside the frequent words, and character weights, in both scripts (the BIP-39
    lists are aligned, so they give the traditional-to-simplified map of every list character)."""
    to_simplified = str.maketrans(
        {
            t: s
            for s, t in zip(
                Mnemonic("chinese_simplified").wordlist,
                Mnemonic("chinese_traditional").wordlist,
                strict=True,
            )
            if s != t
        }
    )
    pairs: set[str] = set()
    chars: collections.Counter[str] = collections.Counter()
    for line in ESSAY.read_text(encoding="utf-8").splitlines():
        word, _, weight = line.partition("\t")
        if not weight.isdigit():
            continue
        for form in {word, word.translate(to_simplified)}:
            for char in form:
                chars[char] += int(weight)
            if int(weight) >= MIN_ESSAY_WEIGHT:
                pairs.update(form[k : k + 2] for k in range(len(form) - 1))
    return pairs, chars


def _floors(order: list[int]) -> dict[int, float]:
    """Per n, the mean score that all but FLOOR_QUANTILE of n uniform words reach (binned low)."""
    ranks = [len(order)] * 2048
    for rank, index in enumerate(order):
        ranks[index] = rank
    pmf: collections.Counter[int] = collections.Counter(
        math.floor(math.log(rank + language_model.RANK_OFFSET) / BIN) for rank in ranks
    )
    low = min(pmf)
    single = [0.0] * (max(pmf) - low + 1)
    for value, count in pmf.items():
        single[value - low] = count / 2048
    floors = {}
    total = [1.0]
    for n in range(1, 25):
        convolved = [0.0] * (len(total) + len(single) - 1)
        for a, pa in enumerate(total):
            if pa < 1e-300:
                continue
            for b, pb in enumerate(single):
                convolved[a + b] += pa * pb
        total = convolved
        if n >= 10:
            tail = 0.0
            for value, p in enumerate(total):
                tail += p
                if tail > FLOOR_QUANTILE:
                    floors[n] = round((value + n * low) * BIN / n, 4)
                    break
    return floors
