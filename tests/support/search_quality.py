"""The labelled help-centre queries (tests/faq/data/) and the measures of how well search answers
them: recall@3 (an answering article among the first three) and MRR (one over the rank of the
first answering article). Shared by tests/faq/test_search_quality.py and bench/search_quality.py.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "faq" / "data"
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class LabelledQuery:
    text: str
    answers: frozenset[str]


@dataclass(frozen=True)
class Quality:
    count: int
    recall_at_3: float
    mrr: float
    misses: tuple[tuple[str, tuple[str, ...]], ...]


def labelled_queries(kind: str, language: str) -> list[LabelledQuery]:
    """`kind` is "queries" (search box) or "suggest" (contact form: subject and description)."""
    rows = []
    for line in (DATA_DIR / f"{kind}_{language}.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, answers = line.rsplit("|", 1)
        if "||" in text:
            subject, description = text.split("||", 1)
            text = f"{subject.strip()} {description.strip()}"
        rows.append(LabelledQuery(text.strip(), frozenset(answers.split())))
    return rows


def evaluate(queries: Sequence[LabelledQuery], search: Callable[[str], list[str]]) -> Quality:
    """`search` returns the slugs it would show, best first."""
    hits = 0
    reciprocal = 0.0
    misses = []
    for query in queries:
        slugs = search(query.text)
        rank = next((i for i, slug in enumerate(slugs, 1) if slug in query.answers), None)
        if rank is not None and rank <= 3:
            hits += 1
        else:
            misses.append((query.text, tuple(slugs[:3])))
        if rank is not None:
            reciprocal += 1 / rank
    count = len(queries)
    return Quality(count, hits / count, reciprocal / count, tuple(misses))
