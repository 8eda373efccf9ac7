"""Relay TCP connections across a sandbox's network namespace through Unix sockets.

Run with the harness's interpreter in isolated mode (``python -I sandbox_relay.py``); it
imports only the standard library, so a project's ``PYTHONPATH`` cannot replace it.

``--forward HOST:PORT=SOCKET`` listens on TCP ``HOST:PORT`` and carries every connection
to the Unix socket ``SOCKET``; ``--expose SOCKET=HOST:PORT`` listens on the Unix socket and
carries every connection to TCP ``HOST:PORT``. Inside a sandbox without network the
relay forwards the broker's port to a socket that the harness side exposes again as the
real broker. After ``--`` comes a command: the relay starts it as its child, passes
SIGTERM and SIGINT on to it and exits with its exit status. Without a command the relay
serves until it is terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence

CHUNK = 65_536
Opener = Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy ``reader`` to ``writer`` until the end of the stream, then half-close."""
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(OSError):
        if writer.can_write_eof():
            writer.write_eof()


async def _close(writer: asyncio.StreamWriter) -> None:
    """Close ``writer`` ignoring a peer that is already gone."""
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


def connector(open_peer: Opener) -> Callable[..., Awaitable[None]]:
    """A connection handler that joins each accepted connection to a new ``open_peer()``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            peer_reader, peer_writer = await open_peer()
        except OSError:
            await _close(writer)
            return
        try:
            await asyncio.gather(_pipe(reader, peer_writer), _pipe(peer_reader, writer))
        finally:
            await _close(peer_writer)
            await _close(writer)

    return handle


def split_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` as a (host, port) pair.

    Raises:
        ValueError: If the port is not a number.
    """
    host, _, port = address.rpartition(":")
    return host or "127.0.0.1", int(port)


async def forward(address: str, socket_path: str) -> asyncio.AbstractServer:
    """Listen on TCP ``address``; each connection goes to the Unix socket ``socket_path``."""
    host, port = split_address(address)
    handler = connector(lambda: asyncio.open_unix_connection(socket_path))
    return await asyncio.start_server(handler, host, port)


async def expose(socket_path: str, address: str) -> asyncio.AbstractServer:
    """Listen on the Unix socket ``socket_path``; each connection goes to TCP ``address``."""
    host, port = split_address(address)
    handler = connector(lambda: asyncio.open_connection(host, port))
    with contextlib.suppress(FileNotFoundError):
        os.unlink(socket_path)
    return await asyncio.start_unix_server(handler, socket_path)


async def open_all(args: argparse.Namespace) -> list[asyncio.AbstractServer]:
    """Start every ``--forward`` and ``--expose`` listener."""
    servers = []
    for spec in args.forward:
        address, _, socket_path = spec.partition("=")
        servers.append(await forward(address, socket_path))
    for spec in args.expose:
        socket_path, _, address = spec.partition("=")
        servers.append(await expose(socket_path, address))
    return servers


def _status(returncode: int) -> int:
    """A shell-style exit status: ``128 + N`` for a child killed by signal N."""
    return 128 - returncode if returncode < 0 else returncode


async def supervise(command: Sequence[str]) -> int:
    """Run ``command`` passing SIGTERM and SIGINT on to it; its exit status."""
    loop = asyncio.get_running_loop()
    if not command:
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        return 0
    child = await asyncio.create_subprocess_exec(*command)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, child.send_signal, sig)
    return _status(await child.wait())


async def main_async(args: argparse.Namespace) -> int:
    """Open the listeners, run the command, close the listeners."""
    servers = await open_all(args)
    try:
        return await supervise(args.command)
    finally:
        for server in servers:
            server.close()


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The relay's arguments; everything after ``--`` is the command."""
    argv = list(argv)
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(prog="sandbox_relay")
    parser.add_argument("--forward", action="append", default=[], metavar="HOST:PORT=SOCKET")
    parser.add_argument("--expose", action="append", default=[], metavar="SOCKET=HOST:PORT")
    args = parser.parse_args(argv[:split])
    args.command = argv[split + 1 :]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: relay and supervise; 127 when the command cannot be started."""
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        return asyncio.run(main_async(args))
    except OSError as exc:
        print(f"sandbox_relay: {exc}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main())
