"""The tasks section of a project page: command box and the project's task list.

The projects page only calls ``project_tasks()``; the panel loads itself on
mount (``TasksState.load_project_tasks`` reads the project id from the route).
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.forms import error_callout
from clawweb.components.i18n import tr
from clawweb.components.tasks import status_filter, task_list
from clawweb.state.tasks import PRIORITIES, TasksState

MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"


def _label(key: str, html_for: str) -> rx.Component:
    return rx.text(tr(key), as_="label", size="2", weight="medium", html_for=html_for)


def submit_form() -> rx.Component:
    """Multi-line command, priority, timeout, Run. The hidden key makes a double click one task."""
    return rx.form(
        rx.vstack(
            _label("ui_tasks.command", "task-command"),
            rx.text_area(id="task-command", name="command", rows="3", required=True,
                         placeholder=tr("ui_tasks.command_placeholder"), width="100%",
                         auto_capitalize="none", auto_correct="off", spell_check=False,
                         font_family=MONO, resize="vertical", size="3",
                         style={"white_space": "pre-wrap", "overflow_wrap": "anywhere"},
                         data_testid="task-command"),
            rx.flex(
                rx.vstack(
                    _label("ui_tasks.priority", "task-priority"),
                    rx.select.root(
                        rx.select.trigger(id="task-priority", data_testid="task-priority"),
                        rx.select.content(*[rx.select.item(tr(f"ui_tasks.priority.{p}"),
                                                           value=p) for p in PRIORITIES]),
                        name="priority", default_value="normal", size="3"),
                    gap="1",
                ),
                rx.vstack(
                    _label("ui_tasks.timeout", "task-timeout"),
                    rx.input(id="task-timeout", name="timeout_minutes", type="number",
                             min=1, max=1440, size="3", width="8em",
                             default_value=TasksState.default_timeout_minutes.to_string(),
                             key=TasksState.default_timeout_minutes.to_string(),
                             data_testid="task-timeout"),
                    gap="1",
                ),
                rx.spacer(),
                rx.button(rx.icon("play", size=16), tr("ui_tasks.run"), type="submit",
                          size="3", disabled=TasksState.form_key == "", data_testid="task-run",
                          align_self="end"),
                gap="3", width="100%", wrap="wrap", align="end",
            ),
            rx.el.input(type="hidden", name="idempotency_key", value=TasksState.form_key,
                        read_only=True),
            error_callout(TasksState.submit_error),
            width="100%", gap="2",
        ),
        on_submit=TasksState.submit_task, reset_on_submit=False, width="100%",
        data_testid="task-form",
    )


def project_tasks() -> rx.Component:
    """Rendered inside the project page; reads the project id from the route."""
    return rx.vstack(
        rx.heading(tr("ui_tasks.section"), size="5"),
        rx.card(submit_form(), width="100%"),
        rx.hstack(rx.text(tr("ui_tasks.filter"), size="2", color_scheme="gray"),
                  status_filter(), align="center"),
        task_list(show_project=False, empty_hint_key="ui_tasks.empty_project_hint"),
        width="100%", gap="3", on_mount=TasksState.load_project_tasks,
        data_testid="project-tasks",
    )
