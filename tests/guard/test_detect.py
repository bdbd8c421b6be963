"""Tests for guard.detect: real secrets are found, ordinary support text passes untouched."""

import json
import random
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mnemonic import Mnemonic

from guard.detect import Finding, SecretKind, contains_secret, scan_conversation, scan_text
from tests.support import guard_corpus as corpus
from tests.support import guard_generated as generated

# The shipped help centre: long Chinese and English prose about wallets, phrases and keys.
HELP_CENTRE = Path(__file__).resolve().parents[2] / "faq" / "content"
PHRASE_SEEDS = (1, 2, 3)
PHRASE_LENGTHS = (12, 15, 18, 21, 24)


def _numbered(template: str, separator: str = " ") -> Callable[[list[str]], str]:
    return lambda words: separator.join(template.format(i, w) for i, w in enumerate(words, 1))


COMMON_FORMATS: dict[str, Callable[[list[str]], str]] = {
    "space": " ".join,
    "multiple_spaces": "   ".join,
    "comma": ",".join,
    "comma_space": ", ".join,
    "chinese_comma": "，".join,
    "ideographic_comma": "、".join,
    "ideographic_space": "\u3000".join,
    "newline": "\n".join,
    "tab": "\t".join,
    "slash": " / ".join,
    "dash": "-".join,
    "numbered_dot": _numbered("{}. {}"),
    "numbered_paren": _numbered("{}) {}"),
    "numbered_lines": _numbered("{}.{}", "\n"),
    "hash_numbered": _numbered("#{} {}"),
    "embedded_english": lambda w: f"hi support, my words are: {' '.join(w)} please help",
    "embedded_english_lines": lambda w: "Hello,\nmy seed:\n" + "\n".join(w) + "\nthanks!",
}
ENGLISH_FORMATS: dict[str, Callable[[list[str]], str]] = {
    "upper": lambda w: " ".join(w).upper(),
    "title": lambda w: " ".join(word.title() for word in w),
    "embedded_chinese": lambda w: f"我的助记词是：{' '.join(w)}，请帮我看看",
    "fullwidth_letters": lambda w: " ".join(w).translate(
        {code: code + 0xFEE0 for code in range(ord("a"), ord("z") + 1)}
    ),
}
CHINESE_FORMATS: dict[str, Callable[[list[str]], str]] = {
    "unspaced": "".join,
    "embedded_chinese_unspaced": lambda w: f"我的助记词是：{''.join(w)}，请帮我看看",
    "embedded_chinese_spaced": lambda w: f"我的助记词是：{' '.join(w)}，请帮我看看",
    "embedded_english_unspaced": lambda w: f"my words are {''.join(w)} thanks",
    "unspaced_line": lambda w: "客服你好\n" + "".join(w) + "\n谢谢",
    "groups_of_3": lambda w: " ".join("".join(w[i : i + 3]) for i in range(0, len(w), 3)),
    "groups_of_4_lines": lambda w: "\n".join("".join(w[i : i + 4]) for i in range(0, len(w), 4)),
    "numbered_chinese": _numbered("{}、{}"),
}


def _phrase_cases() -> list[pytest.param]:
    cases = []
    for language in corpus.PHRASE_LANGUAGES:
        extra = ENGLISH_FORMATS if language == "english" else CHINESE_FORMATS
        for length in PHRASE_LENGTHS:
            for seed in PHRASE_SEEDS:
                words = corpus.phrase_words(language, length, seed)
                for name, layout in {**COMMON_FORMATS, **extra}.items():
                    case_id = f"{language}-{length}-seed{seed}-{name}"
                    cases.append(pytest.param(layout(words), id=case_id))
    return cases


@pytest.mark.parametrize("text", _phrase_cases())
def test_scan_text_finds_real_recovery_phrases(text: str) -> None:
    kinds = {finding.kind for finding in scan_text(text)}
    assert kinds == {SecretKind.RECOVERY_PHRASE}


