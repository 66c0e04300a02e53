"""The Reflex app: every page is added here, so this file shows them all."""

from __future__ import annotations

import reflex as rx

from clawweb import api, routes
from clawweb.components import layout
from clawweb.observe import logs
from clawweb.pages import (account, admin, admin_ops, auth, notifications, projects, review,
                           schedules, tasks)
from clawweb.services import web_reaper
from clawweb.services.schedules import loop as schedule_loop
from clawweb.settings import get_settings
from clawweb.state import sealed_headers
from clawweb.state.account import AccountState
from clawweb.state.admin import AdminState
from clawweb.state.admin_ops import OpsState
from clawweb.state.attachments import TaskAttachmentsState
from clawweb.state.auth import InviteState, SetupState, SignInState
from clawweb.state.base import AppState
from clawweb.state.notify import NotifyState
from clawweb.state.projects import ProjectsState
from clawweb.state.quiet_hours import QuietHoursState
from clawweb.state.review import ReviewState
from clawweb.state.review_files import FilesState
from clawweb.state.schedules import SchedulesState
from clawweb.state.task_list import TasksState
from clawweb.state.task_page import TaskPageState

HEAD = [
    rx.el.link(rel="manifest", href="/manifest.webmanifest"),
    rx.el.link(rel="apple-touch-icon", href="/icon-192.png"),
    rx.el.meta(name="theme-color", content="#0b0d10"),
    rx.el.meta(name="viewport", content="width=device-width, initial-scale=1, viewport-fit=cover"),
    # The task terminal's op applier (assets/term.js): a file, as the CSP wants scripts.
    rx.el.script(src="/term.js", defer=True),
    # Registers the service worker (/sw.js) and offers clawwebPush.enable(); a file, as
    # the CSP allows no inline script.
    rx.el.script(src="/clawweb-push.js", defer=True),
    # Loads the task page's code in idle time, off the click-Run-to-first-line path.
    rx.el.script(src="/route_prefetch.js", defer=True),
]

logs.configure("web")
# Tab states pickled into Redis (several web processes) hold credentials only sealed.
sealed_headers.install()

app = rx.App(
    head_components=HEAD,
    api_transformer=api.transformers(),
    toaster=layout.toaster(),  # phone-m: toasts clear the phone's tab bar
)

# A task whose every worker died is still ended: the reaper runs beside the web app.
app.register_lifespan_task(web_reaper.lifespan)
if get_settings().schedule_loop_in_web:  # every worker runs one; this adds one per web process
    app.register_lifespan_task(schedule_loop.run_in_web)

protected = AppState.require_sign_in


def _redirect_home():
    return rx.fragment()


app.add_page(_redirect_home, route=routes.HOME, on_load=[protected, rx.redirect(routes.PROJECTS)])
app.add_page(auth.sign_in_page, route=routes.LOGIN, title="clawweb", on_load=SignInState.load_sign_in)
app.add_page(auth.setup_page, route=routes.SETUP, title="clawweb", on_load=SetupState.load_setup)
app.add_page(auth.invite_page, route=routes.INVITE, title="clawweb",
             on_load=InviteState.load_invite)

app.add_page(projects.projects_page, route=routes.PROJECTS, title="clawweb",
             on_load=[protected, ProjectsState.load_projects])
app.add_page(projects.project_new_page, route=routes.PROJECT_NEW, title="clawweb",
             on_load=[protected, ProjectsState.load_new_project])
app.add_page(projects.project_page, route=routes.PROJECT, title="clawweb",
             on_load=[protected, ProjectsState.load_project])
app.add_page(projects.project_settings_page, route=routes.PROJECT_SETTINGS, title="clawweb",
             on_load=[protected, ProjectsState.load_project_settings])
app.add_page(schedules.schedules_page, route=routes.PROJECT_SCHEDULES, title="clawweb",
             on_load=[protected, SchedulesState.load_schedules])

app.add_page(tasks.tasks_page, route=routes.TASKS, title="clawweb",
             on_load=[protected, TasksState.load_tasks])
app.add_page(tasks.task_page, route=routes.TASK, title="clawweb",
             on_load=[protected, TaskPageState.load_task,
                      TaskAttachmentsState.load_task_attachments])  # attach-u

app.add_page(review.review_page, route=routes.TASK_REVIEW, title="clawweb",
             on_load=[protected, ReviewState.load_review])
app.add_page(review.files_page, route=routes.PROJECT_FILES, title="clawweb",
             on_load=[protected, FilesState.load_files])

app.add_page(admin.users_page, route=routes.ADMIN_USERS, title="clawweb",
             on_load=[protected, AdminState.load_users])
app.add_page(admin.audit_page, route=routes.ADMIN_AUDIT, title="clawweb",
             on_load=[protected, AdminState.load_audit])
app.add_page(admin_ops.queues_page, route=routes.ADMIN_QUEUES, title="clawweb",
             on_load=[protected, OpsState.load_queues])
app.add_page(admin_ops.workers_page, route=routes.ADMIN_WORKERS, title="clawweb",
             on_load=[protected, OpsState.load_workers])
app.add_page(admin_ops.usage_page, route=routes.ADMIN_USAGE, title="clawweb",
             on_load=[protected, OpsState.load_usage])

app.add_page(account.account_page, route=routes.ACCOUNT, title="clawweb",
             on_load=[protected, AccountState.load_account])
app.add_page(account.devices_page, route=routes.DEVICES, title="clawweb",
             on_load=[protected, AccountState.load_devices])

app.add_page(notifications.centre_page, route=routes.NOTIFICATIONS, title="clawweb",
             on_load=[protected, NotifyState.load_centre])
app.add_page(notifications.settings_page, route=routes.NOTIFY_SETTINGS, title="clawweb",
             on_load=[protected, NotifyState.load_settings, QuietHoursState.load_quiet])
app.add_page(notifications.channels_page, route=routes.NOTIFY_CHANNELS, title="clawweb",
             on_load=[protected, NotifyState.load_channels])
app.add_page(notifications.devices_page, route=routes.NOTIFY_DEVICES, title="clawweb",
             on_load=[protected, NotifyState.load_devices])
app.add_page(notifications.log_page, route=routes.NOTIFY_LOG, title="clawweb",
             on_load=[protected, NotifyState.load_log])

# Reflex's own 404 is an unstyled line of English with no way back.
app.add_page(auth.not_found_page, route="404", title="clawweb", on_load=AppState.init_language)
