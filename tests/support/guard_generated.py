"""A corpus of secrets for the guard, generated from fixed seeds in every form issue 17 lists,
and of real text the project did not write (guard.corpora's held-out part), cached on disk.

`SECRETS[category]` holds texts that must each be refused (a tuple of texts is one chat
conversation: the last message completes the secret); `ORDINARY[category]` texts that must pass.
"""

import functools
import hashlib
import json
import random
import tempfile
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from mnemonic import Mnemonic

from guard.detect import RECENT_MESSAGES
from tests.support import guard_corpus as corpus

LANGUAGES = tuple(sorted(Mnemonic.list_languages()))
SPACED = tuple(lang for lang in LANGUAGES if not lang.startswith("chinese"))
CHINESE = ("chinese_simplified", "chinese_traditional")
SEEDS = range(12)
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳㉑㉒㉓㉔"


def _numbered(template: str, separator: str = " ") -> Callable[[list[str]], str]:
    return lambda words: separator.join(template.format(i, w) for i, w in enumerate(words, 1))


LAYOUTS: dict[str, Callable[[list[str]], str]] = {
    "space": " ".join,
    "comma": ", ".join,
    "newline": "\n".join,
    "dot": _numbered("{}. {}"),
    "paren": _numbered("{}) {}"),
    "both_parens": _numbered("({}) {}", "\n"),
    "hash": _numbered("#{} {}"),
    "circled": lambda w: " ".join(f"{CIRCLED[i]}{word}" for i, word in enumerate(w)),
    "chinese_ordinal": _numbered("第{}个：{}", "，"),
    "ideographic_comma": _numbered("{}、{}"),
    "word_n": _numbered("word {}: {}", "\n"),
    "ordinal": _numbered("{}st {}"),
}
CHINESE_LAYOUTS: dict[str, Callable[[list[str]], str]] = {
    "glued_in_prose": lambda w: f"我的助记词是{''.join(w)}请帮我找回",
    "glued_after_colon": lambda w: f"助记词：{''.join(w)}。谢谢",
    "unspaced": "".join,
}


def phrase(language: str, length: int, seed: int) -> list[str]:
    """A real BIP-39 phrase (Japanese joins its words with an ideographic space)."""
    entropy = random.Random(f"{language}-{length}-{seed}").randbytes(corpus.ENTROPY_BYTES[length])
    words = Mnemonic(language).to_mnemonic(entropy).split()
    return [unicodedata.normalize("NFC", word) for word in words]  # as keyboards type them


def _wordlist(language: str) -> list[str]:
    return Mnemonic(language).wordlist


def _typo(word: str, rng: random.Random) -> str:
    """A misspelling: a letter dropped, doubled or changed, or a character off the list."""
    if len(word) == 1:  # Chinese: a character that is on neither list
        return rng.choice("龘靐齉爩麤龗灪")
    position = rng.randrange(1, len(word))
    if not word.isascii():  # a neighbouring kana, syllable or accented letter
        return word[:position] + chr(ord(word[position]) + 1) + word[position + 1 :]
    kind = rng.randrange(3)
    if kind == 0 and len(word) > 4:
        return word[:position] + word[position + 1 :]
    if kind == 1:
        return word[:position] + word[position] + word[position:]
    return word[:position] + ("x" if word[position] != "x" else "z") + word[position + 1 :]


def _errors(language: str, words: list[str], kind: str, rng: random.Random) -> list[str]:
    words = list(words)
    wordlist = _wordlist(language)
    count = 2 if kind.startswith("two") else 1
    for _ in range(count):
        position = rng.randrange(len(words))
        if kind.endswith("misspelled"):
            words[position] = _typo(words[position], rng)
        elif kind.endswith("wrong"):
            words[position] = rng.choice(wordlist)
        else:
            del words[position]
    return words


ERRORS = ("one_misspelled", "one_wrong", "one_missing", "two_missing", "two_wrong")


def _phrase_cases() -> dict[str, list[str]]:
    cases: dict[str, list[str]] = {}
    for language in LANGUAGES:
        layouts = dict(LAYOUTS)
        if language in CHINESE:
            layouts |= CHINESE_LAYOUTS
        texts = []
        for seed in SEEDS:
            length = (12, 15, 18, 21, 24)[seed % 5]
            words = phrase(language, length, seed)
            texts.extend(layout(words) for layout in layouts.values())
        cases[f"phrase_{language}"] = texts
        for error in ERRORS:
            texts = []
            for seed in SEEDS:
                rng = random.Random(f"{language}-{error}-{seed}")
                words = _errors(language, phrase(language, 12, 100 + seed), error, rng)
                for name in ("space", "newline", "dot") if language in SPACED else layouts:
                    texts.append(layouts[name](words))
            cases[f"phrase_{error}_{language}"] = texts
    return cases


