"""The fault proxy against a local echo server: every fault it claims, on loopback."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cluster.proxy import LinkFaults, control, serve

CLIENT = "127.0.0.1"  # the test's connections come from here


ECHOES: set[asyncio.Task] = set()


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    task = asyncio.current_task()
    assert task is not None
    ECHOES.add(task)
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()
        ECHOES.discard(task)


@dataclass
class Running:
    port: int
    control_path: Path

    def set(self, **faults: object) -> dict:
        return control(self.control_path, {"op": "set", "client": CLIENT, "faults": faults})

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


@pytest.fixture()
def proxy(tmp_path: Path) -> Iterator[Running]:
    loop = asyncio.new_event_loop()
    ports: dict[str, int] = {}
    ready = threading.Event()
    stop: asyncio.Future | None = None

    async def main() -> None:
        nonlocal stop
        echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
        started = loop.create_future()
        task = asyncio.create_task(serve(
            ("127.0.0.1", 0), ("127.0.0.1", echo.sockets[0].getsockname()[1]),
            tmp_path / "proxy.sock", seed=7, started=started))
        ports["proxy"] = await started
        stop = loop.create_future()
        ready.set()
        await stop
        task.cancel()
        echo.close()
        for echoing in list(ECHOES):
            echoing.cancel()
        await asyncio.gather(task, *ECHOES, return_exceptions=True)

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(10), "the proxy did not start"
    yield Running(ports["proxy"], tmp_path / "proxy.sock")
    loop.call_soon_threadsafe(stop.set_result, None)
    thread.join(10)
    loop.close()


def roundtrip(sock: socket.socket, payload: bytes) -> bytes:
    sock.sendall(payload)
    got = b""
    while len(got) < len(payload):
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return got


def test_passes_bytes_through_untouched(proxy: Running) -> None:
    with proxy.connect() as sock:
        assert roundtrip(sock, b"hello") == b"hello"
        big = bytes(range(256)) * 4096  # 1 MiB, several chunks each way
        assert roundtrip(sock, big) == big


def test_delay_applies_to_an_open_connection_and_both_directions(proxy: Running) -> None:
    with proxy.connect() as sock:
        assert roundtrip(sock, b"before") == b"before"
        proxy.set(delay_ms=150)
        started = time.monotonic()
        assert roundtrip(sock, b"after") == b"after"
        # A lower bound only: the line cannot deliver sooner than its delay each way.
        assert time.monotonic() - started >= 0.3


def test_jitter_and_stalls_keep_the_stream_in_order(proxy: Running) -> None:
    proxy.set(delay_ms=1, jitter_ms=20, stall_rate=0.3, stall_ms=30)
    with proxy.connect() as sock:
        sent = b"".join(f"{i:05d}".encode() for i in range(200))
        for i in range(200):
            sock.sendall(f"{i:05d}".encode())
        got = b""
        while len(got) < len(sent):
            got += sock.recv(65536)
    assert got == sent
    stats = control(proxy.control_path, {"op": "get"})["stats"]
    assert stats[f"{CLIENT} stalls"] > 0


def test_reset_rate_cuts_the_connection(proxy: Running) -> None:
    proxy.set(reset_rate=1.0)
    with proxy.connect() as sock:
        sock.sendall(b"x")
        with pytest.raises(ConnectionResetError):
            while sock.recv(10):
                pass
    assert control(proxy.control_path, {"op": "get"})["stats"][f"{CLIENT} resets"] == 1


def test_refused_connections_are_reset_at_once(proxy: Running) -> None:
    proxy.set(refuse_rate=1.0)
    with pytest.raises(ConnectionResetError), proxy.connect() as sock:
        sock.sendall(b"x")
        while sock.recv(10):
            pass


def test_blackhole_holds_everything_until_lifted(proxy: Running) -> None:
    with proxy.connect() as sock:
        proxy.set(blackhole=True)
        sock.sendall(b"held")
        sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            sock.recv(10)
        control(proxy.control_path, {"op": "clear"})
        sock.settimeout(5)
        assert sock.recv(10) == b"held"


def test_faults_are_per_client_address(proxy: Running) -> None:
    control(proxy.control_path, {"op": "set", "client": "10.99.0.7",
                                 "faults": {"blackhole": True}})
    with proxy.connect() as sock:
        assert roundtrip(sock, b"not me") == b"not me"
    state = control(proxy.control_path, {"op": "get"})
    assert state["faults"]["10.99.0.7"]["blackhole"] is True
    assert CLIENT not in state["faults"]


def test_clean_faults_remove_the_entry_and_bad_commands_are_refused(proxy: Running) -> None:
    proxy.set(delay_ms=5)
    proxy.set()
    assert control(proxy.control_path, {"op": "get"})["faults"] == {}
    with pytest.raises(RuntimeError, match="unknown fault fields"):
        proxy.set(latency=3)
    with pytest.raises(RuntimeError, match="unknown op"):
        control(proxy.control_path, {"op": "explode"})


def test_merged_faults_add_delays_and_keep_the_worse_rate() -> None:
    a = LinkFaults(delay_ms=100, stall_rate=0.1, stall_ms=200)
    b = LinkFaults(delay_ms=50, jitter_ms=10, reset_rate=0.2, blackhole=True)
    m = a.merged(b)
    assert (m.delay_ms, m.jitter_ms, m.stall_rate, m.stall_ms) == (150, 10, 0.1, 200)
    assert m.reset_rate == 0.2 and m.blackhole
