"""Recovery-phrase guard benchmark: time to scan a 4,000-character message of each kind.

.venv/bin/python -m bench.guard_bench
"""

import statistics
import timeit

from guard.detect import scan_text
from tests.support import guard_corpus as corpus

MESSAGE_LENGTH = 4000


def sample(text: str) -> str:
    return (text * (MESSAGE_LENGTH // len(text) + 1))[:MESSAGE_LENGTH]


def main() -> None:
    samples = {
        "English support messages": sample(" ".join(corpus.ENGLISH_MESSAGES)),
        "Chinese support messages": sample("".join(corpus.CHINESE_MESSAGES)),
        "English word-list words only": sample(" ".join(corpus.phrase_words("english", 24, 1))),
    }
    print(f"{'message (4,000 characters)':32} {'median ms':>10} {'max ms':>8}")
    for name, text in samples.items():
        runs = [
            t * 1000 for t in timeit.repeat(lambda text=text: scan_text(text), number=1, repeat=200)
        ]
        print(f"{name:32} {statistics.median(runs):10.2f} {max(runs):8.2f}")


if __name__ == "__main__":
    main()
