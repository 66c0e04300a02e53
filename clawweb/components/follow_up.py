"""The Claude task page's follow-up box: prompt with slash completions, model and mode,
attachments, Send.

Shown under a finished conversation (``pages.tasks``); the hidden key makes a
double send one task.
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.attachments import attach_control
from clawweb.components.i18n import tr
from clawweb.components.prompt_choices import prompt_choices
from clawweb.components.prompt_completions import prompt_completions
from clawweb.state.prompt_choices import PromptChoicesState
from clawweb.state.prompt_completions import FOLLOW_UP_BOX_ID, PromptCompletionsState
from clawweb.state.task_page import TaskPageState


def follow_up_box() -> rx.Component:
    return rx.form(
        rx.el.input(type="hidden", name="idempotency_key", value=TaskPageState.followup_key,
                    read_only=True),
        rx.vstack(
            rx.text(tr("ui_conv.follow_up"), weight="medium"),
            rx.text_area(id=FOLLOW_UP_BOX_ID, name="prompt", placeholder=tr("ui_conv.follow_up_placeholder"),
                         rows="3", width="100%", required=True, max_length=100_000,
                         on_change=PromptCompletionsState.prompt_changed,  # slash commands
                         data_testid="follow-up-prompt"),
            prompt_completions(on_task_page=True),
            prompt_choices("follow-up"),  # prompt-c: model and mode
            attach_control(),  # files for attachments/ of the next turn's working copy
            rx.hstack(rx.button(rx.icon("send", size=14), tr("ui_conv.follow_up_send"),
                                type="submit", size="2", data_testid="follow-up-send"),
                      justify="end", width="100%"),
            spacing="2", width="100%"),
        on_submit=TaskPageState.follow_up, reset_on_submit=True, width="100%",
        on_mount=PromptChoicesState.load_for_task, data_testid="follow-up")
