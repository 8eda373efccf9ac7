"""A lean keep-alive HTTP/1.1 client, cheap enough to generate load from Python."""

from __future__ import annotations

import asyncio
import contextlib
import math
from urllib.parse import urlsplit

MAX_HEAD = 1 << 20


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank ``pct`` percentile of ``values`` (0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


class LoadConnection:
    """A lean keep-alive HTTP/1.1 connection for load generation.

    A full-featured client (httpx spends about 2 ms of CPU per request) would take the
    cores the app needs: this one writes a minimal GET and reads the status, headers and
    body (Content-Length or chunked).
    """

    def __init__(self, base_url: str) -> None:
        """Prepare a connection to ``base_url`` (``http://host:port``); opened on first use."""
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str) -> int:
        """Send ``GET path`` and read the whole response; returns its status code.

        Raises:
            OSError: If the connection fails.
            ValueError: If the response is not HTTP/1.1.
            asyncio.IncompleteReadError: If the app closes the connection mid-response.
        """
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port, limit=MAX_HEAD)
        reader, writer = self._streams
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode("latin-1"))
        await writer.drain()
        status, headers = parse_head(await reader.readuntil(b"\r\n\r\n"))
        await read_body(reader, headers)
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status

    async def close(self) -> None:
        """Close the connection (a later request reconnects)."""
        if self._streams is not None:
            writer = self._streams[1]
            self._streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """The status code and lower-cased headers of a response head.

    Raises:
        ValueError: If the status line is malformed.
    """
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> None:
    """Read (and discard) a response body framed by Content-Length or chunked encoding."""
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
        return
    if headers.get("transfer-encoding", "").lower() != "chunked":
        return
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16):
        await reader.readexactly(size + 2)
    while (await reader.readuntil(b"\r\n")) != b"\r\n":
        continue
