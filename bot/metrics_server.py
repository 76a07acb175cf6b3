"""The one HTTP server for operators: `/metrics` for Prometheus, `/healthz` for probes.

It runs on the bot's own event loop (tornado, which python-telegram-bot's webhook mode already
brings), not in a thread: the gauges and the health checks read SQLite, and doing it on the
loop's thread keeps every database access where the rest of the bot makes them.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from tornado import web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import RequestHandler

from bot import metrics
from bot.health import HealthReport, UpdatesWatch, health_report, observe
from bot.metrics import Metrics
from bot.services import services_of

log = logging.getLogger(__name__)


class _MetricsHandler(RequestHandler):
    def initialize(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.write(self.metrics.exposition())


class _HealthHandler(RequestHandler):
    def initialize(self, check: Callable[[], HealthReport]) -> None:
        self.check = check

    def get(self) -> None:
        health = self.check()
        self.set_status(200 if health.healthy else 503)
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps(health.as_dict()) + "\n")


def _quiet(handler: RequestHandler) -> None:
    """No access log: a probe every few seconds would bury the bot's own lines, and tornado logs
    each 503 at ERROR."""


class MetricsServer:
    """`/metrics` and `/healthz` on one port."""

    def __init__(self, metrics: Metrics, check: Callable[[], HealthReport]) -> None:
        app = web.Application(
            [
                (r"/metrics", _MetricsHandler, {"metrics": metrics}),
                (r"/healthz", _HealthHandler, {"check": check}),
            ],
            log_function=_quiet,
        )
        self._server = HTTPServer(app)
        self._sockets: list[socket.socket] = []

    def start(self, listen: str, port: int) -> int:
        """Listen on the running event loop; returns the port (the one chosen, for port 0).
        Raises OSError when the address cannot be bound."""
        self._sockets = bind_sockets(port, listen)
        self._server.add_sockets(self._sockets)
        bound = int(self._sockets[0].getsockname()[1])
        log.info("metrics and health on http://%s:%d/metrics and /healthz", listen, bound)
        return bound

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        self._server.stop()
        await self._server.close_all_connections()


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def start_metrics(application: Any, clock: Callable[[], datetime] = _utc_now) -> None:
    """With METRICS_PORT set: count into a fresh registry and serve /metrics and /healthz for
    `application` (python-telegram-bot's), judging health at `clock()`."""
    services = services_of(application)
    settings, store = services.settings, services.store
    if settings.metrics_port is None:
        return
    watch: UpdatesWatch = application.bot_data["updates_watch"]

    def check() -> HealthReport:
        updater = application.updater
        running = updater is not None and updater.running
        return health_report(observe(store, watch, receiving=running, now=clock()))

    counted = Metrics()
    counted.watch_store(store)
    server = MetricsServer(counted, check)
    try:
        port = server.start(settings.metrics_listen, settings.metrics_port)
    except OSError as exc:
        # Delivering digests matters more than being watched: say so loudly, keep running.
        log.error(
            "metrics off: cannot listen on %s:%d (%s)",
            settings.metrics_listen,
            settings.metrics_port,
            exc.strerror or exc,
        )
        return
    metrics.activate(counted)
    application.bot_data["metrics_server"] = server
    application.bot_data["metrics_port"] = port


async def stop_metrics(application: Any) -> None:
    """Stop serving and counting (idempotent)."""
    server: MetricsServer | None = application.bot_data.pop("metrics_server", None)
    if server is not None:
        metrics.activate(None)
        await server.stop()
