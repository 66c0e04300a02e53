"""The task list's pager: the count of all, the page's place, "Newer" and "Older".

Pages hold ``TasksState``'s ``PAGE_SIZE`` rows, newest first; the buttons are
big enough for a thumb and wrap under the count on a narrow phone.
"""

from __future__ import annotations

import reflex as rx

from clawweb.components.i18n import tr
from clawweb.state.task_list import TasksState


def task_pager() -> rx.Component:
    """Below the list: "57 tasks · showing 21–40" and the two page buttons."""
    paged = TasksState.has_older | TasksState.has_newer
    return rx.cond(TasksState.task_total > 0, rx.hstack(
        rx.text(tr("ui_tasks.page_count", count=TasksState.task_total.to_string()),
                rx.cond(paged, rx.fragment(" · ", tr(
                    "ui_tasks.page_range", first=TasksState.page_first.to_string(),
                    last=TasksState.page_last.to_string()))),
                size="2", color_scheme="gray", data_testid="task-pager-count"),
        rx.spacer(),
        rx.cond(paged, rx.hstack(
            rx.button(rx.icon("chevron-left", size=16), tr("ui_tasks.newer"), size="2",
                      variant="soft", disabled=~TasksState.has_newer,
                      on_click=TasksState.newer_tasks, data_testid="task-pager-newer"),
            rx.button(tr("ui_tasks.older"), rx.icon("chevron-right", size=16), size="2",
                      variant="soft", disabled=~TasksState.has_older,
                      on_click=TasksState.older_tasks, data_testid="task-pager-older"),
            spacing="2")),
        width="100%", align="center", wrap="wrap", spacing="2", data_testid="task-pager"))
