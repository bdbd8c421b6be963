# The production image: the ASGI web server (uvicorn), Celery workers and beat all run from it.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system app && useradd --system --gid app --home-dir /app app
WORKDIR /app

COPY pyproject.toml README.md ./
# Every app the package lists (pyproject.toml), so the installed package is whole.
COPY wallet_support ./wallet_support
COPY api ./api
COPY dashboard ./dashboard
COPY livechat ./livechat
COPY announcements ./announcements
COPY inbound ./inbound
COPY privacy ./privacy
COPY faq ./faq
COPY tickets ./tickets
COPY agents ./agents
COPY guard ./guard
COPY mail ./mail
COPY security ./security
COPY common ./common
RUN pip install .

COPY . .
# collectstatic only reads files; the throwaway key never reaches a running container.
RUN DEBUG=0 SECRET_KEY=collectstatic-build-only python manage.py collectstatic --noinput \
    && mkdir -p /app/media && chown -R app:app /app/media

USER app
EXPOSE 8000
# One server process per core (WEB_CONCURRENCY), the chat's frame limit: wallet_support/serve.py.
CMD ["python", "-m", "wallet_support.serve"]
