"""``/api/ready``: can this deployment run a task right now?

Checks the database, Redis, at least one live worker heartbeat, and the
sandbox image: asked of dockerd when this host has its socket, otherwise taken
from the live workers' own reports (``streams.worker_image_key``: at least one
must have it). The answer names failing checks only, never an address or a
password.
"""

from __future__ import annotations

import logging
import os

from sqlalchemy import text

log = logging.getLogger(__name__)

DOCKER_SOCKET = "/var/run/docker.sock"


def check_database(engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def check_redis(redis) -> None:
    redis.ping()


def check_worker(redis) -> None:
    from clawweb.services.ops.workers import alive_names

    if not alive_names(redis):
        raise LookupError("no worker heartbeat")


def docker_here(socket_path: str = DOCKER_SOCKET) -> bool:
    """True when this host has a local dockerd socket to ask."""
    return not os.environ.get("DOCKER_HOST") and os.path.exists(socket_path)


def check_image(image: str, socket_path: str = DOCKER_SOCKET) -> None:
    """The sandbox image exists on this host's dockerd."""
    import docker

    client = docker.DockerClient(base_url=f"unix://{socket_path}", timeout=5)
    try:
        client.images.get(image)
    finally:
        client.close()


def check_image_from_workers(redis) -> None:
    """At least one live worker reports the sandbox image present on its host."""
    from clawweb import streams
    from clawweb.services.ops.workers import alive_names

    if not any(redis.get(streams.worker_image_key(n)) == b"ok" for n in alive_names(redis)):
        raise LookupError("no live worker has the sandbox image")


def run_checks(*, engine, redis, image: str, socket_path: str = DOCKER_SOCKET) -> list[str]:
    """Names of the checks that fail (empty: ready). Each failure is logged, not returned."""
    checks = [("database", lambda: check_database(engine)), ("redis", lambda: check_redis(redis)),
              ("worker", lambda: check_worker(redis))]
    if docker_here(socket_path):
        checks.append(("sandbox_image", lambda: check_image(image, socket_path)))
    else:
        checks.append(("sandbox_image", lambda: check_image_from_workers(redis)))
    failing = []
    for name, check in checks:
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            log.warning("ready: %s failing: %s", name, type(exc).__name__)
            failing.append(name)
    return failing
