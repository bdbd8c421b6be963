"""What the code sends to channel-layer groups, recorded instead of sent (the
`capture_broadcasts` fixture): a test asserts who got which event, not how many calls ran.

Every service sends through `common.realtime.publish`, some modules by the module
(`broadcast.publish`), some by the name (`from common.realtime import publish`). Either way publish
asks `common.realtime.get_channel_layer` for the layer, so the recorder stands in for that layer:
whatever publish would hand the channel layer is recorded, however the caller imported it, and
publish itself is never replaced (no module keeps a stale copy after the test).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest


class _RecordingLayer:
    """The part of a channel layer that publish uses."""

    def __init__(self, events: list[tuple[str, dict]]) -> None:
        self.events = events

    async def group_send(self, group: str, event: dict) -> None:
        self.events.append((group, event))


class CapturedBroadcasts:
    """The `(group, event)` pairs published, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def of_type(self, event_type: str) -> list[tuple[str, dict]]:
        """The `(group, event)` pairs whose event has this type ("chat.message", ...)."""
        return [(group, event) for group, event in self.events if event.get("type") == event_type]

    def to(self, group: str) -> list[dict]:
        """The events sent to one group, in order."""
        return [event for sent_to, event in self.events if sent_to == group]


def broadcast_capturer(capture_on_commit_callbacks) -> Callable:
    """`with capture() as sent:` records what the block publishes once it commits.

    The block's on-commit callbacks run when it ends (as they would at the real commit), and
    callbacks of a savepoint that rolled back never run: only committed events are recorded.
    In a transactional test they run at each commit, inside the block, all the same.
    """

    @contextmanager
    def capture() -> Iterator[CapturedBroadcasts]:
        captured = CapturedBroadcasts()
        layer = _RecordingLayer(captured.events)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("common.realtime.get_channel_layer", lambda alias="default": layer)
            with capture_on_commit_callbacks(execute=True):
                yield captured

    return capture
