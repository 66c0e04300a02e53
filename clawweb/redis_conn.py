"""One Redis connection per process (sync for services/worker, async for Reflex)."""

from __future__ import annotations

import functools

import redis
import redis.asyncio as aioredis

from clawweb.settings import get_settings


class RedisUnavailable(RuntimeError):
    """Raised by services when Redis cannot be reached; shown to the user plainly."""


@functools.lru_cache
def get_redis() -> redis.Redis:
    # No decode_responses: RQ shares this connection and wants bytes.
    return redis.Redis.from_url(
        get_settings().redis_url, socket_connect_timeout=2, socket_timeout=10,
        health_check_interval=30,
    )


@functools.lru_cache
def get_async_redis() -> aioredis.Redis:
    return aioredis.Redis.from_url(
        get_settings().redis_url, socket_connect_timeout=2, health_check_interval=30
    )
