"""Command line: up | down | status | env [--name NAME]."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from studio.devstack import procs
from studio.devstack.service import Service, ServiceState
from studio.devstack.stack import Stack

# An already-running service gets this long to answer before we restart it.
ANSWER_GRACE = 10.0


def all_services() -> list[Service]:
    # Imported here so `env` does not pay for boto3 / psycopg imports.
    from studio.devstack.mail import MailSink
    from studio.devstack.postgres import Postgres
    from studio.devstack.s3 import SeaweedS3
    from studio.devstack.valkey import Valkey

    return [Postgres(), Valkey(), SeaweedS3(), MailSink()]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        stack = Stack(args.name)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    commands = {"up": cmd_up, "down": cmd_down, "status": cmd_status, "env": cmd_env}
    return commands[args.command](stack)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--name", default="run", help="stack name (default: run)")
    parser = argparse.ArgumentParser(prog="python -m studio.devstack", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser(
        "up", parents=[common], help="start PostgreSQL, Valkey, S3 and the mail sink (idempotent)"
    )
    sub.add_parser("down", parents=[common], help="stop what `up` started, keep the data")
    sub.add_parser("status", parents=[common], help="show services; exit 1 if any is down")
    sub.add_parser("env", parents=[common], help="print the export lines for the shell")
    return parser.parse_args(argv)


def cmd_up(stack: Stack) -> int:
    with stack.lock():
        services = stack.load() or {}
        taken = {port for state in services.values() for port in state.ports.values()}
        for service in all_services():
            try:
                state = bring_up(stack, service, services.get(service.name), taken)
            except Exception as err:
                # Record what did start, so `down` can still stop it.
                print(f"{service.name}: FAILED: {describe(err)}", file=sys.stderr)
                save_or_clear(stack, services)
                return 1
            if state is not None:
                services[service.name] = state
                stack.save(services, collect_env(services))
        stack.save(services, collect_env(services))
    print(f'env: {stack.env_path}  (eval "$(python -m studio.devstack env --name {stack.name})")')
    return 0


def bring_up(
    stack: Stack, service: Service, previous: ServiceState | None, taken: set[int]
) -> ServiceState | None:
    """Reuse a live service, restart a dead one, or start a new one unless it is external."""
    if previous is not None and previous.is_running():
        if answers_within(service, previous, ANSWER_GRACE):
            report(previous, "running")
            return previous
        print(f"{service.name}: pid {previous.pid} does not answer, restarting", flush=True)
        service.stop(previous)
    elif previous is not None:
        print(f"{service.name}: pid {previous.pid} is gone, restarting", flush=True)
    elif os.environ.get(service.external_var):
        print(f"{service.name:<9} external ({service.external_var} is set), not started")
        return None
    if previous is not None:
        # Its old ports may be taken again: restarting on them keeps exported URLs valid.
        taken.difference_update(previous.ports.values())
    print(f"{service.name}: starting...", flush=True)
    started = time.monotonic()
    state = service.start(stack.service_dir(service.name), taken, previous)
    report(state, "started", time.monotonic() - started)
    return state


def answers_within(service: Service, state: ServiceState, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not service.answers(state):
        if time.monotonic() > deadline or not state.is_running():
            return False
        time.sleep(0.5)
    return True


def cmd_down(stack: Stack) -> int:
    with stack.lock():
        services = stack.load()
        if services is None:
            print(f"stack {stack.name}: nothing running")
            return 0
        stopped = [
            stop_one(service, services[service.name])
            for service in reversed(all_services())
            if service.name in services
        ]
        if not all(stopped):
            # Keep state.json so a later `down` can retry.
            return 1
        stack.clear()
    print(f"stack {stack.name}: down (data kept in {stack.dir})")
    return 0


def stop_one(service: Service, state: ServiceState) -> bool:
    """Stop one service if it is still ours; False if it could not be stopped."""
    if state.is_running():
        print(f"{service.name}: stopping pid {state.pid}...", flush=True)
        started = time.monotonic()
        try:
            service.stop(state)
        except Exception as err:
            print(f"{service.name}: could not stop: {describe(err)}", file=sys.stderr)
            return False
        print(f"{service.name:<9} stopped ({time.monotonic() - started:.1f}s)")
    elif procs.is_alive(state.pid):
        # Never signal a pid that the OS has since given to another program.
        print(f"{service.name:<9} pid {state.pid} now belongs to another program, left alone")
    else:
        print(f"{service.name:<9} was not running")
    return True


def cmd_status(stack: Stack) -> int:
    services = stack.load()
    if services is None:
        print(f"stack {stack.name}: not started")
        return 1
    healthy = True
    for service in all_services():
        state = services.get(service.name)
        if state is None:
            print(f"{service.name:<9} not managed (external or not started)")
            continue
        running = state.is_running() and service.answers(state)
        healthy = healthy and running
        report(state, "running" if running else "DOWN")
    return 0 if healthy else 1


def cmd_env(stack: Stack) -> int:
    if not stack.env_path.exists():
        print(f"stack {stack.name} is not up: run `python -m studio.devstack up`", file=sys.stderr)
        return 1
    sys.stdout.write(stack.env_path.read_text())
    return 0


def collect_env(services: dict[str, ServiceState]) -> dict[str, str]:
    env: dict[str, str] = {}
    for service in all_services():
        if service.name in services:
            env.update(service.env(services[service.name]))
    return env


def save_or_clear(stack: Stack, services: dict[str, ServiceState]) -> None:
    # An empty state file would make `status` claim the stack is up.
    if services:
        stack.save(services, collect_env(services))
    else:
        stack.clear()


def report(state: ServiceState, status: str, seconds: float | None = None) -> None:
    timing = f" ({seconds:.1f}s)" if seconds is not None else ""
    print(
        f"{state.service:<9} {status:<8} port {state.port:<6} pid {state.pid:<8} "
        f"data {state.data_dir}{timing}",
        flush=True,
    )


def describe(err: Exception) -> str:
    # StartError messages are written for people; anything else gets its type too.
    return str(err) if isinstance(err, procs.StartError) else f"{type(err).__name__}: {err}"
