"""The per-token rate limit, counted in the real redis-server: 429 with Retry-After.

The app runs in this process (the package's backend runs with a high limit so
the other tests are never slowed); the counters are in the same Redis.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.rest.conftest import make_token, make_user


@pytest.fixture
def small_limit(api_server, monkeypatch):
    from clawweb.rest.app import build_app
    from clawweb.settings import get_settings

    monkeypatch.setattr(get_settings(), "api_rate_limit_per_minute", 3)
    with TestClient(build_app(), base_url="http://127.0.0.1") as c:
        yield c


def _me(c, token):
    return c.get("/me", headers={"Authorization": f"Bearer {token}"})


def test_a_token_past_its_limit_gets_429_with_retry_after(small_limit):
    user = make_user()
    token, other = make_token(user, ["read"]), make_token(user, ["read"])
    assert [_me(small_limit, token).status_code for _ in range(3)] == [200, 200, 200]
    refused = _me(small_limit, token)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "api.rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert _me(small_limit, other).status_code == 200  # per token, not per user


def test_the_window_ends(small_limit, monkeypatch):
    from clawweb.rest import rate_limit

    user = make_user()
    token = make_token(user, ["read"])
    now = [1_000_000 * 60 + 59.5]
    real = rate_limit.retry_after
    monkeypatch.setattr(rate_limit, "retry_after", lambda tid: real(tid, now=now[0]))
    assert [_me(small_limit, token).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert _me(small_limit, token).headers["retry-after"] == "1"
    now[0] += 1  # the next minute
    assert _me(small_limit, token).status_code == 200


def test_redis_down_refuses_rather_than_counting_nothing(small_limit, monkeypatch):
    import redis

    from clawweb import redis_conn

    user = make_user()
    token = make_token(user, ["read"])
    dead = redis.Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)
    monkeypatch.setattr(redis_conn, "get_redis", lambda: dead)
    resp = _me(small_limit, token)
    assert resp.status_code == 503 and resp.json()["error"]["code"] == "errors.redis_unavailable"
