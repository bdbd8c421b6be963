"""WSGI entry point: the site's HTTP pages under gunicorn (wallet_support/serve.py), behind the
client-address fix and the body-size limit. WebSockets are the ASGI server's (asgi.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wallet_support.settings")
django_wsgi_app = get_wsgi_application()

from wallet_support.proxy import ForwardedClient  # noqa: E402
from wallet_support.uploads import WSGIRequestBodyLimit  # noqa: E402

application = ForwardedClient(WSGIRequestBodyLimit(django_wsgi_app))
