"""A free TCP port on 127.0.0.1 for a process about to listen (`shunfuri up`, tests).

A port the kernel hands out for `bind(("127.0.0.1", 0))` comes from the ephemeral range,
which it also hands to the next caller and to outgoing connections: between the check and
the child's own bind, another system starting beside it (three test workers) or any
client could take it ("address already in use", seen in CI). Ports below that range are
never chosen by the kernel; one picked at random there and found free is taken by another
only if it picks the same one, about once in twelve thousand.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOWEST = 20_000
_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _below_ephemeral() -> int:
    try:
        return int(_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default; elsewhere the check below still holds


def free_port() -> int:
    highest = _below_ephemeral() - 1
    for _ in range(100):
        port = random.randint(LOWEST, highest) if highest > LOWEST else 0
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port between {LOWEST} and {highest}")
