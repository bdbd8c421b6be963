# The production image: the ASGI web server (uvicorn), Celery workers and beat all run from it.
# Python 3.11, as the tests (pyproject requires-python; CI runs 3.11).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system app && useradd --system --gid app --home-dir /app app
WORKDIR /app

# Dependencies first, pinned with hashes (requirements.lock, compiled from pyproject.toml): this
# layer is rebuilt only when the lock changes, not on every edit of the code.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

# The code runs from /app (manage.py, `python -m`, celery --app all import from the working
# directory), so every app, template, static file and catalogue is there without installing.
COPY . .
# collectstatic only reads files; the throwaway key never reaches a running container.
RUN DEBUG=0 SECRET_KEY=collectstatic-build-only python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown -R app:app /app/media

USER app
EXPOSE 8000
# The pages under gunicorn, one process per core (WEB_CONCURRENCY); compose's `chat` runs the
# WebSockets server (`serve sockets`) from the same image: wallet_support/serve.py.
CMD ["python", "-m", "wallet_support.serve"]
