"""Every spelling a customer may type reads as the one stored form."""

import pytest

from verification.normalise import (
    Contact,
    Kind,
    agent_code_normalise,
    contact_read,
    domain_normalise,
    email_normalise,
    handle_normalise,
    phone_normalise,
)


@pytest.mark.parametrize(
    "typed",
    ["WS-1024", "ws-1024", "WS1024", "1024", "WS－1024", "ＷＳ－１０２４", " ws 1024 ", "WS—1024",
     "WS\u200b-1024"],
)  # fmt: skip
def test_agent_code_normalise_reads_every_spelling(typed):
    assert agent_code_normalise(typed) == "WS-1024"
    assert contact_read(typed) == Contact(Kind.AGENT_CODE, "WS-1024")


@pytest.mark.parametrize(
    "typed",
    ["WS-7K3M9QXD4P", "ws7k3m9qxd4p", "7K3M9QXD4P", "7k3m9qxd4p", "ＷＳ－７Ｋ３Ｍ９ＱＸＤ４Ｐ",
     "WS 7K3M 9QXD 4P", "ws-7k3m-9qxd-4p", "WS\u200b7K3M9QXD4P"],
)  # fmt: skip
def test_issued_agent_codes_read_the_same_in_every_spelling(typed):
    assert agent_code_normalise(typed) == "WS-7K3M9QXD4P"
    assert contact_read(typed) == Contact(Kind.AGENT_CODE, "WS-7K3M9QXD4P")


@pytest.mark.parametrize(
    ("typed", "host"),
    [
        ("https://support.wallet.example/faq/", "support.wallet.example"),
        ("WWW.Support.Wallet.Example", "support.wallet.example"),
        ("http://xn--wllet-gra.example/login", "wället.example"),
        ("support.wаllet.example", "support.wаllet.example"),  # Cyrillic "а": another host
        ("ＳＵＰＰＯＲＴ.wallet.example", "support.wallet.example"),  # as a browser maps it
        ("walletsupport-help.com", "walletsupport-help.com"),
    ],
)
def test_domain_normalise_decodes_punycode_and_folds_look_alikes(typed, host):
    assert domain_normalise(typed) == host


@pytest.mark.parametrize(
    ("typed", "platform", "name"),
    [
        ("@WalletSupport", "", "walletsupport"),
        ("walletsupport", "", "walletsupport"),
        ("t.me/WalletSupport", "telegram", "walletsupport"),
        ("https://telegram.me/walletsupport", "telegram", "walletsupport"),
        ("https://x.com/WalletSupport?s=20", "x", "walletsupport"),
        ("twitter.com/walletsupport", "x", "walletsupport"),
        ("https://weibo.com/u/walletsupport", "weibo", "walletsupport"),
        ("discord.gg/walletsupport", "discord", "walletsupport"),
        ("https://discord.com/invite/walletsupport", "discord", "walletsupport"),
        ("＠WalletSupport", "", "walletsupport"),
    ],
)
def test_handle_normalise_reads_at_signs_and_links(typed, platform, name):
    assert handle_normalise(typed) == Contact(Kind.HANDLE, name, platform)
    assert contact_read(typed) == Contact(Kind.HANDLE, name, platform)


@pytest.mark.parametrize(
    "typed",
    ["+86 138 0013 8000", "0086 138-0013-8000", "138 0013 8000", "＋８６１３８００１３８０００",
     "+86 (138) 0013 8000"],
)  # fmt: skip
def test_phone_normalise_gives_e164(typed):
    assert phone_normalise(typed) == "+8613800138000"
    assert contact_read(typed) == Contact(Kind.PHONE, "+8613800138000")


def test_email_normalise_lowers_and_folds_the_domain():
    assert email_normalise("Help@Support.Wallet.Example") == "help@support.wallet.example"
    assert email_normalise("help@support.wаllet.example") != "help@support.wallet.example"
    assert contact_read("mailto:help@support.wallet.example").kind == Kind.EMAIL


def test_contact_read_recognises_wallet_addresses():
    address = "0x" + "Ab" * 20
    assert contact_read(address) == Contact(Kind.ADDRESS, address.lower())


@pytest.mark.parametrize("typed", ["", "   ", "\u200b", "http://", "@"])
def test_contact_read_refuses_nothing_to_read(typed):
    assert contact_read(typed) is None
