"""guard.detect against a corpus of its own (tests/support/guard_generated.py): every secret in
every form is refused, and no held-out real text (nor a support message) is."""

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