@pytest.mark.parametrize("language", corpus.PHRASE_LANGUAGES)
def test_scan_text_phrase_finding_covers_the_phrase(language: str) -> None:
    words = corpus.phrase_words(language, 24, 9)
    phrase = " ".join(words)
    text = f"Hello support team, {phrase} -- that is all."
    findings = scan_text(text)
    start = text.index(phrase)
    assert findings == [Finding(SecretKind.RECOVERY_PHRASE, start, start + len(phrase))]


def test_scan_text_finds_two_phrases_in_one_message() -> None:
    first = " ".join(corpus.phrase_words("english", 12, 4))
    second = "".join(corpus.phrase_words("chinese_simplified", 12, 4))
    text = f"old wallet: {first}\n新钱包：{second}。"
    findings = scan_text(text)
    assert [f.kind for f in findings] == [SecretKind.RECOVERY_PHRASE] * 2
    assert text[findings[1].start : findings[1].end] == second


def _mistype(word: str) -> str:
    return word[:-1] if len(word) > 4 else word + "x"


@pytest.mark.parametrize(
    "layout",
    [_numbered("{}. {}"), _numbered("{}) {}", "\n"), ", ".join, "\n".join],
    ids=["numbered", "numbered_lines", "comma_list", "newline_list"],
)
@pytest.mark.parametrize("seed", PHRASE_SEEDS)
def test_scan_text_finds_written_out_list_with_one_mistyped_word(
    layout: Callable[[list[str]], str], seed: int
) -> None:
    words = corpus.phrase_words("english", 12, seed)
    words[5] = _mistype(words[5])
    assert contains_secret(layout(words)) == SecretKind.RECOVERY_PHRASE


@pytest.mark.parametrize("seed", PHRASE_SEEDS)
def test_scan_text_finds_numbered_list_with_bad_checksum(seed: int) -> None:
    words = corpus.phrase_words("english", 12, seed)
    wordlist = Mnemonic("english").wordlist
    rng = random.Random(seed)
    while Mnemonic("english").check(" ".join(words)):
        words[-1] = rng.choice(wordlist)
    assert contains_secret(_numbered("{}. {}", "\n")(words)) == SecretKind.RECOVERY_PHRASE


def test_scan_text_finds_numbered_chinese_list_with_bad_checksum() -> None:
    words = corpus.phrase_words("chinese_simplified", 12, 5)
    words[3] = "龘"  # off the list
    assert contains_secret(_numbered("{}. {}", "\n")(words)) == SecretKind.RECOVERY_PHRASE


def test_scan_text_plain_run_of_list_words_without_checksum_passes() -> None:
    # 12 consecutive list words in a row, as prose can produce, with no valid checksum.
    text = "please help access account balance again today check phone number now ready"
    mnemo = Mnemonic("english")
    assert all(word in mnemo.wordlist for word in text.split())
    assert not mnemo.check(text)
    assert scan_text(text) == []


@pytest.mark.parametrize("seed", range(60))
def test_scan_text_spaced_english_words_drawn_at_random_are_refused(seed: int) -> None:
    # A phrase with one wrong word that is still on the list fails the checksum; its words are
    # still drawn at random from the list, which prose's words are not.
    words = random.Random(seed).sample(Mnemonic("english").wordlist, 12)
    assert contains_secret(" ".join(words)) == SecretKind.RECOVERY_PHRASE


# Private keys --------------------------------------------------------------------------------


