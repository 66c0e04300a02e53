"""The input box of a running shell task: one line for its stdin, Ctrl-C and Ctrl-D buttons.

Shown only while the task runs and only to those who may act on it (editors
and better: the header's ``can_act``); the handlers check again, since any
client can call them. What is sent comes back through the output stream as an
``input`` event, so the terminal above shows it in every browser.
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr
from clawweb.state.task_live import TaskLiveState
from clawweb.state.task_page import TaskPageState

MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
# The service refuses longer lines with a message; the box stops typing there first.
MAX_LINE_CHARS = 4096


def _line_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(name="line", placeholder=tr("ui_task_input.placeholder"),
                     aria_label=tr("ui_task_input.label"), max_length=MAX_LINE_CHARS,
                     auto_complete="off", auto_capitalize="none", auto_correct="off",
                     spell_check=False, enter_key_hint="send", size="3",
                     font_family=MONO, flex="1", min_width="0",
                     data_testid="task-input-line"),
            # An icon only: on a phone the line itself needs the width.
            rx.icon_button(rx.icon("corner-down-left", size=18), type="submit", size="3",
                           aria_label=tr("ui_task_input.send"), title=tr("ui_task_input.send"),
                           data_testid="task-input-send"),
            width="100%", spacing="2", align="center",
        ),
        on_submit=TaskPageState.send_input, reset_on_submit=True, width="100%",
        flex="1", min_width="0",
    )


def _key(label: str, hint_key: str, on_click, testid: str, color: str) -> rx.Component:
    return rx.button(label, variant="soft", color_scheme=color, size="3", font_family=MONO,
                     aria_label=tr(hint_key), title=tr(hint_key), type="button",
                     on_click=on_click, data_testid=testid)


def task_input_box() -> rx.Component:
    """The box under the terminal; empty unless a running shell task may be answered."""
    task = TaskLiveState.task
    show = (task["can_act"].to(bool) & task["running"].to(bool) & ~TaskLiveState.is_claude)
    return rx.cond(show, rx.vstack(
        rx.hstack(_line_form(),
                  _key("^C", "ui_task_input.ctrl_c_label", TaskPageState.send_ctrl_c,
                       "task-input-ctrl-c", "amber"),
                  _key("^D", "ui_task_input.ctrl_d_label", TaskPageState.send_ctrl_d,
                       "task-input-ctrl-d", "gray"),
                  width="100%", spacing="2", align="center"),
        rx.text(tr("ui_task_input.hint"), size="1", color_scheme="gray"),
        width="100%", spacing="1", data_testid="task-input"))
