"""Websockets that outlive a broker blip.

Channels ends a consumer (the browser sees 1006) as soon as the channel layer's receive
raises, e.g. while Valkey restarts, and a failed `group_add` in `connect()` answers the
handshake with HTTP 500. This mixin (used by `BacklotConsumer`) changes both:

- every group the consumer joins is remembered (`TrackedLayer`); a `group_add` that fails
  is remembered too and does not fail the connect;
- when the layer's receive fails, the consumer keeps its websocket, retries with backoff
  (at most `RETRY_MAX_SECONDS` apart), joins its groups again once the broker answers
  (a restarted broker without persistence has forgotten them) and calls
  `layer_recovered()`, where a consumer fetches what it may have missed (the review room
  reads its event log). By default a consumer has no log to read: it closes with 1012
  (service restart), a retry hint on which the browser reconnects and refetches, instead
  of the 1006 it used to die with during the blip.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

RETRY_FIRST_SECONDS = 0.1
RETRY_MAX_SECONDS = 1.0
CLOSE_SERVICE_RESTART = 1012


class TrackedLayer:
    """The process's channel layer as one consumer sees it: remembers that consumer's
    groups, and never lets a broker error fail a `group_add` / `group_discard`."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.groups: set[str] = set()
        self.dirty = False  # a group_add failed: join again before the next receive

    def __getattr__(self, name: str) -> Any:
        return getattr(self.layer, name)

    async def group_add(self, group: str, channel: str) -> None:
        self.groups.add(group)
        try:
            await self.layer.group_add(group, channel)
        except Exception as error:  # the broker is away: joined again when it is back
            self.dirty = True
            logger.warning("group_add %s failed (%s); will join again", group, error)

    async def group_discard(self, group: str, channel: str) -> None:
        self.groups.discard(group)
        try:
            await self.layer.group_discard(group, channel)
        except Exception as error:  # memberships expire on their own (group_expiry)
            logger.warning("group_discard %s failed (%s)", group, error)

    async def rejoin(self, channel: str) -> None:
        """Join every remembered group again (raises while the broker is still away)."""
        for group in sorted(self.groups):
            await self.layer.group_add(group, channel)
        self.dirty = False


class ResilientLayerMixin:
    """For `AsyncConsumer` subclasses: see the module docstring."""

    channel_name: str
    _tracked_layer: TrackedLayer | None = None
    _layer_receive: Callable[[], Awaitable[dict[str, Any]]] | None = None

    @property
    def channel_layer(self) -> Any:
        return self._tracked_layer

    @channel_layer.setter
    def channel_layer(self, layer: Any) -> None:
        if layer is None or isinstance(layer, TrackedLayer):
            self._tracked_layer = layer
        else:
            self._tracked_layer = TrackedLayer(layer)

    @property
    def channel_receive(self) -> Callable[[], Awaitable[dict[str, Any]]]:
        return self._resilient_receive

    @channel_receive.setter
    def channel_receive(self, receive: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        self._layer_receive = receive

    async def layer_recovered(self) -> None:
        """Called after the groups were joined again following a broker failure. Events
        sent while the broker was away are lost to this socket: without a log to catch up
        from, tell the client to reconnect (and refetch)."""
        await self.close(code=CLOSE_SERVICE_RESTART)  # type: ignore[attr-defined]

    async def _resilient_receive(self) -> dict[str, Any]:
        assert self._layer_receive is not None and self._tracked_layer is not None
        layer = self._tracked_layer
        delay = RETRY_FIRST_SECONDS
        failing = False
        while True:
            try:
                if layer.dirty:
                    await layer.rejoin(self.channel_name)
                    logger.info("channel layer back for %s", self.channel_name)
                    try:
                        await self.layer_recovered()
                    except Exception:  # the consumer's catch-up; its own checks retry it
                        logger.exception("catch-up after the layer came back failed")
                return await self._layer_receive()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not failing:
                    logger.warning("channel layer receive failed (%s); retrying", error)
                failing = True
                layer.dirty = True
                await asyncio.sleep(delay)
                delay = min(RETRY_MAX_SECONDS, delay * 2)