def _key_cases() -> list[pytest.param]:
    cases = []
    for seed in PHRASE_SEEDS:
        for compressed in (False, True):
            for testnet in (False, True):
                key = corpus.wif(seed, compressed=compressed, testnet=testnet)
                name = f"wif-{'compressed' if compressed else 'uncompressed'}-"
                name += f"{'testnet' if testnet else 'mainnet'}-{seed}"
                cases.append(pytest.param(key, id=name))
        for prefix in corpus.EXTENDED_VERSIONS:
            cases.append(
                pytest.param(corpus.extended_private_key(prefix, seed), id=f"{prefix}-{seed}")
            )
    seed_bytes = Mnemonic.to_seed(" ".join(corpus.phrase_words("english", 12, 1)))
    cases.append(pytest.param(Mnemonic.to_hd_master_key(seed_bytes), id="xprv-from-mnemonic"))
    testnet = Mnemonic.to_hd_master_key(seed_bytes, testnet=True)
    cases.append(pytest.param(testnet, id="tprv-from-mnemonic"))
    return cases


KEY_CASES = _key_cases()


@pytest.mark.parametrize("key", KEY_CASES)
def test_scan_text_finds_private_keys(key: str) -> None:
    text = f"here it is: {key} please check"
    start = text.index(key)
    assert scan_text(text) == [Finding(SecretKind.PRIVATE_KEY, start, start + len(key))]
    assert contains_secret(key, hash_field=True) == SecretKind.PRIVATE_KEY


def test_scan_text_key_prefixes_are_what_wallets_show() -> None:
    assert corpus.wif(1, compressed=False)[0] == "5"
    assert corpus.wif(1, compressed=True)[0] in "KL"
    assert corpus.wif(1, compressed=False, testnet=True)[0] == "9"
    assert corpus.wif(1, compressed=True, testnet=True)[0] == "c"
    for prefix in corpus.EXTENDED_VERSIONS:
        assert corpus.extended_private_key(prefix, 1).startswith(prefix)


@pytest.mark.parametrize("key", KEY_CASES)
def test_scan_text_key_with_broken_checksum_passes(key: str) -> None:
    position = len(key) // 2
    replacement = "2" if key[position] != "2" else "3"
    broken = key[:position] + replacement + key[position + 1 :]
    assert scan_text(broken) == []


@pytest.mark.parametrize(
    "template",
    [
        "private key: {}",
        "Private Key {}",
        "my privkey = {}",
        "my secret is {}",
        "seed: {}",
        "私钥：{}",
        "这是我的密钥 {}",
        "秘钥{}",
        "{} is my private key",
        "{} 是我的私钥",
        "txid: {}\nprivate key: {}",
    ],
)
@pytest.mark.parametrize("prefix", ["", "0x"])
def test_scan_text_finds_hex_presented_as_key(template: str, prefix: str) -> None:
    value = prefix + corpus.hex64(1)
    text = template.format(value, value)
    findings = scan_text(text)
    assert findings
    assert {f.kind for f in findings} == {SecretKind.PRIVATE_KEY}
    assert text[findings[-1].start : findings[-1].end] == value


def test_scan_text_hex_key_cue_counts_in_hash_field() -> None:
    assert contains_secret("private key " + corpus.hex64(2), hash_field=True) == (
        SecretKind.PRIVATE_KEY
    )


def test_scan_text_bare_hex_in_message_about_a_private_key_is_a_key() -> None:
    text = (
        "I think my wallet was hacked. I exported the private key yesterday, here it is so "
        "you can look at it:\n\n" + corpus.hex64(3)
    )
    assert contains_secret(text) == SecretKind.PRIVATE_KEY
    assert contains_secret(text, hash_field=True) is None


@pytest.mark.parametrize(
    "template",
    [
        "txid {}",
        "TXID: {}",
        "tx hash {}",
        "transaction hash: {}",
        "Transaction ID {}",
        "hash: {}",
        "交易哈希：{}",
        "交易ID {}",
        "哈希值 {}",
        "https://etherscan.io/tx/{}",
        "https://mempool.space/tx/{}",
        "{}",
        "please check {} thanks",
        "my private key was stolen and the thief sent tx {}",
        "public key: {}",
        "Aptos address {}",
        "{} (this is the transaction)",
    ],
)
@pytest.mark.parametrize("prefix", ["", "0x"])
def test_scan_text_hex_presented_as_hash_passes(template: str, prefix: str) -> None:
    assert scan_text(template.format(prefix + corpus.hex64(4))) == []


