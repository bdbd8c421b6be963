from faq.text import cjk_document, highlight_snippet, parse_query, render_markdown


def test_parse_query_splits_chinese_into_words_and_drops_noise():
    query = parse_query("账户被盗 <script>alert(1)</script> the withdrawal!!")

    assert {"账户", "被盗"} <= set(query.cjk_terms)
    assert "户被" not in query.cjk_terms
    assert query.english_terms == ("script", "alert", "withdrawal")


def test_parse_query_punctuation_only_is_empty():
    assert parse_query("!!! ??? ……").is_empty


def test_parse_query_single_chinese_character_is_a_unit():
    assert parse_query("币").cjk_terms == ("币",)


def test_cjk_document_has_characters_and_bigrams_only():
    assert cjk_document("提现 fails 失败") == "提 现 提现 失 败 失败"


def test_highlight_snippet_escapes_and_marks():
    text = "Your <b>withdrawal</b> is pending & safe."
    snippet = highlight_snippet(text, parse_query("withdrawal"))

    assert "<b>" not in snippet
    assert "&lt;b&gt;<mark>withdrawal</mark>&lt;/b&gt;" in snippet
    assert "&amp;" in snippet


def test_highlight_snippet_marks_chinese_phrase():
    snippet = highlight_snippet("如果提现一直处于处理中，请先检查网络。", parse_query("提现"))

    assert "<mark>提现</mark>" in snippet


def test_highlight_snippet_marks_typo_matches():
    snippet = highlight_snippet("Why a withdrawal is pending", parse_query("withdrawl"))

    assert "<mark>withdrawal</mark>" in snippet


def test_render_markdown_strips_scripts_and_handlers():
    html = render_markdown(
        "Hi <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )

    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html
