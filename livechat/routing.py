"""WebSocket URL routes of the live chat."""

from django.urls import URLPattern

websocket_urlpatterns: list[URLPattern] = []
