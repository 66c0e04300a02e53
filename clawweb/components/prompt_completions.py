"""Slash-command completions under the prompt box: a tap-friendly list, filtered as you type.

Shown while the box's text is ``/`` and a name (``PromptCompletionsState``).
Names and descriptions come from the repository and are hostile: they are
rendered as text children (React escapes them), never as HTML or attributes
that run anything.
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr
from clawweb.state.prompt_completions import PromptCompletionsState as C

MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
WRAP = {"overflow_wrap": "anywhere", "word_break": "break-word"}


def _item(item: rx.Var) -> rx.Component:
    kind = rx.match(item["kind"], ("skill", tr("ui_completions.kind.skill")),
                    ("builtin", tr("ui_completions.kind.builtin")),
                    tr("ui_completions.kind.command"))
    return rx.el.button(
        rx.hstack(
            rx.text("/", item["name"], weight="bold", font_family=MONO, size="2",
                    data_testid="prompt-completion-name"),
            rx.badge(kind, variant="soft", color_scheme="gray", size="1"),
            spacing="2", align="center"),
        rx.text(item["description"], size="1", color_scheme="gray", style=WRAP,
                data_testid="prompt-completion-description"),
        type="button", on_click=C.pick(item["name"]), data_testid="prompt-completion",
        style={"display": "block", "width": "100%", "text_align": "left", "min_height": "44px",
               "padding": "6px 10px", "background": "transparent", "border": "none",
               "border_bottom": f"1px solid {rx.color('gray', 4)}", "cursor": "pointer",
               "color": rx.color("gray", 12)},
    )


def prompt_completions(on_task_page: bool = False) -> rx.Component:
    """The list (nothing while the text is no slash command); loads itself on mount.

    On the task page it serves the follow-up box with the task's project's list.
    """
    return rx.box(
        rx.cond(C.matches.length() > 0, rx.box(
            rx.foreach(C.matches, _item),
            role="listbox", aria_label=tr("ui_completions.label"), width="100%",
            max_height="50vh", overflow_y="auto", border_radius="6px",
            border=f"1px solid {rx.color('gray', 6)}", background=rx.color("gray", 1),
            data_testid="prompt-completions")),
        width="100%", on_mount=C.load_for_task if on_task_page else C.load_for_project,
    )
