from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LivechatConfig(AppConfig):
    name = "livechat"
    verbose_name = _("Live chat")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from common.page_cache import state_part
        from livechat.selectors import AVAILABILITY_CACHE_KEY, live_chat_available_cached

        def available_now(cached) -> str:
            available = cached if cached is not None else live_chat_available_cached()
            return "chat" if available else "no-chat"

        # Every page's launcher says whether an agent can answer now.
        state_part(key=AVAILABILITY_CACHE_KEY, read=available_now)
