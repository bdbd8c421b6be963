"""The benchmark server's ASGI application: the product's, plus the bare relay (bench/relay.py)
at `/ws/relay/<conversation>/` on the same process and channel layer."""

from channels.routing import URLRouter
from django.urls import path

from bench.relay import RelayConsumer
from wallet_support.asgi import application as product_application

RELAY_PREFIX = "/ws/relay/"
relay_application = URLRouter([path("ws/relay/<str:conversation>/", RelayConsumer.as_asgi())])


async def application(scope, receive, send):
    if scope["type"] == "websocket" and scope["path"].startswith(RELAY_PREFIX):
        return await relay_application(scope, receive, send)
    return await product_application(scope, receive, send)
