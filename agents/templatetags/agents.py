"""The agent's signature in templates a customer reads: {{ message.author|agent_signature }}."""

from django import template

from agents import selectors

register = template.Library()


@register.filter
def agent_signature(user) -> str:
    return selectors.agent_signature(user)
