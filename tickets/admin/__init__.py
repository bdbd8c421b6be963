"""The tickets' admin: the agents' queue and ticket page, and the desk's configuration."""

from tickets.admin import config, ticket_page  # noqa: F401 - each module registers its admins
