"""A TCP fault proxy (asyncio): what netem would do, for a kernel without netem.

One proxy runs in each server's host (PostgreSQL, Redis, the bank), listening on the
host's address and forwarding to the server on the host's loopback. Faults are per client
host (the connection's source address), so "worker1 -> postgres is slow" leaves api1's
connections alone, and they apply to connections already open as well as new ones:

- `delay_ms` + up to `jitter_ms` on every chunk, each direction, in order (a latency
  line: chunks are released at their due time, not one sleep after another);
- `stall_rate` / `stall_ms`: that fraction of chunks is held back `stall_ms` more, as a
  lost segment waits for its retransmission (TCP never loses bytes, it is late);
- `reset_rate`: after that fraction of chunks the connection is cut both ways (RST);
- `refuse_rate`: that fraction of new connections is reset at once;
- `blackhole`: nothing is forwarded either way until it is lifted, then everything is
  (what a partition does to a connection that survives it).

Control: a Unix socket taking one JSON object per line (`{"op": "set", "client": ADDR,
"faults": {...}}`, `{"op": "clear"}`, `{"op": "get"}`), answering one JSON line;
`control()` is the client. Run: `python -m cluster.proxy --listen ADDR:PORT --target
ADDR:PORT --control PATH [--until EPOCH]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import struct
import time
from collections import Counter
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from cluster.control import ask

CHUNK = 64 * 1024


@dataclass(frozen=True)
class LinkFaults:
    delay_ms: float = 0.0
    jitter_ms: float = 0.0
    stall_rate: float = 0.0
    stall_ms: float = 0.0
    reset_rate: float = 0.0
    refuse_rate: float = 0.0
    blackhole: bool = False

    @classmethod
    def from_dict(cls, data: dict) -> LinkFaults:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(**data)

    def merged(self, other: LinkFaults) -> LinkFaults:
        """Two faults on one link at once: delays add up, rates take the worse."""
        return LinkFaults(
            delay_ms=self.delay_ms + other.delay_ms,
            jitter_ms=self.jitter_ms + other.jitter_ms,
            stall_rate=max(self.stall_rate, other.stall_rate),
            stall_ms=max(self.stall_ms, other.stall_ms),
            reset_rate=max(self.reset_rate, other.reset_rate),
            refuse_rate=max(self.refuse_rate, other.refuse_rate),
            blackhole=self.blackhole or other.blackhole,
        )


CLEAN = LinkFaults()


class Proxy:
    def __init__(self, target: tuple[str, int], *, seed: int = 0) -> None:
        self.target = target
        self.faults: dict[str, LinkFaults] = {}
        self.stats: Counter = Counter()
        self.rng = random.Random(seed)
        self.lifted = asyncio.Event()  # set whenever faults change: blackholed pumps look again
        self.connections: set[asyncio.Task] = set()

    def for_client(self, client: str) -> LinkFaults:
        return self.faults.get(client, CLEAN)

    def set(self, client: str, faults: LinkFaults) -> None:
        if faults == CLEAN:
            self.faults.pop(client, None)
        else:
            self.faults[client] = faults
        self._changed()

    def clear(self) -> None:
        self.faults.clear()
        self._changed()

    def _changed(self) -> None:
        self.lifted.set()
        self.lifted = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = writer.get_extra_info("peername")[0]
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        try:
            await self._serve(client, reader, writer)
        finally:
            self.connections.discard(task)

    async def _serve(self, client: str, reader: asyncio.StreamReader,
                     writer: asyncio.StreamWriter) -> None:
        self.stats[f"{client} connections"] += 1
        if self.rng.random() < self.for_client(client).refuse_rate:
            self.stats[f"{client} refused"] += 1
            _reset(writer)
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self.stats[f"{client} upstream_down"] += 1
            _reset(writer)
            return
        cut = Cut()
        pumps = [
            asyncio.create_task(self._pump(client, reader, up_writer, cut)),
            asyncio.create_task(self._pump(client, up_reader, writer, cut)),
        ]
        try:
            await cut.done.wait()
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            for w in (writer, up_writer):
                if cut.reset:
                    _reset(w)
                else:
                    w.close()

    async def _pump(self, client: str, reader: asyncio.StreamReader,
                    writer: asyncio.StreamWriter, cut: Cut) -> None:
        """Read chunks and hand them to a writer that releases each at its due time."""
        line: asyncio.Queue = asyncio.Queue()
        sender = asyncio.create_task(self._release(client, line, writer, cut))
        last_due = 0.0
        try:
            while True:
                try:
                    data = await reader.read(CHUNK)
                except OSError:
                    data = b""
                faults = self.for_client(client)
                if data and self.rng.random() < faults.reset_rate:
                    self.stats[f"{client} resets"] += 1
                    cut.end(reset=True)
                    return
                delay = faults.delay_ms + self.rng.uniform(0, faults.jitter_ms)
                if self.rng.random() < faults.stall_rate:
                    delay += faults.stall_ms
                    self.stats[f"{client} stalls"] += 1
                last_due = max(last_due, time.monotonic() + delay / 1000)
                await line.put((last_due, data))
                if not data:
                    await sender
                    return
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)

    async def _release(self, client: str, line: asyncio.Queue, writer: asyncio.StreamWriter,
                       cut: Cut) -> None:
        while True:
            due, data = await line.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            while self.for_client(client).blackhole:
                await self.lifted.wait()
            if not data:  # the sender finished: pass the half-close on, or end both
                cut.end(reset=False)
                return
            try:
                writer.write(data)
                await writer.drain()
            except OSError:
                cut.end(reset=True)
                return
            self.stats[f"{client} bytes"] += len(data)


class Cut:
    """How a connection ended: the first pump to stop decides, closed or reset."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.reset = False

    def end(self, *, reset: bool) -> None:
        if not self.done.is_set():
            self.reset = reset
            self.done.set()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST (SO_LINGER 0), as a middlebox dropping the connection does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


