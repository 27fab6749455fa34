"""A provider endpoint on 127.0.0.1 that misbehaves after reading the prompt: it closes the
connection without answering, sends half an answer, resets the connection, answers slowly
or redirects elsewhere. It records what it received."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from typing import Any


class RudeServer:
    def __init__(self, mode: str, body: dict[str, Any] | None = None) -> None:
        self.mode = mode
        self.body = body or {}
        self.location = ""  # for mode "redirect"
        self.received: list[dict[str, Any]] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _read_request(self, conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            rest += chunk
        try:
            body = json.loads(rest[:length] or b"{}")
        except ValueError:
            body = {}
        self.received.append({"line": lines[0], "headers": headers, "body": body})

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self._read_request(conn)
                self._misbehave(conn)

    def _misbehave(self, conn: socket.socket) -> None:
        payload = json.dumps(self.body).encode()
        if self.mode == "drop":  # the prompt arrived; no answer at all
            return
        if self.mode == "reset":  # RST instead of FIN
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if self.mode == "half":  # headers promise more than is sent
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(payload) + 500}\r\n\r\n".encode()
                + payload[: len(payload) // 2]
            )
            return
        if self.mode == "trickle":  # one byte at a time, each well within a socket timeout
            head = (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            )
            try:
                conn.sendall(head)
                for byte in payload:
                    conn.sendall(bytes([byte]))
                    time.sleep(0.2)
            except OSError:
                pass
            return
        if self.mode == "redirect":
            conn.sendall(
                b"HTTP/1.1 302 Found\r\nLocation: "
                + self.location.encode()
                + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            return
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )

    def close(self) -> None:
        self._stop = True
        self.sock.close()
