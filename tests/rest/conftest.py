"""The REST API driven over real HTTP: one real backend (and redis-server) for this package.

Objects are made through the services, straight into the server's database
(``point_process_at``); every request goes over loopback HTTP to the backend.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.api_objects import (client, make_approval, make_project, make_task,  # noqa: F401
                                       make_token, make_user, token_id, unique)
from tests.support.api_server import ApiServer, point_process_at
from tests.support.services import RedisServer

VICTIM_SECRETS = ("victim-secret-project", "victim-secret-command", "victim-secret-output",
                  "victim-secret-approval")


@pytest.fixture(scope="package")
def api_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("rest")
    redis = RedisServer(base / "redis").start()
    # A high limit: these tests make many calls; the limit itself is tested apart.
    server = ApiServer(base, redis.url,
                       extra_env={"CLAWWEB_API_RATE_LIMIT_PER_MINUTE": "100000"})
    try:
        server.start()
    except BaseException:
        server.stop()
        redis.stop()
        raise
    restore = point_process_at(server)
    yield server
    restore()
    server.stop()
    redis.stop()


@dataclass
class World:
    """A victim with a project, tasks, output and a pending approval; a member of
    nothing (mallory); an admin (root) with a project of their own."""

    victim: int
    victim_project: int
    victim_task: int
    victim_claude_task: int
    victim_approval: int
    mallory: int
    root: int
    root_project: int
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="package")
def world(api_server) -> World:
    victim, mallory = make_user(unique("victim")), make_user(unique("mallory"))
    root = make_user(unique("root"), role="admin")
    project = make_project(victim, name=unique("victim-secret-project"))
    task = make_task(project, victim, command="echo victim-secret-command")
    running = make_task(project, victim, command="echo victim-secret-command running",
                        status="awaiting_approval")
    claude = make_task(project, victim, command="victim-secret-command prompt", kind="claude",
                       agent_session_id="victim-session")
    approval = make_approval(running, {"command": "victim-secret-approval"})
    from clawweb.db import session_scope
    from clawweb.models import TaskEvent

    with session_scope() as s:
        s.add(TaskEvent(task_id=task, seq=2, ts=0.0, type="output",
                        data={"stream": "stdout", "text": "victim-secret-output\n"}))
    w = World(victim=victim, victim_project=project, victim_task=task,
              victim_claude_task=claude, victim_approval=approval, mallory=mallory,
              root=root, root_project=make_project(root))
    # Every path or query parameter an operation may name, as the victim's object.
    # A new kind of id (e.g. schedule_id) needs its victim object: here, or from a
    # module tests/rest/victims_<area>.py (see more_victim_ids).
    w.ids = {"project_id": project, "task_id": task, "approval_id": approval}
    w.ids.update(more_victim_ids(w))
    return w


def more_victim_ids(world: World) -> dict[str, int]:
    """Victim objects of other areas' routes: every module ``tests/rest/victims_*.py``
    defines ``victim_ids(world: World) -> dict[str, int]`` (e.g. ``{"schedule_id": …}``),
    objects of ``world.victim`` in ``world.victim_project``."""
    found: dict[str, int] = {}
    for mod in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if mod.name.startswith("victims_"):
            found.update(importlib.import_module(f"tests.rest.{mod.name}").victim_ids(world))
    return found
