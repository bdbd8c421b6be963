"""The default search synonyms: how customers write what the articles say. Editors change them in
the admin; rerunning adds only the groups that are missing and never overwrites an edited one."""

from django.db import migrations

DEFAULTS = [
    # Chinese: everyday words, traditional forms and slang, mapped to the articles' words.
    ("账户", "账号, 帐号, 帐户, 賬號, 帳號, 帳戶, 户头"),
    ("账户被盗", "号被盗, 号被人盗, 号被黑, 号被偷, 号让人盗"),
    ("被盗", "被黑, 盗号, 被人盗, 被偷, 被别人盗, 被盗走, 被盗了"),
    ("资金被转走", "钱被转走, 钱被别人转走, 币被转走, 把币转走, 钱没了, 币没了, 资产被转走"),
    ("账户被控制", "账户被别人控制, 被别人控制"),
    ("卡住", "一直在处理, 一直处理中, 一直在转, 没反应, 不动了, 卡了, 卡着"),
    ("没到账", "没收到, 还没收到, 没到, 不到账, 没看到, 不见了, 未到帐, 没到帐, 没有到账"),
    ("处理中", "待处理, 处理当中, 审核中"),
    ("未确认", "没确认, 不确认, 一直没确认"),
    ("冻结", "封号, 封了, 被封, 封我号, 封禁, 限制了"),
    ("解冻", "解封, 解除冻结, 解禁"),
    ("提现", "提币, 提款, 出金, 取款, 取钱, 提出来"),
    ("充值", "充币, 入金, 存入, 充钱, 转进来, 打币, 充进来"),
    ("转到交易所", "提到交易所, 转去交易所, 转交易所"),
    ("双重验证", "两步验证, 二次验证, 双重认证, 两步认证, 二步验证, 双因素"),
    ("身份验证器", "谷歌验证器, 谷歌验证, google验证器, google验证, 验证器app"),
    ("助记词", "种子词, 恢复短语, 备份词, 密语, 助记码"),
    ("私钥", "密钥, 钱包私钥"),
    ("冒充客服", "假冒客服, 自称客服, 说是客服, 说是官方客服, 装成客服, 冒充官方"),
    ("私信", "私聊, 加我, 私下联系, 找上我"),
    ("钓鱼网站", "假网站, 山寨网站, 仿冒网站, 高仿网站, 假官网"),
    ("诈骗链接", "可疑链接, 陌生链接, 奇怪的链接"),
    ("客服电话", "电话号码, 热线电话, 打电话, 电话"),
    ("邮件", "邮箱, 电邮, 发邮件, email"),
    ("陌生登录", "异地登录, 陌生设备登录, 别的地方登录, 不认识的设备, 陌生设备"),
    ("陌生交易", "不认识的交易, 不明交易, 莫名其妙, 奇怪的交易, 不是我转"),
    ("金额不对", "少了, 比发的少, 金额少, 数量不对, 少了一点, 少到账"),
    ("账户被锁定", "被锁, 锁住, 锁定了, 账户锁定"),
    ("忘记密码", "忘了密码, 密码忘了, 密码忘记"),
    ("额度", "限额, 上限, 能提多少"),
    ("实名认证", "kyc, kyc认证, 身份认证"),
    ("交易哈希", "哈希值, 交易id, 交易号, txid, tx hash, txhash"),
    ("工单进度", "工单进展, 处理到哪, 进度"),
    ("节假日", "春节, 国庆, 放假, 过年, 假期"),
    ("夜间", "晚上, 半夜, 凌晨, 深夜"),
    ("非工作时间", "下班时间, 下班后"),
    ("官方社交媒体", "微博, 推特, twitter, 脸书"),
    ("远程控制", "远程软件, 远程协助, 远程桌面, anydesk, teamviewer"),
    ("恶意软件", "病毒, 木马, 中毒"),
    ("手续费", "矿工费, gas费, 网络费, 扣费"),
    ("没人回", "没人回复, 没有回复, 不回复, 没人理"),
    ("回复慢", "回复太慢, 回得慢, 反应慢"),
    ("排队", "排队久, 等很久, 要等这么久"),
    ("客服", "人工客服, 人工, 工作人员, 官方人员, 客户服务"),
    ("投诉", "举报客服"),
    ("催办", "催一下, 催促"),
    ("无法撤回", "撤回转账, 撤销转账, 追回"),
    # English: abbreviations, typos and other words for the same thing.
    ("lost 2fa", "forgot 2fa, forgot my 2fa, forgot two factor, lost my 2fa, lost 2fa codes"),
    ("2fa", "two factor, two-factor, 2 factor, two step, 2-step, 2step, mfa, 2fa codes"),
    ("authenticator", "google authenticator, authy, auth app"),
    ("recovery phrase", "seed phrase, seed words, mnemonic, secret phrase, backup phrase, seed"),
    ("transaction", "tx, txn, transacion, transaciton, trasaction"),
    ("transaction hash", "tx hash, txhash, tx id, transaction id"),
    ("kyc verification", "kyc"),
    ("account", "acct, acount, accout"),
    ("withdrawal", "withdrawl, withdrawel, withdrawls, withdrawel, cash out, payout"),
    ("deposit", "deposite, depositt, diposit"),
    ("received", "recieved, recived, recieve, receieved"),
    ("password", "pasword, passwrd, passwd, pwd"),
    ("fake support", "scammer, impersonator, fake agent"),
    ("dm", "dmed, pm, pmed, direct message, private message"),
    ("messaging app", "telegram, whatsapp, discord, wechat, signal"),
    ("agent", "human, real person, someone real, representative"),
    ("remote access", "anydesk, teamviewer, screen share, screen sharing"),
    ("phishing", "legit, fake link"),
    ("unfreeze", "unfreezing, unblock, unlock my account"),
    ("opening hours", "open hours, business hours"),
    ("screenshots", "blur, redact"),
]


def seed(apps, schema_editor):
    SearchSynonym = apps.get_model("faq", "SearchSynonym")
    for term, variants in DEFAULTS:
        SearchSynonym.objects.get_or_create(
            term=term, defaults={"variants": variants.replace(", ", "\n")}
        )


class Migration(migrations.Migration):
    dependencies = [("faq", "0003_search_synonyms_and_feedback")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
