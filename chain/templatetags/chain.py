"""The chain's status where the ticket core's templates show a ticket, without tickets importing
this app: `{% load chain %}` in the contact form, the ticket page and the agents' workspace."""

from django import template
from django.urls import reverse

from chain import selectors, services

register = template.Library()


@register.inclusion_tag("chain/customer_status.html")
def chain_customer_status(ticket) -> dict:
    return {"status": selectors.ticket_customer_status(ticket=ticket)}


@register.inclusion_tag("chain/agent_status.html")
def chain_agent_status(ticket) -> dict:
    return {"status": selectors.ticket_agent_status(ticket=ticket)}


@register.inclusion_tag("chain/form_check.html")
def chain_form_check(network_choices) -> dict:
    """The contact form's live check, for the networks the desk has a provider for (none: off)."""
    networks = [value for value, _label in network_choices if value]
    enabled = [network for network in networks if services.chain_enabled(network=network)]
    return {"networks": " ".join(enabled), "url": reverse("chain:status") if enabled else ""}
