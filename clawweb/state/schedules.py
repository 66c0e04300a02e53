"""The schedules page of a project: list with next run times, the form, pause,
resume, run now, delete, and each schedule's run history. A Claude schedule's
model and mode are picked from the project's offer (``PromptChoicesState``, loaded
when the form mounts); the store checks them.

Viewers see; editors change (the services check the caller's role on the
project taken from the page's URL, or on the schedule's project). Times are
shown in each schedule's own time zone.
"""

from __future__ import annotations

from datetime import datetime

import reflex as rx

from clawweb import routes
from clawweb.db import session_scope
from clawweb.models import ProjectRole, User
from clawweb.services.access import require_role
from clawweb.services.errors import NotFound, ServiceError
from clawweb.services.projects import service as projects
from clawweb.services.schedules import store, timing
from clawweb.state.access import signed_in
from clawweb.state.base import AppState, route_id

_MAX = 100_000
HISTORY_SHOWN = 30
FORM_FIELDS = ("name", "kind", "command", "priority", "timeout_minutes", "model",
               "permission_mode", "cron", "timezone", "interval_minutes", "missed_policy",
               "missed_cap", "overlap_policy", "max_retries", "retry_delay_seconds")


def _local(iso: str, zone: str) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(timing.zone(zone)).strftime("%Y-%m-%d %H:%M %Z")


def _row(view: dict) -> dict[str, str]:
    when = (f"cron {view['cron']} · {view['timezone']}" if view["cron"]
            else f"{view['interval_seconds'] // 60} min")
    return {"id": str(view["id"]), "name": view["name"], "kind": view["kind"],
            "command": view["command"][:300], "when": when,
            "paused": "1" if view["paused"] else "", "runs_as": view["runs_as"],
            "next": " · ".join(_local(t, view["timezone"]) for t in view["next_runs"][:3]),
            "missed_policy": view["missed_policy"], "overlap_policy": view["overlap_policy"],
            "max_retries": str(view["max_retries"]), "model": view["model"],
            "permission_mode": view["permission_mode"]}


