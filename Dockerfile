# Paperboy service image: one process, database on a volume.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PAPERBOY_DB_PATH=/data/paperboy.db \
    PAPERBOY_HEALTH_PORT=8080 \
    PAPERBOY_WEBHOOK_LISTEN=0.0.0.0

RUN useradd --create-home --uid 10001 paperboy \
    && mkdir /data && chown paperboy:paperboy /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
# Same install as the README, into the image's own interpreter.
RUN pip install .

USER paperboy
VOLUME ["/data"]
# Unhealthy when the delivery sweep (every minute) has not run for 5 minutes.
HEALTHCHECK --interval=1m --timeout=10s --start-period=2m --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=5)"
CMD ["paperboy", "run"]
