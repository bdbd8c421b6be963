"""The default teams, routing rules and SLA targets; all editable in the admin afterwards."""

from django.db import migrations

WEEKDAYS = [0, 1, 2, 3, 4]
EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]

TEAMS = [
    ("account-security", "Account security", "账户安全组", [{"days": EVERY_DAY, "open": "00:00", "close": "24:00"}]),
    ("transactions", "Transactions", "交易组", [{"days": EVERY_DAY, "open": "08:00", "close": "22:00"}]),
    ("payments", "Payments", "充值提现组", [{"days": EVERY_DAY, "open": "08:00", "close": "22:00"}]),
    ("general", "General support", "综合支持组", [{"days": WEEKDAYS, "open": "09:00", "close": "18:00"}]),
]

# (order, name, problem type, keywords, team, priority)
RULES = [
    (
        10,
        "Other: a stolen or hacked account",
        "other",
        "stolen\nhacked\nhijacked\ntaken over\nsomeone logged in\nunauthorized\nunauthorised\n"
        "not me\n账户被盗\n账号被盗\n被盗\n盗号\n被黑\n陌生登录\n异地登录\n不是我本人",
        "account-security",
        "urgent",
    ),
    (
        20,
        "Other: a missing transfer",
        "other",
        "not received\nnot arrived\nnever arrived\ndid not arrive\ndidn't arrive\nmissing transfer\n"
        "missing deposit\nmissing withdrawal\nfunds missing\n没到账\n未到账\n没有到账\n不到账\n"
        "转账丢失\n资金丢失\n钱不见了",
        "transactions",
        "high",
    ),
    (100, "Account security", "account_security", "", "account-security", "urgent"),
    (110, "Frozen or locked account", "account_frozen", "", "account-security", "high"),
    (120, "Abnormal transaction", "abnormal_transaction", "", "transactions", "high"),
    (130, "Top-up or withdrawal", "topup_withdrawal", "", "payments", "normal"),
    (1000, "Everything else", "", "", "general", "low"),
]

# (problem type, priority, first response minutes, resolution minutes), in business time.
POLICIES = [
    ("account_security", "urgent", 15, 4 * 60),
    ("account_security", "high", 30, 8 * 60),
    ("account_frozen", "urgent", 30, 8 * 60),
    ("account_frozen", "high", 60, 16 * 60),
    ("abnormal_transaction", "urgent", 30, 8 * 60),
    ("abnormal_transaction", "high", 60, 16 * 60),
    ("topup_withdrawal", "high", 60, 16 * 60),
    ("topup_withdrawal", "normal", 2 * 60, 24 * 60),
    ("other", "urgent", 30, 8 * 60),
    ("other", "high", 60, 16 * 60),
    ("other", "normal", 4 * 60, 3 * 9 * 60),
    ("other", "low", 8 * 60, 5 * 9 * 60),
]


def load(apps, schema_editor):
    Team = apps.get_model("tickets", "Team")
    RoutingRule = apps.get_model("tickets", "RoutingRule")
    SLAPolicy = apps.get_model("tickets", "SLAPolicy")
    teams = {}
    for code, name_en, name_zh, hours in TEAMS:
        teams[code], _ = Team.objects.get_or_create(
            code=code,
            defaults={"name_en": name_en, "name_zh_hans": name_zh, "working_hours": hours},
        )
    for order, name, problem_type, keywords, team, priority in RULES:
        RoutingRule.objects.get_or_create(
            name=name,
            defaults={
                "order": order,
                "problem_type": problem_type,
                "keywords": keywords,
                "team": teams[team],
                "priority": priority,
            },
        )
    for problem_type, priority, first, resolution in POLICIES:
        SLAPolicy.objects.get_or_create(
            problem_type=problem_type,
            priority=priority,
            defaults={"first_response_minutes": first, "resolution_minutes": resolution},
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_routing_and_sla")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
