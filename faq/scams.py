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
        r"冒充.{0,6}客服|自称.{0,6}客服|假.{0,2}客服|客服.{0,8}(联系|私信|加我|找我|打电话|发消息)",
        r"(验证|同步|激活|认证|修复).{0,4}钱包|钱包.{0,4}(验证|同步|激活|认证|修复)",
    )
]


def looks_like_fake_support(text: str) -> bool:
    """True when the text describes someone posing as support or a wallet "validation"."""
    text = text[:5000]
    return any(pattern.search(text) for pattern in PATTERNS)
