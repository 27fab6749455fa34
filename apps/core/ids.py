"""Time-ordered UUIDs (UUIDv7 layout, RFC 9562), generated in the application."""

import os
import time
import uuid


def uuid7() -> uuid.UUID:
    milliseconds = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = (milliseconds & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((random_bits >> 62) & 0xFFF) << 64  # rand_a
    value |= 0b10 << 62  # variant
    value |= random_bits & ((1 << 62) - 1)  # rand_b
    return uuid.UUID(int=value)


def public_id() -> str:
    """An unguessable public identifier for a link (`/r/<public id>/`): 122 random bits."""
    return uuid.uuid4().hex
