"""Suggestions put the fake-support article first, with a warning, for a scam story."""

import pytest
from django.urls import reverse

from faq.scams import looks_like_fake_support


@pytest.mark.parametrize(
    "text",
    [
        "Someone claiming to be support messaged me on Telegram",
        "an agent contacted me and asked me to validate my wallet",
        "They told me to sync my wallet on a website",
        "wallet validation required, they said",
        "有人冒充客服加我微信",
        "自称是客服的人让我验证钱包",
        "对方让我同步钱包",
    ],
)
def test_fake_support_texts_are_recognised(text):
    assert looks_like_fake_support(text)


@pytest.mark.parametrize(
    "text",
    [
        "My withdrawal is pending for two days",
        "I cannot log in, it says the password is wrong",
        "我的提现一直在处理中",
        "How do I contact support by email?",
    ],
)
def test_ordinary_texts_get_no_scam_warning(text):
    assert not looks_like_fake_support(text)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["someone claiming to be support asked me to sync my wallet", "有人冒充客服让我验证钱包"],
)
def test_suggest_puts_fake_support_article_first_with_warning(client, help_centre, query):
    body = client.post(reverse("faq:suggest"), {"q": query}).json()

    assert body["warning"]
    assert body["results"][0]["url"].endswith("/fake-support-scams/")
    assert len(body["results"]) <= 5


@pytest.mark.django_db
def test_suggest_without_scam_has_no_warning(client, help_centre):
    body = client.post(reverse("faq:suggest"), {"q": "withdrawal pending"}).json()

    assert body["warning"] is None
