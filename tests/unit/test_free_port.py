"""`free_port` picks below the kernel's ephemeral range: a port the kernel would never hand
to another `bind(0)` or to an outgoing connection while a child is about to listen."""

from __future__ import annotations

import socket

from shunfuri.cli.ports import LOWEST, _below_ephemeral, free_port


def test_a_port_below_the_ephemeral_range_that_can_be_bound():
    ports = {free_port() for _ in range(20)}
    assert all(LOWEST <= port < _below_ephemeral() for port in ports), ports
    assert len(ports) > 1  # random, not the same one to every caller
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports.pop()))