def solana_secret(seed: int) -> bytes:
    """A Solana CLI keypair: the 32-byte seed, then its ed25519 public key."""
    private = random.Random(f"solana-{seed}").randbytes(32)
    key = Ed25519PrivateKey.from_private_bytes(private)
    return private + key.public_key().public_bytes_raw()


def b58encode(data: bytes) -> str:
    value = int.from_bytes(data, "big")
    encoded = ""
    while value:
        value, digit = divmod(value, 58)
        encoded = corpus.B58_ALPHABET[digit] + encoded
    return "1" * (len(data) - len(data.lstrip(b"\x00"))) + encoded


def _split(key: str, rng: random.Random) -> str:
    position = rng.randrange(8, len(key) - 8)
    return key[:position] + " " + key[position:]


def _key_cases() -> dict[str, list[str]]:
    rng = random.Random("keys")
    wifs = [corpus.wif(seed, compressed=seed % 2 == 0) for seed in range(40)]
    xprvs = [
        corpus.extended_private_key(prefix, seed)
        for prefix in corpus.EXTENDED_VERSIONS
        for seed in range(6)
    ]
    hexes = [corpus.hex64(seed) for seed in range(40)]
    solana = [solana_secret(seed) for seed in range(40)]
    return {
        "key_wif": [f"my key {key} help" for key in wifs],
        "key_xprv": [f"backup: {key}" for key in xprvs],
        "key_hex_labelled": [f"private key: {value}" for value in hexes]
        + [f"私钥 0x{value}" for value in hexes],
        "key_solana_base58": [f"my phantom key {b58encode(key)}" for key in solana]
        + [b58encode(key) for key in solana],
        "key_solana_json": [json.dumps(list(key)) for key in solana]
        + [f"id.json:\n{json.dumps(list(key), indent=2)}" for key in solana[:10]]
        + [str(list(key)).replace(" ", "") for key in solana[:10]],
        "key_split_by_space": [_split(key, rng) for key in wifs + xprvs]
        + [f"phantom: {_split(b58encode(key), rng)}" for key in solana],
    }


