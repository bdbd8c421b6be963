"""Text handling of the help centre: Markdown rendering, search tokens and highlighted snippets.

Chinese has no spaces between words. Articles are indexed as characters and overlapping bigrams
(the approach of Lucene's CJK analyser), which needs no dictionary and behaves the same in
PostgreSQL's full-text index and in the SQLite fallback. Queries are first put in the articles'
words (synonym groups editors keep, traditional characters simplified, particles and question
forms cut out), then segmented into words with jieba, and each word must be found in an article
as written (on PostgreSQL: all of its bigrams). Measured on the labelled queries, this ranks
better than bigram queries, most of all for whole sentences (docs/search.md). English words go
through PostgreSQL's English stemmer there, and through prefix matching here; units are weighted
by how rare they are, so a sentence is matched by its key terms.
"""

import html
import math
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

import jieba
import markdown
import nh3

jieba.setLogLevel(60)

CJK_CHAR = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK_CHAR}]+")
LATIN_WORD = re.compile(r"[a-z0-9]+")
MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
MARKDOWN_SYNTAX = re.compile(r"(^|\n)\s*(?:#{1,6}\s|[-*+]\s|\d+\.\s|>\s?)|[*_`]")

MAX_QUERY_LENGTH = 500
MAX_QUERY_UNITS = 16
# Traditional characters customers type (Taiwan, Hong Kong keyboards) and their simplified forms,
# limited to the characters the help centre's vocabulary uses; editors add whole words as
# synonyms in the admin.
TRADITIONAL = (
    "帳帐賬號戶盜轉凍結錢詞記領確認碼驗證設備錯誤額認證審資餘幣據網絡異處現經過東車長門問間題無"
    "還時麼為這個們來對說話請讓給實際幫將從點電郵寫應關開啟動帶壞務處費單態進聯繫絡聯繼續達"
    "鏈區塊瀏覽節假隱私頭鎖線機發後臺團隊護報詐騙釣魚網頁專員號碼戶註冊鑰輸紀錄礙礦擊"
)
SIMPLIFIED = (
    "账账账号户盗转冻结钱词记领确认码验证设备错误额认证审资余币据网络异处现经过东车长门问间题无"
    "还时么为这个们来对说话请让给实际帮将从点电邮写应关开启动带坏务处费单态进联系络联继续达"
    "链区块浏览节假隐私头锁线机发后台团队护报诈骗钓鱼网页专员号码户注册钥输纪录碍矿击"
)
TO_SIMPLIFIED = str.maketrans(TRADITIONAL, SIMPLIFIED)
# What customers wrap around the words that matter: particles, question forms and fillers. They
# are cut out before bigrams are made, so `账号被盗了吗` searches as `账户被盗` would.
CHINESE_FILLERS = sorted(
    [
        "怎么办",
        "怎么回事",
        "怎么弄",
        "怎么样",
        "为什么",
        "为啥",
        "怎么",
        "怎样",
        "如何",
        "什么",
        "啥",
        "请问",
        "请帮忙",
        "帮忙",
        "帮我",
        "麻烦",
        "一下",
        "可以吗",
        "能不能",
        "是不是",
        "有没有",
        "要不要",
        "是否",
        "谢谢",
        "您好",
        "你好",
        "你们",
        "我们",
        "我的",
        "我",
        "你",
        "他",
        "她",
        "了",
        "吗",
        "呢",
        "啊",
        "吧",
        "呀",
        "哦",
        "嘛",
        "的",
        "得",
        "么",
        "在哪里",
        "在哪儿",
        "在哪",
        "哪里",
        "多少",
        "现在",
        "已经",
        "还是",
        "还",
        "都",
        "就",
        "很",
        "太",
        "好",
        "又",
        "也",
        "才",
        "是",
        "把",
        "个",
        "这",
        "那",
        "和",
        "跟",
    ],
    key=len,
    reverse=True,
)
CHINESE_FILLER = re.compile("|".join(map(re.escape, CHINESE_FILLERS)))
ENGLISH_APOSTROPHE = re.compile(r"(\w)['’](\w)")
# PostgreSQL's English configuration drops the Snowball stop words; dropping the same words here
# keeps the SQLite fallback ranking as PostgreSQL does. A few words customers add are appended.
SNOWBALL_ENGLISH_STOPWORDS = (
    "i",
    "me",
    "my",
    "myself",
    "we",
    "our",
    "ours",
    "ourselves",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "hers",
    "herself",
    "it",
    "its",
    "itself",
    "they",
    "them",
    "their",
    "theirs",
    "themselves",
    "what",
    "which",
    "who",
    "whom",
    "this",
    "that",
    "these",
    "those",
    "am",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "have",
    "has",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "a",
    "an",
    "the",
    "and",
    "but",
    "if",
    "or",
    "because",
    "as",
    "until",
    "while",
    "of",
    "at",
    "by",
    "for",
    "with",
    "about",
    "against",
    "between",
    "into",
    "through",
    "during",
    "before",
    "after",
    "above",
    "below",
    "to",
    "from",
    "up",
    "down",
    "in",
    "out",
    "on",
    "off",
    "over",
    "under",
    "again",
    "further",
    "then",
    "once",
    "here",
    "there",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "both",
    "each",
    "few",
    "more",
    "most",
    "other",
    "some",
    "such",
    "no",
    "nor",
    "not",
    "only",
    "own",
    "same",
    "so",
    "than",
    "too",
    "very",
    "s",
    "t",
    "can",
    "will",
    "just",
    "don",
    "should",
    "now",
)
ENGLISH_STOPWORDS = frozenset(
    [
        *SNOWBALL_ENGLISH_STOPWORDS,
        "didnt",
        "dont",
        "doesnt",
        "cant",
        "get",
        "got",
        "help",
        "im",
        "please",
        "would",
        "could",
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


@lru_cache(maxsize=4096)
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


@dataclass(frozen=True)
class Synonyms:
    """Ways customers write a word, each mapped to the word the articles use.

    `chinese` pairs are replaced as substrings, longest first; `english` maps a tuple of one to
    three words to the words that replace them.
    """

    chinese: tuple[tuple[str, str], ...] = ()
    english: dict[tuple[str, ...], str] = field(default_factory=dict)

    @property
    def words(self) -> tuple[str, ...]:
        """The Chinese words the articles use, kept whole by the segmenter."""
        return tuple(dict.fromkeys(term for _, term in self.chinese if " " not in term))

    @classmethod
    def from_groups(cls, groups: list[tuple[str, list[str]]]) -> "Synonyms":
        """`groups` holds (the articles' word, [variants]); scripts are told apart here."""
        chinese: dict[str, str] = {}
        english: dict[tuple[str, ...], str] = {}
        for term, variants in groups:
            term = normalise_characters(term)
            for variant in variants:
                variant = normalise_characters(variant)
                if not variant or variant == term:
                    continue
                if CJK_RUN.search(variant):
                    chinese.setdefault(variant, term)
                else:
                    words = tuple(LATIN_WORD.findall(variant))
                    if 1 <= len(words) <= 3:
                        english.setdefault(words, term)
        ordered = tuple(sorted(chinese.items(), key=lambda pair: -len(pair[0])))
        return cls(ordered, english)


NO_SYNONYMS = Synonyms()


def normalise_characters(text: str) -> str:
    """Lower case, full-width forms folded (NFKC), traditional characters simplified."""
    text = unicodedata.normalize("NFKC", text).lower().translate(TO_SIMPLIFIED)
    return ENGLISH_APOSTROPHE.sub(r"\1\2", text)


def normalise_query(raw: str, synonyms: Synonyms = NO_SYNONYMS) -> str:
    """The query as the articles would word it: variants replaced, fillers cut out."""
    text = normalise_characters(raw[:MAX_QUERY_LENGTH])
    if synonyms.chinese and CJK_RUN.search(text):
        text = _replace_chinese(text, synonyms.chinese)
    text = CHINESE_FILLER.sub(" ", text)
    if synonyms.english:
        text = _replace_english(text, synonyms.english)
    return text


def _replace_chinese(text: str, pairs: tuple[tuple[str, str], ...]) -> str:
    # One pass, longest variant first at each position, so a replacement is never rewritten.
    pattern, terms = _chinese_variants(pairs)
    return pattern.sub(lambda match: f" {terms[match.group()]} ", text)


@lru_cache(maxsize=8)
def _chinese_variants(pairs: tuple[tuple[str, str], ...]) -> tuple[re.Pattern[str], dict]:
    """One alternation of the variants, longest first (a regex tries them in order at each
    position, as the loop it replaced did, at the regex engine's speed)."""
    return re.compile("|".join(re.escape(variant) for variant, _ in pairs)), dict(pairs)


def _replace_english(text: str, phrases: dict[tuple[str, ...], str]) -> str:
    words = LATIN_WORD.findall(text)
    out: list[str] = []
    index = 0
    while index < len(words):
        for size in (3, 2, 1):
            key = tuple(words[index : index + size])
            if len(key) == size and key in phrases:
                out.append(phrases[key])
                index += size
                break
        else:
            out.append(words[index])
            index += 1
    cjk = " ".join(CJK_RUN.findall(text))
    return f"{' '.join(out)} {cjk}".strip()


def parse_query(raw: str, synonyms: Synonyms = NO_SYNONYMS) -> SearchQuery:
    """Units of a query; punctuation, scripts and other noise fall away, never raise."""
    cleaned = normalise_query(raw, synonyms)
    english: dict[str, None] = {}
    for word in LATIN_WORD.findall(cleaned):
        if len(word) >= 2 and word not in ENGLISH_STOPWORDS:
            english.setdefault(word, None)
    cjk: dict[str, None] = {}
    phrases = tuple(CJK_RUN.findall(cleaned))
    for run in phrases:
        for unit in query_words(run, synonyms):
            cjk.setdefault(unit, None)
    english_terms = tuple(english)[:MAX_QUERY_UNITS]
    cjk_terms = tuple(cjk)[: MAX_QUERY_UNITS - len(english_terms)]
    return SearchQuery(raw, english_terms, cjk_terms, phrases)


# Wallet words jieba's general dictionary splits (`助记词` into `助记 词`); the synonym groups'
# words are added to them, so what editors write stays whole.
DOMAIN_WORDS = (
    "助记词",
    "私钥",
    "提现",
    "充值",
    "到账",
    "没到账",
    "未到账",
    "处理中",
    "待处理",
    "冻结",
    "解冻",
    "被盗",
    "盗号",
    "封号",
    "双重验证",
    "验证器",
    "身份验证器",
    "交易哈希",
    "区块浏览器",
    "手续费",
    "钓鱼网站",
    "冒充客服",
    "假客服",
    "工单",
    "工单号",
    "热线",
    "客服电话",
    "实名认证",
    "额度",
    "限额",
    "陌生登录",
    "异地登录",
    "地址投毒",
    "粉尘攻击",
    "收款地址",
    "远程控制",
)
_segmenter_lock = threading.Lock()


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in DOMAIN_WORDS:
        tokenizer.add_word(word, freq=100000)
    return tokenizer


def query_words(run: str, synonyms: Synonyms = NO_SYNONYMS) -> list[str]:
    """A CJK run of a query as words (jieba's search mode), the run itself when it is one
    character. Each word must then be found in an article as written; docs/search.md says why
    this beats bigrams on the labelled queries."""
    if len(run) == 1:
        return [run]
    tokenizer = _segmenter()
    with _segmenter_lock:
        for word in synonyms.words:
            if word not in tokenizer.FREQ or not tokenizer.FREQ[word]:
                tokenizer.add_word(word, freq=100000)
        return [word for word in tokenizer.cut_for_search(run, HMM=True) if word.strip()]


MINIMUM_MATCHED_SHARE = 0.4
SHORT_QUERY_UNITS = 4


def inverse_frequencies(frequency: dict[str, int], *, total: int) -> dict[str, float]:
    """How telling each unit is: rare units weigh more (`助记词` over `客服`); a unit that no
    article contains (a name, an amount, a typo nothing corrects) weighs nothing."""
    return {
        unit: math.log(1 + total / count) if count else 0.0 for unit, count in frequency.items()
    }


def query_score(
    query: SearchQuery, weights: dict[str, float], idf: dict[str, float]
) -> float | None:
    """An article's score: each matched unit's rarity times the weight of the field it is in.

    None when the matched units carry less than MINIMUM_MATCHED_SHARE of the query's telling
    weight, so a long sentence is matched by its key terms and not by every word it holds.
    """
    wanted = sum(idf.values())
    if not wanted:
        return None
    matched = sum(idf[unit] for unit in weights)
    # A sentence holds more words no article has a use for: the share it needs falls with length.
    share = MINIMUM_MATCHED_SHARE * min(1.0, SHORT_QUERY_UNITS / len(idf))
    if matched < wanted * share:
        return None
    coverage = matched / wanted
    return sum(idf[unit] * weight for unit, weight in weights.items()) * (0.5 + coverage / 2)


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
    if query.english_terms:
        prefixes, terms = _english_matchers(query.english_terms)
        found = [(m.start(), m.end()) for m in prefixes.finditer(lowered)]
        spans.extend(found)
        # Typos are highlighted only where the words themselves are absent (`withdrawl`).
        if terms and not found:
            initials = {term[0] for term in terms}
            for match in LATIN_WORD.finditer(lowered):
                word = match.group()
                if word[0] in initials and any(is_close_word(term, word) for term in terms):
                    spans.append((match.start(), match.end()))
    spans.sort(key=lambda span: (span[0], -span[1]))
    merged: list[tuple[int, int]] = []
    for span in spans:
        if merged and span[0] < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], span[1]))
        else:
            merged.append(span)
    return merged


@lru_cache(maxsize=1024)
def _english_matchers(terms: tuple[str, ...]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """One regex for the words a query's stems begin, and the terms long enough for typos."""
    stems = "|".join(sorted({re.escape(english_stem(term)) for term in terms}, key=len)[::-1])
    prefixes = re.compile(rf"(?<![a-z0-9])(?:{stems})[a-z0-9]*")
    return prefixes, tuple(term for term in terms if len(term) >= 5)
