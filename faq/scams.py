"""Recognising the fake-support scam in what a customer writes, in English and Chinese.

Explainable patterns rather than a model: someone claiming to be support got in touch, or asked
the customer to "validate", "sync" or "verify" their wallet. A match puts the fake-support
article first, with a warning, wherever articles are suggested.
"""

import re

from django.utils.translation import gettext_lazy as _

FAKE_SUPPORT_ARTICLE_SLUG = "fake-support-scams"

WARNING = _(
    "Careful: this sounds like a fake-support scam. Wallet Support never contacts you first, "
    "never asks you to validate or sync your wallet, and never asks for your recovery phrase. "
    "Read this before you do anything else."
)

PATTERNS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\b(claim(?:ed|ing|s)?|pretend(?:ed|ing|s)?|said|says|saying)\b.{0,40}"
        r"\b(support|agent|staff|admin|customer service|help ?desk)\b",
        r"\b(support|agent|admin|customer service)\b.{0,30}\b(contacted|messaged|dm'?e?d|"
        r"called|texted|reached out)\b",
        r"\b(validate|validation|sync|synchroni[sz]e|rectify|restore|activate|verify)\b"
        r".{0,30}\bwallet\b",
        r"\bwallet\b.{0,20}\b(validation|sync|synchroni[sz]ation|verification)\b",
        r"\b(support|agent|admin|staff|customer service|someone|somebody|guy|he|she)\b.{0,30}"
        r"\b(asked|asks|wants?|wanted|told|needs?|requested)\b.{0,30}"
        r"\b(seed|recovery phrase|mnemonic|private key|secret phrase|12 words|24 words|"
        r"2fa code|password|unlock fee|anydesk|teamviewer|remote)",
        r"\b(dm'?e?d|pm'?e?d|messaged|texted|contacted|added)\b.{0,20}\bme\b.{0,20}"
        r"\b(on|via|through|in)\b.{0,10}\b(telegram|whatsapp|discord|wechat|signal|twitter|"
        r"instagram|facebook)\b",
        r"\b(telegram|whatsapp|discord|wechat)\b.{0,30}\b(support|agent|admin)\b",
        r"冒充.{0,6}客服|自称.{0,6}客服|假.{0,2}客服|说是.{0,4}客服|"
        r"客服.{0,8}(联系|私信|加我|找我|打电话|发消息)",
        r"(客服|官方|工作人员|有人).{0,12}(要|索要|提供|发给|给他|给她|输入|填写|交).{0,8}"
        r"(助记词|私钥|密码|验证码|解冻费|保证金)",
        r"(电报|telegram|微信|whatsapp|推特).{0,12}(客服|官方)",
        r"(客服|官方).{0,12}(下载|安装).{0,6}(远程|软件|app)",
        r"(验证|同步|激活|认证|修复).{0,4}钱包|钱包.{0,4}(验证|同步|激活|认证|修复)",
    )
]


def looks_like_fake_support(text: str) -> bool:
    """True when the text describes someone posing as support or a wallet "validation"."""
    text = text[:5000]
    return any(pattern.search(text) for pattern in PATTERNS)
