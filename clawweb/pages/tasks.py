"""/tasks (my tasks across projects) and /tasks/<id> (header, controls, live terminal)."""

from __future__ import annotations

import reflex as rx
from reflex_components_moment import moment

from clawweb import routes
from clawweb.components.i18n import tr
from clawweb.components.layout import page
from clawweb.components.approvals import approval_cards
from clawweb.components.attachments import task_attachments
from clawweb.components.conversation import conversation
from clawweb.components.fleet import no_worker_banner
from clawweb.components.follow_up import follow_up_box
from clawweb.components.prompt_choices import mode_label
from clawweb.components.ship import ship_section
from clawweb.components.task_summary import FOLD, FOLD_STYLE, summary_row
from clawweb.components.tasks import status_badge, status_filter, task_list, tr_priority
from clawweb.components.terminal import terminal
from clawweb.components.task_input import task_input_box  # stdin-s
from clawweb.state.task_live import TaskLiveState
from clawweb.state.task_page import TaskPageState

WATCHDOG_MS = 5000
T = TaskLiveState.task


def tasks_page() -> rx.Component:
    return page(
        no_worker_banner(),
        rx.hstack(rx.text(tr("ui_tasks.filter"), size="2", color_scheme="gray"),
                  status_filter(), align="center", margin_bottom="var(--space-3)"),
        task_list(show_project=True, empty_hint_key="ui_tasks.empty_hint"),
        title_key="ui_tasks.title_mine",
    )


def _fact(label_key: str, value, testid: str = "") -> rx.Component:
    return rx.vstack(
        rx.text(tr(label_key), size="1", color_scheme="gray"),
        rx.box(value, data_testid=testid or None, overflow_wrap="anywhere"),
        spacing="0", min_width="0",
    )


def _time(value: rx.Var) -> rx.Component:
    return rx.cond(value.to(str) != "",
                   moment(value.to(str), format="YYYY-MM-DD HH:mm:ss"), rx.text("—"))


def _cancel_button() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(
            rx.icon("square", size=14), tr("ui_tasks.cancel"), color_scheme="red",
            variant="soft", size="2", disabled=T["cancel_requested"].to(bool),
            data_testid="task-cancel")),
        rx.alert_dialog.content(
            rx.alert_dialog.title(tr("ui_tasks.cancel_title")),
            rx.alert_dialog.description(tr("ui_tasks.cancel_body")),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(tr("ui_tasks.cancel_keep"), variant="soft",
                                                 color_scheme="gray")),
                rx.alert_dialog.action(rx.button(
                    tr("ui_tasks.cancel_confirm"), color_scheme="red",
                    on_click=TaskPageState.cancel_task, data_testid="task-cancel-confirm")),
                gap="3", justify="end", margin_top="var(--space-4)",
            ),
            max_width="420px",
        ),
    )


def _rerun_button() -> rx.Component:
    return rx.form(
        rx.el.input(type="hidden", name="idempotency_key", value=TaskPageState.rerun_key,
                    read_only=True),
        rx.button(rx.icon("rotate-ccw", size=14), tr("ui_tasks.rerun"), type="submit",
                  variant="soft", size="2", data_testid="task-rerun"),
        on_submit=TaskPageState.rerun_task, reset_on_submit=False,
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("#", T["id"].to(str), size="6"),
            status_badge(T["status"].to(str)),
            rx.cond(T["cancel_requested"].to(bool),
                    rx.badge(tr("ui_tasks.cancel_requested"), color_scheme="orange")),
            rx.spacer(),
            # Viewers are not offered what they may not do (the handlers refuse anyway).
            rx.cond(T["can_act"].to(bool) & T["can_cancel"].to(bool), _cancel_button()),
            rx.cond(T["can_act"].to(bool) & T["finished"].to(bool), _rerun_button()),
            rx.cond(T["can_act"].to(bool) & T["running"].to(bool) & TaskLiveState.is_claude,
                    _interrupt_button()),
            width="100%", align="center", wrap="wrap", spacing="2",
        ),
        rx.cond(T["id"].to(str) != "", rx.cond(
            ~T["can_act"].to(bool),
            rx.text(tr("ui_tasks.viewer_hint"), size="1", color_scheme="gray",
                    data_testid="task-viewer-hint"))),
        rx.cond(TaskLiveState.is_claude, _claude_facts(), rx.code(
                T["command"].to(str), variant="soft", size="2", width="100%",
                padding="var(--space-2)", white_space="pre-wrap", overflow_wrap="anywhere",
                display="block", data_testid="task-command-shown",
                # A long command must not push the output screens down on a phone.
                max_height=["7.5em", "7.5em", "none"], overflow_y="auto")),
        rx.cond(T["status"].to(str) == "queued", rx.callout(
            rx.cond(T["queue_position"].to(int) > 0,
                    rx.text(tr("ui_tasks.position", position=T["queue_position"].to(str)),
                            " · ", TaskLiveState.wait_text),
                    TaskLiveState.wait_text),
            icon="clock", size="1", width="100%", data_testid="task-waiting")),
        rx.cond(T["failure_reason"].to(str) != "", rx.callout(
            T["failure_reason"].to(str), icon="info", size="1", width="100%",
            # An interrupted turn is no failure: its "send a follow-up" note is neutral.
            color_scheme=rx.cond((T["status"].to(str) == "succeeded")
                                 | (T["status"].to(str) == "interrupted"), "gray", "red"),
            data_testid="task-reason")),
        summary_row(),
        _facts_block(),
        _changes_row(),
        width="100%", spacing="3", data_testid="task-header", style=FOLD_STYLE,
    )


