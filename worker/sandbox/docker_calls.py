"""Calls into docker-py shared by the sandbox, its handles and the warm pool."""

from __future__ import annotations

from contextlib import contextmanager

import docker
import requests
from docker.errors import APIError, DockerException, NotFound

from worker.sandbox.base import SandboxError

# What a dead or refusing dockerd raises through docker-py.
DOCKER_ERRORS = (DockerException, requests.RequestException)


@contextmanager
def infrastructure(what: str):
    """Turn Docker client failures into SandboxError, the engine's "retry me" signal."""
    try:
        yield
    except DOCKER_ERRORS as exc:
        raise SandboxError(f"{what}: {exc}") from exc


def force_remove(api: docker.APIClient, cid: str) -> None:
    try:
        api.remove_container(cid, force=True, v=True)
    except NotFound:
        pass
    except APIError as exc:
        if exc.status_code != 409:  # 409: a removal is already in progress
            raise
