"""Requests per API token per minute, counted in Redis (fixed one-minute windows).

A window's counter is one INCR with a TTL, shared by every web process. Redis
down refuses the call (503) rather than letting it through uncounted, as the
sign-in throttle does.
"""

from __future__ import annotations

import math
import time

from redis.exceptions import RedisError

from clawweb import redis_conn, streams
from clawweb.services.errors import Unavailable
from clawweb.settings import get_settings

WINDOW_SECONDS = 60


def retry_after(token_id: int, *, now: float | None = None) -> int | None:
    """Count one request of ``token_id``.

    Returns:
        None when it is within the limit, else the seconds until the window ends.

    Raises:
        Unavailable: Redis cannot be reached.
    """
    now = time.time() if now is None else now
    window = int(now // WINDOW_SECONDS)
    key = streams.api_rate_key(token_id, window)
    try:
        pipe = redis_conn.get_redis().pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS + 5)
        count, _ = pipe.execute()
    except RedisError as exc:
        raise Unavailable() from exc
    if count <= get_settings().api_rate_limit_per_minute:
        return None
    return max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
