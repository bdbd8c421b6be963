"""Recovery-phrase guard benchmark: CPU time to scan a 4,000-character message of each kind
(median, p99, max over 300 runs, each a different message, after one warm-up scan that loads the
word lists and models),
and recall and false alarms per category of the guard's corpus (tests/support/guard_generated).

.venv/bin/python -m bench.guard_bench
"""

import statistics
import time

from guard.detect import scan_conversation, scan_text
from tests.support import guard_corpus as corpus
from tests.support import guard_generated as generated

RUNS = generated.LONG_MESSAGES
TARGET_P99_MS = 2.0


sample = generated.long_message  # the corpus test reads the same messages


def timing() -> None:
    real = generated.real_texts()
    words = corpus.phrase_words("english", 24, 1)
    kinds = {
        "English support messages": (list(corpus.ENGLISH_MESSAGES), " "),
        "Chinese support messages": (list(corpus.CHINESE_MESSAGES), ""),
        "English real text (held out)": (real["english"], " "),
        "Chinese real text (held out)": (real["chinese"], ""),
        "English word-list words only": (words, " "),
        "Mixed scripts and numbers": (real["russian"] + real["japanese"] + real["korean"], " "),
    }
    print(f"{'message (4,000 characters)':32} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
    worst = 0.0
    for name, (texts, separator) in kinds.items():
        messages = [sample(texts, seed, separator) for seed in range(RUNS)]
        scan_text(messages[0])  # word lists and models load once per process, not per message
        runs = []
        for message in messages:
            start = time.process_time_ns()
            scan_text(message)
            runs.append((time.process_time_ns() - start) / 1e6)
        p99 = statistics.quantiles(runs, n=100)[98]
        worst = max(worst, p99)
        print(f"{name:32} {statistics.median(runs):10.2f} {p99:8.2f} {max(runs):8.2f}")
    verdict = "met" if worst <= TARGET_P99_MS else "NOT met"
    print(f"worst p99 {worst:.2f} ms: target <= {TARGET_P99_MS} ms {verdict}")


def accuracy() -> None:
    print(f"\n{'category':48} {'texts':>7} {'found':>7} {'recall':>7}")
    for category, cases in sorted(generated.secrets().items()):
        found = sum(map(_found, cases))
        print(f"{category:48} {len(cases):7} {found:7} {found / len(cases):7.1%}")
    print(f"\n{'category':48} {'texts':>7} {'refused':>7} {'rate':>7}")
    for category, texts in sorted(generated.ordinary().items()):
        refused = sum(map(_found, texts))
        print(f"{category:48} {len(texts):7} {refused:7} {refused / len(texts):7.2%}")


def _found(case: str | tuple[str, ...]) -> bool:
    return bool(scan_conversation(case) if isinstance(case, tuple) else scan_text(case))


def main() -> None:
    timing()
    accuracy()


if __name__ == "__main__":
    main()