@pytest.mark.parametrize("value", [corpus.hex64(5), "0x" + corpus.hex64(5), " " + corpus.hex64(6)])
def test_scan_text_bare_hex_in_hash_field_passes(value: str) -> None:
    assert scan_text(value, hash_field=True) == []


# Ordinary text -------------------------------------------------------------------------------

ADDRESSES_AND_HASHES = {
    "btc_legacy": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    "btc_p2sh": "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    "btc_bech32": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "btc_taproot": "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
    "eth_address": "0x742d35Cc6634C0532925a3b844Bc454e4438f44e",
    "tron_address": "TLa2f6VPqDgRE67v1736s7bJ8Ray5wYjU7",
    "solana_address": "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
    "eth_tx": "tx 0x5c504ed432cb51138bcf09aa5e8a410dd4a1e204ef84bfed1be16dfba1b22060",
    "btc_txid": "txid 4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
    "xpub": (
        "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsef"
        "D265TMg7usUDFdp6W1EGMcet8"
    ),
}


@pytest.mark.parametrize("text", ADDRESSES_AND_HASHES.values(), ids=ADDRESSES_AND_HASHES.keys())
def test_scan_text_addresses_and_hashes_pass(text: str) -> None:
    assert scan_text(f"Please check {text}, it has not arrived.") == []
    assert scan_text(text) == []


@pytest.mark.parametrize("text", corpus.ENGLISH_MESSAGES)
def test_scan_text_ordinary_english_passes(text: str) -> None:
    assert scan_text(text) == []


@pytest.mark.parametrize("text", corpus.CHINESE_MESSAGES)
def test_scan_text_ordinary_chinese_passes(text: str) -> None:
    assert scan_text(text) == []


def test_scan_text_ordinary_chinese_excerpt_passes() -> None:
    assert scan_text(corpus.CHINESE_EXCERPT) == []
    for line in corpus.CHINESE_EXCERPT.splitlines():
        assert scan_text(line) == []


def help_centre_texts() -> list[str]:
    texts = []
    for path in sorted(HELP_CENTRE.glob("*.toml")):
        for article in tomllib.loads(path.read_text(encoding="utf-8")).get("article", []):
            texts += [article[f"body_{language}"] for language in ("zh_hans", "en")]
    return texts


def test_scan_text_the_shipped_help_centre_passes() -> None:
    """Articles about recovery phrases and keys, in both languages, are no secret."""
    texts = help_centre_texts()
    assert len(texts) >= 80
    assert [text[:60] for text in texts if scan_text(text)] == []
    flagged = [line for text in texts for line in text.splitlines() if scan_text(line)]
    assert flagged == []


@pytest.mark.parametrize(
    "text",
    [
        "I paid 1,234,567.89 USD on 2024-03-15 at 14:32:05",
        "Call +86 138 0013 8000 or (415) 555-0132",
        "订单号：2024031512345678",
        "Order 1234 5678 9012 3456",
        "4111 1111 1111 1112",
        "ticket 2024-06-01-000123, amount 0.00012345 BTC",
        "timestamp 1718000000000, block 840000",
        "身份证号 110101199003071237",
        "ID 4111111111111111X",
    ],
)
def test_scan_text_numbers_that_are_not_cards_pass(text: str) -> None:
    assert scan_text(text) == []


# Card numbers --------------------------------------------------------------------------------


def _luhn_complete(prefix: str) -> str:
    for check in "0123456789":
        digits = [int(d) for d in prefix + check]
        total = sum(digits[-1::-2]) + sum(sum(divmod(2 * d, 10)) for d in digits[-2::-2])
        if total % 10 == 0:
            return prefix + check
    raise AssertionError(prefix)


