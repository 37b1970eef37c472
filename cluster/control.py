"""The cluster's management plane: one JSON object a line over a Unix socket in the
cluster's folder (the supervisor's, each fault proxy's), answered by one JSON line with
`ok`. Unix sockets are files, so they reach every namespace and no fault touches them."""

from __future__ import annotations

import json
import socket
from pathlib import Path


def ask(path: Path | str, message: dict, *, who: str, timeout: float = 10.0) -> dict:
    """Send `message`, return the answer; RuntimeError naming `who` when it is not ok."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(json.dumps(message).encode() + b"\n")
        buffer = b""
        while not buffer.endswith(b"\n"):
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            buffer += chunk
    answer = json.loads(buffer)
    if not answer.get("ok"):
        raise RuntimeError(f"{who}: {answer.get('error')}")
    return answer
