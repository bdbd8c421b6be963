"""The two moments other apps add to a ticket's story, without tickets importing them.

Both are sent inside the service's transaction, so a receiver's writes commit or roll back with
the ticket's; receivers connect in their app's `ready()` (announcements, inbound).
"""

from django.dispatch import Signal

# ticket_create: the ticket and its first message are saved. Sent with `ticket`.
ticket_filed = Signal()

# ticket_merge: the messages have moved to `target`; `others` are about to be closed.
tickets_merged = Signal()
