"""Support-channel settings for tests: live chat open around the clock, so a test about an agent
being online does not depend on the hour the suite runs (the default is 08:00-22:00 in the
support time zone)."""

ALWAYS_OPEN = [
    {"code": "live_chat", "hours": "always", "response_minutes": 3, "url_name": "livechat:chat"}
]
