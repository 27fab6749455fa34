"""`devstack up` after a crash keeps each service's port: a port whose old connections are
still closing (TIME-WAIT / FIN-WAIT) is free for a server that sets SO_REUSEADDR, as
Valkey and PostgreSQL do; the stack only moves when something really listens there."""

from __future__ import annotations

import socket

from studio.devstack import procs


def _port_with_a_closing_connection() -> int:
    """A port whose listener is gone and whose accepted connection the server side closed
    first: the kernel keeps that side in FIN-WAIT-2 / TIME-WAIT for a while."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = int(listener.getsockname()[1])
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the "server" closes first, as a killed service's kernel does
    listener.close()
    client.recv(1)  # sees the FIN; the client keeps its end open (CLOSE-WAIT)
    return port


def test_a_port_with_closing_connections_is_reused() -> None:
    port = _port_with_a_closing_connection()
    assert procs.port_is_free(port, set())
    assert procs.free_port(set(), port) == port


def test_a_port_someone_listens_on_is_not_reused() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = int(busy.getsockname()[1])
        assert not procs.port_is_free(port, set())
        assert procs.free_port(set(), port, wait=0.2) != port
