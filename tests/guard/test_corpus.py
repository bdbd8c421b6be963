"""guard.detect against a corpus of its own (tests/support/guard_generated.py): every secret in
every form is refused, and no held-out real text (nor a support message) is."""

import functools

import pytest

from guard.detect import scan_conversation, scan_text
from tests.support import guard_generated as generated

SECRETS = generated.secrets()
ORDINARY = generated.ordinary()


def _found(case: str | tuple[str, ...]) -> bool:
    """A text, or a conversation (a sender's messages, oldest first) read as the chat does."""
    if isinstance(case, tuple):
        return bool(scan_conversation(case))
    return bool(scan_text(case))


@pytest.mark.parametrize("category", sorted(SECRETS))
def test_corpus_every_secret_is_found(category: str) -> None:
    cases = SECRETS[category]
    missed = [index for index, case in enumerate(cases) if not _found(case)]
    assert len(cases) >= 10
    assert missed == [], f"{category}: missed {len(missed)} of {len(cases)}"


@pytest.mark.parametrize("category", sorted(ORDINARY))
def test_corpus_ordinary_text_passes(category: str) -> None:
    flagged = [str(case)[:80] for case in ORDINARY[category] if _found(case)]
    assert flagged == [], f"{category}: {len(flagged)} of {len(ORDINARY[category])} refused"


def test_corpus_is_tens_of_thousands_of_real_texts() -> None:
    assert sum(len(texts) for texts in generated.real_texts().values()) >= 40_000
    assert len(generated.real_texts()["chinese"]) >= 20_000


@functools.cache
def _real_chinese_run_together_refused() -> list[int]:
    messages = generated.long_messages(generated.real_texts()["chinese"])
    return [seed for seed, message in enumerate(messages) if scan_text(message)]


# Held-out Chinese texts run together into 4,000-character pastes (bench/guard_bench.py's
# messages): 63 of 300 were refused, 40 are. Simplified run into traditional is fixed; what is
# left are region names from a held-out ISO catalogue run together ("马圭省维多利亚州伊泽尔省"),
# whose characters and pairs the language model has not seen (docs/benchmarks.md, issue 17).
def test_corpus_real_chinese_run_together_is_refused_less_often() -> None:
    assert len(_real_chinese_run_together_refused()) <= 40


@pytest.mark.xfail(strict=True, reason="run-together region names read like random characters")
def test_corpus_real_chinese_run_together_passes() -> None:
    assert _real_chinese_run_together_refused() == []
