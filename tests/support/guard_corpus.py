"""Test corpus for guard.detect: phrases and keys built from fixed seeds, and ordinary text."""

import hashlib
import random

from mnemonic import Mnemonic

PHRASE_LANGUAGES = ("english", "chinese_simplified", "chinese_traditional")
ENTROPY_BYTES = {12: 16, 15: 20, 18: 24, 21: 28, 24: 32}
B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def phrase_words(language: str, words: int, seed: int) -> list[str]:
    """A real BIP-39 phrase, deterministic for (language, words, seed)."""
    entropy = random.Random(f"{language}-{words}-{seed}").randbytes(ENTROPY_BYTES[words])
    return Mnemonic(language).to_mnemonic(entropy).split(" ")


def b58check(payload: bytes) -> str:
    """Base58Check encoding, written out here so the tests do not trust the module's decoder."""
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    value = int.from_bytes(data, "big")
    encoded = ""
    while value:
        value, digit = divmod(value, 58)
        encoded = B58_ALPHABET[digit] + encoded
    return "1" * (len(data) - len(data.lstrip(b"\x00"))) + encoded


def wif(seed: int, *, compressed: bool, testnet: bool = False) -> str:
    """A WIF private key from a fixed seed."""
    key = random.Random(f"wif-{seed}").randbytes(32)
    payload = (b"\xef" if testnet else b"\x80") + key + (b"\x01" if compressed else b"")
    return b58check(payload)


EXTENDED_VERSIONS = {
    "xprv": "0488ade4",
    "tprv": "04358394",
    "yprv": "049d7878",
    "zprv": "04b2430c",
    "uprv": "044a4e28",
    "vprv": "045f18bc",
}


def extended_private_key(prefix: str, seed: int) -> str:
    """A BIP-32 extended private key: version, depth, fingerprint, child, chain code, 0x00+key."""
    rng = random.Random(f"{prefix}-{seed}")
    payload = (
        bytes.fromhex(EXTENDED_VERSIONS[prefix])
        + bytes([rng.randrange(6)])
        + rng.randbytes(4)
        + rng.randbytes(4)
        + rng.randbytes(32)
        + b"\x00"
        + rng.randbytes(32)
    )
    return b58check(payload)


def hex64(seed: int) -> str:
    """64 random hex digits from a fixed seed."""
    return random.Random(f"hex-{seed}").randbytes(32).hex()


# A few hundred characters of ordinary Chinese, written for these tests.
CHINESE_EXCERPT = (
    "数字钱包的客服工作并不只是回答问题。很多用户第一次使用钱包时，对转账、充值和提现的流程"
    "还不熟悉，遇到到账延迟就会非常着急。客服人员需要先安抚用户的情绪，再请对方提供交易时间、"
    "金额和收款地址，然后在区块浏览器上确认交易状态。如果交易已经被确认，通常只是交易所入账"
    "较慢；如果交易一直没有被打包，可能是手续费设置得太低，可以建议用户耐心等待或者加速交易。\n"
    "另外，我们必须反复提醒用户：官方客服永远不会索要助记词、私钥或者支付密码。凡是自称客服"
    "并要求你提供这些信息的人，都是骗子。请通过应用内的帮助中心或者官方网站联系我们，不要相信"
    "陌生人发来的链接，也不要把截图发到公开的群里。遇到可疑情况时，可以先暂停操作，修改登录"
    "密码，开启双重验证，然后再联系客服，我们会尽快为您处理。\n"
    "最后，建议大家定期检查账户的登录记录和授权应用，及时删除不再使用的设备。保持良好的安全"
    "习惯，是保护个人资产最简单也最有效的方法。"
)

CHINESE_MESSAGES = (
    "你好，我昨天从交易所提币到钱包，已经过了六个小时还没有到账，请帮我查一下。",
    "我的钱包余额突然显示为零，但是我没有进行任何转账操作，是不是被盗了？",
    "请问怎么修改登录密码？我在设置里找不到这个选项。",
    "充值USDT的时候选错了网络，用的是ERC20而不是TRC20，资金还能找回来吗？",
    "客服你好，我换了新手机以后无法登录账户，系统一直提示验证码错误。",
    "转账一直显示处理中，已经两天了，交易记录里也看不到详细信息。",
    "我想开启双重身份验证，但是扫描二维码以后应用没有反应。",
    "为什么提现需要这么高的手续费？上个月还没有这么贵。",
    "我收到一条短信说我的账户被冻结了，需要点击链接验证身份，这是你们发的吗？",
    "有人在电报上自称是官方客服，让我提供助记词，我没有给他，想确认一下你们会不会索要助记词。",
    "应用更新以后闪退，打开就自动关闭，我用的是安卓手机。",
    "请问你们的客服工作时间是几点到几点？周末有人值班吗？",
    "我的账户被限制提现了，邮件里说需要补充身份材料，请问需要准备哪些文件？",
    "我把钱转到了一个错误的地址，还能撤回吗？金额是五百元左右。",
    "谢谢你们的帮助，问题已经解决了，祝你们工作顺利！",
    "昨天晚上十点左右我发起了一笔转账，到现在对方还是没有收到，麻烦帮忙看看是哪里出了问题。",
    "登录的时候一直提示网络异常，我已经切换了无线网络和移动数据，还是不行。",
    "我忘记了支付密码，怎么重置？绑定的手机号也已经停用了。",
    "请问钱包支持哪些币种？我想存一些以太坊和比特币。",
    "你们的应用在苹果商店里搜不到了，是下架了吗？我担心下载到假的应用。",
    "账户安全中心显示有一个陌生设备登录过，我已经修改了密码，还需要做什么？",
    "我的身份认证一直审核不通过，照片已经上传了三次，每次都说不清晰。",
    "兑换的时候价格和显示的不一样，少了很多，这是正常的吗？",
    "你好，我想注销我的账户，请问流程是什么？账户里还有少量余额。",
    "客服回复太慢了，我已经等了一整天，希望能尽快处理我的问题。",
    "我的助记词是正确的，但是导入钱包以后余额显示为零，请问是什么原因",
    "我按照提示备份了助记词，现在想换一部手机，应该怎么恢复钱包",
    "您好，我的錢包無法同步，餘額一直顯示為零，請問該怎麼處理？",
    "我昨天轉帳給朋友，但是對方說沒有收到，交易紀錄顯示已完成。",
    "請問如何備份錢包？我擔心手機遺失以後資產找不回來。",
    "登入時一直出現錯誤訊息，我已經重新安裝應用程式了。",
    "有人冒充客服要我提供私鑰，我沒有給，請你們提醒其他用戶注意安全。",
    (
        "客服你好，我遇到一个比较复杂的问题。上周五我在钱包里把一部分以太坊换成了稳定币，"
        "当时页面显示兑换成功，但是余额一直没有变化。我以为是网络延迟，就等了一个周末，"
        "结果到今天还是老样子。我尝试过退出重新登录，也清除过缓存，都没有用。交易记录里能"
        "看到这笔兑换，状态写的是已完成，可是稳定币的余额还是零。请问是不是需要手动添加代币"
        "才能显示？如果需要的话，具体应该怎么操作？另外我还想问一下，以后遇到类似情况，"
        "是应该先联系你们还是先联系对应的交易平台？谢谢，期待你们的回复。"
    ),
    "好的",
    "收到，谢谢",
    "订单号：2024031512345678，金额：1,280.50元，时间：2024-03-15 14:32",
    "我的手机号是13800138000，请尽快回电。",
)

