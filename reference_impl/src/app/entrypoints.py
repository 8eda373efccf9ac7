"""Process entry points: ``order-api``, ``order-relay`` and ``order-consumer``.

Each loads and validates settings first and exits with status 2 and a
clear message when the configuration is missing or invalid.
"""

from __future__ import annotations

import asyncio
import logging
import sys

import uvicorn
from prometheus_client import start_http_server

from app.core.config import Settings, load_settings
from app.core.logging import configure_logging
from app.core.runtime import tune_garbage_collector
from app.exceptions import ConfigurationError
from app.kafka.consumer import run_consumer as consume
from app.kafka.relay import run_relay as relay

logger = logging.getLogger(__name__)


def _settings_or_exit() -> Settings:
    """Load settings or terminate the process with a readable message."""
    configure_logging()
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        logger.critical("invalid_configuration", extra={"error": exc.message})
        raise SystemExit(2) from exc
    configure_logging(settings.log_level)
    return settings


def run_api() -> None:
    """Serve the HTTP API with uvicorn (graceful shutdown on SIGTERM)."""
    settings = _settings_or_exit()
    uvicorn.run(
        "app.main:app",
        host=settings.api_host,
        port=settings.api_port,
        workers=settings.api_workers,
        log_config=None,
        access_log=False,  # our middleware writes the access log
        timeout_graceful_shutdown=10,
    )


def run_relay() -> None:
    """Run the outbox relay (and its metrics endpoint) until SIGTERM/SIGINT."""
    settings = _settings_or_exit()
    if settings.relay_metrics_port:
        start_http_server(settings.relay_metrics_port)
    tune_garbage_collector()
    asyncio.run(relay(settings))


def run_consumer() -> None:
    """Run the payments consumer (and its metrics endpoint) until SIGTERM/SIGINT."""
    settings = _settings_or_exit()
    if settings.consumer_metrics_port:
        start_http_server(settings.consumer_metrics_port)
    tune_garbage_collector()
    asyncio.run(consume(settings))


def main(argv: list[str] | None = None) -> None:
    """Dispatch ``python -m app.entrypoints {api,relay,consumer}``.

    Args:
        argv: Command-line arguments (defaults to ``sys.argv[1:]``).
    """
    commands = {"api": run_api, "relay": run_relay, "consumer": run_consumer}
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in commands:
        sys.stderr.write("usage: python -m app.entrypoints {api|relay|consumer}\n")
        raise SystemExit(2)
    commands[args[0]]()


if __name__ == "__main__":
    main()