def _facts_block() -> rx.Component:
    """Every fact of the task; on a phone folded behind the summary row."""
    return rx.grid(
        _fact("ui_tasks.project", rx.link(T["project_name"].to(str),
                                          href=routes.project(T["project_id"].to(str)))),
        _fact("ui_tasks.col.priority", tr_priority(T["priority"].to(str))),
        _fact("ui_tasks.created_by", rx.text(T["created_by"].to(str))),
        _fact("ui_tasks.queued_at", _time(T["queued_at"])),
        _fact("ui_tasks.started_at", _time(T["started_at"])),
        _fact("ui_tasks.finished_at", _time(T["finished_at"])),
        _fact("ui_tasks.elapsed", rx.text(TaskLiveState.elapsed, font_family="monospace"),
              "task-elapsed"),
        _fact("ui_tasks.exit_code", rx.text(rx.cond(T["exit_code"].to(str) != "",
                                                    T["exit_code"].to(str), "—")),
              "task-exit-code"),
        _fact("ui_tasks.attempt", rx.text(T["attempt"].to(str))),
        columns=rx.breakpoints(initial="2", sm="3", md="5"), gap="3", width="100%",
        class_name=FOLD, data_testid="task-facts")


def _changes_row() -> rx.Component:
    """Files and branch fold away on a phone; the Review button stays in reach."""
    return rx.cond(T["finished"].to(bool), rx.hstack(
        rx.hstack(
            _fact("ui_tasks.changes", rx.text(
                T["files_changed"].to(str), " · ",
                rx.text.span("+", T["insertions"].to(str), color=rx.color("green", 11)),
                " ",
                rx.text.span("−", T["deletions"].to(str), color=rx.color("red", 11))),
                "task-diffstat"),
            _fact("ui_tasks.branch", rx.code(T["branch"].to(str), variant="ghost")),
            spacing="5", wrap="wrap", align="end", class_name=FOLD),
        rx.link(rx.button(rx.icon("git-compare", size=14), tr("review_ui.open"),
                          variant="soft", size="2"),
                href=routes.task_review(T["id"].to(str)), data_testid="task-review"),
        spacing="5", wrap="wrap", width="100%", align="end",
    ))


def task_page() -> rx.Component:
    return page(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), tr("ui_tasks.back"), align="center"),
                href=routes.TASKS, size="2", margin_bottom="var(--space-3)", display="inline-block"),
        no_worker_banner(),
        rx.cond(
            TaskLiveState.task_error != "",
            rx.callout(TaskLiveState.task_error, icon="triangle-alert", color_scheme="red",
                       data_testid="task-error"),
            rx.vstack(
                rx.cond(T.contains("id"), _header(),
                        rx.center(rx.spinner(), padding="var(--space-4)")),
                task_attachments(),  # attach-u: the files that came with the task
                # On a phone the output comes first; shipping follows it.
                rx.cond(T["finished"].to(bool), rx.box(
                    ship_section(T["finished"].to(bool)), order=["1", "1", "0"],
                    width="100%")),
                rx.cond(TaskLiveState.is_claude, _claude_body()),
                _raw_output(terminal(line_count=TaskLiveState.line_count,
                         has_earlier=TaskLiveState.has_earlier,
                         earlier_loading=TaskLiveState.earlier_loading,
                         dropped_bytes=TaskLiveState.dropped_bytes,
                         on_load_earlier=TaskLiveState.load_earlier,
                         on_jump_live=TaskLiveState.jump_to_live,
                         on_resync=TaskLiveState.resync)),
                task_input_box(),  # stdin-s: a line / Ctrl-C for a running shell task
                width="100%", spacing="4", min_width="0",
            ),
        ),
        moment(interval=WATCHDOG_MS, on_change=TaskLiveState.ensure_live, display="none"),
    )


