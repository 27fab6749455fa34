"""A local SMTP sink (aiosmtpd) so that the platform's email really goes somewhere.

It listens on loopback only and writes every message it receives to
`.devstack/<name>/mail/outbox/<time>-<n>.eml`; nothing is relayed. Staff read the files on
the dev-only outbox page (`/staff/outbox/`). Run as a detached process:
`python -m studio.devstack.mail --port N --outbox DIR`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import smtplib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from studio.devstack import procs
from studio.devstack.service import Service, ServiceState, previous_port
from studio.devstack.stack import PROJECT_ROOT

# Messages larger than this are refused (a sink, not an archive of uploads).
MAX_MESSAGE_BYTES = 10 * 1024 * 1024


class MailSink(Service):
    name = "mail"
    external_var = "EMAIL_HOST"
    start_timeout = 20.0

    def start(
        self, data_dir: Path, taken_ports: set[int], previous: ServiceState | None
    ) -> ServiceState:
        port = procs.free_port(taken_ports, previous_port(previous))
        outbox = data_dir / "outbox"
        outbox.mkdir(parents=True, exist_ok=True)
        log = self.log_path(data_dir)
        cmd = [sys.executable, "-m", "studio.devstack.mail", "--port", str(port)]
        cmd += ["--outbox", str(outbox)]
        # The sink imports this module: make the checkout importable whatever the cwd is.
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
        proc = procs.spawn(cmd, log, env=env)
        try:
            procs.wait_until(lambda: answers_smtp(port), proc, self.start_timeout, "mail", log)
        except BaseException:
            procs.terminate(proc.pid)
            raise
        cmdline, created = procs.identity(proc.pid)
        return ServiceState(
            service=self.name,
            pid=proc.pid,
            ports={"main": port},
            data_dir=str(data_dir),
            command=cmd,
            proc_cmdline=cmdline,
            create_time=created,
            extra={"outbox": str(outbox)},
        )

    def answers(self, state: ServiceState) -> bool:
        return answers_smtp(state.port)

    def env(self, state: ServiceState) -> dict[str, str]:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": procs.LOOPBACK,
            "EMAIL_PORT": str(state.port),
            "EMAIL_OUTBOX_DIR": state.extra["outbox"],
        }


def answers_smtp(port: int) -> bool:
    """A real SMTP exchange (greeting and NOOP), not just a TCP connect."""
    try:
        with smtplib.SMTP(procs.LOOPBACK, port, timeout=2) as client:
            code, _ = client.noop()
            return code == 250
    except (OSError, smtplib.SMTPException):
        return False


class OutboxHandler:
    """aiosmtpd handler: one .eml file per message, written atomically."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox
        self.counter = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        name = f"{stamp}-{time.time_ns() % 10**9:09d}-{next(self.counter)}.eml"
        envelope_header = f"X-Backlot-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode()
        tmp = self.outbox / (name + ".tmp")
        tmp.write_bytes(envelope_header + content)
        tmp.replace(self.outbox / name)
        return "250 Message accepted for delivery"


def serve(port: int, outbox: Path) -> None:
    from aiosmtpd.controller import Controller  # devstack extra: only the sink process needs it

    outbox.mkdir(parents=True, exist_ok=True)
    controller = Controller(
        OutboxHandler(outbox),
        hostname=procs.LOOPBACK,
        port=port,
        data_size_limit=MAX_MESSAGE_BYTES,
    )
    controller.start()
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        loop.run_until_complete(stop.wait())
    finally:
        controller.stop()
        loop.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studio.devstack.mail", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--outbox", type=Path, required=True)
    args = parser.parse_args(argv)
    serve(args.port, args.outbox)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
