"""The task page's header facts on a phone: one summary row, tap to expand.

Desktops show the facts as they always did. Below Reflex's ``md`` breakpoint
(48em, where the bottom tab bar shows) every element marked with ``FOLD`` is
hidden until the summary row's checkbox is ticked. Plain CSS (``:has``): the tap
needs no round trip to the server and no inline script (the CSP allows none).
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr
from clawweb.state.task_live import TaskLiveState

FOLD = "cw-fold"
TOGGLE_ID = "task-facts-toggle"
PHONE_MEDIA = "@media screen and (max-width: 47.99em)"
# Room the phone's fixed bottom tab bar (clawweb.components.layout) takes, plus air.
TAB_BAR_CLEARANCE = "calc(env(safe-area-inset-bottom) + 80px)"
T = TaskLiveState.task

# Goes on the header: the element that holds both the checkbox and the folded facts.
FOLD_STYLE = {
    PHONE_MEDIA: {
        f"&:not(:has(#{TOGGLE_ID}:checked)) .{FOLD}": {"display": "none"},
        f"&:has(#{TOGGLE_ID}:checked) .cw-fold-chevron": {"transform": "rotate(180deg)"},
    },
    f"& #{TOGGLE_ID}:focus-visible + label": {
        "outline": f"2px solid {rx.color('accent', 8)}", "outline_offset": "2px"},
}
_VISUALLY_HIDDEN = {"position": "absolute", "width": "1px", "height": "1px", "opacity": "0",
                    "margin": "0", "pointer_events": "none"}


def _dot() -> rx.Component:
    return rx.text.span("·", color=rx.color("gray", 9), flex_shrink="0")


def _fact(text: rx.Var) -> rx.Component:
    """One known fact, after a dot (the state leaves unknown ones out: no "· ·")."""
    return rx.fragment(_dot(), rx.text.span(text, font_family="monospace", flex_shrink="0",
                                            white_space="nowrap"))


def summary_row() -> rx.Component:
    """Phone only: project · elapsed · outcome (exit code, or an agent turn's cost when
    known and nonzero), and "Details" to show every fact."""
    return rx.box(
        rx.el.input(type="checkbox", id=TOGGLE_ID, style=_VISUALLY_HIDDEN,
                    data_testid="task-facts-toggle"),
        rx.el.label(
            rx.hstack(
                rx.text.span(T["project_name"].to(str), weight="medium", overflow="hidden",
                             text_overflow="ellipsis", white_space="nowrap", min_width="0"),
                rx.foreach(TaskLiveState.summary, _fact),
                rx.spacer(),
                rx.text.span(tr("ui_tasks.details"), color=rx.color("accent", 11),
                             flex_shrink="0"),
                rx.icon("chevron-down", size=16, class_name="cw-fold-chevron",
                        flex_shrink="0"),
                align="center", spacing="2", width="100%", font_size="13px",
                color=rx.color("gray", 11)),
            html_for=TOGGLE_ID, cursor="pointer", display="block", width="100%",
            padding_y="var(--space-2)", padding_x="var(--space-3)", border_radius="8px",
            background=rx.color("gray", 2), border=f"1px solid {rx.color('gray', 5)}",
            data_testid="task-summary"),
        display=["block", "block", "none"], width="100%", position="relative")
