"""Shared fixtures: an isolated data dir and database per test, real Redis on demand.

``CLAWWEB_TEST_DATABASE=postgres`` (scripts/test's second pass) gives every test
a fresh database on a real PostgreSQL server that the session starts itself
(tests/support/postgres.py) instead of a SQLite file in its data dir.
"""

from __future__ import annotations

import os

import pytest
from sqlmodel import Session, SQLModel

from tests.support.services import RedisServer

TEST_DATABASE = os.environ.get("CLAWWEB_TEST_DATABASE", "sqlite").lower()
ON_POSTGRES = TEST_DATABASE == "postgres"


def clear_process_caches() -> None:
    """Settings, engine and Redis clients are cached per process; tests swap them."""
    from clawweb import db, redis_conn, settings as settings_mod

    for cached in (settings_mod.get_settings, db.get_engine, redis_conn.get_redis,
                   redis_conn.get_async_redis):
        if hasattr(cached, "cache_clear"):  # fake_redis replaces get_redis
            cached.cache_clear()


@pytest.fixture(scope="session")
def postgres_server():
    """One PostgreSQL cluster for the session (only started when a test asks)."""
    from tests.support.postgres import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_schema_db(postgres_server):
    """One database with the models' schema, emptied after every test that used it."""
    from sqlalchemy import create_engine

    from clawweb import models  # noqa: F401  (registers tables)

    name = postgres_server.create_database()
    eng = create_engine(postgres_server.url(name))
    SQLModel.metadata.create_all(eng)
    eng.dispose()
    return name


@pytest.fixture
def database_url(request, monkeypatch):
    """The test's database URL in the environment: "" (SQLite in the data dir), or
    PostgreSQL under CLAWWEB_TEST_DATABASE=postgres: the shared schema database,
    emptied afterwards (a fresh empty one for tests marked ``fresh_database``,
    e.g. those that run the migrations)."""
    if not ON_POSTGRES:
        monkeypatch.delenv("CLAWWEB_DATABASE_URL", raising=False)
        yield ""
        return
    server = request.getfixturevalue("postgres_server")
    fresh = request.node.get_closest_marker("fresh_database") is not None
    name = server.create_database() if fresh else request.getfixturevalue("postgres_schema_db")
    monkeypatch.setenv("CLAWWEB_DATABASE_URL", server.url(name))
    yield server.url(name)
    if fresh:
        server.drop_database(name)  # WITH (FORCE): a worker's leftover connection cannot block it
    else:
        server.empty_database(name, [t.name for t in reversed(SQLModel.metadata.sorted_tables)])


@pytest.fixture
def settings(tmp_path, monkeypatch, database_url):
    """Fresh settings pointing at a temporary data dir and this test's database."""
    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_DATA_DIR", str(tmp_path / "data"))
    clear_process_caches()
    yield settings_mod.get_settings()
    clear_process_caches()


@pytest.fixture
def engine(settings):
    from clawweb import db, models  # noqa: F401  (registers tables)

    eng = db.get_engine()
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server, monkeypatch, settings):
    """Point the app at the real test redis-server, flushed for this test."""
    import redis as redis_lib

    monkeypatch.setenv("CLAWWEB_REDIS_URL", redis_server.url)
    clear_process_caches()
    redis_lib.Redis.from_url(redis_server.url).flushall()
    yield redis_server.url


@pytest.fixture
def fake_redis(monkeypatch, settings):
    """fakeredis for unit tests, installed as the process's Redis."""
    import fakeredis
    from clawweb import redis_conn

    server = fakeredis.FakeServer()
    client = fakeredis.FakeRedis(server=server)

    def get_redis():
        return client

    # Fixtures that clear get_redis's cache (settings teardown) must keep working.
    get_redis.cache_clear = lambda: None
    monkeypatch.setattr(redis_conn, "get_redis", get_redis)
    return client


@pytest.fixture
def fast_hashing(monkeypatch, settings):
    """Cheap argon2 parameters (CLAWWEB_PASSWORD_HASH_FAST) for tests that hash a lot."""
    from clawweb import settings as settings_mod

    monkeypatch.setenv("CLAWWEB_PASSWORD_HASH_FAST", "1")
    settings_mod.get_settings.cache_clear()
    yield settings_mod.get_settings()
    settings_mod.get_settings.cache_clear()


def pytest_collection_modifyitems(config, items):
    """Browser tests last: their app (and its environment) lives until the session
    ends. Among them the first-run test goes first: it needs an install nobody has
    set up yet, and any test using ``admin_account`` sets it up; the ``quiet`` ones
    (measurements) go last. The compose tests go just before them: ./scripts/test
    builds their images meanwhile."""
    items.sort(key=lambda item: ("/tests/e2e/" in str(item.path),
                                 "/tests/deploy/" in str(item.path),
                                 item.get_closest_marker("quiet") is not None,
                                 item.get_closest_marker("first_run") is None))