@pytest.mark.parametrize(
    "number",
    [
        "4111 1111 1111 1111",
        "4111111111111111",
        "4012-8888-8888-1881",
        "5555-5555-5555-4444",
        "2223 0031 2200 3222",
        "378282246310005",
        "3782 822463 10005",
        "6011111111111117",
        "3530111333300000",
        _luhn_complete("621226123456789"),
        _luhn_complete("621226123456789012"),
        "４１１１ １１１１ １１１１ １１１１",
    ],
)
def test_scan_text_finds_card_numbers(number: str) -> None:
    text = f"my card is {number} exp 12/27"
    start = text.index(number)
    assert scan_text(text) == [Finding(SecretKind.CARD_NUMBER, start, start + len(number))]


def test_scan_text_card_number_in_chinese_text() -> None:
    assert contains_secret("我的银行卡号是4111111111111111，请退款") == SecretKind.CARD_NUMBER


def test_scan_text_chinese_resident_id_is_not_a_card() -> None:
    # A Gansu-style ID (prefix 62, like UnionPay) that is also Luhn-valid.
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    for serial in range(1000):
        body = f"62010219900101{serial:03d}"
        check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
        number = body + check
        if check != "X" and _luhn_complete(number[:-1]) == number:
            break
    else:
        raise AssertionError("no Luhn-valid ID found")
    assert scan_text(f"身份证 {number}") == []


# The API -------------------------------------------------------------------------------------


def test_finding_repr_does_not_reveal_the_secret() -> None:
    words = corpus.phrase_words("english", 12, 1)
    key = corpus.wif(1, compressed=True)
    text = f"{' '.join(words)} and {key} and 4111 1111 1111 1111"
    findings = scan_text(text)
    assert [f.kind for f in findings] == list(SecretKind)
    for finding in findings:
        shown = repr(finding) + str(finding)
        assert key not in shown
        assert "4111" not in shown
        assert not any(word in shown for word in words if len(word) > 3)


def test_finding_is_frozen() -> None:
    finding = Finding(SecretKind.CARD_NUMBER, 0, 16)
    with pytest.raises(AttributeError):
        finding.start = 1  # type: ignore[misc]


def test_contains_secret_returns_first_kind_or_none() -> None:
    key = corpus.wif(2, compressed=True)
    assert contains_secret(f"card 4111111111111111 then key {key}") == SecretKind.CARD_NUMBER
    assert contains_secret(f"key {key} then card 4111111111111111") == SecretKind.PRIVATE_KEY
    assert contains_secret("hello, my transfer is late") is None
    assert contains_secret("") is None


def test_secret_kind_values_are_strings() -> None:
    assert SecretKind.RECOVERY_PHRASE == "recovery_phrase"
    assert SecretKind.PRIVATE_KEY == "private_key"
    assert SecretKind.CARD_NUMBER == "card_number"


# Properties ----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.booleans())
def test_scan_text_never_raises_on_random_text(text: str, hash_field: bool) -> None:
    findings = scan_text(text, hash_field=hash_field)
    assert all(0 <= f.start < f.end <= len(text) for f in findings)
    assert contains_secret(text, hash_field=hash_field) == (findings[0].kind if findings else None)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(corpus.ENGLISH_SENTENCES + corpus.CHINESE_SENTENCES), max_size=40),
    st.sampled_from([" ", "\n", "", "  ", "\n\n"]),
)
def test_scan_text_sampled_prose_passes(sentences: list[str], separator: str) -> None:
    assert scan_text(separator.join(sentences)) == []


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789abcdefxABCDEF -:txid私钥", max_size=200))
def test_scan_text_never_raises_on_hex_like_text(text: str) -> None:
    for finding in scan_text(text):
        assert finding.kind in SecretKind


