"""The benchmark's yardstick: a bare Channels consumer that relays each frame to its group.

It runs on the same uvicorn process and channels-redis layer as the chat (bench/asgi.py), with
no authentication, database or checks, so `bench/chat_bench.py --server relay` measures what the
server, the layer and the load generator cost on their own. Every chat figure is reported as a
ratio to it, measured in the same run. Routed only in the benchmark's ASGI application, never in
the product's.
"""

import itertools
import json

from channels.generic.websocket import AsyncWebsocketConsumer

_ids = itertools.count(1)


class RelayConsumer(AsyncWebsocketConsumer):
    """Joins `relay.<conversation>`; a frame `{"client_id": ...}` goes to everyone in it."""

    async def connect(self) -> None:
        self.group = f"relay.{self.scope['url_route']['kwargs']['conversation']}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # The chat socket's first event is its status; the relay's is this, so the benchmark
        # counts both kinds of socket as open at the same point.
        await self.send(text_data='{"type": "status"}')

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None) -> None:
        content = json.loads(text_data)
        event = {"type": "message", "id": next(_ids), "client_id": content.get("client_id")}
        await self.channel_layer.group_send(
            self.group, {"type": "relay.message", "text": json.dumps(event)}
        )

    async def relay_message(self, event: dict) -> None:
        await self.send(text_data=event["text"])
