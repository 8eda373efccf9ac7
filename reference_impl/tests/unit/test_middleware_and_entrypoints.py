"""ASGI middleware edge cases and process entry points."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import entrypoints
from app.api.errors import UnexpectedErrorMiddleware
from app.api.middleware import CorrelationIdMiddleware, extract_correlation_id

EXIT_CONFIG_ERROR = 2


@pytest.mark.parametrize(
    "middleware", [CorrelationIdMiddleware, UnexpectedErrorMiddleware]
)
async def test_non_http_scopes_pass_through(
    middleware: Callable[[ASGIApp], ASGIApp],
) -> None:
    seen: list[str] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        seen.append(message["type"])

    await middleware(inner)({"type": "lifespan"}, receive, send)
    assert seen == ["lifespan"]


def test_malformed_correlation_id_is_replaced() -> None:
    scope = {"type": "http", "headers": [(b"x-correlation-id", b"bad id\n")]}
    generated = extract_correlation_id(scope)
    assert generated != "bad id\n"
    assert len(generated) == len("00000000-0000-0000-0000-000000000000")


def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u:p@h/d")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "h:9092")
    monkeypatch.setenv("CONSUMER_METRICS_PORT", "9999")
    monkeypatch.setenv("RELAY_METRICS_PORT", "9998")


def test_invalid_configuration_exits_with_status_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as caught:
        entrypoints.run_relay()
    assert caught.value.code == EXIT_CONFIG_ERROR


def test_run_api_starts_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch)
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr("uvicorn.run", lambda *a, **k: calls.append((a, k)))
    entrypoints.main(["api"])
    assert calls[0][0] == ("app.main:app",)
    assert calls[0][1]["log_config"] is None
    assert calls[0][1]["workers"] == 1
    assert calls[0][1]["access_log"] is False


def test_worker_entrypoints_run_their_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch)
    started: list[Any] = []

    async def fake_loop(settings: Any) -> None:
        started.append(settings.kafka_bootstrap_servers)

    monkeypatch.setattr(entrypoints, "relay", fake_loop)
    monkeypatch.setattr(entrypoints, "consume", fake_loop)
    monkeypatch.setattr(entrypoints, "start_http_server", started.append)
    entrypoints.main(["relay"])
    entrypoints.main(["consumer"])
    assert started == [9998, "h:9092", 9999, "h:9092"]


def test_metrics_port_0_disables_the_metrics_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _env(monkeypatch)
    monkeypatch.setenv("CONSUMER_METRICS_PORT", "0")
    monkeypatch.setenv("RELAY_METRICS_PORT", "0")
    started: list[Any] = []

    async def fake_loop(settings: Any) -> None:
        started.append("loop")

    monkeypatch.setattr(entrypoints, "relay", fake_loop)
    monkeypatch.setattr(entrypoints, "consume", fake_loop)
    monkeypatch.setattr(entrypoints, "start_http_server", started.append)
    entrypoints.main(["relay"])
    entrypoints.main(["consumer"])
    assert started == ["loop", "loop"]


def test_procfile_names_the_three_processes() -> None:
    procfile = Path(__file__).resolve().parents[2] / "Procfile"
    lines = procfile.read_text(encoding="utf-8").splitlines()
    processes = dict(line.split(": ", 1) for line in lines if line.strip())
    assert processes == {
        "web": "python -m uvicorn app.main:app --host 127.0.0.1 --port ${PORT:-8000}",
        "relay": "python -m app.entrypoints relay",
        "consumer": "python -m app.entrypoints consumer",
    }


def test_unknown_command_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        entrypoints.main(["nope"])
    assert "usage" in capsys.readouterr().err


async def test_error_after_the_response_started_is_re_raised() -> None:
    sent: list[Message] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("mid-stream")

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    with pytest.raises(RuntimeError, match="mid-stream"):
        await UnexpectedErrorMiddleware(inner)(scope, receive, send)
    assert [message["status"] for message in sent] == [200]