def _card(prefix: str, length: int, rng: random.Random) -> str:
    digits = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        number = [int(d) for d in digits + check]
        total = sum(number[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in number[-2::-2])
        if total % 10 == 0:
            return digits + check
    raise AssertionError(prefix)


def _card_cases() -> dict[str, list[str]]:
    rng = random.Random("cards")
    numbers = [_card(p, 16, rng) for p in ("4", "51", "2221", "6011", "62", "3530") * 6]

    def grouped(number: str, separator: str) -> str:
        return separator.join(number[i : i + 4] for i in range(0, 16, 4))

    return {
        "card_plain": [f"card {n}" for n in numbers],
        "card_spaces_dashes": [grouped(n, sep) for n in numbers for sep in (" ", "-")],
        "card_dots": [f"卡号 {grouped(n, '.')}" for n in numbers],
    }


ZWSP, ZWJ, SHY = "\u200b", "\u200d", "\u00ad"
CYRILLIC = str.maketrans("aceopxy", "асеорху")
BOLD = {c: chr(0x1D41A + ord(c) - ord("a")) for c in "abcdefghijklmnopqrstuvwxyz"}


def _inside(word: str, mark: str) -> str:
    return word[:2] + mark + word[2:] if len(word) > 2 else word


def _disguise_cases() -> dict[str, list]:
    english = [phrase("english", 12, 200 + seed) for seed in range(20)]
    chinese = [phrase("chinese_simplified", 12, 200 + seed) for seed in range(20)]
    rng = random.Random("disguise")
    return {
        "disguise_zero_width_space": [" ".join(_inside(w, ZWSP) for w in p) for p in english],
        "disguise_zero_width_joiner": [" ".join(_inside(w, ZWJ) for w in p) for p in english],
        "disguise_soft_hyphen": [" ".join(_inside(w, SHY) for w in p) for p in english],
        "disguise_chinese_zero_width": [ZWSP.join(p) for p in chinese],
        "disguise_cyrillic": [" ".join(p).translate(CYRILLIC) for p in english],
        "disguise_math_bold": ["".join(BOLD.get(c, c) for c in " ".join(p)) for p in english],
        "disguise_fullwidth": [
            " ".join(p).translate({c: c + 0xFEE0 for c in range(ord("a"), ord("z") + 1)})
            for p in english
        ],
        # Conversations: the sender's last messages, the newest completing the secret.
        "disguise_split_across_messages": [
            ("hi, my words:", " ".join(p[:6]), " ".join(p[6:])) for p in english
        ]
        + [("助记词", "".join(p[:5]), "".join(p[5:])) for p in chinese]
        + [
            (f"key part 1: {key[:26]}", key[26:])
            for key in (corpus.wif(300 + s, compressed=True) for s in range(10))
        ]
        + [("hello", "my key", _split(b58encode(solana_secret(300 + s)), rng)) for s in range(5)],
        "disguise_key_split_by_space": [
            _split(corpus.wif(400 + s, compressed=True), rng) for s in range(20)
        ],
    }


@functools.cache
def secrets() -> dict[str, list]:
    return {**_phrase_cases(), **_key_cases(), **_card_cases(), **_disguise_cases()}


# Ordinary text ----------------------------------------------------------------------------

REAL_LANGUAGES = (
    "chinese",
    "english",
    "spanish",
    "french",
    "italian",
    "portuguese",
    "czech",
    "japanese",
    "korean",
    "russian",
    "turkish",
)
# Per language at most this many held-out texts, so the test stays within a few seconds.
REAL_TEXTS_PER_LANGUAGE = {"chinese": 40_000, "english": 40_000}
OTHER_TEXTS = 3_000
RECENT = RECENT_MESSAGES
CHAT_TEXTS = 8_000
REVIEWS = ("酒店的行政楼层无人员值班", "妈妈再也不感觉饮食单调了")
# Long pastes: texts of one kind run together up to the message limit, as bench/guard_bench.py
# times them (the same messages).
LONG_MESSAGE = 4_000
LONG_MESSAGES = 300


def _cache_path(paths: list[str]) -> Path:
    digest = hashlib.sha256("\n".join(paths).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"wallet-support-guard-corpus-{digest}.json"


@functools.cache
def real_texts() -> dict[str, list[str]]:
    """Held-out real text per language (never used to build the model), cached across runs."""
    from guard import corpora

    paths = [
        f"{path}:{path.stat().st_mtime_ns}"
        for language in REAL_LANGUAGES
        for path in corpora.catalogues(language)
    ]
    cache = _cache_path(paths)
    if cache.exists():
        return json.loads(cache.read_text(encoding="utf-8"))
    texts = {}
    for language in REAL_LANGUAGES:
        held_out = list(corpora.texts(language, corpora.Part.HELD_OUT))
        limit = REAL_TEXTS_PER_LANGUAGE.get(language, OTHER_TEXTS)
        texts[language] = random.Random(language).sample(held_out, min(limit, len(held_out)))
    cache.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    return texts


def long_message(texts: Sequence[str], seed: int, separator: str = "") -> str:
    """LONG_MESSAGE characters of `texts` in a shuffled order, a different message per seed;
    Chinese is run together with nothing between the texts, as a long paste can be."""
    rng = random.Random(seed)
    chosen, length = [], 0
    while length < LONG_MESSAGE:
        text = rng.choice(texts)
        chosen.append(text)
        length += len(text) + len(separator)
    return separator.join(chosen)[:LONG_MESSAGE]


def long_messages(texts: Sequence[str]) -> list[str]:
    return [long_message(texts, seed) for seed in range(LONG_MESSAGES)]


def ordinary() -> dict[str, list]:
    """Texts that must pass: real text per language, the project's support messages, the two
    product reviews issue 17 names, and support messages full of addresses and hashes."""
    hashes = [
        f"txid {corpus.hex64(500 + seed)} has not arrived at 0x742d35Cc6634C0532925a3b844Bc454e"
        f"4438f44e, order 2024031512345678, phone 13800138000"
        for seed in range(20)
    ]
    real = {f"real_{language}": texts for language, texts in real_texts().items()}
    # Consecutive held-out texts as one sender's chat messages, read together.
    conversations = {
        f"real_{language}_as_chat": [
            tuple(texts[i : i + RECENT + 1]) for i in range(0, CHAT_TEXTS, RECENT + 1)
        ]
        for language, texts in real_texts().items()
        if language in ("chinese", "english")
    }
    return {
        **real,
        **conversations,
        "support_messages": list(corpus.ENGLISH_MESSAGES + corpus.CHINESE_MESSAGES),
        # Simplified and traditional messages run together: 24 of 300 were refused before.
        "support_chinese_run_together": long_messages(corpus.CHINESE_MESSAGES),
        "product_reviews": list(REVIEWS),
        "support_hashes_and_addresses": hashes,
    }