# Issue 17 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("review", ["酒店的行政楼层无人员值班", "妈妈再也不感觉饮食单调了"])
def test_scan_text_real_chinese_reviews_pass(review: str) -> None:
    # Both pass the checksum and the old frequency floor; their neighbours are real Chinese.
    assert scan_text(review) == []
    assert scan_text(f"评价：{review}。") == []


@pytest.mark.parametrize(
    "text",
    [
        "现在想换一部手机，应该怎么恢复钱包我昨天轉帳給朋友，但是對方說沒有收到",
        "梅莱凯奥克爱丁堡市最終陳述式傳回太少欄位",
    ],
)
def test_scan_text_simplified_run_into_traditional_passes(text: str) -> None:
    # Two texts pasted together: a window holding characters only one list has and characters
    # only the other has is a phrase in neither.
    assert scan_text(text) == []


@pytest.mark.parametrize(
    ("language", "prose"),
    [
        ("chinese_simplified", "我的助记词是{}请帮我找回"),
        ("chinese_traditional", "我的助記詞是{}請幫我找回"),
        ("chinese_traditional", "我的助记词是{}请帮我找回"),
    ],
)
def test_scan_text_finds_chinese_phrase_glued_to_either_script(language: str, prose: str) -> None:
    for seed in range(6):
        words = generated.phrase(language, 12, seed)
        text = prose.format("".join(words))
        findings = scan_text(text)
        assert [f.kind for f in findings] == [SecretKind.RECOVERY_PHRASE], text
        start = text.index(words[0])
        assert findings[0].start <= start + 1
        assert findings[0].end >= start + 11


def test_scan_text_finds_solana_secret_key_and_keypair_file() -> None:
    secret = generated.solana_secret(1)
    encoded = generated.b58encode(secret)
    text = f"phantom export: {encoded}"
    start = text.index(encoded)
    assert scan_text(text) == [Finding(SecretKind.PRIVATE_KEY, start, start + len(encoded))]
    assert contains_secret(json.dumps(list(secret))) == SecretKind.PRIVATE_KEY


def test_scan_text_64_bytes_that_are_not_a_keypair_pass() -> None:
    secret = generated.solana_secret(2)
    tampered = secret[:32] + bytes([secret[32] ^ 1]) + secret[33:]
    assert scan_text(generated.b58encode(tampered)) == []
    assert scan_text(json.dumps(list(random.Random(3).randbytes(64)))) == []


def test_scan_text_finding_maps_back_through_invisible_characters() -> None:
    words = corpus.phrase_words("english", 12, 21)
    disguised = " ".join(word[:2] + "\u200b" + word[2:] for word in words)
    text = f"hi: {disguised} thanks"
    assert scan_text(text) == [
        Finding(
            SecretKind.RECOVERY_PHRASE,
            text.index(disguised),
            text.index(disguised) + len(disguised),
        )
    ]


def test_scan_text_card_number_with_dots_but_not_a_decimal() -> None:
    assert contains_secret("card 4111.1111.1111.1111 exp 12/27") == SecretKind.CARD_NUMBER
    assert scan_text("total 4111.11 and 1111.1111 BTC") == []


def test_scan_conversation_reports_the_completing_message_only() -> None:
    words = corpus.phrase_words("english", 12, 22)
    first, second = " ".join(words[:7]), " ".join(words[7:])
    assert scan_text(second) == []
    findings = scan_conversation(["hello", first, second])
    assert [finding.kind for finding in findings] == [SecretKind.RECOVERY_PHRASE]
    assert findings[0].start == 0
    assert findings[0].end == len(second)
    # A secret wholly in an earlier message was refused then: not reported again.
    assert scan_conversation([" ".join(words), "thanks"]) == []


def test_scan_conversation_of_ordinary_messages_passes() -> None:
    messages = list(corpus.ENGLISH_MESSAGES + corpus.CHINESE_MESSAGES)
    for i in range(len(messages) - 3):
        assert scan_conversation(messages[i : i + 4]) == [], messages[i : i + 4]