# -- Claude tasks ---------------------------------------------------------------
def _interrupt_button() -> rx.Component:
    return rx.button(rx.icon("pause", size=14), tr("ui_conv.interrupt"), variant="soft",
                     color_scheme="amber", size="2", on_click=TaskPageState.interrupt_task,
                     data_testid="task-interrupt")


def _claude_facts() -> rx.Component:
    L = TaskLiveState
    return rx.grid(
        _fact("ui_conv.model", rx.text(rx.cond(L.conv_model != "", L.conv_model, "—"),
                                       size="2"), "conv-model"),
        rx.cond(T["permission_mode"].to(str) != "", _fact(  # prompt-c: the prompt's mode
            "ui_agents.permission_mode", rx.text(mode_label(T["permission_mode"].to(str)),
                                                 size="2"), "conv-mode")),
        _fact("ui_conv.turns", rx.text(L.conv_turns.to_string(), size="2"), "conv-turns"),
        _fact("ui_conv.tokens", rx.text(L.conv_tokens, size="2", font_family="monospace"),
              "conv-tokens"),
        _fact("ui_conv.cost", rx.text(L.conv_cost, size="2", font_family="monospace"),
              "conv-cost"),
        # With follow-ups: the whole conversation too, labelled as such.
        rx.cond(L.conv_total_cost != "", _fact(
            "ui_conv.total_tokens", rx.text(L.conv_total_tokens, size="2",
                                            font_family="monospace"), "conv-total-tokens")),
        rx.cond(L.conv_total_cost != "", _fact(
            "ui_conv.total_cost", rx.text(L.conv_total_cost, size="2", font_family="monospace"),
            "conv-total-cost")),
        columns=rx.breakpoints(initial="2", md="4"), gap="3", width="100%",
        class_name=FOLD, data_testid="conv-stats")


def _thread_turn(row) -> rx.Component:
    return rx.el.details(
        rx.el.summary(
            rx.text.span("#", row["id"].to(str), " · "),
            status_badge(row["status"].to(str)),
            cursor="pointer", font_size="13px"),
        rx.vstack(
            rx.text(row["prompt"].to(str), size="2", white_space="pre-wrap",
                    overflow_wrap="anywhere"),
            rx.link(tr("ui_conv.thread_open", id=row["id"].to(str)),
                    href=routes.task(row["id"].to(str)), size="2"),
            spacing="1", padding_y="var(--space-2)", min_width="0"),
        width="100%", data_testid="thread-turn")


def _thread() -> rx.Component:
    L = TaskLiveState
    return rx.cond(L.thread_before.length() > 0, rx.vstack(
        rx.text(tr("ui_conv.thread"), size="2", weight="medium", color_scheme="gray"),
        rx.foreach(L.thread_before, _thread_turn),
        spacing="1", width="100%", data_testid="thread-before"))


def _claude_body() -> rx.Component:
    L = TaskLiveState
    return rx.vstack(
        _thread(),
        # live-x: the newest item is its own var (only it changes while text streams)
        conversation(items=L.conv_items + L.conv_tail, has_earlier=L.conv_has_earlier,
                     on_load_earlier=L.load_conv_earlier, prompt=T["command"].to(str)),
        approval_cards(L.approvals, L.waiting_approval),
        rx.foreach(L.thread_after, lambda r: rx.link(
            tr("ui_conv.thread_later", id=r["id"].to(str)), href=routes.task(r["id"].to(str)),
            size="2", data_testid="thread-later")),
        rx.cond(T["can_act"].to(bool) & T["finished"].to(bool) & (L.thread_after.length() == 0),
                follow_up_box()),
        spacing="4", width="100%", min_width="0")


def _raw_output(term: rx.Component) -> rx.Component:
    """Claude tasks keep the raw terminal mounted (its ops need it) but folded away."""
    # One element either way: a cond would remount the terminal and lose its DOM.
    return rx.el.details(
        rx.el.summary(tr("ui_conv.raw_output"), cursor="pointer", font_size="13px",
                      display=rx.cond(TaskLiveState.is_claude, "list-item", "none")),
        term, open=~TaskLiveState.is_claude, width="100%", data_testid="raw-output")
