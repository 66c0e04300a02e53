"""Task list pieces shared by the project page and /tasks: badges, filter, cards/table."""

from __future__ import annotations

import reflex as rx
from reflex_components_moment import moment

from clawweb import routes
from clawweb.components.i18n import ago, tr
from clawweb.components.layout import empty_state
from clawweb.components.task_pager import task_pager
from clawweb.state.task_list import STATUS_FILTERS, TasksState

LIST_WATCHDOG_MS = 5000
STATUS_COLOURS = {
    "queued": "gray", "running": "blue", "awaiting_approval": "amber",
    "succeeded": "green", "failed": "red", "cancelled": "orange", "timed_out": "crimson",
    "interrupted": "gray",  # neutral: the user stopped the turn, a follow-up continues it
}
STATUS_ICONS = {
    "queued": "clock", "running": "loader", "awaiting_approval": "hand",
    "succeeded": "circle-check", "failed": "circle-x", "cancelled": "ban",
    "timed_out": "timer-off", "interrupted": "circle-pause",
}


def status_badge(status: rx.Var) -> rx.Component:
    """A coloured badge with an icon, so colour is not the only signal."""
    def one(value: str) -> tuple:
        return (value, rx.badge(rx.icon(STATUS_ICONS[value], size=12),
                                tr(f"tasks.status.{value}"),
                                color_scheme=STATUS_COLOURS[value], variant="soft",
                                data_testid="status-badge", data_status=value))
    return rx.match(status, *[one(v) for v in STATUS_COLOURS],
                    rx.badge(status, data_testid="status-badge"))


def _filter_label(value: str) -> rx.Var:
    if value in ("all", "active"):
        return tr(f"ui_tasks.filter.{value}")
    return tr(f"tasks.status.{value}")


def status_filter() -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=tr("ui_tasks.filter"), data_testid="status-filter"),
        rx.select.content(*[rx.select.item(_filter_label(v), value=v,
                                           data_testid=f"status-filter-{v}")
                            for v in STATUS_FILTERS]),
        value=TasksState.status_filter, on_change=TasksState.set_status_filter, size="2",
    )


def _href(row) -> rx.Var:
    return routes.task(row["id"].to(str))


def _card(row, show_project: bool) -> rx.Component:
    return rx.link(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.text("#", row["id"].to(str), weight="bold", size="2"),
                    status_badge(row["status"].to(str)),
                    rx.spacer(),
                    ago(row["queued_at"].to(str), font_size="12px",
                        color=rx.color("gray", 10)),
                    width="100%", align="center",
                ),
                rx.code(row["title"].to(str), size="2", variant="ghost",
                        white_space="pre-wrap", overflow_wrap="anywhere"),
                rx.cond(show_project, rx.text(row["project_name"].to(str), size="1",
                                              color_scheme="gray")),
                spacing="1", width="100%", min_width="0",
            ),
            width="100%",
        ),
        href=_href(row), underline="none", color_scheme="gray", high_contrast=True,
        width="100%", data_testid="task-row", data_task_id=row["id"].to(str),
    )


def _table_row(row, show_project: bool) -> rx.Component:
    cells = [
        rx.table.cell(rx.link("#", row["id"].to(str), href=_href(row))),
        rx.table.cell(rx.link(rx.code(row["title"].to(str), variant="ghost",
                                      overflow_wrap="anywhere"),
                              href=_href(row)), max_width="420px"),
    ]
    if show_project:
        cells.append(rx.table.cell(row["project_name"].to(str)))
    cells += [
        rx.table.cell(status_badge(row["status"].to(str))),
        rx.table.cell(tr_priority(row["priority"].to(str))),
        rx.table.cell(ago(row["queued_at"].to(str))),
    ]
    return rx.table.row(*cells, data_testid="task-row-desktop",
                        data_task_id=row["id"].to(str))


def tr_priority(priority: rx.Var) -> rx.Component:
    return rx.match(priority, *[(p, rx.text(tr(f"ui_tasks.priority.{p}"), size="2"))
                                for p in ("high", "normal", "low")], rx.text(priority))


def task_list(show_project: bool, empty_hint_key: str) -> rx.Component:
    """Cards on phones, a table on desktops; live through TasksState.follow_list."""
    heads = ["ui_tasks.col.task", ""] + (["ui_tasks.col.project"] if show_project else []) \
        + ["ui_tasks.col.status", "ui_tasks.col.priority", "ui_tasks.col.queued"]
    empty = rx.cond(TasksState.status_filter == "all",
                    empty_state("list-checks", "ui_tasks.empty_title", empty_hint_key),
                    rx.text(tr("ui_tasks.empty_filtered"), color_scheme="gray",
                            padding_y="var(--space-4)", data_testid="tasks-empty-filtered"))
    return rx.fragment(_list_body(show_project, heads, empty),
                       task_pager(),  # term-d: newest first, a page at a time
                       # live-x: restarts the list's live loop after the tab was away
                       moment(interval=LIST_WATCHDOG_MS, on_change=TasksState.ensure_list,
                              display="none"))


def _list_body(show_project: bool, heads: list[str], empty: rx.Component) -> rx.Component:
    return rx.cond(
        ~TasksState.list_loaded,
        rx.center(rx.spinner(size="3"), padding_y="var(--space-6)"),
        rx.cond(
            TasksState.rows.length() == 0,
            rx.box(empty, data_testid="tasks-empty"),
            rx.box(
                rx.vstack(rx.foreach(TasksState.rows, lambda r: _card(r, show_project)),
                          spacing="2", width="100%", display=["flex", "flex", "none"]),
                rx.box(rx.table.root(
                    rx.table.header(rx.table.row(
                        *[rx.table.column_header_cell(tr(h) if h else "") for h in heads])),
                    rx.table.body(rx.foreach(TasksState.rows,
                                             lambda r: _table_row(r, show_project))),
                    width="100%", variant="surface"),
                    display=["none", "none", "block"], width="100%"),
                width="100%", data_testid="task-list",
            ),
        ),
    )
