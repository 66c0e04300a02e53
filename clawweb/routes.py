"""Every route and URL builder in one place (the app module adds the pages)."""

from __future__ import annotations

from urllib.parse import quote

HOME = "/"
LOGIN = "/login"
SETUP = "/setup"
INVITE = "/invite/[token]"
ACCOUNT = "/account"
DEVICES = "/account/devices"
PROJECTS = "/projects"
PROJECT_NEW = "/projects/new"
PROJECT = "/projects/[project_id]"
PROJECT_SETTINGS = "/projects/[project_id]/settings"
TASKS = "/tasks"
TASK = "/tasks/[task_id]"
ADMIN_USERS = "/admin/users"
ADMIN_AUDIT = "/admin/audit"
NOTIFICATIONS = "/notifications"
NOTIFY_SETTINGS = "/notifications/settings"
NOTIFY_CHANNELS = "/notifications/channels"
NOTIFY_DEVICES = "/notifications/devices"
NOTIFY_LOG = "/notifications/log"

# HTTP routes (clawweb/http/auth_routes.py) the auth forms post to.
API_SIGN_IN = "/api/auth/sign-in"
API_SIGN_OUT = "/api/auth/sign-out"
API_SETUP = "/api/auth/setup"
API_INVITE = "/api/auth/invite"
# Web Push (clawweb/http/push.py).
API_PUSH_KEY = "/api/push/key"
API_PUSH_SUBSCRIBE = "/api/push/subscribe"
API_PUSH_UNSUBSCRIBE = "/api/push/unsubscribe"
API_PUSH_ACTION = "/api/push/action"


def login(next_path: str = "") -> str:
    if next_path and next_path.startswith("/") and not next_path.startswith("//") \
            and next_path != LOGIN:
        return f"{LOGIN}?next={quote(next_path)}"
    return LOGIN


def project(project_id: int | str) -> str:
    return f"/projects/{project_id}"


def project_settings(project_id: int | str) -> str:
    return f"/projects/{project_id}/settings"


def task(task_id: int | str) -> str:
    return f"/tasks/{task_id}"


def task_approval(task_id: int | str, approval_id: int | str) -> str:
    """A task page opened at one of its approval requests."""
    return f"/tasks/{task_id}#approval-{approval_id}"


def invite(token: str) -> str:
    return f"/invite/{token}"