ENGLISH_MESSAGES = (
    "I cannot access my account after I changed my phone, please help me recover it, "
    "the app shows an error about my wallet balance",
    "Hi, I sent 0.05 BTC to my wallet yesterday and it still hasn't arrived. "
    "Can you check what happened?",
    "My withdrawal has been pending for three days. Order number 20240115-88731. Please help.",
    "Where can I find my transaction history? The app only shows the last week.",
    "I think someone has access to my account, I got an email about a login from a new device.",
    "How do I change the phone number on my account? My old number is no longer active.",
    "The app crashes every time I open it on Android 14. I already tried to reinstall it.",
    "Someone on Telegram said they were from support and asked for my recovery phrase. "
    "Is that you?",
    "Can you explain the fees? I was charged $12.40 for a transfer of $100 on 03/14/2024.",
    "Please help, I need to verify my identity but the upload button does nothing.",
    "I want to know why my balance is wrong, can you check again today and tell me what to do "
    "about this problem",
    "Just wanted to say thank you, the issue is fixed now.",
    "I can not open the app, it says network error, please try to fix it, I need access to "
    "my funds now",
    "My friend sent me USDT on the Tron network but I only see it on Ethereum. Did I lose it?",
    "Is there a phone number I can call? It is urgent, my account was frozen this morning.",
    "When will the new version be released? The old one keeps logging me out.",
    "I bought a hardware wallet and want to move my funds. What is the safest way?",
    "The exchange rate shown before I confirmed the swap was different from what I actually got.",
    "Hello, I forgot my password and the reset email never arrives. I checked the spam folder.",
    "Please close my account and send the remaining balance to my bank account.",
    "Your support agent told me to wait 24 hours, it has been 72 hours now.",
    "I accidentally sent tokens to the contract address instead of my own address. "
    "Can they be recovered?",
    "Can you add support for Solana? Many of my friends use it.",
    "The two-factor code is always rejected even though the time on my phone is correct.",
    "Hello team, I have a problem with my wallet. Yesterday around 10pm I tried to send some "
    "crypto to an exchange, the app showed success but the exchange says they never got anything. "
    "I checked the explorer and there is no record. My balance went down though. Can you please "
    "check what happened and tell me if I need to do anything? I have the app version 3.2.1 on "
    "an iPhone 13. Thank you.",
    "You can also check that your account balance will only change when the system is ready, "
    "just wait one more day and try again, thank you",
    "Please help, access denied again, account locked, wallet empty, balance zero, "
    "support slow, phone lost, email wrong, code invalid, time out",
    "Call me at +1 (415) 555-0132 or +44 20 7946 0958 after 5pm.",
    "Amounts: $1,250.00, 0.00381 BTC, 14.5 ETH; date 2024-06-01 09:30 UTC; ticket #48213.",
    "ok",
)

# Sentences that prose is sampled from in the property test; each holds a word off the list.
ENGLISH_SENTENCES = (
    "I cannot log in to my account.",
    "The app shows an error about my wallet balance.",
    "Please help me recover my funds.",
    "My transfer has been pending for two days.",
    "Can you check what happened to my deposit?",
    "I changed my phone and lost the authenticator.",
    "Thank you for the quick answer.",
    "Is this a scam message or did you send it?",
)
CHINESE_SENTENCES = (
    "我无法登录我的账户。",
    "转账已经两天了还没有到账。",
    "请帮我查一下这笔交易的状态，谢谢。",
    "应用提示网络异常，请问怎么办？",
    "我换了手机以后验证码一直收不到。",
    "客服你好，我的余额显示不正确。",
    "有人自称官方客服向我索要密码。",
    "请问提现的手续费是多少？",
)
