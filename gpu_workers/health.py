"""`python -m gpu_workers.health`: the GPU worker's health command (container probes).
Exits 0 when the pool's broker answers, 1 otherwise. No Django, no database."""

from __future__ import annotations

import sys

import redis

from gpu_workers.celery_app import broker_url


def main() -> int:
    try:
        redis.Redis.from_url(broker_url(), socket_timeout=5, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        print(f"broker unreachable: {type(error).__name__}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