# ---------------------------------------------------------------- control


async def _control(proxy: Proxy, reader: asyncio.StreamReader,
                   writer: asyncio.StreamWriter) -> None:
    try:
        while line := await reader.readline():
            try:
                answer = _apply(proxy, json.loads(line))
            except (ValueError, TypeError, KeyError) as exc:
                answer = {"ok": False, "error": str(exc)}
            writer.write(json.dumps(answer).encode() + b"\n")
            await writer.drain()
    finally:
        writer.close()


def _apply(proxy: Proxy, message: dict) -> dict:
    op = message["op"]
    if op == "set":
        proxy.set(str(message["client"]), LinkFaults.from_dict(message.get("faults") or {}))
    elif op == "clear":
        proxy.clear()
    elif op != "get":
        raise ValueError(f"unknown op {op!r}")
    return {"ok": True, "faults": {c: asdict(f) for c, f in proxy.faults.items()},
            "stats": dict(proxy.stats), "open": len(proxy.connections)}


def control(path: Path | str, message: dict, timeout: float = 5.0) -> dict:
    """Send one command to the proxy listening on the control socket `path`."""
    return ask(path, message, who=f"proxy {path}", timeout=timeout)


async def serve(listen: tuple[str, int], target: tuple[str, int], control_path: Path,
                *, until: float | None = None, seed: int = 0,
                started: asyncio.Future | None = None) -> None:
    """Run until `until` (epoch seconds) or until cancelled; `started` gets the port
    listened on (for a `listen` port of 0)."""
    proxy = Proxy(target, seed=seed)
    server = await asyncio.start_server(proxy.handle, *listen, reuse_address=True)
    control_path.unlink(missing_ok=True)
    controller = await asyncio.start_unix_server(
        lambda r, w: _control(proxy, r, w), path=str(control_path))
    control_path.chmod(0o600)
    if started is not None:
        started.set_result(server.sockets[0].getsockname()[1])
    try:
        async with server, controller:
            if until is None:
                await asyncio.Event().wait()
            else:
                await asyncio.sleep(max(0.0, until - time.time()))
    finally:
        open_ones = list(proxy.connections)
        for task in open_ones:
            task.cancel()
        await asyncio.gather(*open_ones, return_exceptions=True)
        control_path.unlink(missing_ok=True)


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host, int(port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", type=_address, required=True)
    parser.add_argument("--target", type=_address, required=True)
    parser.add_argument("--control", type=Path, required=True)
    parser.add_argument("--until", type=float, default=None, help="exit at this epoch time")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.listen, args.target, args.control, until=args.until, seed=args.seed))


if __name__ == "__main__":
    main()
