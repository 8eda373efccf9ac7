"""A gate between the project's processes and a broker the harness restarts (full tier).

The resilience stack's sandbox relay reaches its broker through this gate, a TCP proxy in
the harness's own process. Closing it drops every connection of the project and refuses
new ones, while the harness still talks to the broker directly: so a broker restarted
empty gets its topics back before anything of the project can produce to it (the embedded
broker acknowledges writes to a missing topic and drops them). Holding it parks every new
connection unanswered until released: a process that starts then has its first batch in
flight, unacknowledged, for as long as the harness wants to kill it in that state.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

CHUNK = 65_536


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy ``reader`` to ``writer`` until either side ends."""
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    writer.close()


@dataclass
class BrokerGate:
    """Proxies ``127.0.0.1:<port>`` to ``target`` while open.

    Attributes:
        target: The broker, ``host:port``.
        port: Where the gate listens (0 until started).
        open: Whether connections are let through.
        held: Connections parked since :meth:`hold`.
    """

    target: str
    port: int = 0
    open: bool = True
    held: int = 0
    _released: asyncio.Event | None = None
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def address(self) -> str:
        """``127.0.0.1:port``."""
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on a free local port."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Carry one connection to the broker, or close it while the gate is closed."""
        host, _, port = self.target.rpartition(":")
        if self._released is not None:
            self.held += 1
            await self._released.wait()
        try:
            if not self.open:
                raise ConnectionRefusedError("gate closed")
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    def hold(self) -> None:
        """Park every new connection, unanswered, until :meth:`release`."""
        self.held, self._released = 0, asyncio.Event()

    def release(self) -> None:
        """Let the parked connections (and new ones) through."""
        if self._released is not None:
            self._released.set()
        self._released = None

    def close(self) -> None:
        """Drop every connection through the gate and refuse new ones."""
        self.open = False
        for writer in list(self._writers):
            writer.close()

    async def stop(self) -> None:
        """Close the gate and stop listening."""
        self.close()
        if self._server is not None:
            self._server.close()
