"""ASGI entry point: HTTP through Django behind the body-size limit, WebSockets through Channels
(origin check, the session's user, the wallet app's token, then the URL router)."""

import gc
import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallet_support.settings")
# Django's application first, so the app registry is ready before consumers are imported.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from api.middleware import AppTokenMiddleware  # noqa: E402
from livechat.routing import websocket_urlpatterns  # noqa: E402
from livechat.warmup import chat_server_warm  # noqa: E402
from security.socket_origin import ExactOriginValidator  # noqa: E402
from security.socket_sessions import SocketSessionMiddleware  # noqa: E402
from wallet_support.metrics import SocketMetrics  # noqa: E402
from wallet_support.uploads import RequestBodyLimit  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(django_asgi_app),
        "websocket": ExactOriginValidator(
            SocketMetrics(
                SocketSessionMiddleware(AppTokenMiddleware(URLRouter(websocket_urlpatterns)))
            )
        ),
    }
)

chat_server_warm()

# A chat server holds thousands of long-lived sockets, a few hundred objects each. CPython's
# default thresholds then run full collections over millions of objects every few seconds under
# load, each stopping the event loop for up to a second (docs/benchmarks.md). Objects from start-up
# are frozen out of collections, and full collections come far less often; short-lived garbage
# is still collected by the young generations.
gc.collect()
gc.freeze()
gc.set_threshold(10_000, 10, 1_000)

# The chat's database threads (livechat/db.py) wait for PostgreSQL and Redis a few times per
# message, and after each answer for the GIL, which the event loop, busy with thousands of
# sockets, gives up only every switch interval (5 ms by default): a convoy that held one
# process to a quarter of its throughput at 200 messages a second. At 0.5 ms a waiting thread
# gets the GIL back ten times sooner (docs/benchmarks.md).
sys.setswitchinterval(0.0005)
