"""Every route and URL builder in one place (the app module adds the pages)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

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
TASK_REVIEW = "/tasks/[task_id]/review"
PROJECT_FILES = "/projects/[project_id]/files"
ADMIN_USERS = "/admin/users"
ADMIN_AUDIT = "/admin/audit"
ADMIN_QUEUES = "/admin/queues"
ADMIN_WORKERS = "/admin/workers"
ADMIN_USAGE = "/admin/usage"
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


# -- review and ship (pages, and the HTTP download routes of clawweb/http/downloads.py) ---
API_BLOB = "/api/projects/{project_id:int}/blob/{commit}"
API_TASK_EXPORT = "/api/tasks/{task_id:int}/export/{kind}"
# Usage as CSV (clawweb/http/usage_csv.py), admins only.
API_ADMIN_USAGE_CSV = "/api/admin/usage.csv"


def _query(**params: str) -> str:
    kept = {k: v for k, v in params.items() if v}
    return f"?{urlencode(kept)}" if kept else ""


def task_review(task_id: int | str) -> str:
    return f"/tasks/{task_id}/review"


def project_files(project_id: int | str, ref: str = "", path: str = "") -> str:
    """The file browser at ``path`` of branch ``ref`` ("" = the default branch, root)."""
    return f"/projects/{project_id}/files" + _query(ref=ref, path=path)


def project_submit(project_id: int | str, path: str = "") -> str:
    """The project page with its task form prefilled with ``path`` ("open in task")."""
    return f"/projects/{project_id}" + _query(path=path)


def blob(project_id: int | str, commit: str, path: str, download: bool = False) -> str:
    """A file of ``commit`` from the repository (images inline, anything else attached)."""
    return f"/api/projects/{project_id}/blob/{commit}" + _query(
        path=path, download="1" if download else "")


def task_export(task_id: int | str, kind: str, head: str = "") -> str:
    """The task's change as a ``patch`` or a ``bundle`` of the branch tip ``head``."""
    return f"/api/tasks/{task_id}/export/{kind}" + _query(head=head)


# -- automation: schedules page, inbound webhook URLs (clawweb/http/webhooks.py) ---------
PROJECT_SCHEDULES = "/projects/[project_id]/schedules"
API_HOOK = "/api/hooks/{forge}/{key}"


def project_schedules(project_id: int | str) -> str:
    return f"/projects/{project_id}/schedules"


def webhook(forge: str, key: str) -> str:
    """The path a forge posts a webhook's deliveries to."""
    return f"/api/hooks/{forge}/{key}"
