"""The tasks section of a project page: command box and the project's task list.

The projects page only calls ``project_tasks()``; the panel loads itself on
mount (``TasksState.load_project_tasks`` reads the project id from the route).
"""

from __future__ import annotations

import reflex as rx

from clawweb import routes
from clawweb.components.attachments import attach_control
from clawweb.components.i18n import tr
from clawweb.components.prompt_choices import prompt_choices
from clawweb.components.prompt_completions import prompt_completions
from clawweb.components.tasks import status_filter, task_list
from clawweb.state.review_files import TaskPrefillState
from clawweb.state.prompt_choices import PromptChoicesState
from clawweb.state.prompt_completions import PromptCompletionsState
from clawweb.state.task_list import PRIORITIES, TasksState

MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"


def _label(key: str, html_for: str) -> rx.Component:
    return rx.text(tr(key), as_="label", size="2", weight="medium", html_for=html_for)


def _mode_switch() -> rx.Component:
    return rx.segmented_control.root(
        rx.segmented_control.item(tr("ui_agents.mode_prompt"), value="claude",
                                  data_testid="mode-claude"),
        rx.segmented_control.item(tr("ui_agents.mode_shell"), value="shell",
                                  data_testid="mode-shell"),
        value=TasksState.submit_mode, on_change=TasksState.set_submit_mode, size="2",
        width="100%", max_width="360px", data_testid="submit-mode",
    )


def _error() -> rx.Component:
    """Plain error; "no credential" also says where to add one."""
    return rx.cond(TasksState.submit_error != "", rx.callout.root(
        rx.callout.icon(rx.icon("triangle-alert")),
        rx.callout.text(
            rx.cond(TasksState.needs_credential, tr("ui_agents.no_credential"),
                    TasksState.submit_error),
            rx.cond(TasksState.needs_credential, rx.fragment(" ", rx.link(
                tr("ui_agents.add_credential"), href=routes.ACCOUNT, weight="bold",
                data_testid="add-credential-link"))),
            style={"overflow_wrap": "anywhere"}),
        color_scheme="red", width="100%", role="alert", data_testid="form-error",
    ))


def submit_form() -> rx.Component:
    """Mode, command or prompt, priority, timeout, Run.

    The hidden key makes a double click one task.
    """
    claude = TasksState.submit_mode == "claude"
    return rx.form(
        rx.vstack(
            _mode_switch(),
            rx.text(rx.cond(claude, tr("ui_agents.prompt"), tr("ui_tasks.command")),
                    as_="label", size="2", weight="medium", html_for="task-command"),
            rx.text_area(id="task-command", name="command", rows="3", required=True,
                         placeholder=rx.cond(claude, tr("ui_agents.prompt_placeholder"),
                                             tr("ui_tasks.command_placeholder")),
                         width="100%", auto_capitalize="none", auto_correct="off",
                         spell_check=False, font_family=rx.cond(claude, "inherit", MONO),
                         resize="vertical", size="3",
                         style={"white_space": "pre-wrap", "overflow_wrap": "anywhere"},
                         default_value=TaskPrefillState.prefill, key=TaskPrefillState.prefill,
                         on_change=PromptCompletionsState.prompt_changed,  # slash-k
                         data_testid="task-command"),
            rx.cond(claude, prompt_completions()),  # slash-k: slash commands and skills
            rx.cond(claude, prompt_choices("prompt")),  # prompt-c: model and mode
            attach_control(),  # attach-u: files for attachments/ of the working copy
            rx.flex(
                rx.vstack(
                    _label("ui_tasks.priority", "task-priority"),
                    rx.select.root(
                        rx.select.trigger(id="task-priority", data_testid="task-priority"),
                        rx.select.content(*[rx.select.item(tr(f"ui_tasks.priority.{p}"),
                                                           value=p) for p in PRIORITIES]),
                        name="priority", default_value="normal", size="3"),
                    spacing="1",
                ),
                # Claude runs are bounded by the project's turns and budget instead.
                rx.cond(~claude, rx.vstack(
                    _label("ui_tasks.timeout", "task-timeout"),
                    rx.input(id="task-timeout", name="timeout_minutes", type="number",
                             min=1, max=1440, size="3", width="8em",
                             default_value=TasksState.default_timeout_minutes.to_string(),
                             key=TasksState.default_timeout_minutes.to_string(),
                             data_testid="task-timeout"),
                    spacing="1",
                )),
                rx.spacer(),
                rx.button(rx.icon(rx.cond(claude, "sparkles", "play"), size=16),
                          rx.cond(claude, tr("ui_agents.ask"), tr("ui_tasks.run")),
                          type="submit",
                          size="3", disabled=TasksState.form_key == "", data_testid="task-run",
                          align_self="end"),
                spacing="3", width="100%", wrap="wrap", align="end",
            ),
            rx.el.input(type="hidden", name="idempotency_key", value=TasksState.form_key,
                        read_only=True),
            _error(),
            width="100%", spacing="2",
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
        width="100%", spacing="3",
        on_mount=[TasksState.load_project_tasks, TaskPrefillState.load_prefill,
                  PromptChoicesState.load_for_project],
        data_testid="project-tasks",
    )