def _form_of(view: dict) -> dict[str, str]:
    out = {k: str(view.get(k) if view.get(k) is not None else "") for k in FORM_FIELDS}
    out["interval_minutes"] = str(view["interval_seconds"] // 60) if view["interval_seconds"] \
        else ""
    out["timing"] = "cron" if view["cron"] else "interval"
    out["timeout_minutes"] = str(view["timeout_seconds"] // 60) if view["timeout_seconds"] \
        else ""
    return out


def _values(form: dict) -> dict:
    values = {k: str(form.get(k, ""))[:_MAX].strip() for k in FORM_FIELDS}
    minutes = values.pop("interval_minutes")
    interval = form.get("timing") == "interval"
    values["interval_seconds"] = int(minutes) * 60 if interval and minutes.isdigit() else (
        -1 if interval else 0)
    if interval:
        values["cron"] = ""
    timeout = values.pop("timeout_minutes")
    # Empty: the project's default; anything but a positive whole number is refused.
    values["timeout_seconds"] = None if timeout == "" else (
        int(timeout) * 60 if timeout.isdigit() else -1)
    return values


NEW = {"name": "", "kind": "shell", "command": "", "priority": "normal", "timeout_minutes": "",
       "model": "", "permission_mode": "",
       "cron": "0 3 * * *", "timezone": "UTC", "interval_minutes": "60", "timing": "cron",
       "missed_policy": "once", "missed_cap": "5", "overlap_policy": "skip", "max_retries": "2",
       "retry_delay_seconds": "60"}


class SchedulesState(AppState):
    sched_loaded: bool = False
    sched_not_found: bool = False
    can_edit: bool = False
    project_name: str = ""
    sched_project_id: str = ""
    schedules: list[dict[str, str]] = []
    form: dict[str, str] = dict(NEW)
    form_kind: str = "shell"  # the kind picked in the form: Claude shows model and mode
    editing_id: int = 0
    form_error: str = ""
    form_rev: int = 0
    history_for: int = 0
    history: list[dict[str, str]] = []

    def _project_id(self) -> int:
        return route_id(self, "project_id")

    def _reload(self, user: User) -> None:
        with session_scope() as s:
            project = projects.get_project(session=s, user=user, project_id=self._project_id())
            self.project_name, self.sched_project_id = project.name, str(project.id)
            self.can_edit = _is_editor(s, user, project.id)
            self.schedules = [_row(store.view(s, row)) for row in store.list_for_project(
                session=s, user=user, project_id=project.id)]
        self.sched_loaded = True

    def _reset_form(self) -> None:
        self.form, self.editing_id, self.form_error = dict(NEW), 0, ""
        self.form_kind = "shell"
        self.form_rev += 1

    @rx.event
    @signed_in
    def load_schedules(self):
        """on_load of the page."""
        user = self.require_user()
        self.sched_loaded, self.sched_not_found, self.schedules = False, False, []
        self.history, self.history_for, self.can_edit, self.project_name = [], 0, False, ""
        self.sched_project_id = ""
        self._reset_form()
        try:
            self._reload(user)
        except NotFound:
            self.sched_not_found, self.sched_loaded = True, True

    @rx.event
    @signed_in
    def save_schedule(self, form: dict):
        user = self.require_user()
        try:
            values = _values(form)
            with session_scope() as s:
                if self.editing_id:
                    store.update(session=s, user=user, schedule_id=self.editing_id,
                                 values=values, ip=self.client_ip)
                else:
                    store.create(session=s, user=user, project_id=self._project_id(),
                                 values=values, ip=self.client_ip)
        except ServiceError as exc:
            self.form_error = self.tr(exc.key, **exc.params)
            return None
        self._reset_form()
        self._reload(user)
        return rx.toast.success(self.tr("ui_schedules.saved"))

    @rx.event
    @signed_in
    def edit_schedule(self, schedule_id: int):
        user = self.require_user()
        with session_scope() as s:
            row = store.get_schedule(session=s, user=user, schedule_id=_id(schedule_id),
                                     at_least=ProjectRole.editor)
            self.form = _form_of(store.view(s, row))
            self.editing_id = row.id
        self.form_kind = self.form["kind"]
        self.form_error = ""
        self.form_rev += 1

    @rx.event
    @signed_in
    def set_form_kind(self, kind: str):
        """The kind select changed: a Claude schedule's form offers a model and a mode."""
        self.require_user()
        self.form_kind = "claude" if kind == "claude" else "shell"

    @rx.event
    @signed_in
    def new_schedule(self):
        self.require_user()
        self._reset_form()

    def _act(self, user: User, action, schedule_id: int, message_key: str, **kwargs):
        with session_scope() as s:
            action(session=s, user=user, schedule_id=_id(schedule_id), ip=self.client_ip,
                   **kwargs)
        self._reload(user)
        if self.history_for == _id(schedule_id):
            self.history = self._history(user, self.history_for)
        return rx.toast.success(self.tr(message_key))

    @rx.event
    @signed_in
    def pause_schedule(self, schedule_id: int):
        return self._act(self.require_user(), store.set_paused, schedule_id,
                         "ui_schedules.paused_done", paused=True)

    @rx.event
    @signed_in
    def resume_schedule(self, schedule_id: int):
        return self._act(self.require_user(), store.set_paused, schedule_id,
                         "ui_schedules.resumed", paused=False)

    @rx.event
    @signed_in
    def run_schedule(self, schedule_id: int):
        return self._act(self.require_user(), store.run_now, schedule_id, "ui_schedules.run_started")

    @rx.event
    @signed_in
    def delete_schedule(self, schedule_id: int):
        user = self.require_user()
        with session_scope() as s:
            store.delete(session=s, user=user, schedule_id=_id(schedule_id), ip=self.client_ip)
        if self.editing_id == _id(schedule_id):
            self._reset_form()
        self.history, self.history_for = [], 0
        self._reload(user)
        return rx.toast.success(self.tr("ui_schedules.deleted"))

    def _history(self, user: User, schedule_id: int) -> list[dict[str, str]]:
        with session_scope() as s:
            zone = store.get_schedule(session=s, user=user, schedule_id=schedule_id).timezone
            rows = [store.run_view(s, r) for r in store.runs(
                session=s, user=user, schedule_id=schedule_id, limit=HISTORY_SHOWN)]
        return [{"id": str(r["id"]), "due": _local(r["due_at"], zone),
                 "attempt": str(r["attempt"]), "trigger": r["trigger"], "status": r["status"],
                 "reason": _say(self, r["reason"], r["params"]) if r["reason"] else "",
                 "task_id": str(r["task_id"] or ""),
                 "task_url": routes.task(r["task_id"]) if r["task_id"] else "",
                 "branch": r["branch"]} for r in rows]

    @rx.event
    @signed_in
    def show_history(self, schedule_id: int):
        user = self.require_user()
        self.history, self.history_for = [], 0
        self.history = self._history(user, _id(schedule_id))
        self.history_for = _id(schedule_id)

    @rx.event
    @signed_in
    def hide_history(self):
        self.require_user()
        self.history, self.history_for = [], 0


def _is_editor(session, user: User, project_id: int) -> bool:
    try:
        require_role(session=session, user=user, project_id=project_id,
                     at_least=ProjectRole.editor)
    except ServiceError:
        return False
    return True


def _id(value) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if 0 < number < 2**31 else 0


def _say(state, key: str, params: dict) -> str:
    plain = {k: v for k, v in (params or {}).items() if isinstance(v, (str, int, float))}
    try:
        return state.tr(key, **plain)
    except (KeyError, IndexError, ValueError):
        return state.tr(key)

