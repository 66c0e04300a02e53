"""Each worker says whether its dockerd has the sandbox image, for ``/api/ready`` on hosts
without a docker socket of their own (``streams.worker_image_key``, ``ok`` or ``missing``,
kept alive for three intervals so a stopped worker's word expires with it)."""

from __future__ import annotations

import docker

from clawweb import streams
from worker.heartbeat import PeriodicThread

INTERVAL_SECONDS = 30.0


def image_state(image: str) -> str:
    """``ok`` when this host's dockerd has ``image``, else ``missing``."""
    client = docker.from_env(timeout=10)
    try:
        client.images.get(image)
        return "ok"
    except docker.errors.ImageNotFound:
        return "missing"
    finally:
        client.close()


class ImageReport(PeriodicThread):
    def __init__(self, redis, worker_name: str, image: str,
                 interval: float = INTERVAL_SECONDS):
        super().__init__(f"image-{worker_name}", interval)
        self.redis, self.worker_name, self.image = redis, worker_name, image

    def step(self) -> None:
        self.redis.set(streams.worker_image_key(self.worker_name), image_state(self.image),
                       ex=max(int(self.interval * 3), 10))
