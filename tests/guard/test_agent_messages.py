"""What an agent may not send a customer: requests for secrets, links off the official domains."""

import pytest
from django.utils import translation

from guard.agent_messages import agent_message_problem
from tickets.canned import canned_reply_texts

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
    # Issue 17: paraphrases the keyword list missed.
    "tell me the 6-digit code you just received by SMS",
    "send the 12 words you wrote down",
    "请把你钱包备份的12个单词发给我",
    "Could you read me the code we just sent to your email?",
    "What are the twelve words on your backup card?",
    "I need your backup to restore the account.",
    "Please reply with the verification number from your authenticator app.",
    "Take a photo of the paper with your seed and upload it here.",
    "把你的备份截图发过来",
    "请把短信里的6位数字验证码告诉我",
    # Look-alike letters and invisible characters do not hide the words.
    "Send me your sееd phrase",
    "Send me your pass\u200bword",
]
REMOTE_OR_TRANSFER = [
    "Please install AnyDesk and give me the code it shows.",
    "Open TeamViewer so I can fix it for you.",
    "Download RustDesk, it lets me look at your phone.",
    "请下载向日葵远程控制软件，我帮你操作。",
    "To protect your funds, transfer them to this safe wallet address.",
    "Move your balance to a secure address we give you.",
    "Your wallet is compromised: send everything to the new wallet address below.",
    "请把资产转到安全钱包地址，以免被冻结。",
    "请将余额转移到我们提供的新的钱包地址。",
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
    "Please keep your backup in a safe place and never share it.",
    "We will never ask you to install AnyDesk or TeamViewer.",
    "Support will never ask you to move funds to a safe address.",
    "您的新地址会显示在应用里，请不要转到任何陌生地址。",
    "The app version 3.2.1 fixes this; update from the store.",
    "Your transfer of 0.05 BTC was confirmed in block 840000.",
    "Write to us at help@support.wallet.example if the page does not load.",
    "我们绝不会要求您安装远程控制软件。",
]


@pytest.mark.parametrize("text", ASKING)
def test_asking_for_a_secret_is_stopped(text):
    assert "never ask customers" in agent_message_problem(text)


@pytest.mark.parametrize("text", REMOTE_OR_TRANSFER)
def test_remote_access_and_transfers_to_a_safe_address_are_stopped(text):
    assert "remote-access tool" in agent_message_problem(text)


@pytest.mark.parametrize(
    "text",
    [
        "Join us on t.me/wallet_support_desk for faster help.",
        "Log in at wallet-verify.example/login to unlock it.",
        "Go to wallet-support-help.com and connect your wallet.",
        "Write to our team at recovery@wallet-help.io with the details.",
        "Download 203.0.113.9/app.apk to fix it.",
    ],
)
def test_links_without_a_scheme_off_the_official_domains_are_stopped(text):
    assert "official domains" in agent_message_problem(text)


def test_handles_other_than_the_official_accounts_are_stopped(settings):
    settings.SUPPORT_OFFICIAL_ACCOUNTS = ["@WalletSupport"]
    assert "official accounts" in agent_message_problem("Message @wallet_helpdesk on Telegram.")
    assert "@wallet_helpdesk" in agent_message_problem("Message @wallet_helpdesk on Telegram.")
    assert agent_message_problem("Our only account is @WalletSupport.") is None
    assert agent_message_problem("Email help@support.wallet.example") is None


@pytest.mark.parametrize("text", FINE)
def test_ordinary_support_text_and_the_desks_warning_pass(text):
    assert agent_message_problem(text) is None


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_canned_reply_passes_in_both_languages(language):
    with translation.override(language):
        for reply in canned_reply_texts():
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
