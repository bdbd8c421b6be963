"""Live announcements for a page's category or problem type, from the site-wide list.

{% load announcements %}
{% announcements_for_category category.slug as category_announcements %}
{% include "includes/announcements.html" with announcements=category_announcements %}
"""

from django import template

from announcements import selectors
from announcements.models import Announcement
from tickets.models import ProblemType

register = template.Library()


def _site_wide(context: template.Context) -> list[Announcement]:
    # The context processor's list, so a page reads the cache once; absent without a request.
    live = context.get("LIVE_ANNOUNCEMENTS")
    return list(live) if live is not None else selectors.announcement_list_live_cached()


@register.simple_tag(takes_context=True)
def announcements_for_category(context: template.Context, category_slug: str) -> list:
    return selectors.announcement_list_for_category(
        category_slug=category_slug, announcements=_site_wide(context)
    )


@register.simple_tag(takes_context=True)
def announcements_for_problem_type(context: template.Context, problem_type: str | None) -> list:
    """Those concerning a problem type; all of them when the type is not known (yet)."""
    chosen = problem_type if problem_type in ProblemType.values else None
    return selectors.live_among(_site_wide(context), problem_type=chosen)
