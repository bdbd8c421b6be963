"""Text handling of the help centre: Markdown rendering, search tokens and highlighted snippets.

Chinese has no spaces between words, so it is matched by overlapping character bigrams (and single
characters for one-character queries), the approach of Lucene's CJK analyser: `提现` is one bigram,
`账户被盗` is `账户 户被 被盗`. Bigrams need no dictionary to maintain, find new coinages and domain
terms (`助记词`, `提现`) as well as common words, and behave the same in PostgreSQL's full-text
index and in the SQLite fallback. A dictionary segmenter (jieba) would rank a little better on long
queries but adds a large dictionary, its own mistakes on wallet jargon, and a second tokenizer to
keep in step with the database. English words go through PostgreSQL's English stemmer there, and
through prefix matching here.
"""

import html
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

import markdown
import nh3

CJK_CHAR = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK_CHAR}]+")
LATIN_WORD = re.compile(r"[a-z0-9]+")
MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
MARKDOWN_SYNTAX = re.compile(r"(^|\n)\s*(?:#{1,6}\s|[-*+]\s|\d+\.\s|>\s?)|[*_`]")

MAX_QUERY_LENGTH = 200
MAX_QUERY_UNITS = 12
ENGLISH_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "so",
        "that",
        "the",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)

ALLOWED_TAGS = {"p", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "code", "blockquote", "br"}


def render_markdown(source: str) -> str:
    """Article Markdown as safe HTML: only basic formatting survives, links get rel=noopener."""
    rendered = markdown.markdown(source, extensions=["sane_lists"], output_format="html")
    return nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def markdown_to_text(source: str) -> str:
    """Plain text of Markdown, for search documents and snippets."""
    text = MARKDOWN_LINK.sub(r"\1", source)
    text = MARKDOWN_SYNTAX.sub(r"\1", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def cjk_units(run: str) -> list[str]:
    """Bigrams of a CJK run; the character itself for a run of one."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def search_words(weighted_texts: dict[str, str]) -> str:
    """One lower-cased line of every distinct Latin word, for trigram (typo) matching."""
    words: dict[str, None] = {}
    for text in weighted_texts.values():
        for word in LATIN_WORD.findall(text.lower()):
            words.setdefault(word, None)
    return " ".join(words)


def cjk_document(text: str) -> str:
    """CJK characters and bigrams of a text, space-separated, for PostgreSQL's `simple` parser."""
    tokens: list[str] = []
    for run in CJK_RUN.findall(text):
        tokens.extend(run)
        if len(run) > 1:
            tokens.extend(cjk_units(run))
    return " ".join(tokens)


def without_cjk(text: str) -> str:
    """The text with its CJK runs blanked, for PostgreSQL's English stemmer."""
    return CJK_RUN.sub(" ", text)


@dataclass(frozen=True)
class SearchQuery:
    """A visitor's query broken into the units that must match: English words and CJK bigrams."""

    raw: str
    english_terms: tuple[str, ...]
    cjk_terms: tuple[str, ...]
    cjk_phrases: tuple[str, ...]

    @property
    def units(self) -> tuple[str, ...]:
        return self.english_terms + self.cjk_terms

    @property
    def is_empty(self) -> bool:
        return not self.units

    @property
    def minimum_match(self) -> int:
        """How many units an article must match: all of one or two, 60% of more.

        Requiring every bigram would lose `转账没到账` to an article that says `转账` and `到账`
        but never `账没`; requiring any one would flood results with every article saying `交易`.
        """
        count = len(self.units)
        if count <= 2:
            return count
        return -(-count * 3 // 5)


def parse_query(raw: str) -> SearchQuery:
    """Units of a query; punctuation, scripts and other noise fall away, never raise."""
    cleaned = raw[:MAX_QUERY_LENGTH].lower()
    english: dict[str, None] = {}
    for word in LATIN_WORD.findall(cleaned):
        if len(word) >= 2 and word not in ENGLISH_STOPWORDS:
            english.setdefault(word, None)
    cjk: dict[str, None] = {}
    phrases = tuple(CJK_RUN.findall(cleaned))
    for run in phrases:
        for unit in cjk_units(run):
            cjk.setdefault(unit, None)
    english_terms = tuple(english)[:MAX_QUERY_UNITS]
    cjk_terms = tuple(cjk)[: MAX_QUERY_UNITS - len(english_terms)]
    return SearchQuery(raw, english_terms, cjk_terms, phrases)


def english_stem(word: str) -> str:
    """A light suffix strip, so `withdrawals` and `withdrawal` meet in the SQLite fallback."""
    for suffix in ("ing", "ies", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=65536)
def is_close_word(term: str, word: str) -> bool:
    """A small typo of a word of five letters or more (`withdrawl` for `withdrawal`)."""
    if len(term) < 5 or abs(len(term) - len(word)) > 2 or term[0] != word[0]:
        return False
    matcher = SequenceMatcher(None, term, word)
    return matcher.real_quick_ratio() >= 0.85 and matcher.ratio() >= 0.85


def highlight_snippet(text: str, query: SearchQuery, *, width: int = 160) -> str:
    """An escaped excerpt around the first match, with every matched word wrapped in <mark>."""
    plain = re.sub(r"\s+", " ", text).strip()
    spans = match_spans(plain.lower(), query)
    if not spans:
        excerpt = plain[:width]
        return html.escape(excerpt) + ("…" if len(plain) > width else "")
    first = spans[0][0]
    start = max(0, first - width // 3)
    end = min(len(plain), start + width)
    pieces = []
    cursor = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, cursor), min(span_end, end)
        if span_start < cursor:
            continue
        pieces.append(html.escape(plain[cursor:span_start]))
        pieces.append(f"<mark>{html.escape(plain[span_start:span_end])}</mark>")
        cursor = span_end
    pieces.append(html.escape(plain[cursor:end]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(plain) else ""
    return prefix + "".join(pieces) + suffix


def match_spans(lowered: str, query: SearchQuery) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans of the query's matches in lower-cased text."""
    spans: list[tuple[int, int]] = []
    for phrase in query.cjk_phrases:
        spans.extend((m.start(), m.end()) for m in re.finditer(re.escape(phrase), lowered))
    for unit in query.cjk_terms:
        spans.extend((m.start(), m.end()) for m in re.finditer(re.escape(unit), lowered))
    stems = [(term, english_stem(term)) for term in query.english_terms]
    if stems:
        for match in LATIN_WORD.finditer(lowered):
            word = match.group()
            if any(word.startswith(stem) or is_close_word(term, word) for term, stem in stems):
                spans.append((match.start(), match.end()))
    spans.sort(key=lambda span: (span[0], -span[1]))
    merged: list[tuple[int, int]] = []
    for span in spans:
        if merged and span[0] < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span[1]))
        else:
            merged.append(span)
    return merged
