"""The terminal view of a task: a bounded, seq-keyed DOM window fed by the live loop.

Output never goes through Reflex vars (every change would resend the whole
list). The loop sends small ops with ``rx.call_script``; ``assets/term.js``
(loaded by every page's head) applies them to ``#task-term-out``, which React
renders empty and never touches. The HTML inside each op comes from
``clawweb.live.ansi`` (escaped, inert).
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr

TERM_BG = "#0b0d10"
# On a phone the box fits between the top bar and the bottom tab bar with its own
# header row, so its newest line can sit above the tab bar (assets/term.js keeps it
# there while following); desktops keep their 65vh.
PHONE_HEIGHT = "max(240px, calc(100dvh - 220px))"


def terminal(*, line_count: rx.Var, has_earlier: rx.Var, earlier_loading: rx.Var,
             dropped_bytes: rx.Var, on_load_earlier, on_jump_live, on_resync) -> rx.Component:
    """The output box: line count, truncation notice, paging, jump-to-live."""
    return rx.vstack(
        rx.hstack(
            rx.text(tr("ui_tasks.output"), weight="medium"),
            rx.badge(tr("ui_tasks.lines", count=line_count.to_string()), variant="soft",
                     color_scheme="gray", data_testid="term-line-count"),
            rx.spacer(),
            rx.button(rx.icon("arrow-down-to-line", size=14), tr("ui_tasks.jump_live"),
                      id="task-term-jump", size="1", variant="solid",
                      style={"display": "none"}, data_testid="term-jump-live",
                      on_click=[rx.call_script("window.clawwebTerm&&clawwebTerm.jump()"),
                                on_jump_live]),
            width="100%", align="center", wrap="wrap",
        ),
        rx.cond(dropped_bytes > 0, rx.callout(
            tr("ui_tasks.truncated", dropped=dropped_bytes.to_string()), icon="scissors",
            color_scheme="amber", size="1", width="100%", data_testid="term-truncated")),
        rx.cond(has_earlier, rx.button(
            tr("ui_tasks.load_earlier"), size="1", variant="soft", loading=earlier_loading,
            on_click=on_load_earlier, data_testid="term-load-earlier")),
        rx.box(
            rx.el.div(id="task-term-out", data_testid="term-out"),
            rx.text(tr("ui_tasks.no_output"), id="task-term-empty", color="#7f8690",
                    size="2"),
            id="task-term", data_testid="term",
            background=TERM_BG, color="#d0d4da", border_radius="8px",
            # On a phone the box grows with its output up to the screen (a finished
            # task with three lines is no screen of black pushing Ship away).
            padding="var(--space-3)", width="100%", height=["auto", "auto", "65vh"],
            min_height=["96px", "96px", "0"], max_height=[PHONE_HEIGHT, PHONE_HEIGHT, "none"],
            overflow_y="auto", overflow_x="hidden",
            font_family="ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
            font_size=["12px", "12px", "13px"], line_height="1.45",
            white_space="pre-wrap", overflow_wrap="anywhere", word_break="break-word",
        ),
        rx.button("resync", id="task-term-resync", on_click=on_resync,
                  style={"display": "none"}, aria_hidden="true", tab_index=-1),
        width="100%", spacing="2",
    )
