"""Recovery phrases to type where a customer could, and a search for them in what the site kept:
its logs, its database and its mail (issue 17: nothing a customer typed leaks unscanned)."""

import hashlib
import re
from urllib.parse import unquote, unquote_plus

from mnemonic import Mnemonic


def recovery_phrase(language: str = "english", *, seed: str = "issue-17") -> str:
    """A valid 12-word BIP-39 phrase (checksum and all), the same on every run."""
    entropy = hashlib.sha256(f"{language}:{seed}".encode()).digest()[:16]
    return Mnemonic(language).to_mnemonic(entropy)


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """Any three words of the phrase in a row, however they are separated (spaces, `+`, `%20`,
    commas, JSON or SQL quoting): a phrase cut short or re-encoded is still found."""
    words = phrase.split()
    separator = r"(?:[\s+,;:\"'\\]|%20|%2C|\\u3000)*"
    triples = [
        separator.join(re.escape(word) for word in words[index : index + 3])
        for index in range(len(words) - 2)
    ]
    return re.compile("|".join(f"(?:{triple})" for triple in triples), re.IGNORECASE)


def phrase_found(text: str, phrase: str) -> str | None:
    """Where `phrase` (or three of its words in a row) appears in `text`, also once the text is
    URL-decoded; the surrounding characters, to show in a failure, or None."""
    pattern = _phrase_pattern(phrase)
    for candidate in (text, unquote(text), unquote_plus(text)):
        match = pattern.search(candidate)
        if match:
            return candidate[max(0, match.start() - 80) : match.end() + 80]
    return None
