from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    """The desk's public identity, for the header and the anti-phishing notice."""
    return {
        "SITE_NAME": settings.SUPPORT_SITE_NAME,
        "OFFICIAL_DOMAINS": settings.SUPPORT_OFFICIAL_DOMAINS,
    }
