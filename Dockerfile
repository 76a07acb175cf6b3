# The bot as a container: `docker build -t arxiv-digest-bot .`, then `docker compose up -d`
# (compose.yaml) or the `docker run` line in the README's "Operating it".
# Python as pyproject.toml's requires-python (>=3.11) asks; 3.11 is the oldest it accepts.
ARG PYTHON_VERSION=3.11

# --- build: a virtual environment with the project, copied whole into the final image -------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# Dependencies first, read from pyproject.toml alone (the dev extras left out): editing the
# code reuses this layer, only a change of dependencies downloads them again.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && /opt/venv/bin/pip install -r requirements.txt
# Then the project itself (README.md is its long description), without touching the deps.
COPY README.md ./
COPY bot/ bot/
COPY handlers/ handlers/
COPY storage/ storage/
RUN /opt/venv/bin/pip install --no-deps .

# --- run: no compiler, no sources, no pip cache; a user that owns nothing but /data ----------
FROM python:${PYTHON_VERSION}-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# A fixed numeric id, so a bind-mounted /data can be chowned to it on the host (10001:10001)
# and orchestrators can check the image does not run as root.
RUN groupadd --system --gid 10001 bot \
    && useradd --system --uid 10001 --gid bot --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin bot \
    && mkdir /data && chown bot:bot /data && chmod 700 /data
COPY --from=build /opt/venv /opt/venv
# Nothing is read from or written to the working directory: settings come from the environment
# (compose's env_file or `docker run --env-file`), the database lives in /data.
WORKDIR /app

# The database, its lock file and the backups made before a migration all sit in /data.
# METRICS_PORT serves Prometheus' /metrics and the /healthz the HEALTHCHECK below asks;
# METRICS_LISTEN on every interface so Prometheus in another container can scrape it (publish
# the port only where you mean to, e.g. 127.0.0.1:9464:9464).
ENV DATABASE_PATH=/data/bot.sqlite3 \
    METRICS_PORT=9464 \
    METRICS_LISTEN=0.0.0.0
VOLUME ["/data"]
EXPOSE 9464

USER 10001:10001
# 200 from /healthz while updates arrive and the announcement is not overdue; 503 (or no
# answer) counts as a failure. Slim images have no curl: Python's urllib does the request and
# an uncaught HTTPError or connection error exits with status 1, as Docker expects.
HEALTHCHECK --interval=1m --timeout=10s --start-period=2m --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['METRICS_PORT'], timeout=8)"]

# SIGTERM (docker stop) lets the messages in flight finish and be recorded: give it time.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
