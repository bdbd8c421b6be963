"""WebSocket URL routes of the live chat (docs/chat-protocol.md)."""

from django.urls import path

from livechat import consumers

websocket_urlpatterns = [
    path("ws/chat/<str:conversation>/", consumers.ChatConsumer.as_asgi()),
    path("ws/agent/", consumers.AgentConsumer.as_asgi()),
]
