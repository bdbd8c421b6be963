"""What an agent may not send a customer: requests for secrets, links off the official domains."""

import pytest
from django.conf import settings
from django.utils import translation

from guard.agent_messages import agent_message_problem

ASKING = [
    "Please send me your 12-word recovery phrase so I can restore the wallet.",
    "To verify the account, type your seed phrase here.",
    "Can you share your private key with me?",
    "What is your 2FA code?",
    "Tell me the SMS code you just received.",
    "Please confirm your password in this chat.",
    "请把您的助记词发给我，我帮您恢复钱包。",
    "为了验证身份，请提供您的私钥。",
    "请告诉我您刚收到的验证码。",
    "请输入您的支付密码确认。",
]

FINE = [
    "We will never ask for your recovery phrase, private key, password or 2FA code.",
    "Do not share your seed phrase with anyone, including us.",
    "You can reset your password from the app's log-in screen.",
    "Could you tell me the time, amount and transaction hash of the transfer?",
    "我们绝不会索要您的助记词、私钥、密码或验证码。",
    "请不要把验证码告诉任何人。",
    "请告诉我转账的时间、金额和交易哈希。",
    "See https://support.wallet.example/faq/ for the steps.",
]


@pytest.mark.parametrize("text", ASKING)
def test_asking_for_a_secret_is_stopped(text):
    assert "never ask customers" in agent_message_problem(text)


@pytest.mark.parametrize("text", FINE)
def test_ordinary_support_text_and_the_desks_warning_pass(text):
    assert agent_message_problem(text) is None


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_canned_reply_passes_in_both_languages(language):
    with translation.override(language):
        for reply in settings.SUPPORT_CANNED_REPLIES:
            assert agent_message_problem(str(reply)) is None, str(reply)


@pytest.mark.parametrize(
    "text",
    [
        "Log in at https://wallet-support-help.com/verify to unlock it.",
        "Use www.support.wallet.example.evil.io to check.",
        "Download the fix at http://203.0.113.9/app.apk",
    ],
)
def test_links_off_the_official_domains_are_stopped(text):
    assert "official domains" in agent_message_problem(text)


def test_official_domains_and_their_subdomains_pass(settings):
    settings.SUPPORT_OFFICIAL_DOMAINS = ["wallet.example"]
    settings.SUPPORT_SITE_URL = "https://help.wallet.example"
    assert (
        agent_message_problem("See https://docs.wallet.example/guide and www.wallet.example")
        is None
    )
    assert agent_message_problem("See https://wallet.example.attacker.io") is not None
