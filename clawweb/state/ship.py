"""The task page's "Ship" section: push the branch, open a pull request, see its state.

Who may act is decided by the remotes services (the project's ship rule);
the buttons only mirror it. Push, open and refresh talk to the network, so
they run as background events with the work in a thread; ``busy`` keeps a
second click from starting a second push.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import reflex as rx

from clawweb.db import session_scope
from clawweb.models import Task, User
from clawweb.services.errors import NotFound, ServiceError
from clawweb.services.remotes import pull_requests, push
from clawweb.state.access import signed_in, streaming
from clawweb.state.base import AppState, route_id



def _view(user_id: int, task_id: int) -> dict[str, Any]:
    with session_scope() as s:
        return pull_requests.ship_view(session=s, user=s.get(User, user_id), task_id=task_id)


def _push_task(s, user, task_id, ip):
    return push.push_task(session=s, user=user, task_id=task_id, ip=ip)


def _push_default(s, user, task_id, ip):
    task = s.get(Task, task_id)
    if task is None:
        raise NotFound()
    return push.push_default(session=s, user=user, project_id=task.project_id, ip=ip)


def _open(s, user, task_id, ip):
    return pull_requests.open_for_task(session=s, user=user, task_id=task_id, ip=ip)


def _refresh(s, user, task_id, ip):
    return pull_requests.refresh(session=s, user=user, task_id=task_id)


ACTIONS: dict[str, tuple[Callable, str]] = {
    "push": (_push_task, "ui_ship.pushed"),
    "push_default": (_push_default, "ui_ship.pushed_default"),
    "open_pr": (_open, "ui_ship.pr_opened"),
    "refresh": (_refresh, "ui_ship.refreshed"),
}


def _run(action: str, user_id: int, task_id: int, ip: str) -> None:
    """Runs in a worker thread: git and forge calls can take a while."""
    fn, _ = ACTIONS[action]
    with session_scope() as s:
        fn(s, s.get(User, user_id), task_id, ip)


async def _act(self, action: str):
    """One background action; ``self`` is the handler's state proxy."""
    async with self:
        user = self.current_user()
        if user is None or self.busy or action not in ACTIONS:
            return None
        task_id, ip = self._task_id(), self.client_ip
        self.busy, self.ship_error, self.ship_detail = action, "", ""
    error, detail = "", ""
    try:
        await asyncio.to_thread(_run, action, user.id, task_id, ip)
    except ServiceError as exc:
        error, detail = self.tr(exc.key, **exc.params), getattr(exc, "detail", "")
    except Exception:  # noqa: BLE001 - shown plainly, never a stuck spinner
        error = self.tr("remotes.failed")
    try:
        view = await asyncio.to_thread(_view, user.id, task_id)
    except ServiceError:
        view = None
    async with self:
        self.busy, self.ship_error, self.ship_detail = "", error, detail
        if view is not None:
            self._set_view(view)
        if not error and view is not None:
            return rx.toast.success(self.tr(ACTIONS[action][1]))
    return None


class ShipState(AppState):
    ship: dict[str, str] = {}
    ship_loaded: bool = False
    busy: str = ""  # the action running now
    ship_error: str = ""
    ship_detail: str = ""

    def _task_id(self) -> int:
        return route_id(self, "task_id")

    def _set_view(self, view: dict[str, Any]) -> None:
        self.ship = {k: ("1" if v is True else "" if v is False else str(v))
                     for k, v in view.items()}
        self.ship_loaded = True

    @rx.event
    @signed_in
    def load_ship(self):
        """on_mount of the section (and after the task finishes)."""
        user = self.require_user()
        self.ship, self.ship_loaded, self.ship_error, self.ship_detail = {}, False, "", ""
        try:
            self._set_view(_view(user.id, self._task_id()))
        except ServiceError:
            self.ship, self.ship_loaded = {}, False

    @rx.event(background=True)
    @streaming
    async def push_branch(self):
        return await _act(self, "push")

    @rx.event(background=True)
    @streaming
    async def push_default_branch(self):
        return await _act(self, "push_default")

    @rx.event(background=True)
    @streaming
    async def open_pull_request(self):
        return await _act(self, "open_pr")

    @rx.event(background=True)
    @streaming
    async def refresh_pull_request(self):
        return await _act(self, "refresh")
