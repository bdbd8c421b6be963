from django import template
from django.utils.safestring import SafeString, mark_safe

from faq.text import render_markdown

register = template.Library()


@register.filter
def markdown(source: str) -> SafeString:
    """Article Markdown as HTML; render_markdown keeps only a safe allow-list of tags."""
    return mark_safe(render_markdown(source))  # noqa: S308 - sanitised by nh3
